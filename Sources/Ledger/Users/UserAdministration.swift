import Postgres

/// The people who log in to the ledger: adding them, granting and revoking their groups,
/// resetting passwords. Each goes through a SECURITY DEFINER function of sql/0011_ownership.sql
/// (admins are not owners and have no CREATEROLE), which also appends UserAdded,
/// UserRoleGranted, UserRoleRevoked, UserPasswordReset, UserDisabled or UserEnabled on stream
/// `user-NAME` in the same transaction, with the admin who did it as the actor (sql/0011, 0015).
/// Passwords never reach the log.
public struct UserAdministration: Sendable {
    /// The four groups a person can be in (`ledger_` + raw value).
    public enum Group: String, Sendable, CaseIterable {
        case officer, approver, auditor, admin

        public var roleName: String { "ledger_" + rawValue }
    }

    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Creates a login role for a person in `group`; returns the group role (e.g. `ledger_officer`).
    @discardableResult
    public func add(_ name: String, group: Group, password: String?) async throws -> String {
        try await connection.queryOne("SELECT ledger.add_user($1, $2, $3)", [name, group.rawValue, password]) { try $0.string(0) }
    }

    /// Adds a person to one more group (never the admin's own roles); returns the group role.
    @discardableResult
    public func grant(_ name: String, group: Group) async throws -> String {
        try await connection.queryOne("SELECT ledger.grant_user_role($1, $2)", [name, group.rawValue]) { try $0.string(0) }
    }

    /// Removes a person from a group (never the admin's own roles); returns the group role.
    @discardableResult
    public func revoke(_ name: String, group: Group) async throws -> String {
        try await connection.queryOne("SELECT ledger.revoke_user_role($1, $2)", [name, group.rawValue]) { try $0.string(0) }
    }

    /// Sets a person's password.
    public func resetPassword(_ name: String, password: String) async throws {
        try await connection.execute("SELECT ledger.reset_user_password($1, $2)", [name, password])
    }

    /// Stops a person logging in (NOLOGIN); their history stays. Never yourself, never the last admin.
    public func disable(_ name: String) async throws {
        try await connection.execute("SELECT ledger.disable_user($1)", [name])
    }

    /// Lets a disabled person log in again.
    public func enable(_ name: String) async throws {
        try await connection.execute("SELECT ledger.enable_user($1)", [name])
    }

    /// Puts a person in exactly `group` (revoking the others, in one transaction); returns the group role.
    @discardableResult
    public func changeRole(_ name: String, to group: Group) async throws -> String {
        try await connection.queryOne("SELECT ledger.change_user_role($1, $2)", [name, group.rawValue]) { try $0.string(0) }
    }
}
