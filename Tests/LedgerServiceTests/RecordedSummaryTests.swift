import EventStore
import Foundation
@testable import Ledger
import Postgres
import TestSupport
import Testing

/// A retried command prints what was recorded (issue 8): the summary kept with its first event,
/// or — for a command recorded before summaries were kept — the events it recorded.
@Suite(.enabled(if: TestDatabase.enabled))
struct RecordedSummaryTests {
    @Test func theSummaryIsKeptWithTheFirstEventOnly() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            let outcome = try await scenario.admin.allocateBudget(program: Scenario.housing, year: 2024, district: .ninhKieu,
                                                                  amount: 7_000_000, reference: "QĐ 7")
            let connection = try await db.connect()
            let summaries = try await connection.query(
                "SELECT metadata ->> 'summary' FROM ledger.events WHERE position BETWEEN $1 AND $2 ORDER BY position",
                [try #require(outcome.firstPosition), try #require(outcome.lastPosition)]
            ) { $0.isNull(0) ? nil : try $0.string(0) }
            #expect(summaries.first == .some(outcome.summary))
            #expect(summaries.dropFirst().allSatisfy { $0 == nil })
            await connection.close()
        }
    }

    @Test func aCommandRecordedBeforeSummariesWereKeptListsItsEventsOnRetry() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            // As the release before recorded it: the command's kind and digest, no summary.
            let command = LedgerService.BudgetCommand(kind: "allocate", program: Scenario.housing, year: 2024, district: .ninhKieu,
                                                      amount: 7_000_000, reference: "QĐ 7")
            let digest = try LedgerService.contentDigest(command)
            let payload = #"{"program": "NQ12-HOUSING", "fiscal_year": 2024, "district": "ninh-kieu", "amount_vnd": 7000000, "reference": "QĐ 7"}"#
            let old = try await scenario.admin.store.append([StreamAppend(
                stream: StreamID("budget-NQ12-HOUSING-2024-ninh-kieu"), expectedVersion: .any,
                events: [try NewEvent(type: "BudgetAllocated", payloadJSON: payload,
                                      metadataJSON: #"{"command": "allocate", "command_digest": "\#(digest)"}"#)]
            )], commandID: "old-allocate")

            let retry = try await scenario.admin.allocateBudget(program: Scenario.housing, year: 2024, district: .ninhKieu,
                                                                amount: 7_000_000, reference: "QĐ 7", commandID: "old-allocate")
            #expect(retry.alreadyRecorded && retry.eventsAppended == 0 && retry.firstPosition == old.firstPosition)
            #expect(retry.summary.hasPrefix("recorded 1 event: BudgetAllocated on budget-NQ12-HOUSING-2024-ninh-kieu (already recorded by "),
                    "\(retry.summary)")
            #expect(!retry.summary.contains("14,000,000"))
        }
    }
}
