import EventStore
import Foundation
import Ledger
import Postgres
import TestSupport
import Testing

@Suite(.enabled(if: TestDatabase.enabled))
struct IdempotencyTests {
    @Test func aRetriedPaymentIsRecordedOnceAndADifferentOneUnderItsIDIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 10_000_000)
            try await scenario.approvedApplication("A-2", household: "HH-2", amount: 10_000_000)
            let first = try await scenario.pay("A-1", "P-1", 3_000_000)
            #expect(first.eventsAppended == 1)
            let retry = try await scenario.pay("A-1", "P-1", 3_000_000)
            #expect(retry.alreadyRecorded)
            #expect(retry.eventsAppended == 0)

            let before = try await scenario.headPosition()
            let different = try #require(await refusal { _ = try await scenario.pay("A-1", "P-1", 4_000_000) })
            #expect(different.code == .conflictingDuplicate)
            // The same payment id on another application: the database's unique payment ids refuse it.
            let elsewhere = try #require(await refusal { _ = try await scenario.pay("A-2", "P-1", 3_000_000) })
            #expect(elsewhere.code == .conflictingDuplicate)
            #expect(elsewhere.message.contains("application-A-1"))
            #expect(try await scenario.headPosition() == before)
            #expect(try await scenario.application("A-1").paid == 3_000_000)
        }
    }

    @Test func aDecisionRetriedAfterItWasRecordedReturnsTheOriginalResult() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.household("HH-1")
            try await scenario.household("HH-2")
            try await scenario.submit("A-1", beneficiary: "HH-1", amount: 10_000_000)
            try await scenario.submit("A-2", beneficiary: "HH-2", amount: 10_000_000)

            // The reply to an approval was lost; the approver runs the same command again.
            let approval = try await scenario.approve("A-1", amount: 10_000_000)
            let approvalAgain = try await scenario.approve("A-1", amount: 10_000_000)
            #expect(approvalAgain.alreadyRecorded && approvalAgain.eventsAppended == 0)
            #expect((approvalAgain.firstPosition, approvalAgain.lastPosition) == (approval.firstPosition, approval.lastPosition))
            #expect(approvalAgain.summary.contains("already recorded"))

            // A different approval of the same application is still refused for what it is.
            let other = try #require(await refusal { try await scenario.approve("A-1", amount: 9_000_000) })
            #expect(other.code == .wrongStatus)

            let rejection = try await scenario.approver.rejectApplication(id: "A-2", reason: "thiếu hồ sơ", decidedOn: Scenario.date("2024-03-10"))
            let rejectionAgain = try await scenario.approver.rejectApplication(id: "A-2", reason: "thiếu hồ sơ", decidedOn: Scenario.date("2024-03-10"))
            #expect(rejectionAgain.alreadyRecorded && rejectionAgain.firstPosition == rejection.firstPosition)

            _ = try await scenario.pay("A-1", "P-1", 4_000_000)
            let closure = try await scenario.officer.closeApplication(id: "A-1", on: Scenario.date("2024-04-01"))
            let closureAgain = try await scenario.officer.closeApplication(id: "A-1", on: Scenario.date("2024-04-01"))
            #expect(closureAgain.alreadyRecorded && closureAgain.lastPosition == closure.lastPosition)

            // An explicit id reused for a different decision is refused as a duplicate, not replayed.
            let head = try await scenario.headPosition()
            let reused = try #require(await refusal {
                _ = try await scenario.approver.rejectApplication(id: "A-1", reason: "khác", decidedOn: Scenario.date("2024-03-10"),
                                                                  commandID: closure.commandID)
            })
            #expect(reused.code == .conflictingDuplicate)
            #expect(try await scenario.headPosition() == head)
            #expect(try await scenario.budget().reserved == 4_000_000)
        }
    }

    @Test func anExplicitCommandIDReusedForOtherContentIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            _ = try await scenario.admin.allocateBudget(program: Scenario.housing, year: 2024, district: .caiRang,
                                                        amount: 10_000_000, reference: "QĐ 1", commandID: "alloc-1")
            let again = try await scenario.admin.allocateBudget(program: Scenario.housing, year: 2024, district: .caiRang,
                                                                amount: 10_000_000, reference: "QĐ 1", commandID: "alloc-1")
            #expect(again.alreadyRecorded)
            let error = try #require(await refusal {
                _ = try await scenario.admin.allocateBudget(program: Scenario.housing, year: 2024, district: .caiRang,
                                                            amount: 20_000_000, reference: "QĐ 2", commandID: "alloc-1")
            })
            #expect(error.code == .conflictingDuplicate)
            #expect(try await scenario.budget(district: .caiRang).allocated == 10_000_000)
        }
    }
}

