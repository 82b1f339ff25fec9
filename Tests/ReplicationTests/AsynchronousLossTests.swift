import Foundation
import LocalCluster
import TestSupport
import Testing

/// A primary with an asynchronous standby that falls behind while officers go on recording; the
/// primary is lost and the standby promoted. The operator then follows docs/operations.md
/// "Asynchronous replication: what can be lost" step by step, with `ledger` commands only.
@Suite(.enabled(if: TestDatabase.enabled), .serialized, .timeLimit(.minutes(5)))
struct AsynchronousLossTests {
    /// A payment an officer recorded (exit 0) and the command id the command printed.
    struct Acknowledged: Sendable {
        let officer: String
        let paymentID: String
        let arguments: [String]
        let commandID: String
    }

    @Test func theCommandsAnAsynchronousStandbyLostAreFoundByCommandIDAndRecordedAgain() async throws {
        try await ReplicaSet.with(synchronous: false) { set in
            try await set.approvedApplications(1)
            let clients = set.multiHostEnvironment()

            // Streamed: one payment per officer, replayed by the standby; the auditor keeps a digest.
            var streamed: [Acknowledged] = []
            for officer in ReplicaSet.officers {
                streamed.append(try await Self.record(as: officer, number: 1, set: set))
            }
            try set.waitForStandbyToCatchUp()
            let kept = set.cluster.folder.appendingPathComponent("kept.digest")
            try await set.ledger(["audit", "digest", "--out", kept.path])
            let keptPosition = try Self.position(of: kept)

            // The standby falls behind (stopped, so it receives nothing); the primary goes on
            // acknowledging commits, and a later digest is taken of them.
            try set.standby.stop()
            var lost: [Acknowledged] = []
            for (officer, number) in [(ReplicaSet.officers[0], 2), (ReplicaSet.officers[1], 2), (ReplicaSet.officers[0], 3), (ReplicaSet.officers[2], 2)] {
                lost.append(try await Self.record(as: officer, number: number, set: set))
            }
            let late = set.cluster.folder.appendingPathComponent("late.digest")
            try await set.ledger(["audit", "digest", "--out", late.path])
            let latePosition = try Self.position(of: late)
            #expect(latePosition > keptPosition)

            // The primary is lost; the standby comes back and is promoted with what it has.
            try set.primary.crash()
            try set.standby.start()
            try set.standby.promote()

            // 1. Before anyone writes: `ledger status` on the new primary gives the head H.
            let status = try await Self.status(clients)
            let head = status.headPosition
            #expect(head == keptPosition, "the new primary's head \(head); the standby had replayed up to \(keptPosition)")
            #expect(status.events == head, "positions are gapless: \(status.events) events up to \(head)")

            // 2. The later digest names P > H: verify says events H+1…P were removed (exit 2);
            //    the digest kept before the standby fell behind verifies.
            let beyond = try await LedgerBinary.run(["audit", "verify", "--digest", late.path], environment: clients)
            #expect(beyond.status == 2, "\(beyond)")
            #expect((beyond.stdout + beyond.stderr).contains(
                "the digest names position \(latePosition) but the log ends at \(head): events were removed"), "\(beyond)")
            let before = try await LedgerBinary.run(["audit", "verify", "--digest", kept.path, "--format", "json"], environment: clients)
            #expect(before.status == 0 && before.stdout.contains("\"intact\" : true"), "\(before)")

            // 3. The old primary's disk can still be read: started on its own, read-only (the
            //    clients' string is not used while it runs), it lists what it has after H, with
            //    each command id.
            try set.primary.configure(["default_transaction_read_only": "on"])
            try set.primary.start()
            let after = try await LedgerBinary.run(["events", "list", "--after", String(head), "--format", "json"],
                                                   environment: set.environment(set.primary))
            try set.primary.stop()
            #expect(after.status == 0, "\(after)")
            let onTheOldPrimary = Set(try Self.commandIDs(in: after.stdout))
            #expect(onTheOldPrimary == Set(lost.map(\.commandID)), "after \(head) on the old primary: \(onTheOldPrimary)")

            // 4. The senders' command ids, checked on the new primary: exactly the ones recorded
            //    after the standby fell behind are not recorded, and the check says so.
            var notRecorded: [String] = []
            for payment in streamed + lost {
                let check = try await LedgerBinary.run(["events", "list", "--command-id", payment.commandID], environment: clients)
                #expect(check.status == 0, "\(check)")
                if check.stderr.contains("no events under command id \(payment.commandID): that command is not recorded") {
                    notRecorded.append(payment.commandID)
                    #expect(!check.stdout.contains("PaymentRecorded"), "\(check)")
                } else {
                    #expect(check.stdout.contains("PaymentRecorded"), "\(check)")
                }
            }
            #expect(notRecorded == lost.map(\.commandID), "not recorded: \(notRecorded); lost: \(lost.map(\.paymentID))")

