import EventStore
import Postgres

/// How appends are spread over streams. Append number k goes to stream `k % streams`; since every
/// append to a stream carries `perAppend` events, the stream's version before append k is
/// `(k / streams) * perAppend`, so exact expected versions need no state and ranges of k can run
/// in any order of rounds (never concurrently for the same prefix).
struct AppendPlan: Sendable {
    let streamPrefix: String
    let streams: Int
    let perAppend: Int

    func stream(_ k: Int) -> String { "\(streamPrefix)-\(k % streams)" }
    func versionBefore(_ k: Int) -> Int64 { Int64(k / streams * perAppend) }
    func commandID(_ k: Int) -> String { "\(streamPrefix)-cmd-\(k)" }
}

/// Appends through the public EventStore API (`append` → `ledger.append(command_id, batch)`).
struct LedgerWorkload: Sendable {
    let store: EventStore
    let plan: AppendPlan
    /// Distinct prepared batches, each `plan.perAppend` events; append k uses batch `k % count`.
    let batches: [[NewEvent]]

    func run(_ appends: Range<Int>) async throws {
        for k in appends {
            let result = try await store.append(
                batches[k % batches.count], to: StreamID(plan.stream(k)),
                expectedVersion: .exactly(plan.versionBefore(k)), commandID: plan.commandID(k)
            )
            guard !result.replayed, result.lastPosition - result.firstPosition + 1 == Int64(plan.perAppend) else {
                throw BenchError("append \(plan.commandID(k)) recorded \(result.lastPosition - result.firstPosition + 1) events, expected \(plan.perAppend)")
            }
        }
    }
}

/// The raw baseline: plain INSERTs into `bench_raw.events`, the same columns as `ledger.events`
/// but no checks, no hash chain, no head counter; one statement (and transaction) per append,
/// with one VALUES tuple per event, every value a parameter.
struct RawWorkload: Sendable {
    let connection: PostgresConnection
    let plan: AppendPlan
    /// Payload texts, grouped like the ledger's batches.
    let batches: [[String]]
    /// The role recorded as actor, as the append function would (`session_user`).
    let actor: String
    private let sql: String

    init(connection: PostgresConnection, plan: AppendPlan, batches: [[String]], actor: String) {
        self.connection = connection
        self.plan = plan
        self.batches = batches
        self.actor = actor
        sql = RawTable.insertSQL(rows: plan.perAppend)
    }

    /// Stand-ins for the two hashes (the baseline stores 32 bytes each but computes nothing).
    static let previousHash = [UInt8](repeating: 0xA5, count: 32)
    static let hash = [UInt8](repeating: 0x5A, count: 32)

    func run(_ appends: Range<Int>) async throws {
        for k in appends {
            let stream = plan.stream(k)
            let version = plan.versionBefore(k)
            let command = plan.commandID(k)
            // What the append function would store: client metadata plus actor and command id.
            let metadata = "{\"actor\":\(EventStoreJSON.string(actor)),\"command_id\":\(EventStoreJSON.string(command)),\"source\":\"ledger-bench\"}"
            var parameters: [any PostgresEncodable] = []
            parameters.reserveCapacity(RawTable.parametersPerRow * plan.perAppend)
            for (index, payload) in batches[k % batches.count].enumerated() {
                parameters.append(stream)
                parameters.append(version + Int64(index) + 1)
                parameters.append(PaymentPayloads.eventType)
                parameters.append(1)
                parameters.append(payload)
                parameters.append(metadata)
                parameters.append(command)
                parameters.append(Self.previousHash)
                parameters.append(Self.hash)
            }
            let inserted = try await connection.execute(sql, parameters)
            guard inserted == Int64(plan.perAppend) else {
                throw BenchError("raw insert \(command) inserted \(inserted) rows, expected \(plan.perAppend)")
            }
        }
    }
}

/// The baseline table: `ledger.events`' shape with a bigserial position and nothing else.
enum RawTable {
    static let create = """
        CREATE SCHEMA bench_raw;
        CREATE TABLE bench_raw.events (
            position        bigserial   PRIMARY KEY,
            stream_id       text        NOT NULL,
            stream_version  bigint      NOT NULL,
            event_type      text        NOT NULL,
            schema_version  int         NOT NULL,
            payload         jsonb       NOT NULL,
            metadata        jsonb       NOT NULL,
            command_id      text        NOT NULL,
            recorded_at     timestamptz NOT NULL,
            prev_hash       bytea       NOT NULL,
            hash            bytea       NOT NULL
        );
        """

    static let parametersPerRow = 9

    /// `INSERT … VALUES (…), (…), …` with `rows` parameterised tuples (explicit casts, so every
    /// tuple's parameters get the column types however many rows there are).
    static func insertSQL(rows: Int) -> String {
        let tuples = (0..<rows).map { row in
            let p = row * parametersPerRow
            return "($\(p + 1)::text, $\(p + 2)::bigint, $\(p + 3)::text, $\(p + 4)::int, $\(p + 5)::jsonb, "
                + "$\(p + 6)::jsonb, $\(p + 7)::text, now(), $\(p + 8)::bytea, $\(p + 9)::bytea)"
        }
        return "INSERT INTO bench_raw.events (stream_id, stream_version, event_type, schema_version, payload, "
            + "metadata, command_id, recorded_at, prev_hash, hash) VALUES " + tuples.joined(separator: ", ")
    }
}

/// A raw row decoded with the same wrapper accessors the event store uses for `RecordedEvent`.
struct RawEvent: Sendable {
    let position: Int64
    let streamID: String
    let streamVersion: Int64
    let type: String
    let schemaVersion: Int
    let payloadJSON: String
    let metadataJSON: String
    let commandID: String
    let recordedAtMicroseconds: Int64
    let previousHash: [UInt8]
    let hash: [UInt8]

    static func decode(_ row: PostgresRow) throws -> RawEvent {
        RawEvent(
            position: try row.int64(0), streamID: try row.string(1), streamVersion: try row.int64(2),
            type: try row.string(3), schemaVersion: try row.int(4), payloadJSON: try row.string(5),
            metadataJSON: try row.string(6), commandID: try row.string(7),
            recordedAtMicroseconds: try row.timestampMicroseconds(8),
            previousHash: try row.byteArray(9), hash: try row.byteArray(10)
        )
    }
}

enum Readers {
    /// Iterates the ledger's `readAll` sequence for up to `limit` events; returns how many it saw.
    static func ledger(_ store: EventStore, limit: Int = .max) async throws -> Int {
        var count = 0
        var positions: Int64 = 0
        for try await event in store.readAll() {
            count += 1
            positions &+= event.position
            if count >= limit { break }
        }
        guard positions != 0 || count == 0 else { throw BenchError("readAll returned nothing usable") }
        return count
    }

    /// `SELECT * FROM bench_raw.events … ORDER BY position` in pages of the store's page size
    /// (keyset paging, like `readAll`), decoded into `RawEvent`s, up to `limit` rows.
    static func raw(_ connection: PostgresConnection, limit: Int = .max, pageSize: Int = EventStore.defaultPageSize) async throws -> Int {
        var count = 0
        var last: Int64 = 0
        while count < limit {
            let page = try await connection.query(
                "SELECT * FROM bench_raw.events WHERE position > $1 ORDER BY position LIMIT $2",
                [last, min(pageSize, limit - count)], decode: RawEvent.decode
            )
            guard let tail = page.last else { break }
            count += page.count
            last = tail.position
        }
        return count
    }
}
