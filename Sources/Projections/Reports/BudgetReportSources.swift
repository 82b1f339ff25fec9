import EventStore
import Foundation
import Ledger
import Postgres

/// Where a report read from the read models stands against the log.
public struct ReadModelLag: Sendable, Equatable {
    public let projection: String
    /// The projection's checkpoint: the last position its tables include.
    public let position: Int64
    public let headPosition: Int64
    public var events: Int64 { headPosition - position }
    /// Whether the reader is an admin, who may run the projections (the warning's advice).
    public var readerIsAdmin = true

    /// A line for stderr when the tables are behind the log; nil when they are not.
    public var warning: String? {
        guard events > 0 else { return nil }
        return "the \(projection) read model is at position \(position), \(VND.grouped(events)) event\(events == 1 ? "" : "s") "
            + "behind the log (head \(headPosition)); \(ReadModelAdvice.run("`ledger projections run`", readerIsAdmin: readerIsAdmin)) to catch up"
    }
}

extension BudgetReport {
    /// From the `budget_usage` read model, with its checkpoint, read in one statement (one
    /// snapshot: the rows and the checkpoint the runner committed together).
    public static func fromReadModel(
        _ connection: PostgresConnection, filter: BudgetReportFilter = .init()
    ) async throws -> (report: BudgetReport, lag: ReadModelLag) {
        typealias Row = (line: BudgetReportLine?, position: Int64, head: Int64)
        let rows: [Row] = try await connection.query("""
            SELECT u.program, u.fiscal_year, u.district, u.allocated_vnd, u.reserved_vnd, u.paid_vnd, u.released_vnd,
                   c.position, h.last_position, u.lent_vnd
            FROM ledger_read.checkpoints c CROSS JOIN ledger.head h
            LEFT JOIN ledger_read.budget_usage u ON true
            WHERE c.projection = $1
            """, [BudgetUsageProjection.name]) { row in
            let line: BudgetReportLine? = row.isNull(0) ? nil : BudgetReportLine(
                program: try row.string(0), fiscalYear: try row.int(1), district: try district(code: try row.string(2)),
                figures: BudgetFigures(
                    allocated: VND(try row.int64(3)), reserved: VND(try row.int64(4)), paid: VND(try row.int64(5)),
                    lent: VND(try row.int64(9)), released: VND(try row.int64(6))
                )
            )
            return (line, try row.int64(7), try row.int64(8))
        }
        guard let first = rows.first else {
            let advice = ReadModelAdvice.run("`ledger migrate`", readerIsAdmin: await ReadModelAdvice.readerIsAdmin(connection))
            throw ReportError("the read models have no checkpoint for \(BudgetUsageProjection.name): \(advice)")
        }
        var lag = ReadModelLag(projection: BudgetUsageProjection.name, position: first.position, headPosition: first.head)
        if lag.events > 0 { lag.readerIsAdmin = await ReadModelAdvice.readerIsAdmin(connection) }
        return (BudgetReport(lines: rows.compactMap(\.line), filter: filter, position: first.position), lag)
    }

    /// The log folded in memory up to `limit` (recording order): the `budget_usage` projection
    /// itself applied to that prefix, so the figures are exactly what its table held at that
    /// position.
    public static func replay(
        _ store: EventStore, until limit: ReplayLimit, filter: BudgetReportFilter = .init(), pageSize: Int = LogReplay.defaultPageSize
    ) async throws -> (report: BudgetReport, point: ReplayPoint) {
        var projection = BudgetUsageProjection()
        let point = try await LogReplay.fold(store, until: limit, pageSize: pageSize) { try projection.apply($0) }
        let lines = try lines(fromBudgetUsageRows: projection.allRows()[0])
        var report = BudgetReport(lines: lines, filter: filter, position: point.position)
        report.skipped = point.skipped
        return (report, point)
    }

    /// The whole log folded by business date: only what happened by `date` counts (see
    /// `BusinessDateBudgetFold` for each figure's rule).
    public static func asOfBusinessDate(
        _ date: LocalDate, _ store: EventStore, filter: BudgetReportFilter = .init(), pageSize: Int = LogReplay.defaultPageSize
    ) async throws -> BudgetReport {
        var fold = BusinessDateBudgetFold(asOf: date)
        let point = try await LogReplay.fold(store, until: .head, pageSize: pageSize) { try fold.apply($0) }
        var report = BudgetReport(lines: try fold.lines(), filter: filter, position: point.position, businessDate: date)
        report.skipped = point.skipped
        return report
    }

