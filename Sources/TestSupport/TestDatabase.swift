import CLibPQ
import Foundation
import Migrations
import Postgres

/// Databases for tests: each test gets a fresh, fully migrated database cloned from a template
/// migrated once per test process, on the test server: the private cluster `scripts/with-postgres`
/// started (`make test`), or the server the user opted in with `LEDGER_TEST_DATABASE_URL`, never
/// whatever `DATABASE_URL`/`PGHOST` name (that may be someone's real ledger). Without a server,
/// tests are skipped locally and fail under `CI=true`. Everything the run creates on the server
/// (databases, login roles) is dropped when the test process exits (`TestCleanup`).
public enum TestDatabase {
    /// What a careful superuser does after rewriting events behind the triggers: builds the Merkle
    /// tree (0019) of the rewritten log again, so that it agrees with the events. Run it with
    /// `session_replication_role = replica` (the tree's triggers refuse the DELETE otherwise).
    public static let rebuildMerkleTreeSQL = """
        DELETE FROM ledger.merkle_nodes;
        INSERT INTO ledger.merkle_nodes SELECT 0, e.position - 1, ledger.event_leaf_hash(e) FROM ledger.events e;
        SELECT ledger.merkle_add_parents(0, (SELECT count(*) FROM ledger.events) - 1);
        """

    /// The environment that names the test server, or nil when there is none:
    /// `LEDGER_TEST_DATABASE_URL` (the user's explicit opt-in) becomes `DATABASE_URL`; otherwise
    /// the PG* variables count only when `scripts/with-postgres` set them for its private cluster.
    public static let serverEnvironment: [String: String]? = serverEnvironment(ProcessInfo.processInfo.environment)

    static func serverEnvironment(_ environment: [String: String]) -> [String: String]? {
        if let url = environment["LEDGER_TEST_DATABASE_URL"], !url.isEmpty {
            var environment = environment
            environment["DATABASE_URL"] = url
            return environment
        }
        if environment["LEDGER_PRIVATE_CLUSTER"] == "1", ConnectionConfiguration.isConfigured(environment: environment) {
            return environment
        }
        return nil
    }

    /// Whether database tests should run: a test server is there, or we are in CI (where a
    /// missing server must fail, never skip).
    public static let enabled = serverEnvironment != nil || ProcessInfo.processInfo.environment["CI"] == "true"

