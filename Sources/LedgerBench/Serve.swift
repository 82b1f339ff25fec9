import ArgumentParser
import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Ledger
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// `ledger-bench serve`: the same payments recorded by N officers at once through four paths, in
/// one run — over HTTP to `ledger serve` (a raw keep-alive HTTP/1.1 client and URLSession), as
/// `ledger payment record` processes, and through `LedgerService` directly — with requests/s and
/// p50/p99 latency for each.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "HTTP throughput and latency of `ledger serve` beside the CLI and LedgerService, N officers at once.",
        discussion: """
            In a scratch database: N officers (login roles with SCRAM passwords, members of signin_password_required, \
            so the server checks their password as the service requires), and approved applications, a fresh set \
            per officer and path. Starts the `ledger` binary next to ledger-bench as `ledger serve` on a free \
            loopback port (the bench's own role is the service's role). For each N in --officers: N officers record \
            --payments payments between them, each officer one request at a time on its own applications, through \
            (1) LedgerService.recordPayment on the officer's own connection, (2) POST /api/v1/payments with a raw \
            keep-alive HTTP/1.1 client, (3) the same with URLSession, (4) `ledger payment record` processes \
            (--cli-payments; each process connects and signs in). The server must be named by PG* variables \
            (scripts/with-postgres does): the processes get PGDATABASE set to the scratch database.
            """
    )

    @Option(help: "Numbers of officers at once, comma-separated.")
    var officers = "1,2,4"

    @Option(help: "Payments per measurement through LedgerService and over HTTP (split between the officers).")
    var payments = 2_000

    @Option(name: .customLong("cli-payments"), help: "Payments per measurement through `ledger payment record` processes.")
    var cliPayments = 200

    @Option(help: "The ledger binary (default: `ledger` next to ledger-bench).")
    var ledger: String?

    @Flag(name: .customLong("keep-log"), help: "Print the path of ledger serve's log and keep it.")
    var keepLog = false

    @Option(name: .customLong("paths"), help: "Paths to measure, comma-separated: service, raw, urlsession, cli.")
    var pathList = "service,raw,urlsession,cli"

    @Option(name: .customLong("serve-option"), help: "An argument added to `ledger serve`'s (repeatable; e.g. --serve-option=--log-level --serve-option=warning).")
    var serveOptions: [String] = []

    var paths: [Path] {
        pathList.split(separator: ",").compactMap { Path(option: $0.trimmingCharacters(in: .whitespaces)) }
    }

    var officerCounts: [Int] {
        officers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        let counts = officerCounts
        guard !counts.isEmpty, counts.count == officers.split(separator: ",").count, counts.allSatisfy({ (1...32).contains($0) }) else {
            throw ValidationError("--officers: comma-separated numbers 1–32, e.g. 1,2,4")
        }
        guard !paths.isEmpty, paths.count == pathList.split(separator: ",").count else {
            throw ValidationError("--paths: comma-separated service, raw, urlsession, cli")
        }
        guard payments >= counts.max()! * 10, cliPayments >= counts.max()! else {
            throw ValidationError("--payments must be at least 10 per officer and --cli-payments at least 1 per officer")
        }
    }

    static let program = "NQ12-HOUSING"
    static let paidOn = "2024-03-15"
    /// Applications per officer per measurement (payments spread round-robin over them).
    static let applicationsPerSet = 50
    static let warmup = 10

    /// The four paths, in the order they run for each N.
    enum Path: String, CaseIterable {
        case service = "LedgerService.recordPayment"
        case raw = "HTTP, raw keep-alive client"
        case urlSession = "HTTP, URLSession"
        case cli = "ledger payment record (process)"
    }

    struct Measurement {
        let path: Path
        let officers: Int
        let count: Int
        let seconds: Double
        let latencies: [Double]
        /// CPU seconds of the process(es) running the command handler during the measurement:
        /// this process (LedgerService), `ledger serve` (HTTP), the `ledger` processes (CLI).
        let handlerCPU: Double?

        var rate: Double { Double(count) / seconds }
        func percentile(_ q: Double) -> Double {
            let sorted = latencies.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))]
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard (environment["DATABASE_URL"] ?? "").isEmpty else {
            Console.progress("error: serve needs the server named by PG* variables, not DATABASE_URL (run it under scripts/with-postgres)")
            throw ExitCode.failure
        }
        guard let binary = ledgerBinary() else {
            Console.progress("error: no ledger binary next to ledger-bench; build it (swift build -c release) or pass --ledger")
            throw ExitCode.failure
        }
        var roles: [String] = []
        try await BenchDatabase.withScratch({ database in
            try await measure(database, binary: binary, roles: &roles)
        }, afterDrop: { database in
            let connection = try await PostgresConnection.connect(database.base)
            // Names are ours (lowercase letters, digits, underscore): safe unquoted.
            for role in roles { try await connection.simpleQuery("DROP ROLE IF EXISTS \(role)") }
            await connection.close()
        })
    }

    func ledgerBinary() -> URL? {
        if let ledger { return URL(fileURLWithPath: ledger) }
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidate = here.appendingPathComponent("ledger")
        return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
    }

    struct Officer: Sendable {
        let user: String
        let password: String
    }

    private func measure(_ database: BenchDatabase, binary: URL, roles: inout [String]) async throws {
        let counts = officerCounts
        let most = counts.max()!
        try await database.migrate()
        let admin = LedgerService(connection: try await database.connect())
        let machine = try await MachineInfo.collect(admin.store.connection)
        Console.progress("PostgreSQL \(machine.serverVersion), \(machine.processors) CPUs; fsync=\(machine.settings["fsync"] ?? "?") "
            + "synchronous_commit=\(machine.settings["synchronous_commit"] ?? "?")")
        let suffix = String(database.name.suffix(8))
        let seedOfficer = "bench_\(suffix)_seed", approverRole = "bench_\(suffix)_approver"
        try await admin.store.connection.simpleQuery("""
            DO $$ BEGIN CREATE ROLE signin_password_required NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$
            """)
        for (name, role) in [(seedOfficer, "officer"), (approverRole, "approver")] {
            roles.append(name)
            _ = try await admin.store.connection.queryOne("SELECT ledger.add_user($1, $2)", [name, role]) { try $0.string(0) }
        }
        var officers: [Officer] = []
        for index in 0..<most {
            let officer = Officer(user: "bench_\(suffix)_web\(index)", password: "pw-\(UUID().uuidString)")
            roles.append(officer.user)
            _ = try await admin.store.connection.queryOne("SELECT ledger.add_user($1, 'officer', $2)", [officer.user, officer.password]) { try $0.string(0) }
            try await admin.store.connection.simpleQuery("GRANT signin_password_required TO \(officer.user)")
            officers.append(officer)
        }
        _ = try await admin.loadCatalog(SampleCatalog.json)
        _ = try await admin.allocateBudget(program: Self.program, year: 2024, district: .ninhKieu, amount: 1_000_000_000_000, reference: "bench")
        var seedConfiguration = database.configuration
        seedConfiguration.user = seedOfficer
        var approverConfiguration = database.configuration
        approverConfiguration.user = approverRole
        let seeding = BulkApplications(
            officer: LedgerService(connection: try await PostgresConnection.connect(seedConfiguration)),
            approver: LedgerService(connection: try await PostgresConnection.connect(approverConfiguration)),
            officerRole: seedOfficer, approverRole: approverRole
        )
        let paths = self.paths
        let sets = counts.reduce(0, +) * paths.count
        Console.progress("seeding \(Format.grouped(sets * Self.applicationsPerSet)) approved applications (\(Self.applicationsPerSet) per officer per measurement)")
        var applications = try await seeding.seedApproved(
            count: sets * Self.applicationsPerSet, prefix: "W-", program: Self.program, district: .ninhKieu, amount: 10_000_000,
            submittedOn: Disbursements.submittedOn, decidedOn: Disbursements.decidedOn
        )[...]
        func takeSets(_ count: Int) -> [[String]] {
            (0..<count).map { _ in
                let set = Array(applications.prefix(Self.applicationsPerSet))
                applications = applications.dropFirst(Self.applicationsPerSet)
                return set
            }
        }

        var childEnvironment = ProcessInfo.processInfo.environment
        childEnvironment["DATABASE_URL"] = nil
        childEnvironment["PGDATABASE"] = database.name
        let maxConnections = max(16, most * 2)
        let server = try await ServeProcess.start(
            binary: binary, environment: childEnvironment,
            arguments: ["serve", "--listen", "127.0.0.1:0", "--max-connections", String(maxConnections), "--log-format", "logfmt"] + serveOptions
        )
        Console.progress("ledger serve: pid \(server.process.processIdentifier), port \(server.port)")
        defer { if keepLog { Console.progress("ledger serve's log: \(server.logURL.path)") } }
        var results: [Measurement] = []
        do {
            for count in counts {
                let team = Array(officers.prefix(count))
                for path in paths {
                    let total = path == .cli ? cliPayments : payments
                    Console.progress("\(path.rawValue), \(count) officer\(count == 1 ? "" : "s"): \(Format.grouped(total)) payments")
                    let measurement = try await run(path, team: team, applications: takeSets(count), total: total,
                                                     tag: "\(count)", database: database, binary: binary, environment: childEnvironment, server: server)
                    Console.progress("  \(Format.rate(measurement.rate))/s, p50 \(Format.fixed(measurement.percentile(0.5) * 1000, 2)) ms, "
                        + "p99 \(Format.fixed(measurement.percentile(0.99) * 1000, 2)) ms")
                    results.append(measurement)
                }
            }
        } catch {
            _ = await server.stop(keepLog: true)
            Console.progress("ledger serve's log: \(server.logURL.path)")
            throw error
        }
        let stopStatus = await server.stop(keepLog: keepLog)

        var rows: [[String]] = []
        for result in results {
            let baseline = results.first { $0.path == .service && $0.officers == result.officers }
            let cpu = result.handlerCPU.map { Format.fixed($0 * 1000 / Double(result.count), 2) } ?? "-"
            rows.append([
                result.path.rawValue, String(result.officers), Format.grouped(result.count), Format.rate(result.rate),
                Format.fixed(result.percentile(0.5) * 1000, 2), Format.fixed(result.percentile(0.99) * 1000, 2),
                baseline.map { Format.fixed(result.rate / $0.rate, 2) + "×" } ?? "-", cpu,
            ])
        }
        Console.data(Format.table(["path", "officers", "payments", "payments/s", "p50 ms", "p99 ms", "vs service", "handler CPU ms"], rows))
        Console.data("")
        Console.data(Format.keyValues([
            ("ledger serve", "\(binary.path) serve --listen 127.0.0.1:0 --max-connections \(maxConnections) --log-format logfmt "
                + (serveOptions.isEmpty ? "" : serveOptions.joined(separator: " ") + " ")
                + "(otherwise defaults: --max-requests-per-session 4, --session-idle 30, --log-level info: one log line per request, to a file; no TLS)"),
            ("service role", "the bench's own role (\(database.base.user ?? ProcessInfo.processInfo.environment["PGUSER"] ?? "PGUSER")); "
                + "officers sign in with SCRAM passwords (pg_hba: scram-sha-256 for members of signin_password_required)"),
            ("each request", "POST /api/v1/payments, Bearer session, Idempotency-Key = payment id, one in flight per officer; "
                + "\(Self.warmup) untimed first per officer (\(Self.warmup / 5) for the CLI)"),
            ("CLI", "one `ledger payment record` process per payment, connecting with PGUSER/PGPASSWORD (SCRAM) each time"),
            ("handler CPU", "CPU per payment of the process running the command handler: ledger-bench itself (LedgerService), "
                + "ledger serve (HTTP), the ledger processes (CLI); PostgreSQL's not included"),
            ("server stopped", "SIGTERM → exit \(stopStatus)"),
            ("machine", "\(machine.processors) CPUs (\(machine.cpuModel)), \(machine.memoryMiB) MiB; client, ledger serve and PostgreSQL share them"),
            ("PostgreSQL", "\(machine.serverVersion), fsync=\(machine.settings["fsync"] ?? "?"), synchronous_commit=\(machine.settings["synchronous_commit"] ?? "?")"),
        ]))
        await seeding.officer.store.connection.close()
        await seeding.approver.store.connection.close()
        await admin.store.connection.close()
    }

    /// One measurement: `team` records `total` payments between them through `path`.
    private func run(
        _ path: Path, team: [Officer], applications: [[String]], total: Int, tag: String,
        database: BenchDatabase, binary: URL, environment: [String: String], server: ServeProcess
    ) async throws -> Measurement {
        let perOfficer = total / team.count
        let warmup = path == .cli ? Self.warmup / 5 : Self.warmup
        let prefix = "\(path.hashID)\(tag)"
        // Each officer's work: (payment id, application id) pairs; warm-up first.
        func orders(_ officer: Int) -> [(String, String)] {
            (0..<(warmup + perOfficer)).map { index in
                ("PAY-\(prefix)-\(officer)-\(index)", applications[officer][index % applications[officer].count])
            }
        }
        let serverPID = server.process.processIdentifier
        func handlerSeconds() -> Double? {
            switch path {
            case .service: CPUMeter.clientSeconds()
            case .raw, .urlSession: CPUMeter.processSeconds(serverPID)
            case .cli: Self.childrenSeconds()
            }
        }
        let cpuBefore = handlerSeconds()
        let clock = ContinuousClock()
        // Every officer reports its latencies and when its timed part started and ended.
        let perOfficerResults: [(latencies: [Double], start: ContinuousClock.Instant, end: ContinuousClock.Instant)]
        switch path {
        case .service:
            var services: [LedgerService] = []
            for officer in team {
                var configuration = database.configuration
                configuration.user = officer.user
                configuration.password = officer.password
                services.append(LedgerService(connection: try await PostgresConnection.connect(configuration)))
            }
            perOfficerResults = try await withThrowingTaskGroup(of: (Int, [Double], ContinuousClock.Instant, ContinuousClock.Instant).self) { group in
                for (index, service) in services.enumerated() {
                    let work = orders(index)
                    group.addTask {
                        var latencies: [Double] = []
                        var start = clock.now
                        for (number, (paymentID, applicationID)) in work.enumerated() {
                            if number == warmup { start = clock.now }
                            let began = clock.now
                            let outcome = try await service.recordPayment(LedgerService.PaymentOrder(
                                applicationID: applicationID, paymentID: paymentID, amount: 1_000,
                                paidOn: Disbursements.paidOn, method: .bank, voucher: "PC \(paymentID)"
                            ))
                            guard !outcome.alreadyRecorded else { throw BenchError("\(paymentID) was already recorded") }
                            if number >= warmup { latencies.append((clock.now - began).seconds) }
                        }
                        return (index, latencies, start, clock.now)
                    }
                }
                var collected: [(Int, [Double], ContinuousClock.Instant, ContinuousClock.Instant)] = []
                for try await result in group { collected.append(result) }
                return collected.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2, $0.3) }
            }
            for service in services { await service.store.connection.close() }
        case .raw:
            var tokens: [String] = []
            for officer in team { tokens.append(try await server.signIn(officer)) }
            let port = server.port
            perOfficerResults = try await withThrowingTaskGroup(of: (Int, [Double], ContinuousClock.Instant, ContinuousClock.Instant).self) { group in
                for (index, token) in tokens.enumerated() {
                    let work = orders(index)
                    group.addTask {
                        // Blocking socket I/O: on a thread of its own, not the cooperative pool.
                        try await onThread {
                            let client = try RawHTTPClient(port: port)
                            defer { client.close() }
                            var latencies: [Double] = []
                            var start = clock.now
                            for (number, (paymentID, applicationID)) in work.enumerated() {
                                if number == warmup { start = clock.now }
                                let began = clock.now
                                let (status, body) = try client.request(
                                    "POST", "/api/v1/payments",
                                    headers: ["Authorization": "Bearer \(token)", "Idempotency-Key": paymentID, "Content-Type": "application/json"],
                                    body: Array(Serve.paymentJSON(paymentID: paymentID, applicationID: applicationID).utf8)
                                )
                                guard status == 201 else {
                                    throw BenchError("POST /api/v1/payments \(paymentID): HTTP \(status) \(String(decoding: body.prefix(500), as: UTF8.self))")
                                }
                                if number >= warmup { latencies.append((clock.now - began).seconds) }
                            }
                            return (index, latencies, start, clock.now)
                        }
                    }
                }
                var collected: [(Int, [Double], ContinuousClock.Instant, ContinuousClock.Instant)] = []
                for try await result in group { collected.append(result) }
                return collected.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2, $0.3) }
            }
            for token in tokens { try await server.signOut(token) }
        case .urlSession:
            var tokens: [String] = []
            for officer in team { tokens.append(try await server.signIn(officer)) }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpShouldSetCookies = false
            configuration.httpCookieAcceptPolicy = .never
            configuration.httpMaximumConnectionsPerHost = 64
            configuration.timeoutIntervalForRequest = 60
            let session = URLSession(configuration: configuration)
            let url = URL(string: "http://127.0.0.1:\(server.port)/api/v1/payments")!
            perOfficerResults = try await withThrowingTaskGroup(of: (Int, [Double], ContinuousClock.Instant, ContinuousClock.Instant).self) { group in
                for (index, token) in tokens.enumerated() {
                    let work = orders(index)
                    group.addTask {
                        var latencies: [Double] = []
                        var start = clock.now
                        for (number, (paymentID, applicationID)) in work.enumerated() {
                            if number == warmup { start = clock.now }
                            var request = URLRequest(url: url)
                            request.httpMethod = "POST"
                            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                            request.setValue(paymentID, forHTTPHeaderField: "Idempotency-Key")
                            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                            request.httpBody = Data(Serve.paymentJSON(paymentID: paymentID, applicationID: applicationID).utf8)
                            let began = clock.now
                            let (data, response) = try await session.data(for: request)
                            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                            guard status == 201 else {
                                throw BenchError("POST /api/v1/payments \(paymentID): HTTP \(status) \(String(decoding: data.prefix(500), as: UTF8.self))")
                            }
                            if number >= warmup { latencies.append((clock.now - began).seconds) }
                        }
                        return (index, latencies, start, clock.now)
                    }
                }
                var collected: [(Int, [Double], ContinuousClock.Instant, ContinuousClock.Instant)] = []
                for try await result in group { collected.append(result) }
                return collected.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2, $0.3) }
            }
            session.finishTasksAndInvalidate()
            for token in tokens { try await server.signOut(token) }
        case .cli:
            perOfficerResults = try await withThrowingTaskGroup(of: (Int, [Double], ContinuousClock.Instant, ContinuousClock.Instant).self) { group in
                for (index, officer) in team.enumerated() {
                    let work = orders(index)
                    var officerEnvironment = environment
                    officerEnvironment["PGUSER"] = officer.user
                    officerEnvironment["PGPASSWORD"] = officer.password
                    let processEnvironment = officerEnvironment
                    group.addTask {
                        var latencies: [Double] = []
                        var start = clock.now
                        for (number, (paymentID, applicationID)) in work.enumerated() {
                            if number == warmup { start = clock.now }
                            let began = clock.now
                            try await runLedger(binary, [
                                "payment", "record", "--application", applicationID, "--payment-id", paymentID, "--amount", "1000",
                                "--paid-on", Serve.paidOn, "--method", "bank", "--voucher", "PC \(paymentID)",
                            ], environment: processEnvironment)
                            if number >= warmup { latencies.append((clock.now - began).seconds) }
                        }
                        return (index, latencies, start, clock.now)
                    }
                }
                var collected: [(Int, [Double], ContinuousClock.Instant, ContinuousClock.Instant)] = []
                for try await result in group { collected.append(result) }
                return collected.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2, $0.3) }
            }
        }
        let cpuAfter = handlerSeconds()
        // From the first officer's timed start to the last one's end.
        let start = perOfficerResults.map(\.start).min()!, end = perOfficerResults.map(\.end).max()!
        let latencies = perOfficerResults.flatMap(\.latencies)
        // Warm-up included (it is short); per payment over all of them.
        let handlerCPU: Double? = cpuBefore.flatMap { before in cpuAfter.map { ($0 - before) * Double(latencies.count) / Double(team.count * (warmup + perOfficer)) } }
        return Measurement(path: path, officers: team.count, count: latencies.count, seconds: (end - start).seconds,
                           latencies: latencies, handlerCPU: handlerCPU)
    }

    static func paymentJSON(paymentID: String, applicationID: String) -> String {
        // Ids are ours (letters, digits, dashes): no escaping needed.
        #"{"application_id":"\#(applicationID)","payment_id":"\#(paymentID)","amount_vnd":1000,"paid_on":"\#(paidOn)","method":"bank","voucher":"PC \#(paymentID)"}"#
    }
}

