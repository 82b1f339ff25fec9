import EventStore
import Foundation
import Ledger
import Postgres
import TestSupport
import Testing

/// Many officers and approvers at once against the same few applications and one budget:
/// nothing overpaid, nothing overspent, every accepted command recorded exactly once.
@Suite(.enabled(if: TestDatabase.enabled))
struct ConcurrencyTests {
    @Test func fourClientsRacingPaymentsNeverOverpayAndRecordEachAcceptedPaymentOnce() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(200_000_000)
            let applications = ["A-1", "A-2", "A-3"]
            for (index, id) in applications.enumerated() {
                try await scenario.approvedApplication(id, household: "HH-\(index)", amount: 40_000_000)
            }
            let clients = 4
            let paymentsPerClient = 250
            let accepted = try await withThrowingTaskGroup(of: [String: VND].self) { group in
                for client in 0..<clients {
                    group.addTask {
                        let officer = try await scenario.person("payer\(client)", in: ["ledger_officer"])
                        var mine: [String: VND] = [:]
                        for index in 0..<paymentsPerClient {
                            let application = applications[(index + client) % applications.count]
                            let amount = VND(Int64(100_000 * (1 + (index * 7 + client) % 5)))
                            let paymentID = "P-\(client)-\(index)"
                            do {
                                _ = try await scenario.pay(application, paymentID, amount, by: officer)
                                mine[paymentID] = amount
                            } catch let error as DomainError where error.code == .overpayment {
                                continue
                            }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [String: VND]()) { $0.merge($1) { a, _ in a } }
            }
            // With 3 × 40,000,000 ₫ approved and ~1,000 payments of 0.1–0.5 M ₫, some are refused.
            var totalPaid = VND.zero
            for id in applications {
                let state = try await scenario.application(id)
                #expect(state.paid <= state.approved, "\(id) overpaid: \(state.paid) of \(state.approved)")
                totalPaid += state.paid
            }
            #expect(totalPaid == accepted.values.reduce(VND.zero, +))
            let recorded = try await scenario.superuser.store.readPage(after: 0, limit: 100_000).filter { $0.type == "PaymentRecorded" }
            #expect(recorded.count == accepted.count)
            #expect(Set(recorded.compactMap { try? $0.decodePayload(PaymentIDOnly.self).payment_id }) == Set(accepted.keys))
            #expect(try await scenario.superuser.store.verifyChain().isIntact)
        }
    }

    struct PaymentIDOnly: Decodable { let payment_id: String }

    @Test func approversRacingForOneBudgetNeverOverspendIt() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            let count = 12
            for index in 0..<count {
                try await scenario.household("HH-\(index)")
                try await scenario.submit("A-\(index)", beneficiary: "HH-\(index)", amount: 20_000_000)
            }
            let approved = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in 0..<4 {
                    group.addTask {
                        let approver = try await scenario.person("approver\(client)", in: ["ledger_approver"])
                        var approvals = 0
                        for index in stride(from: client, to: count, by: 4) {
                            do {
                                try await scenario.approve("A-\(index)", amount: 20_000_000, by: approver)
                                approvals += 1
                            } catch let error as DomainError where error.code == .overBudget {
                                continue
                            }
                        }
                        return approvals
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(approved == 5)
            let budget = try await scenario.budget()
            #expect(budget.reserved == 100_000_000)
            #expect(budget.available == .zero)
        }
    }
}
