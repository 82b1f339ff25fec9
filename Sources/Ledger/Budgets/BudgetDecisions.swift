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
            throw DomainError.invalidInput(field: "amount", problem: Message("an allocation must be a positive amount, not {0}", .amount(amount)))
        }
        let allocatedAfter = try budget.allocated.adding(amount)
        let label = BudgetState.label(program: program.code, fiscalYear: year, district: district, places: places)
        let event = LedgerEvent.budgetAllocated(BudgetAllocated(
            program: program.code, fiscalYear: year, district: district, amountVND: amount, reference: reference
        ))
        return Decision(
            streams: [StreamEvents(stream: budget.streamID, expectedVersion: budget.version, events: [event])],
            summary: Message(
                "allocated {0} to budget {1} ({2}); allocated {3}, available {4}", .amount(amount), .text(label), .text(reference),
                .amount(allocatedAfter), .amount(try allocatedAfter.subtracting(budget.reserved))
            )
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
            throw DomainError.invalidInput(field: "amount", problem: Message("an adjustment must add or remove something, not 0 ₫"))
        }
        let label = BudgetState.label(program: program.code, fiscalYear: year, district: district, places: places)
        guard budget.isAllocated else {
            throw DomainError(.unknownBudget, Message("no budget has been allocated for {0}; allocate it before adjusting it", .text(label)))
        }
        let allocatedAfter = try budget.allocated.adding(delta)
        guard allocatedAfter >= budget.reserved else {
            throw DomainError(
                .belowCommitted,
                Message(
                    "removing {0} from budget {1} would leave {2} allocated, below the {3} already committed to approved applications; "
                        + "at most {4} can be removed",
                    .amount(-delta), .text(label), .amount(allocatedAfter), .amount(budget.reserved), .amount(budget.available)
                )
            )
        }
        let event = LedgerEvent.budgetAdjusted(BudgetAdjusted(
            program: program.code, fiscalYear: year, district: district, deltaVND: delta, reference: reference
        ))
        let key = delta.isPositive
            ? "added {0} to budget {1} ({2}); allocated {3}, available {4}" : "removed {0} from budget {1} ({2}); allocated {3}, available {4}"
        return Decision(
            streams: [StreamEvents(stream: budget.streamID, expectedVersion: budget.version, events: [event])],
            summary: Message(
                key, .amount(delta.isPositive ? delta : -delta), .text(label), .text(reference), .amount(allocatedAfter),
                .amount(try allocatedAfter.subtracting(budget.reserved))
            )
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
