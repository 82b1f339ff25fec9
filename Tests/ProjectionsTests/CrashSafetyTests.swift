import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport
import Testing

/// Real `ledger` processes killed with SIGKILL at random moments — during a rebuild and while
/// following — and restarted: the read models end equal to a fresh fold of the log, with nothing
/// lost or doubled, valid checkpoints and no lease left behind.
@Suite(.enabled(if: TestDatabase.enabled))
struct CrashSafetyTests {
    /// A `ledger` process started in the background (output discarded).
    final class Child {
        let process = Process()
        let startedAt = ContinuousClock.now

        init(_ arguments: [String], environment: [String: String]) throws {
            let executable = try #require(LedgerBinary.url, "the ledger binary is built next to the tests")
            process.executableURL = executable
            process.arguments = arguments
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// SIGKILLs it if it still runs; whether it did.
        func kill() -> Bool {
            guard process.isRunning else { return false }
            return Foundation.kill(process.processIdentifier, SIGKILL) == 0
        }

        /// Waits (at most `seconds`) for it to end; its exit status, or nil if it did not end.
        func exited(within seconds: Double = 30) async throws -> Int32? {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
            while process.isRunning {
                guard ContinuousClock.now < deadline else { return nil }
                try await Task.sleep(for: .milliseconds(5))
            }
            return process.terminationStatus
        }
    }

    /// Projection leases (locks on the ledger_read.lease_* views) held in this database.
    static func leasesHeld(_ connection: PostgresConnection) async throws -> Int {
        try await connection.queryOne("""
            SELECT count(*) FROM \(ProjectionStore.leaseHolders(kind: "'runner'")) r
            """) { try $0.int(0) } + connection.queryOne("""
            SELECT count(*) FROM \(ProjectionStore.leaseHolders(kind: "'rebuild'")) r
            """) { try $0.int(0) }
    }

