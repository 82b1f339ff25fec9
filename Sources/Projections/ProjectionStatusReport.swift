import Foundation
import Postgres

/// One projection's status as `ledger projections status --format json` prints it and `GET
/// /api/v1/projections` answers it.
public struct ProjectionStatusReport: Encodable, Sendable {
    public let projection: String
    public let position: Int64
    public let headPosition: Int64
    public let lagEvents: Int64
    public let lagSeconds: Double
    public let generation: Int64
    public let runnerPID: Int32?
    public let runnerRole: String?
    public let runnerSince: String?
    public let updatedAt: String
    public let stalledAt: Int64?
    public let stalledReason: String?

    public init(_ status: ProjectionStatus) {
        projection = status.projection
        position = status.position
        headPosition = status.headPosition
        lagEvents = status.lagEvents
        lagSeconds = Double(status.lagMicroseconds / 1_000) / 1_000
        generation = status.generation
        runnerPID = status.runnerPID
        runnerRole = status.runnerRole
        runnerSince = status.runnerSinceMicroseconds.map { VietnamTime.rfc3339(microsecondsSinceEpoch: $0) }
        updatedAt = VietnamTime.rfc3339(microsecondsSinceEpoch: status.updatedAtMicroseconds)
        stalledAt = status.stalledAt
        stalledReason = status.stalledReason
    }

    enum CodingKeys: String, CodingKey {
        case projection, position, headPosition = "head_position", lagEvents = "lag_events", lagSeconds = "lag_seconds"
        case generation, runnerPID = "runner_pid", runnerRole = "runner_role", runnerSince = "runner_since", updatedAt = "updated_at"
        case stalledAt = "stalled_at", stalledReason = "stalled_reason"
    }
}
