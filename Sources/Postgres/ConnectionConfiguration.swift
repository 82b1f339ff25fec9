import Foundation

/// Where and as whom to connect, the PostgreSQL way: `DATABASE_URL` if set, otherwise libpq's own
/// variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`, …), which libpq reads itself.
public struct ConnectionConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// A libpq connection string or URI (`postgres://…`); nil or empty means "from the PG* variables".
    public var connectionString: String?
    /// Overrides the user named by the connection string or `PGUSER` (e.g. `ledger --user alice`).
    public var user: String?
    /// Overrides the database named by the connection string or `PGDATABASE`.
    public var database: String?
    /// Overrides the host (or socket directory) named by the connection string or `PGHOST` (`ledger -h`).
    public var host: String?
    /// Overrides the port named by the connection string or `PGPORT` (`ledger -p`).
    public var port: Int?
    /// Shown in `pg_stat_activity`.
    public var applicationName: String
    /// A password given by the person (`ledger serve`'s sign-in); overrides `PGPASSWORD` and the
    /// password file. Never printed: `description` leaves it out.
    public var password: String?
    /// libpq's `connect_timeout` in seconds; nil waits as libpq does by default (forever).
    public var connectTimeoutSeconds: Int?

    public init(connectionString: String? = nil, user: String? = nil, database: String? = nil, applicationName: String = "ledger") {
        self.connectionString = connectionString
        self.user = user
        self.database = database
        self.applicationName = applicationName
    }

    /// `DATABASE_URL` when set and non-empty; libpq fills in the rest from the PG* variables.
    public static func fromEnvironment(
        user: String? = nil, database: String? = nil, applicationName: String = "ledger",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ConnectionConfiguration {
        let url = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        return ConnectionConfiguration(connectionString: url, user: user, database: database, applicationName: applicationName)
    }

    /// True when something names a server: `DATABASE_URL`, `PGHOST`, `PGHOSTADDR` or `PGSERVICE`.
    public static func isConfigured(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        ["DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGSERVICE"].contains { !(environment[$0] ?? "").isEmpty }
    }

    /// Keyword/value pairs for `PQconnectdbParams` with `expand_dbname = 1`: the connection string
    /// goes in `dbname`, so a URI or a key=value string both work, and later keys override it.
    var keywordValuePairs: [(String, String)] {
        var pairs: [(String, String)] = []
        if let connectionString, !connectionString.isEmpty { pairs.append(("dbname", connectionString)) }
        if let database { pairs.append(("dbname", database)) }
        if let host { pairs.append(("host", host)) }
        if let port { pairs.append(("port", String(port))) }
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let connectTimeoutSeconds { pairs.append(("connect_timeout", String(connectTimeoutSeconds))) }
        pairs.append(("fallback_application_name", applicationName))
        return pairs
    }

    /// Where and as whom, never the password (nor the connection string, which may hold one).
    public var description: String {
        "ConnectionConfiguration(host: \(host ?? "default"), port: \(port.map(String.init) ?? "default"), user: \(user ?? "default"), database: \(database ?? "default"), password: \(password == nil ? "none" : "given"))"
    }
}
