import ArgumentParser
import Foundation
import Postgres

/// Where to connect and as whom, with psql's names (`-h`, `-p`, `-U`, `-d`); shared by every
/// command. Given before the subcommand they are moved after it (`LeadingOptions`). An option given
/// here overrides the same setting in `--database-url`, `DATABASE_URL` or the PG* variables.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "A PostgreSQL URL or connection string (default: DATABASE_URL, then PG* variables).")
    var databaseURL: String?

    @Option(name: [.customShort("h"), .customLong("host")], help: "The server's host name or socket directory (default: PGHOST or the URL's host).")
    var host: String?

    @Option(name: [.customShort("p"), .customLong("port")], help: "The server's port (default: PGPORT, the URL's port or 5432).")
    var port: Int?

    @Option(name: [.customShort("U"), .customLong("username"), .customLong("user")],
            help: "Connect as this database role (default: PGUSER or the URL's user).")
    var user: String?

    @Option(name: [.customShort("d"), .customLong("dbname")], help: "The database to connect to (default: PGDATABASE or the URL's database).")
    var database: String?

    /// `--locale`: on every command that connects (`LocaleOptions`).
    @OptionGroup var language: LocaleOptions

    func validate() throws {
        if let port, !(1...65535).contains(port) {
            throw ValidationError("--port: \(port) is not a port number (1 to 65535)")
        }
    }

    var configuration: ConnectionConfiguration {
        var configuration = ConnectionConfiguration.fromEnvironment(user: user, database: database)
        if let databaseURL { configuration.connectionString = databaseURL }
        configuration.host = host
        configuration.port = port
        return configuration
    }

    /// Connects; on a terminal, asks for the password when the server wants one and none was given.
    /// On a hot standby, says once on stderr how far behind it is (`StandbyReading`).
    func connect() async throws -> PostgresConnection {
        let connection: PostgresConnection
        if isatty(STDIN_FILENO) == 1 {
            connection = try await PostgresConnection.connect(configuration, passwordPrompt: { user in
                PasswordPrompt.read(prompt: "Password for user \(user): ")
            })
        } else {
            connection = try await PostgresConnection.connect(configuration)
        }
        _ = try? await StandbyReading.notice(connection)
        return connection
    }
}

/// Reads a line from the terminal without echoing it, as psql does (`/dev/tty`, else stdin/stderr).
enum PasswordPrompt {
    static func read(prompt: String) -> String? {
        let tty = open("/dev/tty", O_RDWR)
        let input = tty >= 0 ? tty : STDIN_FILENO
        let output = tty >= 0 ? tty : STDERR_FILENO
        defer { if tty >= 0 { close(tty) } }
        // Echo goes off before the prompt shows: what is typed after seeing it is never echoed,
        // and never discarded by the flush (which only drops what was typed before the prompt).
        var saved = termios()
        let canHideEcho = tcgetattr(input, &saved) == 0
        if canHideEcho {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(input, TCSAFLUSH, &silent)
        }
        _ = prompt.withCString { write(output, $0, strlen($0)) }
        defer {
            if canHideEcho { tcsetattr(input, TCSAFLUSH, &saved) }
            _ = write(output, "\n", 1)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Foundation.read(input, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
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
