import ArgumentParser
import EventStore
import Foundation
import Postgres

/// `ledger-bench store`: append, readAll and verifyChain throughput of the event store, each beside
/// a raw PostgreSQL baseline measured in the same run on the same server, with the issue's targets.
struct Store: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Event store throughput (append, readAll, verifyChain) against raw PostgreSQL baselines.",
        discussion: """
            Measures, in events per second: appends of 1 event (1 client) and of --batch-size events
            (1 and 2 clients) through EventStore.append, against single-row and multi-row INSERTs into a
            plain table of the same shape; readAll and verifyChain of the whole log, against a raw paged
            SELECT decoded with the same wrapper. Append measurements alternate ledger and raw in rounds.
            Prints PASS/MISS against the targets (batched ≥ 0.50 × raw, single ≥ 0.70 × raw,
            readAll and verifyChain ≥ 200,000 events/s); exits 0 either way.
            """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(help: "Events in each batched-append measurement (1 client; and 2 clients, in total).")
    var events = 200_000

    @Option(name: .customLong("single-events"), help: "Events in the single-event append measurement (one append each).")
    var singleEvents = 5_000

    @Option(name: .customLong("batch-size"), help: "Events per append in the batched measurements (2…1000).")
    var batchSize = 100

    @Option(name: .customLong("payload-bytes"), help: "Approximate payload size in bytes of JSON (the payment's fixed fields take about 280).")
    var payloadBytes = 300

    @Option(help: "Rounds per append measurement; each round runs ledger and raw back to back, alternating which goes first.")
    var rounds = 5

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    static let streamsPerWorkload = 1_000
    static let readRounds = 2
    static let singleTarget = 0.70
    static let batchedTarget = 0.50
    static let readTarget = 200_000.0

    func validate() throws {
        guard (2...1_000).contains(batchSize) else { throw ValidationError("--batch-size must be 2…1000 (ledger.limits().max_events_per_append)") }
        guard (1...100).contains(rounds) else { throw ValidationError("--rounds must be 1…100") }
        guard singleEvents >= rounds else { throw ValidationError("--single-events must be at least --rounds") }
        guard events >= batchSize * rounds * 2 else {
            throw ValidationError("--events must be at least --batch-size × --rounds × 2 (\(batchSize * rounds * 2))")
        }
        guard (64...65_536).contains(payloadBytes) else { throw ValidationError("--payload-bytes must be 64…65536 (max_payload_bytes)") }
    }

    func run() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let database: BenchDatabase
        do {
            database = try await BenchDatabase.create(.fromEnvironment(applicationName: "ledger-bench"))
        } catch {
            Console.progress("error: cannot create the scratch database: \(Self.describe(error))")
            throw ExitCode.failure
        }
        let cleanup = database.dropOnSignal()
        Console.progress("scratch database \(database.name) created")
        let report: StoreReport
        do {
            report = try await measure(database, startedAt: startedAt, elapsed: { (clock.now - start).seconds })
        } catch {
            // Interrupted: the signal handler is dropping the database and will exit; stay quiet.
            while SignalCleanup.interrupted.load(ordering: .sequentiallyConsistent) { try? await Task.sleep(for: .seconds(1)) }
            Console.progress("error: \(Self.describe(error))")
            do { try await database.drop() } catch { Console.progress("could not drop \(database.name): \(Self.describe(error))") }
            cleanup.cancel()
            throw ExitCode.failure
        }
        do {
            try await database.drop()
            Console.progress("scratch database \(database.name) dropped")
        } catch {
            Console.progress("warning: could not drop \(database.name): \(Self.describe(error))")
        }
        cleanup.cancel()
        switch format {
        case .table: Console.data(report.table())
        case .json: Console.data(try report.json())
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as EventStoreError: error.underlying.map { "\(error.message) [\($0.code)]" } ?? error.message
        case let error as PostgresError: error.description
        default: String(describing: error)
        }
    }

    // MARK: The run

    private func measure(_ database: BenchDatabase, startedAt: String, elapsed: () -> Double) async throws -> StoreReport {
        Console.progress("migrating")
        try await database.migrate()
        let setup = try await database.connect()
        try await setup.simpleQuery(RawTable.create)
        let actor = try await setup.queryOne("SELECT session_user::text") { try $0.string(0) }
        let machine = try await MachineInfo.collect(setup)
        let migrations = try await setup.query("SELECT name, checksum FROM ledger_meta.schema_migrations ORDER BY version") {
            (try $0.string(0), try $0.string(1))
        }
        Console.progress("PostgreSQL \(machine.serverVersion), \(machine.processors) CPUs; fsync=\(machine.settings["fsync"] ?? "?") "
            + "synchronous_commit=\(machine.settings["synchronous_commit"] ?? "?") shared_buffers=\(machine.settings["shared_buffers"] ?? "?")")

        // Two clients per side; each connection has its own serial executor (thread), so the two
        // clients of a side really run at once.
        let ledgerConnections = [try await database.connect(), try await database.connect()]
        let rawConnections = [try await database.connect(), try await database.connect()]
        let stores = ledgerConnections.map { EventStore(connection: $0) }
        var ledgerBackends: [Int32] = []
        var rawBackends: [Int32] = []
        for connection in ledgerConnections { ledgerBackends.append(await connection.backendPID) }
        for connection in rawConnections { rawBackends.append(await connection.backendPID) }
        let oneClient = (ledger: CPUMeter(backends: [ledgerBackends[0]]), raw: CPUMeter(backends: [rawBackends[0]]))
        let twoClients = (ledger: CPUMeter(backends: ledgerBackends), raw: CPUMeter(backends: rawBackends))

        // Payloads are made before anything is timed; both sides send the same texts.
        let streams = Self.streamsPerWorkload
        let singlePayloads = PaymentPayloads.groups(1_000, of: 1, targetBytes: payloadBytes)
        let batchPayloads = PaymentPayloads.groups(max(1, 1_000 / batchSize), of: batchSize, first: 1_000_000, targetBytes: payloadBytes)
        let singleEventsPool = try PaymentPayloads.events(singlePayloads)
        let batchEventsPool = try PaymentPayloads.events(batchPayloads)
        let allPayloads = (singlePayloads + batchPayloads).flatMap { $0 }
        let averageBytes = allPayloads.reduce(0) { $0 + $1.utf8.count } / max(allPayloads.count, 1)

        func ledger(_ prefix: String, _ perAppend: Int, client: Int = 0) -> LedgerWorkload {
            LedgerWorkload(store: stores[client], plan: AppendPlan(streamPrefix: prefix, streams: streams, perAppend: perAppend),
                           batches: perAppend == 1 ? singleEventsPool : batchEventsPool)
        }
        func raw(_ prefix: String, _ perAppend: Int, client: Int = 0) -> RawWorkload {
            RawWorkload(connection: rawConnections[client], plan: AppendPlan(streamPrefix: prefix, streams: streams, perAppend: perAppend),
                        batches: perAppend == 1 ? singlePayloads : batchPayloads, actor: actor)
        }

        var figures: [Figure] = []

        // 1 / (a): one event per append, one client.
        let singlePerRound = singleEvents / rounds
        do {
            let name = "append 1 event/append, 1 client"
            let (rawWork, ledgerWork) = (raw("single", 1), ledger("single", 1))
            let (ledgerSide, rawSide) = try await alternating(name, rounds: rounds, eventsPerRound: singlePerRound, meters: oneClient,
                warmUp: {
                    try await raw("warm-single", 1).run(0..<200)
                    try await ledger("warm-single", 1).run(0..<200)
                },
                raw: { round in try await rawWork.run(round * singlePerRound..<(round + 1) * singlePerRound) },
                ledger: { round in try await ledgerWork.run(round * singlePerRound..<(round + 1) * singlePerRound) }
            )
            figures.append(Figure(key: "append_single", label: "append, 1 event/append, 1 client", baselineLabel: "(a) 1-row INSERT",
                                  ledger: ledgerSide, baseline: rawSide, target: .ratio(Self.singleTarget)))
        }

        // 2 / (b): batches, one client.
        let appendsPerRound = events / batchSize / rounds
        do {
            let name = "append \(batchSize) events/append, 1 client"
            let (rawWork, ledgerWork) = (raw("batch", batchSize), ledger("batch", batchSize))
            let (ledgerSide, rawSide) = try await alternating(name, rounds: rounds, eventsPerRound: appendsPerRound * batchSize, meters: oneClient,
                warmUp: {
                    try await raw("warm-batch", batchSize).run(0..<5)
                    try await ledger("warm-batch", batchSize).run(0..<5)
                },
                raw: { round in try await rawWork.run(round * appendsPerRound..<(round + 1) * appendsPerRound) },
                ledger: { round in try await ledgerWork.run(round * appendsPerRound..<(round + 1) * appendsPerRound) }
            )
            figures.append(Figure(key: "append_batched_1_client", label: "append, \(batchSize) events/append, 1 client",
                                  baselineLabel: "(b) \(batchSize)-row INSERT", ledger: ledgerSide, baseline: rawSide,
                                  target: .ratio(Self.batchedTarget)))
        }

        // 3 / (c): batches, two clients at once (the same total as 2).
        let perClientPerRound = appendsPerRound / 2
        do {
            let name = "append \(batchSize) events/append, 2 clients"
            let ledgerPair = (ledger("pair0", batchSize, client: 0), ledger("pair1", batchSize, client: 1))
            let rawPair = (raw("pair0", batchSize, client: 0), raw("pair1", batchSize, client: 1))
            let (ledgerSide, rawSide) = try await alternating(name, rounds: rounds, eventsPerRound: perClientPerRound * 2 * batchSize,
                meters: twoClients,
                warmUp: {
                    let (rawWarm0, rawWarm1) = (raw("warm-pair0", batchSize, client: 0), raw("warm-pair1", batchSize, client: 1))
                    try await Self.together({ try await rawWarm0.run(0..<3) }, { try await rawWarm1.run(0..<3) })
                    let (ledgerWarm0, ledgerWarm1) = (ledger("warm-pair0", batchSize, client: 0), ledger("warm-pair1", batchSize, client: 1))
                    try await Self.together({ try await ledgerWarm0.run(0..<3) }, { try await ledgerWarm1.run(0..<3) })
                },
                raw: { round in
                    let range = round * perClientPerRound..<(round + 1) * perClientPerRound
                    try await Self.together({ try await rawPair.0.run(range) }, { try await rawPair.1.run(range) })
                },
                ledger: { round in
                    let range = round * perClientPerRound..<(round + 1) * perClientPerRound
                    try await Self.together({ try await ledgerPair.0.run(range) }, { try await ledgerPair.1.run(range) })
                }
            )
            figures.append(Figure(key: "append_batched_2_clients", label: "append, \(batchSize) events/append, 2 clients",
                                  baselineLabel: "(c) \(batchSize)-row INSERT ×2", ledger: ledgerSide, baseline: rawSide,
                                  target: .ratio(Self.batchedTarget)))
        }

        // 4 / (d): the whole log through readAll, against a raw paged SELECT of as many rows.
        let logEvents = Int(try await stores[0].digest().position)
        let rawRows = try await rawConnections[0].queryOne("SELECT count(*) FROM bench_raw.events") { try $0.int(0) }
        guard rawRows == logEvents else { throw BenchError("the raw table has \(rawRows) rows but the log \(logEvents) events") }
        let readSides = try await alternating("readAll of \(Format.grouped(logEvents)) events", rounds: Self.readRounds, eventsPerRound: logEvents,
            meters: oneClient,
            warmUp: {
                _ = try await Readers.raw(rawConnections[0], limit: 10_000)
                _ = try await Readers.ledger(stores[0], limit: 10_000)
            },
            raw: { _ in
                let read = try await Readers.raw(rawConnections[0], limit: logEvents)
                guard read == logEvents else { throw BenchError("the raw read returned \(read) rows, expected \(logEvents)") }
            },
            ledger: { _ in
                let read = try await Readers.ledger(stores[0])
                guard read == logEvents else { throw BenchError("readAll returned \(read) events, expected \(logEvents)") }
            }
        )
        figures.append(Figure(key: "read_all", label: "readAll, whole log", baselineLabel: "(d) paged SELECT",
                              ledger: readSides.ledger, baseline: readSides.raw, target: .rate(Self.readTarget)))

        // 5: verifyChain of the whole log, against the same raw read (d).
        var verifySide = Side()
        _ = try await stores[0].verifyChain(through: 10_000)
        for round in 0..<Self.readRounds {
            let before = oneClient.ledger.sample()
            let (verification, seconds) = try await timed { try await stores[0].verifyChain() }
            let after = oneClient.ledger.sample()
            guard verification.isIntact, verification.eventsChecked == Int64(logEvents) else {
                throw BenchError("verifyChain: \(verification.problem?.description ?? "checked \(verification.eventsChecked) of \(logEvents) events")")
            }
            verifySide.add(events: logEvents, seconds: seconds, before: before, after: after)
            Console.progress("verifyChain round \(round + 1)/\(Self.readRounds): \(Self.rateText(logEvents, seconds))")
        }
        figures.append(Figure(key: "verify_chain", label: "verifyChain, whole log", baselineLabel: "(d) paged SELECT",
                              ledger: verifySide, baseline: readSides.raw, target: .rate(Self.readTarget)))

        for connection in ledgerConnections + rawConnections + [setup] { await connection.close() }

        return StoreReport(
            startedAt: startedAt,
            parameters: .init(
                singleEvents: singlePerRound * rounds, batchedEvents: appendsPerRound * rounds * batchSize, batchSize: batchSize,
                rounds: rounds, readRounds: Self.readRounds, streamsPerWorkload: streams, payloadBytesTarget: payloadBytes,
                payloadBytesAverage: averageBytes, pageSize: EventStore.defaultPageSize
            ),
            machine: machine, migrations: Dictionary(uniqueKeysWithValues: migrations), figures: figures, logEvents: logEvents, peakRSSKiB: MachineInfo.peakRSSKiB(), wallSeconds: elapsed()
        )
    }

    // MARK: Helpers

    /// Warms up, then runs `rounds` rounds of raw and ledger back to back, alternating which goes
    /// first, so drift (autovacuum, checkpoints, a growing table) falls on both sides alike.
    private func alternating(
        _ name: String, rounds: Int, eventsPerRound: Int, meters: (ledger: CPUMeter, raw: CPUMeter),
        warmUp: () async throws -> Void,
        raw: (Int) async throws -> Void,
        ledger: (Int) async throws -> Void
    ) async throws -> (ledger: Side, raw: Side) {
        try await warmUp()
        var ledgerSide = Side()
        var rawSide = Side()
        for round in 0..<rounds {
            var parts: [String] = []
            for side in round % 2 == 0 ? ["raw", "ledger"] : ["ledger", "raw"] {
                if side == "raw" {
                    let before = meters.raw.sample()
                    let seconds = try await timed { try await raw(round) }.seconds
                    rawSide.add(events: eventsPerRound, seconds: seconds, before: before, after: meters.raw.sample())
                    parts.append("raw \(Self.rateText(eventsPerRound, seconds))")
                } else {
                    let before = meters.ledger.sample()
                    let seconds = try await timed { try await ledger(round) }.seconds
                    ledgerSide.add(events: eventsPerRound, seconds: seconds, before: before, after: meters.ledger.sample())
                    parts.append("ledger \(Self.rateText(eventsPerRound, seconds))")
                }
            }
            Console.progress("\(name), round \(round + 1)/\(rounds): " + parts.joined(separator: ", "))
        }
        return (ledgerSide, rawSide)
    }

    static func rateText(_ events: Int, _ seconds: Double) -> String {
        "\(Format.grouped(events)) in \(Format.fixed(seconds, 2)) s = \(Format.rate(Double(events) / max(seconds, 1e-9)))/s"
    }

    /// Runs both at once (each on its own connection) and waits for both; the first error wins.
    static func together(
        _ first: @escaping @Sendable () async throws -> Void, _ second: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(operation: first)
            group.addTask(operation: second)
            try await group.waitForAll()
        }
    }
}
