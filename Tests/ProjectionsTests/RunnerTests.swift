import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport
import Testing

/// The runner, leases, checkpoints and rebuild-and-swap against a real PostgreSQL.
@Suite(.enabled(if: TestDatabase.enabled))
struct RunnerTests {
    @Test func incrementalRunningEqualsARebuildAndAFoldOfTheLog() async throws {
        try await TestDatabase.withFresh { database in
            // A runner catches up in small batches again and again while the demo year is recorded.
            let seeded = StopSignal()
            let seeding = Task {
                defer { seeded.stop() }
                return try await ReadSide.seedDemo(database)
            }
            let runner = try await ProjectionRunner.start(configuration: database.configuration(), options: ReadSide.options(batchEvents: 37))
            var rounds = 0
            while true {
                let finished = seeded.isStopped
                try await runner.catchUp()
                rounds += 1
                if finished { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let report = try await seeding.value
            try await runner.catchUp()
            await runner.close()
            #expect(rounds > 1)

            let connection = try await database.connect()
            let head = try await ReadSide.head(connection)
            #expect(head == report.headAfter)
            #expect(try await ReadSide.checkpoints(connection).values.allSatisfy { $0 == head })
            let incremental = try await ReadSide.contents(connection)
            // One row per application submitted.
            #expect(incremental["applications"]?.count == report.census.eventsByType.first { $0.name == "ApplicationSubmitted" }?.count)
            #expect((incremental["loan_book"]?.count ?? 0) > 0)
            #expect((incremental["budget_usage"]?.count ?? 0) > 0)

            let folded = try await ReadSide.foldOfLog(database)
            for table in ReadSide.tables {
                #expect(incremental[table.name] == folded[table.name], "\(table.name): incremental differs from a fold of the log")
            }
            for name in ProjectionCatalog.names {
                let rebuilt = try await ProjectionRebuild.run(configuration: database.configuration(), projection: name)
                #expect(rebuilt.position == head)
                #expect(rebuilt.generation == 1)
                #expect(rebuilt.events == head)
            }
            let afterRebuild = try await ReadSide.contents(connection)
            for table in ReadSide.tables {
                #expect(afterRebuild[table.name] == incremental[table.name], "\(table.name): rebuild differs from incremental")
            }
            await connection.close()
        }
    }

    @Test func twoRunnersStartedTogetherOneWorksAndNothingIsAppliedTwice() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await ReadSide.seedDemo(database, seed: 3)
            let configuration = database.configuration()
            async let first = Self.startAndRun(configuration)
            async let second = Self.startAndRun(configuration)
            let outcomes = try await [first, second]
            let worked = outcomes.compactMap { if case .ran(let reports) = $0 { reports } else { nil } }
            let refused = outcomes.compactMap { if case .refused(let error) = $0 { error } else { nil } }
            // Each either ran everything or was refused at the start; the lease is freed when
            // the first closes, so both may run one after the other — never both at once.
            #expect(worked.count >= 1)
            for error in refused {
                #expect(error.code == .leaseHeld)
                #expect(error.message.contains("is being run by another runner"))
            }
            let connection = try await database.connect()
            let head = try await ReadSide.head(connection)
            let applied = worked.map { $0.map(\.eventsApplied).reduce(0, +) }.reduce(0, +)
            // Every projection folded the log exactly once in all.
            #expect(applied == Int64(ProjectionCatalog.all.count) * head)
            let contents = try await ReadSide.contents(connection)
            #expect(contents == (try await ReadSide.foldOfLog(database)))
            await connection.close()
        }
    }

    enum Outcome: Sendable {
        case ran([ProjectionRunReport])
        case refused(ProjectionError)
    }

    static func startAndRun(_ configuration: ConnectionConfiguration) async throws -> Outcome {
        let runner: ProjectionRunner
        do {
            runner = try await ProjectionRunner.start(configuration: configuration, options: ReadSide.options(batchEvents: 100))
        } catch let error as ProjectionError {
            return .refused(error)
        }
        let reports = try await runner.catchUp()
        await runner.close()
        return .ran(reports)
    }

