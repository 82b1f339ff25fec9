import Postgres

/// A person of the demo city's department, acting as their own database role (four eyes is
/// checked on these identities by the database).
public struct DemoPerson: Sendable, Hashable, Codable {
    /// The group a person belongs to (`ledger.add_user`'s role argument).
    public enum Group: String, Sendable, Codable {
        case officer, approver, admin
    }

    /// The login role, e.g. `demo_officer_lan`.
    public let role: String
    public let group: Group
    /// Who they are, for the report.
    public let title: String

    public init(role: String, group: Group, title: String) {
        self.role = role
        self.group = group
        self.title = title
    }
}

/// The demo's people: an admin who loads programmes and budgets, two finance officers (one for
/// the urban districts, one for the rural ones) and two approvers.
public enum DemoPeople {
    public static let admin = DemoPerson(role: "demo_admin", group: .admin, title: "Phòng Kế hoạch – Tài chính (planning and finance, admin)")
    public static let officerLan = DemoPerson(role: "demo_officer_lan", group: .officer, title: "Nguyễn Thị Lan, finance officer (urban districts)")
    public static let officerHung = DemoPerson(role: "demo_officer_hung", group: .officer, title: "Trần Văn Hùng, finance officer (rural districts)")
    public static let approverMinh = DemoPerson(role: "demo_approver_minh", group: .approver, title: "Lê Quang Minh, deputy director (approver)")
    public static let approverThu = DemoPerson(role: "demo_approver_thu", group: .approver, title: "Phạm Thị Thu, head of social protection (approver)")

    public static let all = [admin, officerLan, officerHung, approverMinh, approverThu]
    public static let approvers = [approverMinh, approverThu]

    /// The officer who records a district's work.
    public static func officer(for district: UnitCode) -> DemoPerson {
        district.isRural ? officerHung : officerLan
    }

    /// Creates the login roles that are missing with `ledger.add_user` (the connection must be an
    /// admin's or a superuser's) and checks that existing ones belong to the right group.
    /// Returns the roles it created.
    public static func ensure(on connection: PostgresConnection) async throws -> [String] {
        let migrated = try await connection.queryOne(
            "SELECT to_regprocedure('ledger.add_user(text,text,text)') IS NOT NULL"
        ) { try $0.bool(0) }
        guard migrated else {
            throw DomainError(.permissionDenied, "the database has no ledger schema yet (or it is out of date): run `ledger migrate` first")
        }
        var created: [String] = []
        for person in all {
            if try await !exists(person.role, on: connection) {
                do {
                    _ = try await connection.queryOne("SELECT ledger.add_user($1, $2)", [person.role, person.group.rawValue]) { try $0.string(0) }
                    created.append(person.role)
                } catch let error as PostgresError where ["LB011", "42710", "23505"].contains(error.code.rawValue) {
                    // Another seed (or test) created the same role a moment ago: as good as ours.
                } catch let error as PostgresError where error.code == .insufficientPrivilege {
                    throw DomainError(
                        .permissionDenied,
                        "creating the demo people (\(person.role), …) needs an admin: connect as a member of ledger_admin or a superuser (\(error.message))"
                    )
                }
            }
            let member = try await connection.queryOne(
                "SELECT pg_has_role($1, $2, 'MEMBER')", [person.role, "ledger_" + person.group.rawValue]
            ) { try $0.bool(0) }
            guard member else {
                throw DomainError(
                    .permissionDenied,
                    "role \(person.role) exists but is not a member of ledger_\(person.group.rawValue); the demo needs it to be (GRANT ledger_\(person.group.rawValue) TO \(person.role))"
                )
            }
        }
        return created
    }

    static func exists(_ role: String, on connection: PostgresConnection) async throws -> Bool {
        try await connection.queryOne("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)", [role]) { try $0.bool(0) }
    }
}
