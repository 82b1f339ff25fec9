import Foundation
import Postgres

/// The append-only event log in PostgreSQL: append, read, subscribe, verify.
///
/// Knows nothing about disbursements. Each call is one statement on `connection` (autocommit),
/// so the append lock is held only for the append function and its commit.
public struct EventStore: Sendable {
    public let connection: PostgresConnection

    /// Events per page for `readAll`, `subscribe` and `verifyChain`: bounds memory, amortises round trips.
    public static let defaultPageSize = 2_000

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    // MARK: Append

    /// Appends to one or more streams atomically in one round trip: all of it, or nothing.
    ///
    /// The same `commandID` with the same content returns the first result (`replayed == true`)
    /// and appends nothing; with different content it is refused (`.idempotencyMismatch`).
    public func append(_ streams: [StreamAppend], commandID: String) async throws -> AppendResult {
        let batch = Self.batchJSON(streams)
        return try await EventStoreError.mapping {
            try await connection.queryOne("SELECT ledger.append($1, $2::jsonb)", [commandID, batch]) { row in
                try row.withTextBytes(0) { try AppendResult.parse($0) }
            }
        }
    }

    /// A command recorded earlier under `commandID`: its result (marked `replayed`), who sent it,
    /// and the metadata of its first event (where a client keeps what identifies the command's
    /// content); nil if no command was recorded under that id.
    public func recordedCommand(_ commandID: String) async throws -> RecordedCommand? {
        try await EventStoreError.mapping {
            try await connection.query("""
                SELECT (c.result || '{"replayed": true}'::jsonb)::text, c.actor,
                       coalesce((SELECT e.metadata::text FROM ledger.events e
                                 WHERE e.position = (c.result ->> 'first_position')::bigint), '{}')
                FROM ledger.commands c WHERE c.command_id = $1
                """, [commandID]) { row in
                RecordedCommand(
                    result: try row.withTextBytes(0) { try AppendResult.parse($0) },
                    actor: try row.string(1), firstEventMetadataJSON: try row.string(2)
                )
            }.first
        }
    }

    /// Appends events to a single stream.
    public func append(
        _ events: [NewEvent], to stream: StreamID, expectedVersion: ExpectedVersion, commandID: String
    ) async throws -> AppendResult {
        try await append([StreamAppend(stream: stream, expectedVersion: expectedVersion, events: events)], commandID: commandID)
    }

    /// The batch document the append function reads. Payload and metadata were checked to be
    /// single JSON objects when the `NewEvent` was made, so they are spliced in as they are.
    static func batchJSON(_ streams: [StreamAppend]) -> String {
        var json = "["
        for (streamIndex, entry) in streams.enumerated() {
            if streamIndex > 0 { json += "," }
            json += "{\"stream_id\":\(EventStoreJSON.string(entry.stream.rawValue)),\"expected_version\":\(entry.expectedVersion.jsonValue),\"events\":["
            for (eventIndex, event) in entry.events.enumerated() {
                if eventIndex > 0 { json += "," }
                json += "{\"type\":\(EventStoreJSON.string(event.type)),\"schema_version\":\(event.schemaVersion),"
                json += "\"payload\":\(event.payloadJSON),\"metadata\":\(event.metadataJSON)}"
            }
            json += "]}"
        }
        return json + "]"
    }

    // MARK: Read

    static let eventColumns = """
        position, stream_id, stream_version, event_type, schema_version, payload, metadata,
        command_id, recorded_at, prev_hash, hash
        """

    /// Reads a row of `eventColumns`, in either result format (reads use binary: no hex or
    /// timestamp text on either side).
    static func decodeEvent(_ row: PostgresRow) throws -> RecordedEvent {
        RecordedEvent(
            position: try row.int64(0), streamID: StreamID(try row.string(1)), streamVersion: try row.int64(2),
            type: try row.string(3), schemaVersion: try row.int(4), payloadJSON: try row.string(5),
            metadataJSON: try row.string(6), commandID: try row.string(7),
            recordedAtMicroseconds: try row.timestampMicroseconds(8),
            previousHash: try row.byteArray(9), hash: try row.byteArray(10)
        )
    }

