import EventStore
import Foundation
import Postgres

/// One thing a person recorded: an event of the log whose actor is that person, with the
/// beneficiary it concerns (from its payload, or else from the first event of its stream — an
/// application's or a loan's names the beneficiary).
public struct RecentWorkEntry: Sendable, Equatable {
    public let position: Int64
    public let type: String
    public let streamID: String
    /// When the database recorded it (microseconds since 1970, UTC).
    public let recordedAtMicroseconds: Int64
    public let beneficiaryID: String?
}

extension LedgerService {
    /// The last `limit` events the connection's own login recorded (actor = `session_user`, as
    /// `ledger.append` sets it) among the log's latest `window` events, newest first. Walks the
    /// log backwards by position (its primary key) and stops at `limit` or at the window's start,
    /// so a person who recorded little reads at most `window` events, however long the log (the
    /// actor has no index of its own).
    public func recentWork(limit: Int = 10, window: Int64 = 100_000) async throws -> [RecentWorkEntry] {
        try await connection.query("""
            SELECT e.position, e.event_type, e.stream_id,
                   (extract(epoch FROM e.recorded_at) * 1000000)::bigint,
                   coalesce(e.payload ->> 'beneficiary_id',
                            (SELECT f.payload ->> 'beneficiary_id' FROM ledger.events f
                             WHERE f.stream_id = e.stream_id AND f.stream_version = 1))
            FROM ledger.events e
            WHERE e.metadata ->> 'actor' = session_user::text
              AND e.position > (SELECT coalesce(max(position), 0) FROM ledger.events) - $2
            ORDER BY e.position DESC
            LIMIT $1
            """, [max(0, limit), max(0, window)]) { row in
            RecentWorkEntry(
                position: try row.int64(0), type: try row.string(1), streamID: try row.string(2),
                recordedAtMicroseconds: try row.int64(3), beneficiaryID: try row.optionalString(4)
            )
        }
    }
}
