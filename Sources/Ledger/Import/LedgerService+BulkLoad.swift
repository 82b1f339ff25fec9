import EventStore
import Foundation
import Postgres

/// Loading many streams in few round trips, for work that touches thousands of them at once
/// (a bulk payment import): `stream_id = ANY($1)` a chunk at a time, instead of one query per stream.
extension LedgerService {
    /// Streams read per round trip by `loadMany`.
    public static let streamsPerBulkLoad = 1_000

    /// One event as the bulk query returns it, decoded off the connection.
    struct BulkRow: Sendable {
        let streamID: String
        let streamVersion: Int64
        let position: Int64
        let type: String
        let schemaVersion: Int
        let payloadJSON: String
        let actor: String
        let recordedAtMicroseconds: Int64
    }

    /// The state of each of `streams`, folded from all its events exactly as `load` folds one
    /// (events of types this domain does not know are skipped). Every stream asked for is in the
    /// result, one with no events as an empty state. While one chunk is decoded and folded (on
    /// every core: decoding JSON is most of the cost), the next chunk is already being read.
    public func loadMany<State: StreamState>(
        _ type: State.Type, streams: [String], progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> [String: State] {
        let unique = Array(Set(streams)).sorted()
        let chunks = stride(from: 0, to: unique.count, by: Self.streamsPerBulkLoad).map {
            Array(unique[$0..<min($0 + Self.streamsPerBulkLoad, unique.count)])
        }
        var states: [String: State] = [:]
        states.reserveCapacity(unique.count)
        var pending: Task<[BulkRow], Error>? = chunks.first.map { chunk in Task { try await bulkRows(of: chunk) } }
        defer { pending?.cancel() }
        var done = 0
        for (index, chunk) in chunks.enumerated() {
            guard let reading = pending else { break }
            let rows = try await reading.value
            pending = index + 1 < chunks.count ? Task { [chunks] in try await bulkRows(of: chunks[index + 1]) } : nil
            let folded = try await Self.fold(State.self, streams: chunk, rows: rows)
            states.merge(folded) { _, new in new }
            done += chunk.count
            progress?(done)
        }
        return states
    }

    /// Folds `rows` (grouped by stream, each stream's in version order) into a state per stream
    /// of `streams`, in as many parallel slices as there are cores, cut between streams.
    static func fold<State: StreamState>(_: State.Type, streams: [String], rows: [BulkRow]) async throws -> [String: State] {
        let slices = max(1, min(ProcessInfo.processInfo.activeProcessorCount, rows.count / 200))
        var cuts = [0]
        for slice in 1..<slices {
            var cut = max(rows.count * slice / slices, cuts[cuts.count - 1])
            while cut < rows.count, cut > 0, rows[cut].streamID == rows[cut - 1].streamID { cut += 1 }
            cuts.append(cut)
        }
        cuts.append(rows.count)
        var states = try await withThrowingTaskGroup(of: [String: State].self) { group in
            for slice in 0..<slices where cuts[slice] < cuts[slice + 1] {
                let part = rows[cuts[slice]..<cuts[slice + 1]]
                group.addTask {
                    var byStream: [String: [(LedgerEvent, EventContext)]] = [:]
                    for row in part {
                        guard let event = try LedgerEvent.decode(type: row.type, schemaVersion: row.schemaVersion, payloadJSON: row.payloadJSON) else {
                            continue
                        }
                        byStream[row.streamID, default: []].append((event, EventContext(
                            position: row.position, streamVersion: row.streamVersion, actor: row.actor,
                            recordedAtMicroseconds: row.recordedAtMicroseconds
                        )))
                    }
                    return Dictionary(uniqueKeysWithValues: byStream.map { ($0.key, State(streamID: $0.key).folding($0.value)) })
                }
            }
            return try await group.reduce(into: [String: State]()) { $0.merge($1) { _, new in new } }
        }
        for stream in streams where states[stream] == nil {
            states[stream] = State(streamID: stream)
        }
        return states
    }

    /// The events of `streams`, each stream's in version order.
    func bulkRows(of streams: [String]) async throws -> [BulkRow] {
        try await readingWithoutJIT(
            """
            SELECT stream_id, stream_version, position, event_type, schema_version, payload::text,
                   coalesce(metadata ->> 'actor', ''), recorded_at
            FROM ledger.events
            WHERE stream_id = ANY($1::text[])
            ORDER BY stream_id, stream_version
            """,
            [PostgresValue.textArray(streams)]
        ) { row in
            BulkRow(
                streamID: try row.string(0), streamVersion: try row.int64(1), position: try row.int64(2),
                type: try row.string(3), schemaVersion: try row.int(4), payloadJSON: try row.string(5),
                actor: try row.string(6), recordedAtMicroseconds: try row.timestampMicroseconds(7)
            )
        }
    }

    /// For those of `paymentIDs` already recorded anywhere in the ledger, the application stream
    /// each is recorded on (`ledger.payment_ids`), looked up `PaymentImportLimits.paymentIDsPerLookup`
    /// at a time.
    public func recordedPaymentStreams(_ paymentIDs: [String]) async throws -> [String: String] {
        var streams: [String: String] = [:]
        let unique = Array(Set(paymentIDs))
        for start in stride(from: 0, to: unique.count, by: PaymentImportLimits.paymentIDsPerLookup) {
            let chunk = Array(unique[start..<min(start + PaymentImportLimits.paymentIDsPerLookup, unique.count)])
            let found = try await readingWithoutJIT(
                "SELECT payment_id, application_stream FROM ledger.payment_ids WHERE payment_id = ANY($1::text[])",
                [PostgresValue.textArray(chunk)]
            ) { row in (try row.string(0), try row.string(1)) }
            for (paymentID, stream) in found { streams[paymentID] = stream }
        }
        return streams
    }

    /// Runs one read with JIT compilation off. A bulk insert leaves the planner's statistics
    /// stale, so a thousand-key lookup is estimated at hundreds of thousands of rows and JIT
    /// compiled: about 150 ms per query, many times the few milliseconds the index scan takes.
    func readingWithoutJIT<T: Sendable>(
        _ sql: String, _ parameters: [any PostgresEncodable], decode: @escaping @Sendable (PostgresRow) throws -> T
    ) async throws -> [T] {
        try await connection.transaction { connection in
            try connection.execute("SET LOCAL jit = off")
            return try connection.query(sql, parameters, decode: decode)
        }
    }
}
