/// Makes a `DemoPlan`: draws beneficiaries and their applications from the seed, gives each
/// application a lifecycle ending in one of the states a real year has, and sizes the budgets
/// from the approvals planned against them. Pure: no database, no clock.
struct DemoPlanBuilder {
    /// Where a grant application ends up by the end of the year.
    enum GrantOutcome: CaseIterable {
        case pending, rejected, withdrawnBeforeDecision, withdrawnAfterApproval, approvedUnpaid
        case paidInFull, paidInFullClosed, paidInInstalments, partiallyPaid
        case reversedAndRepaid, reversedAwaitingRepayment, closedWithRemainder

        /// Per mille of grant applications (outcomes not required for coverage).
        static let weights: [(GrantOutcome, Int)] = [
            (.pending, 55), (.rejected, 65), (.withdrawnBeforeDecision, 25), (.withdrawnAfterApproval, 15),
            (.approvedUnpaid, 55), (.paidInFull, 200), (.paidInFullClosed, 220), (.paidInInstalments, 120),
            (.partiallyPaid, 60), (.reversedAndRepaid, 30), (.reversedAwaitingRepayment, 10), (.closedWithRemainder, 145),
        ]

        /// A bank return needs a bank transfer to return.
        var needsBankAccount: Bool { self == .reversedAndRepaid || self == .reversedAwaitingRepayment }
    }

    /// Where an overseas-work loan application ends up.
    enum LoanOutcome: CaseIterable {
        case pending, rejected, withdrawnBeforeDecision, approvedNotDisbursed
        case repaidOnTime, repaidLate, prepaid, inArrears, settled, writtenOff

        /// Per mille; one loan is settled and one written off (coverage), none drawn at random.
        static let weights: [(LoanOutcome, Int)] = [
            (.pending, 50), (.rejected, 90), (.withdrawnBeforeDecision, 50), (.approvedNotDisbursed, 60),
            (.repaidOnTime, 400), (.repaidLate, 180), (.prepaid, 130), (.inArrears, 40),
        ]

        /// Submitted early enough for two instalments to fall due within the year.
        var submittedEarly: Bool { self == .settled || self == .writtenOff || self == .inArrears }
    }

    /// A planned change to what a budget has reserved: + at an approval, − at a release.
    struct BudgetMove {
        let key: BudgetKey
        let date: LocalDate
        let order: Int
        let amount: VND
    }

    struct BudgetKey: Hashable {
        let program: String
        let district: UnitCode
    }

    /// How many steps one application may have (orders are `index * maximumSteps + step`).
    static let maximumStepsPerApplication = 64

    /// Beneficiaries per district, in proportion to population and, for rural districts, poverty.
    static let districtWeights: [(UnitCode, Int)] = [
        (.ninhKieu, 12), (.binhThuy, 9), (.caiRang, 8), (.oMon, 11), (.thotNot, 11),
        (.phongDien, 10), (.coDo, 13), (.thoiLai, 13), (.vinhThanh, 13),
    ]

    enum Codes {
        static let elementary = "NQ11-TRAIN-ELEMENTARY"
        static let vocational = "NQ11-TRAIN-VOCATIONAL"
        static let overseasLoan = "NQ11-OVERSEAS-LOAN"
        static let housing = "NQ12-HOUSING"
        static let water = "NQ12-WATER"
        static let electricity = "NQ12-ELECTRICITY"
        static let latrine = "NQ12-LATRINE"
    }

    var random: SplitMix64
    let catalog: ProgramCatalog
    private(set) var registrations: [DemoRegistration] = []
    private(set) var applications: [DemoApplication] = []
    private(set) var steps: [DemoStep] = []
    private(set) var loanCount = 0
    private var moves: [BudgetMove] = []
    /// Approvals expected to be refused (once-only repeats), counted only as the most a budget could hold.
    private var unexpectedDemand: [BudgetKey: VND] = [:]
    private var usedNationalIDs: Set<String> = []
    private var applied: Set<String> = []
    private var numbers: [String: Int] = [:]
    private var grantCoverage = GrantOutcome.allCases
    private var loanCoverage = LoanOutcome.allCases
    /// Budgets holding an application planned for coverage: never sized short, so it keeps its state.
    private var protectedBudgets: Set<BudgetKey> = []
    /// Once-only grants paid in full: a later second application under the same programme is refused.
    private var repeatCandidates: [(application: DemoApplication, approved: VND, approvedOn: LocalDate)] = []
    private var sizing: [BudgetKey: DemoBudget.Sizing] = [:]
    private var allocations: [BudgetKey: VND] = [:]

