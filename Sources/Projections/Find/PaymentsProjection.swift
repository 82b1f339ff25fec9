import Ledger

/// `payments`: one row per payment recorded — application, beneficiary, programme, unit, fiscal
/// year, amount, business date, method, voucher, who recorded it and when — and its reversal
/// once reversed. What `ledger payment list` reads.
public struct PaymentsProjection: Projection {
    public static let name = "payments"
    public static let eventTypes: Set<String> = ["ApplicationSubmitted", "PaymentRecorded", "PaymentReversed"]
    public static let tables = [
        ReadModelTable(name: "payments", columns: [
            "payment_id", "application_id", "beneficiary_id", "program", "unit", "fiscal_year", "amount_vnd", "paid_on", "method",
            "voucher", "bank_account", "recorded_by", "recorded_at", "reversed_on", "reversal_reason", "reversed_by", "reversed_at",
            "last_position",
        ], keyCount: 1),
    ]

    struct Entry: Sendable {
        let paymentID: String
        let applicationID: String
        /// Shared with every payment of the application (and the submissions map).
        let submission: Boxed<ApplicationSubmitted>
        let payment: PaymentRecorded
        let recordedBy: String
        let recordedAtMicroseconds: Int64
        var reversal: PaymentReversed?
        var reversedBy: String?
        var reversedAtMicroseconds: Int64?
        var lastPosition: Int64
    }

    /// Application id → its submission (beneficiary, programme, unit, year).
    var submissions: [String: Boxed<ApplicationSubmitted>] = [:]
    var entries: [String: Boxed<Entry>] = [:]
    var changed: Set<String> = []
    /// One copy of each actor (recorded by, reversed by).
    var actors = TextPool()

    public init() {}

    static let streamPrefix = Streams.application("")

    public mutating func apply(_ event: ProjectedEvent) throws {
        guard event.streamID.hasPrefix(Self.streamPrefix) else { return }
        let applicationID = String(event.streamID.dropFirst(Self.streamPrefix.count))
        switch event.event {
        case .applicationSubmitted(let submission):
            submissions[applicationID] = Boxed(submission)
        case .paymentRecorded(let payment):
            guard let stored = submissions.index(forKey: applicationID) else { return }
            // The application's id and submission as the map holds them: one copy for all its payments.
            let (applicationID, submission) = submissions[stored]
            entries[payment.paymentID] = Boxed(Entry(
                paymentID: payment.paymentID, applicationID: applicationID, submission: submission, payment: payment,
                recordedBy: actors(event.context.actor), recordedAtMicroseconds: event.context.recordedAtMicroseconds,
                lastPosition: event.position
            ))
            changed.insert(payment.paymentID)
        case .paymentReversed(let reversal):
            // As the applications projection: only a payment of this application not yet reversed.
            guard var entry = entries[reversal.paymentID]?.value, entry.applicationID == applicationID, entry.reversal == nil else { return }
            entry.reversal = reversal
            entry.reversedBy = actors(event.context.actor)
            entry.reversedAtMicroseconds = event.context.recordedAtMicroseconds
            entry.lastPosition = event.position
            entries[reversal.paymentID] = Boxed(entry)
            changed.insert(reversal.paymentID)
        default:
            return
        }
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
        let submission = entry.submission.value, payment = entry.payment
        return [
            entry.paymentID, entry.applicationID, submission.beneficiaryID, submission.program, submission.district.code,
            Field.int(submission.fiscalYear), Field.vnd(payment.amountVND), Field.date(payment.paidOn), payment.method.rawValue,
            payment.voucher, payment.bankAccount, entry.recordedBy, Field.timestamp(entry.recordedAtMicroseconds),
            Field.date(entry.reversal?.reversedOn), entry.reversal?.reason, entry.reversedBy,
            entry.reversedAtMicroseconds.map(Field.timestamp), Field.int(entry.lastPosition),
        ]
    }
}
