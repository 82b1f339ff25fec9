import EventStore
import Ledger
import Postgres

/// An event of the log as a projection folds it: the domain event, the stream it belongs to, and
/// where and by whom it was recorded.
public struct ProjectedEvent: Sendable {
    public let event: LedgerEvent
    public let streamID: String
    public let context: EventContext

    public init(event: LedgerEvent, streamID: String, context: EventContext) {
        self.event = event
        self.streamID = streamID
        self.context = context
    }

    public var position: Int64 { context.position }

    /// Only these event types need who recorded them (submitter and decider of an application;
    /// the steps, payments and beneficiaries the find commands show); reading the actor out of the
    /// metadata JSON for every event would cost a parse each.
    static let typesNeedingActor: Set<String> = ApplicationStepsProjection.eventTypes.union(PaymentsProjection.eventTypes)
        .union(BeneficiariesProjection.eventTypes)

    /// The domain event of `recorded`, checked against the limits every fold relies on
    /// (`EventLimits`); `.foreign` for a type this domain does not know; `.unreadable` naming the
    /// position and the problem when the payload cannot be read. Never throws, never traps.
    public static func decode(_ recorded: RecordedEvent) -> DecodedEvent {
        let event: ProjectedEvent?
        do {
            event = try ProjectedEvent(recorded: recorded)
        } catch {
            return .unreadable(UnreadableEvent(recorded, problem: UnreadableEvent.text(of: error)))
        }
        guard let event else { return .foreign }
        if let problem = EventLimits.problem(in: event.event) {
            return .unreadable(UnreadableEvent(recorded, problem: problem))
        }
        return .event(event)
    }

    /// The domain event of `recorded`; nil for a type this domain does not know.
    public init?(recorded: RecordedEvent) throws {
        guard let event = try LedgerEvent(recorded: recorded) else { return nil }
        let actor = Self.typesNeedingActor.contains(recorded.type) ? (recorded.actor ?? "") : ""
        self.init(
            event: event, streamID: recorded.streamID.rawValue,
            context: EventContext(
                position: recorded.position, streamVersion: recorded.streamVersion, actor: actor,
                recordedAtMicroseconds: recorded.recordedAtMicroseconds
            )
        )
    }
}

/// An event of the log as the read side decoded it.
public enum DecodedEvent: Sendable {
    case event(ProjectedEvent)
    /// A type this domain does not know: no projection reads it.
    case foreign
    /// A domain type whose payload cannot be read, or whose figures are beyond what a fold can add up.
    case unreadable(UnreadableEvent)

    /// With its position (whatever it decoded to).
    struct Positioned: Sendable {
        let position: Int64
        let decoded: DecodedEvent
    }
}

/// An event a projection cannot fold: where, what, and why.
public struct UnreadableEvent: Sendable, Equatable, Codable {
    public let position: Int64
    public let type: String
    public let problem: String

    public init(position: Int64, type: String, problem: String) {
        self.position = position
        self.type = type
        self.problem = problem
    }

    init(_ recorded: RecordedEvent, problem: String) {
        self.init(position: recorded.position, type: recorded.type, problem: problem)
    }

    /// "position 17 (PaymentRecorded): amount_vnd …".
    public var description: String { "position \(position) (\(type)): \(problem)" }

    /// An error as one line of bounded length (a decoder's description may quote a whole payload).
    static func text(of error: any Error) -> String {
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.count > 400 ? String(text.prefix(400)) + "…" : text
    }
}

/// Why a projection stopped: the event it could not fold. It stays at the event before (its
/// checkpoint) while every other projection goes on; `ledger projections status` shows it.
public struct ProjectionStall: Sendable, Equatable, Codable {
    /// The position of the event it could not fold.
    public let position: Int64
    public let reason: String

    public init(position: Int64, reason: String) {
        self.position = position
        self.reason = reason
    }
}

/// Why a fold cannot apply an event (a figure would leave the ledger's range): the projection
/// stops before it, its state as it was.
public struct FoldProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Checked arithmetic for folds: amounts read from the log never trap. Every running total a fold
/// keeps stays within ±10^15 (`VND.maximumMagnitude`) or the event is refused with a
/// `FoldProblem`; so the few-term differences computed from them when rows are written
/// (remaining, available, outstanding) cannot overflow an Int64.
enum Checked {
    static func add(_ total: VND, _ amount: VND, _ field: String) throws -> VND {
        do { return try total.adding(amount) } catch {
            throw FoldProblem("\(field): \(total) + \(amount) leaves the ledger's range (±\(VND.maximumMagnitude))")
        }
    }

    static func subtract(_ total: VND, _ amount: VND, _ field: String) throws -> VND {
        do { return try total.subtracting(amount) } catch {
            throw FoldProblem("\(field): \(total) − \(amount) leaves the ledger's range (±\(VND.maximumMagnitude))")
        }
    }
}