    @Test func aSecondRunnerIsRefusedNamingTheFirstUntilItStops() async throws {
        try await TestDatabase.withFresh { database in
            let first = try await ProjectionRunner.start(configuration: database.configuration(), projections: ["budget_usage"])
            let firstPID = await first.lease.pid
            let error = await #expect(throws: ProjectionError.self) {
                _ = try await ProjectionRunner.start(configuration: database.configuration(), projections: ["budget_usage"])
            }
            #expect(error?.code == .leaseHeld)
            #expect(error?.holderPID == firstPID)
            #expect(error?.message.contains("budget_usage") == true)

            // Another projection is free; status shows who runs what.
            let other = try await ProjectionRunner.start(configuration: database.configuration(), projections: ["applications"])
            let connection = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor"))
            let statuses = try await ProjectionStatus.all(connection)
            #expect(statuses.map(\.projection) == ProjectionCatalog.names)
            #expect(statuses.first { $0.projection == "budget_usage" }?.runnerPID == firstPID)
            #expect(statuses.first { $0.projection == "beneficiary_balances" }?.runnerPID == nil)
            await other.close()

            await first.close()
            let next = try await ProjectionRunner.start(configuration: database.configuration(), projections: ["budget_usage"])
            await next.close()
            await connection.close()
        }
    }

    @Test func aBatchWhoseCheckpointMovedUnderItIsRolledBackThenReloaded() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 10_000_000, reference: "QĐ 1")
            let runner = try await ProjectionRunner.start(configuration: database.configuration(), projections: ["budget_usage"])
            try await runner.catchUp()
            try await people.approved("A-1", household: "HH-1", amount: 3_000_000)

            // Someone else moved the checkpoint (as a rebuild's swap does): this runner's batch
            // must not land on top of it.
            let superuser = try await database.connect()
            try await superuser.execute("UPDATE ledger_read.checkpoints SET generation = generation + 1 WHERE projection = 'budget_usage'")
            let stale = try await ProjectionStore.checkpoint("budget_usage", superuser)
            await #expect(throws: ProjectionError.self) {
                try await runner.commit(through: ReadSide.head(superuser))
            }
            #expect(try await ProjectionStore.checkpoint("budget_usage", superuser) == stale)

            // catchUp reloads by itself and lands exactly once.
            try await runner.catchUp()
            await runner.close()
            let budget = try await ReadSide.row(superuser, "budget_usage", where: "program = $1", [People.program])
            #expect(budget?["reserved_vnd"] == "3000000")
            #expect(budget?["available_vnd"] == "7000000")
            #expect(try await ReadSide.contents(superuser)["budget_usage"] == (try await ReadSide.foldOfLog(database))["budget_usage"])
            await superuser.close()
        }
    }

    @Test func runningAgainAfterMoreAppendsCatchesUpWithWhatAUserExpects() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 100_000_000, reference: "QĐ 1")
            try await people.approved("A-1", household: "HH-1", amount: 40_000_000)
            try await people.approved("A-2", household: "HH-2", amount: 30_000_000)

            let firstRun = try await Self.runOnce(database)
            let connection = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
            var budget = try await ReadSide.row(connection, "budget_usage", where: "program = $1", [People.program])
            #expect(budget?["available_vnd"] == "30000000")
            #expect(budget?["paid_vnd"] == "0")

            // Pay A-1 in part and close it; pay A-2 and have the bank return it.
            try await people.pay("A-1", "P-1", 25_000_000)
            _ = try await people.officer.closeApplication(id: "A-1", on: People.date("2024-04-01"))
            try await people.pay("A-2", "P-2", 30_000_000)
            _ = try await people.officer.reversePayment(paymentID: "P-2", reason: "account closed", reversedOn: People.date("2024-03-20"))

            let secondRun = try await Self.runOnce(database)
            #expect(secondRun.allSatisfy { report in report.fromPosition == firstRun.first { $0.projection == report.projection }?.toPosition })
            #expect(secondRun.allSatisfy { $0.eventsApplied > 0 })

            budget = try await ReadSide.row(connection, "budget_usage", where: "program = $1", [People.program])
            #expect(budget?["paid_vnd"] == "25000000")
            #expect(budget?["released_vnd"] == "15000000")
            // 100 − 70 reserved + 15 released by the closure.
            #expect(budget?["available_vnd"] == "45000000")
            let household2 = try await ReadSide.row(connection, "beneficiary_balances", where: "beneficiary_id = $1", ["HH-2"])
            #expect(household2?["remaining_payable_vnd"] == "30000000")
            #expect(household2?["reversed_vnd"] == "30000000")
            let application1 = try await ReadSide.row(connection, "applications", where: "application_id = $1", ["A-1"])
            #expect(application1?["status"] == "closed")
            #expect(application1?["remaining_payable_vnd"] == "0")
            #expect(application1?["decided_by"] == (try await people.approver.actingRole()))
            #expect(application1?["submitted_by"] == (try await people.officer.actingRole()))

            // A third run finds nothing new.
            #expect(try await Self.runOnce(database).allSatisfy { $0.eventsApplied == 0 })
            await connection.close()
        }
    }

    static func runOnce(_ database: FreshDatabase) async throws -> [ProjectionRunReport] {
        let runner = try await ProjectionRunner.start(configuration: database.configuration())
        let reports = try await runner.catchUp()
        await runner.close()
        return reports
    }

    @Test func aRebuildLeavesTheOldTablesServingUntilItSwapsThemInOneTransaction() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 100_000_000, reference: "QĐ 1")
            try await people.approved("A-1", household: "HH-1", amount: 40_000_000)
            _ = try await Self.runOnce(database)
            try await people.approved("A-2", household: "HH-2", amount: 30_000_000)

            // An auditor is in the middle of reading the old tables.
            let auditor = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor"))
            try await auditor.simpleQuery("BEGIN")
            #expect(try await auditor.queryOne("SELECT count(*) FROM ledger_read.applications") { try $0.int(0) } == 1)

            let rebuild = Task { try await ProjectionRebuild.run(configuration: database.configuration(), projection: "applications") }
            // The rebuild has built its tables and waits for the reader to finish before swapping.
            let observer = try await database.connect()
            var waiting = false
            for _ in 0..<100 where !waiting {
                try await Task.sleep(for: .milliseconds(50))
                waiting = try await observer.queryOne("""
                    SELECT count(*) > 0 FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = 'ledger-projections-rebuild' AND wait_event_type = 'Lock'
                    """) { try $0.bool(0) }
            }
            #expect(waiting)
            #expect(try await observer.queryOne("SELECT count(*) FROM ledger_read_build.applications") { try $0.int(0) } == 2)
            // Meanwhile the old table still answers, with the old rows.
            #expect(try await auditor.queryOne("SELECT count(*) FROM ledger_read.applications") { try $0.int(0) } == 1)
            try await auditor.simpleQuery("COMMIT")

            let report = try await rebuild.value
            #expect(report.rows["applications"] == 2)
            #expect(try await auditor.queryOne("SELECT count(*) FROM ledger_read.applications") { try $0.int(0) } == 2)
            let (position, generation) = try await ProjectionStore.checkpoint("applications", observer)
            #expect(position == (try await ReadSide.head(observer)))
            #expect(generation == 1)
            // The auditor may still read the swapped-in table; nobody but the owner writes it.
            let officer = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
            await #expect(throws: PostgresError.self) {
                try await officer.execute("DELETE FROM ledger_read.applications")
            }
            await officer.close()
            await auditor.close()
            await observer.close()
        }
    }

    @Test func aFollowingRunnerAppliesNewEventsAndStopsCleanly() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 100_000_000, reference: "QĐ 1")
            let stop = StopSignal()
            let configuration = database.configuration()
            let following = Task {
                let runner = try await ProjectionRunner.start(configuration: configuration, options: ReadSide.options(batchEvents: 1_000))
                try await runner.follow(configuration: configuration, stop: stop)
                await runner.close()
            }
            try await people.approved("A-1", household: "HH-1", amount: 40_000_000)
            let connection = try await database.connect()
            let head = try await ReadSide.head(connection)
            var caughtUp = false
            for _ in 0..<100 where !caughtUp {
                try await Task.sleep(for: .milliseconds(50))
                caughtUp = try await ReadSide.checkpoints(connection).values.allSatisfy { $0 == head }
            }
            #expect(caughtUp)
            let budget = try await ReadSide.row(connection, "budget_usage", where: "program = $1", [People.program])
            #expect(budget?["available_vnd"] == "60000000")

            // While it follows, a rebuild swaps tables under it: it reloads and goes on.
            _ = try await ProjectionRebuild.run(configuration: configuration, projection: "budget_usage")
            try await people.approved("A-2", household: "HH-2", amount: 10_000_000)
            let newHead = try await ReadSide.head(connection)
            caughtUp = false
            for _ in 0..<100 where !caughtUp {
                try await Task.sleep(for: .milliseconds(50))
                caughtUp = try await ReadSide.checkpoints(connection).values.allSatisfy { $0 == newHead }
            }
            #expect(caughtUp)
            stop.stop()
            try await following.value
            // The lease went with it.
            #expect(try await ProjectionStatus.all(connection).allSatisfy { $0.runnerPID == nil && $0.lagEvents == 0 })
            #expect(try await ReadSide.contents(connection) == (try await ReadSide.foldOfLog(database)))
            await connection.close()
        }
    }
}


