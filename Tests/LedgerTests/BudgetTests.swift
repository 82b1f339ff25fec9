import Foundation
import Ledger
import Testing

@Suite struct BudgetStateTests {
    @Test func allocationsAdjustmentsReservationsAndReleasesAddUp() {
        let stream = Streams.budget(program: "NQ12-HOUSING", year: 2024, district: .caiRang)
        let budget = Fixtures.fold(BudgetState.self, stream, [
            .budgetAllocated(BudgetAllocated(program: "NQ12-HOUSING", fiscalYear: 2024, district: .caiRang, amountVND: 100_000_000, reference: "QĐ 1")),
            .budgetAdjusted(BudgetAdjusted(program: "NQ12-HOUSING", fiscalYear: 2024, district: .caiRang, deltaVND: -20_000_000, reference: "QĐ 2")),
            .budgetAllocated(BudgetAllocated(program: "NQ12-HOUSING", fiscalYear: 2024, district: .caiRang, amountVND: 10_000_000, reference: "QĐ 3")),
            .fundsReserved(FundsReserved(applicationID: "A-1", amountVND: 40_000_000)),
            .fundsReserved(FundsReserved(applicationID: "A-2", amountVND: 30_000_000)),
            .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 15_000_000, reason: "closed")),
            .fundsReleased(FundsReleased(applicationID: "A-2", amountVND: 30_000_000, reason: "withdrawn")),
        ])
        #expect(budget.isAllocated)
        #expect(budget.program == "NQ12-HOUSING" && budget.fiscalYear == 2024 && budget.district == .caiRang)
        #expect(budget.allocated == 90_000_000)
        #expect(budget.reserved == 25_000_000)
        #expect(budget.available == 65_000_000)
        #expect(budget.version == 7)
    }

    @Test func theStateSurvivesASnapshotRoundTrip() throws {
        let budget = Fixtures.budget(reservations: [("A-1", 6_000_000)])
        #expect(try JSONDecoder().decode(BudgetState.self, from: try JSONEncoder().encode(budget)) == budget)
    }
}

@Suite struct BudgetDecisionTests {
    static let stream = Streams.budget(program: "NQ12-LATRINE", year: 2024, district: .ninhKieu)

