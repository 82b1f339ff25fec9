import EventStore
import Foundation
import Ledger
import Postgres
import TestSupport
import Testing

/// `ledger demo seed` against a real PostgreSQL: a small city year through the command handlers.
@Suite(.enabled(if: TestDatabase.enabled))
struct DemoSeedTests {
    /// Small enough to be quick, large enough for every state (the seed tops up what chance misses).
    static let beneficiaries = 60
    static let key = Array("demo-tests-national-id-key-0123456789".utf8)

    static func seed(_ database: FreshDatabase, seed: UInt64, workers: Int = 2) async throws -> DemoSeedReport {
        try await DemoSeeder(
            configuration: database.configuration(),
            options: DemoSeedOptions(seed: seed, beneficiaries: beneficiaries, workers: workers),
            nationalIDKeyBytes: key
        ).run()
    }

    /// Every event as (stream, version, type, payload), in log order: what must repeat exactly
    /// for the same seed, leaving out times and actors.
    /// The seeded year's events. The demo people's `UserAdded` events are left out: roles are
    /// cluster-wide, so only the first seed on a server creates (and records) them.
    static func events(_ database: FreshDatabase) async throws -> [String] {
        let connection = try await database.connect()
        let rows = try await connection.query(
            """
            SELECT stream_id || ' ' || stream_version || ' ' || event_type || ' ' || payload::text FROM ledger.events
            WHERE stream_id NOT LIKE 'user-%' ORDER BY position
            """
        ) { try $0.string(0) }
        await connection.close()
        return rows
    }

    static func count(_ lines: [DemoCensus.Line], _ name: String) -> Int {
        lines.first { $0.name == name }?.count ?? 0
    }

    @Test func aSmallSeedHasApplicationsInEveryStateLoansAndAnIntactChain() async throws {
        try await TestDatabase.withFresh { database in
            let report = try await Self.seed(database, seed: 7)
            let census = report.census

            for line in census.applications {
                #expect(line.count > 0, "no application is \(line.name)")
            }
            for line in census.loans {
                #expect(line.count > 0, "no loan is \(line.name)")
            }
            #expect(Self.count(census.loans, "settled") == 1)
            #expect(Self.count(census.loans, "written off") == 1)
            for type in [
                "ProgramDefined", "BudgetAllocated", "BudgetAdjusted", "BeneficiaryRegistered", "ApplicationSubmitted",
                "ApplicationApproved", "ApplicationRejected", "ApplicationWithdrawn", "ApplicationClosed", "FundsReserved",
                "FundsReleased", "PaymentRecorded", "PaymentReversed", "LoanDisbursed", "LoanRepaid", "LoanSettled", "LoanWrittenOff",
            ] {
                #expect(Self.count(census.eventsByType, type) > 0, "no \(type) event")
            }
            #expect(report.tally.refusals["duplicateNationalID"] ?? 0 >= 1)
            #expect(report.tally.refusals["overCap"] ?? 0 >= 1)
            #expect(report.tally.eventsAppended == census.events)
            // What the seed says it appended is what the log grew by, the demo people's UserAdded included.
            #expect(report.headAfter - report.headBefore == Int64(report.tally.eventsAppended))
            #expect(!report.nothingNew)

            let connection = try await database.connect()
            let verification = try await EventStore(connection: connection).verifyChain()
            #expect(verification.isIntact, "\(verification.problem.map(String.init(describing:)) ?? "")")
            #expect(verification.eventsChecked == Int64(census.events))

            // Each event names the person who recorded it; officers submit, approvers decide.
            let actors = try await connection.query(
                "SELECT event_type || ' ' || string_agg(DISTINCT metadata ->> 'actor', ',' ORDER BY metadata ->> 'actor') FROM ledger.events "
                    + "WHERE event_type IN ('ApplicationSubmitted', 'ApplicationApproved', 'BudgetAllocated') GROUP BY event_type ORDER BY event_type"
            ) { try $0.string(0) }
            #expect(actors == [
                "ApplicationApproved demo_approver_minh,demo_approver_thu",
                "ApplicationSubmitted demo_officer_hung,demo_officer_lan",
                "BudgetAllocated demo_admin",
            ])
            await connection.close()
        }
    }

    @Test func theSameSeedTwiceAppendsNothingTheSecondTime() async throws {
        try await TestDatabase.withFresh { database in
            let first = try await Self.seed(database, seed: 11)
            let second = try await Self.seed(database, seed: 11)
            #expect(first.tally.eventsAppended > 0)
            #expect(second.nothingNew)
            #expect(second.headAfter == first.headAfter)
            #expect(second.tally.eventsAppended == 0)
            #expect(second.tally.recorded == 0)
            #expect(second.tally.alreadyRecorded > 0)
            #expect(second.peopleCreated.isEmpty)
            #expect(second.census == first.census)
        }
    }

    @Test func anotherSeedOnASeededDatabaseIsRefusedBeforeWritingAnything() async throws {
        try await TestDatabase.withFresh { database in
            let first = try await Self.seed(database, seed: 3)
            let error = await #expect(throws: DemoSeedError.self) {
                _ = try await Self.seed(database, seed: 4)
            }
            #expect(error?.description.contains("run the demo on a database of its own") == true)
            let connection = try await database.connect()
            #expect(try await EventStore(connection: connection).digest().position == first.headAfter)
            await connection.close()
        }
    }

    @Test func differentSeedsMakeDifferentYears() async throws {
        let one = try await TestDatabase.withFresh { database in
            _ = try await Self.seed(database, seed: 1)
            return try await Self.events(database)
        }
        let two = try await TestDatabase.withFresh { database in
            _ = try await Self.seed(database, seed: 2)
            return try await Self.events(database)
        }
        let beneficiaries = { (events: [String]) in events.filter { $0.contains(" BeneficiaryRegistered ") } }
        #expect(beneficiaries(one) != beneficiaries(two))
        #expect(one != two)
    }

    @Test func theSameSeedGivesTheSameEventsInTheSameOrder() async throws {
        let first = try await TestDatabase.withFresh { database in
            _ = try await Self.seed(database, seed: 5, workers: 1)
            return try await Self.events(database)
        }
        let again = try await TestDatabase.withFresh { database in
            _ = try await Self.seed(database, seed: 5, workers: 1)
            return try await Self.events(database)
        }
        #expect(first.count > 300)
        #expect(first == again)

        // With two workers the districts interleave differently, but every stream is the same.
        let concurrent = try await TestDatabase.withFresh { database in
            _ = try await Self.seed(database, seed: 5, workers: 2)
            return try await Self.events(database)
        }
        #expect(concurrent.sorted() == first.sorted())
    }

    @Test func sizesOutsideTheLimitsAreRefusedNamingTheFlag() throws {
        #expect(throws: DomainError.invalidInput(
            field: "--beneficiaries",
            problem: "10 is outside 50…200000 (enough for every state of an application to appear)"
        )) {
            try DemoSeedOptions(seed: 1, beneficiaries: 10).validated()
        }
        #expect(throws: DomainError.invalidInput(field: "--workers", problem: "0 is outside 1…8")) {
            try DemoSeedOptions(seed: 1, beneficiaries: 100, workers: 0).validated()
        }
    }
}
