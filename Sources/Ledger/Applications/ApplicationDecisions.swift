/// Decisions about applications: submit, approve, reject, withdraw, close (payments are in
/// `ApplicationDecisions+Payments.swift`). Each is a pure function of the states it reads;
/// the events it returns carry the versions those states were read at, so the handler's atomic
/// append holds only if none of them moved.
public enum ApplicationDecisions {
    /// An officer submits an application for `beneficiary` under `program`. Refused when the
    /// beneficiary is not registered (`unknownBeneficiary`) or the programme not defined
    /// (`unknownProgram`); when the programme, as defined on `submittedOn`, does not serve the
    /// beneficiary's kind or any of its categories (`notEligible`); when `requested` is not
    /// positive or above the cap (`overCap`). The fiscal year defaults to `submittedOn`'s year;
    /// the unit whose budget it draws on is `budgetUnit` (`PlaceCatalog.budgetUnit`: the
    /// beneficiary's unit, or the one it came from that existed that year), by default the
    /// beneficiary's. The validity window is not checked here: an officer may
    /// record a request at any time, and approval and payment are held to the window. The same id
    /// with the same content is already done; with different content, `alreadyExists`.
    public static func submit(
        id: String, existing: ApplicationState, beneficiary: BeneficiaryState, program: ProgramState,
        requested: VND, submittedOn: LocalDate, fiscalYear: Int? = nil, budgetUnit: UnitCode? = nil,
        places: PlaceCatalog = PlaceCatalog()
    ) throws -> Decision {
        let id = try Identifier.validated(id, field: "id")
        precondition(existing.streamID == Streams.application(id), "the application state given is of stream \(existing.streamID)")
        guard requested.isPositive else {
            throw DomainError.invalidInput(field: "amount", problem: "the amount requested must be positive, not \(requested.formatted)")
        }
        let year = fiscalYear ?? submittedOn.year
        guard DomainLimits.fiscalYears.contains(year) else {
            throw DomainError.invalidInput(
                field: "year", problem: "\(year) is not a fiscal year the ledger accepts (\(DomainLimits.fiscalYears.lowerBound)–\(DomainLimits.fiscalYears.upperBound))"
            )
        }
        let candidate = (beneficiary.district.flatMap { _ in budgetUnit } ?? beneficiary.district).map {
            ApplicationSubmitted(
                applicationID: id, beneficiaryID: beneficiary.id, program: program.code, district: $0, fiscalYear: year,
                requestedVND: requested, submittedOn: submittedOn
            )
        }
        if let earlier = existing.submission {
            guard earlier == candidate else {
                throw DomainError(
                    .alreadyExists,
                    "application \(id) was already submitted (beneficiary \(earlier.beneficiaryID), programme \(earlier.program), "
                        + "\(earlier.requestedVND.formatted) on \(earlier.submittedOn), fiscal year \(earlier.fiscalYear)); choose another id"
                )
            }
            return .alreadyDone("application \(id) was already submitted with these details")
        }
        guard let registration = beneficiary.registration, let submitted = candidate else {
            throw DomainError(.unknownBeneficiary, Message("no beneficiary {0} is registered; register them first", .text(beneficiary.id)))
        }
        guard let definition = program.definition(on: submittedOn) else {
            throw DomainError(.unknownProgram, "no programme \(program.code) is defined; load the catalog that defines it first")
        }
        guard definition.beneficiaryKinds.contains(registration.kind) else {
            let kinds = definition.beneficiaryKinds.map { $0.rawValue + "s" }.joined(separator: " and ")
            throw DomainError(
                .notEligible,
                "programme \(program.code) supports \(kinds); beneficiary \(beneficiary.id) is registered as a \(registration.kind.rawValue)"
            )
        }
        // The categories as amended since the registration.
        if !definition.eligibleCategories.isEmpty, Set(definition.eligibleCategories).isDisjoint(with: beneficiary.categories) {
            let held: Message.Argument = beneficiary.categories.isEmpty ? .term("none") : .text(beneficiary.categories.joined(separator: ", "))
            throw DomainError(
                .notEligible,
                Message(
                    "programme {0} requires one of the categories {1}; beneficiary {2} has: {3}",
                    .text(program.code), .text(definition.eligibleCategories.joined(separator: ", ")), .text(beneficiary.id), held
                )
            )
        }
        guard requested <= definition.capPerBeneficiaryVND else {
            throw DomainError(
                .overCap,
                Message(
                    "the {0} requested is above the cap of {1} per beneficiary of programme {2}",
                    .amount(requested), .amount(definition.capPerBeneficiaryVND), .text(program.code)
                )
            )
        }
        return Decision(
            streams: [StreamEvents(stream: existing.streamID, expectedVersion: existing.version, events: [.applicationSubmitted(submitted)])],
            summary: Message(
                "application {0} submitted: {1} under {2} for beneficiary {3} ({4}, fiscal year {5})",
                .text(id), .amount(requested), .text(program.code), .text(beneficiary.id),
                .text(places.isEmpty ? submitted.district.name : places.title(of: submitted.district)), .text(String(year))
            )
        )
    }

