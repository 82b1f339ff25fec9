import Ledger
import TestSupport
import Testing

/// `LedgerService.recentWork`: what the officer's start page lists as their recent work.
@Suite(.enabled(if: TestDatabase.enabled))
struct RecentWorkTests {
    @Test func itListsOnlyThePersonsOwnEventsNewestFirstWithinTheWindow() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.household("HH-OLD")
            try await scenario.allocate(50_000_000)
            try await scenario.household("HH-NEW")
            let mine = try await scenario.officer.recentWork()
            #expect(mine.map(\.beneficiaryID) == ["HH-NEW", "HH-OLD"], "the officer's registrations, newest first")
            #expect(mine.map(\.type) == ["BeneficiaryRegistered", "BeneficiaryRegistered"])
            #expect(try await scenario.approver.recentWork().isEmpty, "another person's work is not theirs")
            // Only the log's latest events are searched: with a window of one event (the newest),
            // only HH-NEW; the budget allocation between them is the admin's.
            #expect(try await scenario.officer.recentWork(window: 1).map(\.beneficiaryID) == ["HH-NEW"])
            #expect(try await scenario.officer.recentWork(limit: 1).map(\.beneficiaryID) == ["HH-NEW"])
        }
    }
}
