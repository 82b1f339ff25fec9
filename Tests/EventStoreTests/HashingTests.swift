@testable import EventStore
import Crypto
import Foundation
import Testing

/// The Swift side of the hash chain: the documented worked example, and the fast path (hashing
/// the fields directly) agreeing byte for byte with the canonical text.
struct HashingTests {
    /// docs/audit.md, "Worked example (a real event)", and the event after it.
    @Test func theWorkedExampleOfTheAuditDocumentHashesAsDocumented() throws {
        let first = RecordedEvent(
            position: 1, streamID: "application-A1", streamVersion: 1, type: "ApplicationSubmitted", schemaVersion: 1,
            payloadJSON: #"{"applicant": "Nguyễn Văn A", "amount_vnd": 5000000}"#,
            metadataJSON: #"{"actor": "alice", "command_id": "cmd-1", "correlation_id": "c-1"}"#,
            commandID: "cmd-1", recordedAtMicroseconds: 1_795_710_277_216_619, previousHash: EventHashing.genesisHash, hash: []
        )
        #expect(Array(EventHashing.canonicalText(of: first).utf8).count == 197)
        let firstHash = EventHashing.hash(of: first, previous: EventHashing.genesisHash)
        #expect(EventHashing.hex(firstHash) == "42ec415c07c792d37624c92d73bc88aed9913cf4401158b994dbcb2164fd6c1d")
        #expect(EventHashing.hash(previous: EventHashing.genesisHash, canonicalText: EventHashing.canonicalText(of: first)) == firstHash)

        let second = RecordedEvent(
            position: 2, streamID: "budget-VT-2023-D1", streamVersion: 1, type: "BudgetReserved", schemaVersion: 1,
            payloadJSON: #"{"amount_vnd": 5000000}"#, metadataJSON: #"{"actor": "alice", "command_id": "cmd-1"}"#,
            commandID: "cmd-1", recordedAtMicroseconds: 1_795_710_277_216_619, previousHash: firstHash, hash: []
        )
        #expect(EventHashing.hex(EventHashing.hash(of: second, previous: firstHash))
            == "9fa2a75139e2410fbb150f1e8533f29f9046c864b658a3b0623ed1c8b28199ae")
    }

    static let edgeEvents: [RecordedEvent] = {
        let numbers: [Int64] = [0, 1, 9, 10, 99, 100, 12_345, -1, -10, Int64.max, Int64.min, Int64.min + 1, 1_000_000_000_000_000_000]
        let texts = ["", "a", "Trần Văn Đức — 5.000.000 đ", #"{"q": "say \"hi\"", "u": "\u0001", "e": "😀"}"#, String(repeating: "x", count: 70_000)]
        var events: [RecordedEvent] = []
        for (index, number) in numbers.enumerated() {
            let text = texts[index % texts.count]
            events.append(RecordedEvent(
                position: number, streamID: StreamID(texts[(index + 1) % texts.count]), streamVersion: numbers[(index + 3) % numbers.count],
                type: texts[(index + 2) % texts.count], schemaVersion: Int(numbers[(index + 5) % numbers.count]), payloadJSON: text,
                metadataJSON: texts[(index + 3) % texts.count], commandID: "c", recordedAtMicroseconds: numbers[(index + 7) % numbers.count],
                previousHash: [], hash: []
            ))
        }
        return events
    }()

    @Test(arguments: edgeEvents)
    func hashingTheFieldsEqualsHashingTheCanonicalText(event: RecordedEvent) {
        for previous in [EventHashing.genesisHash, Array(repeating: 0xA5, count: 32), [1, 2, 3]] {
            let viaText = Array(SHA256.hash(data: previous + Array(EventHashing.canonicalText(of: event).utf8)))
            #expect(EventHashing.hash(of: event, previous: previous) == viaText)
            #expect(EventHashing.hash(previous: previous, canonicalText: EventHashing.canonicalText(of: event)) == viaText)
        }
    }

    @Test func decimalsAreWrittenAsPostgreSQLWritesThem() {
        var buffer = [UInt8](repeating: 0, count: 20)
        for value: Int64 in [0, 7, -7, 10, 19, 100, 999_999, 1_000_000, Int64.max, Int64.min, Int64.min + 1] {
            let count = buffer.withUnsafeMutableBufferPointer { EventHashing.writeDecimal(value, to: $0.baseAddress!) }
            #expect(String(decoding: buffer[..<count], as: UTF8.self) == String(value))
        }
    }

    @Test func aHashOf32BytesRoundTripsAndComparesByValue() throws {
        let bytes = (0..<32).map { UInt8($0 * 7 & 0xff) }
        let hash = try #require(Hash256(bytes))
        #expect(hash.bytes == bytes)
        #expect(Hash256(bytes) == hash)
        #expect(Hash256(Array(bytes.reversed())) != hash)
        #expect(Hash256([1, 2, 3]) == nil)
        #expect(Hash256.zero.bytes == EventHashing.genesisHash)
        #expect(Hash256(SHA256.hash(data: [1])).bytes == Array(SHA256.hash(data: [1])))
    }
}

