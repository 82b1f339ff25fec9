import EventStore
import Foundation
import Postgres
import TestSupport

/// Small builders shared by the event store tests.
enum Fixture {
    static func event(_ type: String = "NoteWritten", _ payload: String = #"{"text": "xin chào"}"#) throws -> NewEvent {
        try NewEvent(type: type, payloadJSON: payload)
    }

    static func events(_ count: Int, type: String = "NoteWritten") throws -> [NewEvent] {
        try (0..<count).map { try NewEvent(type: type, payloadJSON: #"{"n": \#($0)}"#) }
    }

    static func commandID() -> String { UUID().uuidString.lowercased() }

    /// Head position, head hash, number of events, and command rows, read as the superuser.
    struct Snapshot: Equatable, Sendable {
        let headPosition: Int64
        let headHash: String
        let events: Int64
        let commands: Int64
        let streams: Int64
    }

    static func snapshot(_ connection: PostgresConnection) async throws -> Snapshot {
        try await connection.queryOne("""
            SELECT h.last_position, encode(h.last_hash, 'hex'), (SELECT count(*) FROM ledger.events),
                   (SELECT count(*) FROM ledger.commands), (SELECT count(*) FROM ledger.streams)
            FROM ledger.head h
            """) { row in
            Snapshot(headPosition: try row.int64(0), headHash: try row.string(1), events: try row.int64(2),
                     commands: try row.int64(3), streams: try row.int64(4))
        }
    }

    /// Positions 1…n exist exactly once each.
    static func positionsAreContiguous(_ connection: PostgresConnection) async throws -> Bool {
        try await connection.queryOne(
            "SELECT count(*) = coalesce(max(position), 0) AND coalesce(min(position), 1) = 1 FROM ledger.events"
        ) { try $0.bool(0) }
    }
}

extension EventStoreError.Code {
    static func of(_ error: any Error) -> EventStoreError.Code? {
        (error as? EventStoreError)?.code
    }
}
