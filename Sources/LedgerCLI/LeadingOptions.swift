import ArgumentParser
import Ledger

/// Connection options before the subcommand (`ledger -U hoa -d mydb status`) moved after it, and
/// an unknown subcommand named with "did you mean": `LeadingArguments` over this CLI's commands.
enum LeadingOptions {
    /// Connection options that take a value (`ConnectionOptions`).
    static let connectionOptions: Set<String> = ["-h", "--host", "-p", "--port", "-U", "--username", "--user", "-d", "--dbname", "--database-url",
                                                 "--locale"]
    /// Options ArgumentParser answers itself at the root: left to it.
    static let rootOptions: Set<String> = ["--help", "-?", "--version", "--generate-completion-script", "--experimental-dump-help"]

    static func rearrange(_ arguments: [String], root: any ParsableCommand.Type) throws(LeadingArguments.Problem) -> [String] {
        // `ledger -h` alone: someone asking for help, told where it is.
        if arguments == ["-h"] { throw LeadingArguments.Problem(message: "-h: needs a value (-h is the host, as in psql; help is --help or -?)") }
        return try LeadingArguments.rearrange(arguments, tree: tree(root), valueOptions: connectionOptions, rootOptions: rootOptions)
    }

    static func tree(_ command: any ParsableCommand.Type) -> CommandTree {
        CommandTree(
            [command.configuration.commandName ?? command._commandName] + command.configuration.aliases,
            children: command.configuration.subcommands.map(tree),
            hasDefaultSubcommand: command.configuration.defaultSubcommand != nil
        )
    }
}
