import ArgumentParser
import Foundation
import Ledger
import Postgres

/// `ledger user add|grant|revoke|password` (admins only). Each change is recorded in the log
/// (stream `user-NAME`) with the admin as the actor.
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the people who log in to the ledger (run as an admin; each change is recorded in the log).",
        subcommands: [Add.self, Grant.self, Revoke.self, Password.self, Disable.self, Enable.self, SetRole.self, List.self]
    )

    enum Role: String, ExpressibleByArgument, CaseIterable {
        case officer, approver, auditor, admin

        var group: UserAdministration.Group { UserAdministration.Group(rawValue: rawValue)! }
    }

    /// The first line of standard input, for `--password-stdin`.
    static func passwordFromStandardInput() throws -> String {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CommandError("--password-stdin: no password on standard input")
        }
        return line
    }

    static func show(_ pairs: [(String, String)], format: OutputFormat) throws {
        switch format {
        case .json: Output.data(try Output.json(Dictionary(uniqueKeysWithValues: pairs)))
        case .table: Output.data(Output.keyValues(pairs))
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a login role for a person (run as an admin).",
            discussion: """
                The person then acts as themselves with --user NAME (or PGUSER=NAME); every event they record names them. \
                The role gets the people's session limits (lock_timeout, idle_in_transaction_session_timeout). \
                Recorded as UserAdded on stream user-NAME.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "Login name: lowercase letters, digits and _.") var name: String
        @Option(help: "officer, approver, auditor or admin.") var role: Role
        @Flag(help: "Read a password from the first line of standard input (otherwise the role has none).")
        var passwordStdin = false

        func run() async throws {
            try await reportingErrors {
                let password = passwordStdin ? try User.passwordFromStandardInput() : nil
                let users = UserAdministration(connection: try await connection.connect())
                let group = try await users.add(name, group: role.group, password: password)
                try User.show([("user", name), ("group", group)], format: output.format)
                Output.message("created login role \(name) in \(group)")
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a person to one more group (run as an admin; not your own roles).",
            discussion: "Recorded as UserRoleGranted on stream user-NAME."
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The person's login name.") var name: String
        @Option(help: "officer, approver, auditor or admin.") var role: Role

        func run() async throws {
            try await reportingErrors {
                let group = try await UserAdministration(connection: try await connection.connect()).grant(name, group: role.group)
                try User.show([("user", name), ("granted", group)], format: output.format)
                Output.message("\(name) is now in \(group)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a person from a group (run as an admin; not your own roles).",
            discussion: "Recorded as UserRoleRevoked on stream user-NAME."
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The person's login name.") var name: String
        @Option(help: "officer, approver, auditor or admin.") var role: Role

        func run() async throws {
            try await reportingErrors {
                let group = try await UserAdministration(connection: try await connection.connect()).revoke(name, group: role.group)
                try User.show([("user", name), ("revoked", group)], format: output.format)
                Output.message("\(name) is no longer in \(group)")
            }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a person's password (run as an admin).",
            discussion: "Recorded as UserPasswordReset on stream user-NAME (the password itself is never recorded)."
        )

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The person's login name.") var name: String
        @Flag(help: "Read the new password from the first line of standard input (required).")
        var passwordStdin = false

        func validate() throws {
            guard passwordStdin else {
                throw ValidationError("--password-stdin: required (a password is never given on the command line)")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let password = try User.passwordFromStandardInput()
                try await UserAdministration(connection: try await connection.connect()).resetPassword(name, password: password)
                Output.message("password of \(name) reset")
            }
        }
    }
}
