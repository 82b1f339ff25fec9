import Foundation
import Ledger
@testable import LedgerServer
import TestSupport
import Testing

/// The payment list import page (`/imports`): a CSV uploaded as a browser's multipart form, the
/// CLI's row report in the page's language, nothing recorded while a row is invalid unless
/// "record the valid rows" is ticked, and the same file again records nothing new.
@Suite(.enabled(if: TestDatabase.enabled))
struct WebImportTests {
    /// Signs in through the sign-in page; the session cookie and the form's CSRF token.
    static func signIn(_ client: WebClient, _ person: (user: String, password: String), page: String) async throws -> (cookie: String, csrf: String) {
        let signedIn = try await client.post("/sign-in", form: ["user": person.user, "password": person.password])
        let cookie = try #require(signedIn.cookie("ledger_session"), "\(signedIn)")
        let shown = try await client.get(page, cookies: ["ledger_session": cookie])
        return (cookie, try #require(shown.hiddenField("csrf_token"), "\(shown)"))
    }

    /// The form as a browser sends it: the CSRF token, the box when ticked, the file.
    static func upload(
        _ service: RunningService, cookie: String, csrf: String, csv: String?, skipInvalid: Bool = false, language: String? = nil
    ) async throws -> WebPage {
        let boundary = "----browser\(UUID().uuidString)"
        var parts: [(name: String, filename: String?, content: Data)] = [("csrf_token", nil, Data(csrf.utf8))]
        if skipInvalid { parts.append(("skip_invalid", nil, Data("true".utf8))) }
        parts.append(("file", csv == nil ? "" : "payments.csv", Data((csv ?? "").utf8)))
        var cookies = "ledger_session=\(cookie)"
        if let language { cookies += "; lang=\(language)" }
        let result = try await service.request(
            "POST", "/imports", body: PaymentImportRouteTests.multipart(parts, boundary: boundary),
            headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)", "Cookie": cookies]
        )
        return WebPage(status: result.status, headers: result.headers, text: result.text)
    }

    @Test func aBadRowIsListedAndNothingRecordedThenTheValidRowsAreThenNothingNew() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await PaymentImportRouteTests.prepare(db)
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let (cookie, csrf) = try await Self.signIn(client, officer, page: "/imports")
                let form = try await client.get("/imports", cookies: ["ledger_session": cookie])
                #expect(form.status == 200, "\(form)")
                #expect(form.text.contains(#"enctype="multipart/form-data""#), "\(form)")
                #expect(form.text.contains(#"<a href="/imports" aria-current="page">Nhập danh sách chi trả</a>"#), "in the navigation: \(form)")
                #expect(form.text.contains(#"<label for="skip_invalid">Ghi nhận các dòng hợp lệ</label>"#), "\(form)")
                let before = try await People.head(db)

                let csv = PaymentImportRouteTests.fileWithABadRow
                let refused = try await Self.upload(service, cookie: cookie, csrf: csrf, csv: csv)
                #expect(refused.status == 422, "\(refused)")
                // The CLI's table: line, column, problem; the problem in Vietnamese.
                #expect(refused.text.contains("<th scope=\"col\">Dòng</th><th scope=\"col\">Cột</th><th scope=\"col\">Vấn đề</th>"), "\(refused)")
                let row = try #require(refused.text.firstMatch(of: try Regex(#"<tr><td>3</td><td>amount_vnd</td><td>([^<]+)</td></tr>"#)), "\(refused)")
                #expect(!String(row.output[1].substring ?? "").isEmpty)
                #expect(refused.text.contains(WebCatalog.text(.importRefused, in: .vi, "1", "3", "2")), "\(refused)")
                #expect(refused.text.contains(#"<tr><th scope="row">Đã ghi nhận</th><td class="amount">0</td></tr>"#), "\(refused)")
                #expect(try await People.head(db) == before, "nothing was recorded")
                #expect(try await PaymentImportRouteTests.payments(db).isEmpty)

