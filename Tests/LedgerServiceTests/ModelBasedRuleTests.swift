import EventStore
import Foundation
import Ledger
import Postgres
import Testing
import TestSupport

/// Random sequences of commands from several people (two officers, two approvers, an admin),
/// interleaved with direct appends a person could make with psql: forged events that break a
/// rule, and honest ones that keep every rule. A seeded generator makes each run repeatable.
///
/// After every step the database's state tables must agree with the Swift fold of the same
/// streams (two independent implementations of the rules); every forged append must be refused
/// with nothing stored, every honest one accepted. At the end the read models must equal a fresh
/// fold of the log (`audit reconcile`), and `audit verify` must exit 0 — and exit 2 once an
/// event that breaks a rule is planted around the database's checks.
@Suite(.enabled(if: TestDatabase.enabled))
struct ModelBasedRuleTests {
    @Test(arguments: [UInt64(7), 2024, 90_210])
    func randomWorkAndRandomAttacksKeepEveryRule(seed: UInt64) async throws {
        try await TestDatabase.withFresh { db in
            var random = SplitMix64(seed: seed)
            let scenario = try await Scenario.make(db)
            let officers = [scenario.officer, try await scenario.person("o2", in: ["ledger_officer"])]
            let approvers = [scenario.approver, try await scenario.person("a2", in: ["ledger_approver"])]
            try await scenario.allocate(120_000_000)
            var households: [String] = []
            var applications: [String] = []
            var payments: [(application: String, id: String, amount: Int64)] = []
            var refusedForgeries = 0
            var acceptedHonest = 0

            for step in 0..<90 {
                let officer = officers[random.below(officers.count)]
                let approver = approvers[random.below(approvers.count)]
                let application = applications.isEmpty ? nil : applications[random.below(applications.count)]
                let amount = Int64(1 + random.below(30)) * 1_000_000
                let date = "2024-0\(3 + step / 30)-\(10 + random.below(18))"
                // Weighted: work that moves money forward is more frequent than the ends of a lifecycle.
                let action = [0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 5, 6, 7, 7, 8, 8, 8][random.below(20)]
                switch action {
                case 0:
                    let id = "HH-\(step)"
                    _ = try await officer.registerBeneficiary(
                        RegisterBeneficiary(id: id, kind: .household, name: "Hộ \(id)", district: Scenario.district,
                                            categories: ["poor"], bankAccount: "VCB 0\(step)"),
                        nationalID: nil)
                    households.append(id)
                case 1 where !households.isEmpty:
                    let id = "A-\(step)"
                    _ = try? await officer.submitApplication(
                        id: id, beneficiary: households[random.below(households.count)], program: Scenario.housing,
                        amount: VND(amount), submittedOn: Scenario.date("2024-03-01"), year: nil)
                    applications.append(id)
                case 2 where application != nil:
                    // Mostly what was asked for; sometimes a random amount (which may be refused).
                    let requested = try await scenario.application(application!).submission?.requestedVND ?? VND(amount)
                    _ = try? await approver.approveApplication(id: application!, amount: random.below(3) == 0 ? VND(amount) : requested,
                                                                decision: "QĐ \(step)", decidedOn: Scenario.date(date))
                case 3 where application != nil:
                    let id = "P-\(step)"
                    if (try? await officer.recordPayment(LedgerService.PaymentOrder(
                        applicationID: application!, paymentID: id, amount: VND(amount / 4), paidOn: Scenario.date(date),
                        method: .cash, voucher: "PC \(step)"))) != nil {
                        payments.append((application!, id, amount / 4))
                    }
                case 4 where !payments.isEmpty:
                    let payment = payments[random.below(payments.count)]
                    _ = try? await officer.reversePayment(paymentID: payment.id, reason: "returned", reversedOn: Scenario.date("2024-06-28"))
                case 5 where application != nil:
                    if random.below(2) == 0 {
                        _ = try? await officer.closeApplication(id: application!, on: Scenario.date("2024-06-29"))
                    } else {
                        _ = try? await officer.withdrawApplication(id: application!, reason: "moved", on: Scenario.date("2024-06-29"))
                    }
                case 6 where application != nil:
                    _ = try? await approver.rejectApplication(id: application!, reason: "not eligible", decidedOn: Scenario.date(date))
                case 7 where application != nil:
                    // An honest direct payment: exactly what is still payable on an approved application.
                    var payable: (String, ApplicationState)?
                    for id in applications.shuffled(using: &random) {
                        let state = try await scenario.application(id)
                        if state.status == .approved, state.remainingPayable.isPositive { payable = (id, state); break }
                    }
                    guard let (application, state) = payable else { break }
                    let error = await appendDirectly(officer, Forgery.payment(application, "D-\(step)", state.remainingPayable))
                    #expect(error == nil, "seed \(seed) step \(step): an honest direct payment was refused: \(String(describing: error))")
                    if error == nil {
                        payments.append((application, "D-\(step)", state.remainingPayable.amount))
                        acceptedHonest += 1
                    }
                default:  // 8: a forgery
                    guard let application else { break }
                    let state = try await scenario.application(application)
                    let forgery = Forgery.pick(&random, application: application, state: state, budget: try await scenario.budget(),
                                               payments: payments, step: step)
                    let service = [officer, approver, scenario.admin][random.below(3)]
                    let before = try await scenario.headPosition()
                    let error = await appendDirectly(service, forgery.batch)
                    #expect(error != nil, "seed \(seed) step \(step): \(forgery.what) was stored")
                    #expect(try await scenario.headPosition() == before, "seed \(seed) step \(step): \(forgery.what) left a trace")
                    refusedForgeries += error == nil ? 0 : 1
                }
                if let application {
                    try await expectDatabaseAgreesWithTheFold(scenario, application, context: "seed \(seed) step \(step)")
                }
            }
            try await expectBudgetAgreesWithTheFold(scenario, context: "seed \(seed)")
            // The run did real work: forgeries tried and refused, honest direct payments accepted.
            #expect(refusedForgeries >= 5, "seed \(seed): only \(refusedForgeries) forgeries")
            #expect(acceptedHonest >= 1, "seed \(seed): no honest direct payment")

            // The read models equal a fresh fold; verify holds exactly while no rule is broken.
            let runner = try await TestDatabase.loginRole(memberOf: "ledger_admin")
            let auditor = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
            let run = try await LedgerBinary.run(["projections", "run"], environment: db.environment(user: runner))
            #expect(run.status == 0, "\(run)")
            let reconcile = try await LedgerBinary.run(["audit", "reconcile"], environment: db.environment(user: auditor))
            #expect(reconcile.status == 0, "\(reconcile)")
            let verify = try await LedgerBinary.run(["audit", "verify"], environment: db.environment(user: auditor))
            #expect(verify.status == 0, "seed \(seed): \(verify)")

            // Planted around the checks (as a superuser could, or as a ledger from before them
            // held): a payment above its approval. verify must now name it.
            let approved = try #require(try await firstApproved(scenario, applications), "seed \(seed): nothing was approved")
            let superuser = try await db.connect()
            try await superuser.simpleQuery("BEGIN; SET LOCAL session_replication_role = replica")
            let state = try await scenario.application(approved)
            let over = Forgery.payment(approved, "PLANTED-1", VND(state.approved.amount + 1_000_000))
            _ = try await superuser.query("SELECT ledger.append($1, $2::jsonb)", ["planted-\(seed)", over]) { try $0.string(0) }
            try await superuser.simpleQuery("COMMIT")
            await superuser.close()
            let broken = try await LedgerBinary.run(["audit", "verify"], environment: db.environment(user: auditor))
            #expect(broken.status == 2, "seed \(seed): \(broken)")

            // The replay reads and decodes the next page while it checks this one: pages of 3 and
            // of 7 events, and a replay stopped part-way, find what one page of everything finds.
            let replay = LedgerService(connection: try await db.connect())
            let whole = try await replay.auditInvariants(pageSize: 100_000)
            #expect(whole.violationCount >= 1 && whole.violations.contains { $0.rule == .overpayment }, "seed \(seed): \(whole.violations)")
            for pageSize in [3, 7] {
                let paged = try await replay.auditInvariants(pageSize: pageSize)
                #expect(paged.violations == whole.violations && paged.eventsChecked == whole.eventsChecked, "seed \(seed), pages of \(pageSize)")
            }
            let head = try await scenario.headPosition()
            for through in [head / 3, head / 2 + 1] {
                let partWay = try await replay.auditInvariants(through: through, pageSize: 7)
                let oneGo = try await replay.auditInvariants(through: through, pageSize: 100_000)
                #expect(partWay.violations == oneGo.violations && partWay.eventsChecked == oneGo.eventsChecked, "seed \(seed), through \(through)")
            }
        }
    }