    /// An approver approves a submitted application (`wrongStatus` otherwise) that someone else
    /// submitted (`fourEyes`), on a date inside the programme's validity window as defined then
    /// (`outsideProgramWindow`), for a positive amount within the cap (`overCap`) — for a
    /// once-only programme, within the cap less what the beneficiary was already granted under it
    /// — and within what the budget of the application's programme, fiscal year and district
    /// still has available (`overBudget`). Appends to three streams at once: the approval, the
    /// budget's reservation, and the commitment counted against the beneficiary.
    public static func approve(
        application: ApplicationState, program: ProgramState, budget: BudgetState, beneficiary: BeneficiaryState,
        approver: String, amount: VND, decisionReference: String, decidedOn: LocalDate
    ) throws -> Decision {
        let submission = try submitted(application)
        try requireStatus(application, [.submitted], toBe: "approved")
        try requireFourEyes(application, decider: approver, action: "approve")
        precondition(program.code == submission.program, "the programme given is \(program.code), not \(submission.program)")
        precondition(budget.streamID == application.budgetStreamID, "the budget given is of stream \(budget.streamID)")
        precondition(beneficiary.id == submission.beneficiaryID, "the beneficiary given is \(beneficiary.id)")
        let reference = try DomainText.validated(decisionReference, field: "decision", maximumCharacters: DomainLimits.maximumReferenceCharacters)
        guard amount.isPositive else {
            throw DomainError.invalidInput(field: "amount", problem: "the amount approved must be positive, not \(amount.formatted)")
        }
        try requireNotBefore(decidedOn, submission.submittedOn, field: "decided_on", when: Message("application {0} was submitted", .text(application.id)))
        guard let definition = program.definition(on: decidedOn) else {
            throw DomainError(.unknownProgram, "no programme \(program.code) is defined; load the catalog that defines it first")
        }
        guard definition.isValid(on: decidedOn) else {
            throw DomainError(
                .outsideProgramWindow,
                Message(
                    "programme {0} is valid from {1}; an approval dated {2} is outside that window",
                    .text(program.code), .message(definition.validityWindowMessage), .date(decidedOn)
                )
            )
        }
        let cap = definition.capPerBeneficiaryVND
        guard amount <= cap else {
            throw DomainError(
                .overCap,
                Message("approving {0} is above the cap of {1} per beneficiary of programme {2}", .amount(amount), .amount(cap), .text(program.code))
            )
        }
        if definition.onceOnly {
            let alreadyGranted = beneficiary.committed(program: program.code)
            let room = try cap.subtracting(alreadyGranted)
            guard amount <= room else {
                throw DomainError(
                    .overCap,
                    "programme \(program.code) is once-only with a cap of \(cap.formatted); beneficiary \(beneficiary.id) was already "
                        + "granted \(alreadyGranted.formatted) under it, so at most \(VND.max(room, .zero).formatted) can be approved, "
                        + "not \(amount.formatted)"
                )
            }
        }
        let label = BudgetState.label(program: submission.program, fiscalYear: submission.fiscalYear, district: submission.district)
        guard budget.isAllocated else {
            throw DomainError(.overBudget, Message("no budget allocated for {0}; allocate one before approving", .text(label)))
        }
        guard amount <= budget.available else {
            throw DomainError(
                .overBudget,
                Message(
                    "approving {0} needs more than the {1} still available in budget {2} (allocated {3}, reserved {4})",
                    .amount(amount), .amount(budget.available), .text(label), .amount(budget.allocated), .amount(budget.reserved)
                )
            )
        }
        let approval = ApplicationApproved(approvedVND: amount, decisionReference: reference, decidedOn: decidedOn)
        return Decision(
            streams: [
                StreamEvents(stream: application.streamID, expectedVersion: application.version, events: [.applicationApproved(approval)]),
                StreamEvents(stream: budget.streamID, expectedVersion: budget.version, events: [
                    .fundsReserved(FundsReserved(applicationID: application.id, amountVND: amount)),
                ]),
                StreamEvents(stream: beneficiary.streamID, expectedVersion: beneficiary.version, events: [
                    .benefitCommitted(BenefitCommitted(applicationID: application.id, program: submission.program, amountVND: amount)),
                ]),
            ],
            summary: Message(
                "application {0} approved for {1} ({2}); budget {3} has {4} left",
                .text(application.id), .amount(amount), .text(reference), .text(label), .amount(try budget.available.subtracting(amount))
            )
        )
    }

