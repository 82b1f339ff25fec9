import Testing
@testable import Ledger

/// A date from `YYYY-MM-DD` (test input only).
func day(_ text: String) -> LocalDate {
    try! LocalDate(parsing: text, field: "test")
}

/// The overseas-work loan terms of the golden tests: 6.60 % a year from 2024-01-01, overdue
/// interest at 130 %, at most 60 months, quarterly instalments.
func quarterlyTerms(_ ratePeriods: [RatePeriod] = [RatePeriod(from: day("2024-01-01"), annualRateBasisPoints: 660)]) -> LoanTerms {
    LoanTerms(ratePeriods: ratePeriods, overdueMultiplierPercent: 130, maxTermMonths: 60, instalmentMonths: 3)
}

/// An approved application of the loan programme, approved on 2024-01-01, nothing disbursed yet.
func approvedApplication(
    approvedVND: VND = 150_000_000, alreadyDisbursedVND: VND = .zero, status: LoanApplicationFacts.Status = .approved,
    kind: ProgramKind = .loan, decidedOn: LocalDate = day("2024-01-01")
) -> LoanApplicationFacts {
    LoanApplicationFacts(
        applicationID: "APP-1", beneficiaryID: "BEN-1", programCode: "NQ11-OVERSEAS-LOAN", programKind: kind, status: status,
        approvedVND: approvedVND, alreadyDisbursedVND: alreadyDisbursedVND, decidedOn: decidedOn, applicationVersion: 2
    )
}

/// Folds a decision's events for `loan`'s stream into it, as the loader would after the append.
func applying(_ decision: Decision, to loan: LoanState) -> LoanState {
    var position: Int64 = 100
    var folded: [(LedgerEvent, EventContext)] = []
    var version = loan.version
    for streamEvents in decision.streams where streamEvents.stream == Streams.loan(loan.loanID) {
        for event in streamEvents.events {
            version += 1
            position += 1
            folded.append((event, EventContext(position: position, streamVersion: version, actor: "officer", recordedAtMicroseconds: 0)))
        }
    }
    return loan.folding(folded)
}

/// A disbursed loan.
func disbursedLoan(
    id: String = "L-1", principalVND: VND, on disbursedOn: LocalDate, termMonths: Int, terms: LoanTerms = quarterlyTerms()
) throws -> LoanState {
    let empty = LoanState(loanID: id)
    let decision = try LoanDecisions.disburse(
        application: approvedApplication(), terms: terms, loan: empty, loanID: id,
        principalVND: principalVND, disbursedOn: disbursedOn, termMonths: termMonths
    )
    return applying(decision, to: empty)
}

/// The loan stream's events of a decision.
func loanEvents(_ decision: Decision) -> [LedgerEvent] {
    decision.streams.first { $0.stream.hasPrefix("loan-") }?.events ?? []
}

/// Repays and returns the recorded `LoanRepaid`, whether it settled the loan, and the new state.
func repaying(
    _ loan: LoanState, _ amountVND: VND, on paidOn: LocalDate, id: String, terms: LoanTerms = quarterlyTerms()
) throws -> (repaid: LoanRepaid, settled: Bool, loan: LoanState) {
    let decision = try LoanDecisions.repay(loan: loan, terms: terms, repaymentID: id, amountVND: amountVND, paidOn: paidOn)
    let events = loanEvents(decision)
    guard case .loanRepaid(let repaid) = events.first else {
        Issue.record("expected LoanRepaid, got \(events)")
        throw DomainError(.invalidInput, "no LoanRepaid")
    }
    let settled = events.contains { if case .loanSettled = $0 { true } else { false } }
    return (repaid, settled, applying(decision, to: loan))
}

/// Expects `body` to throw a `DomainError` with `code`, and returns it.
@discardableResult
func expectRefusal(_ code: DomainError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any) -> DomainError? {
    do {
        let result = try body()
        Issue.record("expected \(code), got \(result)", sourceLocation: sourceLocation)
        return nil
    } catch let error as DomainError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected DomainError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
