/// Decisions about budgets: allocating funds to a programme for a fiscal year and unit (district, ward, commune), and
/// adjusting them. (Reservations and releases are made by application decisions.)
public enum BudgetDecisions {
    /// Allocates `amount` to `budget-{program}-{year}-{district}`. The programme must exist, the
    /// amount be positive, the reference (the allocation decision) non-empty and at most
    /// `DomainLimits.maximumReferenceCharacters`.
    public static func allocate(
        program: ProgramState, year: Int, district: UnitCode, amount: VND, reference: String, budget: BudgetState,
        places: PlaceCatalog = PlaceCatalog()
    ) throws -> Decision {
        let reference = try checkedCommon(program: program, year: year, district: district, reference: reference, budget: budget, places: places)
        guard amount.isPositive else {
            throw DomainError.invalidInput(field: "amount", problem: "an allocation must be a positive amount, not \(amount.formatted)")
        }
        let allocatedAfter = try budget.allocated.adding(amount)
        let label = BudgetState.label(program: program.code, fiscalYear: year, district: district, places: places)
        let event = LedgerEvent.budgetAllocated(BudgetAllocated(
            program: program.code, fiscalYear: year, district: district, amountVND: amount, reference: reference
        ))
        return Decision(
            streams: [StreamEvents(stream: budget.streamID, expectedVersion: budget.version, events: [event])],
            summary: "allocated \(amount.formatted) to budget \(label) (\(reference)); allocated \(allocatedAfter.formatted), "
                + "available \(try allocatedAfter.subtracting(budget.reserved).formatted)"
        )
    }

    /// Adds `delta` (positive) to or removes it (negative) from an allocated budget. Never below
    /// what approvals have already reserved: that refusal (`belowCommitted`) names both figures.
    public static func adjust(
        program: ProgramState, year: Int, district: UnitCode, delta: VND, reference: String, budget: BudgetState,
        places: PlaceCatalog = PlaceCatalog()
    ) throws -> Decision {
        let reference = try checkedCommon(program: program, year: year, district: district, reference: reference, budget: budget, places: places)
        guard delta != .zero else {
            throw DomainError.invalidInput(field: "amount", problem: "an adjustment must add or remove something, not 0 ₫")
        }
        let label = BudgetState.label(program: program.code, fiscalYear: year, district: district, places: places)
        guard budget.isAllocated else {
            throw DomainError(.unknownBudget, "no budget has been allocated for \(label); allocate it before adjusting it")
        }
        let allocatedAfter = try budget.allocated.adding(delta)
        guard allocatedAfter >= budget.reserved else {
            throw DomainError(
                .belowCommitted,
                "removing \((-delta).formatted) from budget \(label) would leave \(allocatedAfter.formatted) allocated, below the "
                    + "\(budget.reserved.formatted) already committed to approved applications; at most \(budget.available.formatted) can be removed"
            )
        }
        let event = LedgerEvent.budgetAdjusted(BudgetAdjusted(
            program: program.code, fiscalYear: year, district: district, deltaVND: delta, reference: reference
        ))
        let verb = delta.isPositive ? "added \(delta.formatted) to" : "removed \((-delta).formatted) from"
        return Decision(
            streams: [StreamEvents(stream: budget.streamID, expectedVersion: budget.version, events: [event])],
            summary: "\(verb) budget \(label) (\(reference)); allocated \(allocatedAfter.formatted), "
                + "available \(try allocatedAfter.subtracting(budget.reserved).formatted)"
        )
    }

    /// The checks allocation and adjustment share; returns the trimmed reference. With places
    /// loaded, a budget is for a unit in force on some day of its fiscal year.
    static func checkedCommon(program: ProgramState, year: Int, district: UnitCode, reference: String, budget: BudgetState,
                              places: PlaceCatalog) throws -> String {
        guard program.exists else {
            throw DomainError(.unknownProgram, "no programme \(program.code) is defined; load the catalog that defines it first")
        }
        guard DomainLimits.fiscalYears.contains(year) else {
            throw DomainError.invalidInput(
                field: "year", problem: "\(year) is not a fiscal year the ledger accepts (\(DomainLimits.fiscalYears.lowerBound)–\(DomainLimits.fiscalYears.upperBound))"
            )
        }
        if let problem = places.budgetProblem(district, year: year) {
            throw DomainError.invalidInput(field: "--unit", problem: problem)
        }
        precondition(
            budget.streamID == Streams.budget(program: program.code, year: year, district: district),
            "the budget state given is of stream \(budget.streamID)"
        )
        return try DomainText.validated(reference, field: "reference", maximumCharacters: DomainLimits.maximumReferenceCharacters)
    }
}
