import Postgres

/// Advice about the read models, worded for who reads it: projections and migrations are an
/// admin's (a member of ledger_admin, the read models' owner), so an admin is told the command to
/// run and anyone else to ask an administrator — never told to do what they may not.
public enum ReadModelAdvice {
    /// A SQL expression: whether the session's login role is an admin.
    static let readerIsAdminSQL = "pg_has_role(session_user, '\(ProjectionStore.ownerRole)', 'MEMBER')"

    /// Whether the connection's login role is an admin (false when that cannot be read).
    public static func readerIsAdmin(_ connection: PostgresConnection) async -> Bool {
        (try? await connection.queryOne("SELECT " + readerIsAdminSQL) { try $0.bool(0) }) ?? false
    }

    static func readerIsAdmin(_ connection: isolated PostgresConnection) -> Bool {
        (try? connection.queryOne("SELECT " + readerIsAdminSQL) { try $0.bool(0) }) ?? false
    }

    /// "run `ledger migrate`" for an admin; "ask an administrator to run `ledger migrate`" for anyone else.
    public static func run(_ commands: String, readerIsAdmin: Bool) -> String {
        readerIsAdmin ? "run \(commands)" : "ask an administrator to run \(commands)"
    }
}
