import Ledger

/// `budget_usage`: per programme, fiscal year and unit — allocated, reserved by approvals,
/// released, paid (payments net of reversals), lent (loan principal disbursed) and available.
///
/// Payments are recorded on applications, not budgets; the budget an application draws on is
/// the one its approval reserved funds in (`FundsReserved` on the budget stream), remembered here.
public struct BudgetUsageProjection: Projection {
    public static let name = "budget_usage"
    public static let eventTypes: Set<String> = [
        "BudgetAllocated", "BudgetAdjusted", "FundsReserved", "FundsReleased", "PaymentRecorded", "PaymentReversed", "LoanOpened",
    ]
    public static let tables = [
        ReadModelTable(name: "budget_usage", columns: [
            "program", "fiscal_year", "district", "allocated_vnd", "reserved_vnd", "released_vnd", "paid_vnd",
            "committed_unpaid_vnd", "available_vnd", "approvals", "last_position", "lent_vnd",
        ], keyCount: 3),
    ]

    struct Usage: Equatable {
        var program: String?
        var fiscalYear = 0
        var district: UnitCode?
        var allocated = VND.zero
        var reserved = VND.zero
        var released = VND.zero
        var paid = VND.zero
        var lent = VND.zero
        var approvals = 0
        var lastPosition: Int64 = 0

        /// What approvals may still reserve (as `BudgetState.available`).
        var available: VND { allocated - reserved + released }
    }

    /// By budget stream id.
    var budgets: [String: Usage] = [:]
    /// Application id → the budget stream its approval reserved funds in.
    var budgetOfApplication: [String: String] = [:]
    /// One copy of each budget's stream name (kept for every application).
    var streams = TextPool()
    var changed: Set<String> = []

    public init() {}

    static let budgetPrefix = "budget-"
    static let applicationPrefix = Streams.application("")

    /// Each change computes its checked sums before assigning them: a change that throws leaves
    /// the budget as it was.
    public mutating func apply(_ event: ProjectedEvent) throws {
        let stream = event.streamID
        switch event.event {
        case .budgetAllocated(let allocation):
            try update(stream, event) {
                let allocated = try Checked.add($0.allocated, allocation.amountVND, "allocated_vnd")
                $0.identify(allocation.program, allocation.fiscalYear, allocation.district)
                $0.allocated = allocated
            }
        case .budgetAdjusted(let adjustment):
            try update(stream, event) {
                let allocated = try Checked.add($0.allocated, adjustment.deltaVND, "allocated_vnd")
                $0.identify(adjustment.program, adjustment.fiscalYear, adjustment.district)
                $0.allocated = allocated
            }
        case .fundsReserved(let reservation):
            try update(stream, event) {
                $0.reserved = try Checked.add($0.reserved, reservation.amountVND, "reserved_vnd")
                $0.approvals += 1
            }
            budgetOfApplication[reservation.applicationID] = streams(stream)
        case .fundsReleased(let release):
            try update(stream, event) { $0.released = try Checked.add($0.released, release.amountVND, "released_vnd") }
        case .paymentRecorded(let payment):
            try updateBudget(ofApplicationStream: stream, event) { $0.paid = try Checked.add($0.paid, payment.amountVND, "paid_vnd") }
        case .paymentReversed(let reversal):
            try updateBudget(ofApplicationStream: stream, event) { $0.paid = try Checked.subtract($0.paid, reversal.amountVND, "paid_vnd") }
        case .loanOpened(let loan):
            try updateBudget(ofApplicationStream: stream, event) { $0.lent = try Checked.add($0.lent, loan.principalVND, "lent_vnd") }
        default:
            break
        }
    }

    private mutating func update(_ budgetStream: String, _ event: ProjectedEvent, _ change: (inout Usage) throws -> Void) throws {
        guard budgetStream.hasPrefix(Self.budgetPrefix) else { return }
        var usage = budgets[budgetStream] ?? Usage()  // a few scalars: the copy is cheap
        try change(&usage)
        usage.lastPosition = event.position
        budgets[budgetStream] = usage
        changed.insert(budgetStream)
    }

    private mutating func updateBudget(
        ofApplicationStream stream: String, _ event: ProjectedEvent, _ change: (inout Usage) throws -> Void
    ) throws {
        guard stream.hasPrefix(Self.applicationPrefix),
              let budget = budgetOfApplication[String(stream.dropFirst(Self.applicationPrefix.count))] else { return }
        try update(budget, event, change)
    }

    public mutating func forgetChanges() { changed.removeAll(keepingCapacity: true) }

    public mutating func takeChangedRows() -> [[ReadModelRow]] {
        defer { changed.removeAll(keepingCapacity: true) }
        return [budgets.rows(for: changed, Self.row)]
    }

    public func allRows() -> [[ReadModelRow]] {
        [budgets.rows(for: budgets.keys, Self.row)]
    }

    public func forEachRow(ofTable table: Int, _ body: (ReadModelRow) throws -> Void) rethrows {
        try budgets.forEachRow(Self.row, body)
    }

    static func row(_ usage: Usage) -> ReadModelRow? {
        // A budget is known by its first allocation; decisions refuse to reserve in one without.
        guard let program = usage.program, let district = usage.district else { return nil }
        return [
            program, Field.int(usage.fiscalYear), district.code, Field.vnd(usage.allocated), Field.vnd(usage.reserved),
            Field.vnd(usage.released), Field.vnd(usage.paid), Field.vnd(usage.reserved - usage.released - usage.paid - usage.lent),
            Field.vnd(usage.available), Field.int(usage.approvals), Field.int(usage.lastPosition), Field.vnd(usage.lent),
        ]
    }
}

extension BudgetUsageProjection.Usage {
    mutating func identify(_ program: String, _ fiscalYear: Int, _ district: UnitCode) {
        guard self.program == nil else { return }
        self.program = program
        self.fiscalYear = fiscalYear
        self.district = district
    }
}