    init(seed: UInt64, catalog: ProgramCatalog) {
        random = SplitMix64(seed: seed)
        self.catalog = catalog
    }

    func program(_ code: String) -> ProgramDefinition {
        guard let definition = catalog.programs.first(where: { $0.code == code }) else {
            preconditionFailure("the demo needs programme \(code) from the sample catalog")
        }
        return definition
    }

    static func isEligible(_ registration: RegisterBeneficiary, for program: ProgramDefinition) -> Bool {
        program.beneficiaryKinds.contains(registration.kind)
            && (program.eligibleCategories.isEmpty || !Set(program.eligibleCategories).isDisjoint(with: registration.categories))
    }

    /// The next number of a kind of id in a district (1, 2, 3, …).
    mutating func nextNumber(_ kind: String, _ district: UnitCode) -> Int {
        let key = kind + "-" + district.code
        let number = (numbers[key] ?? 0) + 1
        numbers[key] = number
        return number
    }

    // MARK: Beneficiaries

    mutating func addBeneficiary() {
        let district = random.weighted(Self.districtWeights)
        let household = random.chance(percent: district.isRural ? 45 : 35)
        let khmer = random.chance(percent: district.isRural ? 7 : 3)
        let sex: VietnameseNames.Sex = random.chance(percent: 50) ? .male : .female
        let fullName = VietnameseNames.fullName(sex: sex, khmer: khmer, using: &random)
        let birthYear = household ? random.int(in: 1950...1990) : random.int(in: 1975...2006)
        var categories: [String] = []
        if household {
            categories.append(random.chance(percent: 78) ? "poor" : "near-poor")
        } else {
            if random.chance(percent: district.isRural ? 70 : 30) { categories.append("rural-worker") }
            if random.chance(percent: 15) { categories.append("poor") } else if random.chance(percent: 22) { categories.append("near-poor") }
            if random.chance(percent: 4) { categories.append("person-with-disability") }
            if random.chance(percent: 5) { categories.append("policy-family") }
            if categories.isEmpty { categories.append(district.isRural ? "rural-worker" : "near-poor") }
        }
        if khmer { categories.append("ethnic-minority") }
        let number = nextNumber("beneficiary", district)
        let id = "B-\(DemoTexts.abbreviation(district))-\(DemoTexts.padded(number, DemoPlan.beneficiaryDigits))"
        let name = household ? (sex == .male ? "Hộ ông " : "Hộ bà ") + fullName : fullName
        let bankAccount = random.chance(percent: household ? 80 : 88) ? newBankAccount() : nil
        let nationalID = random.chance(percent: 90) ? newNationalID(birthYear: birthYear, sex: sex) : nil
        let registration = DemoRegistration(
            command: RegisterBeneficiary(
                id: id, kind: household ? .household : .person, name: name, district: district,
                categories: categories.sorted(), bankAccount: bankAccount
            ),
            nationalID: nationalID, expectRefusal: false
        )
        registrations.append(registration)
        for code in programmesApplied(by: registration.command) {
            addApplication(for: registration, program: program(code))
        }
    }

    /// Which programmes a new beneficiary applies for this year.
    mutating func programmesApplied(by beneficiary: RegisterBeneficiary) -> [String] {
        var codes: [String] = []
        if beneficiary.kind == .household {
            guard beneficiary.categories.contains("poor") else { return [] }
            for (code, percent) in [(Codes.housing, 18), (Codes.water, 40), (Codes.electricity, 30), (Codes.latrine, 38)]
            where random.chance(percent: percent) {
                codes.append(code)
            }
            if codes.isEmpty, random.chance(percent: 80) {
                codes.append(random.weighted([(Codes.housing, 2), (Codes.water, 4), (Codes.electricity, 3), (Codes.latrine, 4)]))
            }
        } else {
            guard random.chance(percent: 62) else { return [] }
            let choices = [(Codes.elementary, 60), (Codes.vocational, 28), (Codes.overseasLoan, 12)]
            codes.append(random.weighted(choices))
            if random.chance(percent: 8) {
                let other = random.weighted(choices.filter { $0.0 != codes[0] })
                codes.append(other)
            }
        }
        return codes.filter { Self.isEligible(beneficiary, for: program($0)) }
    }