    @Test func allocatingToANewBudgetStartsItsStream() throws {
        let decision = try BudgetDecisions.allocate(
            program: Fixtures.latrine, year: 2024, district: .ninhKieu, amount: 500_000_000, reference: "  QĐ 123/QĐ-UBND  ",
            budget: BudgetState(streamID: Self.stream)
        )
        #expect(decision.streams == [StreamEvents(stream: "budget-NQ12-LATRINE-2024-ninh-kieu", expectedVersion: 0, events: [
            .budgetAllocated(BudgetAllocated(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu, amountVND: 500_000_000, reference: "QĐ 123/QĐ-UBND")),
        ])])
        #expect(decision.summary.contains("500,000,000 ₫"))
    }

    @Test func aSecondAllocationAddsToTheBudgetAtItsVersion() throws {
        let budget = Fixtures.budget(allocated: 100_000_000, reservations: [("A-1", 6_000_000)])
        let decision = try BudgetDecisions.allocate(
            program: Fixtures.latrine, year: 2024, district: .ninhKieu, amount: 50_000_000, reference: "QĐ 2", budget: budget
        )
        #expect(decision.streams.map(\.expectedVersion) == [2])
        #expect(decision.summary.contains("allocated 150,000,000 ₫, available 144,000,000 ₫"))
    }

    @Test func allocatingToAnUndefinedProgrammeIsRefused() throws {
        let error = try #require(refusal {
            try BudgetDecisions.allocate(
                program: ProgramState(streamID: "program-NQ99"), year: 2024, district: .ninhKieu, amount: 1, reference: "QĐ",
                budget: BudgetState(streamID: Streams.budget(program: "NQ99", year: 2024, district: .ninhKieu))
            )
        })
        #expect(error.code == .unknownProgram)
        #expect(error.message.contains("NQ99"))
    }

    @Test(arguments: [VND(0), VND(-1)])
    func anAllocationMustBePositive(amount: VND) throws {
        let error = try #require(refusal {
            try BudgetDecisions.allocate(program: Fixtures.latrine, year: 2024, district: .ninhKieu, amount: amount, reference: "QĐ", budget: BudgetState(streamID: Self.stream))
        })
        #expect(error.code == .invalidInput)
        #expect(error.field == "amount")
        #expect(error.message.contains(amount.formatted))
    }

    @Test(arguments: [("", "must not be empty"), ("   ", "must not be empty"), (String(repeating: "x", count: 201), "201 characters; at most 200"), ("QĐ\n1", "control characters")])
    func aReferenceMustBeOneLineOfAtMostTwoHundredCharacters(reference: String, problem: String) throws {
        let error = try #require(refusal {
            try BudgetDecisions.allocate(program: Fixtures.latrine, year: 2024, district: .ninhKieu, amount: 1, reference: reference, budget: BudgetState(streamID: Self.stream))
        })
        #expect(error.field == "reference")
        #expect(error.message.contains(problem))
    }

    @Test func aReferenceOfExactlyTwoHundredCharactersIsAccepted() throws {
        let decision = try BudgetDecisions.allocate(
            program: Fixtures.latrine, year: 2024, district: .ninhKieu, amount: 1, reference: String(repeating: "Đ", count: 200), budget: BudgetState(streamID: Self.stream)
        )
        #expect(decision.streams.count == 1)
    }

    @Test(arguments: [1999, 2101])
    func aFiscalYearOutsideTheLedgersRangeIsRefused(year: Int) throws {
        let error = try #require(refusal {
            try BudgetDecisions.allocate(
                program: Fixtures.latrine, year: year, district: .ninhKieu, amount: 1, reference: "QĐ",
                budget: BudgetState(streamID: Streams.budget(program: "NQ12-LATRINE", year: year, district: .ninhKieu))
            )
        })
        #expect(error.field == "year")
        #expect(error.message.contains("\(year)"))
    }

    @Test(arguments: [VND(25_000_000), VND(-94_000_000)])
    func anAdjustmentUpOrDownToWhatIsCommittedIsRecorded(delta: VND) throws {
        let budget = Fixtures.budget(allocated: 100_000_000, reservations: [("A-1", 6_000_000)])
        let decision = try BudgetDecisions.adjust(
            program: Fixtures.latrine, year: 2024, district: .ninhKieu, delta: delta, reference: "QĐ 9", budget: budget
        )
        #expect(decision.streams == [StreamEvents(stream: Self.stream, expectedVersion: 2, events: [
            .budgetAdjusted(BudgetAdjusted(program: "NQ12-LATRINE", fiscalYear: 2024, district: .ninhKieu, deltaVND: delta, reference: "QĐ 9")),
        ])])
    }

    @Test func anAdjustmentBelowWhatIsCommittedIsRefusedNamingBothFigures() throws {
        let budget = Fixtures.budget(allocated: 100_000_000, reservations: [("A-1", 6_000_000), ("A-2", 4_000_000)])
        let error = try #require(refusal {
            try BudgetDecisions.adjust(program: Fixtures.latrine, year: 2024, district: .ninhKieu, delta: -95_000_000, reference: "QĐ 9", budget: budget)
        })
        #expect(error.code == .belowCommitted)
        #expect(error.message.contains("5,000,000 ₫ allocated"))
        #expect(error.message.contains("10,000,000 ₫ already committed"))
        #expect(error.message.contains("at most 90,000,000 ₫ can be removed"))
    }

    @Test func aZeroAdjustmentIsRefused() throws {
        let error = try #require(refusal {
            try BudgetDecisions.adjust(program: Fixtures.latrine, year: 2024, district: .ninhKieu, delta: .zero, reference: "QĐ", budget: Fixtures.budget())
        })
        #expect(error.code == .invalidInput)
        #expect(error.field == "amount")
    }

    @Test func adjustingABudgetNeverAllocatedIsRefused() throws {
        let error = try #require(refusal {
            try BudgetDecisions.adjust(program: Fixtures.latrine, year: 2024, district: .ninhKieu, delta: 5, reference: "QĐ", budget: BudgetState(streamID: Self.stream))
        })
        #expect(error.code == .unknownBudget)
        #expect(error.message.contains("NQ12-LATRINE 2024 Ninh Kiều"))
    }

    @Test func anAllocationThatWouldOverflowIsRefused() throws {
        let budget = Fixtures.budget(allocated: VND(VND.maximumMagnitude))
        let error = try #require(refusal {
            try BudgetDecisions.allocate(program: Fixtures.latrine, year: 2024, district: .ninhKieu, amount: 1, reference: "QĐ", budget: budget)
        })
        #expect(error.code == .amountOverflow)
    }
}
