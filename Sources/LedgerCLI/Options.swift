import ArgumentParser
import Foundation
import Postgres

/// Where to connect and as whom; shared by every command.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "A PostgreSQL URL or connection string (default: DATABASE_URL, then PG* variables).")
    var databaseURL: String?

    @Option(name: .customLong("user"), help: "Connect as this database role (default: PGUSER or the URL's user).")
    var user: String?

    var configuration: ConnectionConfiguration {
        var configuration = ConnectionConfiguration.fromEnvironment(user: user)
        if let databaseURL { configuration.connectionString = databaseURL }
        return configuration
    }

    func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration)
    }
}

/// `--format table|json`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table
}
