import ArgumentParser
import Foundation
import Postgres

/// `ledger user add NAME --role officer|approver|auditor|admin` (admins only).
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the people who log in to the ledger.",
        subcommands: [Add.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a login role for a person (run as an admin).",
            discussion: "The person then acts as themselves with --user NAME (or PGUSER=NAME); every event they record names them."
        )

        enum Role: String, ExpressibleByArgument, CaseIterable {
            case officer, approver, auditor, admin
        }

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "Login name: lowercase letters, digits and _.") var name: String
        @Option(help: "officer, approver, auditor or admin.") var role: Role
        @Flag(help: "Read a password from the first line of standard input (otherwise the role has none).")
        var passwordStdin = false

        func run() async throws {
            try await reportingErrors {
                var password: String?
                if passwordStdin {
                    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                        throw CommandError("--password-stdin: no password on standard input")
                    }
                    password = line
                }
                let database = try await connection.connect()
                let group = try await database.queryOne("SELECT ledger.add_user($1, $2, $3)", [name, role.rawValue, password]) {
                    try $0.string(0)
                }
                switch output.format {
                case .json: Output.data(try Output.json(["user": name, "group": group]))
                case .table: Output.data(Output.keyValues([("user", name), ("group", group)]))
                }
                Output.message("created login role \(name) in \(group)")
            }
        }
    }
}
