import Ledger
import Testing

/// The command line's pre-processing: connection options before the subcommand moved after it,
/// unknown subcommands named with the nearest one.
struct LeadingArgumentsTests {
    static let tree = CommandTree(["ledger"], children: [
        CommandTree(["status"]),
        CommandTree(["audit"], children: [CommandTree(["verify"]), CommandTree(["export"]), CommandTree(["history"])]),
        CommandTree(["user"], children: [CommandTree(["add"]), CommandTree(["list"])]),
        CommandTree(["report"], children: [CommandTree(["budget"])], hasDefaultSubcommand: true),
    ])
    static let options: Set<String> = ["-h", "--host", "-p", "--port", "-U", "--username", "--user", "-d", "--dbname", "--database-url"]
    static let root: Set<String> = ["--help", "-?", "--version"]

    static func rearrange(_ arguments: [String]) throws(LeadingArguments.Problem) -> [String] {
        try LeadingArguments.rearrange(arguments, tree: tree, valueOptions: options, rootOptions: root)
    }

    @Test func connectionOptionsMoveAfterTheSubcommandPath() throws {
        #expect(try Self.rearrange(["--user", "hoa", "audit", "verify"]) == ["audit", "verify", "--user", "hoa"])
        #expect(try Self.rearrange(["-U", "hoa", "-d", "mydb", "status"]) == ["status", "-U", "hoa", "-d", "mydb"])
        #expect(try Self.rearrange(["--user=hoa", "-h", "/tmp", "audit", "verify", "--digest", "x"])
            == ["audit", "verify", "--user=hoa", "-h", "/tmp", "--digest", "x"])
        #expect(try Self.rearrange(["-Uhoa", "-p5433", "status"]) == ["status", "-U", "hoa", "-p", "5433"])
        // A value that looks like a subcommand stays the option's value.
        #expect(try Self.rearrange(["-d", "status", "audit", "verify"]) == ["audit", "verify", "-d", "status"])
        // Nothing before the subcommand: unchanged.
        #expect(try Self.rearrange(["audit", "verify", "-U", "hoa"]) == ["audit", "verify", "-U", "hoa"])
        #expect(try Self.rearrange([]) == [])
        // The parser's own options: left to it.
        #expect(try Self.rearrange(["--version"]) == ["--version"])
        #expect(try Self.rearrange(["-U", "hoa", "--help"]) == ["--help"])
        #expect(try Self.rearrange(["help", "audit"]) == ["help", "audit"])
        // A default subcommand's argument is not an unknown subcommand.
        #expect(try Self.rearrange(["-U", "hoa", "report", "2024"]) == ["report", "-U", "hoa", "2024"])
    }

    static func problem(_ arguments: [String]) -> String? {
        do {
            _ = try rearrange(arguments)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func refusals() {
        #expect(Self.problem(["--frobnicate", "status"])?.hasPrefix("unknown option '--frobnicate' before the subcommand") == true)
        #expect(Self.problem(["-U"]) == "-U: needs a value")
        #expect(Self.problem(["-U", "hoa"])?.contains("must be followed by a subcommand") == true)
        #expect(Self.problem(["-U", "hoa", "audit", "verfy"])
            == "unknown subcommand 'verfy' for 'ledger audit'; did you mean 'verify'? See 'ledger audit --help'.")
        #expect(Self.problem(["staus"]) == "unknown subcommand 'staus' for 'ledger'; did you mean 'status'? See 'ledger --help'.")
        #expect(Self.problem(["xyzzy"]) == "unknown subcommand 'xyzzy' for 'ledger'. See 'ledger --help'.")
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "staus", among: ["status", "serve", "audit"]) == "status")
        #expect(Suggestion.closest(to: "verfy", among: ["verify", "export", "history"]) == "verify")
        #expect(Suggestion.closest(to: "NQ12-HOSUING", among: ["NQ12-HOUSING", "NQ12-LIVELIHOOD"]) == "NQ12-HOUSING")
        #expect(Suggestion.closest(to: "nq12-housng", among: ["NQ12-HOUSING"]) == "NQ12-HOUSING")
        #expect(Suggestion.closest(to: "benef", among: ["beneficiary", "budget"]) == "beneficiary")
        #expect(Suggestion.closest(to: "xyzzy", among: ["status", "serve", "audit"]) == nil)
        #expect(Suggestion.closest(to: "", among: ["status"]) == nil)
        // Two equally near: no guess.
        #expect(Suggestion.closest(to: "lisa", among: ["list", "lise"]) == nil)
    }
}
