import Foundation
import LocalCluster
import TestSupport
import Testing

/// Read-only commands against a hot standby that streams from the primary.
@Suite(.enabled(if: TestDatabase.enabled), .serialized, .timeLimit(.minutes(5)))
struct StandbyReadTests {
    @Test func aPaymentRecordedOnThePrimaryIsReadOnTheStandby() async throws {
        try await ReplicaSet.with(synchronous: true) { set in
            try await set.approvedApplications(1)
            try await set.ledger(["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "10000000",
                                  "--paid-on", "2024-03-05", "--method", "bank", "--voucher", "PC-1"], user: ReplicaSet.officers[1])
            try set.waitForStandbyToCatchUp()
            #expect(try set.head(on: set.standby) == set.head(on: set.primary))
            let verify = try await set.ledger(["audit", "verify", "--format", "json"], on: set.standby)
            #expect(verify.stdout.contains("\"intact\" : true"), "\(verify)")
        }
    }
}
