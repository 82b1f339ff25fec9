import Foundation
import Postgres
import Testing
import TestSupport

/// `make test` and `make demo` run their command through scripts/with-postgres: it must never
/// write to a server it did not start (the demo once seeded 11,000 events into a user's real
/// ledger because PGHOST named it), unless the user opts in with LEDGER_TEST_DATABASE_URL /
/// LEDGER_DEMO_DATABASE_URL. The "foreign" server here is the test server itself, in a fresh
/// database with a marker table.
@Suite(.enabled(if: TestDatabase.enabled))
struct WithPostgresTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct ScriptRun: CustomStringConvertible {
        let status: Int32
        let stdout: String
        let stderr: String
        var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// Runs `bash -c script` in the repository root with exactly `environment`.
    static func bash(_ script: String, environment: [String: String]) async throws -> ScriptRun {
        try await withScratchFolder { folder in
            let out = folder.appendingPathComponent("stdout"), err = folder.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", script]
            process.environment = environment
            process.currentDirectoryURL = root
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = outHandle
            process.standardError = errHandle
            let status: Int32 = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
            try outHandle.close()
            try errHandle.close()
            return ScriptRun(
                status: status, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self)
            )
        }
    }

    /// A user's shell whose DATABASE_URL and PG* variables all name `database` on the test server.
    static func foreignEnvironment(_ database: FreshDatabase) throws -> (environment: [String: String], url: String) {
        var environment = database.environment()
        let url: String
        if let existing = environment["DATABASE_URL"], !existing.isEmpty {
            url = existing
        } else {
            let host = try #require(environment["PGHOST"]), port = environment["PGPORT"] ?? "5432"
            let user = environment["PGUSER"] ?? "postgres"
            url = "postgresql:///\(database.name)?host=\(host)&port=\(port)&user=\(user)"
            environment["DATABASE_URL"] = url
        }
        for name in ["LEDGER_TEST_DATABASE_URL", "LEDGER_DEMO_DATABASE_URL", "LEDGER_PRIVATE_CLUSTER", "LEDGER_TEST_RUN_TAG"] {
            environment.removeValue(forKey: name)
        }
        environment["LEDGER"] = try #require(LedgerBinary.url).path
        return (environment, url)
    }

    /// What the probe command does with whatever server the environment names: migrate a ledger
    /// there, create a database, a role and a table, and say which server it talked to.
    static let probe = """
        set -euo pipefail
        PSQL="$(command -v psql || echo "$PG_BINDIR/psql")"
        "$LEDGER" migrate >/dev/null
        "$PSQL" ${DATABASE_URL:+"$DATABASE_URL"} -X -q -At -v ON_ERROR_STOP=1 \
            -c "CREATE DATABASE $PROBE" -c "CREATE ROLE $PROBE" -c "CREATE TABLE public.$PROBE ()" \
            -c "SELECT 'server ' || current_setting('data_directory')"
        """

    static func exists(_ connection: PostgresConnection, _ sql: String, _ name: String) async throws -> Bool {
        try await connection.queryOne(sql, [name]) { try $0.bool(0) }
    }

    @Test func makeDemoAndMakeTestNeverWriteToTheServerPGHOSTOrDatabaseURLNames() async throws {
        try await TestDatabase.withFresh { database in
            let admin = try await database.connect()
            try await admin.simpleQuery("CREATE TABLE public.marker (n int); INSERT INTO public.marker VALUES (1)")
            let ourDirectory = try await admin.queryOne("SELECT current_setting('data_directory')") { try $0.string(0) }
            let eventsBefore = try await admin.queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) }
            var (environment, url) = try Self.foreignEnvironment(database)
            // The user also has a test server opted in for tests: the demo must not take it either.
            environment["LEDGER_TEST_DATABASE_URL"] = url
            let probe = "probe_" + String(UUID().uuidString.prefix(8)).lowercased()
            environment["PROBE"] = probe

            // As `make demo` runs it, and as `make test` does without the opt-in variable.
            for optIn in ["--opt-in LEDGER_DEMO_DATABASE_URL", ""] {
                var run = environment
                if optIn.isEmpty { run.removeValue(forKey: "LEDGER_TEST_DATABASE_URL") }
                run["PROBE_SCRIPT"] = Self.probe
                let result = try await Self.bash("scripts/with-postgres \(optIn) bash -c \"$PROBE_SCRIPT\"", environment: run)
                #expect(result.status == 0, "\(result)")
                #expect(result.stdout.contains("server ") && !result.stdout.contains("server \(ourDirectory)\n"), "\(result)")
                #expect(result.stderr.contains("ignoring DATABASE_URL"), "\(result)")
                #expect(result.stderr.contains("PGHOST") || result.stderr.contains("PGDATABASE"), "\(result)")
                #expect(result.stderr.contains("started PostgreSQL"), "\(result)")
                if !optIn.isEmpty { #expect(result.stderr.contains("LEDGER_TEST_DATABASE_URL"), "\(result)") }

                // Nothing of it on the foreign server.
                #expect(try await !Self.exists(admin, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", probe))
                #expect(try await !Self.exists(admin, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", probe))
                #expect(try await !Self.exists(admin, "SELECT to_regclass('public.' || $1) IS NOT NULL", probe))
                #expect(try await admin.queryOne("SELECT count(*) FROM ledger.events") { try $0.int64(0) } == eventsBefore)
                #expect(try await admin.queryOne("SELECT count(*) FROM public.marker") { try $0.int64(0) } == 1)
            }
            await admin.close()
        }
    }

    @Test func theOptInVariableUsesTheUsersTestServerAndTheRunsLeftoversAreDropped() async throws {
        try await TestDatabase.withFresh { database in
            let admin = try await database.connect()
            let ourDirectory = try await admin.queryOne("SELECT current_setting('data_directory')") { try $0.string(0) }
            var (environment, url) = try Self.foreignEnvironment(database)
            environment["LEDGER_TEST_DATABASE_URL"] = url
            let probe = "probe_" + String(UUID().uuidString.prefix(8)).lowercased()
            environment["PROBE"] = probe
            // A run's own leftovers carry LEDGER_TEST_RUN_TAG in their names (as if a test process
            // crashed before dropping them): scripts/with-postgres drops them after the run.
            let script = Self.probe + """

                echo "tag $LEDGER_TEST_RUN_TAG"
                "$PSQL" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 \
                    -c "CREATE DATABASE ledger_test_${LEDGER_TEST_RUN_TAG}_left" -c "CREATE ROLE test_left_${LEDGER_TEST_RUN_TAG}"
                "$LEDGER" status >/dev/null
                """
            environment["PROBE_SCRIPT"] = script
            let result = try await Self.bash(
                "scripts/with-postgres --opt-in LEDGER_TEST_DATABASE_URL bash -c \"$PROBE_SCRIPT\"", environment: environment
            )
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("server \(ourDirectory)\n"), "\(result)")
            #expect(result.stderr.contains("using the server in LEDGER_TEST_DATABASE_URL"), "\(result)")
            #expect(!result.stderr.contains("started PostgreSQL"), "\(result)")
            // The probe wrote where the user opted in.
            #expect(try await Self.exists(admin, "SELECT to_regclass('public.' || $1) IS NOT NULL", probe))
            #expect(try await Self.exists(admin, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", probe))
            // The tagged leftovers are gone.
            let tag = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("tag ") }).dropFirst(4)
            #expect(tag.count >= 8)
            #expect(try await !Self.exists(admin, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE strpos(datname, $1) > 0)", String(tag)))
            #expect(try await !Self.exists(admin, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE strpos(rolname, $1) > 0)", String(tag)))
            try await admin.simpleQuery("DROP DATABASE IF EXISTS \(probe) WITH (FORCE)")
            try await admin.simpleQuery("DROP ROLE IF EXISTS \(probe)")
            await admin.close()
        }
    }

    /// What the test process runs at exit (`atexit`): the run's databases and roles go, and of the
    /// role families (`ledger_*`, `demo_*`) only those that were not there when the run began.
    @Test func theEndOfRunCleanupDropsWhatTheRunCreatedAndNothingElse() async throws {
        try await TestDatabase.withFresh { database in
            let admin = try await database.connect()
            let run = "zz" + String(UUID().uuidString.prefix(8)).lowercased()
            let family = "fam" + String(UUID().uuidString.prefix(6)).lowercased()
            try await admin.simpleQuery("CREATE DATABASE ledger_test_\(run)_1")
            try await admin.simpleQuery("CREATE ROLE test_writer_\(run) LOGIN")
            try await admin.simpleQuery("CREATE ROLE \(family)_before")
            let existing = Set(try await admin.query("SELECT rolname FROM pg_catalog.pg_roles") { try $0.string(0) })
            try await admin.simpleQuery("CREATE ROLE \(family)_during LOGIN")
            try await admin.simpleQuery("CREATE ROLE other_\(family)")

            let problems = TestCleanup.dropCreated(
                configuration: database.configuration(), runID: run, existingRoles: existing, roleFamilies: ["\(family)\\_%"]
            )
            #expect(problems.isEmpty, "\(problems)")
            let databases = try await admin.query("SELECT datname FROM pg_catalog.pg_database WHERE strpos(datname, $1) > 0", [run]) {
                try $0.string(0)
            }
            #expect(databases.isEmpty)
            let roles = Set(try await admin.query("SELECT rolname FROM pg_catalog.pg_roles WHERE strpos(rolname, $1) > 0 OR strpos(rolname, $2) > 0", [run, family]) {
                try $0.string(0)
            })
            #expect(roles == ["\(family)_before", "other_\(family)"])
            try await admin.simpleQuery("DROP ROLE \(family)_before; DROP ROLE other_\(family)")
            await admin.close()
        }
    }

    @Test func theDemoAndTheMakefileTakeTheServerOnlyFromWithPostgres() throws {
        let demo = try String(contentsOf: Self.root.appendingPathComponent("scripts/demo"), encoding: .utf8)
        let makefile = try String(contentsOf: Self.root.appendingPathComponent("Makefile"), encoding: .utf8)
        // The demo sets no connection variables and names no server of its own.
        for pattern in ["export PG", "export DATABASE_URL", "PGHOST=", "PGPORT=", "DATABASE_URL=", "--database-url", "-h ", "--host"] {
            #expect(!demo.contains(pattern), "scripts/demo contains \(pattern)")
        }
        // Superuser tampering only on the private cluster.
        #expect(demo.contains("LEDGER_PRIVATE_CLUSTER:-}\" = 1 ] && command -v psql"))
        #expect(makefile.contains("scripts/with-postgres --opt-in LEDGER_DEMO_DATABASE_URL scripts/demo"))
        #expect(makefile.contains("scripts/with-postgres --opt-in LEDGER_TEST_DATABASE_URL sh -c '$(SWIFT) test"))
    }
}
