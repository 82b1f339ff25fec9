import Foundation
import TestSupport
import Testing

/// The beneficiary's page in a real browser: Tests/Browser/beneficiary_flows.py (as BrowserTests:
/// headless chromium, Selenium, axe; screenshots in .build/test-artifacts/screenshots/).
@Suite(.enabled(if: TestDatabase.enabled))
struct BrowserBeneficiaryTests {
    @Test(.enabled(if: BrowserTools.runnable, BrowserTools.skipMessage), .timeLimit(.minutes(5)))
    func anOfficerSubmitsAndPaysAndSeesTheStatementsBalanceChange() async throws {
        let python = try BrowserTools.require()
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            let approver = try await People.add(db, role: "approver")
            try await People.ledger(db, ["projections", "run"])
            try await RunningService.with(db) { service in
                let script = OpenAPIFile.root.appendingPathComponent("Tests/Browser/beneficiary_flows.py")
                let run = try await ToolRun.run(
                    python, [script.path, service.baseURL.absoluteString, officer.user, officer.password, approver.user, approver.password,
                             BrowserTools.screenshots.path],
                    timeout: .seconds(240)
                )
                #expect(run.status == 0, "Tests/Browser/beneficiary_flows.py failed:\n\(run.output)")
                #expect(run.output.contains("all beneficiary browser checks passed"), "\(run.output)")
                for page in ["register", "beneficiary-page", "beneficiary-form-error", "beneficiary-paid", "statement", "statement-print"] {
                    for width in ["desktop", "phone"] {
                        let shot = BrowserTools.screenshots.appendingPathComponent("\(page)-\(width).png")
                        #expect(FileManager.default.fileExists(atPath: shot.path), "no screenshot \(shot.path)")
                    }
                }
            }
        }
    }
}
