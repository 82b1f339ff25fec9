import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Bad input gets a clear error naming the field, and nothing is written.
@Suite(.enabled(if: TestDatabase.enabled))
struct BadInputTests {
    /// Raw batches sent straight to the append function, as any client could.
    @Test(arguments: [
        ("[]", "LB001", "batch"),
        (#"[{"stream_id": "s", "expected_version": "any", "events": []}]"#, "LB001", "events"),
        (#"[{"stream_id": "bad stream!", "expected_version": "any", "events": [{"type": "T", "schema_version": 1, "payload": {}}]}]"#, "LB003", "stream_id"),
        (#"[{"stream_id": "s", "expected_version": "sometimes", "events": [{"type": "T", "schema_version": 1, "payload": {}}]}]"#, "LB007", "expected_version"),
        (#"[{"stream_id": "s", "expected_version": -1, "events": [{"type": "T", "schema_version": 1, "payload": {}}]}]"#, "LB007", "expected_version"),
        (#"[{"stream_id": "s", "expected_version": "any", "events": [{"type": "T", "schema_version": 1, "payload": [1, 2]}]}]"#, "LB005", "payload"),
        (#"[{"stream_id": "s", "expected_version": "any", "events": [{"type": "no spaces", "schema_version": 1, "payload": {}}]}]"#, "LB004", "type"),
        (#"[{"stream_id": "s", "expected_version": "any", "events": [{"type": "T", "schema_version": 0, "payload": {}}]}]"#, "LB009", "schema_version"),
        (#"[{"stream_id": "s", "expected_version": "any", "events": [{"type": "T", "schema_version": 1, "payload": {}, "metadata": 3}]}]"#, "LB006", "metadata"),
        (#"[{"stream_id": "s", "expected_version": "any"}]"#, "LB009", "events"),
        (#"{"stream_id": "s"}"#, "LB009", "batch"),
        (#"[{"stream_id": "s", "expected_version": "any", "events": [{"type": "T", "schema_version": 1, "payload": {"a": 1}, "payload": {"b": 2}, "extra": 1}]}]"#, "LB009", "extra"),
        ("[{\"stream_id\": \"s\", \"events\": [{\"type\": ", "22P02", "json"),
    ])
    func aBadBatchIsRefusedWithItsOwnCodeAndNothingIsWritten(batch: String, sqlState: String, field: String) async throws {
        try await TestDatabase.withFresh { db in
            let connection = try await db.connect()
            let before = try await Fixture.snapshot(connection)
            do {
                _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["c-1", batch]) { try $0.string(0) }
                Issue.record("accepted: \(batch)")
            } catch let error as PostgresError {
                #expect(error.code.rawValue == sqlState, "\(error)")
                #expect(error.description.lowercased().contains(field), "\(error)")
            }
            #expect(try await Fixture.snapshot(connection) == before)
        }
    }

    @Test func aPayloadOverTheLimitIsRefusedNamingTheEvent() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            let limit = try await store.connection.queryOne("SELECT (ledger.limits()->>'max_payload_bytes')::int") { try $0.int(0) }
            let big = try NewEvent(type: "Big", payloadJSON: #"{"blob": "\#(String(repeating: "đ", count: limit / 2))"}"#)
            do {
                _ = try await store.append([try Fixture.event(), big], to: "s-1", expectedVersion: .any, commandID: "c-1")
                Issue.record("an oversized payload was accepted")
            } catch let error as EventStoreError {
                #expect(error.code == .invalidPayload)
                #expect(error.message.contains("events[1].payload"))
                #expect(error.message.contains(String(limit)))
            }
            #expect(try await Fixture.snapshot(store.connection).events == 0)
        }
    }

    @Test func tooManyEventsInOneAppendIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            let limit = try await store.connection.queryOne("SELECT (ledger.limits()->>'max_events_per_append')::int") { try $0.int(0) }
            do {
                _ = try await store.append(try Fixture.events(limit + 1), to: "s-1", expectedVersion: .any, commandID: "c-1")
                Issue.record("an oversized batch was accepted")
            } catch let error as EventStoreError {
                #expect(error.code == .tooManyEvents)
            }
            #expect(try await store.append(try Fixture.events(limit), to: "s-1", expectedVersion: .any, commandID: "c-2").lastPosition == Int64(limit))
        }
    }

    @Test(arguments: ["", "has space", String(repeating: "a", count: 201), "-leading-dash", "ümlaut"])
    func anInvalidCommandIDIsRefused(commandID: String) async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            do {
                _ = try await store.append([try Fixture.event()], to: "s-1", expectedVersion: .any, commandID: commandID)
                Issue.record("command id \(commandID.debugDescription) was accepted")
            } catch let error as EventStoreError {
                #expect(error.code == .invalidCommandID)
            }
            #expect(try await Fixture.snapshot(store.connection).events == 0)
        }
    }

    @Test func twoEntriesForOneStreamInABatchAreRefused() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            do {
                _ = try await store.append([
                    StreamAppend(stream: "s-1", expectedVersion: .any, events: [try Fixture.event()]),
                    StreamAppend(stream: "s-1", expectedVersion: .any, events: [try Fixture.event()]),
                ], commandID: "c-1")
                Issue.record("a stream listed twice was accepted")
            } catch let error as EventStoreError {
                #expect(error.code == .malformedBatch)
                #expect(error.message.contains("s-1"))
            }
        }
    }
}

/// The Swift side refuses what cannot be a payload before anything is sent.
struct NewEventTests {
    @Test(arguments: ["{not json", "[1, 2]", "\"text\"", "{\"a\": 1} {\"b\": 2}", ""])
    func payloadTextMustBeOneJSONObject(text: String) {
        #expect(throws: EventStoreError.self) { try NewEvent(type: "T", payloadJSON: text) }
    }

    @Test func anEncodablePayloadBecomesSortedJSON() throws {
        struct Payment: Encodable {
            let voucher: String
            let amountVND: Int64
        }
        let event = try NewEvent(type: "TransferRecorded", payload: Payment(voucher: "PC/01", amountVND: 5_000_000))
        #expect(event.payloadJSON == #"{"amountVND":5000000,"voucher":"PC/01"}"#)
    }

    @Test func theCanonicalTextAndHashFollowTheDocumentedForm() {
        let event = RecordedEvent(
            position: 1, streamID: "note-1", streamVersion: 1, type: "NoteWritten", schemaVersion: 1,
            payloadJSON: #"{"text": "xin chào"}"#, metadataJSON: #"{"actor": "postgres", "command_id": "c-1"}"#,
            commandID: "c-1", recordedAtMicroseconds: 1_709_251_200_000_000,
            previousHash: EventHashing.genesisHash, hash: []
        )
        #expect(EventHashing.canonicalText(of: event) == """
            ledger-event-v1
            1
            note-1
            1
            NoteWritten
            1
            1709251200000000
            {"text": "xin chào"}
            {"actor": "postgres", "command_id": "c-1"}
            """)
        #expect(EventHashing.hash(of: event, previous: EventHashing.genesisHash).count == 32)
        #expect(EventHashing.hex([0, 1, 0xab, 0xff]) == "0001abff")
        #expect(EventHashing.bytes(hex: "0001ABff") == [0, 1, 0xab, 0xff])
        #expect(EventHashing.bytes(hex: "0g") == nil)
    }
}
