import Foundation
import LocalCluster
import TestSupport
import Testing

/// Readers on a hot standby: every read-only command works there (nothing a reader does needs a
/// write), says how far the standby is behind, refuses writes clearly, and waits for (or names)
/// a digest the standby has not yet replayed.
@Suite(.enabled(if: TestDatabase.enabled), .serialized, .timeLimit(.minutes(5)))
struct StandbyReaderTests {
    static let auditor = "auditor_thu"

    /// Records `count` payments P-<first>… on the approved applications A-1…, one each, as an officer.
    static func recordPayments(_ set: ReplicaSet, _ ids: ClosedRange<Int>, application: (Int) -> String) async throws {
        for n in ids {
            try await set.ledger(["payment", "record", "--application", application(n), "--payment-id", "P-\(n)", "--amount", "1000000",
                                  "--paid-on", "2024-03-05", "--method", "bank", "--voucher", "PC-\(n)"], user: ReplicaSet.officers[1])
        }
    }

    @Test func everyReadOnlyCommandWorksOnTheStandbyAndSaysHowFarBehindItIs() async throws {
        try await ReplicaSet.with(synchronous: false) { set in
            try await set.approvedApplications(2)
            try await Self.recordPayments(set, 1...2) { "A-\($0)" }
            try await set.ledger(["user", "add", Self.auditor, "--role", "auditor"])
            try await set.ledger(["projections", "run"])
            let digestFile = set.cluster.folder.appendingPathComponent("head.json")
            try await set.ledger(["audit", "digest", "--out", digestFile.path])
            try set.waitForStandbyToCatchUp()
            let head = try set.head(on: set.primary)
            let folder = set.cluster.folder

            let key = folder.appendingPathComponent("head.key")
            try await set.ledger(["audit", "keygen", "--out", key.path])
            let signedHead = folder.appendingPathComponent("signed-head.json")
            try await set.ledger(["audit", "digest", "--sign-key", key.path, "--out", signedHead.path])
            try set.waitForStandbyToCatchUp()

            // (arguments, user, what stdout must show)
            let officer = ReplicaSet.officers[0]
            let reads: [([String], String, String)] = [
                (["status"], officer, "head position:    \(head)"),
                (["status", "--format", "json"], Self.auditor, "\"head_position\" : \(head)"),
                (["audit", "verify"], Self.auditor, "intact"),
                (["audit", "verify", "--digest", digestFile.path], Self.auditor, "position \(head) matches"),
                (["audit", "verify", "--since", digestFile.path], Self.auditor, "intact"),
                (["audit", "verify", "--chain-only"], "postgres", "intact"),
                (["audit", "export", "--out", folder.appendingPathComponent("export.ndjson").path], Self.auditor, ""),
                (["audit", "history", "--stream", "application-A-1"], Self.auditor, "PaymentRecorded"),
                (["audit", "history", "--beneficiary", "HH-1"], officer, "PaymentRecorded"),
                (["audit", "digest"], Self.auditor, "\"position\" : \(head)"),
                (["audit", "prove", "--payment-id", "P-1", "--digest", digestFile.path], Self.auditor, "ledger-inclusion-proof-v1"),
                (["audit", "prove", "--payment-id", "P-2"], officer, "ledger-inclusion-proof-v1"),
                (["audit", "consistency", digestFile.path, signedHead.path], Self.auditor, "ledger-consistency-proof-v1"),
                (["audit", "receipt", "--payment-id", "P-1", "--digest", signedHead.path,
                  "--out", folder.appendingPathComponent("receipt.json").path], Self.auditor, ""),
                (["audit", "schema"], "postgres", ""),
                (["audit", "reconcile"], Self.auditor, ""),
                (["report", "budget"], officer, "2,000,000"),
                (["report", "budget", "--format", "json"], Self.auditor, "\"paid_vnd\" : 2000000"),
                (["report", "beneficiary", "HH-1"], officer, "P-1"),
                (["report", "loans"], Self.auditor, ""),
                (["replay", "--until-position", String(head)], Self.auditor, "2,000,000"),
                (["replay", "--as-of", "2100-01-01", "--format", "json"], "postgres", "\"paid_vnd\" : 2000000"),
                (["application", "list"], officer, "A-2"),
                (["application", "show", "A-1"], officer, "P-1"),
                (["beneficiary", "search", "--name", "Hộ"], officer, "HH-2"),
                (["beneficiary", "show", "HH-1"], officer, "A-1"),
                (["payment", "list"], officer, "P-2"),
                (["program", "list"], officer, "NQ12-HOUSING"),
                (["place", "list"], officer, "Ninh Kiều"),
                (["events", "list"], Self.auditor, "PaymentRecorded"),
                (["events", "list", "--stream", "application-A-1"], "postgres", "PaymentRecorded"),
                (["projections", "status"], Self.auditor, "budget_usage"),
                (["user", "list"], "postgres", Self.auditor),
            ]
            var failures: [String] = []
            for (arguments, user, expected) in reads {
                let run = try await LedgerBinary.run(arguments, environment: set.environment(set.standby, user: user))
                let line = "ledger: reading from a standby: it has replayed the log up to position \(head) (head hash "
                if run.status != 0 || !(expected.isEmpty || run.stdout.contains(expected)) || !run.stderr.contains(line)
                    || !run.stderr.contains("everything it has received is replayed") {
                    failures.append("as \(user): \(run)")
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")

            // The standby's status in `status` and in verify's JSON; absent on the primary, which says nothing.
            let status = try await set.ledger(["status"], on: set.standby, user: officer)
            #expect(status.stdout.contains("server:           reading from a standby: it has replayed the log up to position \(head)"), "\(status)")
            let verify = try await set.ledger(["audit", "verify", "--format", "json"], on: set.standby, user: Self.auditor)
            #expect(verify.stdout.contains("\"standby\" : {"), "\(verify)")
            #expect(verify.stdout.contains("\"head_position\" : \(head)") && verify.stdout.contains("\"receiving_from_primary\" : true")
                    && verify.stdout.contains("\"bytes_not_replayed\" : 0"), "\(verify)")
            let onPrimary = try await set.ledger(["audit", "verify", "--format", "json"], user: Self.auditor)
            #expect(!onPrimary.stdout.contains("standby") && onPrimary.stderr.isEmpty, "\(onPrimary)")
            let statusOnPrimary = try await set.ledger(["status"], user: officer)
            #expect(!statusOnPrimary.stdout.contains("server") && statusOnPrimary.stderr.isEmpty, "\(statusOnPrimary)")

            // In Vietnamese.
            let vi = try await set.ledger(["report", "budget", "--locale", "vi"], on: set.standby, user: officer)
            #expect(vi.stderr.contains("ledger: đang đọc từ máy chủ dự phòng: máy này đã phát lại sổ cái đến vị trí \(head)"), "\(vi)")

            // Reconcile compares in its snapshot without temporary tables there; a difference is still found.
            let reconcile = try await set.ledger(["audit", "reconcile", "--format", "json"], on: set.standby, user: Self.auditor)
            #expect(reconcile.stdout.contains("\"differences\" : 0") && !reconcile.stdout.contains("\"rows_differing\" : 1"), "\(reconcile)")
            _ = try set.primary.psql("UPDATE ledger_read.budget_usage SET paid_vnd = paid_vnd + 1", database: ReplicaSet.database)
            try set.waitForStandbyToCatchUp()
            let differs = try await LedgerBinary.run(["audit", "reconcile"], environment: set.environment(set.standby, user: Self.auditor))
            #expect(differs.status == 2 && differs.stdout.contains("paid_vnd"), "\(differs)")

            // Nothing on the standby was written to: it still replays exactly the primary's WAL.
            try set.waitForStandbyToCatchUp()
            #expect(try set.head(on: set.standby) == set.head(on: set.primary))
        }
    }

    @Test func aDigestTheStandbyHasNotYetReplayedIsNotTamperingAndWaitWaitsForIt() async throws {
        try await ReplicaSet.with(synchronous: false) { set in
            try await set.approvedApplications(2)
            try await set.ledger(["user", "add", Self.auditor, "--role", "auditor"])
            try set.waitForStandbyToCatchUp()
            let before = try set.head(on: set.standby)
            _ = try set.standby.psql("SELECT pg_wal_replay_pause()")
            try await Self.recordPayments(set, 1...2) { "A-\($0)" }
            let digest = set.cluster.folder.appendingPathComponent("digest.json")
            try await set.ledger(["audit", "digest", "--out", digest.path], user: Self.auditor)
            let head = try set.head(on: set.primary)
            #expect(head == before + 2)
            // The standby has received the payments but not replayed them.
            let lsn = try set.primary.psql("SELECT pg_current_wal_lsn()")
            try set.standby.waitFor("SELECT pg_last_wal_receive_lsn() >= '\(lsn)'::pg_lsn", toBe: "t")

            let behind = try await LedgerBinary.run(["audit", "verify", "--digest", digest.path],
                                                    environment: set.environment(set.standby, user: Self.auditor))
            #expect(behind.status == 75, "\(behind)")
            #expect(behind.stderr.contains(
                "--digest: this standby has replayed the log up to position \(before); the digest is of position \(head): "
                    + "not yet replayed here — wait (--wait SECONDS), or verify against the primary"), "\(behind)")
            #expect(behind.stderr.contains("bytes received but not yet replayed") && behind.stderr.contains("replay is paused"), "\(behind)")
            #expect(!behind.stdout.contains("NOT INTACT") && !behind.stderr.contains("NOT INTACT"), "\(behind)")
            // --since with the same head, and --wait that runs out: the same answer.
            let since = try await LedgerBinary.run(["audit", "verify", "--since", digest.path, "--wait", "0.5"],
                                                   environment: set.environment(set.standby, user: Self.auditor))
            #expect(since.status == 75 && since.stderr.contains("--since: this standby has replayed the log up to position \(before)"), "\(since)")

            // A proof against that head, and a consistency proof up to it: the same, without --wait.
            let prove = try await LedgerBinary.run(["audit", "prove", "--payment-id", "P-2", "--digest", digest.path],
                                                   environment: set.environment(set.standby, user: Self.auditor))
            #expect(prove.status == 75 && prove.stderr.contains(
                "--digest: this standby has replayed the log up to position \(before); the digest is of position \(head): "
                    + "not yet replayed here — try again later, or run it against the primary"), "\(prove)")
            let consistency = try await LedgerBinary.run(["audit", "consistency", digest.path, digest.path],
                                                         environment: set.environment(set.standby, user: Self.auditor))
            #expect(consistency.status == 75 && consistency.stderr.contains("NEW: this standby has replayed the log up to position \(before)"),
                    "\(consistency)")

            // Replay resumes while verify waits: it passes.
            async let waited = LedgerBinary.run(["audit", "verify", "--digest", digest.path, "--wait", "30"],
                                                environment: set.environment(set.standby, user: Self.auditor))
            try await Task.sleep(nanoseconds: 500_000_000)
            _ = try set.standby.psql("SELECT pg_wal_replay_resume()")
            let passed = try await waited
            #expect(passed.status == 0 && passed.stdout.contains("digest:         position \(head) matches"), "\(passed)")
            #expect(passed.stderr.contains("waiting up to 30.0 s for this standby to replay position \(head)"), "\(passed)")
        }
    }

    @Test func writesOnTheStandbyAreRefusedClearlyAndGoToThePrimaryThroughTheMultiHostString() async throws {
        try await ReplicaSet.with(synchronous: true) { set in
            try await set.approvedApplications(1)
            let payment = ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "1000000",
                           "--paid-on", "2024-03-05", "--method", "bank", "--voucher", "PC-1"]
            let refused = try await LedgerBinary.run(payment, environment: set.environment(set.standby, user: ReplicaSet.officers[1]))
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains(
                "ledger: error: this server is a standby (read-only): writes go to the primary — name it, "
                    + "or use target_session_attrs=read-write in a multi-host connection string"), "\(refused)")
            #expect(!refused.stderr.contains("cannot execute"), "\(refused)")
            let csv = set.cluster.folder.appendingPathComponent("payments.csv")
            try Data("payment_id,application_id,amount_vnd,paid_on,method,voucher\nP-9,A-1,1000000,2024-03-05,bank,PC-9\n".utf8).write(to: csv)
            let imported = try await LedgerBinary.run(["payment", "import", csv.path],
                                                      environment: set.environment(set.standby, user: ReplicaSet.officers[1]))
            #expect(imported.status == 1 && imported.stderr.contains("this server is a standby (read-only): writes go to the primary")
                    && !imported.stderr.contains("cannot execute"), "\(imported)")
            let projections = try await LedgerBinary.run(["projections", "run"], environment: set.environment(set.standby))
            #expect(projections.status == 1 && projections.stderr.contains(
                "ledger: error: projections run writes the read models: this server is a standby (read-only)"), "\(projections)")

            // One connection string naming both: writes land on the primary, reads on the standby.
            let written = try await LedgerBinary.run(payment, environment: set.multiHostEnvironment(user: ReplicaSet.officers[1]))
            #expect(written.status == 0 && written.stderr.isEmpty, "\(written)")
            for attributes in ["read-only", "prefer-standby"] {
                let read = try await LedgerBinary.run(["payment", "list"], environment: set.multiHostEnvironment(
                    user: ReplicaSet.officers[0], targetSessionAttrs: attributes))
                #expect(read.status == 0 && read.stderr.contains("ledger: reading from a standby"), "\(read)")
            }

            // The primary gone: the standby still answers, and says it has lost its primary.
            try set.primary.stop()
            var orphaned: LedgerRun?
            for _ in 0..<50 {
                orphaned = try await set.ledger(["status"], on: set.standby, user: ReplicaSet.officers[0])
                if orphaned?.stderr.contains("not receiving") == true { break }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            #expect(orphaned?.stderr.contains(
                "; it is not receiving from a primary (its primary is down or unreachable): it may be further behind than it can tell"
            ) == true, "\(String(describing: orphaned))")
            #expect(orphaned?.stdout.contains("head position:") == true, "\(String(describing: orphaned))")
        }
    }

    @Test func theFollowerRunsOnThePrimaryWhileReportsAreReadFromTheStandby() async throws {
        try await ReplicaSet.with(synchronous: false) { set in
            try await set.approvedApplications(1)
            let binary = try #require(LedgerBinary.url)
            let follower = Process()
            follower.executableURL = binary
            follower.arguments = ["projections", "run", "--follow", "--poll-ms", "200"]
            follower.environment = set.environment(set.primary)
            follower.standardOutput = FileHandle.nullDevice
            follower.standardError = FileHandle.nullDevice
            try follower.run()
            defer {
                follower.terminate()
                follower.waitUntilExit()
            }
            try await Self.recordPayments(set, 1...1) { _ in "A-1" }
            let deadline = Date().addingTimeInterval(15)
            var last: LedgerRun?
            while Date() < deadline {
                let report = try await set.ledger(["report", "budget", "--format", "json"], on: set.standby, user: Self.officer)
                last = report
                if report.stdout.contains("\"paid_vnd\" : 1000000") { break }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            #expect(last?.stdout.contains("\"paid_vnd\" : 1000000") == true, "\(String(describing: last))")
            #expect(last?.stderr.contains("ledger: reading from a standby") == true, "\(String(describing: last))")
        }
    }

    static let officer = ReplicaSet.officers[0]
}