@Suite(.enabled(if: TestDatabase.enabled))
struct RestoredWithoutCheckpointsTests {
    /// A restore that left out the checkpoint rows: the runner and a rebuild start the projections
    /// over from position 0 instead of failing, and end equal to the fold of the log.
    @Test func missingCheckpointRowsAreRecreatedAtZero() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 50_000_000, reference: "QĐ 1")
            try await people.approved("A-1", household: "HH-1", amount: 10_000_000)
            try await people.pay("A-1", "P-1", 4_000_000)
            let connection = try await database.connect()
            try await connection.simpleQuery("DELETE FROM ledger_read.checkpoints")

            let runner = try await ProjectionRunner.start(configuration: database.configuration())
            try await runner.catchUp()
            await runner.close()
            let head = try await ReadSide.head(connection)
            #expect(try await ReadSide.checkpoints(connection) == Dictionary(uniqueKeysWithValues: ProjectionCatalog.names.map { ($0, head) }))

            try await connection.simpleQuery("DELETE FROM ledger_read.checkpoints WHERE projection = 'budget_usage'")
            _ = try await ProjectionRebuild.run(configuration: database.configuration(), projections: ["budget_usage"])
            #expect(try await ReadSide.checkpoints(connection)["budget_usage"] == head)
            #expect(try await ReadSide.contents(connection) == (try await ReadSide.foldOfLog(database)))
        }
    }
}