    /// Lines from rows of the `budget_usage` table as the projection produces them (columns
    /// found by name).
    static func lines(fromBudgetUsageRows rows: [ReadModelRow]) throws -> [BudgetReportLine] {
        let columns = BudgetUsageProjection.tables[0].columns
        func index(_ name: String) -> Int {
            guard let index = columns.firstIndex(of: name) else { preconditionFailure("budget_usage has no column \(name)") }
            return index
        }
        let (program, year, district) = (index("program"), index("fiscal_year"), index("district"))
        let (allocated, reserved, paid, released) = (index("allocated_vnd"), index("reserved_vnd"), index("paid_vnd"), index("released_vnd"))
        let lent = index("lent_vnd")
        func amount(_ row: ReadModelRow, _ column: Int) throws -> VND {
            guard let text = row[column], let value = Int64(text) else { throw ReportError("budget_usage: \(columns[column]) is not an integer") }
            return VND(value)
        }
        return try rows.map { row in
            guard let code = row[program], let yearText = row[year], let fiscalYear = Int(yearText), let districtCode = row[district] else {
                throw ReportError("budget_usage: a row without its key")
            }
            return BudgetReportLine(
                program: code, fiscalYear: fiscalYear, district: try Self.district(code: districtCode),
                figures: BudgetFigures(
                    allocated: try amount(row, allocated), reserved: try amount(row, reserved), paid: try amount(row, paid),
                    lent: try amount(row, lent), released: try amount(row, released)
                )
            )
        }
    }

    static func district(code: String) throws -> UnitCode {
        guard let district = UnitCode(rawValue: code) else { throw ReportError("\(code.debugDescription) is not a district code") }
        return district
    }
}

/// The budgets as of a business date: the whole log folded, counting only what had happened by
/// that date in the ledger's own business dates — never by when it was recorded.
///
/// - **allocated**: every allocation and adjustment. They carry no business date (a budget is
///   the fiscal year's appropriation, identified by its decision reference), so they count in
///   full; to see allocations as they stood at an earlier moment, replay by recording time
///   (`ledger replay --as-of`).
/// - **reserved**: an approval's reservation when its `decided_on` ≤ the date.
/// - **paid**: payments with `paid_on` ≤ the date, less reversals with `reversed_on` ≤ the date.
/// - **lent**: loan principal with `disbursed_on` ≤ the date.
/// - **released**: a reservation given back, when the withdrawal's `withdrawn_on` or the
///   closure's `closed_on` ≤ the date.
/// - **available**: allocated − reserved + released, from those figures.
///
/// With a date on or after every business date in the log, the figures are those of the
/// `budget_usage` read model.
public struct BusinessDateBudgetFold: Sendable {
    public let asOf: LocalDate

    struct Budget {
        var program: String?
        var fiscalYear = 0
        var district: UnitCode?
        var allocated = VND.zero
    }

    /// What one application did to its budget, dated; resolved against `asOf` at the end (a
    /// reservation and its approval are appended together, in either order).
    struct Application {
        var budget: String?
        var reserved = VND.zero
        var decidedOn: LocalDate?
        var released = VND.zero
        var releasedOn: LocalDate?
        /// Already filtered by date: payments − reversals dated ≤ `asOf`.
        var paid = VND.zero
        /// Already filtered by date: loan principal disbursed ≤ `asOf`.
        var lent = VND.zero
    }

    var budgets: [String: Budget] = [:]
    var applications: [String: Application] = [:]

    public init(asOf: LocalDate) {
        self.asOf = asOf
    }

    static let budgetPrefix = "budget-"
    static let applicationPrefix = Streams.application("")

