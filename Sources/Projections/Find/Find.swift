import Foundation
import Ledger
import Postgres

/// How far one read model is behind the log, as a find command read it.
public struct ReadModelBehind: Sendable, Equatable, Codable {
    public let projection: String
    /// The checkpoint: the last position its rows include.
    public let position: Int64
    public let headPosition: Int64
    /// Events recorded and not yet folded.
    public var events: Int64 { headPosition - position }
    /// How long ago the oldest event not yet folded was recorded (0 when caught up).
    public let lagMicroseconds: Int64
    /// Where it stopped on an event it cannot fold, if it did.
    public let stalledAt: Int64?
    /// Whether the reader is an admin, who may run the projections (the warning's advice; not encoded).
    public var readerIsAdmin = true

    enum CodingKeys: String, CodingKey {
        case projection, position, headPosition = "head_position", events, lagMicroseconds = "lag_micros", stalledAt = "stalled_at"
    }

    public init(projection: String, position: Int64, headPosition: Int64, lagMicroseconds: Int64, stalledAt: Int64?,
                readerIsAdmin: Bool = true) {
        self.readerIsAdmin = readerIsAdmin
        self.projection = projection
        self.position = position
        self.headPosition = headPosition
        self.lagMicroseconds = lagMicroseconds
        self.stalledAt = stalledAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            projection: try container.decode(String.self, forKey: .projection), position: try container.decode(Int64.self, forKey: .position),
            headPosition: try container.decode(Int64.self, forKey: .headPosition),
            lagMicroseconds: try container.decode(Int64.self, forKey: .lagMicroseconds),
            stalledAt: try container.decodeIfPresent(Int64.self, forKey: .stalledAt)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(projection, forKey: .projection)
        try container.encode(position, forKey: .position)
        try container.encode(headPosition, forKey: .headPosition)
        try container.encode(events, forKey: .events)
        try container.encode(lagMicroseconds, forKey: .lagMicroseconds)
        try container.encodeIfPresent(stalledAt, forKey: .stalledAt)
    }

    /// "the payments read model is 12 events behind the log (the oldest recorded 3 min 5 s ago); …", or nil when caught up.
    public var warning: String? {
        guard events > 0 else { return nil }
        var text = "the \(projection) read model is \(VND.grouped(events)) event\(events == 1 ? "" : "s") behind the log "
            + "(at position \(position) of \(headPosition); the oldest not yet included was recorded \(Self.duration(lagMicroseconds)) ago)"
        if let stalledAt {
            text += "; it stopped at position \(stalledAt), an event it cannot fold (`ledger projections status`)"
            if !readerIsAdmin { text += "; tell an administrator" }
        } else {
            text += "; \(ReadModelAdvice.run("`ledger projections run`", readerIsAdmin: readerIsAdmin)) to catch up"
        }
        return text
    }

    /// 45 s, 3 min 5 s, 2 h 10 min, 3 d 4 h.
    static func duration(_ microseconds: Int64) -> String {
        let seconds = max(0, microseconds / 1_000_000)
        switch seconds {
        case ..<60: return "\(seconds) s"
        case ..<3_600: return "\(seconds / 60) min \(seconds % 60) s"
        case ..<86_400: return "\(seconds / 3_600) h \(seconds % 3_600 / 60) min"
        default: return "\(seconds / 86_400) d \(seconds % 86_400 / 3_600) h"
        }
    }
}

/// Why a find command could not answer (not a rule refused: nothing was recorded).
public struct FindError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Rows of a list, at most the limit, with whether more matched.
public struct FoundRows<Row: Sendable & Encodable>: Sendable, Encodable {
    public let rows: [Row]
    /// Rows matching the filters (all of them, not only those shown).
    public let matching: Int64
    public let limit: Int
    public let behind: [ReadModelBehind]
    public var more: Bool { matching > Int64(rows.count) }

    enum CodingKeys: String, CodingKey {
        case rows, matching, shown, limit, more = "more_rows", behind = "read_models_behind"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
        try container.encode(matching, forKey: .matching)
        try container.encode(rows.count, forKey: .shown)
        try container.encode(limit, forKey: .limit)
        try container.encode(more, forKey: .more)
        try container.encode(behind.filter { $0.events > 0 }, forKey: .behind)
    }

    /// "showing 100 of 2,345 applications (more rows: raise --limit or add filters)", or nil when all are shown.
    public func moreRowsNote(_ noun: String) -> String? {
        guard more else { return nil }
        return "showing \(rows.count) of \(VND.grouped(matching)) \(noun) (more rows: raise --limit or add filters)"
    }
}