    /// `ledger.application_facts` (kept by the append) and `ApplicationState` (folded in Swift)
    /// must agree on every figure the rules use.
    func expectDatabaseAgreesWithTheFold(_ scenario: Scenario, _ application: String, context: String) async throws {
        let state = try await scenario.application(application)
        let rows = try await scenario.superuser.store.connection.query(
            "SELECT status, approved_vnd, paid_vnd, loan_principal_vnd FROM ledger.application_facts WHERE application_id = $1",
            [application]
        ) { (try $0.string(0), try $0.int64(1), try $0.int64(2), try $0.int64(3)) }
        guard let (status, approved, paid, loans) = rows.first else {
            #expect(state.status == nil, "\(context): \(application) is in the log but not in application_facts")
            return
        }
        #expect(status == state.status?.rawValue, "\(context): \(application) status")
        #expect(approved == state.approved.amount, "\(context): \(application) approved")
        #expect(paid == state.paid.amount, "\(context): \(application) paid")
        #expect(loans == state.loanPrincipal.amount, "\(context): \(application) loans")
        #expect(paid + loans <= approved || state.status != .approved, "\(context): \(application) paid more than approved")
    }

    func expectBudgetAgreesWithTheFold(_ scenario: Scenario, context: String) async throws {
        let stream = Streams.budget(program: Scenario.housing, year: Scenario.year, district: Scenario.district)
        let totals = try await scenario.officer.loadBudget(stream: stream)
        let fold = try await scenario.budget()
        #expect(totals == fold, "\(context): budget totals")
        #expect(fold.reserved <= fold.allocated, "\(context): the budget is overspent")
    }