                let skipping = try await Self.upload(service, cookie: cookie, csrf: csrf, csv: csv, skipInvalid: true)
                #expect(skipping.status == 200, "\(skipping)")
                #expect(skipping.text.contains(WebCatalog.text(.importRecordedSkipping, in: .vi, "2", "1")), "\(skipping)")
                #expect(skipping.text.contains(#"<tr><td>3</td><td>amount_vnd</td>"#), "the bad row is still listed: \(skipping)")
                #expect(skipping.text.contains(#"<input id="skip_invalid" name="skip_invalid" type="checkbox" value="true" aria-describedby="skip_invalid-hint" checked>"#),
                        "the box stays ticked: \(skipping)")
                #expect(try await PaymentImportRouteTests.payments(db) == ["P-1": officer.user, "P-3": officer.user])
                let afterSkipping = try await People.head(db)

                let again = try await Self.upload(service, cookie: cookie, csrf: csrf, csv: csv, skipInvalid: true)
                #expect(again.status == 200, "\(again)")
                #expect(again.text.contains(#"<tr><th scope="row">Đã ghi nhận trước đó</th><td class="amount">2</td></tr>"#), "\(again)")
                #expect(again.text.contains(#"<tr><th scope="row">Đã ghi nhận</th><td class="amount">0</td></tr>"#), "\(again)")
                #expect(try await People.head(db) == afterSkipping, "nothing new")

                // A fixed file: the rows recorded before are counted as such, only the new one recorded.
                let fixed = csv.replacingOccurrences(of: "P-2,A-1,abc", with: "P-2,A-1,500000")
                let english = try await Self.upload(service, cookie: cookie, csrf: csrf, csv: fixed, language: "en")
                #expect(english.status == 200, "\(english)")
                #expect(english.text.contains(WebCatalog.text(.importRecorded, in: .en, "1")), "\(english)")
                #expect(english.text.contains(#"<tr><th scope="row">Already recorded</th><td class="amount">2</td></tr>"#), "\(english)")
                let again2 = try await Self.upload(service, cookie: cookie, csrf: csrf, csv: fixed, language: "en")
                #expect(again2.text.contains(WebCatalog.text(.importNothingNew, in: .en, "3")), "\(again2)")
            }
        }
    }

    @Test func ignoredColumnsAreWarnedAndAMissingOrWrongFileIsShownNextToTheField() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await PaymentImportRouteTests.prepare(db)
            try await RunningService.with(db) { service in
                let (cookie, csrf) = try await Self.signIn(WebClient(service), officer, page: "/imports")
                let extra = "\(PaymentImportRouteTests.header),note\nP-1,A-1,1000000,2024-03-15,bank,PC-001,x\n"
                let warned = try await Self.upload(service, cookie: cookie, csrf: csrf, csv: extra)
                #expect(warned.status == 200, "\(warned)")
                #expect(warned.text.contains(WebCatalog.text(.importIgnoredColumns, in: .vi, "&quot;note&quot;", PaymentImportFile.Column.headerLine)), "\(warned)")
                #expect(try await PaymentImportRouteTests.payments(db) == ["P-1": officer.user])

                let none = try await Self.upload(service, cookie: cookie, csrf: csrf, csv: nil)
                #expect(none.status == 400, "\(none)")
                #expect(none.text.contains(#"<p class="field-error" id="file-error">\#(WebCatalog.text(.importChooseFile, in: .vi))</p>"#), "\(none)")

                let notPayments = try await Self.upload(service, cookie: cookie, csrf: csrf, csv: "name,age\nA,3\n")
                #expect(notPayments.status == 400, "\(notPayments)")
                #expect(notPayments.text.contains(#"<p class="field-error" id="file-error">Đây không phải danh sách chi trả:"#), "\(notPayments)")

                let noToken = try await Self.upload(service, cookie: cookie, csrf: String(repeating: "0", count: 64), csv: extra)
                #expect(noToken.status == 403, "\(noToken)")
                #expect(noToken.text.contains(WebCatalog.text(.formExpired, in: .vi)), "\(noToken)")
            }
        }
    }

    @Test func anAuditorMayNotImport() async throws {
        try await TestDatabase.withFresh { db in
            let auditor = try await People.add(db, role: "auditor")
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let signedIn = try await client.post("/sign-in", form: ["user": auditor.user, "password": auditor.password])
                let cookie = try #require(signedIn.cookie("ledger_session"))
                let page = try await client.get("/imports", cookies: ["ledger_session": cookie])
                #expect(page.status == 403, "\(page)")
                #expect(page.text.contains(WebCatalog.text(.importNotAllowed, in: .vi)), "\(page)")
                #expect(!page.text.contains(#"href="/imports""#), "not in an auditor's navigation: \(page)")
            }
        }
    }
}
