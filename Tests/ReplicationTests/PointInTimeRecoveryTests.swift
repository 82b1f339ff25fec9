import Foundation
import LocalCluster
import TestSupport
import Testing

/// Continuous archiving and point-in-time recovery, as docs/operations.md ("Point-in-time
/// recovery") tells an operator to do it: a primary that archives its WAL, a base backup, two
/// payments with a moment between them, and a restore of the base backup to that moment.
@Suite(.enabled(if: TestDatabase.enabled), .serialized, .timeLimit(.minutes(5)))
struct PointInTimeRecoveryTests {
    @Test func aRestoreToATimeBetweenTwoPaymentsHasTheFirstAndNotTheSecondAndMatchesTheDigestTakenThen() async throws {
        try await ReplicaSet.with(synchronous: false, archiving: true) { set in
            try await set.approvedApplications(2)
            let backup = try set.cluster.makeBaseBackup(of: set.primary, name: "backup")

            try await set.ledger(["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "10000000",
                                  "--paid-on", "2024-03-05", "--method", "bank", "--voucher", "PC-1"], user: ReplicaSet.officers[1])
            let digest = set.cluster.folder.appendingPathComponent("D1.json")
            try await set.ledger(["audit", "digest", "--out", digest.path])
            let headAtDigest = try set.head(on: set.primary)
            // The recovery target: the server's clock, between the two payments' commits.
            try await Task.sleep(for: .milliseconds(1_100))
            let target = try set.primary.psql("SELECT clock_timestamp()::text")
            try await Task.sleep(for: .milliseconds(1_100))
            try await set.ledger(["payment", "record", "--application", "A-2", "--payment-id", "P-2", "--amount", "10000000",
                                  "--paid-on", "2024-03-06", "--method", "bank", "--voucher", "PC-2"], user: ReplicaSet.officers[2])
            #expect(try set.head(on: set.primary) > headAtDigest)

            // The segment holding payment 2 goes to the archive now, not when it fills.
            let segment = try set.primary.psql("SELECT pg_walfile_name(pg_switch_wal())")
            try set.primary.waitFor("SELECT last_archived_wal >= '\(segment)' FROM pg_stat_archiver", toBe: "t")

            try set.cluster.recover(backup, to: target)
            try backup.start()
            try backup.waitFor("SELECT pg_is_in_recovery()", toBe: "f", timeout: 60)
            let log = backup.logTail(lines: 200)
            #expect(log.contains("recovery stopping before commit"), "\(log)")

            // What the ledger shows on the restored server: payment 1, not payment 2.
            let first = try await set.ledger(["audit", "history", "--stream", "application-A-1"], on: backup)
            #expect(first.stdout.contains("PaymentRecorded"), "\(first)")
            let second = try await set.ledger(["audit", "history", "--stream", "application-A-2"], on: backup)
            #expect(second.stdout.contains("ApplicationApproved"), "\(second)")
            #expect(!second.stdout.contains("PaymentRecorded"), "\(second)")

            // The restored log is exactly the log the digest was taken of.
            #expect(try set.head(on: backup) == headAtDigest)
            let verify = try await set.ledger(["audit", "verify", "--digest", digest.path, "--format", "json"], on: backup)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
            #expect(report["intact"] as? Bool == true, "\(verify)")
            let head = (report["head"] as? [String: Any])?["position"] as? Int
            let digestPosition = (report["digest"] as? [String: Any])?["position"] as? Int
            #expect(head == Int(headAtDigest) && digestPosition == Int(headAtDigest), "\(verify)")

            // The restored server is a primary of its own again: it takes the next payment.
            try await set.ledger(["payment", "record", "--application", "A-2", "--payment-id", "P-2b", "--amount", "10000000",
                                  "--paid-on", "2024-03-07", "--method", "bank", "--voucher", "PC-2b"],
                                 on: backup, user: ReplicaSet.officers[2])
            #expect(try set.head(on: backup) > headAtDigest)
        }
    }
}