    mutating func newBankAccount() -> String {
        let bank = random.weighted(DemoTexts.banks)
        var digits = String(random.int(in: 1...9))
        for _ in 1..<bank.digits { digits += String(random.below(10)) }
        return "\(bank.name) \(digits)"
    }

    /// A 12-digit citizen identity number of Cần Thơ (092, sex and century, year of birth, six
    /// digits) or, for some older people, a 9-digit identity card number; never one used before.
    mutating func newNationalID(birthYear: Int, sex: VietnameseNames.Sex) -> String {
        while true {
            var id: String
            if birthYear < 1985, random.chance(percent: 15) {
                id = "36"
                for _ in 0..<7 { id += String(random.below(10)) }
            } else {
                let sexAndCentury = (birthYear >= 2000 ? 2 : 0) + (sex == .female ? 1 : 0)
                id = "092\(sexAndCentury)\(DemoTexts.padded(birthYear % 100, 2))"
                for _ in 0..<6 { id += String(random.below(10)) }
            }
            if usedNationalIDs.insert(id).inserted { return id }
        }
    }

    /// Officers who register someone already registered, under a new id: refused by the ledger.
    mutating func addDuplicateRegistrations(count: Int) {
        let candidates = random.shuffled(registrations.filter { $0.nationalID != nil })
        for original in candidates.prefix(count) {
            let command = original.command
            let number = nextNumber("beneficiary", command.district)
            let id = "B-\(DemoTexts.abbreviation(command.district))-\(DemoTexts.padded(number, DemoPlan.beneficiaryDigits))"
            registrations.append(DemoRegistration(
                command: RegisterBeneficiary(
                    id: id, kind: command.kind, name: command.name, district: command.district,
                    categories: command.categories, bankAccount: command.bankAccount
                ),
                nationalID: original.nationalID, expectRefusal: true
            ))
        }
    }

    /// Applications added so every state of the year appears even in a small seed.
    mutating func addMissingCoverage() {
        let loan = program(Codes.overseasLoan)
        let grants = [Codes.elementary, Codes.vocational, Codes.water, Codes.latrine, Codes.electricity, Codes.housing].map(program)
        for registration in random.shuffled(registrations.filter { !$0.expectRefusal }) {
            if grantCoverage.isEmpty, loanCoverage.isEmpty { return }
            let beneficiary = registration.command
            if !loanCoverage.isEmpty, Self.isEligible(beneficiary, for: loan), !applied.contains(beneficiary.id + " " + loan.code) {
                addApplication(for: registration, program: loan)
            } else if !grantCoverage.isEmpty,
                      let grant = grants.first(where: { Self.isEligible(beneficiary, for: $0) && !applied.contains(beneficiary.id + " " + $0.code) }) {
                addApplication(for: registration, program: grant)
            }
        }
    }

    // MARK: Applications

    mutating func newApplication(for beneficiary: DemoRegistration, program: ProgramDefinition, submittedOn: LocalDate) -> DemoApplication {
        let district = beneficiary.command.district
        let number = nextNumber("application", district)
        let application = DemoApplication(
            id: "A-\(DemoTexts.abbreviation(district))-\(DemoTexts.padded(number, 5))", index: applications.count,
            beneficiary: beneficiary, program: program, requested: requestedAmount(program), submittedOn: submittedOn,
            approver: random.pick(DemoPeople.approvers)
        )
        applications.append(application)
        applied.insert(beneficiary.command.id + " " + program.code)
        return application
    }

    /// A request between a programme-specific share of the cap and the cap, in round figures.
    mutating func requestedAmount(_ program: ProgramDefinition) -> VND {
        let cap = program.capPerBeneficiaryVND.amount
        let lowestPercent: Int64 = switch program.code {
        case Codes.housing: 70
        case Codes.latrine: 60
        case Codes.electricity: 40
        case Codes.overseasLoan: 40
        default: 50
        }
        return random.amount(in: (cap * lowestPercent / 100)...cap, step: Self.roundingStep(cap))
    }

    /// Round figures for amounts under a cap: 100,000 ₫ steps for small grants, up to 5,000,000 ₫ for loans.
    static func roundingStep(_ cap: Int64) -> Int64 {
        switch cap {
        case ...5_000_000: 100_000
        case ...15_000_000: 500_000
        case ...50_000_000: 1_000_000
        default: 5_000_000
        }
    }

