import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// `ledger.append` carries out a batch of one event on its lean path (0020_lean_append.sql) and
/// hands every other batch to the general path, `ledger.append_batch` (0004). The same calls,
/// made through each path on two fresh ledgers, give the same answers, the same errors word for
/// word, the same stored rows and command hashes, and a chain and Merkle tree that recompute
/// from the stored rows by the one definition each.
@Suite(.enabled(if: TestDatabase.enabled))
struct LeanAppendTests {
    static func batch(_ stream: String, _ expected: String, _ event: String) -> String {
        #"[{"stream_id": "\#(stream)", "expected_version": \#(expected), "events": [\#(event)]}]"#
    }

    static let note = #"{"type": "NoteWritten", "schema_version": 1, "payload": {"text": "xin chào", "n": 1}}"#
    static let other = #"{"type": "NoteWritten", "schema_version": 1, "payload": {"text": "khác"}}"#

    /// (command id, batch), in order; each outcome depends on the ones before it.
    static let calls: [(String, String)] = [
        ("c-1", batch("note-1", #""no_stream""#,
                      #"{"type": "NoteWritten", "schema_version": 1, "payload": {"text": "a\nb \"q\""}, "metadata": {"actor": "mallory", "command_id": "forged", "trace": "t-1"}}"#)),
        ("c-2", batch("note-1", "1", note)),
        ("c-3", batch("note-1", #""stream_exists""#, note)),
        ("c-4", batch("note-1", #""any""#, note)),
        ("c-5", batch("note-2", #""any""#, #"{"type": "NoteWritten", "schema_version": 1.0, "payload": {}, "metadata": {}}"#)),
        ("c-6", batch("note-2", "1.0", note)),
        ("c-2", batch("note-1", #""any""#, note)),                 // a retry: the recorded answer, replayed
        ("c-2", batch("note-1", "1", other)),                      // LI001: other content
        ("c-7", batch("note-1", "9", note)),                       // LV001: behind
        ("c-8", batch("note-1", #""no_stream""#, note)),           // LV001: exists
        ("c-9", batch("note-3", #""stream_exists""#, note)),       // LV001: does not exist
        ("c-10", batch("note-3", "0", note)),                      // 0 = no stream: accepted
        ("c-11", batch("note-3", #""later""#, note)),              // LB007, named by the general path
        ("c-12", batch("note-4", #""any""#, #"{"type": "NoteWritten", "schema_version": 1, "payload": []}"#)),
        ("bad id!", batch("note-4", #""any""#, note)),             // LB008
        ("c-13", batch("application-A1", #""any""#, note)),        // LS001: not a domain type on a domain stream
        ("c-14", batch("note-4", #""any""#, #"{"type": "NoteWritten", "schema_version": 1, "payload": {}, "metadata": {"m": "\#(String(repeating: "x", count: 8_190))"}}"#)),
        ("c-15", #"[{"stream_id": "note-5", "expected_version": "any", "events": [\#(note), \#(other)]}]"#),  // two events: general
        ("c-16", batch("note-5", "2", note)),
    ]

    /// What a caller sees: the answer without its recording time, or the error's code, message and detail.
    static func outcomes(_ function: String, _ connection: PostgresConnection) async throws -> [String] {
        var seen: [String] = []
        for (command, batch) in calls {
            do {
                let answer = try await connection.queryOne(
                    "SELECT (ledger.\(function)($1, $2::jsonb) - 'recorded_at_micros')::text", [command, batch]
                ) { try $0.string(0) }
                seen.append(answer)
            } catch let error as PostgresError {
                seen.append("\(error.code.rawValue) \(error.message) \(error.detail ?? "")")
            }
        }
        return seen
    }

    /// Everything stored that does not depend on the recording time, as text.
    static func stored(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            SELECT format('%s %s %s %s %s %s %s %s', e.position, e.stream_id, e.stream_version, e.event_type,
                          e.schema_version, e.payload, e.metadata, e.command_id) FROM ledger.events e
            UNION ALL
            SELECT format('command %s %s %s %s', c.command_id, encode(c.request_hash, 'hex'), c.result - 'recorded_at_micros', c.actor)
            FROM ledger.commands c
            UNION ALL
            SELECT format('stream %s %s %s %s', s.stream_id, s.version, s.created_position, s.updated_position) FROM ledger.streams s
            UNION ALL
            SELECT format('head %s', h.last_position) FROM ledger.head h
            UNION ALL
            SELECT format('nodes %s %s', m.level, count(*)) FROM ledger.merkle_nodes m GROUP BY m.level
            ORDER BY 1
            """) { try $0.string(0) }
    }

    /// Chain hashes, the head, the leaves and every parent node, recomputed from the stored rows.
    static func problems(_ connection: PostgresConnection) async throws -> Int64 {
        try await connection.queryOne("""
            SELECT (SELECT count(*) FROM ledger.events e
                    WHERE e.hash <> ledger.event_hash(e.prev_hash, ledger.event_canonical_text(
                              e.position, e.stream_id, e.stream_version, e.event_type, e.schema_version,
                              (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.payload, e.metadata))
                       OR e.prev_hash <> coalesce((SELECT p.hash FROM ledger.events p WHERE p.position = e.position - 1),
                                                  decode(repeat('00', 32), 'hex')))
                 + (SELECT count(*) FROM ledger.head h
                    WHERE h.last_hash <> (SELECT e.hash FROM ledger.events e WHERE e.position = h.last_position))
                 + (SELECT count(*) FROM ledger.events e
                    WHERE NOT EXISTS (SELECT 1 FROM ledger.merkle_nodes m
                                      WHERE m.level = 0 AND m.idx = e.position - 1 AND m.hash = ledger.event_leaf_hash(e)))
                 + (SELECT count(*) FROM ledger.merkle_nodes p
                    WHERE p.level > 0 AND p.hash IS DISTINCT FROM (
                        SELECT sha256('\\x01'::bytea || l.hash || r.hash)
                        FROM ledger.merkle_nodes l, ledger.merkle_nodes r
                        WHERE l.level = p.level - 1 AND l.idx = 2 * p.idx AND r.level = p.level - 1 AND r.idx = 2 * p.idx + 1))
                 + (SELECT count(*) FROM ledger.merkle_nodes m WHERE m.level = 0)
                 - (SELECT count(*) FROM ledger.events)
            """) { try $0.int64(0) }
    }

    @Test func theLeanPathAndTheGeneralPathAgreeOnTheSameCalls() async throws {
        try await TestDatabase.withFresh { lean in
            try await TestDatabase.withFresh { general in
                let viaLean = try await lean.connect()
                let viaGeneral = try await general.connect()
                let leanOutcomes = try await Self.outcomes("append", viaLean)
                let generalOutcomes = try await Self.outcomes("append_batch", viaGeneral)
                #expect(leanOutcomes == generalOutcomes)
                // The calls above cover answers, a replay, and each kind of refusal.
                #expect(leanOutcomes.filter { $0.hasPrefix("{") }.count == 10)
                #expect(leanOutcomes.contains { $0.contains(#""replayed": true"#) })
                for code in ["LI001", "LV001", "LB007", "LB005", "LB008", "LS001", "LB006"] {
                    #expect(leanOutcomes.contains { $0.hasPrefix(code) }, "\(code)")
                }
                #expect(try await Self.stored(viaLean) == Self.stored(viaGeneral))
                #expect(try await Self.problems(viaLean) == 0)
                #expect(try await Self.problems(viaGeneral) == 0)
                // The server's metadata replaced the client's actor and command id.
                let metadata = try await viaLean.queryOne("SELECT metadata::text FROM ledger.events WHERE position = 1") { try $0.string(0) }
                #expect(metadata.contains(#""command_id": "c-1""#) && !metadata.contains("mallory") && metadata.contains(#""trace": "t-1""#))
            }
        }
    }

    /// Many lean appends in a row grow the tree through sizes with every pattern of trailing set
    /// bits; its nodes are those the general path's trigger builds for the same log.
    @Test func theTreeTheLeanPathBuildsIsTheTreeTheTriggerBuilds() async throws {
        try await TestDatabase.withFresh { db in
            let connection = try await db.connect()
            for n in 1...70 {
                let batch = Self.batch("tree-\(n % 3)", #""any""#, Self.note)
                _ = try await connection.queryOne("SELECT ledger.append($1, $2::jsonb)::text", ["t-\(n)", batch]) { try $0.string(0) }
                if n % 10 == 0 {  // the general path now and then, interleaved
                    let two = #"[{"stream_id": "tree-g", "expected_version": "any", "events": [\#(Self.note), \#(Self.other)]}]"#
                    _ = try await connection.queryOne("SELECT ledger.append($1, $2::jsonb)::text", ["g-\(n)", two]) { try $0.string(0) }
                }
            }
            #expect(try await Self.problems(connection) == 0)
            // Every complete subtree is stored: 84 leaves (70 lean appends, 7 of two events) make 42 + 21 + 10 + 5 + 2 + 1 parents.
            let nodes = try await connection.queryOne("SELECT count(*) FROM ledger.merkle_nodes") { try $0.int64(0) }
            #expect(nodes == 84 + 42 + 21 + 10 + 5 + 2 + 1)
        }
    }

    /// Four writers append one event at a time (the lean path) to shared streams at once: the
    /// turn taken without waiting when free and waited for otherwise still gives gapless
    /// positions, each stream's versions in order, and a chain and tree that recompute.
    @Test func concurrentOneEventAppendsKeepTheLogGaplessAndTheTreeWhole() async throws {
        try await TestDatabase.withFresh { db in
            let writers = 4
            let appendsPerWriter = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        let store = EventStore(connection: try await db.connect())
                        for index in 0..<appendsPerWriter {
                            _ = try await store.append([try Fixture.event()], to: StreamID("shared-\(index % 3)"), expectedVersion: .any,
                                                       commandID: "w\(writer)-\(index)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let connection = try await db.connect()
            #expect(try await Fixture.positionsAreContiguous(connection))
            #expect(try await Fixture.snapshot(connection).events == Int64(writers * appendsPerWriter))
            let store = EventStore(connection: connection)
            for stream in 0..<3 {
                let versions = try await store.readStream(StreamID("shared-\(stream)")).map(\.streamVersion)
                #expect(versions == Array(1...Int64(versions.count)), "shared-\(stream)")
            }
            #expect(try await Self.problems(connection) == 0)
        }
    }

    /// Two writers race for the same version of one stream, round after round: exactly one of
    /// them gets it each time, the other is told of the conflict, and nothing of its call is kept.
    @Test func racingOneEventAppendsOnOneVersionLetExactlyOneThrough() async throws {
        try await TestDatabase.withFresh { db in
            let rounds = 25
            let stores = [EventStore(connection: try await db.connect()), EventStore(connection: try await db.connect())]
            for round in 0..<rounds {
                let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for (side, store) in stores.enumerated() {
                        group.addTask {
                            do {
                                _ = try await store.append([try Fixture.event()], to: "contested", expectedVersion: .exactly(Int64(round)),
                                                           commandID: "r\(round)-\(side)")
                                return true
                            } catch let error as EventStoreError where error.code == .versionConflict {
                                return false
                            }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1, "round \(round): \(outcomes)")
            }
            let connection = try await db.connect()
            #expect(try await Fixture.snapshot(connection).events == Int64(rounds))
            #expect(try await Fixture.snapshot(connection).commands == Int64(rounds))
            #expect(try await Self.problems(connection) == 0)
        }
    }

    /// What a writer with psql and their own login could try around the lean path: call the
    /// general body directly, write a leaf ahead of an event, or switch planner settings. The
    /// first two are refused by PostgreSQL's privileges; the setting does not reach inside.
    @Test func aWriterCannotCallTheGeneralBodyOrWriteTheTree() async throws {
        try await TestDatabase.withFresh { db in
            let writer = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_writer"))
            let batch = Self.batch("note-1", #""any""#, Self.note)
            for attack in ["SELECT ledger.append_batch('a-1', $1::jsonb)::text",
                           "INSERT INTO ledger.merkle_nodes (level, idx, hash) SELECT 0, 0, sha256($1::bytea) RETURNING 'x'"] {
                do {
                    _ = try await writer.queryOne(attack, [batch]) { try $0.string(0) }
                    Issue.record("accepted: \(attack)")
                } catch let error as PostgresError {
                    #expect(error.code == .insufficientPrivilege, "\(attack): \(error)")
                }
            }
            // A session's own settings do not change what the lean path writes.
            try await writer.simpleQuery("SET enable_seqscan = on; SET enable_indexscan = off; SET plan_cache_mode = force_custom_plan")
            for n in 1...5 {
                _ = try await writer.queryOne("SELECT ledger.append($1, $2::jsonb)::text", ["s-\(n)", batch]) { try $0.string(0) }
            }
            let superuser = try await db.connect()
            #expect(try await Fixture.snapshot(superuser).events == 5)
            #expect(try await Self.problems(superuser) == 0)
        }
    }
}