    /// Events of one stream with version ≥ `fromVersion`, in order, at most `limit`.
    public func readStream(_ stream: StreamID, from fromVersion: Int64 = 1, limit: Int = 10_000) async throws -> [RecordedEvent] {
        try await EventStoreError.mapping {
            try await connection.query(
                "SELECT \(Self.eventColumns) FROM ledger.events WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3",
                [stream.rawValue, fromVersion, limit], resultFormat: .binary, decode: Self.decodeEvent
            )
        }
    }

    /// The events of several small streams in one round trip, each stream's in version order
    /// (a stream with no events is absent). For loading what one decision needs; long streams
    /// are read with `readStream`, a page at a time.
    public func readStreams(_ streams: [StreamID]) async throws -> [StreamID: [RecordedEvent]] {
        let rows = try await EventStoreError.mapping {
            try await connection.query(
                "SELECT \(Self.eventColumns) FROM ledger.events WHERE stream_id = ANY($1) ORDER BY stream_id, stream_version",
                [PostgresValue.textArray(streams.map(\.rawValue))], resultFormat: .binary, decode: Self.decodeEvent
            )
        }
        return Dictionary(grouping: rows, by: \.streamID)
    }

    /// Every event of `streams`, merged in position order (an audit trail across streams).
    public func readEvents(ofStreams streams: [StreamID]) async throws -> [RecordedEvent] {
        try await EventStoreError.mapping {
            try await connection.query(
                "SELECT \(Self.eventColumns) FROM ledger.events WHERE stream_id = ANY($1) ORDER BY position",
                [PostgresValue.textArray(streams.map(\.rawValue))], resultFormat: .binary, decode: Self.decodeEvent
            )
        }
    }

    /// The events a command appended (`command_id`), in position order: none when no command was
    /// recorded under that id — how to tell, after a failover or a lost connection, whether a
    /// command is in the log.
    public func readEvents(commandID: String) async throws -> [RecordedEvent] {
        try await EventStoreError.mapping {
            try await connection.query(
                "SELECT \(Self.eventColumns) FROM ledger.events WHERE command_id = $1 ORDER BY position",
                [commandID], resultFormat: .binary, decode: Self.decodeEvent
            )
        }
    }

    /// The stream's current version (0 when it does not exist).
    public func streamVersion(_ stream: StreamID) async throws -> Int64 {
        try await EventStoreError.mapping {
            try await connection.query("SELECT version FROM ledger.streams WHERE stream_id = $1", [stream.rawValue]) {
                try $0.int64(0)
            }.first ?? 0
        }
    }

    /// One page of the global log: events with position > `after`, in order.
    public func readPage(after: Int64, limit: Int = EventStore.defaultPageSize) async throws -> [RecordedEvent] {
        try await EventStoreError.mapping {
            try await connection.query(
                Self.logPageSQL, [after, limit], resultFormat: .binary, decode: Self.decodeEvent
            )
        }
    }

    /// The global log by position: `$1` = the position to read after, `$2` = the page size.
    static let logPageSQL = "SELECT \(eventColumns) FROM ledger.events WHERE position > $1 ORDER BY position LIMIT $2"

    /// A paged read of the global log (binary results), for `fetchPage`.
    static func logPages(_ pageSize: Int) -> PostgresPagedQuery {
        PostgresPagedQuery(logPageSQL, keyColumn: 0, pageSize: pageSize, resultFormat: .binary)
    }

    /// Every event with position > `after`, read in pages (constant memory), ending at the head
    /// as it is when the last page is read.
    public func readAll(after: Int64 = 0, pageSize: Int = EventStore.defaultPageSize) -> EventLogSequence {
        EventLogSequence(store: self, after: after, pageSize: pageSize, follow: nil)
    }

    /// Catches up from `after`, then follows new events forever: woken by NOTIFY on `listener`
    /// (a connection of its own), and re-reading every `pollMilliseconds` anyway, so a lost
    /// notification only delays. Ends when the task is cancelled.
    public func subscribe(
        after: Int64 = 0, listener: PostgresConnection, pollMilliseconds: Int32 = 1_000,
        pageSize: Int = EventStore.defaultPageSize
    ) -> EventLogSequence {
        EventLogSequence(store: self, after: after, pageSize: pageSize, follow: .init(listener: listener, pollMilliseconds: pollMilliseconds))
    }

