import Ledger

/// `applications`: one row per application — status, amounts, who submitted and who decided,
/// business dates. Folded with the domain's own `ApplicationState`, so the figures are the ones
/// decisions see.
public struct ApplicationsProjection: Projection {
    public static let name = "applications"
    public static let tables = [
        ReadModelTable(name: "applications", columns: [
            "application_id", "beneficiary_id", "program", "district", "fiscal_year", "status", "requested_vnd",
            "approved_vnd", "paid_vnd", "reversed_vnd", "loan_principal_vnd", "remaining_payable_vnd", "released_vnd",
            "payments", "decision_reference", "rejection_reason", "submitted_by", "decided_by", "submitted_on",
            "decided_on", "withdrawn_on", "closed_on", "submitted_at", "last_position",
        ], keyCount: 1),
    ]

    struct Entry {
        var state: ApplicationState
        var submittedAtMicroseconds: Int64 = 0
        var lastPosition: Int64 = 0
    }

    var entries: [String: Entry] = [:]
    var changed: Set<String> = []

    public init() {}

    static let streamPrefix = Streams.application("")

    public mutating func apply(_ event: ProjectedEvent) {
        guard event.streamID.hasPrefix(Self.streamPrefix) else { return }
        switch event.event {
        case .applicationSubmitted, .applicationApproved, .applicationRejected, .applicationWithdrawn,
             .paymentRecorded, .paymentReversed, .loanOpened, .applicationClosed:
            break
        default:
            return
        }
        let id = String(event.streamID.dropFirst(Self.streamPrefix.count))
        // In place: a copy taken out of the dictionary would copy the state's own collections on write.
        Self.update(&entries[id, default: Entry(state: ApplicationState(streamID: event.streamID))], with: event)
        changed.insert(id)
    }

    private static func update(_ entry: inout Entry, with event: ProjectedEvent) {
        entry.state.apply(event.event, context: event.context)
        entry.state.version = event.context.streamVersion
        if case .applicationSubmitted = event.event { entry.submittedAtMicroseconds = event.context.recordedAtMicroseconds }
        entry.lastPosition = event.position
    }

    public mutating func takeChangedRows() -> [[ReadModelRow]] {
        defer { changed.removeAll(keepingCapacity: true) }
        return [entries.rows(for: changed, Self.row)]
    }

    public func allRows() -> [[ReadModelRow]] {
        [entries.rows(for: entries.keys, Self.row)]
    }

    static func row(_ entry: Entry) -> ReadModelRow? {
        let state = entry.state
        guard let submission = state.submission, let status = state.status else { return nil }
        let reversed = state.payments.values.reduce(VND.zero) { $0 + ($1.reversal?.amountVND ?? .zero) }
        let released = (state.withdrawal?.releasedVND ?? .zero) + (state.closure?.releasedVND ?? .zero)
        return [
            state.id, submission.beneficiaryID, submission.program, submission.district.code,
            Field.int(submission.fiscalYear), status.rawValue, Field.vnd(submission.requestedVND),
            Field.vnd(state.approved), Field.vnd(state.paid), Field.vnd(reversed), Field.vnd(state.loanPrincipal),
            Field.vnd(state.remainingPayable), Field.vnd(released), Field.int(state.paymentIDs.count),
            state.decisionReference, state.rejection?.reason, state.submittedBy ?? "", state.decidedBy,
            Field.date(submission.submittedOn), Field.date(state.approval?.decidedOn ?? state.rejection?.decidedOn),
            Field.date(state.withdrawal?.withdrawnOn), Field.date(state.closure?.closedOn),
            Field.timestamp(entry.submittedAtMicroseconds), Field.int(entry.lastPosition),
        ]
    }
}
