/// A district's budget for one programme and fiscal year (stream
/// `budget-{program}-{year}-{district}`): what was allocated, what approvals have reserved of
/// it, and what is still available. Only totals: the state (and its snapshot) stays the same
/// size however many approvals drew on the budget, so an approval costs the same against the
/// 100,000th reservation as against the 10th. What one application holds reserved is its own
/// stream's business (its approval less what it paid out and released); releases are decided
/// from there, never above it.
public struct BudgetState: StreamState, Equatable {
    public let streamID: String
    public var version: Int64 = 0
    /// Set by the first allocation; nil while nothing was allocated.
    public private(set) var program: String?
    public private(set) var fiscalYear: Int?
    public private(set) var district: UnitCode?
    /// Allocations plus adjustments (adjustments may be negative).
    public private(set) var allocated: VND = .zero
    /// Reservations made by approvals minus what was released.
    public private(set) var reserved: VND = .zero

    public init(streamID: String) {
        self.streamID = streamID
    }

    /// The state as the database keeps it (`ledger.budget_totals`, folded by the append itself).
    init(streamID: String, version: Int64, program: String, fiscalYear: Int, district: UnitCode, allocated: VND, reserved: VND) {
        self.streamID = streamID
        self.version = version
        self.program = program
        self.fiscalYear = fiscalYear
        self.district = district
        self.allocated = allocated
        self.reserved = reserved
    }

    /// True once funds were allocated (approvals need an allocated budget).
    public var isAllocated: Bool { program != nil }

    /// What approvals may still reserve.
    public var available: VND { allocated - reserved }

    /// `NQ12-HOUSING 2024 Ninh Kiều`, for messages; with places loaded, the unit with its kind
    /// (`NQ12-HOUSING 2025 phường Ninh Kiều`).
    public static func label(program: String, fiscalYear: Int, district: UnitCode, places: PlaceCatalog = PlaceCatalog()) -> String {
        "\(program) \(fiscalYear) \(places.isEmpty ? district.name : places.title(of: district))"
    }

    public mutating func apply(_ event: LedgerEvent, context: EventContext) {
        switch event {
        case .budgetAllocated(let allocation):
            identify(program: allocation.program, fiscalYear: allocation.fiscalYear, district: allocation.district)
            allocated += allocation.amountVND
        case .budgetAdjusted(let adjustment):
            identify(program: adjustment.program, fiscalYear: adjustment.fiscalYear, district: adjustment.district)
            allocated += adjustment.deltaVND
        case .fundsReserved(let reservation):
            reserved += reservation.amountVND
        case .fundsReleased(let release):
            reserved -= release.amountVND
        default:
            break
        }
    }

    private mutating func identify(program: String, fiscalYear: Int, district: UnitCode) {
        guard self.program == nil else { return }
        self.program = program
        self.fiscalYear = fiscalYear
        self.district = district
    }
}
