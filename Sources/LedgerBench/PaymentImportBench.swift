import ArgumentParser
import Foundation
import Ledger
import Postgres

/// `ledger-bench import`: `ledger payment import FILE` as an officer runs it — its own process,
/// timed, with its peak resident memory (wait4) — over files of --rows rows spread over
/// --applications approved applications.
struct PaymentImportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "`ledger payment import` of large files (100,000 and 1,000,000 rows): rows/s and the process's peak RSS.",
        discussion: """
            In a scratch database, seeds --applications approved housing applications (through the domain's decisions,
            appended in bulk), then for each size in --rows writes a CSV file of that many payments (1,000 ₫ each,
            round-robin over the applications, new payment ids each size) and runs `ledger payment import --format json
            FILE` as an officer — a separate process of the `ledger` binary beside this one (or LEDGER_BINARY) — and
            reports its wall time, rows/s, CPU seconds and peak RSS, and checks that every row was recorded. Before
            it, the same file with one bad row at the end is imported (refused: every row read and checked, nothing
            appended), so the checks' share of the time shows. Build both first: swift build -c release.
            """
    )

    @Option(help: "File sizes in rows, comma-separated.")
    var rows = "100000,1000000"

    @Option(help: "Approved applications the rows are spread over.")
    var applications = 10_000

    @Flag(help: "Only the refused import of each file (every row checked, nothing appended), not the import itself.")
    var checksOnly = false

    var sizes: [Int] { rows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ (1...PaymentImportLimits.maximumRows).contains($0) }) else {
            throw ValidationError("--rows: sizes from 1 to \(PaymentImportLimits.maximumRows), comma-separated")
        }
        guard applications >= 1 else { throw ValidationError("--applications: at least 1") }
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: ReadSide.ledgerBinary) else {
            Console.progress("error: no ledger binary at \(ReadSide.ledgerBinary); run swift build -c release (or set LEDGER_BINARY)")
            throw ExitCode.failure
        }
        try await Disbursements.People.withScratch { database, people in try await measure(database, people) }
    }

    private func measure(_ database: BenchDatabase, _ people: Disbursements.People) async throws {
        try await database.migrate()
        let admin = try await database.service(user: nil)
        let machine = try await MachineInfo.collect(admin.store.connection)
        let settings = "fsync=\(machine.settings["fsync"] ?? "?"), synchronous_commit=\(machine.settings["synchronous_commit"] ?? "?"), "
            + "shared_buffers=\(machine.settings["shared_buffers"] ?? "?")"
        Console.progress("PostgreSQL \(machine.serverVersion), \(machine.processors) CPUs; \(settings)")
        try await people.create(admin.store.connection)
        let officer = try await database.service(user: people.officer)
        let approver = try await database.service(user: people.approver)
        _ = try await admin.loadCatalog(SampleCatalog.json)
        let total = sizes.reduce(0, +)
        let perApplication = VND(Int64((total + applications - 1) / applications) * 1_000)
        _ = try await admin.allocateBudget(program: Disbursements.program, year: 2024, district: .ninhKieu,
                                           amount: VND(perApplication.amount * Int64(applications)), reference: "bench")
        Console.progress("seeding \(Format.grouped(applications)) approved applications")
        let (targets, seedSeconds) = try await timed {
            try await BulkApplications(officer: officer, approver: approver, officerRole: people.officer, approverRole: people.approver)
                .seedApproved(count: applications, prefix: "I-", program: Disbursements.program, district: .ninhKieu, amount: perApplication,
                              submittedOn: Disbursements.submittedOn, decidedOn: Disbursements.decidedOn)
        }
        Console.progress("seeded in \(Format.fixed(seedSeconds, 1)) s; VACUUM ANALYZE")
        try await admin.store.connection.simpleQuery("VACUUM ANALYZE")

        var table: [[String]] = []
        for (number, size) in sizes.enumerated() {
            let prefix = "IMP\(number)"
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-bench-import-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: url) }
            // The same rows and one more naming no application: every row is read and checked
            // against the ledger, and nothing is appended (the file is refused): the checks' share.
            let refusedURL = url.deletingPathExtension().appendingPathExtension("refused.csv")
            defer { try? FileManager.default.removeItem(at: refusedURL) }
            _ = try Self.writeFile(refusedURL, rows: size, applications: targets, prefix: prefix, badLastRow: true)
            Console.progress("checking \(Format.grouped(size)) rows and a bad one (refused: nothing appended)")
            let checked = try await ChildProcess.run(
                ReadSide.ledgerBinary, ["payment", "import", "--format", "json", "--user", people.officer, refusedURL.path],
                environment: Self.childEnvironment(database)
            )
            if checked.status != 1 { Console.progress("the refused import exited \(checked.status): \(checked.stderrTail)") }
            table.append([Format.grouped(size) + " + 1 bad (refused)", Format.grouped(applications), Format.fixed(checked.seconds, 1),
                          Format.fixed(checked.cpuSeconds, 1), Format.rate(Double(size) / checked.seconds),
                          checked.peakText, "checks only"])
            Console.progress("checked in \(Format.fixed(checked.seconds, 1)) s, peak RSS \(checked.peakText) MiB")

            if checksOnly { continue }
            let bytes = try Self.writeFile(url, rows: size, applications: targets, prefix: prefix)
            Console.progress("importing \(Format.grouped(size)) rows (\(Format.grouped(bytes)) bytes) with \(ReadSide.ledgerBinary)")
            let result = try await ChildProcess.run(
                ReadSide.ledgerBinary, ["payment", "import", "--format", "json", "--user", people.officer, url.path],
                environment: Self.childEnvironment(database)
            )
            let recorded = try await admin.store.connection.queryOne(
                "SELECT count(*) FROM ledger.payment_ids WHERE payment_id LIKE $1", [prefix + "-%"]
            ) { try $0.int64(0) }
            guard result.status == 0, recorded == Int64(size) else {
                Console.progress("the import exited \(result.status) with \(recorded) of \(size) rows recorded: \(result.stderrTail)")
                table.append([Format.grouped(size), Format.grouped(applications), "-", "-", "-", "-", "exit \(result.status), \(recorded) recorded"])
                continue
            }
            let rate = Double(size) / result.seconds
            table.append([Format.grouped(size), Format.grouped(applications), Format.fixed(result.seconds, 1), Format.fixed(result.cpuSeconds, 1),
                          Format.rate(rate), result.peakText, "\(Format.grouped(Int64(Double(bytes) / 1_048_576))) MiB file"])
            Console.progress("\(Format.grouped(size)) rows: \(Format.fixed(result.seconds, 1)) s, \(Format.rate(rate)) rows/s, peak RSS \(result.peakText) MiB (this benchmark's own peak then: \(Format.fixed(Double(result.spawnerPeakKilobytes) / 1024, 1)) MiB)")
        }
        Console.data(Format.table(["rows", "applications", "seconds", "client CPU s", "rows/s", "peak RSS MiB", "note"], table))
        Console.data("PostgreSQL \(machine.serverVersion), \(machine.processors) CPUs, \(settings); `ledger payment import` as its own "
            + "process (RSS = its peak resident memory, from wait4; \"≤ n\": no more than this benchmark's own peak when it started the "
            + "command, which Linux reports for a child whose peak is lower; client CPU = its user + system time).")
        for service in [admin, officer, approver] { await service.store.connection.close() }
    }

    /// This process's environment, pointed at the scratch database.
    static func childEnvironment(_ database: BenchDatabase) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let url = environment["DATABASE_URL"], var components = URLComponents(string: url) {
            components.path = "/" + database.name
            environment["DATABASE_URL"] = components.string
        }
        environment["PGDATABASE"] = database.name
        return environment
    }

    /// Writes `rows` payments of 1,000 ₫ round-robin over `applications` (and one naming no
    /// application at the end with `badLastRow`); returns the file's size in bytes.
    static func writeFile(_ url: URL, rows: Int, applications: [String], prefix: String, badLastRow: Bool = false) throws -> Int {
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
            throw BenchError("cannot write \(url.path)")
        }
        defer { try? handle.close() }
        var text = PaymentImportFile.Column.headerLine + "\n"
        var bytes = 0
        for index in 0..<rows {
            if badLastRow, index == rows - 1 {
                text += "\(prefix)-BAD,NO-SUCH-APPLICATION,1000,2024-03-15,bank,PC\n"
            } else {
                text += "\(prefix)-\(index),\(applications[index % applications.count]),1000,2024-03-15,bank,\"PC \(prefix)/\(index), đợt 1\"\n"
            }
            if text.utf8.count >= 1 << 20 || index == rows - 1 {
                try handle.write(contentsOf: Data(text.utf8))
                bytes += text.utf8.count
                text = ""
            }
        }
        return bytes
    }
}
