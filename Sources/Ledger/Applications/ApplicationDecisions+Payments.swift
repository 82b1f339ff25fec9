extension ApplicationDecisions {
    /// Records a payment of a grant application. Field names are those of the bulk import's
    /// columns (`payment_id`, `amount_vnd`, `paid_on`, `method`, `voucher`), so an import report
    /// can name the column at fault.
    ///
    /// The payment id is the idempotency key: recorded before on this application with the same
    /// content, it is already done; with different content, `conflictingDuplicate`. Otherwise the
    /// programme must be a grant (loans are paid out by disbursement), the application approved
    /// and not closed (`wrongStatus`), the payment dated on or after the approval and inside the
    /// programme's validity window (`outsideProgramWindow`), and the total paid, net of
    /// reversals, never above the approved amount (`overpayment`). A bank payment copies the
    /// beneficiary's bank account into the event; a cash payment carries none.
    public static func recordPayment(
        application: ApplicationState, program: ProgramState, beneficiary: BeneficiaryState,
        paymentID: String, amount: VND, paidOn: LocalDate, method: PaymentMethod, voucher: String
    ) throws -> Decision {
        let paymentID = try Identifier.validated(paymentID, field: "payment_id")
        let voucher = try DomainText.validated(voucher, field: "voucher", maximumCharacters: DomainLimits.maximumVoucherCharacters)
        guard amount.isPositive else {
            throw DomainError.invalidInput(field: "amount_vnd", problem: Message("a payment must be a positive amount, not {0}", .amount(amount)))
        }
        let submission = try submitted(application)
        if let earlier = application.payments[paymentID] {
            guard earlier.amount == amount, earlier.paidOn == paidOn, earlier.method == method, earlier.voucher == voucher else {
                throw DomainError(
                    .conflictingDuplicate,
                    Message(
                        "payment {0} was already recorded for {1} on {2} ({3}, voucher {4}) on application {5}; "
                            + "a different payment needs a different payment id",
                        .text(paymentID), .amount(earlier.amount), .date(earlier.paidOn), .term(earlier.method.rawValue),
                        .text(earlier.voucher), .text(application.id)
                    ),
                    field: "payment_id"
                )
            }
            return .alreadyDone(Message(
                "payment {0} of {1} was already recorded on application {2}", .text(paymentID), .amount(amount), .text(application.id)
            ))
        }
        precondition(program.code == submission.program, "the programme given is \(program.code), not \(submission.program)")
        precondition(beneficiary.id == submission.beneficiaryID, "the beneficiary given is \(beneficiary.id)")
        if let kind = program.current?.kind, kind == .loan {
            throw DomainError(
                .wrongStatus,
                "programme \(program.code) is a loan programme: application \(application.id) is paid out by disbursing a loan, not by payments"
            )
        }
        guard application.status == .approved, let approval = application.approval else {
            throw DomainError(
                .wrongStatus,
                Message(
                    "application {0} is {1}; payments are recorded only on approved applications that are not closed",
                    .text(application.id), .message(statusMessage(application))
                )
            )
        }
        guard paidOn >= approval.decidedOn else {
            throw DomainError(
                .outsideProgramWindow,
                Message(
                    "a payment dated {0} is before the approval of application {1} on {2}",
                    .date(paidOn), .text(application.id), .date(approval.decidedOn)
                ),
                field: "paid_on"
            )
        }
        guard let definition = program.definition(on: paidOn) else {
            throw DomainError(.unknownProgram, "no programme \(program.code) is defined; load the catalog that defines it first")
        }
        guard definition.isValid(on: paidOn) else {
            throw DomainError(
                .outsideProgramWindow,
                Message(
                    "programme {0} is valid from {1}; a payment dated {2} is outside that window",
                    .text(program.code), .message(definition.validityWindowMessage), .date(paidOn)
                ),
                field: "paid_on"
            )
        }
        let paidAfter = try application.paid.adding(amount)
        guard paidAfter <= application.approved else {
            throw DomainError(
                .overpayment,
                Message(
                    "paying {0} would exceed the {1} approved for application {2}: {3} already paid, {4} remaining",
                    .amount(amount), .amount(application.approved), .text(application.id), .amount(application.paid),
                    .amount(application.remainingPayable)
                ),
                field: "amount_vnd"
            )
        }
        let bankAccount: String?
        switch method {
        case .bank:
            guard let account = beneficiary.bankAccount else {
                throw DomainError(
                    .noBankAccount,
                    Message(
                        "beneficiary {0} has no bank account on record; pay in cash, or record the account with "
                            + "`ledger beneficiary amend --id {0} --bank-account TEXT --reason TEXT`",
                        .text(beneficiary.id)
                    ),
                    field: "method"
                )
            }
            bankAccount = account
        case .cash:
            bankAccount = nil
        }
        let payment = PaymentRecorded(paymentID: paymentID, amountVND: amount, paidOn: paidOn, method: method, voucher: voucher, bankAccount: bankAccount)
        return Decision(
            streams: [StreamEvents(stream: application.streamID, expectedVersion: application.version, events: [.paymentRecorded(payment)])],
            summary: Message(
                "payment {0} of {1} recorded on application {2} ({3}, voucher {4}); {5} of {6} remaining",
                .text(paymentID), .amount(amount), .text(application.id), .term(method.rawValue), .text(voucher),
                .amount(try application.approved.subtracting(paidAfter)), .amount(application.approved)
            )
        )
    }

    /// Reverses a payment the bank returned: a new event, never a deletion, which restores what
    /// may still be paid. The payment must be on this application (`unknownPayment`); reversing
    /// it again with the same reason is already done, with another reason `conflictingDuplicate`;
    /// a closed application's payments are final (`wrongStatus`).
    public static func reversePayment(
        application: ApplicationState, paymentID: String, reason: String, reversedOn: LocalDate
    ) throws -> Decision {
        let paymentID = try Identifier.validated(paymentID, field: "payment_id")
        let reason = try DomainText.validated(reason, field: "reason", maximumCharacters: DomainLimits.maximumReasonCharacters)
        _ = try submitted(application)
        guard let payment = application.payments[paymentID] else {
            throw DomainError(.unknownPayment, Message("application {0} has no payment {1}", .text(application.id), .text(paymentID)), field: "payment_id")
        }
        if let reversal = payment.reversal {
            guard reversal.reason == reason else {
                throw DomainError(
                    .conflictingDuplicate,
                    Message(
                        "payment {0} was already reversed on {1} ({2}); it cannot be reversed twice",
                        .text(paymentID), .date(reversal.reversedOn), .text(reversal.reason)
                    )
                )
            }
            return .alreadyDone(Message("payment {0} was already reversed", .text(paymentID)))
        }
        guard application.status == .approved else {
            throw DomainError(
                .wrongStatus,
                Message("application {0} is {1}; its payments can no longer be reversed", .text(application.id), .message(statusMessage(application)))
            )
        }
        guard reversedOn >= payment.paidOn else {
            throw DomainError(
                .outOfOrder,
                Message("{0} is before {1}, when payment {2} was made", .date(reversedOn), .date(payment.paidOn), .text(paymentID)),
                field: "reversed_on"
            )
        }
        let reversal = PaymentReversed(paymentID: paymentID, amountVND: payment.amount, reason: reason, reversedOn: reversedOn)
        return Decision(
            streams: [StreamEvents(stream: application.streamID, expectedVersion: application.version, events: [.paymentReversed(reversal)])],
            summary: Message(
                "payment {0} of {1} reversed on application {2}: {3}; {4} may be paid again",
                .text(paymentID), .amount(payment.amount), .text(application.id), .text(reason),
                .amount(application.remainingPayable + payment.amount)
            )
        )
    }
}
