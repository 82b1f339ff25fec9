import Foundation
import Migrations
import Postgres

/// Databases for tests: each test gets a fresh, fully migrated database cloned from a template
/// migrated once per test process, on the server named by the environment (`make test` starts
/// a private one). Without a server, tests are skipped locally and fail under `CI=true`.
public enum TestDatabase {
    /// Whether database tests should run: a server is configured, or we are in CI (where a
    /// missing server must fail, never skip).
    public static let enabled = ConnectionConfiguration.isConfigured() || ProcessInfo.processInfo.environment["CI"] == "true"

    /// A new migrated database; dropped (with its connections) when `body` ends.
    public static func withFresh<T: Sendable>(_ body: (FreshDatabase) async throws -> T) async throws -> T {
        let database = try await TemplateRegistry.shared.createDatabase()
        do {
            let value = try await body(database)
            try await TemplateRegistry.shared.drop(database.name)
            return value
        } catch {
            try? await TemplateRegistry.shared.drop(database.name)
            throw error
        }
    }

    /// A login role for tests, member of `groupRole` (e.g. `ledger_writer`); created once per process.
    public static func loginRole(memberOf groupRole: String?) async throws -> String {
        try await TemplateRegistry.shared.loginRole(memberOf: groupRole.map { [$0] } ?? [], label: "")
    }

    /// A login role for tests named by `label` (several people of one group), member of every group in `groups`.
    public static func loginRole(_ label: String, memberOf groups: [String]) async throws -> String {
        try await TemplateRegistry.shared.loginRole(memberOf: groups, label: label)
    }

    static func requireConfigured() throws {
        guard ConnectionConfiguration.isConfigured() else {
            throw PostgresError(
                code: .connectionFailure,
                message: "no PostgreSQL configured for the tests: run `make test` (it starts a private server), or set DATABASE_URL / PGHOST"
            )
        }
    }
}

/// One test database.
public struct FreshDatabase: Sendable {
    public let name: String

    /// A database of the test server by name (tests normally get theirs from `TestDatabase.withFresh`).
    public init(name: String) { self.name = name }

    /// Connection settings for this database, as the test superuser or as `user`.
    public func configuration(user: String? = nil) -> ConnectionConfiguration {
        var configuration = ConnectionConfiguration.fromEnvironment(user: user, applicationName: "ledger-tests")
        configuration.database = name
        return configuration
    }

    public func connect(user: String? = nil) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration(user: user))
    }

    /// Environment variables that point a child process (e.g. the `ledger` binary) at this database.
    /// A `DATABASE_URL` names its own database and user, which win over `PGDATABASE`/`PGUSER`
    /// in libpq, so the overrides are written into the URL itself.
    public func environment(user: String? = nil) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            environment["DATABASE_URL"] = Self.overriding(url, database: name, user: user)
        }
        environment["PGDATABASE"] = name
        if let user { environment["PGUSER"] = user }
        return environment
    }

    /// Adds `dbname`/`user` to a URI (`?dbname=…&user=…`) or a key=value string; later keys win.
    static func overriding(_ connection: String, database: String, user: String?) -> String {
        var pairs = [("dbname", database)]
        if let user { pairs.append(("user", user)) }
        if connection.hasPrefix("postgres://") || connection.hasPrefix("postgresql://") {
            let query = pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            return connection + (connection.contains("?") ? "&" : "?") + query
        }
        return connection + pairs.map { " \($0.0)='\($0.1)'" }.joined()
    }
}

/// Serialises template creation and cloning (CREATE DATABASE … TEMPLATE needs an idle template).
actor TemplateRegistry {
    static let shared = TemplateRegistry()

    /// One creation task, awaited by every caller: the actor is re-entered across awaits.
    private var templateTask: Task<String, Error>?
    private var roles: [String: Task<String, Error>] = [:]
    private let runID = String(UUID().uuidString.prefix(8)).lowercased()
    private var counter = 0

    private var adminTask: Task<PostgresConnection, Error>?

    private func adminConnection() async throws -> PostgresConnection {
        if let adminTask { return try await adminTask.value }
        try TestDatabase.requireConfigured()
        let task = Task { try await PostgresConnection.connect(.fromEnvironment(applicationName: "ledger-tests-admin")) }
        adminTask = task
        return try await task.value
    }

    private func template() async throws -> String {
        if let templateTask { return try await templateTask.value }
        let task = Task { try await self.makeTemplate() }
        templateTask = task
        return try await task.value
    }

    private func makeTemplate() async throws -> String {
        let admin = try await adminConnection()
        let name = "ledger_test_template_\(runID)"
        try await admin.simpleQuery("CREATE DATABASE \(name)")
        var configuration = ConnectionConfiguration.fromEnvironment(applicationName: "ledger-tests-migrate")
        configuration.database = name
        let connection = try await PostgresConnection.connect(configuration)
        try await Migrator(connection: connection).migrate()
        await connection.close()
        return name
    }

    func createDatabase() async throws -> FreshDatabase {
        let template = try await template()
        counter += 1
        let name = "ledger_test_\(runID)_\(counter)"
        try await adminConnection().simpleQuery("CREATE DATABASE \(name) TEMPLATE \(template)")
        return FreshDatabase(name: name)
    }

    func drop(_ name: String) async throws {
        try await adminConnection().simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    func loginRole(memberOf groups: [String], label: String) async throws -> String {
        let base = groups.first.map { $0.replacingOccurrences(of: "ledger_", with: "") } ?? "none"
        let key = base + (label.isEmpty ? "" : "_" + label) + (groups.count > 1 ? "_multi" : "")
        if let existing = roles[key] { return try await existing.value }
        let task = Task { try await self.createLoginRole(key: key, memberOf: groups) }
        roles[key] = task
        return try await task.value
    }

    private func createLoginRole(key: String, memberOf groups: [String]) async throws -> String {
        _ = try await template()  // the group roles exist once a database is migrated
        let name = "test_\(key)_\(runID)"
        let membership = groups.isEmpty ? "" : " IN ROLE " + groups.joined(separator: ", ")
        try await adminConnection().simpleQuery("CREATE ROLE \(name) LOGIN\(membership)")
        return name
    }
}
