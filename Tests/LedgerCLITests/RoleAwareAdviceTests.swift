import Foundation
import TestSupport
import Testing

/// Advice in messages is something the reader may do: only an admin may run the projections, so
/// an admin is told the command and an officer (or auditor) to ask an administrator.
@Suite(.enabled(if: TestDatabase.enabled))
struct RoleAwareAdviceTests {
    /// Commands that read the read models and warn when they are behind the log.
    static let readers: [[String]] = [
        ["report", "budget"], ["report", "loans", "--as-of", "2024-12-31"], ["application", "list"], ["payment", "list"],
    ]

    @Test func anOfficerIsToldToAskAnAdministratorAndAnAdminIsToldTheCommand() async throws {
        try await TestDatabase.withFresh { db in
            // Recorded and not yet folded: every read model is behind the log.
            try await DisbursementCommandTests.prepared(db)
            let admin = try await TestDatabase.loginRole("advice_adm", memberOf: ["ledger_admin"])
            let officer = try await TestDatabase.loginRole("advice_off", memberOf: ["ledger_officer"])
            let auditor = try await TestDatabase.loginRole("advice_aud", memberOf: ["ledger_auditor"])
            for command in Self.readers {
                let asAdmin = try await LedgerBinary.run(command, environment: childEnvironment(db, user: admin))
                #expect(asAdmin.status == 0, "\(command): \(asAdmin)")
                #expect(asAdmin.stderr.contains("behind the log") && asAdmin.stderr.contains("; run `ledger projections run` to catch up"),
                        "\(command): \(asAdmin)")
                #expect(!asAdmin.stderr.contains("administrator"), "\(command): \(asAdmin)")

                for reader in [officer, auditor] {
                    let run = try await LedgerBinary.run(command, environment: childEnvironment(db, user: reader))
                    #expect(run.status == 0, "\(command): \(run)")
                    #expect(run.stderr.contains("behind the log")
                            && run.stderr.contains("; ask an administrator to run `ledger projections run` to catch up"), "\(command): \(run)")
                    #expect(!run.stderr.contains("; run `ledger"), "\(command): \(run)")
                }
            }
            // What the advice asks for works for the admin, and an officer may not do it.
            let refused = try await LedgerBinary.run(["projections", "run"], environment: childEnvironment(db, user: officer))
            #expect(refused.status != 0, "\(refused)")
            let caughtUp = try await LedgerBinary.run(["projections", "run"], environment: childEnvironment(db, user: admin))
            #expect(caughtUp.status == 0, "\(caughtUp)")
            let fresh = try await LedgerBinary.run(["report", "budget"], environment: childEnvironment(db, user: officer))
            #expect(fresh.status == 0 && !fresh.stderr.contains("behind the log"), "\(fresh)")
        }
    }
}