    /// Usually what was asked; sometimes less, when the approver finds part of it not covered.
    mutating func approvedAmount(_ application: DemoApplication) -> VND {
        guard random.chance(percent: 15) else { return application.requested }
        let step = Self.roundingStep(application.program.capPerBeneficiaryVND.amount)
        let reduced = application.requested.amount * Int64(random.int(in: 80...95)) / 100 / step * step
        return VND(max(reduced, step))
    }

    /// A business day (Monday to Friday) on or after `date`, never after the year's end.
    static func workday(_ date: LocalDate) -> LocalDate {
        let weekday = (date.daysSinceEpoch + 4) % 7  // 1970-01-01 was a Thursday; 0 is Sunday
        let next = weekday == 6 ? date.adding(days: 2) : weekday == 0 ? date.adding(days: 1) : date
        return min(next, DemoPlan.Year.yearEnd)
    }

    /// A business day some days after `date`, at the latest the year's end.
    mutating func after(_ date: LocalDate, days: ClosedRange<Int>) -> LocalDate {
        Self.workday(min(date.adding(days: random.int(in: days)), DemoPlan.Year.yearEnd))
    }

    mutating func day(from first: LocalDate, to last: LocalDate) -> LocalDate {
        Self.workday(LocalDate(daysSinceEpoch: random.int(in: first.daysSinceEpoch...last.daysSinceEpoch)))
    }

    mutating func addApplication(for beneficiary: DemoRegistration, program: ProgramDefinition) {
        if program.kind == .loan {
            addLoanApplication(for: beneficiary, program: program)
        } else {
            addGrantApplication(for: beneficiary, program: program)
        }
    }

    /// Steps of one application, kept in date order, with the budget moves they cause.
    struct Lifecycle {
        let application: DemoApplication
        private(set) var steps: [DemoStep] = []
        private(set) var moves: [BudgetMove] = []
        var last: LocalDate { steps.last?.date ?? application.submittedOn }

        init(_ application: DemoApplication) {
            self.application = application
        }

        mutating func add(_ date: LocalDate, _ action: DemoAction, reserving amount: VND? = nil) {
            precondition(date >= last, "the steps of application \(application.id) go back in time")
            precondition(steps.count < DemoPlanBuilder.maximumStepsPerApplication, "application \(application.id) has too many steps")
            let step = DemoStep(
                date: date, order: application.index * DemoPlanBuilder.maximumStepsPerApplication + steps.count,
                district: application.district, action: action
            )
            steps.append(step)
            if let amount {
                let key = BudgetKey(program: application.program.code, district: application.district)
                moves.append(BudgetMove(key: key, date: date, order: step.order, amount: amount))
            }
        }
    }

    mutating func record(_ lifecycle: Lifecycle, countsTowardBudget: Bool = true) {
        steps += lifecycle.steps
        if countsTowardBudget { moves += lifecycle.moves }
    }

    mutating func nextGrantOutcome(hasBankAccount: Bool) -> GrantOutcome {
        if let index = grantCoverage.firstIndex(where: { hasBankAccount || !$0.needsBankAccount }) {
            return grantCoverage.remove(at: index)
        }
        let outcome = random.weighted(GrantOutcome.weights)
        return outcome.needsBankAccount && !hasBankAccount ? .paidInFull : outcome
    }

    mutating func submissionDate(pending: Bool, decidedLate: Bool, latest: LocalDate) -> LocalDate {
        if pending { return day(from: LocalDate(year: 2024, month: 11, day: 15)!, to: LocalDate(year: 2024, month: 12, day: 20)!) }
        if decidedLate { return day(from: LocalDate(year: 2024, month: 10, day: 15)!, to: LocalDate(year: 2024, month: 12, day: 5)!) }
        return day(from: DemoPlan.Year.firstSubmission, to: latest)
    }

    mutating func rejectionReason(_ program: ProgramDefinition) -> String {
        let specific = program.kind == .loan ? DemoTexts.loanRejectionReasons
            : program.beneficiaryKinds.contains(.household) ? DemoTexts.householdRejectionReasons : DemoTexts.trainingRejectionReasons
        return random.pick(DemoTexts.rejectionReasons + specific)
    }

    mutating func withdrawalReason(_ program: ProgramDefinition) -> String {
        let specific = program.kind == .loan ? DemoTexts.loanWithdrawalReasons
            : program.beneficiaryKinds.contains(.household) ? DemoTexts.householdWithdrawalReasons : DemoTexts.trainingWithdrawalReasons
        return random.pick(DemoTexts.withdrawalReasons + specific)
    }

