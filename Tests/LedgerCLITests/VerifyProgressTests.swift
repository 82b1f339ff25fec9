import EventStore
import Foundation
import TestSupport
import Testing

/// `ledger audit verify`'s progress line shows a total and the time left, as import and rebuild do.
@Suite(.enabled(if: TestDatabase.enabled))
struct VerifyProgressTests {
    @Test func verifyShowsTotalAndTimeLeft() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let head = try await DisbursementCommandTests.head(db)
            var environment = childEnvironment(db)
            environment["LEDGER_PROGRESS"] = "always"
            let run = try await LedgerBinary.run(["audit", "verify"], environment: environment)
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.contains("verifying: "), "\(run)")
            #expect(run.stderr.contains(" of \(head) (") && run.stderr.contains("s left"), "\(run)")
            #expect(!run.stdout.contains("\u{1B}"), "the progress line stays on stderr: \(run)")

            // Not a terminal and not forced: no progress line (logs and pipes stay clean).
            let quiet = try await LedgerBinary.run(["audit", "verify"], environment: childEnvironment(db))
            #expect(quiet.status == 0 && !quiet.stderr.contains("verifying:"), "\(quiet)")
        }
    }
}
