import Foundation
import TestSupport
import Testing

/// Help that names a date format names both that are read: YYYY-MM-DD and DD/MM/YYYY.
struct DateHelpTests {
    struct Command: Decodable {
        struct Argument: Decodable {
            struct Name: Decodable { let name: String }
            let names: [Name]?
            let abstract: String?
        }
        let commandName: String
        let arguments: [Argument]?
        let subcommands: [Command]?
    }

    struct Tool: Decodable { let command: Command }

    /// Every option of every command, with its help (from the definitions, as the man page reads them).
    static func options() async throws -> [(command: String, option: String, help: String)] {
        let run = try await LedgerBinary.run(["--experimental-dump-help"], environment: [:])
        #expect(run.status == 0, "\(run)")
        let tool = try JSONDecoder().decode(Tool.self, from: Data(run.stdout.utf8))
        var found: [(String, String, String)] = []
        func walk(_ command: Command, path: String) {
            for argument in command.arguments ?? [] {
                found.append((path, argument.names?.first.map { "--" + $0.name } ?? "", argument.abstract ?? ""))
            }
            for sub in command.subcommands ?? [] { walk(sub, path: path + " " + sub.commandName) }
        }
        walk(tool.command, path: "ledger")
        return found
    }

    @Test func everyHelpNamingISODatesAlsoNamesDayMonthYear() async throws {
        let options = try await Self.options()
        #expect(options.count > 200)
        // (`ledger replay --as-of` is a recording time, with its own forms: RecordingTimeTests.)
        for (command, option, help) in options where help.contains("YYYY-MM-DD") && !(command == "ledger replay" && option == "--as-of") {
            #expect(help.contains("DD/MM/YYYY"), "\(command) \(option): \(help)")
        }
        let expected = [
            ("ledger payment list", "--paid-from"), ("ledger payment list", "--paid-to"), ("ledger place list", "--on"),
            ("ledger report budget", "--as-of"), ("ledger report loans", "--as-of"), ("ledger beneficiary amend", "--amended-on"),
        ]
        for (command, option) in expected {
            let help = options.first { $0.command == command && $0.option == option }?.help ?? ""
            #expect(help.contains("YYYY-MM-DD or DD/MM/YYYY"), "\(command) \(option): \(help)")
        }
        // Help wraps as the terminal does: no hard line break inside an option's help.
        for (command, option, help) in options {
            #expect(!help.contains("\n"), "\(command) \(option): \(help)")
        }
    }
}
