import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// The exact messages of bad input, as the append function worded them before its quick check
/// was added (captured from that version): the quick check decides only whether the detailed
/// checks run, never what they say. One case per detailed check, in the order they are tried.
@Suite(.enabled(if: TestDatabase.enabled))
struct BadInputMessageTests {
    static let event = #"{"type": "T", "schema_version": 1, "payload": {}}"#

    static func entry(_ stream: String = "s", expected: String = #""any""#, events: String = event) -> String {
        #"{"stream_id": "\#(stream)", "expected_version": \#(expected), "events": [\#(events)]}"#
    }

    static func oneEvent(_ event: String) -> String { "[\(entry(events: event))]" }

    static let cases: [(batch: String, sqlState: String, message: String)] = [
        ("[\(entry()), 7]", "LB009", "batch[1]: must be a JSON object"),
        (#"[{"stream_id": "s", "expected_version": "any", "events": [\#(event)], "zeta": 1, "alpha": 2}]"#,
         "LB009", #"batch[0]: unknown key "alpha" (allowed: stream_id, expected_version, events)"#),
        (#"[{"expected_version": "any", "events": [\#(event)]}]"#, "LB009", "batch[0].stream_id: missing"),
        (#"[{"stream_id": 12, "expected_version": "any", "events": [\#(event)]}]"#, "LB003", "batch[0].stream_id: must be a string, got 12"),
        ("[\(entry(String(repeating: "a", count: 201)))]", "LB003", "batch[0].stream_id: is 201 characters, the limit is 200"),
        ("[\(entry()), \(entry("t")), \(entry(expected: "1"))]", "LB009",
         #"batch[2].stream_id: stream "s" is listed twice (also batch[0]); put all its events in one entry"#),
        (#"[{"stream_id": "s", "events": [\#(event)]}]"#, "LB009", "batch[0].expected_version: missing"),
        ("[\(entry(expected: "1.5"))]", "LB007",
         #"batch[0].expected_version: must be "any", "no_stream", "stream_exists" or an integer >= 0, got 1.5"#),
        ("[\(entry(expected: "9223372036854775808"))]", "LB007",
         #"batch[0].expected_version: must be "any", "no_stream", "stream_exists" or an integer >= 0, got 9223372036854775808"#),
        ("[\(entry(expected: "null"))]", "LB007",
         #"batch[0].expected_version: must be "any", "no_stream", "stream_exists" or an integer >= 0, got null"#),
        (#"[{"stream_id": "s", "expected_version": "any", "events": {}}]"#, "LB009", "batch[0].events: must be a JSON array"),
        ("[\(entry(events: Array(repeating: event, count: 600).joined(separator: ","))), \(entry("t", events: Array(repeating: event, count: 401).joined(separator: ",")))]",
         "LB002", "batch[1].events: brings the batch to 1001 events, the limit is 1000 (max_events_per_append)"),
        (oneEvent(#"\#(event), "x""#), "LB009", "batch[0].events[1]: must be a JSON object"),
        (oneEvent(#"{"type": "T", "schema_version": 1, "payload": {}, "Type": 1}"#), "LB009",
         #"batch[0].events[0]: unknown key "Type" (allowed: type, schema_version, payload, metadata)"#),
        (oneEvent(#"{"schema_version": 1, "payload": {}}"#), "LB009", "batch[0].events[0].type: missing"),
        (oneEvent(#"{"type": ["T"], "schema_version": 1, "payload": {}}"#), "LB004", #"batch[0].events[0].type: must be a string, got ["T"]"#),
        (oneEvent(#"{"type": "\#(String(repeating: "T", count: 101))", "schema_version": 1, "payload": {}}"#), "LB004",
         "batch[0].events[0].type: is 101 characters, the limit is 100"),
        (oneEvent(#"{"type": "T", "payload": {}}"#), "LB009", "batch[0].events[0].schema_version: missing"),
        (oneEvent(#"{"type": "T", "schema_version": "1", "payload": {}}"#), "LB009",
         #"batch[0].events[0].schema_version: must be a positive integer, got "1""#),
        (oneEvent(#"{"type": "T", "schema_version": 2147483648, "payload": {}}"#), "LB009",
         "batch[0].events[0].schema_version: must be a positive integer, got 2147483648"),
        (oneEvent(#"{"type": "T", "schema_version": 1}"#), "LB009", "batch[0].events[0].payload: missing"),
        (oneEvent(#"{"type": "T", "schema_version": 1, "payload": null}"#), "LB005", "batch[0].events[0].payload: must be a JSON object, got null"),
        (oneEvent(#"{"type": "T", "schema_version": 1, "payload": {"m": "\#(String(repeating: "x", count: 65_530))"}}"#), "LB005",
         "batch[0].events[0].payload: is 65539 bytes, the limit is 65536 (max_payload_bytes)"),
        (oneEvent(#"{"type": "T", "schema_version": 1, "payload": {}, "metadata": null}"#), "LB006",
         "batch[0].events[0].metadata: must be a JSON object, got null"),
        (oneEvent(#"{"type": "T", "schema_version": 1, "payload": {}, "metadata": {"m": "\#(String(repeating: "x", count: 8_190))"}}"#), "LB006",
         "batch[0].events[0].metadata: is 8199 bytes, the limit is 8192 (max_metadata_bytes)"),
        ("[" + (0...100).map { entry("s\($0)") }.joined(separator: ",") + "]", "LB002",
         "batch: has 101 stream entries, the limit is 100 (max_streams_per_append)"),
    ]

    @Test func eachBadInputIsNamedWordForWordAndNothingIsWritten() async throws {
        try await TestDatabase.withFresh { db in
            let connection = try await db.connect()
            let before = try await Fixture.snapshot(connection)
            for (batch, sqlState, message) in Self.cases {
                do {
                    _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["c-1", batch]) { try $0.string(0) }
                    Issue.record("accepted: \(batch.prefix(120))")
                } catch let error as PostgresError {
                    #expect(error.code.rawValue == sqlState, "\(message)")
                    #expect(error.message == message)
                }
            }
            #expect(try await Fixture.snapshot(connection) == before)
        }
    }
}
