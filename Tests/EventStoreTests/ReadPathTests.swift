import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// The read paths after their speed-ups: pages read ahead, binary results, hashing from the row's
/// bytes. Same events, same verdicts, a connection that stays usable.
@Suite(.enabled(if: TestDatabase.enabled))
struct ReadPathTests {
    /// 97 events over 5 streams, in appends of 1–4 events, with varied payloads and metadata.
    static func seed(_ store: EventStore) async throws {
        var command = 0
        var position = 0
        while position < 97 {
            let count = min(1 + command % 4, 97 - position)
            let events = try (0..<count).map { index in
                try NewEvent(
                    type: index % 2 == 0 ? "NoteWritten" : "NoteAmended", schemaVersion: 1 + index % 3,
                    payloadJSON: #"{"n": \#(position + index), "text": "Ghi chú số \#(position + index) — \"trích\" \\ đ", "list": [1, 2.50, null]}"#,
                    metadataJSON: command % 3 == 0 ? "{}" : #"{"correlation_id": "corr-\#(command)"}"#
                )
            }
            _ = try await store.append(events, to: StreamID("note-\(command % 5)"), expectedVersion: .any, commandID: "cmd-\(command)")
            position += count
            command += 1
        }
    }

    @Test(arguments: [1, 7, 96, 97, 2_000])
    func readAllSeesEveryEventOnceInOrderWhateverThePageSize(pageSize: Int) async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            try await Self.seed(store)
            var events: [RecordedEvent] = []
            for try await event in store.readAll(pageSize: pageSize) { events.append(event) }
            #expect(events.map(\.position) == Array(1...97))
            #expect(await store.connection.hasPrefetchedPage == false)

            // The same rows decoded from text results, field by field.
            let viaText = try await store.connection.query(
                "SELECT position, stream_id, stream_version, event_type, schema_version, payload, metadata, command_id, recorded_at, prev_hash, hash FROM ledger.events ORDER BY position"
            ) { row in
                RecordedEvent(
                    position: try row.int64(0), streamID: StreamID(try row.string(1)), streamVersion: try row.int64(2),
                    type: try row.string(3), schemaVersion: try row.int(4), payloadJSON: try row.string(5),
                    metadataJSON: try row.string(6), commandID: try row.string(7), recordedAtMicroseconds: try row.timestampMicroseconds(8),
                    previousHash: try row.byteArray(9), hash: try row.byteArray(10)
                )
            }
            #expect(events == viaText)
            #expect(try await store.readPage(after: 40, limit: 5) == Array(viaText[40..<45]))
            #expect(try await store.readStream("note-2") == viaText.filter { $0.streamID == "note-2" })

