import Foundation
import Postgres

/// How far a hot standby is behind, as one connection to it sees it: the log's head it has
/// replayed, the WAL it has received but not yet replayed, and whether it still receives from a
/// primary. Every function it reads is open to any role (a WAL receiver's `status` is not, so its
/// presence is read from its row, which any role sees).
public struct StandbyStatus: Sendable, Equatable, Encodable {
    /// `ledger.head` as replayed here: the last position and its chain hash (nil when this role
    /// may not read the head, or the database is not migrated).
    public var headPosition: Int64?
    public var headHash: String?
    /// The last WAL location received from the primary and flushed here (nil when none was streamed
    /// since the standby started) and the last one replayed.
    public var receiveLSN: String?
    public var replayLSN: String?
    /// Received but not yet replayed, in bytes (0 when nothing is waiting).
    public var bytesNotReplayed: Int64
    /// How long ago the last replayed transaction committed on the primary, in milliseconds (nil
    /// before the first). When nothing waits to be replayed, this is the primary's idle time, not lag.
    public var lastReplayedCommitAgeMilliseconds: Int64?
    /// Whether a WAL receiver runs and streams from a primary (its status is shown only to members
    /// of pg_read_all_stats; for other roles, a running receiver counts as streaming).
    public var receiving: Bool
    /// Whether replay is paused (`pg_wal_replay_pause()`).
    public var replayPaused: Bool

    /// The replay lag in milliseconds: the last replayed commit's age while WAL waits to be
    /// replayed; 0 when everything received is replayed.
    public var replayLagMilliseconds: Int64 {
        bytesNotReplayed > 0 ? max(0, lastReplayedCommitAgeMilliseconds ?? 0) : 0
    }

    enum CodingKeys: String, CodingKey {
        case headPosition = "head_position", headHash = "head_hash", receiveLSN = "receive_lsn", replayLSN = "replay_lsn"
        case bytesNotReplayed = "bytes_not_replayed", replayLagMilliseconds = "replay_lag_ms"
        case lastReplayedCommitAgeMilliseconds = "last_replayed_commit_age_ms", receiving = "receiving_from_primary"
        case replayPaused = "replay_paused"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(headPosition, forKey: .headPosition)
        try container.encode(headHash, forKey: .headHash)
        try container.encode(receiveLSN, forKey: .receiveLSN)
        try container.encode(replayLSN, forKey: .replayLSN)
        try container.encode(bytesNotReplayed, forKey: .bytesNotReplayed)
        try container.encode(replayLagMilliseconds, forKey: .replayLagMilliseconds)
        try container.encode(lastReplayedCommitAgeMilliseconds, forKey: .lastReplayedCommitAgeMilliseconds)
        try container.encode(receiving, forKey: .receiving)
        try container.encode(replayPaused, forKey: .replayPaused)
    }

    static let recoverySQL = """
        SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
               greatest(coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0), 0)::bigint,
               (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint,
               EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE coalesce(status, 'streaming') = 'streaming'),
               pg_is_wal_replay_paused()
        """

    /// The standby's status, or nil when `connection` is to a primary. A primary costs no round
    /// trip: the server reports `in_hot_standby` itself (PostgreSQL 14 and later); on an older
    /// server one query asks `pg_is_in_recovery()`. On a standby: one query (two when the role
    /// may not read `ledger.head`).
    public static func read(_ connection: PostgresConnection) async throws -> StandbyStatus? {
        if await connection.isHotStandby == false { return nil }
        let withHead = recoverySQL + ", (SELECT last_position FROM ledger.head), (SELECT encode(last_hash, 'hex') FROM ledger.head)"
        func decode(_ row: PostgresRow, head: Bool) throws -> StandbyStatus? {
            guard try row.bool(0) else { return nil }
            return StandbyStatus(
                headPosition: head ? try row.optionalInt64(7) : nil, headHash: head ? try row.optionalString(8) : nil,
                receiveLSN: try row.optionalString(1), replayLSN: try row.optionalString(2), bytesNotReplayed: try row.int64(3),
                lastReplayedCommitAgeMilliseconds: try row.optionalInt64(4), receiving: try row.bool(5), replayPaused: try row.bool(6)
            )
        }
        do {
            return try await connection.queryOne(withHead) { try decode($0, head: true) }
        } catch let error as PostgresError where error.code == .insufficientPrivilege || error.code == .undefinedTable {
            return try await connection.queryOne(recoverySQL) { try decode($0, head: false) }
        }
    }

    /// Waits until the standby has replayed the log up to `position` (polling `ledger.head` every
    /// 100 ms), at most `timeout` seconds; returns the last status seen (replayed or not).
    public static func waitForPosition(
        _ position: Int64, on connection: PostgresConnection, timeout: TimeInterval
    ) async throws -> StandbyStatus? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let status = try await read(connection)
            guard let status, let head = status.headPosition, head < position else { return status }
            if Date() >= deadline { return status }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}
