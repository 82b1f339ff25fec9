/// A district's budget for one programme and fiscal year (stream
/// `budget-{program}-{year}-{district}`): what was allocated, what approvals have reserved of
/// it, and what is still available. Reservations are kept per application, so a release can
/// never give back more than that application reserved.
public struct BudgetState: StreamState, Equatable {
    public let streamID: String
    public var version: Int64 = 0
    /// Set by the first allocation; nil while nothing was allocated.
    public private(set) var program: String?
    public private(set) var fiscalYear: Int?
    public private(set) var district: District?
    /// Allocations plus adjustments (adjustments may be negative).
    public private(set) var allocated: VND = .zero
    /// Reservations made by approvals minus what was released.
    public private(set) var reserved: VND = .zero
    /// What each application still holds reserved; an application whose reservation was fully
    /// released is removed, so the map holds only open approvals.
    public private(set) var reservationsByApplication: [String: VND] = [:]

    public init(streamID: String) {
        self.streamID = streamID
    }

    /// True once funds were allocated (approvals need an allocated budget).
    public var isAllocated: Bool { program != nil }

    /// What approvals may still reserve.
    public var available: VND { allocated - reserved }

    /// What `applicationID` holds reserved (zero when it holds nothing).
    public func reservation(for applicationID: String) -> VND {
        reservationsByApplication[applicationID] ?? .zero
    }

    /// `NQ12-HOUSING 2024 Ninh Kiều`, for messages.
    public static func label(program: String, fiscalYear: Int, district: District) -> String {
        "\(program) \(fiscalYear) \(district.name)"
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
            reservationsByApplication[reservation.applicationID, default: .zero] += reservation.amountVND
        case .fundsReleased(let release):
            reserved -= release.amountVND
            let remaining = reservation(for: release.applicationID) - release.amountVND
            reservationsByApplication[release.applicationID] = remaining == .zero ? nil : remaining
        default:
            break
        }
    }

    private mutating func identify(program: String, fiscalYear: Int, district: District) {
        guard self.program == nil else { return }
        self.program = program
        self.fiscalYear = fiscalYear
        self.district = district
    }
}
