import ArgumentParser
import EventStore
import Foundation
import Ledger
import Postgres

/// `ledger-bench projections`: a realistic log of up to --events events, and at each checkpoint
/// the read side as an admin and an auditor run it — `ledger projections rebuild`, `ledger audit
/// verify`, `ledger audit reconcile` — each as its own `ledger` process, timed, with its peak
/// resident memory, beside a raw paged read of the same log.
struct ReadSide: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Rebuild, verify and reconcile over a realistic log (100,000 and 1,000,000 events), with peak RSS, against a raw read.",
        discussion: """
            Writes a synthetic disbursement year (registrations, applications, decisions, payments, reversals, closures,
            loans and repayments; about nine events per beneficiary) with the domain's own decisions, appended in
            batches by an officer, an approver and an admin. At each --at size it runs, as separate processes of the
            `ledger` binary beside this one (or LEDGER_BINARY): `projections rebuild`, `audit verify`, `audit verify
            --chain-only` and `audit reconcile`, and reports events/s and peak RSS of each, and a raw paged SELECT of
            ledger.events in this process for comparison. Build both first: swift build -c release.
            """
    )

    @Option(help: "Sizes of the log to measure at, comma-separated.")
    var at = "100000,1000000"

    @Option(help: ArgumentHelp(
        "Measure at 1,000,000 events and at this many (e.g. 10000000; opt-in: writing 10 M events takes about an hour on 2 cores), and print the growth between them. Replaces --at.",
        valueName: "count"
    ))
    var events: Int?

    @Option(help: "Seed of the synthetic year.")
    var seed: UInt64 = 2024

    @Flag(help: "Keep the scratch database and its roles at the end (to profile a command against the same log); prints its name.")
    var keep = false

    var sizes: [Int] {
        if let events { return Array(Set([1_000_000, events])).sorted() }
        return at.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.sorted()
    }

    func validate() throws {
        if let events, events < 1_000 { throw ValidationError("--events: a size of at least 1000 (got \(events))") }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1_000 }) else { throw ValidationError("--at: sizes of at least 1000, comma-separated") }
    }

    static var ledgerBinary: String {
        if let explicit = ProcessInfo.processInfo.environment["LEDGER_BINARY"], !explicit.isEmpty { return explicit }
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        return here.appendingPathComponent("ledger").path
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.ledgerBinary) else {
            Console.progress("error: no ledger binary at \(Self.ledgerBinary); run swift build -c release (or set LEDGER_BINARY)")
            throw ExitCode.failure
        }
        try await Disbursements.People.withScratch(keep: keep) { database, people in try await measure(database, people) }
    }

    private func measure(_ database: BenchDatabase, _ people: Disbursements.People) async throws {
        try await database.migrate()
        let admin = try await database.service(user: nil)
        try await people.create(admin.store.connection)
        var year = SyntheticYear(
            admin: admin, officer: try await database.service(user: people.officer), approver: try await database.service(user: people.approver),
            officerRole: people.officer, approverRole: people.approver, seed: seed
        )
        try await year.prepare()
        let machine = try await MachineInfo.collect(admin.store.connection)
        var rows: [[String]] = []
        /// Per operation, per size measured: (events, events/s, peak RSS MiB).
        var measured: [String: [(events: Int64, rate: Double, mebibytes: Double)]] = [:]
        let labels = ["ledger projections rebuild", "ledger audit verify", "ledger audit verify --chain-only", "ledger audit reconcile"]
        for size in sizes {
            let clock = ContinuousClock()
            let started = clock.now
            while try await admin.store.digest().position < Int64(size) {
                let head = try await admin.store.digest().position
                let remaining = Int64(size) - head
                try await year.add(beneficiaries: Int(max(100, min(5_000, remaining / 9 + 1))))
            }
            let head = try await admin.store.digest().position
            Console.progress("log written: \(Format.grouped(head)) events in \(Format.fixed((clock.now - started).seconds, 1)) s; VACUUM ANALYZE")
            try await admin.store.connection.simpleQuery("VACUUM ANALYZE")

            let (rawCount, rawSeconds) = try await timed { try await Reads.rawRead(admin.store.connection) }
            rows.append([Format.grouped(head), "raw paged SELECT (in process)", Format.fixed(rawSeconds, 2), "-",
                         Format.rate(Double(rawCount) / rawSeconds), "-", "1.00×"])
            let rawRate = Double(rawCount) / rawSeconds
            for (label, arguments) in zip(labels, [
                ["projections", "rebuild"], ["audit", "verify"], ["audit", "verify", "--chain-only"], ["audit", "reconcile"],
            ]) {
                Console.progress("\(Format.grouped(head)) events: \(label)")
                let result = try await ChildProcess.run(Self.ledgerBinary, arguments, environment: childEnvironment(database))
                guard result.status == 0 else {
                    Console.progress("\(label) exited \(result.status): \(result.stderrTail)")
                    rows.append([Format.grouped(head), label, "-", "-", "-", "-", "exit \(result.status)"])
                    continue
                }
                let rate = Double(head) / result.seconds
                measured[label, default: []].append((head, rate, Double(result.maxResidentKilobytes) / 1024))
                rows.append([Format.grouped(head), label, Format.fixed(result.seconds, 2), Format.fixed(result.cpuSeconds, 2), Format.rate(rate),
                             result.peakText, Format.fixed(rate / rawRate, 2) + "×"])
            }
        }
        Console.data(Format.table(["events", "operation", "seconds", "client CPU s", "events/s", "peak RSS MiB", "vs raw read"], rows))
        Console.data("PostgreSQL \(machine.serverVersion), \(machine.processors) CPUs; each `ledger` command is its own process "
            + "(RSS = its peak resident memory, from wait4; \"≤ n\": no more than this benchmark's own peak when it started the command, "
            + "which Linux reports for a child whose peak is lower); the raw read decodes rows without folding or hashing.")
        for line in Self.growthLines(labels, measured) { Console.data(line) }
        for service in [admin, year.officer, year.approver] { await service.store.connection.close() }
    }

    /// One line per operation measured at two sizes or more: peak RSS at the largest size against
    /// the smallest (the issue's bound: at most 1.5 × from 1 M to 10 M), and events/s at each.
    static func growthLines(_ labels: [String], _ measured: [String: [(events: Int64, rate: Double, mebibytes: Double)]]) -> [String] {
        labels.compactMap { label in
            guard let runs = measured[label], let first = runs.first, let last = runs.last, runs.count >= 2 else { return nil }
            let ratio = last.mebibytes / max(first.mebibytes, 0.1)
            let rates = runs.map { "\(Format.rate($0.rate)) at \(Format.grouped($0.events))" }.joined(separator: ", ")
            return "growth \(label): peak RSS \(Format.fixed(first.mebibytes, 1)) MiB at \(Format.grouped(first.events)) → "
                + "\(Format.fixed(last.mebibytes, 1)) MiB at \(Format.grouped(last.events)) = \(Format.fixed(ratio, 2))× "
                + "(bound 1.5×: \(ratio <= 1.5 ? "within" : "over")); events/s \(rates)"
        }
    }

    /// This process's environment, pointed at the scratch database.
    func childEnvironment(_ database: BenchDatabase) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let url = environment["DATABASE_URL"], var components = URLComponents(string: url) {
            components.path = "/" + database.name
            environment["DATABASE_URL"] = components.string
        }
        environment["PGDATABASE"] = database.name
        return environment
    }
}

