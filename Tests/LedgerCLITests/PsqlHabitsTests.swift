import Foundation
import Postgres
import TestSupport
import Testing

/// The CLI as a psql user types it: `-h -p -U -d` before or after the subcommand, a password
/// prompt on a terminal, "did you mean" for typos, programme codes in any case, clean help.
@Suite(.enabled(if: TestDatabase.enabled))
struct PsqlHabitsTests {
    static func run(_ arguments: [String], environment: [String: String], stdin: String? = nil) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: environment, standardInput: stdin)
    }

    /// The environment pointing nowhere, and the psql options that point at `db`.
    static func misdirected(_ db: FreshDatabase) -> (environment: [String: String], options: [String]) {
        var environment = db.environment()
        let host = environment["PGHOST"] ?? "/tmp"
        let port = environment["PGPORT"] ?? "5432"
        let user = environment["PGUSER"] ?? NSUserName()
        environment["DATABASE_URL"] = nil
        environment["PGHOST"] = "/nonexistent-socket-dir"
        environment["PGPORT"] = "1"
        environment["PGDATABASE"] = "no_such_database"
        environment["PGUSER"] = "no_such_role"
        return (environment, ["-h", host, "-p", port, "-U", user, "-d", db.name])
    }

    /// A login role in `group` (officer, auditor, …), optionally one the server asks a SCRAM password of.
    static func person(_ db: FreshDatabase, role: String, passwordRequired: Bool) async throws -> (user: String, password: String) {
        let name = TestDatabase.uniqueName("psql_\(role)").lowercased()
        let password = "pw-\(UUID().uuidString)"
        let admin = try await db.connect()
        try await admin.simpleQuery("""
            DO $$ BEGIN CREATE ROLE signin_password_required NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$
            """)
        _ = try await admin.queryOne("SELECT ledger.add_user($1, $2, $3)", [name, role, password]) { try $0.string(0) }
        if passwordRequired { try await admin.simpleQuery("GRANT signin_password_required TO \(name)") }
        await admin.close()
        return (name, password)
    }

    /// `-h -p -U -d` (and `--host --port --username --user --dbname`) override the PG* variables
    /// and `--database-url`, after the subcommand or before it.
    @Test func psqlConnectionOptionsOverrideTheEnvironment() async throws {
        try await TestDatabase.withFresh { db in
            #expect(try await Self.run(["migrate"], environment: db.environment()).status == 0)
            let (environment, options) = Self.misdirected(db)
            let nowhere = try await Self.run(["status"], environment: environment)
            #expect(nowhere.status != 0)

            let after = try await Self.run(["status"] + options, environment: environment)
            #expect(after.status == 0, "\(after)")
            #expect(after.stdout.contains("events"), "\(after)")

            let before = try await Self.run(options + ["status"], environment: environment)
            #expect(before.status == 0, "\(before)")
            #expect(before.stdout == after.stdout)

            let long = ["--host", options[1], "--port=\(options[3])", "--username", options[5], "--dbname", db.name]
            let longForm = try await Self.run(["status"] + long, environment: environment)
            #expect(longForm.status == 0, "\(longForm)")

            let url = try await Self.run(
                ["status", "--database-url", "host=/nonexistent port=1 dbname=nope user=nobody"] + options, environment: environment)
            #expect(url.status == 0, "\(url)")

            // --user stays, before the subcommand too; the role given is the one used.
            let wrongUser = try await Self.run(["--user", "no_such_role_x", "status"] + options.prefix(4) + ["-d", db.name],
                                               environment: environment)
            #expect(wrongUser.status == 1, "\(wrongUser)")
            #expect(wrongUser.stderr.contains("no_such_role_x"), "\(wrongUser)")

            let badPort = try await Self.run(["status", "-p", "99999"], environment: environment)
            #expect(badPort.status == 64)
            #expect(badPort.stderr.contains("--port"), "\(badPort)")
        }
    }

    /// `ledger --user NAME audit verify`: the option before the subcommand is that role's.
    @Test func userBeforeTheSubcommand() async throws {
        try await TestDatabase.withFresh { db in
            #expect(try await Self.run(["migrate"], environment: db.environment()).status == 0)
            let auditor = try await Self.person(db, role: "auditor", passwordRequired: false)
            let verify = try await Self.run(["--user", auditor.user, "audit", "verify"], environment: db.environment())
            #expect(verify.status == 0, "\(verify)")
            let notAllowed = try await Self.run(["-U", auditor.user, "-d", db.name, "program", "load", "/dev/null"], environment: db.environment())
            #expect(notAllowed.status != 0)

            let unknown = try await Self.run(["--frobnicate", "status"], environment: db.environment())
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("unknown option '--frobnicate' before the subcommand"), "\(unknown)")
            let alone = try await Self.run(["-U", auditor.user], environment: db.environment())
            #expect(alone.status == 64)
            #expect(alone.stderr.contains("must be followed by a subcommand"), "\(alone)")
        }
    }

    /// On a terminal, a role the server asks a password of is asked "Password for user X: " (no
    /// echo) and signs in with the answer; without a terminal, the error says how to give one.
    @Test func passwordPromptOnATerminal() async throws {
        try await TestDatabase.withFresh { db in
            #expect(try await Self.run(["migrate"], environment: db.environment()).status == 0)
            let person = try await Self.person(db, role: "auditor", passwordRequired: true)
            var environment = db.environment(user: person.user)
            environment["PGPASSWORD"] = nil
            environment["PGPASSFILE"] = "/nonexistent/pgpass"

            let (status, output) = try Self.onTerminal(["status"], environment: environment, answer: person.password)
            #expect(status == 0, "\(output)")
            #expect(output.contains("Password for user \(person.user): "), "\(output)")
            #expect(output.contains("events"), "\(output)")
            #expect(!output.contains(person.password), "the password was echoed: \(output)")

            let (wrongStatus, wrongOutput) = try Self.onTerminal(["status"], environment: environment, answer: "wrong")
            #expect(wrongStatus == 1, "\(wrongOutput)")
            #expect(wrongOutput.contains("password authentication failed"), "\(wrongOutput)")

            let noTerminal = try await Self.run(["status"], environment: environment, stdin: "")
            #expect(noTerminal.status == 1, "\(noTerminal)")
            #expect(noTerminal.stderr.contains("no password supplied"), "\(noTerminal)")
            #expect(noTerminal.stderr.contains("PGPASSWORD"), "\(noTerminal)")
            #expect(noTerminal.stderr.contains("~/.pgpass"), "\(noTerminal)")
        }
    }

    /// Runs `ledger` on a pseudo-terminal (python3's pty), typing `answer` once the prompt shows;
    /// the exit status and everything the terminal showed. A child silent for 120 s is killed
    /// (generous: on a loaded CI machine a refused sign-in has taken over 20 s to be reported).
    static func onTerminal(_ arguments: [String], environment: [String: String], answer: String) throws -> (Int32, String) {
        let binary = try #require(LedgerBinary.url)
        let driver = """
            import os, pty, select, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], sys.argv[1:])
            out, sent = b'', False
            while True:
                ready, _, _ = select.select([fd], [], [], 120)
                if not ready: break
                try: data = os.read(fd, 4096)
                except OSError: break
                if not data: break
                out += data
                if not sent and b'Password for user' in out:
                    os.write(fd, os.environ['LEDGER_TEST_ANSWER'].encode() + b'\\n'); sent = True
            if not ready:
                os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
            sys.stdout.buffer.write(out)
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", driver, binary.path] + arguments
        var childEnvironment = environment
        childEnvironment["LEDGER_TEST_ANSWER"] = answer
        childEnvironment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = childEnvironment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Typos: an unknown option named, an unknown subcommand with "did you mean", at every level.
    @Test func typosAreNamedWithASuggestion() async throws {
        try await TestDatabase.withFresh { db in
            let subcommand = try await Self.run(["staus"], environment: db.environment())
            #expect(subcommand.status == 64)
            #expect(subcommand.stderr.contains("unknown subcommand 'staus'"), "\(subcommand)")
            #expect(subcommand.stderr.contains("did you mean 'status'?"), "\(subcommand)")

            let nested = try await Self.run(["audit", "verfy"], environment: db.environment())
            #expect(nested.status == 64)
            #expect(nested.stderr.contains("unknown subcommand 'verfy' for 'ledger audit'; did you mean 'verify'?"), "\(nested)")

            let nothingClose = try await Self.run(["xyzzy"], environment: db.environment())
            #expect(nothingClose.status == 64)
            #expect(nothingClose.stderr.contains("unknown subcommand 'xyzzy'"), "\(nothingClose)")
            #expect(!nothingClose.stderr.contains("did you mean"), "\(nothingClose)")

            let option = try await Self.run(["status", "--frobnicate"], environment: db.environment())
            #expect(option.status == 64)
            #expect(option.stderr.contains("Unknown option '--frobnicate'"), "\(option)")
        }
    }

    /// Programme codes in any case: the catalog's code is recorded; a typo gets "did you mean".
    @Test func programmeCodesMatchRegardlessOfCase() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let environment = db.environment()
            let allocate = try await Self.run(
                ["budget", "allocate", "--program", "nq12-housing", "--year", "2024", "--district", "Cái Răng", "--amount", "5000000",
                 "--reference", "QĐ 2"], environment: environment)
            #expect(allocate.status == 0, "\(allocate)")
            let submit = try await Self.run(
                ["application", "submit", "--id", "A-2", "--beneficiary", "HH-1", "--program", "Nq12-Housing", "--amount", "1000000",
                 "--submitted-on", "2024-03-02"], environment: environment)
            #expect(submit.status == 0, "\(submit)")

            let connection = try await db.connect()
            let lowerCase = try await connection.queryOne(
                "SELECT count(*) FROM ledger.events WHERE payload::text LIKE '%nq12-housing%' OR payload::text LIKE '%Nq12-Housing%' OR stream_id LIKE '%nq12%'"
            ) { try $0.int64(0) }
            #expect(lowerCase == 0)
            let program = try await connection.queryOne(
                "SELECT payload->>'program' FROM ledger.events WHERE stream_id = 'application-A-2' ORDER BY position LIMIT 1"
            ) { try $0.string(0) }
            #expect(program == "NQ12-HOUSING")
            let budgets = try await connection.queryOne(
                "SELECT count(*) FROM ledger.streams WHERE stream_id LIKE 'budget-NQ12-HOUSING-2024-%'") { try $0.int64(0) }
            #expect(budgets == 2)
            await connection.close()

            let headBefore = try await DisbursementCommandTests.head(db)
            let typo = try await Self.run(
                ["budget", "allocate", "--program", "NQ12-HOSUING", "--year", "2024", "--district", "Cái Răng", "--amount", "5",
                 "--reference", "x"], environment: environment)
            #expect(typo.status != 0)
            #expect(typo.stderr.contains("there is no programme NQ12-HOSUING; did you mean NQ12-HOUSING?"), "\(typo)")
            #expect(try await DisbursementCommandTests.head(db) == headBefore)

            #expect(try await Self.run(["projections", "run"], environment: environment).status == 0)
            let report = try await Self.run(["report", "budget", "--program", "nq12-housing", "--format", "csv"], environment: environment)
            #expect(report.status == 0, "\(report)")
            #expect(report.stdout.contains("NQ12-HOUSING"), "\(report)")
        }
    }

    /// Help: `-h` is the host, `--help` and `-?` are help; discussions wrap as paragraphs; no
    /// option says its default twice.
    @Test func helpWrapsAndSaysEachDefaultOnce() async throws {
        let environment = ProcessInfo.processInfo.environment
        let status = try await Self.run(["status", "--help"], environment: environment)
        #expect(status.status == 0)
        #expect(status.stdout.contains("-h, --host <host>"), "\(status)")
        #expect(status.stdout.contains("-U, --username, --user <username>"), "\(status)")
        #expect(status.stdout.contains("-?, --help"), "\(status)")
        let question = try await Self.run(["status", "-?"], environment: environment)
        #expect(question.stdout == status.stdout)
        let psqlHelp = try await Self.run(["-h"], environment: environment)
        #expect(psqlHelp.status == 64)
        #expect(psqlHelp.stderr.contains("-h is the host, as in psql; help is --help or -?"), "\(psqlHelp)")

        let root = try await Self.run(["--help"], environment: environment)
        #expect(!root.stdout.contains("failed,\n2 integrity"), "\(root)")
        #expect(!root.stdout.contains("PGPASSWORD).\nData"), "\(root)")

        var queue: [[String]] = [[]]
        var seen = 0
        while let path = queue.popLast() {
            seen += 1
            let help = try await Self.run(path + ["--help"], environment: environment)
            #expect(help.status == 0, "\(path): \(help)")
            for block in help.stdout.components(separatedBy: "\n  -") {
                let defaults = block.components(separatedBy: "default").count - 1
                #expect(defaults <= 1, "\(path): default printed twice in \(block)")
            }
            if let range = help.stdout.range(of: "SUBCOMMANDS:\n") {
                let section = help.stdout[range.upperBound...].prefix { _ in true }
                for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.isEmpty { break }
                    guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
                    let name = line.dropFirst(2).prefix { $0 != " " }
                    if !name.isEmpty, name != "help" { queue.append(path + [String(name)]) }
                }
            }
        }
        #expect(seen > 40)
    }
}
