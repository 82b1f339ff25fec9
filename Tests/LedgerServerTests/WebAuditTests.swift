import EventStore
import Foundation
import Ledger
@testable import LedgerServer
import TestSupport
import Testing

/// The auditor's page (`/audit`): verify run from the page and its result shown, the digest and
/// export downloads (the CLI's files), the history finder; anyone else gets "not allowed" (403).
@Suite(.enabled(if: TestDatabase.enabled))
struct WebAuditTests {
    @Test func anAuditorRunsVerifyDownloadsADigestAndAnExportAndReadsHistory() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await PaymentImportRouteTests.prepare(db)
            let auditor = try await People.add(db, role: "auditor")
            let head = try await People.head(db)
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let (cookie, csrf) = try await WebImportTests.signIn(client, auditor, page: "/audit")
                let cookies = ["ledger_session": cookie]
                let first = try await client.get("/audit", cookies: cookies)
                #expect(first.status == 200, "\(first)")
                #expect(first.text.contains(#"<a href="/audit" aria-current="page">Kiểm toán</a>"#), "in the navigation: \(first)")
                #expect(first.text.contains(WebCatalog.text(.auditNoneYet, in: .vi)), "\(first)")
                #expect(first.text.contains(WebCatalog.text(.auditMemoryNote, in: .vi)), "\(first)")

                let verified = try await client.post("/audit/verify", form: ["csrf_token": csrf], cookies: cookies)
                #expect(verified.status == 303 && verified.headers["location"] == "/audit?verified=1", "\(verified)")
                let shown = try await client.get("/audit?verified=1", cookies: cookies)
                #expect(shown.text.contains(WebCatalog.text(.auditVerifyDone, in: .vi)), "\(shown)")
                #expect(shown.text.contains(#"<p class="success" id="verify-result">\#(WebCatalog.text(.auditIntact, in: .vi))</p>"#), "\(shown)")
                #expect(shown.text.contains(#"<tr><th scope="row">Vị trí cuối</th><td>\#(head)</td></tr>"#), "\(shown)")
                #expect(shown.text.contains(#"<tr><th scope="row">Người chạy</th><td>\#(auditor.user)</td></tr>"#), "\(shown)")
                #expect(shown.text.contains(try Regex(#"<tr><th scope="row">Thời điểm chạy</th><td>[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9:]{8} \+07:00</td></tr>"#)), "\(shown)")
                let chainOnly = try await client.post("/audit/verify", form: ["csrf_token": csrf, "chain_only": "true"], cookies: cookies)
                #expect(chainOnly.status == 303, "\(chainOnly)")
                #expect(try await client.get("/audit", cookies: cookies).text.contains(WebCatalog.text(.auditChainIntact, in: .vi)))

                // The digest: `ledger audit digest`'s file, which the CLI verifies against.
                let digest = try await service.request("GET", "/audit/digest", headers: ["Cookie": "ledger_session=\(cookie)"])
                #expect(digest.status == 200, "\(digest)")
                #expect(digest.headers["content-disposition"] == "attachment; filename=\"ledger-digest-\(head).json\"", "\(digest)")
                let parsed = try DigestFile.parse(digest.body)
                #expect(parsed.position == head && parsed.hash.count == 64)
                let cli = try await People.ledger(db, ["audit", "digest"])
                #expect(try DigestFile.parse(Data(cli.stdout.utf8)) == parsed, "\(cli.stdout) / \(digest.text)")
                try await withScratchFolder { folder in
                    let file = folder.appendingPathComponent("digest.json")
                    try digest.body.write(to: file)
                    try await People.ledger(db, ["audit", "verify", "--digest", file.path])
                    // The export: byte for byte what `ledger audit export` writes.
                    let export = try await service.request("GET", "/audit/export", headers: ["Cookie": "ledger_session=\(cookie)"])
                    #expect(export.status == 200, "\(export)")
                    #expect(export.headers["content-disposition"] == "attachment; filename=\"ledger-export.ndjson\"", "\(export)")
                    let out = folder.appendingPathComponent("export.ndjson")
                    try await People.ledger(db, ["audit", "export", "--out", out.path])
                    #expect(try Data(contentsOf: out) == export.body)
                    #expect(export.text.split(separator: "\n").count == Int(head))
                }

                let history = try await client.get("/audit?beneficiary=HH-1", cookies: cookies)
                #expect(history.status == 200, "\(history)")
                #expect(history.text.contains("<caption>Lịch sử của HH-1</caption>"), "\(history)")
                #expect(history.text.contains("<td>BeneficiaryRegistered</td>") && history.text.contains("<td>ApplicationSubmitted</td>"), "\(history)")
                #expect(history.text.contains("<td>01/03/2024 (submitted_on)</td>"), "business date dd/mm/yyyy: \(history)")
                let stream = try await client.get("/audit?stream=application-A-1", cookies: cookies)
                #expect(stream.text.contains("<td>ApplicationApproved</td>"), "\(stream)")
                let nobody = try await client.get("/audit?beneficiary=NOBODY", cookies: cookies)
                #expect(nobody.status == 400, "\(nobody)")
                #expect(nobody.text.contains(#"<p class="field-error" id="beneficiary-error">\#(WebCatalog.text(.auditNoBeneficiary, in: .vi, "NOBODY"))</p>"#), "\(nobody)")
                #expect(nobody.text.contains(#"value="NOBODY""#), "kept")
            }
        }
    }

    @Test func anOfficerMayNotOpenTheAuditPagesNorDownload() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let (cookie, csrf) = try await WebImportTests.signIn(client, officer, page: "/")
                let cookies = ["ledger_session": cookie]
                let home = try await client.get("/", cookies: cookies)
                #expect(!home.text.contains(#"href="/audit""#), "not in an officer's navigation: \(home)")
                for path in ["/audit", "/audit?beneficiary=HH-1", "/audit/digest", "/audit/export"] {
                    let page = try await client.get(path, cookies: cookies)
                    #expect(page.status == 403, "\(path): \(page)")
                    #expect(page.text.contains(WebCatalog.text(.auditNotAllowed, in: .vi)), "\(path): \(page)")
                    #expect(page.headers["content-disposition"] == nil, "\(path)")
                }
                let verify = try await client.post("/audit/verify", form: ["csrf_token": csrf], cookies: cookies)
                #expect(verify.status == 403 && verify.text.contains(WebCatalog.text(.auditNotAllowed, in: .vi)), "\(verify)")
            }
        }
    }
}
