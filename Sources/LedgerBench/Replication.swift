import ArgumentParser
import Dispatch
import EventStore
import Foundation
import Ledger
import LocalCluster
import Migrations
import Postgres
import Synchronization

/// `ledger-bench replication`: a primary and a streaming standby of its own on this machine
/// (LocalCluster, durable: fsync on), and what replication costs and buys: reads on the standby
/// beside the same reads on the primary while officers write, the append with a synchronous
/// standby, an asynchronous one and none, and the time from killing the primary to the first
/// command that succeeds on the promoted standby.
struct Replication: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reads on a standby, the append with and without a synchronous standby, and failover time, on a primary + standby of its own.",
        discussion: """
            Starts its own primary and streaming standby (initdb and pg_basebackup in /tmp, unix sockets, fsync on;
            PG_BINDIR or the newest /usr/lib/postgresql/*/bin), needs no DATABASE_URL, and removes both at the end.
            Writes a synthetic year of --events events, then: (a) `ledger audit verify`, `ledger report budget` and
            `ledger report budget --as-of` (each its own process of the `ledger` binary beside this one, or
            LEDGER_BINARY) on the primary and on the standby while --officers officers record payments on the primary;
            (b) single-event appends (EventStore.append, as `ledger-bench store`) with the standby synchronous,
            asynchronous and stopped, --appends per mode in each of --rounds rounds, order rotated; (c) SIGKILL of the
            primary, `pg_ctl promote` of the standby, and `ledger payment record` retried through a multi-host
            connection string (target_session_attrs=read-write) from the kill until it succeeds. No figure is judged.
            """
    )

    @Option(help: "Events in the log before the measurements (a synthetic disbursement year).")
    var events = 50_000

    @Option(help: "Officers recording payments on the primary during (a).")
    var officers = 2

    @Option(help: "Single-event appends per mode in each round of (b).")
    var appends = 1_000

    @Option(help: "Rounds of (b); each round measures every mode once.")
    var rounds = 3

    func validate() throws {
        guard events >= 1_000 else { throw ValidationError("--events must be at least 1000") }
        guard (1...16).contains(officers) else { throw ValidationError("--officers must be 1…16") }
        guard appends >= 10, (1...20).contains(rounds) else { throw ValidationError("--appends ≥ 10, --rounds 1…20") }
    }

    static let database = "ledger"
    static let paidOn = Disbursements.date("2024-03-15")

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: ReadSide.ledgerBinary) else {
            Console.progress("error: no ledger binary at \(ReadSide.ledgerBinary); run swift build -c release (or set LEDGER_BINARY)")
            throw ExitCode.failure
        }
        let cluster: LocalCluster
        do {
            cluster = try LocalCluster(label: "bench", durable: true)
        } catch {
            Console.progress("error: \(error)")
            throw ExitCode.failure
        }
        let cleanup = ClusterCleanup(cluster)
        defer {
            cleanup.cancel()
            cluster.remove()
        }
        do {
            try await measure(cluster)
        } catch {
            Console.progress("error: \(Store.describe(error))")
            throw ExitCode.failure
        }
    }

    // MARK: The run

    private func measure(_ cluster: LocalCluster) async throws {
        Console.progress("starting a primary and a standby in \(cluster.folder.path)")
        let primary = try cluster.makePrimary()
        try primary.start()
        try primary.psql("CREATE DATABASE \(Self.database)")
        let standby = try cluster.makeStandby(of: primary)
        try standby.start()
        try setSynchronous(true, primary)

        func configuration(_ server: LocalServer, user: String = "postgres") -> ConnectionConfiguration {
            ConnectionConfiguration(connectionString: server.connectionString(database: Self.database, user: user), applicationName: "ledger-bench")
        }
        let admin = LedgerService(connection: try await PostgresConnection.connect(configuration(primary)))
        try await Migrator(connection: admin.store.connection).migrate()
        let people = Disbursements.People(suffix: "repl")
        try await people.create(admin.store.connection)
        let writerRoles = (0..<officers).map { "bench_repl_writer\($0)" }
        for role in writerRoles {
            _ = try await admin.store.connection.queryOne("SELECT ledger.add_user($1, 'officer')", [role]) { try $0.string(0) }
        }
        let officer = LedgerService(connection: try await PostgresConnection.connect(configuration(primary, user: people.officer)))
        let approver = LedgerService(connection: try await PostgresConnection.connect(configuration(primary, user: people.approver)))

        // The log: a synthetic year, then approved applications for the writers.
        var year = SyntheticYear(admin: admin, officer: officer, approver: approver, officerRole: people.officer,
                                 approverRole: people.approver, seed: 2024)
        try await year.prepare()
        let (_, writeSeconds) = try await timed {
            while try await admin.store.digest().position < Int64(events) {
                let remaining = Int64(events) - (try await admin.store.digest().position)
                try await year.add(beneficiaries: Int(max(100, min(2_000, remaining / 9 + 1))))
            }
        }
        let perWriter = 100
        let targets = try await BulkApplications(officer: officer, approver: approver, officerRole: people.officer, approverRole: people.approver)
            .seedApproved(count: perWriter * officers, prefix: "W-", program: Disbursements.program, district: .ninhKieu,
                          amount: 40_000_000, submittedOn: Disbursements.submittedOn, decidedOn: Disbursements.decidedOn)
        let logSize = try await admin.store.digest().position
        Console.progress("log written: \(Format.grouped(logSize)) events in \(Format.fixed(writeSeconds, 1)) s; VACUUM ANALYZE, projections run")
        try await admin.store.connection.simpleQuery("VACUUM ANALYZE")
        let projections = try await ChildProcess.run(ReadSide.ledgerBinary, ["projections", "run"], environment: environment(primary))
        guard projections.status == 0 else { throw BenchError("ledger projections run exited \(projections.status): \(projections.stderrTail)") }
        try waitForCatchUp(primary, standby)
        let settings = try serverSettings(primary)
        let machine = try await MachineInfo.collect(admin.store.connection)

        // (a) Reads on the primary and on the standby while officers write on the primary.
        Console.progress("(a) reads on the primary and the standby while \(officers) officer(s) record payments")
        var writers: [LedgerService] = []
        for role in writerRoles {
            writers.append(LedgerService(connection: try await PostgresConnection.connect(configuration(primary, user: role))))
        }
        let stop = StopFlag()
        let writerServices = writers, paidOn = Self.paidOn
        let writing = Task { () -> (value: Int, seconds: Double) in
            try await timed {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for (index, writer) in writerServices.enumerated() {
                        let applications = Array(targets[(index * perWriter)..<((index + 1) * perWriter)])
                        group.addTask {
                            var count = 0
                            while !stop.isSet {
                                let id = "PW-\(index)-\(count)"
                                _ = try await writer.recordPayment(LedgerService.PaymentOrder(
                                    applicationID: applications[count % applications.count], paymentID: id, amount: 1_000,
                                    paidOn: paidOn, method: .bank, voucher: "PC \(id)"))
                                count += 1
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        var readRows: [[String]] = []
        var worstLag = (seconds: 0.0, bytes: Int64(0))
        for (label, arguments) in [
            ("audit verify", ["audit", "verify"]),
            ("report budget (read model)", ["report", "budget"]),
            ("report budget --as-of (log folded)", ["report", "budget", "--as-of", "2024-12-31"]),
        ] {
            var cells = [label]
            var seconds: [Double] = []
            for server in [primary, standby] {
                let head = try Int64(server.psql("SELECT last_position FROM ledger.head", database: Self.database)) ?? 0
                let result = try await ChildProcess.run(ReadSide.ledgerBinary, arguments, environment: environment(server))
                guard result.status == 0 else { throw BenchError("ledger \(arguments.joined(separator: " ")) on \(server.name) exited \(result.status): \(result.stderrTail)") }
                cells += [Format.fixed(result.seconds, 2), arguments[0] == "audit" ? Format.rate(Double(head) / result.seconds) : "-"]
                seconds.append(result.seconds)
                let lag = try replicationLag(primary)
                worstLag = (max(worstLag.seconds, lag.seconds), max(worstLag.bytes, lag.bytes))
            }
            cells.append(Format.fixed(seconds[1] / seconds[0], 2) + "×")
            readRows.append(cells)
        }
        stop.set()
        let written = try await writing.value
        for writer in writers { await writer.store.connection.close() }
        let paymentsPerSecond = Double(written.value) / written.seconds

        // Without writers, for comparison: the same reads on an idle pair.
        try waitForCatchUp(primary, standby)
        var idleRows: [[String]] = []
        for (label, arguments) in [("audit verify", ["audit", "verify"]), ("report budget (read model)", ["report", "budget"])] {
            var cells = [label + ", no writers"]
            var seconds: [Double] = []
            for server in [primary, standby] {
                let head = try Int64(server.psql("SELECT last_position FROM ledger.head", database: Self.database)) ?? 0
                let result = try await ChildProcess.run(ReadSide.ledgerBinary, arguments, environment: environment(server))
                guard result.status == 0 else { throw BenchError("ledger \(arguments.joined(separator: " ")) on \(server.name) exited \(result.status)") }
                cells += [Format.fixed(result.seconds, 2), arguments[0] == "audit" ? Format.rate(Double(head) / result.seconds) : "-"]
                seconds.append(result.seconds)
            }
            cells.append(Format.fixed(seconds[1] / seconds[0], 2) + "×")
            idleRows.append(cells)
        }

        // (b) The append: synchronous standby, asynchronous standby, no standby; rounds, order rotated.
        Console.progress("(b) single-event appends: synchronous standby, asynchronous standby, no standby (\(rounds) rounds × \(appends))")
        let store = EventStore(connection: try await PostgresConnection.connect(configuration(primary)))
        let payloads = try PaymentPayloads.events(PaymentPayloads.groups(1_000, of: 1, targetBytes: 300))
        var latencies: [AppendMode: [Double]] = [:]
        var wall: [AppendMode: Double] = [:]
        // Warm-up: the statement, the connection, the cache.
        _ = try await appendRun(store, prefix: "warm", count: 100, payloads: payloads)
        for round in 0..<rounds {
            let modes = AppendMode.allCases
            for offset in 0..<modes.count {
                let mode = modes[(round + offset) % modes.count]
                try switchTo(mode, primary: primary, standby: standby)
                let (each, seconds) = try await timed { try await appendRun(store, prefix: "\(mode.rawValue)-r\(round)", count: appends, payloads: payloads) }
                latencies[mode, default: []] += each
                wall[mode, default: 0] += seconds
                Console.progress("(b) round \(round + 1), \(mode.label): \(Format.rate(Double(appends) / seconds)) appends/s")
            }
        }
        try switchTo(.synchronous, primary: primary, standby: standby)
        await store.connection.close()
        var appendRows: [[String]] = []
        let noStandbyRate = Double(appends * rounds) / (wall[.none] ?? 1)
        for mode in AppendMode.allCases {
            let sorted = (latencies[mode] ?? []).sorted()
            let rate = Double(sorted.count) / (wall[mode] ?? 1)
            appendRows.append([mode.label, Format.rate(rate), Format.fixed(percentile(sorted, 0.50) * 1000, 2),
                               Format.fixed(percentile(sorted, 0.95) * 1000, 2), Format.fixed(percentile(sorted, 0.99) * 1000, 2),
                               Format.fixed(rate / noStandbyRate, 2) + "×"])
        }

        // (c) Failover: SIGKILL of the primary, promotion, the first command that succeeds.
        Console.progress("(c) failover: SIGKILL of the primary, pg_ctl promote, payment record retried through a multi-host connection string")
        for service in [admin, officer, approver] { await service.store.connection.close() }
        try waitForCatchUp(primary, standby)
        let multiHost = "host=\(primary.socketDirectory.path),\(standby.socketDirectory.path) port=\(primary.port),\(standby.port) "
            + "dbname=\(Self.database) user=\(writerRoles[0]) target_session_attrs=read-write connect_timeout=2"
        var clientEnvironment = cleanEnvironment()
        clientEnvironment["DATABASE_URL"] = multiHost
        let paymentArguments = ["payment", "record", "--application", targets[0], "--payment-id", "FAILOVER-1", "--amount", "1000",
                                "--paid-on", "2024-03-15", "--method", "bank", "--voucher", "PC FAILOVER-1"]
        let clock = ContinuousClock()
        try primary.crash()
        let killed = clock.now
        let promotion = Task { () -> Double in
            try await offThread { try standby.promote() }
            return (clock.now - killed).seconds
        }
        var attempts = 0
        var firstSuccess = 0.0
        var lastFailure = ""
        while true {
            attempts += 1
            let result = try await ChildProcess.run(ReadSide.ledgerBinary, paymentArguments, environment: clientEnvironment)
            if result.status == 0 {
                firstSuccess = (clock.now - killed).seconds
                break
            }
            lastFailure = result.stderrTail
            guard (clock.now - killed).seconds < 60 else { throw BenchError("no command succeeded within 60 s of the kill; last: \(lastFailure)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let promoted = try await promotion.value
        let recorded = try standby.psql("SELECT count(*) FROM ledger.events WHERE payload->>'payment_id' = 'FAILOVER-1'", database: Self.database)
        guard recorded == "1" else { throw BenchError("the failover payment is on the new primary \(recorded) times") }

        // The figures.
        var out: [String] = []
        out.append("Replication on one machine: a primary and a streaming standby of this run (LocalCluster), both on \(machine.processors) CPUs "
            + "(\(machine.cpuModel)), PostgreSQL \(machine.serverVersion).")
        out.append("Server settings (both servers): fsync=\(settings["fsync"] ?? "?"), synchronous_commit=\(settings["synchronous_commit"] ?? "?"), "
            + "synchronous_standby_names='\(settings["synchronous_standby_names"] ?? "?")' (in (a) and (c)), shared_buffers=\(settings["shared_buffers"] ?? "?"), "
            + "full_page_writes=\(settings["full_page_writes"] ?? "?"), wal_level=\(settings["wal_level"] ?? "?").")
        out.append("Log: \(Format.grouped(logSize)) events (synthetic year) before (a).")
        out.append("")
        out.append("(a) Reads, each a `ledger` process, on the primary and on the standby; \(officers) officer(s) recording payments on the primary meanwhile")
        out.append(Format.table(["command", "primary s", "primary ev/s", "standby s", "standby ev/s", "standby/primary time"], readRows + idleRows))
        out.append("Payments recorded meanwhile: \(Format.grouped(written.value)) in \(Format.fixed(written.seconds, 1)) s "
            + "(\(Format.fixed(paymentsPerSecond, 1))/s, synchronous standby); worst replay lag seen: \(Format.fixed(worstLag.seconds * 1000, 1)) ms, "
            + "\(Format.grouped(worstLag.bytes)) bytes.")
        out.append("")
        out.append("(b) ledger.append, 1 event per append, 1 client (EventStore.append), \(rounds) rounds × \(Format.grouped(appends)) appends per mode, order rotated")
        out.append(Format.table(["standby", "appends/s", "median ms", "p95 ms", "p99 ms", "vs no standby"], appendRows))
        out.append("")
        out.append("(c) Failover: SIGKILL of the primary → pg_ctl promote of the synchronous standby; `ledger payment record` retried every 20 ms "
            + "through DATABASE_URL naming both servers (target_session_attrs=read-write)")
        out.append(Format.keyValues([
            ("promotion (pg_ctl promote -w, polls every 100 ms)", Format.fixed(promoted * 1000, 0) + " ms after the kill"),
            ("first successful command", Format.fixed(firstSuccess * 1000, 0) + " ms after the kill (attempt \(attempts))"),
        ]))
        out.append("The kill and the promotion are immediate here (the bench does both); a real failover adds the time to notice "
            + "the primary is gone and decide to promote.")
        Console.data(out.joined(separator: "\n"))
    }

    // MARK: Helpers

    enum AppendMode: String, CaseIterable {
        case synchronous, asynchronous, none
        var label: String {
            switch self {
            case .synchronous: "synchronous standby (commit waits for its flush)"
            case .asynchronous: "asynchronous standby"
            case .none: "no standby (stopped)"
            }
        }
    }

    /// Sets the standby's part for an append measurement: synchronous, asynchronous, or stopped.
    private func switchTo(_ mode: AppendMode, primary: LocalServer, standby: LocalServer) throws {
        switch mode {
        case .synchronous, .asynchronous:
            if !standby.isRunning {
                try standby.start()
                try primary.waitFor("SELECT count(*) FROM pg_stat_replication WHERE application_name = 'standby' AND state = 'streaming'", toBe: "1")
            }
            try setSynchronous(mode == .synchronous, primary)
        case .none:
            try setSynchronous(false, primary)
            if standby.isRunning { try standby.stop() }
            try primary.waitFor("SELECT count(*) FROM pg_stat_replication", toBe: "0")
        }
    }

    private func setSynchronous(_ synchronous: Bool, _ primary: LocalServer) throws {
        try primary.psql("ALTER SYSTEM SET synchronous_standby_names = '\(synchronous ? "FIRST 1 (standby)" : "")'")
        try primary.psql("SELECT pg_reload_conf()")
        try primary.waitFor("SELECT current_setting('synchronous_standby_names')", toBe: synchronous ? "FIRST 1 (standby)" : "")
        if synchronous {
            try primary.waitFor("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'", toBe: "sync")
        }
    }

    /// Single-event appends through EventStore.append, each timed; returns the seconds of each.
    private func appendRun(_ store: EventStore, prefix: String, count: Int, payloads: [[NewEvent]]) async throws -> [Double] {
        let plan = AppendPlan(streamPrefix: "repl-\(prefix)", streams: 100, perAppend: 1)
        var seconds: [Double] = []
        seconds.reserveCapacity(count)
        let clock = ContinuousClock()
        for k in 0..<count {
            let start = clock.now
            _ = try await store.append(payloads[k % payloads.count], to: StreamID(plan.stream(k)),
                                       expectedVersion: .exactly(plan.versionBefore(k)), commandID: plan.commandID(k))
            seconds.append((clock.now - start).seconds)
        }
        return seconds
    }

    private func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
    }

    private func waitForCatchUp(_ primary: LocalServer, _ standby: LocalServer) throws {
        let lsn = try primary.psql("SELECT pg_current_wal_lsn()")
        try standby.waitFor("SELECT pg_last_wal_replay_lsn() >= '\(lsn)'::pg_lsn", toBe: "t", timeout: 60)
    }

    /// The standby's replay lag as the primary sees it: time and bytes.
    private func replicationLag(_ primary: LocalServer) throws -> (seconds: Double, bytes: Int64) {
        let line = try primary.psql("""
            SELECT COALESCE(EXTRACT(epoch FROM replay_lag), 0)::text || ' ' || COALESCE(pg_wal_lsn_diff(sent_lsn, replay_lsn), 0)::bigint::text
            FROM pg_stat_replication WHERE application_name = 'standby'
            """)
        let parts = line.split(separator: " ")
        guard parts.count == 2 else { return (0, 0) }
        return (Double(parts[0]) ?? 0, Int64(parts[1]) ?? 0)
    }

    private func serverSettings(_ server: LocalServer) throws -> [String: String] {
        var settings: [String: String] = [:]
        for name in ["fsync", "synchronous_commit", "synchronous_standby_names", "shared_buffers", "full_page_writes", "wal_level"] {
            settings[name] = try server.psql("SELECT current_setting('\(name)')")
        }
        return settings
    }

    private func cleanEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") && $0.key != "DATABASE_URL" }
        environment["LEDGER_PROGRESS"] = "never"
        return environment
    }

    /// The environment of a `ledger` run against one server of the pair, as the superuser.
    private func environment(_ server: LocalServer) -> [String: String] {
        var environment = cleanEnvironment()
        for (key, value) in server.environment(database: Self.database) { environment[key] = value }
        return environment
    }

    /// Runs blocking work (pg_ctl) on a thread of its own, not the cooperative pool.
    private func offThread(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// Set once by the measuring task; read by the writers between payments.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// Until `cancel()`, SIGINT, SIGTERM and SIGHUP stop the run's servers, delete their folder and exit.
final class ClusterCleanup: @unchecked Sendable {
    // Only touched on the creating task (init/cancel); the handlers capture the cluster, not self.
    private var sources: [DispatchSourceSignal] = []
    private static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    init(_ cluster: LocalCluster) {
        for number in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Console.progress("interrupted (signal \(number)); stopping the servers and removing \(cluster.folder.path)")
                cluster.remove()
                exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        sources.forEach { $0.cancel() }
        sources = []
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
