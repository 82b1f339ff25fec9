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
            throw DomainError.invalidInput(field: "amount_vnd", problem: "a payment must be a positive amount, not \(amount.formatted)")
        }
        let submission = try submitted(application)
        if let earlier = application.payments[paymentID] {
            guard earlier.amount == amount, earlier.paidOn == paidOn, earlier.method == method, earlier.voucher == voucher else {
                throw DomainError(
                    .conflictingDuplicate,
                    "payment \(paymentID) was already recorded for \(earlier.amount.formatted) on \(earlier.paidOn) "
                        + "(\(earlier.method.rawValue), voucher \(earlier.voucher)) on application \(application.id); "
                        + "a different payment needs a different payment id",
                    field: "payment_id"
                )
            }
            return .alreadyDone("payment \(paymentID) of \(amount.formatted) was already recorded on application \(application.id)")
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
                "application \(application.id) is \(statusText(application)); payments are recorded only on approved applications that are not closed"
            )
        }
        guard paidOn >= approval.decidedOn else {
            throw DomainError(
                .outsideProgramWindow,
                "a payment dated \(paidOn) is before the approval of application \(application.id) on \(approval.decidedOn)",
                field: "paid_on"
            )
        }
        guard let definition = program.definition(on: paidOn) else {
            throw DomainError(.unknownProgram, "no programme \(program.code) is defined; load the catalog that defines it first")
        }
        guard definition.isValid(on: paidOn) else {
            throw DomainError(
                .outsideProgramWindow,
                "programme \(program.code) is valid from \(definition.validityWindow); a payment dated \(paidOn) is outside that window",
                field: "paid_on"
            )
        }
        let paidAfter = try application.paid.adding(amount)
        guard paidAfter <= application.approved else {
            throw DomainError(
                .overpayment,
                "paying \(amount.formatted) would exceed the \(application.approved.formatted) approved for application \(application.id): "
                    + "\(application.paid.formatted) already paid, \(application.remainingPayable.formatted) remaining",
                field: "amount_vnd"
            )
        }
        let bankAccount: String?
        switch method {
        case .bank:
            guard let account = beneficiary.bankAccount else {
                throw DomainError(
                    .noBankAccount,
                    "beneficiary \(beneficiary.id) has no bank account on record; pay in cash, or record the account with "
                        + "`ledger beneficiary amend --id \(beneficiary.id) --bank-account TEXT --reason TEXT`",
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
            summary: "payment \(paymentID) of \(amount.formatted) recorded on application \(application.id) (\(method.rawValue), voucher \(voucher)); "
                + "\(try application.approved.subtracting(paidAfter).formatted) of \(application.approved.formatted) remaining"
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
            throw DomainError(.unknownPayment, "application \(application.id) has no payment \(paymentID)", field: "payment_id")
        }
        if let reversal = payment.reversal {
            guard reversal.reason == reason else {
                throw DomainError(
                    .conflictingDuplicate,
                    "payment \(paymentID) was already reversed on \(reversal.reversedOn) (\(reversal.reason)); it cannot be reversed twice"
                )
            }
            return .alreadyDone("payment \(paymentID) was already reversed")
        }
        guard application.status == .approved else {
            throw DomainError(
                .wrongStatus,
                "application \(application.id) is \(statusText(application)); its payments can no longer be reversed"
            )
        }
        guard reversedOn >= payment.paidOn else {
            throw DomainError(.outOfOrder, "\(reversedOn) is before \(payment.paidOn), when payment \(paymentID) was made", field: "reversed_on")
        }
        let reversal = PaymentReversed(paymentID: paymentID, amountVND: payment.amount, reason: reason, reversedOn: reversedOn)
        return Decision(
            streams: [StreamEvents(stream: application.streamID, expectedVersion: application.version, events: [.paymentReversed(reversal)])],
            summary: "payment \(paymentID) of \(payment.amount.formatted) reversed on application \(application.id): \(reason); "
                + "\((application.remainingPayable + payment.amount).formatted) may be paid again"
        )
    }
}
