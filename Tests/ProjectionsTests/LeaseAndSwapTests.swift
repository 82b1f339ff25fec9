import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport
import Testing

/// Nobody but the runner's role can jam the read side: leases other roles cannot take, a swap that
/// does not wait without end behind a reader, a rebuild that recreates a dropped table.
@Suite(.enabled(if: TestDatabase.enabled))
struct LeaseAndSwapTests {
    /// An auditor and an officer try every way to take the runner's lease: each is refused for
    /// want of permission, and `projections run` works while they hold their transactions open.
    /// (Before: the lease was an advisory lock any role could take.)
    @Test func anAuditorOrAnOfficerCannotTakeALeaseAndTheRunnerStillRuns() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 10_000_000, reference: "QĐ 1")
            var intruders: [PostgresConnection] = []
            for group in ["ledger_auditor", "ledger_officer"] {
                let connection = try await database.connect(user: try await TestDatabase.loginRole(memberOf: group))
                for projection in ProjectionCatalog.names {
                    for kind in ["runner", "rebuild"] {
                        for attempt in [
                            "LOCK TABLE ledger_read.lease_\(projection)_\(kind) IN EXCLUSIVE MODE NOWAIT",
                            "LOCK TABLE ledger_read.lease_\(projection)_\(kind) IN ACCESS EXCLUSIVE MODE NOWAIT",
                            "LOCK TABLE ledger_read.lease_\(projection)_\(kind) IN ROW SHARE MODE NOWAIT",
                            "SELECT * FROM ledger_read.lease_\(projection)_\(kind) FOR UPDATE NOWAIT",
                        ] {
                            try await connection.simpleQuery("BEGIN")
                            let error = await #expect(throws: PostgresError.self, "\(group): \(attempt)") {
                                try await connection.simpleQuery(attempt)
                            }
                            #expect(error?.code == .insufficientPrivilege, "\(group): \(attempt): \(String(describing: error))")
                            try await connection.simpleQuery("ROLLBACK")
                        }
                    }
                }
                // The old way: advisory locks on the old keys (the first intruder gets them), held
                // in an open transaction.
                try await connection.simpleQuery("""
                    BEGIN;
                    SELECT pg_try_advisory_lock(74701, hashtext(p)), pg_try_advisory_lock(74702, hashtext(p))
                    FROM unnest(ARRAY['applications', 'budget_usage', 'beneficiary_balances', 'loan_book']) p;
                    SELECT count(*) FROM ledger_read.checkpoints
                    """)
                intruders.append(connection)
            }

            let run = try await LedgerBinary.run(["projections", "run"], environment: database.environment())
            #expect(run.status == 0, "\(run)")
            let rebuild = try await LedgerBinary.run(["projections", "rebuild", "budget_usage"], environment: database.environment())
            #expect(rebuild.status == 0, "\(rebuild)")
            let observer = try await database.connect()
            let head = try await ReadSide.head(observer)
            #expect(try await ReadSide.checkpoints(observer).values.allSatisfy { $0 == head })

            // Status (as the auditor sees it) names the runner holding a lease: pid, role, since.
            let runner = try await ProjectionRunner.start(configuration: database.configuration(), projections: ["loan_book"])
            let statuses = try await ProjectionStatus.all(intruders[0])
            let loanBook = try #require(statuses.first { $0.projection == "loan_book" })
            #expect(loanBook.runnerPID == (await runner.lease.pid))
            #expect(loanBook.runnerRole == (try await observer.queryOne("SELECT current_user::text") { try $0.string(0) }))
            #expect(loanBook.runnerSinceMicroseconds != nil)
            #expect(statuses.filter { $0.projection != "loan_book" }.allSatisfy { $0.runnerPID == nil })
            await runner.close()
            for connection in intruders { await connection.close() }
            await observer.close()
        }
    }

    /// The lease connection holds its locks without a transaction id or a snapshot: a runner that
    /// follows for days holds back no VACUUM.
    @Test func aHeldLeaseHoldsBackNoVacuum() async throws {
        try await TestDatabase.withFresh { database in
            let runner = try await ProjectionRunner.start(configuration: database.configuration())
            let pid = await runner.lease.pid
            let observer = try await database.connect()
            let (xid, xmin, state) = try await observer.queryOne(
                "SELECT backend_xid::text, backend_xmin::text, state FROM pg_stat_activity WHERE pid = $1", [pid]
            ) { ($0.isNull(0) ? nil : try $0.string(0), $0.isNull(1) ? nil : try $0.string(1), try $0.string(2)) }
            #expect(state == "idle in transaction")
            #expect(xid == nil)
            #expect(xmin == nil)
            await runner.close()
            await observer.close()
        }
    }

    /// An auditor keeps a read transaction open on a read-model table during a rebuild: a reader
    /// who comes after the swap began waits no longer than the swap's lock timeout, and the rebuild
    /// ends non-zero naming the auditor's server process and role, the live tables unchanged.
    /// (Before: the swap, and every reader queued behind it, waited without end.)
    @Test func aReaderBehindABlockedSwapWaitsOnlyTheLockTimeoutAndTheRebuildNamesTheBlocker() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 100_000_000, reference: "QĐ 1")
            try await people.approved("A-1", household: "HH-1", amount: 40_000_000)
            _ = try await RunnerTests.runOnce(database)

            let auditorRole = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
            let auditor = try await database.connect(user: auditorRole)
            try await auditor.simpleQuery("BEGIN")
            #expect(try await auditor.query("SELECT * FROM ledger_read.applications") { _ in 1 }.count == 1)
            let auditorPID = await auditor.backendPID

            let rebuild = Task { try await LedgerBinary.run(["projections", "rebuild", "applications"], environment: database.environment()) }
            let observer = try await database.connect()
            var waiting = false
            for _ in 0..<200 where !waiting {
                try await Task.sleep(for: .milliseconds(20))
                waiting = try await observer.queryOne("""
                    SELECT count(*) > 0 FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = 'ledger-projections-rebuild' AND wait_event_type = 'Lock'
                    """) { try $0.bool(0) }
            }
            #expect(waiting)
            // A reader arriving now queues behind the swap's lock request: it gets its answer
            // within about the lock timeout, not when the auditor ends.
            let reader = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
            let started = ContinuousClock.now
            #expect(try await reader.queryOne("SELECT count(*) FROM ledger_read.applications") { try $0.int(0) } == 1)
            let waited = ContinuousClock.now - started
            let timeout = Duration.milliseconds(ProjectionStore.swapLockTimeoutMilliseconds)
            #expect(waited < timeout + .milliseconds(1_500), "the reader waited \(waited)")

            let run = try await rebuild.value
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("could not swap in the rebuilt applications tables"), "\(run)")
            #expect(run.stderr.contains("server process \(auditorPID)"), "\(run)")
            #expect(run.stderr.contains("role \(auditorRole)"), "\(run)")
            #expect(run.stderr.contains("AccessShareLock on ledger_read.applications"), "\(run)")
            // The live tables are unchanged; once the auditor is done, the rebuild goes through.
            #expect(try await ProjectionStore.checkpoint("applications", observer).1 == 0)
            try await auditor.simpleQuery("COMMIT")
            let again = try await LedgerBinary.run(["projections", "rebuild", "applications"], environment: database.environment())
            #expect(again.status == 0, "\(again)")
            #expect(try await ProjectionStore.checkpoint("applications", observer).1 == 1)
            await reader.close()
            await auditor.close()
            await observer.close()
        }
    }

    /// A read-model table dropped (by the superuser): `projections rebuild` recreates it from the
    /// shape kept by the migrations, and `audit reconcile` finds it equal to the log.
    /// (Before: the rebuild failed, since it created its tables LIKE the live ones.)
    @Test func aRebuildRecreatesADroppedReadModelTable() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 100_000_000, reference: "QĐ 1")
            try await people.approved("A-1", household: "HH-1", amount: 40_000_000)
            try await people.pay("A-1", "P-1", 10_000_000)
            _ = try await RunnerTests.runOnce(database)
            let superuser = try await database.connect()
            try await superuser.simpleQuery("DROP TABLE ledger_read.applications; DROP TABLE ledger_read.loan_terms")

            let admin = try await TestDatabase.loginRole(memberOf: "ledger_admin")
            let rebuild = try await LedgerBinary.run(["projections", "rebuild"], environment: database.environment(user: admin))
            #expect(rebuild.status == 0, "\(rebuild)")
            let reconcile = try await LedgerBinary.run(["audit", "reconcile"], environment: database.environment(user: admin))
            #expect(reconcile.status == 0, "\(reconcile)")
            #expect(reconcile.stdout.contains("every read model equals the fold of the log"), "\(reconcile)")
            let application = try await ReadSide.row(superuser, "applications", where: "application_id = $1", ["A-1"])
            #expect(application?["paid_vnd"] == "10000000")
            // Readers read the recreated table; only its owner writes it.
            let officer = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
            #expect(try await officer.queryOne("SELECT count(*) FROM ledger_read.applications") { try $0.int(0) } == 1)
            await #expect(throws: PostgresError.self) { try await officer.execute("DELETE FROM ledger_read.applications") }
            // And the runner goes on writing it.
            try await people.pay("A-1", "P-2", 5_000_000)
            _ = try await RunnerTests.runOnce(database)
            #expect(try await ReadSide.contents(superuser) == (try await ReadSide.foldOfLog(database)))
            await officer.close()
            await superuser.close()
        }
    }
}