    mutating func decision(_ application: DemoApplication, on date: LocalDate) -> String {
        DemoTexts.decision(number: 100 + nextNumber("decision", application.district), on: date, district: application.district)
    }

    mutating func payment(_ application: DemoApplication, _ amount: VND, _ method: PaymentMethod, on date: LocalDate) -> DemoAction {
        let district = DemoTexts.abbreviation(application.district)
        let number = DemoTexts.padded(nextNumber("payment", application.district), 5)
        let voucher = method == .bank ? "UNC-\(district)-2024-\(number)" : "PC-\(district)-2024-\(number)"
        return .pay(LedgerService.PaymentOrder(
            applicationID: application.id, paymentID: "P-\(district)-\(number)", amount: amount, paidOn: date, method: method, voucher: voucher
        ))
    }

    /// `share` per cent of `amount`, in 100,000 ₫ steps, at least one step and less than `amount`.
    static func part(of amount: VND, percent share: Int) -> VND {
        let step: Int64 = 100_000
        let part = max(amount.amount * Int64(share) / 100 / step * step, step)
        return VND(min(part, amount.amount - step))
    }

    mutating func addGrantApplication(for beneficiary: DemoRegistration, program: ProgramDefinition) {
        let hasBankAccount = beneficiary.command.bankAccount != nil
        let coverage = !grantCoverage.isEmpty
        let outcome = nextGrantOutcome(hasBankAccount: hasBankAccount)
        let submittedOn = submissionDate(
            pending: outcome == .pending, decidedLate: outcome == .approvedUnpaid, latest: DemoPlan.Year.lastSubmissionWithFullLifecycle
        )
        let application = newApplication(for: beneficiary, program: program, submittedOn: submittedOn)
        if coverage { protectedBudgets.insert(BudgetKey(program: program.code, district: application.district)) }
        let id = application.id
        var lifecycle = Lifecycle(application)
        lifecycle.add(submittedOn, .submit(applicationID: id, beneficiaryID: beneficiary.command.id, program: program.code, amount: application.requested))
        switch outcome {
        case .pending:
            break
        case .rejected:
            lifecycle.add(after(submittedOn, days: 7...30), .reject(applicationID: id, reason: rejectionReason(program), approver: application.approver))
        case .withdrawnBeforeDecision:
            lifecycle.add(after(submittedOn, days: 3...20), .withdraw(applicationID: id, reason: withdrawalReason(program)))
        default:
            let approved = approvedAmount(application)
            let decidedOn = after(submittedOn, days: 5...25)
            lifecycle.add(
                decidedOn, .approve(applicationID: id, amount: approved, decision: decision(application, on: decidedOn), approver: application.approver),
                reserving: approved
            )
            let method: PaymentMethod = hasBankAccount && random.chance(percent: 90) ? .bank : .cash
            switch outcome {
            case .withdrawnAfterApproval:
                lifecycle.add(after(decidedOn, days: 5...30), .withdraw(applicationID: id, reason: withdrawalReason(program)), reserving: -approved)
            case .approvedUnpaid:
                break
            case .paidInFull, .paidInFullClosed:
                let paidOn = after(decidedOn, days: 3...20)
                lifecycle.add(paidOn, payment(application, approved, method, on: paidOn))
                if outcome == .paidInFullClosed { lifecycle.add(after(lifecycle.last, days: 5...30), .close(applicationID: id)) }
                if program.onceOnly { repeatCandidates.append((application, approved, decidedOn)) }
            case .paidInInstalments:
                let count = program.code == Codes.housing ? 3 : 2
                var left = approved
                for number in 1...count {
                    let amount = number == count ? left : Self.part(of: approved, percent: 100 / count)
                    left -= amount
                    let paidOn = after(lifecycle.last, days: number == 1 ? 3...20 : 30...75)
                    lifecycle.add(paidOn, payment(application, amount, method, on: paidOn))
                }
                lifecycle.add(after(lifecycle.last, days: 5...30), .close(applicationID: id))
            case .partiallyPaid:
                let paidOn = after(decidedOn, days: 3...20)
                lifecycle.add(paidOn, payment(application, Self.part(of: approved, percent: random.int(in: 50...70)), method, on: paidOn))
            case .reversedAndRepaid, .reversedAwaitingRepayment:
                let paidOn = after(decidedOn, days: 3...20)
                let first = payment(application, approved, .bank, on: paidOn)
                lifecycle.add(paidOn, first)
                guard case .pay(let order) = first else { preconditionFailure("a payment action") }
                let returnedOn = after(paidOn, days: 3...10)
                lifecycle.add(returnedOn, .reverse(applicationID: id, paymentID: order.paymentID, reason: random.pick(DemoTexts.bankReturnReasons)))
                if outcome == .reversedAndRepaid {
                    let repaidOn = after(returnedOn, days: 5...20)
                    lifecycle.add(repaidOn, payment(application, approved, .cash, on: repaidOn))
                    if random.chance(percent: 50) { lifecycle.add(after(repaidOn, days: 5...30), .close(applicationID: id)) }
                }
            case .closedWithRemainder:
                let paidOn = after(decidedOn, days: 3...20)
                let paid = Self.part(of: approved, percent: random.int(in: 70...95))
                lifecycle.add(paidOn, payment(application, paid, method, on: paidOn))
                lifecycle.add(after(paidOn, days: 5...40), .close(applicationID: id), reserving: -(approved - paid))
            case .pending, .rejected, .withdrawnBeforeDecision:
                preconditionFailure("handled above")
            }
        }
        record(lifecycle)
    }

