/// A command line's subcommands, as the parser defines them: for rearranging and checking the
/// words before the parser sees them (`LeadingArguments`).
public struct CommandTree: Sendable, Equatable {
    /// The name and its aliases.
    public var names: [String]
    public var children: [CommandTree]
    /// A word that is not a subcommand may then be the default subcommand's argument.
    public var hasDefaultSubcommand: Bool

    public init(_ names: [String], children: [CommandTree] = [], hasDefaultSubcommand: Bool = false) {
        self.names = names
        self.children = children
        self.hasDefaultSubcommand = hasDefaultSubcommand
    }
}

/// psql users put connection options first (`ledger -U hoa -d mydb status`), which ArgumentParser
/// does not accept on a root command with subcommands: the options of `valueOptions` (each takes a
/// value) before the first subcommand word are moved, with their values, after the whole
/// subcommand path. An unknown subcommand is named with the nearest one ("did you mean …").
public enum LeadingArguments {
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let message: String
        public init(message: String) { self.message = message }
        public var description: String { message }
    }

    /// The arguments (without the program name) rearranged. Options in `rootOptions` (`--help`,
    /// `--version`, …) and `help` as the first word leave the rest to the parser, the moved
    /// options dropped. `Problem` for another option before the subcommand, a moved option without
    /// its value, no subcommand after moved options, or an unknown subcommand.
    public static func rearrange(
        _ arguments: [String], tree: CommandTree, valueOptions: Set<String>, rootOptions: Set<String>
    ) throws(Problem) -> [String] {
        let program = tree.names.first ?? "ledger"
        var moved: [String] = []
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "-", arguments[index] != "--" {
            let argument = arguments[index]
            let name = argument.hasPrefix("--") ? String(argument.prefix { $0 != "=" }) : argument
            if rootOptions.contains(name) || argument.hasPrefix("---") {
                return Array(arguments[index...])
            }
            if valueOptions.contains(name), name != argument {
                moved.append(argument)  // --user=hoa
                index += 1
            } else if valueOptions.contains(argument) {
                guard index + 1 < arguments.count else { throw Problem(message: "\(argument): needs a value") }
                moved += [argument, arguments[index + 1]]
                index += 2
            } else if !argument.hasPrefix("--"), argument.count > 2, valueOptions.contains(String(argument.prefix(2))) {
                moved += [String(argument.prefix(2)), String(argument.dropFirst(2))]  // -Uhoa
                index += 1
            } else {
                let known = valueOptions.sorted { ($0.hasPrefix("--") ? 1 : 0, $0) < ($1.hasPrefix("--") ? 1 : 0, $1) }
                throw Problem(message: "unknown option '\(name)' before the subcommand: only the connection options ("
                    + known.joined(separator: ", ") + ") may come before it; see '\(program) --help'")
            }
        }
        var command = tree
        var end = index
        var path = [program]
        while end < arguments.count, !command.children.isEmpty {
            let word = arguments[end]
            if word.hasPrefix("-") { break }
            if let next = command.children.first(where: { $0.names.contains(word) }) {
                command = next
                path.append(word)
                end += 1
                continue
            }
            if path.count == 1, word == "help" { return Array(arguments[index...]) }
            if !command.hasDefaultSubcommand {
                let context = path.joined(separator: " ")
                var message = "unknown subcommand '\(word)' for '\(context)'"
                if let guess = Suggestion.closest(to: word, among: command.children.flatMap(\.names)) {
                    message += "; did you mean '\(guess)'?"
                } else {
                    message += "."
                }
                throw Problem(message: message + " See '\(context) --help'.")
            }
            break
        }
        guard !moved.isEmpty else { return arguments }
        guard end > index else {
            throw Problem(message: "the connection options must be followed by a subcommand, e.g. '\(program) \(moved.joined(separator: " ")) status'")
        }
        return Array(arguments[index..<end]) + moved + Array(arguments[end...])
    }
}
