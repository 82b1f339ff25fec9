import Postgres

/// The audit export (`ledger-export-v1`): one JSON object per line, one line per event, in
/// position order, carrying every field of the hash chain exactly as stored, so the chain can be
/// re-verified offline without PostgreSQL (`scripts/verify-export`, docs/audit.md).
///
/// Keys: `position`, `stream_id`, `stream_version`, `event_type`, `schema_version`,
/// `recorded_at_micros`, `recorded_at` (RFC 3339 in Vietnam's time, `2024-03-01T16:30:00.123456+07:00`, for
/// people: nothing reads it back and the hash uses `recorded_at_micros`), `payload_text` and
/// `metadata_text` (PostgreSQL's jsonb text output, as a JSON string: hash these bytes, never a
/// re-rendering), `command_id`, `prev_hash` and `hash` (64 lowercase hex digits).
public enum EventExport {
    public static let formatName = "ledger-export-v1"

    /// The export line of `event`, without the line feed.
    public static func line(_ event: RecordedEvent) -> String {
        var line = "{\"position\":\(event.position),\"stream_id\":\(EventStoreJSON.string(event.streamID.rawValue))"
        line += ",\"stream_version\":\(event.streamVersion),\"event_type\":\(EventStoreJSON.string(event.type))"
        line += ",\"schema_version\":\(event.schemaVersion),\"recorded_at_micros\":\(event.recordedAtMicroseconds)"
        line += ",\"recorded_at\":\"\(VietnamTime.rfc3339(microsecondsSinceEpoch: event.recordedAtMicroseconds))\""
        line += ",\"payload_text\":\(EventStoreJSON.string(event.payloadJSON))"
        line += ",\"metadata_text\":\(EventStoreJSON.string(event.metadataJSON))"
        line += ",\"command_id\":\(EventStoreJSON.string(event.commandID))"
        line += ",\"prev_hash\":\"\(EventHashing.hex(event.previousHash))\",\"hash\":\"\(EventHashing.hex(event.hash))\"}"
        return line
    }
}

extension EventStore {
    /// Streams the events after `after` through `write`, a page of lines at a time (each line
    /// ends in a line feed), reading the log in pages with constant memory. Returns the number of
    /// events and the last one's position and hash (nil when there were none).
    public func export(
        after: Int64, write: (String) throws -> Void, progress: (Int64) -> Void = { _ in }
    ) async throws -> (events: Int64, last: Digest?) {
        var count: Int64 = 0
        var last: Digest?
        var chunk = ""
        for try await event in readAll(after: after) {
            chunk += EventExport.line(event)
            chunk += "\n"
            count += 1
            last = Digest(position: event.position, hash: EventHashing.hex(event.hash))
            if chunk.utf8.count >= 1 << 20 {
                try write(chunk)
                chunk = ""
                progress(count)
            }
        }
        if !chunk.isEmpty { try write(chunk) }
        progress(count)
        return (count, last)
    }
}