    /// Sums are checked and computed before they are assigned: an event that would leave the
    /// ledger's range throws `FoldProblem` and changes nothing (the replay leaves it out, naming it).
    public mutating func apply(_ event: ProjectedEvent) throws {
        let stream = event.streamID
        switch event.event {
        case .budgetAllocated(let allocation):
            guard stream.hasPrefix(Self.budgetPrefix) else { return }
            let allocated = try Checked.add(budgets[stream]?.allocated ?? .zero, allocation.amountVND, "allocated")
            identify(stream, allocation.program, allocation.fiscalYear, allocation.district)
            budgets[stream, default: Budget()].allocated = allocated
        case .budgetAdjusted(let adjustment):
            guard stream.hasPrefix(Self.budgetPrefix) else { return }
            let allocated = try Checked.add(budgets[stream]?.allocated ?? .zero, adjustment.deltaVND, "allocated")
            identify(stream, adjustment.program, adjustment.fiscalYear, adjustment.district)
            budgets[stream, default: Budget()].allocated = allocated
        case .fundsReserved(let reservation):
            guard stream.hasPrefix(Self.budgetPrefix) else { return }
            let reserved = try Checked.add(applications[reservation.applicationID]?.reserved ?? .zero, reservation.amountVND, "reserved")
            applications[reservation.applicationID, default: Application()].budget = stream
            applications[reservation.applicationID, default: Application()].reserved = reserved
        case .fundsReleased(let release):
            guard stream.hasPrefix(Self.budgetPrefix) else { return }
            let released = try Checked.add(applications[release.applicationID]?.released ?? .zero, release.amountVND, "released")
            applications[release.applicationID, default: Application()].released = released
        case .applicationApproved(let approval):
            update(application: stream) { $0.decidedOn = approval.decidedOn }
        case .applicationWithdrawn(let withdrawal):
            update(application: stream) { $0.releasedOn = withdrawal.withdrawnOn }
        case .applicationClosed(let closure):
            update(application: stream) { $0.releasedOn = closure.closedOn }
        case .paymentRecorded(let payment):
            guard payment.paidOn <= asOf else { return }
            try update(application: stream) { $0.paid = try Checked.add($0.paid, payment.amountVND, "paid") }
        case .paymentReversed(let reversal):
            guard reversal.reversedOn <= asOf else { return }
            try update(application: stream) { $0.paid = try Checked.subtract($0.paid, reversal.amountVND, "paid") }
        case .loanOpened(let loan):
            guard loan.disbursedOn <= asOf else { return }
            try update(application: stream) { $0.lent = try Checked.add($0.lent, loan.principalVND, "lent") }
        default:
            break
        }
    }

    private mutating func identify(_ stream: String, _ program: String, _ fiscalYear: Int, _ district: UnitCode) {
        guard budgets[stream]?.program == nil else { return }
        budgets[stream, default: Budget()].program = program
        budgets[stream, default: Budget()].fiscalYear = fiscalYear
        budgets[stream, default: Budget()].district = district
    }

    private mutating func update(application stream: String, _ change: (inout Application) throws -> Void) rethrows {
        guard stream.hasPrefix(Self.applicationPrefix) else { return }
        let id = String(stream.dropFirst(Self.applicationPrefix.count))
        var application = applications[id] ?? Application()
        try change(&application)
        applications[id] = application
    }

    /// One line per budget with an allocation (as the read model: a budget is known by it).
    /// Refuses (naming the budget) figures whose sums leave the ledger's range.
    public func lines() throws -> [BudgetReportLine] {
        var figures: [String: BudgetFigures] = [:]
        for budget in budgets.keys { figures[budget] = BudgetFigures(allocated: budgets[budget]!.allocated) }
        do {
            for application in applications.values {
                guard let budget = application.budget, var sums = figures[budget] else { continue }
                if let decided = application.decidedOn, decided <= asOf { sums.reserved = try Checked.add(sums.reserved, application.reserved, "\(budget) reserved") }
                if let releasedOn = application.releasedOn, releasedOn <= asOf {
                    sums.released = try Checked.add(sums.released, application.released, "\(budget) released")
                }
                sums.paid = try Checked.add(sums.paid, application.paid, "\(budget) paid")
                sums.lent = try Checked.add(sums.lent, application.lent, "\(budget) lent")
                figures[budget] = sums
            }
        } catch let problem as FoldProblem {
            throw ReportError("the budget figures cannot be added up: \(problem.description)")
        }
        return budgets.compactMap { stream, budget in
            guard let program = budget.program, let district = budget.district, let figures = figures[stream] else { return nil }
            return BudgetReportLine(program: program, fiscalYear: budget.fiscalYear, district: district, figures: figures)
        }.sorted(by: BudgetReportLine.ordered)
    }
}
