/// What a loan disbursement needs to know about its application, as plain values (the
/// application's own state type lives with the applications; the handler fills this in).
public struct LoanApplicationFacts: Sendable, Equatable {
    /// Where the application is in its lifecycle; only `approved` may be disbursed.
    public enum Status: String, Sendable, Equatable {
        case submitted, approved, rejected, withdrawn, closed
    }

    public let applicationID: String
    public let beneficiaryID: String
    public let programCode: String
    public let programKind: ProgramKind
    public let status: Status
    public let approvedVND: VND
    /// Principal of loans already disbursed against this application.
    public let alreadyDisbursedVND: VND
    /// The approval's business date; no disbursement may precede it.
    public let decidedOn: LocalDate
    /// The version of `application-{id}` these facts were read at.
    public let applicationVersion: Int64

    public init(applicationID: String, beneficiaryID: String, programCode: String, programKind: ProgramKind, status: Status,
                approvedVND: VND, alreadyDisbursedVND: VND, decidedOn: LocalDate, applicationVersion: Int64) {
        self.applicationID = applicationID
        self.beneficiaryID = beneficiaryID
        self.programCode = programCode
        self.programKind = programKind
        self.status = status
        self.approvedVND = approvedVND
        self.alreadyDisbursedVND = alreadyDisbursedVND
        self.decidedOn = decidedOn
        self.applicationVersion = applicationVersion
    }
}

/// The pure decisions of `loan-{id}`: disburse, repay, write off. Each takes folded state and
/// plain values and returns a `Decision` or throws a `DomainError`; none touches a database.
/// Who may take them (officers repay and disburse, approvers write off) is checked by the
/// database on the event types, not here.
public enum LoanDecisions {
    /// Disburses `principalVND` of an approved loan-programme application as loan `loanID`.
    ///
    /// Emits `LoanDisbursed` on `loan-{id}` (expected version 0) and `LoanOpened` on
    /// `application-{id}` (expected version `application.applicationVersion`). The same
    /// disbursement again is `alreadyDone`; a different one under a used loan id `.alreadyExists`.
    public static func disburse(
        application: LoanApplicationFacts, terms: LoanTerms, loan: LoanState,
        loanID: String, principalVND: VND, disbursedOn: LocalDate, termMonths: Int
    ) throws -> Decision {
        _ = try Identifier.validated(loanID, field: "--loan-id")
        if let recorded = loan.disbursement {
            if recorded.applicationID == application.applicationID, recorded.principalVND == principalVND,
               recorded.disbursedOn == disbursedOn, recorded.termMonths == termMonths {
                return .alreadyDone("loan \(loanID) was already disbursed: \(recorded.principalVND.formatted) on \(recorded.disbursedOn)")
            }
            throw DomainError(
                .alreadyExists,
                "loan \(loanID) already exists (\(recorded.principalVND.formatted) disbursed on \(recorded.disbursedOn) for application \(recorded.applicationID)); choose another loan id",
                field: "--loan-id"
            )
        }
        guard application.status == .approved else {
            throw DomainError(
                .wrongStatus, "application \(application.applicationID) is \(application.status.rawValue); only an approved application can be disbursed"
            )
        }
        guard application.programKind == .loan else {
            throw DomainError(
                .notEligible,
                "application \(application.applicationID) is for \(application.programCode), a \(application.programKind.rawValue) programme, not a loan programme",
                field: "--application"
            )
        }
        try checkTerms(terms, program: application.programCode)
        guard principalVND.isPositive else {
            throw DomainError.invalidInput(field: "--principal", problem: "the principal must be a positive number of đồng, not \(principalVND)")
        }
        let available = application.approvedVND - application.alreadyDisbursedVND
        guard principalVND <= available else {
            throw DomainError(
                .overCap,
                Message(
                    "a principal of {0} exceeds the {1} still available on application {2} (approved {3}, already disbursed {4})",
                    .amount(principalVND), .amount(available), .text(application.applicationID), .amount(application.approvedVND),
                    .amount(application.alreadyDisbursedVND)
                ),
                field: "--principal"
            )
        }
        guard termMonths >= 1, termMonths <= terms.maxTermMonths, termMonths % terms.instalmentMonths == 0 else {
            throw DomainError.invalidInput(
                field: "--term-months",
                problem: "\(termMonths) months: \(application.programCode) lends for 1…\(terms.maxTermMonths) months in whole \(terms.instalmentMonths)-month instalments"
            )
        }
        guard disbursedOn >= application.decidedOn else {
            throw DomainError.invalidInput(
                field: "--disbursed-on", problem: "\(disbursedOn) is before the approval of application \(application.applicationID) on \(application.decidedOn)"
            )
        }
        guard InterestAccrual.annualRateBasisPoints(on: disbursedOn, in: terms.ratePeriods) != nil else {
            throw DomainError.invalidInput(
                field: "--disbursed-on", problem: "\(application.programCode) has no interest rate in force on \(disbursedOn) (its first rate period starts \(terms.ratePeriods[0].from))"
            )
        }
        let schedule = try LoanSchedule(
            principalVND: principalVND, disbursedOn: disbursedOn, termMonths: termMonths, instalmentMonths: terms.instalmentMonths
        )
        let disbursed = LoanDisbursed(
            loanID: loanID, applicationID: application.applicationID, beneficiaryID: application.beneficiaryID,
            program: application.programCode, principalVND: principalVND, disbursedOn: disbursedOn, termMonths: termMonths,
            instalmentMonths: terms.instalmentMonths, overdueMultiplierPercent: terms.overdueMultiplierPercent
        )
        let opened = LoanOpened(loanID: loanID, principalVND: principalVND, disbursedOn: disbursedOn)
        let first = schedule.instalments[0]
        return Decision(
            streams: [
                StreamEvents(stream: Streams.loan(loanID), expectedVersion: 0, events: [.loanDisbursed(disbursed)]),
                StreamEvents(
                    stream: Streams.application(application.applicationID), expectedVersion: application.applicationVersion,
                    events: [.loanOpened(opened)]
                ),
            ],
            summary: "loan \(loanID) disbursed: \(principalVND.formatted) on \(disbursedOn) for \(termMonths) months, "
                + "\(schedule.instalments.count) instalments every \(terms.instalmentMonths) months from \(first.dueOn) (\(first.principalVND.formatted)) "
                + "to \(schedule.maturesOn)"
        )
    }

