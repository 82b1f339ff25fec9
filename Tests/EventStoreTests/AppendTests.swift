import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

@Suite(.enabled(if: TestDatabase.enabled))
struct AppendTests {
    @Test func appendedEventsReadBackInOrderWithVersionsAndPositions() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            let first = try await store.append(try Fixture.events(3), to: "note-1", expectedVersion: .noStream, commandID: "c-1")
            #expect(first.firstPosition == 1 && first.lastPosition == 3)
            #expect(first.streams == [.init(streamID: "note-1", version: 3, firstPosition: 1)])
            #expect(!first.replayed)
            let second = try await store.append([try Fixture.event()], to: "note-2", expectedVersion: .any, commandID: "c-2")
            #expect(second.firstPosition == 4)

            let stream = try await store.readStream("note-1")
            #expect(stream.map(\.streamVersion) == [1, 2, 3])
            #expect(stream.map(\.position) == [1, 2, 3])
            #expect(stream[1].payloadJSON == #"{"n": 1}"#)
            #expect(stream.allSatisfy { $0.commandID == "c-1" && $0.type == "NoteWritten" && $0.schemaVersion == 1 })
            #expect(try await store.streamVersion("note-1") == 3)
            #expect(try await store.streamVersion("missing") == 0)

            var positions: [Int64] = []
            for try await event in store.readAll(pageSize: 2) { positions.append(event.position) }
            #expect(positions == [1, 2, 3, 4])
            #expect(try await store.readStream("note-1", from: 3).map(\.streamVersion) == [3])
        }
    }

    @Test func recordingTimeIsSetByTheDatabaseAndNeverDecreases() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            let before = Int64(Date().timeIntervalSince1970 * 1_000_000)
            for index in 0..<5 {
                _ = try await store.append([try Fixture.event()], to: "note-\(index)", expectedVersion: .any, commandID: Fixture.commandID())
            }
            let events = try await store.readPage(after: 0)
            let times = events.map(\.recordedAtMicroseconds)
            #expect(times == times.sorted())
            // Loose bound: the server clock and ours agree to within a minute.
            #expect(abs(times[0] - before) < 60_000_000)
        }
    }

    @Test(arguments: [
        (ExpectedVersion.noStream, false, true),
        (ExpectedVersion.streamExists, false, false),
        (ExpectedVersion.exactly(0), false, true),
        (ExpectedVersion.any, false, true),
        (ExpectedVersion.noStream, true, false),
        (ExpectedVersion.streamExists, true, true),
        (ExpectedVersion.exactly(2), true, true),
        (ExpectedVersion.exactly(1), true, false),
        (ExpectedVersion.exactly(3), true, false),
        (ExpectedVersion.any, true, true),
    ])
    func expectedVersionIsCheckedInEveryForm(expected: ExpectedVersion, streamExists: Bool, accepted: Bool) async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            if streamExists {
                _ = try await store.append(try Fixture.events(2), to: "s-1", expectedVersion: .noStream, commandID: "setup")
            }
            let before = try await Fixture.snapshot(store.connection)
            do {
                let result = try await store.append([try Fixture.event()], to: "s-1", expectedVersion: expected, commandID: "probe")
                #expect(accepted, "append with \(expected) should have been refused")
                #expect(result.streams[0].version == (streamExists ? 3 : 1))
            } catch let error as EventStoreError {
                #expect(!accepted, "append with \(expected) was refused: \(error.message)")
                #expect(error.code == .versionConflict)
                #expect(error.message.contains("s-1"))
                #expect(try await Fixture.snapshot(store.connection) == before)
            }
        }
    }

    @Test func twoWritersWithTheSameExpectedVersionExactlyOneWins() async throws {
        try await TestDatabase.withFresh { db in
            let setup = EventStore(connection: try await db.connect())
            _ = try await setup.append([try Fixture.event()], to: "order-A1", expectedVersion: .noStream, commandID: "submit")
            // Many rounds of a real race between two connections.
            for round in 0..<20 {
                let writers = [EventStore(connection: try await db.connect()), EventStore(connection: try await db.connect())]
                let version = try await setup.streamVersion("order-A1")
                let outcomes = await withTaskGroup(of: EventStoreError.Code?.self) { group in
                    for (index, writer) in writers.enumerated() {
                        group.addTask {
                            do {
                                _ = try await writer.append(
                                    [try Fixture.event("Paid", #"{"round": \#(round), "writer": \#(index)}"#)],
                                    to: "order-A1", expectedVersion: .exactly(version), commandID: "r\(round)-w\(index)"
                                )
                                return nil
                            } catch {
                                return EventStoreError.Code.of(error) ?? .database
                            }
                        }
                    }
                    var results: [EventStoreError.Code?] = []
                    for await outcome in group { results.append(outcome) }
                    return results
                }
                #expect(outcomes.filter { $0 == nil }.count == 1, "round \(round): \(outcomes)")
                #expect(outcomes.filter { $0 == .versionConflict }.count == 1, "round \(round): \(outcomes)")
                #expect(try await setup.streamVersion("order-A1") == version + 1)
            }
            #expect(try await setup.readStream("order-A1").count == 21)
            #expect(try await Fixture.positionsAreContiguous(setup.connection))
        }
    }

    @Test func multiStreamAppendIsAllOrNothing() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            _ = try await store.append([try Fixture.event()], to: "account-1", expectedVersion: .noStream, commandID: "allocate")
            let before = try await Fixture.snapshot(store.connection)
            // The second stream's expectation is stale: neither stream may change.
            await #expect(throws: EventStoreError.self) {
                _ = try await store.append([
                    StreamAppend(stream: "order-9", expectedVersion: .noStream, events: [try Fixture.event("OrderApproved")]),
                    StreamAppend(stream: "account-1", expectedVersion: .exactly(0), events: [try Fixture.event("FundsHeld")]),
                ], commandID: "approve")
            }
            #expect(try await Fixture.snapshot(store.connection) == before)
            #expect(try await store.streamVersion("order-9") == 0)

            let result = try await store.append([
                StreamAppend(stream: "order-9", expectedVersion: .noStream, events: [try Fixture.event("OrderApproved")]),
                StreamAppend(stream: "account-1", expectedVersion: .exactly(1), events: try Fixture.events(2, type: "FundsHeld")),
            ], commandID: "approve")
            #expect(result.firstPosition == 2 && result.lastPosition == 4)
            #expect(result.streams.map(\.streamID) == ["order-9", "account-1"])
            #expect(result.streams.map(\.version) == [1, 3])
            #expect(result.streams.map(\.firstPosition) == [2, 3])
        }
    }

    @Test func failedAppendsLeaveNoTraceAndPositionsStayContiguous() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            _ = try await store.append(try Fixture.events(2), to: "s-1", expectedVersion: .noStream, commandID: "ok-1")
            let before = try await Fixture.snapshot(store.connection)
            let oversized = String(repeating: "x", count: 70_000)
            let failures: [[StreamAppend]] = [
                // A conflict on the last stream of a batch.
                [StreamAppend(stream: "s-2", expectedVersion: .any, events: try Fixture.events(3)),
                 StreamAppend(stream: "s-1", expectedVersion: .exactly(7), events: try Fixture.events(1))],
                // A bad event in the middle of a batch.
                [StreamAppend(stream: "s-3", expectedVersion: .any, events: [
                    try Fixture.event(), try Fixture.event("Big", #"{"blob": "\#(oversized)"}"#), try Fixture.event(),
                ])],
                // An invalid stream id after a valid one.
                [StreamAppend(stream: "s-4", expectedVersion: .any, events: try Fixture.events(1)),
                 StreamAppend(stream: "bad stream!", expectedVersion: .any, events: try Fixture.events(1))],
            ]
            for (index, batch) in failures.enumerated() {
                await #expect(throws: EventStoreError.self, "failure \(index)") {
                    _ = try await store.append(batch, commandID: "bad-\(index)")
                }
                #expect(try await Fixture.snapshot(store.connection) == before, "failure \(index) left a trace")
            }
            let next = try await store.append([try Fixture.event()], to: "s-5", expectedVersion: .any, commandID: "ok-2")
            #expect(next.firstPosition == before.headPosition + 1)
            #expect(try await Fixture.positionsAreContiguous(store.connection))
            #expect(try await store.verifyChain().isIntact)
        }
    }

    @Test func retryingACommandReturnsTheOriginalResultAndAppendsNothing() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            let batch = [StreamAppend(stream: "payment-P1", expectedVersion: .noStream, events: [try Fixture.event("TransferRecorded", #"{"amount_vnd": 5000000}"#)])]
            let original = try await store.append(batch, commandID: "pay-P1")
            _ = try await store.append([try Fixture.event()], to: "other", expectedVersion: .any, commandID: "other")
            let before = try await Fixture.snapshot(store.connection)

            let retry = try await store.append(batch, commandID: "pay-P1")
            #expect(retry.replayed)
            #expect(retry.firstPosition == original.firstPosition && retry.lastPosition == original.lastPosition)
            #expect(retry.streams == original.streams)
            // A retry after the writer reloaded carries a fresher expectation: still the same command.
            let reloaded = [StreamAppend(stream: "payment-P1", expectedVersion: .exactly(1), events: batch[0].events)]
            #expect(try await store.append(reloaded, commandID: "pay-P1").firstPosition == original.firstPosition)
            #expect(try await Fixture.snapshot(store.connection) == before)

            let different = [StreamAppend(stream: "payment-P1", expectedVersion: .any, events: [try Fixture.event("TransferRecorded", #"{"amount_vnd": 6000000}"#)])]
            do {
                _ = try await store.append(different, commandID: "pay-P1")
                Issue.record("a different command under the same id was accepted")
            } catch let error as EventStoreError {
                #expect(error.code == .idempotencyMismatch)
                #expect(error.message.contains("pay-P1"))
            }
            #expect(try await Fixture.snapshot(store.connection) == before)
        }
    }

    @Test func concurrentRetriesOfOneCommandRecordItOnce() async throws {
        try await TestDatabase.withFresh { db in
            let writers = try await withThrowingTaskGroup(of: EventStore.self) { group in
                for _ in 0..<4 { group.addTask { EventStore(connection: try await db.connect()) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let event = try Fixture.event("TransferRecorded", #"{"amount_vnd": 1000}"#)
            let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
                for writer in writers {
                    group.addTask { try await writer.append([event], to: "payment-X", expectedVersion: .any, commandID: "pay-X") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { !$0.replayed }.count == 1)
            #expect(Set(results.map(\.firstPosition)) == [1])
            #expect(try await Fixture.snapshot(writers[0].connection).events == 1)
        }
    }
}