/// A read-model table: its name in `ledger_read`, its columns in order, and the key columns (the
/// first `keyCount` columns). The shape itself is defined once, in `sql/0006_projections.sql`
/// (migration 10 keeps a copy of each, `ledger_read_build.shape_<name>`, for rebuilds).
public struct ReadModelTable: Sendable, Equatable {
    public let name: String
    public let columns: [String]
    public let keyCount: Int

    public init(name: String, columns: [String], keyCount: Int) {
        precondition(keyCount >= 1 && keyCount <= columns.count)
        self.name = name
        self.columns = columns
        self.keyCount = keyCount
    }

    public var keyColumns: ArraySlice<String> { columns.prefix(keyCount) }
}

/// One row of a read-model table as PostgreSQL's text format takes it (nil is NULL), in the
/// table's column order, key columns first.
public typealias ReadModelRow = [String?]

/// A named fold of the log into read-model tables.
///
/// `apply` is pure and deterministic: the same events in the same order give the same rows, which
/// is what makes incremental running equal a rebuild (guarantee 9, docs/architecture.md). A projection keeps its
/// whole state in memory (the read models themselves, plus what it needs to route events, e.g.
/// which budget an application draws on); it remembers which rows changed since
/// `takeChangedRows`, so the runner writes only those.
public protocol Projection: Sendable {
    /// The projection's name: its checkpoint row and its lease.
    static var name: String { get }
    /// Its tables, in the order rows are returned and written.
    static var tables: [ReadModelTable] { get }
    /// The event types it reads: an unreadable event of one of these stops it; others it ignores.
    static var eventTypes: Set<String> { get }
    /// The state before any event.
    init()
    /// Folds one event (events of no interest are ignored). Throws `FoldProblem` when a figure
    /// would leave the ledger's range, leaving every row as it was before the event.
    mutating func apply(_ event: ProjectedEvent) throws
    /// The rows changed since the last call, per table (in `tables` order); forgets them.
    mutating func takeChangedRows() -> [[ReadModelRow]]
    /// Every row, per table (in `tables` order), sorted by key.
    func allRows() -> [[ReadModelRow]]
    /// Every row of table `table` (an index into `tables`), sorted by key, built and handed to
    /// `body` one at a time: the same rows as `allRows()[table]`, but a rebuild or reconcile that
    /// COPYs them as they come never holds a whole table as text.
    func forEachRow(ofTable table: Int, _ body: (ReadModelRow) throws -> Void) rethrows
    /// For a projection whose rows never change once `takeChangedRows` has returned them: stop
    /// keeping those rows (a rebuild or reconcile writes them as it folds), and return true; from
    /// then on `allRows` and `forEachRow` give only the rows not yet taken. Others return false
    /// and keep everything (the default).
    mutating func keepOnlyUntakenRows() -> Bool
    /// Forgets which rows changed, without building them. For a fold whose rows are all written
    /// or compared at its end (a rebuild, a reconcile, the runner's catch-up from nothing): called
    /// after each page, the record of changes stays a page long instead of growing with the log,
    /// and no table is built as text only to be thrown away. The default takes and drops them.
    mutating func forgetChanges()
}

extension Projection {
    public func forEachRow(ofTable table: Int, _ body: (ReadModelRow) throws -> Void) rethrows {
        for row in allRows()[table] { try body(row) }
    }

    public mutating func keepOnlyUntakenRows() -> Bool { false }

    public mutating func forgetChanges() { _ = takeChangedRows() }
}

/// Text forms of column values, as COPY and the tables read them.
enum Field {
    static func int(_ value: Int64) -> String { String(value) }
    static func int(_ value: Int) -> String { String(value) }
    static func vnd(_ value: VND) -> String { String(value.amount) }
    static func optionalVND(_ value: VND?) -> String? { value.map { String($0.amount) } }
    static func date(_ value: LocalDate?) -> String? { value?.description }
    static func timestamp(_ microseconds: Int64) -> String {
        PostgresTimestamp.isoString(microsecondsSinceEpoch: microseconds)
    }
}

extension Dictionary where Key == String {
    /// Rows of the given keys, sorted by key (so output and writes are deterministic).
    func rows(for keys: some Sequence<String>, _ row: (Value) -> ReadModelRow?) -> [ReadModelRow] {
        keys.sorted().compactMap { key in self[key].flatMap(row) }
    }

    /// Every value's row, sorted by key as `rows(for: keys, row)`, handed to `body` one at a time.
    func forEachRow(_ row: (Value) -> ReadModelRow?, _ body: (ReadModelRow) throws -> Void) rethrows {
        for key in keys.sorted() {
            if let value = self[key], let built = row(value) { try body(built) }
        }
    }
}
