import EventStore
import Foundation
import Ledger

/// A realistic disbursement year written fast: the same events the command handlers append,
/// decided by the same pure decisions against states kept in memory, and appended in
/// multi-stream batches (officer, approver and admin each on their own connection, so roles and
/// four eyes are what the database expects). Deterministic for a given seed.
///
/// Per beneficiary, roughly: registration; one application (households: housing, water,
/// electricity or latrine; persons: elementary or vocational training, or an overseas-work loan);
/// nine in ten approved, one in twenty rejected, the rest left waiting; grants paid in one to three
/// instalments, some bank returns reversed, some applications closed under-paid; loans disbursed
/// and repaid quarterly. About nine events per beneficiary.
struct SyntheticYear {
    let admin: LedgerService
    let officer: LedgerService
    let approver: LedgerService
    let officerRole: String
    let approverRole: String
    var random: SplitMix64

    private var programs: [String: ProgramState] = [:]
    private var budgets: [String: BudgetState] = [:]
    private var beneficiaries: [String: BeneficiaryState] = [:]
    private var applications: [String: ApplicationState] = [:]
    private var loans: [String: LoanState] = [:]
    private var nextBeneficiary = 0

    static let year = 2024
    static let householdPrograms = ["NQ12-HOUSING", "NQ12-WATER", "NQ12-ELECTRICITY", "NQ12-LATRINE"]
    static let personPrograms = ["NQ11-TRAIN-ELEMENTARY", "NQ11-TRAIN-VOCATIONAL", "NQ11-OVERSEAS-LOAN"]

    init(admin: LedgerService, officer: LedgerService, approver: LedgerService, officerRole: String, approverRole: String, seed: UInt64) {
        self.admin = admin
        self.officer = officer
        self.approver = approver
        self.officerRole = officerRole
        self.approverRole = approverRole
        random = SplitMix64(seed: seed)
    }

    static func date(_ month: Int, _ day: Int) -> LocalDate {
        do { return try LocalDate(parsing: String(format: "%04d-%02d-%02d", year, month, day), field: "date") } catch { fatalError("\(error)") }
    }

    private mutating func roll(_ percent: Int) -> Bool { random.chance(percent: percent) }
    private mutating func pick<T>(_ items: [T]) -> T { random.pick(items) }

    /// Loads the sample catalog and allocates every programme's budget in every district.
    mutating func prepare() async throws {
        _ = try await admin.loadCatalog(SampleCatalog.json)
        var decisions: [Decision] = []
        for code in Self.householdPrograms + Self.personPrograms {
            let program = try await admin.load(ProgramState.self, stream: Streams.program(code))
            programs[code] = program
            for district in UnitCode.allCases {
                let stream = Streams.budget(program: code, year: Self.year, district: district)
                let budget = try await admin.load(BudgetState.self, stream: stream)
                let decision = try BudgetDecisions.allocate(program: program, year: Self.year, district: district,
                                                            amount: 1_000_000_000_000_000, reference: "QĐ synthetic", budget: budget)
                budgets[stream] = budget.after(decision, actor: "admin")
                decisions.append(decision)
            }
        }
        try await admin.appendInBatches(decisions, decisionsPerAppend: 50, label: "synthetic-allocate-\(random.next())")
    }

