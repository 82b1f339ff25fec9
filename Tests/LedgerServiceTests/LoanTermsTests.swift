@testable import Ledger
import Testing

/// Rates are per period: an amendment that lists only its new rate keeps the earlier periods.
struct LoanTermsTests {
    static func definition(effective: String, periods: [(String, Int)]) -> ProgramDefinition {
        ProgramDefinition(
            code: "LOAN", nameVi: "Vay", nameEn: "Loan", legalBasis: "NQ 11/2023", kind: .loan, beneficiaryKinds: [.person],
            eligibleCategories: [], capPerBeneficiaryVND: 150_000_000, validFrom: Scenario.date("2024-01-01"),
            validUntil: Scenario.date("2025-12-31"), onceOnly: false, effectiveFrom: Scenario.date(effective), illustrative: true,
            loanTerms: LoanTerms(ratePeriods: periods.map { RatePeriod(from: Scenario.date($0.0), annualRateBasisPoints: $0.1) },
                                 overdueMultiplierPercent: 130, maxTermMonths: 60, instalmentMonths: 3)
        )
    }

    @Test func anAmendmentListingOnlyItsNewRateKeepsTheEarlierPeriods() {
        var program = ProgramState(streamID: "program-LOAN")
        let context = EventContext(position: 1, streamVersion: 1, actor: "admin", recordedAtMicroseconds: 0)
        program.apply(.programDefined(Self.definition(effective: "2024-01-01", periods: [("2024-01-01", 660)])), context: context)
        program.apply(.programAmended(Self.definition(effective: "2024-07-01", periods: [("2024-07-01", 720)])), context: context)
        let terms = LedgerService.loanTermsAcrossAmendments(program)
        #expect(terms?.ratePeriods.map(\.annualRateBasisPoints) == [660, 720])
        #expect(terms?.ratePeriods.map(\.from.description) == ["2024-01-01", "2024-07-01"])
    }

    @Test func anAmendmentRestatingHistoryWins() {
        var program = ProgramState(streamID: "program-LOAN")
        let context = EventContext(position: 1, streamVersion: 1, actor: "admin", recordedAtMicroseconds: 0)
        program.apply(.programDefined(Self.definition(effective: "2024-01-01", periods: [("2024-01-01", 660)])), context: context)
        program.apply(.programAmended(Self.definition(effective: "2024-07-01", periods: [("2024-01-01", 650), ("2024-07-01", 720)])), context: context)
        #expect(LedgerService.loanTermsAcrossAmendments(program)?.ratePeriods.map(\.annualRateBasisPoints) == [650, 720])
    }
}
