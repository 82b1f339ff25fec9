import Ledger

/// `application_steps`: one row per event of an application and of its loans, in log order —
/// the step, its business date, amount, what it released, its reference and detail, who recorded
/// it and when. What `ledger application show` lists. Rows never change once written.
public struct ApplicationStepsProjection: Projection {
    public static let name = "application_steps"
    public static let eventTypes: Set<String> = ApplicationsProjection.eventTypes.union([
        "LoanDisbursed", "LoanRepaid", "LoanSettled", "LoanWrittenOff",
    ])
    public static let tables = [
        ReadModelTable(name: "application_steps", columns: [
            "application_id", "position", "step", "business_date", "amount_vnd", "released_vnd", "reference", "detail",
            "recorded_by", "recorded_at",
        ], keyCount: 2),
    ]

    struct Step: Sendable {
        let applicationID: String
        let position: Int64
        let step: String
        let businessDate: LocalDate
        var amount: VND? = nil
        var released: VND? = nil
        var reference: String? = nil
        var detail: String? = nil
        let recordedBy: String
        let recordedAtMicroseconds: Int64
    }

    /// Every step, per application, in log order.
    var steps: [String: [Step]] = [:]
    /// Loan id → application id.
    var applicationOfLoan: [String: String] = [:]
    var pending: [Step] = []
    /// False once a rebuild or reconcile writes the rows as it folds (`keepOnlyUntakenRows`):
    /// `steps` then stays empty, and the state is the loan → application map alone.
    var keepsTakenSteps = true

    public init() {}

    static let applicationPrefix = Streams.application("")
    static let loanPrefix = Streams.loan("")

    public mutating func apply(_ event: ProjectedEvent) throws {
        let stream = event.streamID
        let applicationID: String
        if stream.hasPrefix(Self.applicationPrefix) {
            applicationID = String(stream.dropFirst(Self.applicationPrefix.count))
        } else if stream.hasPrefix(Self.loanPrefix) {
            let loanID = String(stream.dropFirst(Self.loanPrefix.count))
            if case .loanDisbursed(let disbursement) = event.event { applicationOfLoan[loanID] = disbursement.applicationID }
            guard let owner = applicationOfLoan[loanID] else { return }
            applicationID = owner
        } else {
            return
        }
        func step(_ name: String, _ date: LocalDate) -> Step {
            Step(applicationID: applicationID, position: event.position, step: name, businessDate: date,
                 recordedBy: event.context.actor, recordedAtMicroseconds: event.context.recordedAtMicroseconds)
        }
        var row: Step
        switch event.event {
        case .applicationSubmitted(let submission):
            row = step("submitted", submission.submittedOn)
            row.amount = submission.requestedVND
            row.reference = submission.program
            row.detail = "fiscal year \(submission.fiscalYear), unit \(submission.district.code), beneficiary \(submission.beneficiaryID)"
        case .applicationApproved(let approval):
            row = step("approved", approval.decidedOn)
            row.amount = approval.approvedVND
            row.reference = approval.decisionReference
        case .applicationRejected(let rejection):
            row = step("rejected", rejection.decidedOn)
            row.detail = rejection.reason
        case .applicationWithdrawn(let withdrawal):
            row = step("withdrawn", withdrawal.withdrawnOn)
            row.released = withdrawal.releasedVND
            row.detail = withdrawal.reason
        case .paymentRecorded(let payment):
            row = step("payment", payment.paidOn)
            row.amount = payment.amountVND
            row.reference = payment.paymentID
            row.detail = "\(payment.method.rawValue), voucher \(payment.voucher)"
        case .paymentReversed(let reversal):
            row = step("reversal", reversal.reversedOn)
            row.amount = reversal.amountVND
            row.reference = reversal.paymentID
            row.detail = reversal.reason
        case .loanOpened(let loan):
            row = step("loan-opened", loan.disbursedOn)
            row.amount = loan.principalVND
            row.reference = loan.loanID
        case .applicationClosed(let closure):
            row = step("closed", closure.closedOn)
            row.amount = closure.paidVND
            row.released = closure.releasedVND
        case .loanRepaid(let repayment):
            row = step("loan-repaid", repayment.paidOn)
            row.amount = repayment.amountVND
            row.reference = repayment.repaymentID
            let principal = repayment.overduePrincipalVND.amount &+ repayment.principalDueVND.amount &+ repayment.prepaidPrincipalVND.amount
            let interest = repayment.interestVND.amount &+ repayment.overdueInterestVND.amount
            row.detail = "loan \(stream.dropFirst(Self.loanPrefix.count)): principal \(principal), interest \(interest), "
                + "outstanding after \(repayment.outstandingPrincipalAfterVND.amount)"
        case .loanSettled(let settlement):
            row = step("loan-settled", settlement.settledOn)
            row.reference = String(stream.dropFirst(Self.loanPrefix.count))
        case .loanWrittenOff(let writeOff):
            row = step("loan-written-off", writeOff.writtenOffOn)
            row.amount = writeOff.outstandingPrincipalVND
            row.reference = String(stream.dropFirst(Self.loanPrefix.count))
            row.detail = writeOff.reason
        default:
            // LoanDisbursed: the application's own LoanOpened is the step.
            return
        }
        if keepsTakenSteps { steps[applicationID, default: []].append(row) }
        pending.append(row)
    }

    public mutating func keepOnlyUntakenRows() -> Bool {
        keepsTakenSteps = false
        steps = [:]
        return true
    }

    /// Once it keeps only untaken rows, the pending steps are the rows not yet written: kept.
    public mutating func forgetChanges() {
        guard keepsTakenSteps else { return }
        pending.removeAll(keepingCapacity: true)
    }

    public mutating func takeChangedRows() -> [[ReadModelRow]] {
        defer { pending.removeAll(keepingCapacity: true) }
        return [pending.sorted { ($0.applicationID, $0.position) < ($1.applicationID, $1.position) }.map(Self.row)]
    }

    public func allRows() -> [[ReadModelRow]] {
        var rows: [ReadModelRow] = []
        forEachRow(ofTable: 0) { rows.append($0) }
        return [rows]
    }

    public func forEachRow(ofTable table: Int, _ body: (ReadModelRow) throws -> Void) rethrows {
        guard keepsTakenSteps else {
            for step in pending.sorted(by: { ($0.applicationID, $0.position) < ($1.applicationID, $1.position) }) { try body(Self.row(step)) }
            return
        }
        for key in steps.keys.sorted() {
            for step in steps[key]! { try body(Self.row(step)) }
        }
    }

    static func row(_ step: Step) -> ReadModelRow {
        [
            step.applicationID, Field.int(step.position), step.step, Field.date(step.businessDate),
            Field.optionalVND(step.amount), Field.optionalVND(step.released), step.reference, step.detail, step.recordedBy,
            Field.timestamp(step.recordedAtMicroseconds),
        ]
    }
}