@Suite(.enabled(if: TestDatabase.enabled))
struct StandbyStopTests {
    /// `ledger projections run --follow` waiting as a standby behind another runner stops cleanly
    /// (exit 0) on SIGTERM, as a service manager expects.
    @Test func aStandbyStoppedBeforeTakingOverExitsZero() async throws {
        try await TestDatabase.withFresh { database in
            let holder = try await ProjectionRunner.start(configuration: database.configuration())
            guard let binary = LedgerBinary.url else {
                Issue.record("the ledger binary is built next to the tests")
                return
            }
            try await withScratchFolder { folder in
                let stderrURL = folder.appendingPathComponent("stderr")
                _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
                let process = Process()
                process.executableURL = binary
                process.arguments = ["projections", "run", "--follow"]
                process.environment = database.environment(user: nil)
                process.standardOutput = FileHandle.nullDevice
                process.standardError = try FileHandle(forWritingTo: stderrURL)
                try process.run()
                let deadline = ContinuousClock.now + .seconds(20)
                while !(try String(contentsOf: stderrURL, encoding: .utf8)).contains("waiting as a standby"), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                kill(process.processIdentifier, SIGTERM)
                while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                let messages = try String(contentsOf: stderrURL, encoding: .utf8)
                #expect(!process.isRunning)
                #expect(process.terminationStatus == 0, "\(messages)")
                #expect(messages.contains("stopped while waiting as a standby"), "\(messages)")
            }
            await holder.close()
        }
    }
}