    /// Waits until the killed process's server sessions have ended and taken its leases with them.
    static func leasesGone(_ connection: PostgresConnection, keeping: Int = 0) async throws -> Bool {
        for _ in 0..<500 {
            if try await leasesHeld(connection) <= keeping { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// The build tables as (name, oid): a rebuild recreates them, so they change when one writes.
    static func buildTables(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            "SELECT c.relname || ':' || c.oid::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'ledger_read_build' ORDER BY 1"
        ) { try $0.string(0) }
    }

    static func generations(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT projection || ':' || generation::text FROM ledger_read.checkpoints ORDER BY 1") { try $0.string(0) }
    }

    /// A runner or a rebuild that has closed has released its leases by then (not only when its
    /// server process exits a moment later), so one started right after is never refused.
    @Test func closingReleasesTheLeasesAtOnce() async throws {
        try await TestDatabase.withFresh { database in
            let observer = try await database.connect()
            for _ in 0..<15 {
                let runner = try await ProjectionRunner.start(configuration: database.configuration())
                #expect(try await Self.leasesHeld(observer) == ProjectionCatalog.names.count)
                await runner.close()
                #expect(try await Self.leasesHeld(observer) == 0)
                _ = try await ProjectionRebuild.run(configuration: database.configuration(), projections: [])
                #expect(try await Self.leasesHeld(observer) == 0)
            }
            await observer.close()
        }
    }

    @Test func killingRebuildsAndFollowersTenTimesEachLosesAndDoublesNothing() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await DemoSeeder(
                configuration: database.configuration(),
                options: DemoSeedOptions(seed: 11, beneficiaries: 150, workers: 2),
                nationalIDKeyBytes: ReadSide.demoKey
            ).run()
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 9_000_000_000, reference: "QĐ crash")
            let environment = database.environment()
            let observer = try await database.connect()
            var random = SystemRandomNumberGenerator()
            var log: [String] = []

            // Appends go on throughout: applications approved, paid, some payments returned.
            let appendingStop = StopSignal()
            let appending = Task {
                var index = 0
                while !appendingStop.isStopped {
                    index += 1
                    try await people.approved("CR-\(index)", household: "CRH-\(index)", amount: 2_000_000)
                    try await people.pay("CR-\(index)", "CRP-\(index)", 1_500_000)
                    if index % 3 == 0 {
                        _ = try await people.officer.reversePayment(paymentID: "CRP-\(index)", reason: "account closed", reversedOn: People.date("2024-03-20"))
                    }
                }
                return index
            }

            // 1. Rebuilds, while an in-process runner follows the live tables (the swap moves its
            // checkpoint under it). A complete rebuild first, to learn how long one takes.
            let followStop = StopSignal()
            let configuration = database.configuration()
            let following = Task {
                let runner = try await ProjectionRunner.start(configuration: configuration, options: ReadSide.options(batchEvents: 25))
                try await runner.follow(configuration: configuration, stop: followStop)
                await runner.close()
            }
            let timed = try Child(["projections", "rebuild"], environment: environment)
            #expect(try await timed.exited() == 0)
            let rebuildMilliseconds = max(Int((ContinuousClock.now - timed.startedAt) / .milliseconds(1)), 20)
            log.append("a whole rebuild took \(rebuildMilliseconds) ms")
            var kills = 0
            var attempts = 0
            while kills < 10, attempts < 60 {
                attempts += 1
                let buildTables = try await Self.buildTables(observer)
                let generations = try await Self.generations(observer)
                let child = try Child(["projections", "rebuild"], environment: environment)
                // A third of the kills come at a random moment of a whole rebuild's time; a third a
                // random moment after its new build tables appear (folded, writing, catching up or
                // swapping); a third right after its first swap (the others not swapped yet).
                var moment = "at random"
                var range = 0...rebuildMilliseconds
                if attempts % 3 != 1 {
                    let afterSwap = attempts % 3 == 0
                    for _ in 0..<1_000 where child.process.isRunning {
                        let now = afterSwap ? try await Self.generations(observer) : try await Self.buildTables(observer)
                        if now != (afterSwap ? generations : buildTables) { break }
                        try await Task.sleep(for: .milliseconds(1))
                    }
                    moment = afterSwap ? "after its first swap" : "after its build tables appeared"
                    range = afterSwap ? 0...2 : 0...40
                }
                let delay = Int.random(in: range, using: &random)
                try await Task.sleep(for: .milliseconds(delay))
                let killed = child.kill()
                _ = try await child.exited()
                if killed {
                    kills += 1
                    let generationsAfter = try await Self.generations(observer)
                    let swapped = generationsAfter != generations
                    log.append("rebuild killed \(delay) ms \(moment)\(swapped ? " (had swapped some tables)" : "")")
                }
                // The killed session ends, and its lease with it (the follower keeps one per projection).
                #expect(try await Self.leasesGone(observer, keeping: ProjectionCatalog.all.count), "\(log)")
            }
            #expect(kills == 10, "\(log)")
            #expect(log.contains { $0.contains("after its build tables appeared") }, "\(log)")
            let finalRebuild = try await LedgerBinary.run(["projections", "rebuild"], environment: environment)
            #expect(finalRebuild.status == 0, "\(finalRebuild)")
            followStop.stop()
            try await following.value
            #expect(try await Self.leasesGone(observer), "\(log)")

            // 2. Followers (`run --follow`, small batches) killed while appends go on; each
            // restart replays the log and goes on from the last committed checkpoint.
            kills = 0
            attempts = 0
            while kills < 10, attempts < 60 {
                attempts += 1
                let before = try await ReadSide.checkpoints(observer)
                let child = try Child(["projections", "run", "--follow", "--batch-events", "20", "--poll-ms", "100"], environment: environment)
                // Every other kill at a random moment; the others a random moment after it
                // committed a batch (so mostly while it writes the next ones).
                var moment = "at random"
                if attempts % 2 == 0 {
                    for _ in 0..<1_000 where child.process.isRunning {
                        let now = try await ReadSide.checkpoints(observer)
                        if now != before { break }
                        try await Task.sleep(for: .milliseconds(2))
                    }
                    moment = "after it committed"
                }
                let delay = Int.random(in: attempts % 2 == 0 ? 0...30 : 50...700, using: &random)
                try await Task.sleep(for: .milliseconds(delay))
                let killed = child.kill()
                _ = try await child.exited()
                if killed {
                    kills += 1
                    let after = try await ReadSide.checkpoints(observer)
                    let moved = after != before
                    log.append("follower killed \(delay) ms \(moment)\(moved ? " (had committed)" : "")")
                }
                #expect(try await Self.leasesGone(observer), "\(log)")
            }
            #expect(kills == 10, "\(log)")
            #expect(log.contains { $0.hasPrefix("follower") && $0.contains("(had committed)") }, "\(log)")
            appendingStop.stop()
            let applicationsAppended = try await appending.value
            #expect(applicationsAppended > 0)

            // 3. Catch up once more; then the tables must equal a fresh fold of the whole log.
            let run = try await LedgerBinary.run(["projections", "run"], environment: environment)
            #expect(run.status == 0, "\(run)")
            let head = try await ReadSide.head(observer)
            let checkpoints = try await observer.query("SELECT projection, position, generation FROM ledger_read.checkpoints") {
                (try $0.string(0), try $0.int64(1), try $0.int64(2))
            }
            #expect(Set(checkpoints.map(\.0)) == Set(ProjectionCatalog.names))
            for (name, position, generation) in checkpoints {
                #expect(position == head, "\(name)")
                // The timed rebuild and the final one swapped at least.
                #expect(generation >= 2, "\(name)")
            }
            let contents = try await ReadSide.contents(observer)
            #expect(contents == (try await ReadSide.foldOfLog(database)), "\(log)")
            // Independently of the folds: one row per application submitted, nothing doubled.
            let submitted = try await observer.queryOne("SELECT count(*) FROM ledger.events WHERE event_type = 'ApplicationSubmitted'") { try $0.int(0) }
            #expect(contents["applications"]?.count == submitted)
            let reconcile = try await LedgerBinary.run(["audit", "reconcile", "--format", "json"], environment: environment)
            #expect(reconcile.status == 0, "\(reconcile)")
            let result = try JSONDecoder().decode(Reconciliation.self, from: Data(reconcile.stdout.utf8))
            #expect(result.isEqual && result.projections.allSatisfy { $0.behindHead == 0 && $0.rowsCompared > 0 })
            #expect(try await Self.leasesHeld(observer) == 0)
            // The last rebuild swapped every build table in: none left behind (the shape_ copies of migration 10 stay).
            #expect(try await observer.queryOne("SELECT count(*) FROM pg_tables WHERE schemaname = 'ledger_read_build' AND tablename NOT LIKE 'shape\\_%'") { try $0.int(0) } == 0)
            await observer.close()
        }
    }
}