extension Serve {
    /// User + system CPU seconds of this process's finished and waited-for children.
    static func childrenSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
    }
}

extension Serve.Path {
    init?(option: String) {
        switch option {
        case "service": self = .service
        case "raw": self = .raw
        case "urlsession": self = .urlSession
        case "cli": self = .cli
        default: return nil
        }
    }

    /// A short tag for payment ids.
    var hashID: String {
        switch self {
        case .service: "S"
        case .raw: "R"
        case .urlSession: "U"
        case .cli: "C"
        }
    }
}

/// Runs blocking work on a thread of its own and awaits its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}

/// Runs `ledger arguments…` and waits; throws with its stderr when it fails.
func runLedger(_ binary: URL, _ arguments: [String], environment: [String: String]) async throws {
    let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-\(UUID().uuidString).stderr")
    _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorURL) }
    let errorHandle = try FileHandle(forWritingTo: errorURL)
    defer { try? errorHandle.close() }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errorHandle
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    guard status == 0 else {
        let text = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        throw BenchError("ledger \(arguments.prefix(2).joined(separator: " ")) exited \(status): \(text.prefix(500))")
    }
}

/// `ledger serve` as a child process on a free loopback port, its log in a file.
final class ServeProcess: @unchecked Sendable {  // The Process is touched only by the bench's one measuring task.
    let process: Process
    let port: Int
    let logURL: URL

