import Ledger
import Postgres

/// Where a projection stands against the log.
public struct ProjectionStatus: Sendable, Codable, Equatable {
    public let projection: String
    /// The last position folded into its tables.
    public let position: Int64
    /// Bumped by each rebuild's swap.
    public let generation: Int64
    public let updatedAtMicroseconds: Int64
    public let headPosition: Int64
    /// Events in the log not yet folded.
    public var lagEvents: Int64 { headPosition - position }
    /// How long ago the oldest event not yet folded was recorded (0 when caught up).
    public let lagMicroseconds: Int64
    /// The server process of the runner holding the lease, if one runs.
    public let runnerPID: Int32?
    /// The login role of that runner.
    public let runnerRole: String?
    /// Since when it holds the lease.
    public let runnerSinceMicroseconds: Int64?
    /// The position of the event this projection could not fold, and why (nil while it runs).
    public let stalledAt: Int64?
    public let stalledReason: String?

    enum CodingKeys: String, CodingKey {
        case projection, position, generation, updatedAtMicroseconds = "updated_at_micros", headPosition = "head_position"
        case lagMicroseconds = "lag_micros", runnerPID = "runner_pid", runnerRole = "runner_role"
        case runnerSinceMicroseconds = "runner_since_micros", stalledAt = "stalled_at", stalledReason = "stalled_reason"
    }

    /// Every projection's status, as any role that may read the read models sees it.
    public static func all(_ connection: PostgresConnection) async throws -> [ProjectionStatus] {
        try await connection.query("""
            SELECT c.projection, c.position, c.generation, c.updated_at, h.last_position,
                   coalesce((SELECT (extract(epoch FROM now() - e.recorded_at) * 1000000)::bigint
                             FROM ledger.events e WHERE e.position = c.position + 1), 0),
                   r.pid, r.role, r.since, c.stalled_at, c.stalled_reason
            FROM ledger_read.checkpoints c CROSS JOIN ledger.head h
            LEFT JOIN \(ProjectionStore.leaseHolders(kind: "'runner'")) r ON r.projection = c.projection
            ORDER BY array_position($1::text[], c.projection), c.projection
            """, [PostgresValue.textArray(ProjectionCatalog.names)]) { row in
            ProjectionStatus(
                projection: try row.string(0), position: try row.int64(1), generation: try row.int64(2),
                updatedAtMicroseconds: try row.timestampMicroseconds(3), headPosition: try row.int64(4),
                lagMicroseconds: max(0, try row.int64(5)), runnerPID: row.isNull(6) ? nil : try row.int32(6),
                runnerRole: row.isNull(7) ? nil : try row.string(7),
                runnerSinceMicroseconds: row.isNull(8) ? nil : try row.timestampMicroseconds(8),
                stalledAt: row.isNull(9) ? nil : try row.int64(9), stalledReason: row.isNull(10) ? nil : try row.string(10)
            )
        }
    }
}

/// Loans as the loan book holds them, with what they owe as of a date.
public enum LoanBook {
    /// What `loanID` owes on `asOf` — accrued interest, overdue principal, days past due, arrears
    /// bucket — from the loan book (`LoanPosition`, the domain's own computation); nil when the
    /// loan book has no such loan.
    public static func position(loanID: String, asOf: LocalDate, _ connection: PostgresConnection) async throws -> LoanPosition? {
        let found = try await connection.query("""
            SELECT b.state::text, t.rate_periods::text FROM ledger_read.loan_book b
            JOIN ledger_read.loan_terms t ON t.program = b.program WHERE b.loan_id = $1
            """, [loanID]) { (try $0.string(0), try $0.string(1)) }
        guard let (stateText, periodsText) = found.first else { return nil }
        let loan = try LoanBookJSON.decode(LoanState.self, stateText)
        let periods = try LoanBookJSON.decode([RatePeriod].self, periodsText)
        return try LoanPosition(loan: loan, ratePeriods: periods, asOf: asOf)
    }
}