/// A child process run to completion, with its wall time and peak resident memory.
enum ChildProcess {
    struct Result: Sendable {
        let status: Int32
        let seconds: Double
        let maxResidentKilobytes: Int
        /// This process's own peak resident memory when it started the child. Linux's `ru_maxrss`
        /// of a child started by `posix_spawn` (a vfork) is at least this: the exec records the
        /// address space it replaces, the parent's, as the child's high-water mark. A figure at or
        /// below it is an upper bound, not the child's own peak.
        let spawnerPeakKilobytes: Int
        /// The peak as MiB text, "≤ n" when it is only the spawner's floor.
        var peakText: String {
            let text = Format.fixed(Double(maxResidentKilobytes) / 1024, 1)
            return maxResidentKilobytes <= spawnerPeakKilobytes ? "≤ " + text : text
        }
        /// User plus system CPU seconds of the child.
        let cpuSeconds: Double
        let stderrTail: String
    }

    static func run(_ path: String, _ arguments: [String], environment: [String: String]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            // wait4 blocks: on a thread of its own, not the cooperative pool.
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try runBlocking(path, arguments, environment: environment) })
            }
        }
    }

    /// VmHWM of this process (0 when /proc cannot be read).
    static func ownPeakKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
    }

    private static func runBlocking(_ path: String, _ arguments: [String], environment: [String: String]) throws -> Result {
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString).err").path
        defer { try? FileManager.default.removeItem(atPath: errorFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let spawnerPeak = ownPeakKilobytes()
        var pid: pid_t = 0
        let clock = ContinuousClock()
        let start = clock.now
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw BenchError("cannot start \(path): error \(spawned)") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchError("wait4 failed: errno \(errno)") }
        }
        let seconds = (clock.now - start).seconds
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let errors = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return Result(status: exited, seconds: seconds, maxResidentKilobytes: Int(usage.ru_maxrss), spawnerPeakKilobytes: spawnerPeak, cpuSeconds: cpu,
                      stderrTail: String(errors.suffix(400)))
    }
}
