import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Guarantee 2: a reader that checkpoints "last position seen" never skips an event and never
/// sees N+1 before N, even when the appender of N commits after the appender of N+1 started.
@Suite(.enabled(if: TestDatabase.enabled))
struct OrderingTests {
    @Test func aSlowAppenderHoldsBackLaterPositionsAndReadersNeverSkip() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            _ = try await store.append([try Fixture.event()], to: "warm-up", expectedVersion: .any, commandID: "warm-up")

            // A follower that records every position it is given.
            let follower = EventStore(connection: try await db.connect())
            let listener = try await db.connect()
            let seen = Task {
                var positions: [Int64] = []
                for try await event in follower.subscribe(after: 0, listener: listener, pollMilliseconds: 50) {
                    positions.append(event.position)
                    if positions.count == 3 { break }
                }
                return positions
            }

            // The slow appender: its append runs inside a transaction left open.
            let slow = try await db.connect()
            try await slow.simpleQuery("BEGIN")
            let slowBatch = #"[{"stream_id": "slow", "expected_version": "any", "events": [{"type": "Slow", "schema_version": 1, "payload": {}}]}]"#
            _ = try await slow.query("SELECT ledger.append($1, $2::jsonb)", ["slow-1", slowBatch]) { try $0.string(0) }

            // The fast appender starts now and must wait for the slow one's turn to end.
            let fastStore = EventStore(connection: try await db.connect())
            let fast = Task { try await fastStore.append([try Fixture.event("Fast")], to: "fast", expectedVersion: .any, commandID: "fast-1") }

            // While the slow transaction is open, nobody can see position 2 or 3. The looking
            // stops well inside the fast append's wait (ledger.append's lock_timeout, 5 s), however
            // loaded the machine.
            let reader = EventStore(connection: try await db.connect())
            let lookingEnds = ContinuousClock.now + .milliseconds(1_500)
            var looks = 0
            repeat {
                #expect(try await reader.readPage(after: 1).isEmpty)
                looks += 1
                try await Task.sleep(for: .milliseconds(20))
            } while looks < 10 && ContinuousClock.now < lookingEnds
            try await slow.simpleQuery("COMMIT")

            let fastResult = try await fast.value
            #expect(fastResult.firstPosition == 3, "the fast append took its turn after the slow one committed")
            #expect(try await seen.value == [1, 2, 3])
            let types = try await reader.readPage(after: 0).map(\.type)
            #expect(types == ["NoteWritten", "Slow", "Fast"])
            #expect(try await store.verifyChain().isIntact)
        }
    }

    @Test func manyConcurrentWritersProduceAContiguousLogThatAFollowerReadsInOrder() async throws {
        try await TestDatabase.withFresh { db in
            let writers = 4
            let appendsPerWriter = 50
            let follower = EventStore(connection: try await db.connect())
            let listener = try await db.connect()
            let total = writers * appendsPerWriter * 2
            let followed = Task {
                var positions: [Int64] = []
                for try await event in follower.subscribe(after: 0, listener: listener, pollMilliseconds: 100, pageSize: 7) {
                    positions.append(event.position)
                    if positions.count == total { break }
                }
                return positions
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        let store = EventStore(connection: try await db.connect())
                        for index in 0..<appendsPerWriter {
                            _ = try await store.append(try Fixture.events(2), to: "w\(writer)", expectedVersion: .any, commandID: "w\(writer)-\(index)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let positions = try await followed.value
            #expect(positions == Array(1...Int64(total)))
            for writer in 0..<writers {
                #expect(try await follower.readStream("w\(writer)").map(\.streamVersion) == Array(1...Int64(appendsPerWriter * 2)))
            }
        }
    }

    @Test func aLostNotificationOnlyDelaysTheFollower() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            let listener = try await db.connect()
            var iterator = EventStore(connection: try await db.connect())
                .subscribe(after: 0, listener: listener, pollMilliseconds: 100).makeAsyncIterator()
            _ = try await store.append([try Fixture.event()], to: "n-1", expectedVersion: .any, commandID: "n-1")
            #expect(try await iterator.next()?.position == 1)
            // Stop notifications reaching the follower: only the polling fallback remains.
            try await listener.unlisten(EventStore.notificationChannel)
            _ = try await store.append([try Fixture.event()], to: "n-2", expectedVersion: .any, commandID: "n-2")
            #expect(try await iterator.next()?.position == 2)
        }
    }

    @Test func readAllEndsAtTheHeadAndReadsInPages() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            for index in 0..<5 {
                _ = try await store.append(try Fixture.events(5), to: "s-\(index)", expectedVersion: .noStream, commandID: "c-\(index)")
            }
            var positions: [Int64] = []
            for try await event in store.readAll(after: 3, pageSize: 4) { positions.append(event.position) }
            #expect(positions == Array(4...25))
        }
    }
}
