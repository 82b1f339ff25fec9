import ArgumentParser
import Foundation
import Ledger

extension User {
    /// `ledger user disable NAME`.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a person logging in (run as an admin; not yourself, not the last admin).",
            discussion: "The login role becomes NOLOGIN; what they recorded stays theirs. Recorded as UserDisabled on stream user-NAME."
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The person's login name.") var name: String

        func run() async throws {
            try await reportingErrors {
                try await UserAdministration(connection: try await connection.connect()).disable(name)
                try User.show([("user", name), ("may log in", "no")], format: output.format)
                Output.message("\(name) is disabled and can no longer log in (`ledger user enable \(name)` lets them in again)")
            }
        }
    }

    /// `ledger user enable NAME`.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let a disabled person log in again (run as an admin).",
            discussion: "Recorded as UserEnabled on stream user-NAME."
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The person's login name.") var name: String

        func run() async throws {
            try await reportingErrors {
                try await UserAdministration(connection: try await connection.connect()).enable(name)
                try User.show([("user", name), ("may log in", "yes")], format: output.format)
                Output.message("\(name) may log in again")
            }
        }
    }

    /// `ledger user role NAME --role ROLE`.
    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "role",
            abstract: "Change a person's role: they end up in exactly this group (run as an admin; not your own).",
            discussion: """
                Revokes their other groups and grants this one in one transaction, each recorded (UserRoleRevoked, \
                UserRoleGranted on stream user-NAME). The last admin who can log in keeps the admin role.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The person's login name.") var name: String
        @Option(help: "officer, approver, auditor or admin.") var role: Role

        func run() async throws {
            try await reportingErrors {
                let group = try await UserAdministration(connection: try await connection.connect()).changeRole(name, to: role.group)
                try User.show([("user", name), ("role", group)], format: output.format)
                Output.message("\(name) is now only in \(group)")
            }
        }
    }
}