/// The queries behind `ledger application list|show`, `beneficiary show|search`, `payment list` and
/// `user list`: read-only, from the read models in `ledger_read`, each command's rows and the
/// checkpoints they reflect read in one REPEATABLE READ snapshot.
public enum Find {
    /// The most rows a list shows (`--limit`).
    public static let maximumLimit = 100_000
    public static let defaultLimit = 100

    /// Runs `body` in one read-only snapshot; a read model not there yet is named with what to do.
    static func snapshot<T: Sendable>(
        _ connection: PostgresConnection, _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        do {
            return try await connection.transaction(isolation: .repeatableRead) { connection in
                try connection.simpleQuery("SET TRANSACTION READ ONLY")
                return try body(connection)
            }
        } catch let error as PostgresError where error.code == .undefinedTable {
            let advice = ReadModelAdvice.run(
                "`ledger migrate`, then `ledger projections run`", readerIsAdmin: await ReadModelAdvice.readerIsAdmin(connection)
            )
            throw FindError("a read model is missing (\(error.message)): \(advice)")
        } catch let error as PostgresError where error.code == .insufficientPrivilege {
            let who = (try? await connection.queryOne("SELECT session_user::text") { try $0.string(0) }) ?? "this role"
            throw FindError("\(who) may not read the read models (\(error.message)): connect as an officer, approver, auditor or admin")
        }
    }

    /// Where each of `projections` stands against the log, in the caller's snapshot.
    public static func behind(_ projections: [String], _ connection: isolated PostgresConnection) throws -> [ReadModelBehind] {
        let found = try connection.query("""
            SELECT c.projection, c.position, h.last_position,
                   coalesce((SELECT (extract(epoch FROM now() - e.recorded_at) * 1000000)::bigint
                             FROM ledger.events e WHERE e.position = c.position + 1), 0),
                   c.stalled_at, \(ReadModelAdvice.readerIsAdminSQL)
            FROM ledger_read.checkpoints c CROSS JOIN ledger.head h
            WHERE c.projection = ANY($1::text[])
            ORDER BY array_position($1::text[], c.projection)
            """, [PostgresValue.textArray(projections)]) { row in
            ReadModelBehind(
                projection: try row.string(0), position: try row.int64(1), headPosition: try row.int64(2),
                lagMicroseconds: max(0, try row.int64(3)), stalledAt: try row.optionalInt64(4), readerIsAdmin: try row.bool(5)
            )
        }
        let missing = Set(projections).subtracting(found.map(\.projection))
        guard missing.isEmpty else {
            let advice = ReadModelAdvice.run("`ledger migrate`", readerIsAdmin: ReadModelAdvice.readerIsAdmin(connection))
            throw FindError("the read models have no checkpoint for \(missing.sorted().joined(separator: ", ")): \(advice)")
        }
        return found
    }

    /// A `--limit` value checked: 1…`maximumLimit`.
    public static func checkedLimit(_ limit: Int) throws -> Int {
        guard (1...maximumLimit).contains(limit) else {
            throw DomainError.invalidInput(field: "--limit", problem: "\(limit) must be between 1 and \(VND.grouped(Int64(maximumLimit)))")
        }
        return limit
    }

    /// The caller: its login role and whether it may decide applications (a member of ledger_approver).
    struct Caller: Sendable {
        let role: String
        let isApprover: Bool
    }

    static func caller(_ connection: isolated PostgresConnection) throws -> Caller {
        try connection.queryOne("SELECT session_user::text, pg_has_role(session_user, 'ledger_approver', 'MEMBER')") {
            Caller(role: try $0.string(0), isApprover: try $0.bool(1))
        }
    }
}

extension PostgresRow {
    /// A `date` column as `LocalDate`'s text, or nil.
    func optionalDateText(_ column: Int) throws -> String? {
        isNull(column) ? nil : try string(column)
    }

    /// A recording time as the finders carry it: RFC 3339 in Vietnam's time
    /// (`2024-03-01T16:30:00.123456+07:00`), what their JSON holds; tables show it with a space
    /// for the `T` (`VietnamTime.display(rfc3339:)`).
    func optionalTimestamp(_ column: Int) throws -> String? {
        isNull(column) ? nil : VietnamTime.rfc3339(microsecondsSinceEpoch: try timestampMicroseconds(column))
    }

    func timestampText(_ column: Int) throws -> String {
        VietnamTime.rfc3339(microsecondsSinceEpoch: try timestampMicroseconds(column))
    }
}