    mutating func nextLoanOutcome() -> LoanOutcome {
        if !loanCoverage.isEmpty { return loanCoverage.removeFirst() }
        return random.weighted(LoanOutcome.weights)
    }

    mutating func addLoanApplication(for beneficiary: DemoRegistration, program: ProgramDefinition) {
        guard let terms = program.loanTerms else { preconditionFailure("programme \(program.code) is a loan programme without terms") }
        let coverage = !loanCoverage.isEmpty
        let outcome = nextLoanOutcome()
        let early = outcome.submittedEarly
        let submittedOn = submissionDate(
            pending: outcome == .pending, decidedLate: outcome == .approvedNotDisbursed,
            latest: early ? LocalDate(year: 2024, month: 4, day: 15)! : DemoPlan.Year.lastLoanSubmission
        )
        let application = newApplication(for: beneficiary, program: program, submittedOn: submittedOn)
        if coverage { protectedBudgets.insert(BudgetKey(program: program.code, district: application.district)) }
        let id = application.id
        var lifecycle = Lifecycle(application)
        lifecycle.add(submittedOn, .submit(applicationID: id, beneficiaryID: beneficiary.command.id, program: program.code, amount: application.requested))
        switch outcome {
        case .pending:
            record(lifecycle)
            return
        case .rejected:
            lifecycle.add(after(submittedOn, days: 7...30), .reject(applicationID: id, reason: rejectionReason(program), approver: application.approver))
            record(lifecycle)
            return
        case .withdrawnBeforeDecision:
            lifecycle.add(after(submittedOn, days: 3...20), .withdraw(applicationID: id, reason: withdrawalReason(program)))
            record(lifecycle)
            return
        default:
            break
        }
        let approved = approvedAmount(application)
        let decidedOn = after(submittedOn, days: 7...25)
        lifecycle.add(
            decidedOn, .approve(applicationID: id, amount: approved, decision: decision(application, on: decidedOn), approver: application.approver),
            reserving: approved
        )
        guard outcome != .approvedNotDisbursed else {
            record(lifecycle)
            return
        }
        loanCount += 1
        let step: Int64 = 5_000_000
        let principal = random.chance(percent: 80) ? approved : VND(max(approved.amount - Int64(random.int(in: 1...4)) * step, step))
        let termMonths = outcome == .settled ? 12 : random.pick([12, 24, 36])
        let disbursedOn = after(decidedOn, days: 5...20)
        let loanID = "L-\(DemoTexts.abbreviation(application.district))-\(DemoTexts.padded(nextNumber("loan", application.district), 3))"
        lifecycle.add(disbursedOn, .disburse(DemoLoan(
            loanID: loanID, applicationID: id, beneficiaryID: beneficiary.command.id, program: program.code,
            approvedVND: approved, approvedOn: decidedOn, principalVND: principal, termMonths: termMonths
        )))
        if principal < approved {
            // The contract cost less than approved: the approval is closed and the rest released.
            lifecycle.add(after(disbursedOn, days: 1...7), .close(applicationID: id), reserving: -(approved - principal))
        }
        guard let schedule = try? LoanSchedule(
            principalVND: principal, disbursedOn: disbursedOn, termMonths: termMonths, instalmentMonths: terms.instalmentMonths
        ) else { preconditionFailure("the demo's loan terms make a schedule") }
        let dues = schedule.instalments.map(\.dueOn).filter { $0 <= DemoPlan.Year.yearEnd }
        var repayments = 0
        func repaymentID() -> String {
            repayments += 1
            return "\(loanID)-R\(repayments)"
        }
        switch outcome {
        case .repaidOnTime:
            for due in dues where due >= lifecycle.last {
                lifecycle.add(due, .repay(applicationID: id, loanID: loanID, repaymentID: repaymentID(), rule: .instalment))
            }
        case .repaidLate:
            for due in dues {
                let paidOn = due.adding(days: random.int(in: 15...40))
                guard paidOn <= DemoPlan.Year.yearEnd, paidOn >= lifecycle.last else { break }
                lifecycle.add(paidOn, .repay(applicationID: id, loanID: loanID, repaymentID: repaymentID(), rule: .arrears))
            }
        case .inArrears:
            // The first instalment paid late, the second not at all: in arrears at the year's end.
            if let first = dues.first, first >= lifecycle.last {
                let paidOn = min(first.adding(days: random.int(in: 10...30)), DemoPlan.Year.yearEnd)
                lifecycle.add(paidOn, .repay(applicationID: id, loanID: loanID, repaymentID: repaymentID(), rule: .arrears))
            }
        case .prepaid:
            for (number, due) in dues.enumerated() where due >= lifecycle.last {
                let rule: RepaymentRule = number == 0
                    ? .instalmentAndPrepayment(VND(principal.amount * Int64(random.int(in: 25...40)) / 100 / 1_000_000 * 1_000_000))
                    : .instalment
                lifecycle.add(due, .repay(applicationID: id, loanID: loanID, repaymentID: repaymentID(), rule: rule))
            }
        case .settled:
            if let first = dues.first, first >= lifecycle.last {
                lifecycle.add(first, .repay(applicationID: id, loanID: loanID, repaymentID: repaymentID(), rule: .instalment))
            }
            lifecycle.add(after(lifecycle.last, days: 20...40), .repay(applicationID: id, loanID: loanID, repaymentID: repaymentID(), rule: .payoff))
        case .writtenOff:
            let on = day(from: LocalDate(year: 2024, month: 12, day: 16)!, to: LocalDate(year: 2024, month: 12, day: 20)!)
            lifecycle.add(max(on, lifecycle.last), .writeOff(applicationID: id, loanID: loanID, reason: DemoTexts.writeOffReason, approver: application.approver))
        case .pending, .rejected, .withdrawnBeforeDecision, .approvedNotDisbursed:
            preconditionFailure("handled above")
        }
        record(lifecycle)
    }

