import ArgumentParser
import EventStore
import Foundation
import Postgres

/// `ledger-bench reads`: only the read side (readAll, verifyChain, a raw paged SELECT of the same
/// table), repeated over one seeded log. Quicker than `store` for comparing read paths and for
/// profiling (`perf record -p` on this process or on the backends it prints).
struct Reads: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read-side throughput only: readAll, verifyChain and a raw paged SELECT of ledger.events, over one seeded log.",
        discussion: """
            Seeds --events events through EventStore.append (batches of 500 over 1,000 streams, the payloads of
            `store`), then runs --rounds rounds of: raw paged SELECT (text results, decoded like `store`'s
            baseline (d), but of ledger.events), readAll, verifyChain. Prints each round and the best and
            median rates, with the CPU time of this process and of the backend per event.
            """
    )

    @Option(help: "Events in the log.")
    var events = 400_000

    @Option(help: "Rounds of each measurement.")
    var rounds = 5

    @Option(name: .customLong("payload-bytes"), help: "Approximate payload size in bytes of JSON.")
    var payloadBytes = 300

    @Option(help: "Which measurements, comma-separated: raw, readAll, verifyChain.")
    var only = "raw,readAll,verifyChain"

    var measurements: [String] {
        ["raw", "readAll", "verifyChain"].filter { only.split(separator: ",").map(String.init).contains($0) }
    }

    func validate() throws {
        guard !measurements.isEmpty else { throw ValidationError("--only names none of raw, readAll, verifyChain") }
        guard rounds >= 1, events >= 1 else { throw ValidationError("--rounds and --events must be at least 1") }
    }

    func run() async throws {
        try await BenchDatabase.withScratch { try await measure($0) }
    }

    private func measure(_ database: BenchDatabase) async throws {
        try await database.migrate()
        let connection = try await database.connect()
        let store = EventStore(connection: connection)
        let meter = CPUMeter(backends: [await connection.backendPID])
        Console.progress("seeding \(Format.grouped(events)) events (backend pid \(await connection.backendPID), client pid \(getpid()))")
        let batch = 500
        let pool = try PaymentPayloads.events(PaymentPayloads.groups(4, of: batch, targetBytes: payloadBytes))
        var appended = 0
        var k = 0
        while appended < events {
            let count = min(batch, events - appended)
            _ = try await store.append(Array(pool[k % pool.count].prefix(count)), to: StreamID("seed-\(k % 1_000)"), expectedVersion: .any,
                                       commandID: "seed-\(k)")
            appended += count
            k += 1
        }
        try await connection.simpleQuery("VACUUM ANALYZE ledger.events")

        var results: [String: [(seconds: Double, client: Double, server: Double?)]] = [:]
        for round in 0..<rounds {
            for name in measurements {
                let before = meter.sample()
                let (count, seconds) = try await timed { () async throws -> Int in
                    switch name {
                    case "raw": return try await Self.rawRead(connection)
                    case "readAll": return try await Readers.ledger(store)
                    default: return Int(try await store.verifyChain().eventsChecked)
                    }
                }
                let after = meter.sample()
                guard count == events else { throw BenchError("\(name) saw \(count) events, expected \(events)") }
                let server = after.server.flatMap { end in before.server.map { end - $0 } }
                results[name, default: []].append((seconds, after.client - before.client, server))
                Console.progress("round \(round + 1)/\(rounds) \(name): \(Store.rateText(count, seconds))")
            }
        }
        var rows: [[String]] = []
        for name in measurements {
            let runs = results[name] ?? []
            let rates = runs.map { Double(events) / $0.seconds }.sorted()
            let best = runs.min { $0.seconds < $1.seconds }!
            func perEvent(_ seconds: Double?) -> String { seconds.map { Format.fixed($0 * 1e6 / Double(events), 2) } ?? "-" }
            rows.append([
                name, Format.rate(rates.last!), Format.rate(rates[rates.count / 2]), Format.rate(rates.first!),
                perEvent(best.seconds), perEvent(best.client), perEvent(best.server),
            ])
        }
        Console.data(Format.table(
            ["measurement", "best ev/s", "median ev/s", "worst ev/s", "wall µs/ev", "client CPU µs/ev", "server CPU µs/ev"], rows
        ))
        Console.data("\(Format.grouped(events)) events, \(rounds) rounds; CPU columns are of the best round. raw = paged SELECT of ledger.events, text results, decoded like store's (d).")
        await connection.close()
    }

    /// Baseline (d) of `store`, on ledger.events: text results, decoded into a struct, no overlap.
    static func rawRead(_ connection: PostgresConnection) async throws -> Int {
        var count = 0
        var last: Int64 = 0
        while true {
            let page = try await connection.query(
                "SELECT * FROM ledger.events WHERE position > $1 ORDER BY position LIMIT $2",
                [last, EventStore.defaultPageSize], decode: RawEvent.decode
            )
            guard let tail = page.last else { break }
            count += page.count
            last = tail.position
        }
        return count
    }
}