    /// The notification channel the append function signals (payload: the new last position).
    public static let notificationChannel = "ledger_events"

    // MARK: Head

    public func digest() async throws -> Digest {
        try await EventStoreError.mapping {
            try await connection.queryOne("SELECT last_position, encode(last_hash, 'hex') FROM ledger.head") { row in
                Digest(position: try row.int64(0), hash: try row.string(1))
            }
        }
    }

    public func status() async throws -> StoreStatus {
        try await EventStoreError.mapping {
            try await connection.queryOne("""
                SELECT h.last_position, encode(h.last_hash, 'hex'),
                       (SELECT count(*) FROM ledger.events),
                       (SELECT count(*) FROM ledger.streams),
                       (SELECT recorded_at FROM ledger.events WHERE position = h.last_position)
                FROM ledger.head h
                """) { row in
                StoreStatus(
                    headPosition: try row.int64(0), headHash: try row.string(1), events: try row.int64(2),
                    streams: try row.int64(3), lastRecordedAtMicroseconds: row.isNull(4) ? nil : try row.timestampMicroseconds(4)
                )
            }
        }
    }
}

/// The global log as an async sequence of events, read a page at a time.
/// Without `follow` it ends at the head; with it, it waits for more until cancelled.
public struct EventLogSequence: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    struct Follow: Sendable {
        let listener: PostgresConnection
        let pollMilliseconds: Int32
    }

    let store: EventStore
    let after: Int64
    let pageSize: Int
    let follow: Follow?

    public func makeAsyncIterator() -> Iterator {
        Iterator(store: store, lastPosition: after, pageSize: pageSize, follow: follow)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let store: EventStore
        var lastPosition: Int64
        let pageSize: Int
        let follow: Follow?
        /// This iteration's paged read: while the events of one full page are handed out, the
        /// server is already computing the next (`PostgresConnection.fetchPage`).
        let pages: PostgresPagedQuery
        var page: [RecordedEvent] = []
        var index = 0
        var listening = false
        var finished = false

        init(store: EventStore, lastPosition: Int64, pageSize: Int, follow: Follow?) {
            self.store = store
            self.lastPosition = lastPosition
            self.pageSize = pageSize
            self.follow = follow
            pages = EventStore.logPages(pageSize)
        }

        public mutating func next() async throws -> RecordedEvent? {
            while true {
                if index < page.count {
                    let event = page[index]
                    index += 1
                    // Positions are gapless: anything else means the log is damaged, so stop rather than skip.
                    guard event.position == lastPosition + 1 else {
                        await store.connection.discardPrefetchedPage()
                        throw EventStoreError(
                            code: .database,
                            message: "the log has a gap: expected position \(lastPosition + 1), found \(event.position)"
                        )
                    }
                    lastPosition = event.position
                    return event
                }
                if finished { return nil }
                if Task.isCancelled {
                    // Leave the connection idle for whoever uses it next.
                    await store.connection.discardPrefetchedPage()
                    return nil
                }
                if let follow, !listening {
                    // Listen before reading, so an append between the read and the wait still wakes us.
                    try await EventStoreError.mapping { try await follow.listener.listen(EventStore.notificationChannel) }
                    listening = true
                }
                let (pages, after) = (self.pages, lastPosition)
                page = try await EventStoreError.mapping {
                    try await store.connection.fetchPage(pages, after: after, decode: EventStore.decodeEvent)
                }
                index = 0
                if page.isEmpty {
                    guard let follow else {
                        finished = true
                        return nil
                    }
                    _ = try await EventStoreError.mapping {
                        try await follow.listener.waitForNotification(timeoutMilliseconds: follow.pollMilliseconds)
                    }
                    // Drain any further queued notifications: one re-read covers them all.
                    while try await follow.listener.waitForNotification(timeoutMilliseconds: 0) != nil {}
                }
            }
        }
    }
}
