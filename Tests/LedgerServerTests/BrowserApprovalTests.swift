import Foundation
import TestSupport
import Testing

/// The approver's flows in a real browser: Tests/Browser/approval_flows.py against `ledger serve
/// --follow-projections` on a private database (issue 10, flows 1 and 2): an officer submits an
/// application on the beneficiary's page, a second browser session approves it from the queue;
/// the officer then pays it and sees the statement change; the approver's own submission is
/// refused with the reason shown. Screenshots of the queue,
/// budget and loans pages go to .build/test-artifacts/screenshots/.
@Suite(.enabled(if: TestDatabase.enabled))
struct BrowserApprovalTests {
    @Test(.enabled(if: BrowserTools.runnable, BrowserTools.skipMessage), .timeLimit(.minutes(5)))
    func anApproverApprovesFromTheQueueButNotTheirOwn() async throws {
        let python = try BrowserTools.require()
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            let approver = try await People.add(db, role: "approver")
            // The approver also submits (as an officer): four eyes keeps them from deciding A-2.
            try await ReadFixture.grant(db, "ledger_officer", to: approver.user)
            let submitted = try await ReadFixture.ledger(db, [
                "application", "submit", "--id", "A-2", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "5000000",
                "--submitted-on", "2024-03-02",
            ], as: approver)
            #expect(submitted.status == 0, "\(submitted)")
            // A loan past due by mid-2025, for the loans page.
            try await WebBudgetTests.loan(db)
            try await ReadFixture.catchUp(db)
            try await RunningService.with(db, arguments: ["--follow-projections"]) { service in
                let script = OpenAPIFile.root.appendingPathComponent("Tests/Browser/approval_flows.py")
                let run = try await ToolRun.run(
                    python, [script.path, service.baseURL.absoluteString, officer.user, officer.password, approver.user, approver.password,
                             BrowserTools.screenshots.path],
                    timeout: .seconds(240)
                )
                #expect(run.status == 0, "Tests/Browser/approval_flows.py failed:\n\(run.output)")
                #expect(run.output.contains("all approval checks passed"), "\(run.output)")
                for page in ["queue", "budget", "loans"] {
                    for width in ["desktop", "phone"] {
                        let shot = BrowserTools.screenshots.appendingPathComponent("\(page)-\(width).png")
                        #expect(FileManager.default.fileExists(atPath: shot.path), "no screenshot \(shot.path)")
                    }
                }
            }
            // Approved once, by the approver signed in; A-2 still waits.
            #expect(try await WebQueueTests.events(db, "ApplicationApproved", "A-WEB") == [approver.user])
            #expect(try await WebQueueTests.events(db, "ApplicationApproved", "A-2").isEmpty)
            #expect(try await WebQueueTests.events(db, "ApplicationSubmitted", "A-WEB") == [officer.user])
            // Flow 1 ends with the officer's payment on A-WEB, recorded once, by the officer.
            #expect(try await WebQueueTests.events(db, "PaymentRecorded", "A-WEB") == [officer.user])
        }
    }
}