    /// An approver rejects a submitted application (`wrongStatus` otherwise) that someone else
    /// submitted (`fourEyes`), with a reason.
    public static func reject(application: ApplicationState, approver: String, reason: String, decidedOn: LocalDate) throws -> Decision {
        let submission = try submitted(application)
        try requireStatus(application, [.submitted], toBe: "rejected")
        try requireFourEyes(application, decider: approver, action: "reject")
        let reason = try DomainText.validated(reason, field: "reason", maximumCharacters: DomainLimits.maximumReasonCharacters)
        try requireNotBefore(decidedOn, submission.submittedOn, field: "decided_on", when: Message("application {0} was submitted", .text(application.id)))
        let rejection = ApplicationRejected(reason: reason, decidedOn: decidedOn)
        return Decision(
            streams: [StreamEvents(stream: application.streamID, expectedVersion: application.version, events: [.applicationRejected(rejection)])],
            summary: Message("application {0} rejected: {1}", .text(application.id), .text(reason))
        )
    }

    /// Withdraws an application. A submitted one is simply withdrawn. An approved one with
    /// nothing paid out (net of reversals) and no loan is withdrawn and its whole reservation
    /// released to the budget and the beneficiary (`budget` and `beneficiary` are needed then).
    /// Anything else is `wrongStatus`: an application with money paid out is closed instead.
    public static func withdraw(
        application: ApplicationState, budget: BudgetState?, beneficiary: BeneficiaryState?, reason: String, on withdrawnOn: LocalDate
    ) throws -> Decision {
        let submission = try submitted(application)
        let reason = try DomainText.validated(reason, field: "reason", maximumCharacters: DomainLimits.maximumReasonCharacters)
        switch application.status {
        case .submitted:
            try requireNotBefore(withdrawnOn, submission.submittedOn, field: "withdrawn_on", when: Message("application {0} was submitted", .text(application.id)))
            let withdrawal = ApplicationWithdrawn(reason: reason, withdrawnOn: withdrawnOn, releasedVND: .zero)
            return Decision(
                streams: [StreamEvents(stream: application.streamID, expectedVersion: application.version, events: [.applicationWithdrawn(withdrawal)])],
                summary: Message("application {0} withdrawn: {1}", .text(application.id), .text(reason))
            )
        case .approved where application.disbursed == .zero && application.loans.isEmpty:
            guard let budget, let beneficiary else {
                preconditionFailure("withdrawing an approved application needs its budget and beneficiary")
            }
            try requireNotBefore(withdrawnOn, application.approval?.decidedOn ?? submission.submittedOn, field: "withdrawn_on", when: Message("application {0} was approved", .text(application.id)))
            let released = application.approved
            let withdrawal = ApplicationWithdrawn(reason: reason, withdrawnOn: withdrawnOn, releasedVND: released)
            var streams = [StreamEvents(stream: application.streamID, expectedVersion: application.version, events: [.applicationWithdrawn(withdrawal)])]
            streams += releasing(released, of: application, submission: submission, budget: budget, beneficiary: beneficiary, why: "withdrawn: \(reason)")
            return Decision(
                streams: streams,
                summary: Message(
                    "application {0} withdrawn: {1}; {2} released to budget {3}", .text(application.id), .text(reason), .amount(released),
                    .text(BudgetState.label(program: submission.program, fiscalYear: submission.fiscalYear, district: submission.district))
                )
            )
        case .approved:
            throw DomainError(
                .wrongStatus,
                Message(
                    "application {0} has {1} paid out; it cannot be withdrawn — close it to release the unpaid remainder",
                    .text(application.id), .amount(application.disbursed)
                )
            )
        case .rejected, .withdrawn, .closed, nil:
            throw DomainError(
                .wrongStatus,
                Message(
                    "application {0} is {1}; only a submitted application, or an approved one with nothing paid, can be withdrawn",
                    .text(application.id), .message(statusMessage(application))
                )
            )
        }
    }

