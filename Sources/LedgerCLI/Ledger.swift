import ArgumentParser
import Foundation

/// `ledger`: the event-sourced disbursement ledger's command line. Thin: parsing and printing only;
/// everything it does lives in the library targets.
@main
struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "An event-sourced ledger for disbursing public social-policy money.",
        discussion: """
            Connects with DATABASE_URL or the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD); \
            -h/--host, -p/--port, -U/--username and -d/--dbname override them, as in psql, before or after the subcommand. \
            On a terminal, asks for the password when the server wants one and none was given. \
            --locale vi (or LEDGER_LOCALE=vi), before or after the subcommand, writes labels, messages, amounts (5.000.000 ₫) \
            and dates (21/05/2024) for people in Vietnamese; json and csv never change. \
            Data goes to stdout; messages to stderr. Exit status: 0 ok, 1 refused or failed, \
            2 integrity problem found, 64 usage error, 75 a standby has not yet replayed what was asked (try again). \
            On a hot standby, every command says on stderr how far behind it is; writes are refused there.
            """,
        version: LedgerVersion.text,
        subcommands: [
            Migrate.self, Status.self, Program.self, Place.self, Budget.self, Beneficiary.self, Application.self, Payment.self,
            Loan.self, User.self, NationalIDCommand.self, Demo.self, Audit.self, Events.self, ProjectionsCommand.self, Report.self, Replay.self,
            Serve.self,
        ],
        // `-h` is the host, as in psql (ConnectionOptions); help is `--help` or psql's `-?`.
        helpNames: [.long, .customShort("?")]
    )

    /// Refuses a command line that is not UTF-8 (exit 64) before ArgumentParser would turn its bad
    /// bytes into U+FFFD, moves connection options given before the subcommand after it
    /// (`LeadingOptions`), then runs the command.
    static func main() async {
        if let problem = Output.useEnvironmentLocale() {
            FileHandle.standardError.write(Data("ledger: error: \(problem)\n".utf8))
            Self.exit(withError: ExitCode(ExitStatus.usage))
        }
        if let problem = RawArguments.firstProblem(RawArguments.current()) {
            FileHandle.standardError.write(Data("ledger: error: \(problem)\n".utf8))
            Self.exit(withError: ExitCode(ExitStatus.usage))
        }
        do {
            let arguments = try LeadingOptions.rearrange(Array(CommandLine.arguments.dropFirst()), root: Self.self)
            await main(arguments)
        } catch {
            FileHandle.standardError.write(Data("ledger: error: \(error.message)\n".utf8))
            Self.exit(withError: ExitCode(ExitStatus.usage))
        }
    }
}
