/// The demo city year, decided from the seed alone (no database, no clock): who registers, who
/// applies for what, what each application goes through, the budgets, and the dates of it all.
/// The same seed and size always give the same plan; `DemoSeeder` carries it out.
struct DemoPlan: Sendable {
    let seed: UInt64
    /// Registrations, in order; each district's list is carried out in this order.
    let registrations: [DemoRegistration]
    let budgets: [DemoBudget]
    /// The year's actions, sorted by `DemoStep.inSequence`.
    let steps: [DemoStep]
    /// Applications planned (including once-only repeats meant to be refused).
    let applicationCount: Int
    let loanCount: Int

    /// Sizes and dates of the demo year.
    enum Year {
        static let fiscalYear = 2024
        /// After the city's conference of 29 February 2024 rolling out the resolutions.
        static let firstSubmission = LocalDate(year: 2024, month: 3, day: 1)!
        static let lastSubmissionWithFullLifecycle = LocalDate(year: 2024, month: 9, day: 30)!
        static let lastLoanSubmission = LocalDate(year: 2024, month: 6, day: 15)!
        static let yearEnd = LocalDate(year: 2024, month: 12, day: 31)!
        static let topUpOn = LocalDate(year: 2024, month: 9, day: 16)!
        static let reallocationOn = LocalDate(year: 2024, month: 11, day: 20)!
    }

    /// Beneficiary ids per district are numbered with this many digits (`B-NK-00001`).
    static let beneficiaryDigits = 5
    /// One duplicate registration attempt per this many beneficiaries (at least one).
    static let beneficiariesPerDuplicateAttempt = 500
    /// One once-only repeat application per this many beneficiaries (at least one).
    static let beneficiariesPerRepeat = 400

    /// The plan for `seed` with `beneficiaryCount` beneficiaries, under `catalog`'s programmes.
    static func make(seed: UInt64, beneficiaryCount: Int, catalog: ProgramCatalog) -> DemoPlan {
        var builder = DemoPlanBuilder(seed: seed, catalog: catalog)
        for _ in 0..<beneficiaryCount {
            builder.addBeneficiary()
        }
        builder.addMissingCoverage()
        builder.addDuplicateRegistrations(count: max(1, beneficiaryCount / beneficiariesPerDuplicateAttempt))
        builder.sizeBudgets()
        builder.addOnceOnlyRepeats(count: max(1, beneficiaryCount / beneficiariesPerRepeat))
        let budgets = builder.planBudgets()
        let steps = builder.steps.sorted(by: DemoStep.inSequence)
        return DemoPlan(
            seed: seed, registrations: builder.registrations, budgets: budgets, steps: steps,
            applicationCount: builder.applications.count, loanCount: builder.loanCount
        )
    }

    /// Each district's share of the work, for splitting it between workers.
    func workload(of district: UnitCode) -> Int {
        registrations.count(where: { $0.command.district == district }) + steps.count(where: { $0.district == district })
    }
}

/// A beneficiary to register; `expectRefusal` marks an officer registering someone a second
/// time under a new id, which the ledger refuses (`duplicateNationalID`).
struct DemoRegistration: Sendable, Equatable {
    let command: RegisterBeneficiary
    let nationalID: String?
    let expectRefusal: Bool
}

/// A budget of one programme, the demo's fiscal year and one district.
struct DemoBudget: Sendable, Equatable {
    /// How the allocation compares with the approvals planned against it.
    enum Sizing: String, Sendable {
        /// Below the most ever reserved at once: some approvals are refused for lack of funds.
        case short
        /// Just above it: the budget runs close to empty.
        case tight
        /// Comfortably above it.
        case ample
        /// Nothing planned against it.
        case unused
    }

    let program: String
    let district: UnitCode
    let amount: VND
    let reference: String
    let sizing: Sizing
}

/// An application while the plan is being made.
struct DemoApplication: Sendable {
    let id: String
    /// Creation order across the whole plan: the tie-breaker between same-day steps.
    let index: Int
    let beneficiary: DemoRegistration
    let program: ProgramDefinition
    let requested: VND
    let submittedOn: LocalDate
    let approver: DemoPerson
    var district: UnitCode { beneficiary.command.district }
}