    /// In every database and role name this process creates: `LEDGER_TEST_RUN_TAG` (set by
    /// `scripts/with-postgres`, which sweeps names carrying it after the run) plus a random part.
    public static let runID: String = {
        let random = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8)).lowercased()
        let tag = ProcessInfo.processInfo.environment["LEDGER_TEST_RUN_TAG"] ?? ""
        let valid = !tag.isEmpty && tag.count <= 16 && tag.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        return valid ? tag + "x" + random.prefix(4) : random
    }()

    /// A unique name for something a test creates on the server (e.g. a login role added with
    /// `ledger user add`): carries `runID`, so the end-of-run cleanup drops it. Roles are
    /// cluster-wide and a run makes dozens with one prefix: ten hex digits, because with four
    /// (65,536 values) 100 names collide with a chance of 7% (a flaky "already exists"). The
    /// longest prefix (20 bytes) and run id (21) leave the name well under 63 bytes.
    public static func uniqueName(_ prefix: String) -> String {
        prefix + "_" + runID + "_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10)).lowercased()
    }

    /// Connection settings for the test server as its superuser (or `user`), in its default database.
    static func serverConfiguration(user: String? = nil, applicationName: String) -> ConnectionConfiguration {
        ConnectionConfiguration.fromEnvironment(user: user, applicationName: applicationName, environment: serverEnvironment ?? [:])
    }

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
        guard serverEnvironment != nil else {
            throw PostgresError(
                code: .connectionFailure,
                message: "no PostgreSQL for the tests: run `make test` (it starts a private server), or set LEDGER_TEST_DATABASE_URL "
                    + "to a server where the tests may create and drop databases and roles (DATABASE_URL and PGHOST are never used)"
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
        var configuration = TestDatabase.serverConfiguration(user: user, applicationName: "ledger-tests")
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
        var environment = TestDatabase.serverEnvironment ?? ProcessInfo.processInfo.environment
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
    private let runID = TestDatabase.runID
    private var counter = 0

    private var adminTask: Task<PostgresConnection, Error>?

    private func adminConnection() async throws -> PostgresConnection {
        if let adminTask { return try await adminTask.value }
        try TestDatabase.requireConfigured()
        let task = Task {
            let connection = try await PostgresConnection.connect(TestDatabase.serverConfiguration(applicationName: "ledger-tests-admin"))
            // Before this process creates anything: the roles that were there, which the cleanup keeps.
            let roles = try await connection.query("SELECT rolname FROM pg_catalog.pg_roles") { try $0.string(0) }
            TestCleanup.register(runID: TestDatabase.runID, existingRoles: Set(roles))
            return connection
        }
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
        var configuration = TestDatabase.serverConfiguration(applicationName: "ledger-tests-migrate")
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

/// Drops what this test process created on the test server when the process exits (also after
/// failed tests): the databases whose names carry the run's id, the login roles that carry it, and
/// the roles of the ledger's own families (`ledger_*` groups made by the first migration on a new
/// server, `demo_*` people made by the demo seed, and `signin_password_required`, the group whose
/// members the test cluster asks for a password: not `ledger_*`, so `ledger audit schema` never
/// sees it as one of the ledger's roles) that did not exist when the process first
/// connected. Runs from `atexit` over a fresh, synchronous libpq connection. A test process that
/// crashes skips it; under `make test` with `LEDGER_TEST_DATABASE_URL`, scripts/with-postgres then
/// sweeps the names carrying the run's tag, and the private cluster is deleted anyway.
/// Assumes one test run at a time per server (the run drops the `ledger_*`/`demo_*` roles it created).
public enum TestCleanup {
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var registered = false
        var runID = ""
        var existingRoles: Set<String> = []
    }
    private static let state = State()

    static func register(runID: String, existingRoles: Set<String>) {
        state.lock.lock()
        defer { state.lock.unlock() }
        state.runID = runID
        state.existingRoles = existingRoles
        if !state.registered {
            state.registered = true
            atexit { TestCleanup.runAtExit() }
        }
    }

    static func runAtExit() {
        state.lock.lock()
        let runID = state.runID
        let existing = state.existingRoles
        state.lock.unlock()
        guard !runID.isEmpty else { return }
        let problems = dropCreated(
            configuration: TestDatabase.serverConfiguration(applicationName: "ledger-tests-cleanup"), runID: runID, existingRoles: existing
        )
        for problem in problems { FileHandle.standardError.write(Data("ledger tests: cleanup: \(problem)\n".utf8)) }
    }

    /// Drops the run's databases, then its roles; returns what could not be dropped (empty when all went).
    /// `roleFamilies` are LIKE patterns of roles dropped when they are not in `existingRoles`.
    public static func dropCreated(
        configuration: ConnectionConfiguration, runID: String, existingRoles: Set<String>,
        roleFamilies: [String] = ["ledger\\_%", "demo\\_%", "signin\\_password\\_required"]
    ) -> [String] {
        var pairs: [(String, String)] = []
        if let url = configuration.connectionString, !url.isEmpty { pairs.append(("dbname", url)) }
        if let database = configuration.database { pairs.append(("dbname", database)) }
        if let user = configuration.user { pairs.append(("user", user)) }
        pairs.append(("fallback_application_name", configuration.applicationName))
        let keywords = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keywordPointers: [UnsafePointer<CChar>?] = keywords.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        let connection = keywordPointers.withUnsafeMutableBufferPointer { keys in
            valuePointers.withUnsafeMutableBufferPointer { vals in PQconnectdbParams(keys.baseAddress, vals.baseAddress, 1) }
        }
        guard let connection else { return ["could not allocate a libpq connection"] }
        defer { PQfinish(connection) }
        guard PQstatus(connection) == CONNECTION_OK else {
            return ["cannot connect: " + String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)]
        }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)

        var problems: [String] = []
        /// Runs `sql` with text parameters; the first column of every row, or nil on error.
        func run(_ sql: String, _ parameters: [String] = []) -> [String]? {
            let copies = parameters.map { strdup($0) }
            defer { copies.forEach { free($0) } }
            var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
            let result = pointers.withUnsafeMutableBufferPointer { values in
                PQexecParams(connection, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
            }
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
                problems.append(String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines))
                return nil
            }
            return (0..<PQntuples(result)).map { String(cString: PQgetvalue(result, $0, 0)) }
        }
        // Statements are built by the server (format %I), one per database and role.
        let dropDatabases = run(
            "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', datname) FROM pg_catalog.pg_database "
                + "WHERE strpos(datname, $1) > 0 ORDER BY datname", [runID]
        ) ?? []
        for statement in dropDatabases { _ = run(statement) }
        // Login roles first (members), then the groups they belong to.
        let dropRoles = run(
            "SELECT format('DROP ROLE IF EXISTS %I', rolname) FROM pg_catalog.pg_roles "
                + "WHERE strpos(rolname, $1) > 0 OR (rolname LIKE ANY (string_to_array($3, chr(10))) "
                + "AND NOT rolname = ANY (string_to_array($2, chr(10)))) ORDER BY rolcanlogin DESC, rolname",
            [runID, existingRoles.sorted().joined(separator: "\n"), roleFamilies.joined(separator: "\n")]
        ) ?? []
        for statement in dropRoles { _ = run(statement) }
        return problems
    }
}