            // Re-run: the same commands, unchanged. The lost ones are recorded now; one that was
            // not lost answers that it was already recorded.
            for payment in lost {
                let rerun = try await LedgerBinary.run(payment.arguments, environment: set.multiHostEnvironment(user: payment.officer))
                #expect(rerun.status == 0 && !rerun.stdout.contains("already recorded"), "\(rerun)")
                #expect(Self.commandID(in: rerun.stdout) == payment.commandID, "\(rerun)")
                let position = rerun.stdout.firstMatch(of: /positions:\s+(\d+)/).flatMap { Int64($0.output.1) } ?? -1
                #expect(position > head, "recorded again at \(position), after the head \(head): \(rerun)")
                let check = try await LedgerBinary.run(["events", "list", "--command-id", payment.commandID, "--format", "json"],
                                                       environment: clients)
                #expect(check.status == 0 && check.stdout.contains("PaymentRecorded") && check.stdout.contains(payment.paymentID), "\(check)")
            }
            let again = try await LedgerBinary.run(streamed[0].arguments, environment: set.multiHostEnvironment(user: streamed[0].officer))
            #expect(again.status == 0 && again.stdout.contains("nothing new (already recorded)"), "\(again)")
            #expect(Self.commandID(in: again.stdout) == streamed[0].commandID, "\(again)")

            // The chain is intact and continues the kept digest; the late digest no longer
            // describes this log: its positions now hold the events recorded again, with other
            // hashes (one event per payment, so the log reaches its position again).
            let end = try await Self.status(clients)
            #expect(end.events == end.headPosition && end.headPosition == latePosition, "\(end)")
            let verify = try await LedgerBinary.run(["audit", "verify", "--format", "json"], environment: clients)
            #expect(verify.status == 0 && verify.stdout.contains("\"intact\" : true"), "\(verify)")
            let keptAfter = try await LedgerBinary.run(["audit", "verify", "--digest", kept.path, "--format", "json"], environment: clients)
            #expect(keptAfter.status == 0 && keptAfter.stdout.contains("\"intact\" : true"), "\(keptAfter)")
            let lateAfter = try await LedgerBinary.run(["audit", "verify", "--digest", late.path], environment: clients)
            #expect(lateAfter.status == 2 && lateAfter.stdout.contains("NOT INTACT"), "\(lateAfter)")
            #expect(lateAfter.stdout.contains("the hash at position \(latePosition) is not the digest's: history up to it was rewritten"),
                    "\(lateAfter)")
        }
    }

    /// `ledger payment record` as an officer at a desk runs it (table output, through the
    /// clients' multi-host string); fails unless it exits 0.
    static func record(as officer: String, number: Int, set: ReplicaSet) async throws -> Acknowledged {
        let paymentID = "P-\(officer)-\(number)"
        let arguments = ["payment", "record", "--application", "A-1", "--payment-id", paymentID, "--amount", "50000",
                         "--paid-on", "2024-03-06", "--method", "bank", "--voucher", "PC-\(officer)-\(number)"]
        let run = try await LedgerBinary.run(arguments, environment: set.multiHostEnvironment(user: officer))
        guard run.status == 0, let commandID = commandID(in: run.stdout) else { throw LocalClusterError("\(run)") }
        return Acknowledged(officer: officer, paymentID: paymentID, arguments: arguments, commandID: commandID)
    }

    /// The `command id` line of a write's table output.
    static func commandID(in stdout: String) -> String? {
        stdout.firstMatch(of: /command id:\s+(\S+)/).map { String($0.output.1) }
    }

    /// The position a kept digest file names.
    static func position(of digest: URL) throws -> Int64 {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: digest)) as? [String: Any]
        guard let position = (object?["position"] as? NSNumber)?.int64Value else { throw LocalClusterError("no position in \(digest.path)") }
        return position
    }

    struct Status: CustomStringConvertible {
        let headPosition: Int64
        let events: Int64
        var description: String { "head \(headPosition), \(events) events" }
    }

    /// `ledger status --format json`.
    static func status(_ environment: [String: String]) async throws -> Status {
        let run = try await LedgerBinary.run(["status", "--format", "json"], environment: environment)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] ?? [:]
        guard run.status == 0, let head = (object["head_position"] as? NSNumber)?.int64Value,
              let events = (object["events"] as? NSNumber)?.int64Value else { throw LocalClusterError("\(run)") }
        return Status(headPosition: head, events: events)
    }

    /// The command ids in `ledger events list --format json` (each event's metadata).
    static func commandIDs(in json: String) throws -> [String] {
        let events = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        return events.compactMap { ($0["metadata"] as? [String: Any])?["command_id"] as? String }
    }
}