    /// Closes an approved application (`wrongStatus` otherwise): nothing more is paid on it, and
    /// the approved amount not paid out (net of reversals; for loans, not disbursed) is released
    /// to the budget and the beneficiary.
    public static func close(
        application: ApplicationState, budget: BudgetState, beneficiary: BeneficiaryState, on closedOn: LocalDate
    ) throws -> Decision {
        let submission = try submitted(application)
        try requireStatus(application, [.approved], toBe: "closed")
        try requireNotBefore(closedOn, application.approval?.decidedOn ?? submission.submittedOn, field: "closed_on", when: Message("application {0} was approved", .text(application.id)))
        let paidOut = application.disbursed
        let released = application.remainingPayable
        let closure = ApplicationClosed(closedOn: closedOn, paidVND: paidOut, releasedVND: released)
        var streams = [StreamEvents(stream: application.streamID, expectedVersion: application.version, events: [.applicationClosed(closure)])]
        if released.isPositive {
            streams += releasing(released, of: application, submission: submission, budget: budget, beneficiary: beneficiary, why: "closed: unpaid remainder")
        }
        return Decision(
            streams: streams,
            summary: Message(
                "application {0} closed: {1} paid of {2} approved; {3} released",
                .text(application.id), .amount(paidOut), .amount(application.approved), .amount(released)
            )
        )
    }

    // MARK: Shared checks

    /// The release of `amount` to the budget and the beneficiary (withdrawal, closure).
    static func releasing(
        _ amount: VND, of application: ApplicationState, submission: ApplicationSubmitted,
        budget: BudgetState, beneficiary: BeneficiaryState, why: String
    ) -> [StreamEvents] {
        precondition(budget.streamID == application.budgetStreamID, "the budget given is of stream \(budget.streamID)")
        precondition(beneficiary.id == submission.beneficiaryID, "the beneficiary given is \(beneficiary.id)")
        return [
            StreamEvents(stream: budget.streamID, expectedVersion: budget.version, events: [
                .fundsReleased(FundsReleased(applicationID: application.id, amountVND: amount, reason: why)),
            ]),
            StreamEvents(stream: beneficiary.streamID, expectedVersion: beneficiary.version, events: [
                .benefitReleased(BenefitReleased(applicationID: application.id, program: submission.program, amountVND: amount)),
            ]),
        ]
    }

    /// The submitted facts, or `unknownApplication`.
    static func submitted(_ application: ApplicationState) throws -> ApplicationSubmitted {
        guard let submission = application.submission else {
            throw DomainError(.unknownApplication, Message("no application {0} has been submitted", .text(application.id)))
        }
        return submission
    }

    static func requireStatus(_ application: ApplicationState, _ allowed: [ApplicationStatus], toBe action: String) throws {
        guard let status = application.status, allowed.contains(status) else {
            let wanted = allowed.map(\.rawValue).joined(separator: " or ")
            let article = wanted.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            throw DomainError(
                .wrongStatus,
                Message(
                    "application {0} is {1}; only \(article) \(wanted) application can be {2}",
                    .text(application.id), .message(statusMessage(application)), .term(action)
                )
            )
        }
    }

    /// `approved`, `closed on 2024-06-30`, … for messages.
    static func statusText(_ application: ApplicationState) -> String { statusMessage(application).description }

    static func statusMessage(_ application: ApplicationState) -> Message {
        func on(_ status: String, _ date: LocalDate?) -> Message {
            date.map { Message(status + " on {0}", .date($0)) } ?? Message(status)
        }
        return switch application.status {
        case .submitted: Message("submitted")
        case .approved: Message("approved")
        case .rejected: on("rejected", application.rejection?.decidedOn)
        case .withdrawn: on("withdrawn", application.withdrawal?.withdrawnOn)
        case .closed: on("closed", application.closure?.closedOn)
        case nil: Message("not submitted")
        }
    }

    /// Four eyes: the database identity deciding is not the one that submitted.
    static func requireFourEyes(_ application: ApplicationState, decider: String, action: String) throws {
        guard let submitter = application.submittedBy, submitter != decider else {
            throw DomainError(
                .fourEyes,
                Message(
                    "application {0} was submitted by {1}; {2} cannot {3} it — another approver must decide (four eyes)",
                    .text(application.id), .text(application.submittedBy ?? "an unknown role"), .text(decider), .term(action)
                )
            )
        }
    }

    /// Business dates keep their order: a decision, withdrawal or closure is not dated before the
    /// step it follows.
    static func requireNotBefore(_ date: LocalDate, _ earliest: LocalDate, field: String, when what: Message) throws {
        guard date >= earliest else {
            throw DomainError(.outOfOrder, Message("{0} is before {1}, when {2}", .date(date), .date(earliest), .message(what)), field: field)
        }
    }
}
