import ArgumentParser
import EventStore
import Foundation
import Ledger
import Migrations
import Postgres
import TestSupport

/// `ledger-bench tree`: what the Merkle tree (0019) costs and gives — the append's extra cost of
/// keeping it (against the same append with the tree's trigger disabled, same run), tree heads and
/// proofs at each --at size, verify's full recomputation, and the migration's build of the tree
/// for a ledger that already has those events.
struct Tree: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The Merkle tree: the append's extra cost, tree heads and proofs at 100,000 and 1,000,000 events, verify, the migration's build.",
        discussion: """
            1. Appends of 1 event and of --batch-size events (1 client) on two scratch databases at once: one as
               migrated, one where `events_extend_merkle_tree` is disabled (today's append without the tree; the bench
               does this as superuser, in its own throwaway database only). Both sides call the general body
               (`ledger.append_batch`): the lean one-event path of 0020 writes its tree itself. Rounds alternate
               which goes first.
            2. In a third scratch database, filled to each --at size in appends of 1,000 events: --samples tree heads
               (EventStore.treeHead at a random size), inclusion proofs (random position, the tree of the whole log)
               and consistency proofs (random old size, to the whole log), each timed alone: median, p99, max.
            3. verifyChain of the whole log (chain, leaves, stream versions, every node), verifyChain without the
               node check (through the position before the head), a recomputation in Swift of every leaf and the
               root from readAll (EventLeaf + MerkleTree.Builder), and readAll alone; events/s each.
            4. The migration's build: 0019 undone (its trigger, functions and table dropped, version 19 forgotten)
               and Migrator.migrate() timed; the rebuilt root must be the root before.
            Needs a superuser (the private cluster of scripts/with-postgres is one). Figures go to stdout.
            """
    )

    @Option(help: "Sizes of the log for heads, proofs, verify and the migration, comma-separated.")
    var at = "100000,1000000"

    @Option(help: "Timed calls of each kind (tree head, inclusion proof, consistency proof) at each size.")
    var samples = 200

    @Option(name: .customLong("single-events"), help: "Events in the single-event append comparison, per side.")
    var singleEvents = 3_000

    @Option(help: "Events in the batched append comparison, per side.")
    var events = 120_000

    @Option(name: .customLong("batch-size"), help: "Events per append in the batched comparison (2…1000).")
    var batchSize = 100

    @Option(help: "Rounds of each append comparison; each round runs both sides back to back, alternating which goes first.")
    var rounds = 6

    @Option(name: .customLong("payload-bytes"), help: "Approximate payload size in bytes of JSON.")
    var payloadBytes = 300

    @Option(help: "Seed of the random positions and sizes.")
    var seed: UInt64 = 11

    @Option(help: "Which whole-log passes to time at each size, comma-separated: verify (verifyChain), chain (verifyChain without the node check), recompute (leaves and root in Swift), readAll.")
    var passes = "verify,chain,recompute,readAll"

    static let passNames = ["verify", "chain", "recompute", "readAll"]
    var selectedPasses: [Int] {
        let names = passes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return Self.passNames.indices.filter { names.contains(Self.passNames[$0]) }
    }

    @Flag(name: .customLong("append-only"), help: "Only the append comparison (part 1); no fill, proofs, verify or migration.")
    var appendOnly = false

    @Option(name: .customLong("setup-sql"), help: ArgumentHelp(
        "SQL run as superuser in every scratch database after it is migrated (and after the migration's rebuild), to measure a variant of the schema without a migration.",
        valueName: "SQL"))
    var setupSQL: String?

    static let fillBatch = 1_000
    static let readRounds = 2
    static let appendTarget = 0.10

    var sizes: [Int] { at.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.sorted() }

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1_000 }), sizes.count == at.split(separator: ",").count else {
            throw ValidationError("--at: sizes of at least 1000, comma-separated")
        }
        let names = passes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.allSatisfy(Self.passNames.contains) else {
            throw ValidationError("--passes: names among \(Self.passNames.joined(separator: ", ")), comma-separated")
        }
        guard (1...100_000).contains(samples) else { throw ValidationError("--samples must be 1…100000") }
        guard (2...1_000).contains(batchSize) else { throw ValidationError("--batch-size must be 2…1000 (ledger.limits().max_events_per_append)") }
        guard (1...100).contains(rounds) else { throw ValidationError("--rounds must be 1…100") }
        guard singleEvents >= rounds else { throw ValidationError("--single-events must be at least --rounds") }
        guard events >= batchSize * rounds else { throw ValidationError("--events must be at least --batch-size × --rounds (\(batchSize * rounds))") }
        guard (64...65_536).contains(payloadBytes) else { throw ValidationError("--payload-bytes must be 64…65536 (max_payload_bytes)") }
    }

    func run() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let startedAt = ISO8601DateFormatter().string(from: Date())
        var sections: [String] = []
        var machine: MachineInfo?
        try await BenchDatabase.withScratch { withTree in
            try await withTree.migrate()
            let setup = try await withTree.connect()
            try await applySetup(setup)
            machine = try await MachineInfo.collect(setup)
            await setup.close()
            let withoutTree = try await BenchDatabase.create(.fromEnvironment(applicationName: "ledger-bench"))
            Console.progress("scratch databases \(withTree.name) (tree) and \(withoutTree.name) (trigger disabled) created")
            do {
                sections.append(try await appendCost(withTree: withTree, withoutTree: withoutTree))
            } catch {
                try? await withoutTree.drop()
                throw error
            }
            try await withoutTree.drop()
        }
        if !appendOnly {
            try await BenchDatabase.withScratch { database in
                sections.append(try await atSizes(database))
            }
        }
        guard let machine else { return }
        let settings = MachineInfo.settingNames.map { name in "\(name)=\(machine.settings[name] ?? "-")" }
        sections.append(Format.keyValues([
            ("started", startedAt),
            ("machine", "\(machine.processors) CPUs, \(machine.cpuModel), \(Format.grouped(machine.memoryMiB)) MiB, Linux \(machine.kernel)"),
            ("postgresql", machine.serverVersion + (machine.privateCluster ? " (private cluster of scripts/with-postgres)" : "")),
            ("server settings", settings.joined(separator: " ")),
            ("payload", "about \(payloadBytes) bytes of JSON per event"),
            ("setup SQL", setupSQL ?? "none (the schema as migrated)"),
            ("client peak RSS", "\(Format.grouped(MachineInfo.peakRSSKiB() / 1024)) MiB (VmHWM)"),
            ("wall time", "\(Format.fixed((clock.now - start).seconds, 1)) s"),
        ]))
        Console.data(sections.joined(separator: "\n\n"))
    }

    // MARK: 1. The append's extra cost

    private func appendCost(withTree: BenchDatabase, withoutTree: BenchDatabase) async throws -> String {
        try await withoutTree.migrate()
        let admin = try await withoutTree.connect()
        try await applySetup(admin)
        let superuser = try await admin.queryOne("SELECT rolsuper FROM pg_roles WHERE rolname = session_user") { try $0.bool(0) }
        guard superuser else { throw BenchError("ledger-bench tree needs a superuser (to disable the tree's trigger in its scratch database)") }
        try await admin.simpleQuery("ALTER TABLE ledger.events DISABLE TRIGGER events_extend_merkle_tree")
        await admin.close()
        // Since 0020 a one-event append takes the lean path, which writes its own leaf and parents
        // whatever the trigger: to measure the tree alone, both sides call the general body here.
        for database in [withTree, withoutTree] {
            let connection = try await database.connect()
            try await connection.simpleQuery(Self.generalBodyOnly)
            await connection.close()
        }

        let treeConnection = try await withTree.connect()
        let plainConnection = try await withoutTree.connect()
        let stores = (tree: EventStore(connection: treeConnection), plain: EventStore(connection: plainConnection))
        let meters = (tree: CPUMeter(backends: [await treeConnection.backendPID]), plain: CPUMeter(backends: [await plainConnection.backendPID]))
        let singlePool = try PaymentPayloads.events(PaymentPayloads.groups(1_000, of: 1, targetBytes: payloadBytes))
        let batchPool = try PaymentPayloads.events(PaymentPayloads.groups(max(1, 1_000 / batchSize), of: batchSize, first: 1_000_000,
                                                                         targetBytes: payloadBytes))
        func workload(_ store: EventStore, _ prefix: String, _ perAppend: Int) -> LedgerWorkload {
            LedgerWorkload(store: store, plan: AppendPlan(streamPrefix: prefix, streams: Store.streamsPerWorkload, perAppend: perAppend),
                           batches: perAppend == 1 ? singlePool : batchPool)
        }

        var rows: [[String]] = []
        var costRows: [[String]] = []
        for perAppend in [1, batchSize] {
            let appendsPerRound = (perAppend == 1 ? singleEvents : events / batchSize) / rounds
            let eventsPerRound = appendsPerRound * perAppend
            let name = perAppend == 1 ? "single" : "batch"
            let tree = workload(stores.tree, name, perAppend)
            let plain = workload(stores.plain, name, perAppend)
            try await workload(stores.tree, "warm-\(name)", perAppend).run(0..<(perAppend == 1 ? 200 : 5))
            try await workload(stores.plain, "warm-\(name)", perAppend).run(0..<(perAppend == 1 ? 200 : 5))
            var treeSide = Side()
            var plainSide = Side()
            for round in 0..<rounds {
                let range = round * appendsPerRound..<(round + 1) * appendsPerRound
                var parts: [String] = []
                for side in round % 2 == 0 ? ["tree", "plain"] : ["plain", "tree"] {
                    let meter = side == "tree" ? meters.tree : meters.plain
                    let before = meter.sample()
                    let seconds = try await timed { try await (side == "tree" ? tree : plain).run(range) }.seconds
                    if side == "tree" {
                        treeSide.add(events: eventsPerRound, seconds: seconds, before: before, after: meter.sample())
                    } else {
                        plainSide.add(events: eventsPerRound, seconds: seconds, before: before, after: meter.sample())
                    }
                    parts.append("\(side == "tree" ? "with tree" : "without") \(Store.rateText(eventsPerRound, seconds))")
                }
                Console.progress("append \(perAppend) event(s)/append, round \(round + 1)/\(rounds): " + parts.joined(separator: ", "))
            }
            // Extra cost = time per event with the tree / without − 1.
            let extra = treeSide.eventsPerSecond > 0 ? plainSide.eventsPerSecond / treeSide.eventsPerSecond - 1 : 0
            let roundExtras = zip(plainSide.roundEventsPerSecond, treeSide.roundEventsPerSecond).map { $0 / max($1, 1) - 1 }.sorted()
            let label = "append, \(perAppend) event\(perAppend == 1 ? "" : "s")/append, 1 client"
            rows.append([
                label, Format.grouped(treeSide.events), Format.rate(plainSide.eventsPerSecond), Format.rate(treeSide.eventsPerSecond),
                Format.fixed(treeSide.eventsPerSecond / max(plainSide.eventsPerSecond, 1), 3), Self.percent(extra),
                "\(Self.percent(roundExtras.first ?? 0)) … \(Self.percent(roundExtras.last ?? 0))",
                "< 10%", extra < Self.appendTarget ? "PASS" : "MISS",
            ])
            for (index, (sideName, side)) in [("without tree", plainSide), ("with tree", treeSide)].enumerated() {
                costRows.append([
                    index == 0 ? label : "", sideName, Format.fixed(side.wallMicrosecondsPerEvent, 1),
                    Format.fixed(side.clientMicrosecondsPerEvent, 1), side.serverMicrosecondsPerEvent.map { Format.fixed($0, 1) } ?? "-",
                ])
            }
        }
        await treeConnection.close()
        await plainConnection.close()
        return [
            "The append's extra cost of the Merkle tree (same run; \(rounds) rounds alternating which side goes first)",
            "",
            Format.table(["measurement", "events/side", "without tree ev/s", "with tree ev/s", "with/without", "extra", "extra per round",
                          "target", "result"], rows),
            "",
            Format.table(["cost per event, µs", "side", "wall", "client CPU", "server CPU"], costRows),
            "",
            "without tree: the same migrated database with `ALTER TABLE ledger.events DISABLE TRIGGER events_extend_merkle_tree`; "
                + "extra = (time per event with the tree) / (without) − 1. Both sides call the general body (`ledger.append_batch`): "
                + "the lean one-event path of 0020 writes its tree itself, and its cost is measured beside the peers (run.sh).",
        ].joined(separator: "\n")
    }

    /// In a scratch database only: `ledger.append` as a call of the general body
    /// (`ledger.append_batch`, 0020), so that every append writes its tree through the trigger.
    static let generalBodyOnly = """
        CREATE OR REPLACE FUNCTION ledger.append(p_command_id text, p_batch jsonb) RETURNS jsonb
        LANGUAGE sql AS 'SELECT ledger.append_batch(p_command_id, p_batch)'
        """

    private func applySetup(_ connection: PostgresConnection) async throws {
        guard let setupSQL else { return }
        try await connection.simpleQuery(setupSQL)
    }

    static func percent(_ fraction: Double) -> String { Format.fixed(fraction * 100, 1) + "%" }

    // MARK: 2–4. At each size

    private struct Timings {
        var values: [Double] = []
        mutating func add(_ seconds: Double) { values.append(seconds) }
        var sorted: [Double] { values.sorted() }
        var median: Double {
            let s = sorted
            guard !s.isEmpty else { return 0 }
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        /// The nearest-rank 99th percentile.
        var p99: Double {
            let s = sorted
            guard !s.isEmpty else { return 0 }
            return s[max(0, Int((0.99 * Double(s.count)).rounded(.up)) - 1)]
        }
        var maximum: Double { values.max() ?? 0 }
        var milliseconds: [String] { [median, p99, maximum].map { Format.fixed($0 * 1000, 2) } }
    }

    private func atSizes(_ database: BenchDatabase) async throws -> String {
        try await database.migrate()
        let connection = try await database.connect()
        try await applySetup(connection)
        let store = EventStore(connection: connection)
        let meter = CPUMeter(backends: [await connection.backendPID])
        let pool = try PaymentPayloads.events(PaymentPayloads.groups(4, of: Self.fillBatch, first: 2_000_000, targetBytes: payloadBytes))
        var random = SplitMix64(seed: seed)
        var proofRows: [[String]] = []
        var verifyRows: [[String]] = []
        var migrationRows: [[String]] = []
        var fillNotes: [String] = []
        var k = 0
        for size in sizes {
            // Fill.
            var head = Int(try await store.digest().position)
            let fillStart = head
            let (_, fillSeconds) = try await timed {
                while head < size {
                    let count = min(Self.fillBatch, size - head)
                    _ = try await store.append(Array(pool[k % pool.count].prefix(count)), to: StreamID("fill-\(k % 1_000)"),
                                               expectedVersion: .any, commandID: "fill-\(k)")
                    head += count
                    k += 1
                    if k % 100 == 0 { Console.progress("filling: \(Format.grouped(head)) of \(Format.grouped(size)) events") }
                }
            }
            fillNotes.append("\(Format.grouped(size - fillStart)) events to \(Format.grouped(size)) in \(Format.fixed(fillSeconds, 1)) s "
                + "(\(Format.rate(Double(size - fillStart) / max(fillSeconds, 1e-9))) ev/s, with the tree)")
            Console.progress("filled to \(Format.grouped(size)) events in \(Format.fixed(fillSeconds, 1)) s")
            try await connection.simpleQuery("VACUUM ANALYZE ledger.events")
            try await connection.simpleQuery("VACUUM ANALYZE ledger.merkle_nodes")
            let n = Int64(size)
            let root = try await store.treeRoot(size: n)

            // 2. Tree heads and proofs, each call timed alone; checked outside the timing.
            var heads = Timings(), inclusions = Timings(), consistencies = Timings()
            for warm in 0..<20 {
                _ = try await store.treeHead(size: Int64(warm + 1), takenAtMicros: 0)
                _ = try await store.inclusionProof(position: Int64(warm + 1), treeSize: n)
                _ = try await store.consistencyProof(old: Int64(warm + 1), new: n)
            }
            for _ in 0..<samples {
                let headSize = Int64.random(in: 1...n, using: &random)
                let (treeHead, headSeconds) = try await timed {
                    try await store.treeHead(size: headSize, takenAtMicros: Int64(Date().timeIntervalSince1970 * 1e6))
                }
                heads.add(headSeconds)
                guard treeHead.treeSize == headSize, treeHead.rootHash.count == 64 else { throw BenchError("tree head at \(headSize): \(treeHead)") }

                let position = Int64.random(in: 1...n, using: &random)
                let (proof, proofSeconds) = try await timed { try await store.inclusionProof(position: position, treeSize: n) }
                inclusions.add(proofSeconds)
                guard MerkleTree.root(fromInclusion: proof.path, leafHash: proof.leafHash, index: position - 1, size: n) == root else {
                    throw BenchError("the inclusion proof of position \(position) in \(n) does not verify")
                }

                let old = Int64.random(in: 1..<n, using: &random)
                let (path, consistencySeconds) = try await timed { try await store.consistencyProof(old: old, new: n) }
                consistencies.add(consistencySeconds)
                let oldRoot = try await store.treeRoot(size: old)
                guard MerkleTree.verifyConsistency(oldSize: old, newSize: n, oldRoot: oldRoot, newRoot: root, path: path) else {
                    throw BenchError("the consistency proof from \(old) to \(n) does not verify")
                }
            }
            Console.progress("\(Format.grouped(size)) events, median / p99 / max ms: tree head \(heads.milliseconds.joined(separator: " / ")), "
                + "inclusion \(inclusions.milliseconds.joined(separator: " / ")), consistency \(consistencies.milliseconds.joined(separator: " / "))")
            proofRows.append([Format.grouped(size), "tree head (random size)"] + heads.milliseconds)
            proofRows.append(["", "inclusion proof (random position)"] + inclusions.milliseconds)
            proofRows.append(["", "consistency proof (random old size → \(Format.grouped(size)))"] + consistencies.milliseconds)

            // 3. Verify and the recomputation, alternating order per round.
            var sides: [String: Side] = [:]
            let kinds = ["verifyChain (chain + leaves + nodes)", "verifyChain without the node check", "Swift: leaves + root from readAll",
                         "readAll alone"]
            if !selectedPasses.isEmpty { _ = try await store.verifyChain(through: 10_000) }
            for round in 0..<Self.readRounds {
                let selected = selectedPasses.map { kinds[$0] }
                for kind in round % 2 == 0 ? selected : selected.reversed() {
                    let before = meter.sample()
                    let (count, seconds) = try await timed { () async throws -> Int in
                        switch kind {
                        case kinds[0], kinds[1]:
                            let verification = try await store.verifyChain(through: kind == kinds[0] ? nil : n - 1)
                            guard verification.isIntact else { throw BenchError("verifyChain: \(verification.problem?.description ?? "?")") }
                            return Int(verification.eventsChecked)
                        case kinds[2]:
                            var builder = MerkleTree.Builder()
                            for try await event in store.readAll() { builder.add(leafHash: EventLeaf.hash(of: event)) }
                            guard builder.root == root else { throw BenchError("the recomputed root of \(builder.size) events is not the stored root") }
                            return Int(builder.size)
                        default:
                            return try await Readers.ledger(store)
                        }
                    }
                    let expected = kind == kinds[1] ? size - 1 : size
                    guard count == expected else { throw BenchError("\(kind) saw \(count) events, expected \(expected)") }
                    sides[kind, default: Side()].add(events: count, seconds: seconds, before: before, after: meter.sample())
                    Console.progress("\(Format.grouped(size)) events, round \(round + 1)/\(Self.readRounds), \(kind): \(Store.rateText(count, seconds))")
                }
            }
            for (index, kind) in selectedPasses.map({ kinds[$0] }).enumerated() {
                let side = sides[kind] ?? Side()
                verifyRows.append([
                    index == 0 ? Format.grouped(size) : "", kind, Format.rate(side.eventsPerSecond),
                    side.roundEventsPerSecond.map { Format.rate($0) }.joined(separator: ", "),
                    Format.fixed(side.clientMicrosecondsPerEvent, 2), side.serverMicrosecondsPerEvent.map { Format.fixed($0, 2) } ?? "-",
                ])
            }

            // 4. The migration's build of the tree for these events.
            // Back to the release before 0019 (and 0020).
            try await connection.simpleQuery(Rewind.beforeMerkleTree)
            try await connection.simpleQuery("CHECKPOINT")
            // The drops above are DDL outside a migration: 0011 records each as an event, so the log is a few events longer.
            let migrated = try await store.digest().position
            let migrator = try Migrator(connection: connection)
            let (report, migrationSeconds) = try await timed { try await migrator.migrate() }
            try await applySetup(connection)
            guard report.applied.map(\.version) == [19, 20] else {
                throw BenchError("the migrations applied \(report.applied.map(\.version)), expected [19, 20]")
            }
            guard try await store.treeRoot(size: n) == root else { throw BenchError("the migration's tree of \(n) events has another root") }
            let nodes = try await connection.queryOne("SELECT count(*) FROM ledger.merkle_nodes") { try $0.int64(0) }
            Console.progress("\(Format.grouped(size)) events: the migration built the tree (\(Format.grouped(nodes)) nodes) in \(Format.fixed(migrationSeconds, 1)) s")
            migrationRows.append([
                Format.grouped(migrated), Format.grouped(nodes), Format.fixed(migrationSeconds, 1),
                Format.fixed(migrationSeconds / Double(migrated) * 1_000_000, 1), Format.rate(Double(migrated) / max(migrationSeconds, 1e-9)),
            ])
        }
        await connection.close()
        return [
            "Tree heads and proofs, each call timed alone (\(samples) calls of each kind per size; EventStore, one connection)",
            "",
            Format.table(["events", "call", "median ms", "p99 ms", "max ms"], proofRows),
            "",
            "Verify and recomputation of the whole log (\(Self.readRounds) rounds, order alternating)",
            "",
            Format.table(["events", "pass", "ev/s", "per round", "client CPU µs/ev", "server CPU µs/ev"], verifyRows),
            "",
            "verifyChain without the node check: verifyChain(through: head − 1), the chain pass with every leaf checked against its event, "
                + "but not the stream versions nor the nodes above the leaves.",
            "",
            "The migration's build of the tree (0019 undone, then Migrator.migrate(); the rebuilt root equals the one kept by the trigger)",
            "",
            Format.table(["events", "nodes", "seconds", "s per million events", "events/s"], migrationRows),
            "",
            "fill (appends of \(Self.fillBatch) events): " + fillNotes.joined(separator: "; "),
        ].joined(separator: "\n")
    }
}