    private init(process: Process, port: Int, logURL: URL) {
        self.process = process
        self.port = port
        self.logURL = logURL
    }

    static func start(binary: URL, environment: [String: String], arguments: [String]) async throws -> ServeProcess {
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"listening on http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression),
               let port = Int(log[range].split(separator: ":").last ?? "") {
                return ServeProcess(process: process, port: port, logURL: logURL)
            }
            if !process.isRunning { throw BenchError("ledger serve exited (\(process.terminationStatus)) before listening:\n\(log.suffix(2000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw BenchError("ledger serve did not start listening within 30 s (log: \(logURL.path))")
    }

    /// POST /api/v1/session; returns the session id.
    func signIn(_ officer: Serve.Officer) async throws -> String {
        let port = self.port
        let body = try JSONSerialization.data(withJSONObject: ["user": officer.user, "password": officer.password])
        let (status, answer) = try await onThread {
            let client = try RawHTTPClient(port: port)
            defer { client.close() }
            return try client.request("POST", "/api/v1/session", headers: ["Content-Type": "application/json"], body: Array(body))
        }
        guard status == 201, let object = try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
              let session = object["session"] as? String
        else { throw BenchError("sign-in as \(officer.user): HTTP \(status) \(String(decoding: answer.prefix(500), as: UTF8.self))") }
        return session
    }

    func signOut(_ token: String) async throws {
        let port = self.port
        let (status, _) = try await onThread {
            let client = try RawHTTPClient(port: port)
            defer { client.close() }
            return try client.request("DELETE", "/api/v1/session", headers: ["Authorization": "Bearer \(token)"], body: [])
        }
        guard status == 204 else { throw BenchError("sign-out: HTTP \(status)") }
    }

    /// SIGTERM, then waits; returns the exit status.
    func stop(keepLog: Bool) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        if !keepLog { try? FileManager.default.removeItem(at: logURL) }
        return process.terminationStatus
    }
}

/// A minimal blocking HTTP/1.1 client on one keep-alive TCP connection to 127.0.0.1: writes a
/// request with Content-Length, reads the status line, the headers and a Content-Length body.
/// Enough for `ledger serve`'s JSON answers; nothing else (no chunked bodies, no TLS).
final class RawHTTPClient {
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw BenchError("connect to 127.0.0.1:\(port): errno \(code)")
        }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    func close() { Glibc.close(descriptor) }

    func request(_ method: String, _ path: String, headers: [String: String], body: [UInt8]) throws -> (Int, [UInt8]) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try write(Array(head.utf8) + body)
        // Status line and headers.
        var end: Int?
        while end == nil {
            end = Self.find([13, 10, 13, 10], in: buffer)
            if end == nil { try fill() }
        }
        let headerText = String(decoding: buffer[..<end!], as: UTF8.self)
        buffer.removeFirst(end! + 4)
        let lines = headerText.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw BenchError("bad status line: \(lines[0])") }
        var length = 0
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased(), value = parts[1].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) ?? 0 }
            if name == "transfer-encoding", value.lowercased() != "identity" { throw BenchError("chunked answers are not read by this client") }
        }
        while buffer.count < length { try fill() }
        let answer = Array(buffer[..<length])
        buffer.removeFirst(length)
        return (status, answer)
    }

    private func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw BenchError("send: errno \(errno)") }
            sent += count
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw BenchError(count == 0 ? "the server closed the connection" : "recv: errno \(errno)") }
        buffer.append(contentsOf: chunk[..<count])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<index + needle.count]) == needle { return index }
        }
        return nil
    }
}