    func firstApproved(_ scenario: Scenario, _ applications: [String]) async throws -> String? {
        for application in applications where try await scenario.application(application).status == .approved {
            return application
        }
        return nil
    }
}

/// Direct appends that break one rule each, as a person with psql might try them.
enum Forgery {
    static func pick(_ random: inout SplitMix64, application: String, state: ApplicationState, budget: BudgetState,
                     payments: [(application: String, id: String, amount: Int64)], step: Int) -> (what: String, batch: String) {
        let household = state.submission?.beneficiaryID ?? "HH-0"
        let approved = state.approved.amount
        switch random.below(7) {
        case 0:
            return ("a negative payment", payment(application, "N-\(step)", VND(-1_000_000)))
        case 1:
            return ("an overpayment", payment(application, "O-\(step)", VND(approved - state.paid.amount + 1 + Int64(random.below(5_000_000)))))
        case 2:
            return ("a release without its application event", """
                [{"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "FundsReleased",
                  "schema_version": 1, "payload": {"application_id": "\(application)", "amount_vnd": \(max(approved, 1)), "reason": "x"}}]}]
                """)
        case 3:
            return ("a commitment released alone", """
                [{"stream_id": "beneficiary-\(household)", "expected_version": "any", "events": [{"type": "BenefitReleased",
                  "schema_version": 1, "payload": {"application_id": "\(application)", "program": "NQ12-HOUSING", "amount_vnd": \(max(approved, 1))}}]}]
                """)
        case 4:
            return ("an approval without its reservation", """
                [{"stream_id": "application-\(application)", "expected_version": "any", "events": [{"type": "ApplicationApproved",
                  "schema_version": 1, "payload": {"approved_vnd": 1000000, "decision_reference": "x", "decided_on": "2024-03-10"}}]}]
                """)
        case 5:
            let payment = payments.first { $0.application == application }
            return ("a reversal of the wrong amount", """
                [{"stream_id": "application-\(application)", "expected_version": "any", "events": [{"type": "PaymentReversed",
                  "schema_version": 1, "payload": {"payment_id": "\(payment?.id ?? "NONE")", "amount_vnd": \((payment?.amount ?? 0) + 1),
                  "reason": "x", "reversed_on": "2024-06-01"}}]}]
                """)
        default:
            return ("a budget cut below its reservations", """
                [{"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "BudgetAdjusted",
                  "schema_version": 1, "payload": {"program": "NQ12-HOUSING", "fiscal_year": 2024, "district": "ninh-kieu",
                  "delta_vnd": \(-(budget.available.amount + 1)), "reference": "x"}}]}]
                """)
        }
    }

    static func payment(_ application: String, _ id: String, _ amount: VND) -> String {
        """
        [{"stream_id": "application-\(application)", "expected_version": "any", "events": [{"type": "PaymentRecorded",
          "schema_version": 1, "payload": {"payment_id": "\(id)", "amount_vnd": \(amount.amount), "paid_on": "2024-06-27",
          "method": "cash", "voucher": "PC \(id)"}}]}]
        """
    }
}