@Suite(.enabled(if: TestDatabase.enabled))
struct RoleTests {
    @Test func anOfficerCannotApprove() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.household("HH-1")
            try await scenario.submit("A-1", beneficiary: "HH-1", amount: 10_000_000)
            let otherOfficer = try await scenario.person("other", in: ["ledger_officer"])
            let error = try #require(await refusal { try await scenario.approve("A-1", amount: 10_000_000, by: otherOfficer) })
            #expect(error.code == .permissionDenied)
            #expect(error.message.contains("ApplicationApproved"))
        }
    }

    @Test func anAuditorCannotWriteAnything() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            let auditor = try await scenario.person("reader", in: ["ledger_auditor"])
            let error = try #require(await refusal {
                _ = try await auditor.allocateBudget(program: Scenario.housing, year: 2024, district: .oMon, amount: 1_000_000, reference: "x")
            })
            #expect(error.code == .permissionDenied)
            #expect(try await auditor.store.verifyChain().isIntact, "but an auditor can verify")
        }
    }

    @Test func anApproverCannotRecordPaymentsOrLoadProgrammes() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 10_000_000)
            let payment = try #require(await refusal { _ = try await scenario.pay("A-1", "P-1", 1_000_000, by: scenario.approver) })
            #expect(payment.code == .permissionDenied)
            let budget = try #require(await refusal {
                _ = try await scenario.approver.allocateBudget(program: Scenario.housing, year: 2024, district: .oMon, amount: 1_000_000, reference: "x")
            })
            #expect(budget.code == .permissionDenied)
        }
    }

    @Test func everyEventTypeTheDomainWritesIsGrantedToSomePeopleRole() async throws {
        try await TestDatabase.withFresh { db in
            let connection = try await db.connect()
            let granted = try await connection.query(
                // Not the types only the user functions (0011, 0015) and the DDL event trigger append (0011), nor the
                // national-id key's, appended only by ledger.set_national_id_key (0014).
                """
                SELECT event_type FROM ledger.append_grants WHERE role_name IN ('ledger_officer', 'ledger_approver', 'ledger_admin')
                AND event_type NOT IN ('UserAdded', 'UserRoleGranted', 'UserRoleRevoked', 'UserPasswordReset', 'SchemaChanged',
                                       'NationalIDKeySet', 'UserDisabled', 'UserEnabled')
                """
            ) { try $0.string(0) }
            #expect(Set(granted) == Set(LedgerEvent.allTypeNames))
        }
    }
}

@Suite(.enabled(if: TestDatabase.enabled))
struct BudgetTotalsTests {
    /// Approvals are decided from `ledger.budget_totals`, which the append keeps: it must equal
    /// the fold of the budget's stream after reservations, a release and an adjustment.
    @Test func aBudgetLoadedFromTheDatabaseTotalsEqualsTheFullFold() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(1_000_000_000)
            for index in 0..<12 {
                try await scenario.approvedApplication("A-\(index)", household: "HH-\(index)", amount: 1_000_000)
            }
            _ = try await scenario.officer.withdrawApplication(id: "A-0", reason: "moved away", on: Scenario.date("2024-03-20"))
            _ = try await scenario.admin.adjustBudget(program: Scenario.housing, year: Scenario.year, district: Scenario.district,
                                                      delta: VND(-5_000_000), reference: "QĐ điều chỉnh")
            let stream = Streams.budget(program: Scenario.housing, year: Scenario.year, district: Scenario.district)
            let fromTotals = try await scenario.officer.loadBudget(stream: stream)
            let full = try await scenario.superuser.load(BudgetState.self, stream: stream)
            #expect(fromTotals == full)
            #expect(full.reserved == VND(11_000_000))
            #expect(full.allocated == VND(995_000_000))
        }
    }
}