    /// Records a repayment of `amountVND` on `paidOn`, allocated by `RepaymentAllocation`,
    /// with interest accrued at `terms.ratePeriods` since the last repayment. Emits `LoanRepaid`
    /// (and `LoanSettled` when nothing is owed afterwards) on `loan-{id}` at `loan.version`.
    /// The same repayment id with the same amount and date is `alreadyDone`; with other
    /// content `.conflictingDuplicate`.
    public static func repay(
        loan: LoanState, terms: LoanTerms, repaymentID: String, amountVND: VND, paidOn: LocalDate
    ) throws -> Decision {
        _ = try Identifier.validated(repaymentID, field: "--repayment-id")
        guard loan.disbursement != nil, let lastAccrualDate = loan.lastAccrualDate else {
            throw DomainError(.unknownLoan, Message("loan {0} has not been disbursed", .text(loan.loanID)), field: "--loan-id")
        }
        if let recorded = loan.repayments[repaymentID] {
            if recorded.amountVND == amountVND, recorded.paidOn == paidOn {
                return .alreadyDone("repayment \(repaymentID) of \(amountVND.formatted) on \(paidOn) was already recorded on loan \(loan.loanID)")
            }
            throw DomainError(
                .conflictingDuplicate,
                "repayment \(repaymentID) was already recorded on loan \(loan.loanID) as \(recorded.amountVND.formatted) on \(recorded.paidOn); "
                    + "it cannot now be \(amountVND.formatted) on \(paidOn)",
                field: "--repayment-id"
            )
        }
        try requireActive(loan, toDo: "repaid")
        guard paidOn >= lastAccrualDate else {
            let what = loan.repayments.isEmpty ? "disbursed" : "last repaid"
            throw DomainError(
                .outOfOrder,
                Message("{0} is before {1}, when loan {2} was \(what)", .date(paidOn), .date(lastAccrualDate), .text(loan.loanID)),
                field: "--paid-on"
            )
        }
        let position = try LoanPosition(loan: loan, ratePeriods: terms.ratePeriods, asOf: paidOn)
        let allocation = try RepaymentAllocation(amountVND: amountVND, position: position)
        var events: [LedgerEvent] = [.loanRepaid(allocation.event(repaymentID: repaymentID, paidOn: paidOn))]
        var summary = "repayment \(repaymentID) of \(amountVND.formatted) on loan \(loan.loanID) on \(paidOn): "
            + "overdue interest \(allocation.overdueInterestVND.formatted), interest \(allocation.interestVND.formatted), "
            + "overdue principal \(allocation.overduePrincipalVND.formatted), principal due \(allocation.principalDueVND.formatted), "
            + "prepaid \(allocation.prepaidPrincipalVND.formatted); principal outstanding \(allocation.outstandingPrincipalAfterVND.formatted)"
        let carried = allocation.unpaidOverdueInterestAfterVND + allocation.unpaidInterestAfterVND
        if carried.isPositive { summary += ", interest carried forward \(carried.formatted)" }
        if allocation.settlesLoan {
            events.append(.loanSettled(LoanSettled(settledOn: paidOn)))
            summary += "; loan settled"
        }
        return Decision(
            streams: [StreamEvents(stream: Streams.loan(loan.loanID), expectedVersion: loan.version, events: events)],
            summary: summary
        )
    }