    /// Writes the year of `count` more beneficiaries; returns the number of events appended.
    mutating func add(beneficiaries count: Int) async throws {
        let first = nextBeneficiary
        nextBeneficiary += count
        let ids = (first..<(first + count)).map { "SB-\($0)" }
        var registrations: [Decision] = [], submissions: [Decision] = []
        for (offset, id) in ids.enumerated() {
            let household = (first + offset) % 3 != 0
            let district = pick(UnitCode.allCases)
            let stream = Streams.beneficiary(id)
            let decision = try BeneficiaryDecisions.register(
                RegisterBeneficiary(id: id, kind: household ? .household : .person, name: "Người thụ hưởng \(id)", district: district,
                                    categories: household ? ["poor"] : [pick(["rural-worker", "poor", "near-poor", "ethnic-minority"])],
                                    bankAccount: roll(85) ? "Agribank 7300-\(first + offset)" : nil),
                existing: BeneficiaryState(streamID: stream), fingerprint: nil
            )
            let beneficiary = BeneficiaryState(streamID: stream).after(decision, actor: officerRole)
            registrations.append(decision)
            let code = household ? pick(Self.householdPrograms) : (roll(25) ? "NQ11-OVERSEAS-LOAN" : pick(Array(Self.personPrograms.prefix(2))))
            guard let program = programs[code], let cap = program.current?.capPerBeneficiaryVND else { continue }
            let applicationID = "SA-\(first + offset)"
            let requested = VND(Int64(cap.amount / 1_000_000 / 2 + Int64(random.next() % UInt64(cap.amount / 2_000_000 + 1))) * 1_000_000)
            let submission = try ApplicationDecisions.submit(
                id: applicationID, existing: ApplicationState(streamID: Streams.application(applicationID)), beneficiary: beneficiary,
                program: program, requested: requested, submittedOn: Self.date(1 + Int(random.next() % 3), 1 + Int(random.next() % 28))
            )
            beneficiaries[stream] = beneficiary
            applications[applicationID] = ApplicationState(streamID: Streams.application(applicationID)).after(submission, actor: officerRole)
            submissions.append(submission)
        }
        try await officer.appendInBatches(registrations, decisionsPerAppend: 100, label: "synthetic-register-\(first)")
        try await officer.appendInBatches(submissions, decisionsPerAppend: 100, label: "synthetic-submit-\(first)")

        // Decisions: approve nine in ten, reject one in twenty.
        var decisions: [Decision] = []
        for id in ids.indices.map({ "SA-\(first + $0)" }) {
            guard let application = applications[id], let submission = application.submission,
                  let program = programs[submission.program], let budgetStream = application.budgetStreamID,
                  let beneficiaryStream = application.beneficiaryStreamID,
                  let budget = budgets[budgetStream], let beneficiary = beneficiaries[beneficiaryStream] else { continue }
            let draw = random.next() % 100
            let decision: Decision
            if draw < 90 {
                decision = try ApplicationDecisions.approve(
                    application: application, program: program, budget: budget, beneficiary: beneficiary, approver: approverRole,
                    amount: submission.requestedVND, decisionReference: "QĐ \(id)", decidedOn: Self.date(4, 1 + Int(random.next() % 28))
                )
                budgets[budgetStream] = budget.after(decision, actor: approverRole)
                beneficiaries[beneficiaryStream] = beneficiary.after(decision, actor: approverRole)
            } else if draw < 95 {
                decision = try ApplicationDecisions.reject(application: application, approver: approverRole, reason: "không đủ điều kiện",
                                                           decidedOn: Self.date(4, 1 + Int(random.next() % 28)))
            } else {
                continue
            }
            applications[id] = application.after(decision, actor: approverRole)
            decisions.append(decision)
        }
        try await approver.appendInBatches(decisions, decisionsPerAppend: 30, label: "synthetic-decide-\(first)")

        // Money: grants paid in instalments (a few reversed, some closed under-paid); loans disbursed and repaid.
        var money: [Decision] = []
        for id in ids.indices.map({ "SA-\(first + $0)" }) {
            guard var application = applications[id], application.status == .approved, let submission = application.submission,
                  let program = programs[submission.program], let beneficiaryStream = application.beneficiaryStreamID,
                  let beneficiary = beneficiaries[beneficiaryStream] else { continue }
            if submission.program == "NQ11-OVERSEAS-LOAN" {
                try lend(&application, submission: submission, program: program, into: &money)
            } else {
                try pay(&application, program: program, beneficiary: beneficiary, into: &money)
            }
            applications[id] = application
        }
        try await officer.appendInBatches(money, decisionsPerAppend: 30, label: "synthetic-money-\(first)")
        // Keep only what later batches need (budgets, programmes): the year of these is written.
        for id in ids {
            beneficiaries[Streams.beneficiary(id)] = nil
        }
        for index in ids.indices { applications["SA-\(first + index)"] = nil }
        loans = [:]
    }

    private mutating func pay(_ application: inout ApplicationState, program: ProgramState, beneficiary: BeneficiaryState,
                              into decisions: inout [Decision]) throws {
        let parts = 1 + Int(random.next() % 3)
        let share = VND(application.approved.amount / Int64(parts))
        for part in 0..<parts {
            let paymentID = "SP-\(application.id)-\(part)"
            let payment = try ApplicationDecisions.recordPayment(
                application: application, program: program, beneficiary: beneficiary, paymentID: paymentID, amount: share,
                paidOn: Self.date(5 + part, 1 + Int(random.next() % 28)), method: beneficiary.bankAccount == nil ? .cash : .bank,
                voucher: "UNC \(paymentID)"
            )
            application = application.after(payment, actor: officerRole)
            decisions.append(payment)
            if roll(3) {
                let reversal = try ApplicationDecisions.reversePayment(application: application, paymentID: paymentID,
                                                                       reason: "ngân hàng trả lại", reversedOn: Self.date(9, 1 + part))
                application = application.after(reversal, actor: officerRole)
                decisions.append(reversal)
            }
        }
        if roll(15), application.remainingPayable.isPositive, let budgetStream = application.budgetStreamID, let budget = budgets[budgetStream] {
            let closure = try ApplicationDecisions.close(application: application, budget: budget, beneficiary: beneficiary, on: Self.date(12, 15))
            application = application.after(closure, actor: officerRole)
            budgets[budgetStream] = budget.after(closure, actor: officerRole)
            decisions.append(closure)
        }
    }

    private mutating func lend(_ application: inout ApplicationState, submission: ApplicationSubmitted, program: ProgramState,
                               into decisions: inout [Decision]) throws {
        guard let terms = program.loanTermsAcrossAmendments, let decidedOn = application.approval?.decidedOn else { return }
        let loanID = "SL-\(application.id)"
        let facts = LoanApplicationFacts(
            applicationID: application.id, beneficiaryID: submission.beneficiaryID, programCode: submission.program, programKind: .loan,
            status: .approved, approvedVND: application.approved, alreadyDisbursedVND: .zero, decidedOn: decidedOn,
            applicationVersion: application.version
        )
        let disbursement = try LoanDecisions.disburse(application: facts, terms: terms, loan: LoanState(loanID: loanID), loanID: loanID,
                                                      principalVND: application.approved, disbursedOn: Self.date(5, 2), termMonths: 24)
        application = application.after(disbursement, actor: officerRole)
        var loan = LoanState(loanID: loanID).after(disbursement, actor: officerRole)
        decisions.append(disbursement)
        let instalment = VND(application.approved.amount / 8)
        for quarter in 0..<Int(1 + random.next() % 3) {
            let repayment = try LoanDecisions.repay(loan: loan, terms: terms, repaymentID: "SR-\(loanID)-\(quarter)",
                                                    amountVND: VND(instalment.amount + instalment.amount / 20),
                                                    paidOn: Self.date(8 + quarter * 2, 2 + Int(random.next() % 20)))
            loan = loan.after(repayment, actor: officerRole)
            decisions.append(repayment)
        }
    }
}