            // And every stored hash is what the Swift side computes from the event.
            var previous = EventHashing.genesisHash
            for event in events {
                #expect(event.previousHash == previous)
                #expect(EventHashing.hash(of: event, previous: previous) == event.hash)
                previous = event.hash
            }
        }
    }

    @Test(arguments: [1, 5, 32, 97, 2_000])
    func verifyChainChecksEverythingWhateverThePageSize(pageSize: Int) async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            try await Self.seed(store)
            let whole = try await store.verifyChain(pageSize: pageSize)
            #expect(whole.isIntact, "\(whole.problem?.description ?? "")")
            #expect(whole.eventsChecked == 97)
            let part = try await store.verifyChain(from: 33, through: 64, digest: Digest(position: 50, hash: try await Self.hex(store, 50)), pageSize: pageSize)
            #expect(part.isIntact && part.eventsChecked == 32)
            #expect(await store.connection.hasPrefetchedPage == false)
        }
    }

    static func hex(_ store: EventStore, _ position: Int64) async throws -> String {
        try await store.connection.queryOne("SELECT encode(hash, 'hex') FROM ledger.events WHERE position = $1", [position]) { try $0.string(0) }
    }

    /// Tampering on either side of a page boundary is named at its position.
    @Test(arguments: [(4, 32), (32, 32), (33, 32), (97, 32), (60, 7)])
    func anAlteredEventIsNamedAcrossPageBoundaries(position: Int, pageSize: Int) async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.seed(store)
            try await superuser.simpleQuery("""
                SET session_replication_role = replica;
                UPDATE ledger.events SET payload = payload || '{"n": -1}' WHERE position = \(position);
                RESET session_replication_role;
                """)
            let verification = try await store.verifyChain(pageSize: pageSize)
            let problem = try #require(verification.problem)
            #expect(problem.position == Int64(position))
            #expect(problem.kind == .hashMismatch)
            let stream = try await superuser.queryOne("SELECT stream_id, stream_version FROM ledger.events WHERE position = $1", [position]) {
                "stream \(try $0.string(0)), version \(try $0.int64(1))"
            }
            #expect(problem.message.contains(stream), "\(problem.message)")
            #expect(await superuser.hasPrefetchedPage == false)
        }
    }

    @Test func aBrokenLinkIsNamedAtThePositionWhosePreviousHashIsWrong() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.seed(store)
            try await superuser.simpleQuery("""
                SET session_replication_role = replica;
                UPDATE ledger.events SET prev_hash = decode(repeat('ab', 32), 'hex') WHERE position = 41;
                RESET session_replication_role;
                """)
            let problem = try #require(try await store.verifyChain(pageSize: 20).problem)
            #expect(problem.position == 41)
            #expect(problem.kind == .previousHashMismatch)
        }
    }

    @Test func leavingReadAllEarlyLeavesTheConnectionUsable() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            try await Self.seed(store)
            var seen = 0
            for try await _ in store.readAll(pageSize: 10) {
                seen += 1
                if seen == 15 { break }
            }
            // The page after the second one was sent ahead; whatever comes next still works.
            #expect(await store.connection.hasPrefetchedPage)
            let result = try await store.append([try Fixture.event()], to: "note-9", expectedVersion: .noStream, commandID: "after-break")
            #expect(result.firstPosition == 98)
            #expect(try await store.verifyChain().isIntact)

            // A cancelled reader stops and leaves nothing in flight.
            let task = Task {
                var count = 0
                for try await _ in store.readAll(pageSize: 10) {
                    count += 1
                    if count == 25 { withUnsafeCurrentTask { $0?.cancel() } }
                }
                return count
            }
            let count = try await task.value
            #expect(count >= 25 && count <= 30)
            #expect(await store.connection.hasPrefetchedPage == false)
            #expect(try await store.digest().position == 98)
        }
    }

    /// Finding 1 of docs/performance.md: the version lookup is one primary-key probe per stream,
    /// however many streams there are (it was a join that read the whole table below ~5,000).
    @Test func theVersionLookupReadsNoStreamRowItDoesNotNeed() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            // Rows only for the planner to see (not a consistent log): 3,000 streams.
            try await superuser.simpleQuery("""
                INSERT INTO ledger.streams (stream_id, version, created_position, updated_position)
                SELECT 'filler-' || n, 1, 1, 1 FROM generate_series(1, 3000) AS n;
                ANALYZE ledger.streams;
                """)
            // A fresh session plans the function afresh.
            let connection = try await db.connect()
            let store = EventStore(connection: connection)
            for (index, stream) in ["note-1", "filler-17", "note-1"].enumerated() {
                let reads = try await connection.transaction { connection in
                    _ = try connection.query("SELECT ledger.append($1, $2::jsonb)", [
                        "scan-\(index)",
                        #"[{"stream_id": "\#(stream)", "expected_version": "any", "events": [{"type": "T", "schema_version": 1, "payload": {}}]}]"#,
                    ]) { try $0.string(0) }
                    return try connection.queryOne(
                        "SELECT seq_scan, coalesce(seq_tup_read, 0) FROM pg_stat_xact_user_tables WHERE relid = 'ledger.streams'::regclass"
                    ) { (try $0.int64(0), try $0.int64(1)) }
                }
                #expect([reads.0, reads.1] == [0, 0], "append \(index) scanned ledger.streams (seq_scan, seq_tup_read)")
            }
            #expect(try await store.streamVersion("filler-17") == 2)
        }
    }
}