/// The append reply is read by a small parser; it must agree with JSONDecoder.
struct AppendResultParsingTests {
    static let replies = [
        #"{"streams": [{"version": 3, "stream_id": "note-1", "first_position": 1}], "replayed": false, "command_id": "c-1", "last_position": 3, "first_position": 1, "recorded_at_micros": 1795711727271879}"#,
        #"{"streams": [{"version": 1, "stream_id": "a", "first_position": 9}, {"version": 9223372036854775807, "stream_id": "b:c.d-e_f", "first_position": 10}], "replayed": true, "command_id": "x", "last_position": 10, "first_position": 9, "recorded_at_micros": -5}"#,
        #"{"command_id":"esc\"aped\\ \u00e9 \ud83d\ude00 \/","first_position":1,"last_position":1,"recorded_at_micros":0,"streams":[],"replayed":false,"extra":[null,{"k":[]}]}"#,
        "  {\"streams\" : [ ] , \"replayed\" : true , \"command_id\" : \"\" , \"last_position\" : 0 , \"first_position\" : 0 , \"recorded_at_micros\" : 0 }\n",
    ]

    @Test(arguments: replies)
    func theParserAgreesWithJSONDecoder(reply: String) throws {
        let expected = try JSONDecoder().decode(AppendResult.self, from: Data(reply.utf8))
        let parsed = try Array(reply.utf8).withUnsafeBufferPointer { try AppendResult.parse($0) }
        #expect(parsed == expected)
        // The fast path itself takes these (no fallback).
        let direct = Array(reply.utf8).withUnsafeBufferPointer { buffer -> AppendResult? in
            var parser = MiniJSON(buffer)
            return parser.document().flatMap(AppendResult.init(json:))
        }
        #expect(direct == expected)
    }

    @Test(arguments: [
        #"{"streams": [], "replayed": false, "command_id": "c", "last_position": 1.0, "first_position": 1, "recorded_at_micros": 0}"#,
        #"{"streams": [], "replayed": false, "command_id": "c", "last_position": 1e0, "first_position": 1, "recorded_at_micros": 0}"#,
    ])
    func whatTheParserDoesNotTakeGoesToJSONDecoder(reply: String) throws {
        let direct = Array(reply.utf8).withUnsafeBufferPointer { buffer -> AppendResult? in
            var parser = MiniJSON(buffer)
            return parser.document().flatMap(AppendResult.init(json:))
        }
        #expect(direct == nil)
        let parsed = try Array(reply.utf8).withUnsafeBufferPointer { try AppendResult.parse($0) }
        #expect(parsed == (try JSONDecoder().decode(AppendResult.self, from: Data(reply.utf8))))
    }

    @Test(arguments: ["", "{", #"{"streams": 1}"#, "[]", #"{"command_id": "c"} x"#, #"{"a": "\ud800"}"#, "{\"a\": \"\u{01}\"}"])
    func malformedOrIncompleteRepliesAreAnError(reply: String) {
        #expect(throws: EventStoreError.self) {
            _ = try Array(reply.utf8).withUnsafeBufferPointer { try AppendResult.parse($0) }
        }
    }
}