    /// Writes off an active loan on `on` (an approver's decision), recording the principal
    /// outstanding and the interest unpaid on that date (overdue interest and interest
    /// together, each rounded half up). The same write-off again is `alreadyDone`.
    public static func writeOff(loan: LoanState, terms: LoanTerms, reason: String, on: LocalDate) throws -> Decision {
        let reason = try DomainText.validated(reason, field: "--reason", maximumCharacters: LoanLimits.maximumReasonCharacters)
        guard loan.disbursement != nil, let lastAccrualDate = loan.lastAccrualDate else {
            throw DomainError(.unknownLoan, Message("loan {0} has not been disbursed", .text(loan.loanID)), field: "--loan-id")
        }
        if let recorded = loan.writeOff, recorded.reason == reason, recorded.writtenOffOn == on {
            return .alreadyDone("loan \(loan.loanID) was already written off on \(on)")
        }
        try requireActive(loan, toDo: "written off")
        guard on >= lastAccrualDate else {
            throw DomainError(
                .outOfOrder, "\(on) is before \(lastAccrualDate), the last date interest on loan \(loan.loanID) was fixed", field: "--written-off-on"
            )
        }
        let position = try LoanPosition(loan: loan, ratePeriods: terms.ratePeriods, asOf: on)
        let unpaidInterest = try position.overdueInterestVND.adding(position.interestVND)
        let writtenOff = LoanWrittenOff(
            reason: reason, writtenOffOn: on, outstandingPrincipalVND: position.outstandingPrincipalVND, unpaidInterestVND: unpaidInterest
        )
        return Decision(
            streams: [StreamEvents(stream: Streams.loan(loan.loanID), expectedVersion: loan.version, events: [.loanWrittenOff(writtenOff)])],
            summary: "loan \(loan.loanID) written off on \(on): principal \(position.outstandingPrincipalVND.formatted) "
                + "and interest \(unpaidInterest.formatted) unpaid (\(position.daysPastDue) days past due)"
        )
    }

    /// A loan programme's terms must be usable: rate periods in order and in range, an overdue
    /// multiplier within `LoanLimits`, and a maximum term that is a whole number of instalments.
    public static func checkTerms(_ terms: LoanTerms, program: String) throws {
        do {
            try InterestAccrual.checkRatePeriods(terms.ratePeriods)
        } catch let error as DomainError {
            throw DomainError(error.code, "programme \(program): \(error.message)", field: error.field)
        }
        guard (LoanLimits.minimumOverdueMultiplierPercent...LoanLimits.maximumOverdueMultiplierPercent)
            .contains(terms.overdueMultiplierPercent)
        else {
            throw DomainError.invalidInput(
                field: "overdue_multiplier_percent",
                problem: "programme \(program): \(terms.overdueMultiplierPercent) % is outside \(LoanLimits.minimumOverdueMultiplierPercent)…\(LoanLimits.maximumOverdueMultiplierPercent) %"
            )
        }
        guard (1...LoanLimits.maximumTermMonths).contains(terms.maxTermMonths),
              (1...terms.maxTermMonths).contains(terms.instalmentMonths)
        else {
            throw DomainError.invalidInput(
                field: "max_term_months",
                problem: "programme \(program): a maximum term of \(terms.maxTermMonths) months with \(terms.instalmentMonths)-month instalments is outside 1…\(LoanLimits.maximumTermMonths) months"
            )
        }
    }

    private static func requireActive(_ loan: LoanState, toDo action: String) throws {
        switch loan.status {
        case .active:
            return
        case .settled:
            throw DomainError(
                .wrongStatus, "loan \(loan.loanID) was settled on \(loan.settledOn.map(String.init(describing:)) ?? "?"); it cannot be \(action)"
            )
        case .writtenOff:
            throw DomainError(
                .wrongStatus, "loan \(loan.loanID) was written off on \(loan.writeOff.map { String(describing: $0.writtenOffOn) } ?? "?"); it cannot be \(action)"
            )
        case .notDisbursed:
            throw DomainError(.unknownLoan, Message("loan {0} has not been disbursed", .text(loan.loanID)), field: "--loan-id")
        }
    }
}