    // MARK: Once-only repeats

    /// Beneficiaries who apply a second time under a once-only programme they were already paid
    /// in full under: the approval is refused (`overCap`) and the approver rejects it.
    mutating func addOnceOnlyRepeats(count: Int) {
        let candidates = repeatCandidates.filter {
            $0.approvedOn <= LocalDate(year: 2024, month: 10, day: 31)!
                && sizing[BudgetKey(program: $0.application.program.code, district: $0.application.district)] != .short
        }
        for (prior, approved, approvedOn) in random.shuffled(candidates).prefix(count) {
            let program = prior.program
            let cap = program.capPerBeneficiaryVND.amount
            let step = Self.roundingStep(cap)
            let submittedOn = after(approvedOn, days: 10...40)
            let number = nextNumber("application", prior.district)
            let application = DemoApplication(
                id: "A-\(DemoTexts.abbreviation(prior.district))-\(DemoTexts.padded(number, 5))", index: applications.count,
                beneficiary: prior.beneficiary, program: program,
                requested: VND(min(cap, cap - approved.amount + Int64(random.int(in: 1...4)) * step)), submittedOn: submittedOn,
                approver: random.pick(DemoPeople.approvers)
            )
            applications.append(application)
            var lifecycle = Lifecycle(application)
            lifecycle.add(submittedOn, .submit(
                applicationID: application.id, beneficiaryID: prior.beneficiary.command.id, program: program.code, amount: application.requested
            ))
            let decidedOn = after(submittedOn, days: 5...15)
            lifecycle.add(
                decidedOn,
                .approve(applicationID: application.id, amount: application.requested, decision: decision(application, on: decidedOn), approver: application.approver)
            )
            record(lifecycle, countsTowardBudget: false)
            unexpectedDemand[BudgetKey(program: program.code, district: prior.district), default: .zero] += application.requested
        }
    }

