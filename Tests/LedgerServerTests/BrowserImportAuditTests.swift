import Foundation
import TestSupport
import Testing

/// The payment list import and the auditor's page in a real browser:
/// Tests/Browser/import_audit_flows.py (the flows 3 and 4, axe on each page,
/// screenshots in .build/test-artifacts/screenshots/).
@Suite(.enabled(if: TestDatabase.enabled))
struct BrowserImportAuditTests {
    @Test(.enabled(if: BrowserTools.runnable, BrowserTools.skipMessage), .timeLimit(.minutes(5)))
    func anOfficerImportsAListWithABadRowAndAnAuditorVerifiesAndDownloadsADigest() async throws {
        let python = try BrowserTools.require()
        try await TestDatabase.withFresh { db in
            let officer = try await PaymentImportRouteTests.prepare(db)
            let auditor = try await People.add(db, role: "auditor")
            try await RunningService.with(db) { service in
                try await withScratchFolder { work in
                    let script = OpenAPIFile.root.appendingPathComponent("Tests/Browser/import_audit_flows.py")
                    let run = try await ToolRun.run(
                        python, [script.path, service.baseURL.absoluteString, officer.user, officer.password, auditor.user, auditor.password,
                                 BrowserTools.screenshots.path, work.path],
                        timeout: .seconds(240)
                    )
                    #expect(run.status == 0, "Tests/Browser/import_audit_flows.py failed:\n\(run.output)")
                    #expect(run.output.contains("all browser checks passed"), "\(run.output)")
                    let downloaded = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("downloads").path)
                    #expect(downloaded.count == 1 && downloaded.first?.hasPrefix("ledger-digest-") == true, "\(downloaded)")
                }
                #expect(try await PaymentImportRouteTests.payments(db) == ["P-1": officer.user, "P-3": officer.user], "the valid rows, once")
                for page in ["import", "import-refused", "import-recorded", "audit", "audit-verified", "audit-history", "audit-not-allowed"] {
                    for width in ["desktop", "phone"] {
                        let shot = BrowserTools.screenshots.appendingPathComponent("\(page)-\(width).png")
                        #expect(FileManager.default.fileExists(atPath: shot.path), "no screenshot \(shot.path)")
                    }
                }
            }
        }
    }
}
