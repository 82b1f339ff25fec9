import ArgumentParser
import Ledger

/// psql users put connection options first (`ledger -U hoa -d mydb status`), which ArgumentParser
/// does not accept on a root command with subcommands: the connection options before the first
/// subcommand word (and their values) are moved after the whole subcommand path. Also names an
/// unknown subcommand with the nearest one ("did you mean …").
enum LeadingOptions {
    /// Connection options that take a value (`ConnectionOptions`).
    static let connectionOptions: Set<String> = ["-h", "--host", "-p", "--port", "-U", "--username", "--user", "-d", "--dbname", "--database-url"]
    /// Options ArgumentParser answers itself at the root: left where they are.
    static let rootOptions: Set<String> = ["--help", "-?", "--version", "--generate-completion-script", "--experimental-dump-help"]

    struct Problem: Error, Equatable {
        let message: String
    }

    /// The arguments (without the program name) with leading connection options moved after the
    /// subcommand path; `Problem` for an option before the subcommand that is not a connection
    /// option, a connection option without its value, or an unknown subcommand.
    static func rearrange(_ arguments: [String], root: any ParsableCommand.Type) throws(Problem) -> [String] {
        var moved: [String] = []
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "-", arguments[index] != "--" {
            let argument = arguments[index]
            let name = argument.hasPrefix("--") ? String(argument.prefix { $0 != "=" }) : argument
            if rootOptions.contains(name) || argument.hasPrefix("---") {
                return Array(arguments[index...])
            }
            if connectionOptions.contains(name), name != argument {
                moved.append(argument)  // --user=hoa
                index += 1
            } else if connectionOptions.contains(argument) {
                guard index + 1 < arguments.count else { throw Problem(message: "\(argument): needs a value") }
                moved += [argument, arguments[index + 1]]
                index += 2
            } else if !argument.hasPrefix("--"), argument.count > 2, connectionOptions.contains(String(argument.prefix(2))) {
                moved += [String(argument.prefix(2)), String(argument.dropFirst(2))]  // -Uhoa
                index += 1
            } else {
                throw Problem(message: "unknown option '\(name)' before the subcommand: only the connection options "
                    + "(-h/--host, -p/--port, -U/--username/--user, -d/--dbname, --database-url) may come before it; see 'ledger --help'")
            }
        }
        var command: any ParsableCommand.Type = root
        var end = index
        var path: [String] = []
        while end < arguments.count, !command.configuration.subcommands.isEmpty {
            let word = arguments[end]
            if word.hasPrefix("-") { break }
            if let next = command.configuration.subcommands.first(where: { names($0).contains(word) }) {
                command = next
                path.append(word)
                end += 1
                continue
            }
            if command == root, word == "help" { return Array(arguments[index...]) }
            if command.configuration.defaultSubcommand == nil {
                let all = command.configuration.subcommands.flatMap(names)
                let context = (["ledger"] + path).joined(separator: " ")
                var message = "unknown subcommand '\(word)' for '\(context)'"
                if let guess = Suggestion.closest(to: word, among: all) { message += "; did you mean '\(guess)'?" }
                throw Problem(message: message + " See '\(context) --help'.")
            }
            break
        }
        guard !moved.isEmpty else { return arguments }
        guard end > index else {
            throw Problem(message: "the connection options must be followed by a subcommand, e.g. 'ledger \(moved.joined(separator: " ")) status'")
        }
        return Array(arguments[index..<end]) + moved + Array(arguments[end...])
    }

    /// A subcommand's name and aliases.
    static func names(_ command: any ParsableCommand.Type) -> [String] {
        [command.configuration.commandName ?? command._commandName] + command.configuration.aliases
    }
}