    // MARK: Budgets

    /// Sizes every budget (programme × district) from the approvals and releases planned against
    /// it, in the order they will happen: a few short (some approvals will be refused for lack
    /// of funds), some tight (they run close to empty), the rest ample.
    mutating func sizeBudgets() {
        var movesByBudget: [BudgetKey: [BudgetMove]] = [:]
        for move in moves { movesByBudget[move.key, default: []].append(move) }
        var peaks: [BudgetKey: VND] = [:]
        var approvals: [BudgetKey: Int] = [:]
        for key in budgetKeys {
            var reserved = VND.zero, peak = VND.zero
            for move in (movesByBudget[key] ?? []).sorted(by: { ($0.date, $0.order) < ($1.date, $1.order) }) {
                reserved += move.amount
                peak = VND.max(peak, reserved)
                if move.amount.isPositive { approvals[key, default: 0] += 1 }
            }
            peaks[key] = peak
        }
        let shortCandidates = budgetKeys.filter { (approvals[$0] ?? 0) >= 3 && !protectedBudgets.contains($0) }
        let short = Set(random.shuffled(shortCandidates).prefix(max(1, shortCandidates.count / 12)))
        for key in budgetKeys {
            let peak = peaks[key] ?? .zero
            let cap = program(key.program).capPerBeneficiaryVND.amount
            let kind: DemoBudget.Sizing = peak == .zero ? .unused : short.contains(key) ? .short : random.chance(percent: 25) ? .tight : .ample
            let amount: Int64 = switch kind {
            case .unused: Self.roundedUp(cap * Int64(random.int(in: 3...10)), to: 10_000_000)
            case .short: max(peak.amount * Int64(random.int(in: 880...960)) / 1_000 / 100_000 * 100_000, 100_000)
            case .tight: Self.roundedUp(peak.amount * Int64(random.int(in: 1_000...1_030)) / 1_000, to: 1_000_000)
            case .ample: Self.roundedUp(peak.amount * Int64(random.int(in: 1_100...1_500)) / 1_000, to: 10_000_000)
            }
            sizing[key] = kind
            allocations[key] = VND(amount)
        }
    }

    /// Every budget, in catalog order then district order.
    var budgetKeys: [BudgetKey] {
        catalog.programs.flatMap { program in UnitCode.allCases.map { BudgetKey(program: program.code, district: $0) } }
    }

    static func roundedUp(_ amount: Int64, to step: Int64) -> Int64 {
        (amount + step - 1) / step * step
    }

    /// The allocations, and one or two adjustments during the year: a top-up of a tight budget
    /// in September, and in November half the slack of the ample budget least used moved elsewhere
    /// (small enough that even a second run's check against all the year's reservations passes).
    mutating func planBudgets() -> [DemoBudget] {
        let budgets = budgetKeys.map { key in
            DemoBudget(
                program: key.program, district: key.district, amount: allocations[key] ?? .zero,
                reference: DemoTexts.allocationReference(district: key.district), sizing: sizing[key] ?? .unused
            )
        }
        let tight = budgetKeys.filter { sizing[$0] == .tight }
        if !tight.isEmpty {
            let key = random.pick(tight)
            let allocation = allocations[key]?.amount ?? 0
            let delta = Self.roundedUp(allocation * Int64(random.int(in: 15...25)) / 100, to: 1_000_000)
            steps.append(DemoStep(
                date: DemoPlan.Year.topUpOn, order: -1, district: key.district,
                action: .adjustBudget(program: key.program, district: key.district, delta: VND(delta), reference: DemoTexts.topUpReference)
            ))
        }
        var totals: [BudgetKey: VND] = unexpectedDemand
        for move in moves where move.amount.isPositive { totals[move.key, default: .zero] += move.amount }
        let slack = budgetKeys.filter { sizing[$0] == .ample }.map { key in
            (key, (allocations[key] ?? .zero) - (totals[key] ?? .zero))
        }
        if let (key, most) = slack.max(by: { $0.1 < $1.1 }), most.amount / 2 >= 1_000_000 {
            let delta = most.amount / 2 / 1_000_000 * 1_000_000
            steps.append(DemoStep(
                date: DemoPlan.Year.reallocationOn, order: -1, district: key.district,
                action: .adjustBudget(program: key.program, district: key.district, delta: VND(-delta), reference: DemoTexts.reallocationReference)
            ))
        }
        return budgets
    }
}
