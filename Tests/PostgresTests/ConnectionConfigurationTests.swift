import Postgres
import Testing

/// Reading the connection settings from an environment; no database needed.
@Suite struct ConnectionConfigurationTests {
    @Test func databaseURLBecomesTheConnectionString() {
        let configuration = ConnectionConfiguration.fromEnvironment(
            user: "alice", database: "city", applicationName: "ledger-audit",
            environment: ["DATABASE_URL": "postgres://ledger@db.example/ledger", "PGHOST": "/ignored"]
        )
        #expect(configuration == ConnectionConfiguration(
            connectionString: "postgres://ledger@db.example/ledger", user: "alice", database: "city", applicationName: "ledger-audit"
        ))
    }

    @Test(arguments: [[:], ["DATABASE_URL": ""], ["PGHOST": "/tmp", "PGUSER": "bob"]])
    func withoutADatabaseURLLibpqVariablesDecide(environment: [String: String]) {
        let configuration = ConnectionConfiguration.fromEnvironment(environment: environment)
        #expect(configuration.connectionString == nil)
        #expect(configuration.user == nil)
        #expect(configuration.database == nil)
        #expect(configuration.applicationName == "ledger")
    }

    @Test(arguments: [
        ["DATABASE_URL": "postgres://localhost/ledger"],
        ["PGHOST": "/var/run/postgresql"],
        ["PGHOSTADDR": "127.0.0.1"],
        ["PGSERVICE": "ledger"],
        ["PGHOST": "", "PGSERVICE": "ledger"],
    ])
    func somethingNamingAServerCountsAsConfigured(environment: [String: String]) {
        #expect(ConnectionConfiguration.isConfigured(environment: environment))
    }

    @Test(arguments: [
        [:],
        ["DATABASE_URL": "", "PGHOST": ""],
        ["PGUSER": "postgres", "PGPORT": "5432", "PGDATABASE": "ledger", "PGPASSWORD": "secret"],
    ])
    func userPortOrDatabaseAloneIsNotConfigured(environment: [String: String]) {
        #expect(!ConnectionConfiguration.isConfigured(environment: environment))
    }
}
