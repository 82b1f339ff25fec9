import EventStore
import Foundation
import Ledger
import Postgres
import TestSupport
import Testing

/// Each rule of the domain (docs/architecture.md, "Where each rule is enforced") refused with the error a finance officer sees, and
/// nothing written when refused.
@Suite(.enabled(if: TestDatabase.enabled))
struct InvariantTests {
    @Test func anAmountOverTheProgrammeCapIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(500_000_000)
            try await scenario.household("HH-1")
            let before = try await scenario.headPosition()
            let error = try #require(await refusal { try await scenario.submit("A-1", beneficiary: "HH-1", amount: 40_000_001) })
            #expect(error.code == .overCap)
            #expect(error.message.contains("40,000,000"))
            #expect(try await scenario.headPosition() == before)

            try await scenario.submit("A-1", beneficiary: "HH-1", amount: 40_000_000)
            try await scenario.approve("A-1", amount: 30_000_000)
            // Once-only: a second application may only take what is left of the cap.
            try await scenario.submit("A-2", beneficiary: "HH-1", amount: 20_000_000)
            let second = try #require(await refusal { try await scenario.approve("A-2", amount: 20_000_000) })
            #expect(second.code == .overCap)
            #expect(second.message.contains("30,000,000"))
            try await scenario.approve("A-2", amount: 10_000_000)
        }
    }

    @Test func anApprovalAboveTheBudgetStillAvailableIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(50_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 40_000_000)
            try await scenario.household("HH-2")
            try await scenario.submit("A-2", beneficiary: "HH-2", amount: 20_000_000)
            let before = try await scenario.headPosition()
            let error = try #require(await refusal { try await scenario.approve("A-2", amount: 20_000_000) })
            #expect(error.code == .overBudget)
            #expect(error.message.contains("10,000,000"))
            #expect(try await scenario.headPosition() == before)
            #expect(try await scenario.budget().available == 10_000_000)
        }
    }

    @Test func noBudgetAllocatedMeansNoApproval() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.household("HH-1")
            try await scenario.submit("A-1", beneficiary: "HH-1", amount: 10_000_000)
            let error = try #require(await refusal { try await scenario.approve("A-1", amount: 10_000_000) })
            #expect(error.code == .overBudget)
        }
    }

    @Test func payingAnUnapprovedOrClosedApplicationIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.household("HH-1")
            try await scenario.submit("A-1", beneficiary: "HH-1", amount: 10_000_000)
            let unapproved = try #require(await refusal { _ = try await scenario.pay("A-1", "P-1", 1_000_000) })
            #expect(unapproved.code == .wrongStatus)
            #expect(unapproved.message.contains("submitted"))

            try await scenario.approve("A-1", amount: 10_000_000)
            _ = try await scenario.pay("A-1", "P-1", 4_000_000)
            _ = try await scenario.officer.closeApplication(id: "A-1", on: Scenario.date("2024-04-01"))
            let closed = try #require(await refusal { _ = try await scenario.pay("A-1", "P-2", 1_000_000, on: "2024-04-02") })
            #expect(closed.code == .wrongStatus)
            #expect(closed.message.contains("closed"))
            // Closing released the unpaid 6,000,000 ₫: 100 M allocated − 4 M paid.
            #expect(try await scenario.budget().available == 96_000_000)
        }
    }

    @Test func overpayingIsRefusedAndAReversalRestoresWhatMayBePaid() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 10_000_000)
            _ = try await scenario.pay("A-1", "P-1", 6_000_000)
            let error = try #require(await refusal { _ = try await scenario.pay("A-1", "P-2", 5_000_000) })
            #expect(error.code == .overpayment)
            #expect(error.message.contains("4,000,000"))
            _ = try await scenario.officer.reversePayment(paymentID: "P-1", reason: "returned by the bank", reversedOn: Scenario.date("2024-03-20"))
            _ = try await scenario.pay("A-1", "P-2", 10_000_000, on: "2024-03-21")
            #expect(try await scenario.application("A-1").paid == 10_000_000)
        }
    }

    @Test func approvingYourOwnSubmissionIsRefusedInSwiftAndInTheDatabase() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.household("HH-1")
            // A person who is both officer and approver submits, then tries to approve.
            let both = try await scenario.person("both", in: ["ledger_officer", "ledger_approver"])
            _ = try await both.submitApplication(id: "A-1", beneficiary: "HH-1", program: Scenario.housing, amount: 10_000_000,
                                                 submittedOn: Scenario.date("2024-03-01"), year: nil)
            let error = try #require(await refusal { try await scenario.approve("A-1", amount: 10_000_000, by: both) })
            #expect(error.code == .fourEyes)
            let rejection = try #require(await refusal {
                _ = try await both.rejectApplication(id: "A-1", reason: "no", decidedOn: Scenario.date("2024-03-02"))
            })
            #expect(rejection.code == .fourEyes)

            // The database refuses it too, even from a client that skips the decision.
            let state = try await scenario.application("A-1")
            let approval = try LedgerEvent.applicationApproved(
                ApplicationApproved(approvedVND: 10_000_000, decisionReference: "QĐ 1", decidedOn: Scenario.date("2024-03-02"))
            ).newEvent()
            do {
                _ = try await both.store.append([approval], to: StreamID(Streams.application("A-1")),
                                                expectedVersion: .exactly(state.version), commandID: "sneaky-approval")
                Issue.record("the database accepted a self-approval")
            } catch let error as EventStoreError {
                #expect(error.underlying?.code.rawValue == "LD003")
            }
            try await scenario.approve("A-1", amount: 10_000_000)
        }
    }

    @Test func aSecondBeneficiaryWithTheSameNationalIDIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.household("HH-1", nationalID: "092123456789")
            let before = try await scenario.headPosition()
            let error = try #require(await refusal { try await scenario.household("HH-2", nationalID: "092123456789") })
            #expect(error.code == .duplicateNationalID)
            #expect(error.message.contains("HH-1"))
            #expect(!error.message.contains("092123456789"), "the national id itself is never shown")
            #expect(try await scenario.headPosition() == before)
            // The log holds only the fingerprint.
            let events = try await scenario.superuser.store.readPage(after: 0)
            #expect(!events.contains { $0.payloadJSON.contains("092123456789") })
        }
    }

    @Test func approvingOutsideTheProgrammesWindowIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.household("HH-1")
            try await scenario.submit("A-1", beneficiary: "HH-1", amount: 10_000_000, on: "2023-12-01")
            let early = try #require(await refusal { try await scenario.approve("A-1", amount: 10_000_000, on: "2023-12-15") })
            #expect(early.code == .outsideProgramWindow)
            #expect(early.message.contains("2024-01-01"))
            let late = try #require(await refusal { try await scenario.approve("A-1", amount: 10_000_000, on: "2026-01-05") })
            #expect(late.code == .outsideProgramWindow)
        }
    }

    @Test func repayingMoreThanIsOwedIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(500_000_000, program: Scenario.loans)
            try await scenario.worker("W-1")
            try await scenario.submit("L-APP-1", beneficiary: "W-1", program: Scenario.loans, amount: 100_000_000)
            try await scenario.approve("L-APP-1", amount: 100_000_000)
            _ = try await scenario.officer.disburseLoan(application: "L-APP-1", loanID: "LOAN-1", principal: 100_000_000,
                                                        disbursedOn: Scenario.date("2024-04-01"), termMonths: 12)
            let error = try #require(await refusal {
                _ = try await scenario.officer.repayLoan(loanID: "LOAN-1", repaymentID: "R-1", amount: 200_000_000, paidOn: Scenario.date("2024-07-01"))
            })
            #expect(error.code == .repaymentExceedsOwed)
            let outcome = try await scenario.officer.repayLoan(loanID: "LOAN-1", repaymentID: "R-1", amount: 26_000_000, paidOn: Scenario.date("2024-07-01"))
            #expect(outcome.eventsAppended == 1)
        }
    }
}
