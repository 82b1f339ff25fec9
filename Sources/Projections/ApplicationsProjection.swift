import Ledger

/// `applications`: one row per application — status, amounts, who submitted and who decided,
/// business dates. Folded with the domain's own `ApplicationState`, so the figures are the ones
/// decisions see.
public struct ApplicationsProjection: Projection {
    public static let name = "applications"
    public static let eventTypes: Set<String> = [
        "ApplicationSubmitted", "ApplicationApproved", "ApplicationRejected", "ApplicationWithdrawn", "PaymentRecorded",
        "PaymentReversed", "LoanOpened", "ApplicationClosed",
    ]
    public static let tables = [
        ReadModelTable(name: "applications", columns: [
            "application_id", "beneficiary_id", "program", "district", "fiscal_year", "status", "requested_vnd",
            "approved_vnd", "paid_vnd", "reversed_vnd", "loan_principal_vnd", "remaining_payable_vnd", "released_vnd",
            "payments", "decision_reference", "rejection_reason", "submitted_by", "decided_by", "submitted_on",
            "decided_on", "withdrawn_on", "closed_on", "submitted_at", "last_position",
        ], keyCount: 1),
    ]

    /// What a row needs of an application (kept for every application): the submission, the
    /// decision, money in and out, and dates — the same arithmetic as the domain's
    /// `ApplicationState` without its per-payment records (FoldTests hold the figures).
    struct Entry: Sendable {
        var submission: ApplicationSubmitted?
        var status: ApplicationStatus?
        var submittedBy: String?
        var decidedBy: String?
        var approved: VND = .zero
        var decisionReference: String?
        var decidedOn: LocalDate?
        var rejectionReason: String?
        var withdrawnOn: LocalDate?
        var closedOn: LocalDate?
        /// Paid out net of reversals.
        var paid: VND = .zero
        var reversed: VND = .zero
        var loanPrincipal: VND = .zero
        var released: VND = .zero
        var payments = 0
        /// Payments not (yet) reversed, by id.
        var openPayments: [String: VND] = [:]
        var submittedAtMicroseconds: Int64 = 0
        var lastPosition: Int64 = 0

        var remainingPayable: VND { status == .approved ? approved - paid - loanPrincipal : .zero }

        /// Folds one event of the application. Sums are checked and computed before anything is
        /// assigned: when one throws, the entry is as it was.
        mutating func apply(_ event: LedgerEvent, actor: String) throws {
            switch event {
            case .applicationSubmitted(let submitted):
                submission = submitted
                submittedBy = actor
                status = .submitted
            case .applicationApproved(let approval):
                approved = approval.approvedVND
                decisionReference = approval.decisionReference
                decidedOn = approval.decidedOn
                decidedBy = actor
                status = .approved
            case .applicationRejected(let rejection):
                rejectionReason = rejection.reason
                decidedOn = rejection.decidedOn
                decidedBy = actor
                status = .rejected
            case .applicationWithdrawn(let withdrawal):
                let newReleased = try Checked.add(released, withdrawal.releasedVND, "released_vnd")
                withdrawnOn = withdrawal.withdrawnOn
                released = newReleased
                status = .withdrawn
            case .applicationClosed(let closure):
                let newReleased = try Checked.add(released, closure.releasedVND, "released_vnd")
                closedOn = closure.closedOn
                released = newReleased
                status = .closed
            case .paymentRecorded(let payment):
                let newPaid = try Checked.add(paid, payment.amountVND, "paid_vnd")
                openPayments[payment.paymentID] = payment.amountVND
                paid = newPaid
                payments += 1
            case .paymentReversed(let reversal):
                guard openPayments[reversal.paymentID] != nil else { return }
                let newPaid = try Checked.subtract(paid, reversal.amountVND, "paid_vnd")
                let newReversed = try Checked.add(reversed, reversal.amountVND, "reversed_vnd")
                openPayments.removeValue(forKey: reversal.paymentID)
                paid = newPaid
                reversed = newReversed
            case .loanOpened(let loan):
                loanPrincipal = try Checked.add(loanPrincipal, loan.principalVND, "loan_principal_vnd")
            default:
                break
            }
        }
    }

    /// Boxed (`Boxed`): an entry is a few hundred bytes, kept for every application.
    var entries: [String: Boxed<Entry>] = [:]
    var changed: Set<String> = []
    /// One copy of each actor (submitted by, decided by).
    var actors = TextPool()

    public init() {}

    static let streamPrefix = Streams.application("")

    public mutating func apply(_ event: ProjectedEvent) throws {
        guard event.streamID.hasPrefix(Self.streamPrefix) else { return }
        switch event.event {
        case .applicationSubmitted, .applicationApproved, .applicationRejected, .applicationWithdrawn,
             .paymentRecorded, .paymentReversed, .loanOpened, .applicationClosed:
            break
        default:
            return
        }
        let id = String(event.streamID.dropFirst(Self.streamPrefix.count))
        var entry = entries[id]?.value ?? Entry()
        try Self.update(&entry, with: event, actor: actors(event.context.actor))
        entries[id] = Boxed(entry)
        changed.insert(id)
    }

    private static func update(_ entry: inout Entry, with event: ProjectedEvent, actor: String) throws {
        try entry.apply(event.event, actor: actor)
        if case .applicationSubmitted = event.event { entry.submittedAtMicroseconds = event.context.recordedAtMicroseconds }
        entry.lastPosition = event.position
    }

    public mutating func forgetChanges() { changed.removeAll(keepingCapacity: true) }

    public mutating func takeChangedRows() -> [[ReadModelRow]] {
        defer { changed.removeAll(keepingCapacity: true) }
        return [entries.rows(for: changed) { Self.row($0.value) }]
    }

    public func allRows() -> [[ReadModelRow]] {
        [entries.rows(for: entries.keys) { Self.row($0.value) }]
    }

    public func forEachRow(ofTable table: Int, _ body: (ReadModelRow) throws -> Void) rethrows {
        try entries.forEachRow({ Self.row($0.value) }, body)
    }

    static func row(_ entry: Entry) -> ReadModelRow? {
        guard let submission = entry.submission, let status = entry.status else { return nil }
        return [
            submission.applicationID, submission.beneficiaryID, submission.program, submission.district.code,
            Field.int(submission.fiscalYear), status.rawValue, Field.vnd(submission.requestedVND),
            Field.vnd(entry.approved), Field.vnd(entry.paid), Field.vnd(entry.reversed), Field.vnd(entry.loanPrincipal),
            Field.vnd(entry.remainingPayable), Field.vnd(entry.released), Field.int(entry.payments),
            entry.decisionReference, entry.rejectionReason, entry.submittedBy ?? "", entry.decidedBy,
            Field.date(submission.submittedOn), Field.date(entry.decidedOn),
            Field.date(entry.withdrawnOn), Field.date(entry.closedOn),
            Field.timestamp(entry.submittedAtMicroseconds), Field.int(entry.lastPosition),
        ]
    }
}
