import Foundation
import LocalCluster
import TestSupport
import Testing

/// A primary with a synchronous standby, killed with SIGKILL while a payment import and several
/// officers write; the standby promoted. Nothing a command acknowledged (exit 0) may be missing.
@Suite(.enabled(if: TestDatabase.enabled), .serialized, .timeLimit(.minutes(5)))
struct FailoverTests {
    /// Rows in the import file: three applications × 400 payments of 50.000 ₫, so three appends
    /// (500 events each at most) that the crash can land between.
    static let importApplications = 1...3
    static let rowsPerApplication = 400
    static let importRows = importApplications.count * rowsPerApplication

    @Test func aPromotedSynchronousStandbyHasEveryAcknowledgedCommandAndTheInterruptedImportCompletes() async throws {
        try await ReplicaSet.with(synchronous: true) { set in
            // A-1…A-3 for the import, A-4… one per officer.
            try await set.approvedApplications(Self.importApplications.count + ReplicaSet.officers.count, amount: 40_000_000)
            let file = set.cluster.folder.appendingPathComponent("payments.csv")
            var csv = "payment_id,application_id,amount_vnd,paid_on,method,voucher\n"
            for application in Self.importApplications {
                for n in 1...Self.rowsPerApplication {
                    csv += "IMP-\(application)-\(n),A-\(application),50000,2024-03-05,bank,UNC-\(application)-\(n)\n"
                }
            }
            try Data(csv.utf8).write(to: file)
            let digest = set.cluster.folder.appendingPathComponent("before-the-kill.digest")
            let environment = set.multiHostEnvironment()
            let journal = Journal()

            let importRun = try await withThrowingTaskGroup(of: LedgerRun?.self) { group in
                group.addTask {
                    let run = try await LedgerBinary.run(["payment", "import", file.path, "--format", "json"],
                                                         environment: set.multiHostEnvironment(user: ReplicaSet.officers[0]))
                    await journal.importFinished()
                    return run
                }
                for (index, officer) in ReplicaSet.officers.enumerated() {
                    group.addTask {
                        try await Self.recordPayments(as: officer, on: "A-\(Self.importApplications.count + 1 + index)", set: set, journal: journal)
                        return nil
                    }
                }
                group.addTask {
                    // Mid-way: once the officers have a few payments in and the import has begun recording.
                    let deadline = Date().addingTimeInterval(30)
                    while Date() < deadline {
                        let imported = Int((try? set.primary.psql(
                            "SELECT count(*) FROM ledger.payment_ids WHERE payment_id LIKE 'IMP-%'", database: ReplicaSet.database)) ?? "") ?? 0
                        let done = await journal.importDone
                        if await journal.successes.count >= 6, imported > 0 || done { break }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    // A digest an auditor kept before the failure (a read, on the primary).
                    try await set.ledger(["audit", "digest", "--out", digest.path])
                    await journal.mark(.crashed)
                    try set.primary.crash()
                    try set.standby.promote()
                    await journal.mark(.promoted)  // after: a command that ends now ran on the new primary
                    return nil
                }
                var importRun: LedgerRun?
                for try await run in group { if let run { importRun = run } }
                return importRun
            }
            let newPrimary = set.standby
            let successes = await journal.successes
            let failures = await journal.failures

            // 1. Every acknowledged payment is on the new primary.
            let recorded = Set(try newPrimary.psql("SELECT payment_id FROM ledger.payment_ids", database: ReplicaSet.database)
                .split(separator: "\n").map(String.init))
            let lost = successes.filter { !recorded.contains($0.paymentID) }
            #expect(lost.isEmpty, "acknowledged (exit 0) but missing after the failover: \(lost.map { "\($0.paymentID) (command id \($0.commandID), \($0.phase))" })")
            if let importRun, importRun.status == 0 {
                let missing = (Self.importApplications).flatMap { a in (1...Self.rowsPerApplication).map { "IMP-\(a)-\($0)" } }
                    .filter { !recorded.contains($0) }
                #expect(missing.isEmpty, "the import exited 0 but these rows are missing: \(missing.prefix(20))")
            }
            // Officers went on through the same connection string after the promotion.
            for officer in ReplicaSet.officers {
                #expect(successes.contains { $0.officer == officer && $0.phase == .promoted }, "\(officer) recorded nothing after the promotion")
            }

            // 2. Positions are gapless; the chain and the digest kept before the kill verify.
            let counts = try newPrimary.psql(
                "SELECT count(*) || ' ' || coalesce(min(position), 0) || ' ' || coalesce(max(position), 0) FROM ledger.events",
                database: ReplicaSet.database)
            let head = try set.head(on: newPrimary)
            #expect(counts == "\(head) 1 \(head)", "events: count, first, last = \(counts); head \(head)")
            let verify = try await LedgerBinary.run(["audit", "verify", "--digest", digest.path, "--format", "json"], environment: environment)
            #expect(verify.status == 0 && verify.stdout.contains("\"intact\" : true"), "\(verify)")

            // 3. The commands that failed at the crash said the connection was lost and that running them again is safe.
            #expect(!failures.contains { $0.phase == .running }, "failed before the kill: \(failures.filter { $0.phase == .running }.map(\.run))")
            for failure in failures where Self.lostConnection(failure.run) {
                #expect(failure.run.stderr.contains("Running it again is safe"), "\(failure.run)")
                // Lost while appending: the message names the command id, and the log says it is recorded
                // now (the officer ran the same command again until it succeeded).
                if let match = failure.run.stderr.firstMatch(of: /Command id: (\S+) \(/) {
                    let commandID = String(match.output.1)
                    let events = try await LedgerBinary.run(["events", "list", "--command-id", commandID, "--format", "json"], environment: environment)
                    #expect(events.status == 0 && events.stdout.contains("PaymentRecorded"), "\(events)")
                }
            }
            // Commands started while no server accepted writes, or while the primary was dying, say why
            // and when to try again.
            for failure in failures where failure.run.stderr.contains("cannot connect to PostgreSQL") {
                #expect(failure.run.stderr.contains("no server in the connection string accepts writes now")
                        || failure.run.stderr.contains("the server closed the connection while it was being opened"), "\(failure.run)")
            }
            let unknown = try await LedgerBinary.run(["events", "list", "--command-id", "no-such-command"], environment: environment)
            #expect(unknown.status == 0 && unknown.stderr.contains("no events under command id no-such-command: that command is not recorded"),
                    "\(unknown)")
            if let importRun, importRun.status != 0 {
                #expect(Self.lostConnection(importRun) && importRun.stderr.contains("Import the same file again"), "\(importRun)")
            }

            // 4. Importing the file again records exactly the rows that were missing.
            let imported = Int(try newPrimary.psql(
                "SELECT count(*) FROM ledger.payment_ids WHERE payment_id LIKE 'IMP-%'", database: ReplicaSet.database)) ?? -1
            let rerun = try await LedgerBinary.run(["payment", "import", file.path, "--format", "json"],
                                                   environment: set.multiHostEnvironment(user: ReplicaSet.officers[0]))
            #expect(rerun.status == 0, "\(rerun)")
            let summary = try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any] ?? [:]
            #expect(summary["recorded"] as? Int == Self.importRows - imported, "\(imported) rows were in before: \(rerun)")
            #expect(summary["already_recorded"] as? Int == imported, "\(rerun)")
            #expect(try newPrimary.psql("SELECT count(*) FROM ledger.payment_ids WHERE payment_id LIKE 'IMP-%'",
                                        database: ReplicaSet.database) == String(Self.importRows))
            let after = try await LedgerBinary.run(["audit", "verify", "--digest", digest.path, "--format", "json"], environment: environment)
            #expect(after.status == 0 && after.stdout.contains("\"intact\" : true"), "\(after)")
        }
    }

    /// Whether a failed run's message is about a connection lost mid-way.
    static func lostConnection(_ run: LedgerRun) -> Bool {
        run.stderr.contains("connection to the database server was lost")
    }

    /// An officer at a desk: records payments one after another; a command that fails is run
    /// again (the same payment, so the same command id) after a moment, until it succeeds.
    static func recordPayments(as officer: String, on application: String, set: ReplicaSet, journal: Journal) async throws {
        let environment = set.multiHostEnvironment(user: officer)
        var n = 1
        let deadline = Date().addingTimeInterval(45)
        while Date() < deadline {
            let phase = await journal.phase
            if phase == .promoted, await journal.successes.filter({ $0.officer == officer && $0.phase == .promoted }).count >= 2 { return }
            let paymentID = "P-\(officer)-\(n)"
            let run = try await LedgerBinary.run([
                "payment", "record", "--application", application, "--payment-id", paymentID, "--amount", "50000",
                "--paid-on", "2024-03-06", "--method", "bank", "--voucher", "PC-\(officer)-\(n)", "--format", "json",
            ], environment: environment)
            // The phase the command ended in (a command that exits 0 after the kill ran on the promoted standby).
            let ended = await journal.phase
            if run.status == 0 {
                let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] ?? [:]
                await journal.succeeded(.init(officer: officer, paymentID: paymentID, commandID: json["command_id"] as? String ?? "?", phase: ended))
                n += 1
            } else {
                await journal.failed(.init(run: run, phase: ended))
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw LocalClusterError("\(officer) did not record two payments after the promotion within 45 s")
    }
}

/// What the officers' commands did, as they did it.
actor Journal {
    enum Phase: String, Sendable { case running, crashed, promoted }
    struct Success: Sendable {
        let officer: String
        let paymentID: String
        let commandID: String
        let phase: Phase
    }
    struct Failure: Sendable {
        let run: LedgerRun
        let phase: Phase
    }

    private(set) var phase = Phase.running
    private(set) var successes: [Success] = []
    private(set) var failures: [Failure] = []
    private(set) var importDone = false

    func mark(_ phase: Phase) { self.phase = phase }
    func succeeded(_ success: Success) { successes.append(success) }
    func failed(_ failure: Failure) { failures.append(failure) }
    func importFinished() { importDone = true }
}
