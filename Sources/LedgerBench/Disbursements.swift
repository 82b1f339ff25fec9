import ArgumentParser
import EventStore
import Foundation
import Ledger
import Postgres

/// `ledger-bench disbursements`: the product's own paths against raw PostgreSQL on the same run —
/// `payment record` through the full command handler (1 and 2 clients), a bulk payment import,
/// and the cost of an approval against a budget with many earlier reservations.
struct Disbursements: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Command-handler throughput (payment record, payment import, approvals) against raw PostgreSQL baselines.",
        discussion: """
            In a scratch database, with an officer, a second officer and an approver as login roles of their own:
            (1) --payments payments recorded one command each through LedgerService.recordPayment (load the
            application, decide, append), by 1 client and by 2 clients on disjoint applications, against one
            autocommitted INSERT per payment into a plain table; (2) an import of --import-rows CSV rows over
            --import-applications applications through PaymentImport (parse, check, append in batches), against
            COPY of the same file into a plain table; (3) --approvals approvals through the handler against a
            budget holding 10 earlier reservations and against one holding --reservations, first (cold: no
            snapshot yet) and then warm. Progress on stderr; figures on stdout.
            """
    )

    @Option(help: "Payments recorded through the handler in each of the 1-client and 2-client runs.")
    var payments = 4_000

    @Option(name: .customLong("import-rows"), help: "Rows in the imported CSV file.")
    var importRows = 100_000

    @Option(name: .customLong("import-applications"), help: "Approved applications the imported rows are spread over.")
    var importApplications = 10_000

    @Option(help: "Earlier reservations on the large budget.")
    var reservations = 100_000

    @Option(help: "Approvals timed against each budget.")
    var approvals = 30

    @Flag(help: "Also time the parts of a payment command one by one (loads, append) over 1,000 rounds.")
    var breakdown = false

    func validate() throws {
        guard payments >= 2, importRows >= 1, importApplications >= 1, reservations >= 10, approvals >= 2 else {
            throw ValidationError("--payments ≥ 2, --import-rows ≥ 1, --import-applications ≥ 1, --reservations ≥ 10, --approvals ≥ 2")
        }
    }

    static let program = "NQ12-HOUSING"
    static let submittedOn = date("2024-03-01")
    static let decidedOn = date("2024-03-10")
    static let paidOn = date("2024-03-15")

    static func date(_ text: String) -> LocalDate {
        do { return try LocalDate(parsing: text, field: "date") } catch { fatalError("bad date \(text)") }
    }

    func run() async throws {
        try await People.withScratch { database, people in try await measure(database, people) }
    }

    /// Login roles of the run (roles are cluster-wide: dropped at the end).
    struct People: Sendable {
        let officer: String
        let secondOfficer: String
        let approver: String
        init(suffix: String) {
            officer = "bench_\(suffix)_officer"
            secondOfficer = "bench_\(suffix)_officer2"
            approver = "bench_\(suffix)_approver"
        }

        func create(_ connection: PostgresConnection) async throws {
            for (name, role) in [(officer, "officer"), (secondOfficer, "officer"), (approver, "approver")] {
                _ = try await connection.queryOne("SELECT ledger.add_user($1, $2)", [name, role]) { try $0.string(0) }
            }
        }

        /// A scratch database (`BenchDatabase.withScratch`) with this run's officers and approver,
        /// the roles dropped after the database; with `keep`, both are left and named.
        static func withScratch(keep: Bool = false, _ body: (BenchDatabase, People) async throws -> Void) async throws {
            var people: People?
            try await BenchDatabase.withScratch(keep: keep, { database in
                let run = People(suffix: String(database.name.suffix(8)))
                people = run
                try await body(database, run)
                if keep { Console.progress("kept the roles \(run.officer), \(run.secondOfficer) and \(run.approver): drop them after the database") }
            }, afterDrop: { database in try await people?.drop(database) })
        }

        /// Run after the database is dropped (its grants to these roles go with it).
        func drop(_ database: BenchDatabase) async throws {
            let connection = try await PostgresConnection.connect(database.base)
            for name in [officer, secondOfficer, approver] {
                // Names are ours (lowercase letters, digits, underscore): safe unquoted.
                try await connection.simpleQuery("DROP ROLE IF EXISTS \(name)")
            }
            await connection.close()
        }
    }

    /// Milliseconds per part of what `payment record` does, each timed alone.
    private func printBreakdown(_ officer: LedgerService, applications: [String]) async throws {
        let rounds = 1_000
        var parts: [(String, Double)] = [("load application", 0), ("load programme + beneficiary", 0), ("append one event", 0)]
        for index in 0..<rounds {
            let id = applications[index % applications.count]
            parts[0].1 += try await timed { _ = try await officer.load(ApplicationState.self, stream: Streams.application(id)) }.seconds
            parts[1].1 += try await timed {
                _ = try await officer.load(ProgramState.self, stream: Streams.program(Self.program),
                                           BeneficiaryState.self, stream: Streams.beneficiary("HH-R1-\(index % applications.count)"))
            }.seconds
            let event = try LedgerEvent.paymentRecorded(PaymentRecorded(
                paymentID: "BREAKDOWN-\(index)", amountVND: 1_000, paidOn: Self.paidOn, method: .bank, voucher: "PC", bankAccount: nil
            )).newEvent()
            parts[2].1 += try await timed {
                _ = try await officer.store.append([event], to: StreamID(Streams.application(id)), expectedVersion: .any, commandID: "breakdown-\(index)")
            }.seconds
        }
        Console.data(Format.table(["part of payment record", "ms each"], parts.map { [$0.0, Format.fixed($0.1 * 1000 / Double(rounds), 3)] }))
    }

    private func measure(_ database: BenchDatabase, _ people: People) async throws {
        try await database.migrate()
        let admin = try await database.service(user: nil)
        let machine = try await MachineInfo.collect(admin.store.connection)
        Console.progress("PostgreSQL \(machine.serverVersion), \(machine.processors) CPUs; fsync=\(machine.settings["fsync"] ?? "?") "
            + "synchronous_commit=\(machine.settings["synchronous_commit"] ?? "?")")
        try await people.create(admin.store.connection)
        let officer = try await database.service(user: people.officer)
        let secondOfficer = try await database.service(user: people.secondOfficer)
        let approver = try await database.service(user: people.approver)
        _ = try await admin.loadCatalog(SampleCatalog.json)
        let seeding = BulkApplications(officer: officer, approver: approver, officerRole: people.officer, approverRole: people.approver)
        try await admin.store.connection.simpleQuery("""
            CREATE TABLE public.raw_payments (
                payment_id text PRIMARY KEY, application_id text NOT NULL, amount_vnd bigint NOT NULL,
                paid_on date NOT NULL, method text NOT NULL, voucher text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())
            """)
        try await admin.store.connection.simpleQuery("GRANT INSERT ON public.raw_payments TO \(people.officer), \(people.secondOfficer)")

        var rows: [[String]] = []
        // (1) payment record, one command per payment.
        let perClientApplications = 500
        _ = try await admin.allocateBudget(program: Self.program, year: 2024, district: .ninhKieu, amount: 1_000_000_000_000, reference: "bench")
        Console.progress("seeding \(2 * perClientApplications) approved applications for payment record")
        let first = try await seeding.seedApproved(count: perClientApplications, prefix: "R1-", program: Self.program, district: .ninhKieu,
                                                   amount: 40_000_000, submittedOn: Self.submittedOn, decidedOn: Self.decidedOn)
        let second = try await seeding.seedApproved(count: perClientApplications, prefix: "R2-", program: Self.program, district: .ninhKieu,
                                                    amount: 40_000_000, submittedOn: Self.submittedOn, decidedOn: Self.decidedOn)
        if breakdown { try await printBreakdown(officer, applications: first) }
        for clients in [1, 2] {
            let perClient = payments / clients
            let services = clients == 1 ? [officer] : [officer, secondOfficer]
            let applicationSets = [first, second]
            let (ledgerCount, ledgerSeconds) = try await timed {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for client in 0..<clients {
                        let service = services[client], applications = applicationSets[client]
                        group.addTask {
                            for index in 0..<perClient {
                                let id = "P\(clients)-\(client)-\(index)"
                                _ = try await service.recordPayment(LedgerService.PaymentOrder(
                                    applicationID: applications[index % applications.count], paymentID: id, amount: 1_000,
                                    paidOn: Self.paidOn, method: .bank, voucher: "PC \(id)"
                                ))
                            }
                            return perClient
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            let (rawCount, rawSeconds) = try await timed {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for client in 0..<clients {
                        let connection = services[client].store.connection, applications = applicationSets[client]
                        group.addTask {
                            for index in 0..<perClient {
                                let id = "P\(clients)-\(client)-\(index)"
                                try await connection.execute(
                                    "INSERT INTO public.raw_payments (payment_id, application_id, amount_vnd, paid_on, method, voucher) VALUES ($1, $2, $3, $4::date, $5, $6)",
                                    [id, applications[index % applications.count], Int64(1_000), "2024-03-15", "bank", "PC \(id)"]
                                )
                            }
                            return perClient
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            let ledgerRate = Double(ledgerCount) / ledgerSeconds, rawRate = Double(rawCount) / rawSeconds
            rows.append(["payment record, \(clients) client\(clients == 1 ? "" : "s")", "commands/s", Format.rate(ledgerRate), Format.rate(rawRate),
                         Format.fixed(ledgerRate / rawRate, 2) + "×", "one INSERT per payment"])
            Console.progress("payment record, \(clients) client(s): \(Format.rate(ledgerRate))/s; raw \(Format.rate(rawRate))/s")
        }

        // (2) bulk import against COPY of the same file.
        Console.progress("seeding \(Format.grouped(importApplications)) approved applications for the import")
        let importTargets = try await seeding.seedApproved(count: importApplications, prefix: "I-", program: Self.program, district: .ninhKieu,
                                                           amount: 40_000_000, submittedOn: Self.submittedOn, decidedOn: Self.decidedOn)
        var text = PaymentImportFile.Column.headerLine + "\n"
        text.reserveCapacity(importRows * 70)
        for index in 0..<importRows {
            text += "IMP-\(index),\(importTargets[index % importTargets.count]),1000,2024-03-15,bank,\"PC I/\(index), đợt 1\"\n"
        }
        let bytes = Array(text.utf8)
        Console.progress("importing \(Format.grouped(importRows)) rows (\(Format.grouped(bytes.count)) bytes)")
        let (result, importSeconds) = try await timed {
            try await PaymentImport(service: officer).run(try PaymentImportFile(bytes: bytes))
        }
        guard result.recorded == importRows else { throw BenchError("the import recorded \(result.recorded) of \(importRows) rows") }
        try await admin.store.connection.simpleQuery("CREATE TABLE public.raw_import (LIKE public.raw_payments INCLUDING ALL)")
        let (copied, copySeconds) = try await timed {
            try await admin.store.connection.copyFrom(
                "COPY public.raw_import (payment_id, application_id, amount_vnd, paid_on, method, voucher) FROM STDIN (FORMAT csv, HEADER true)"
            ) { writer in try writer.write(bytes) }
        }
        guard copied == Int64(importRows) else { throw BenchError("COPY took \(copied) of \(importRows) rows") }
        let importRate = Double(importRows) / importSeconds, copyRate = Double(importRows) / copySeconds
        rows.append(["payment import, \(Format.grouped(importRows)) rows", "rows/s", Format.rate(importRate), Format.rate(copyRate),
                     Format.fixed(importRate / copyRate, 2) + "×", "COPY of the same CSV; ledger \(Format.fixed(importSeconds, 1)) s in all"])
        Console.progress("import: \(Format.fixed(importSeconds, 1)) s, \(Format.rate(importRate)) rows/s; COPY \(Format.rate(copyRate)) rows/s")

        // (3) approvals against a budget with few and with many earlier reservations.
        for (district, earlier) in [(UnitCode.caiRang, 10), (UnitCode.oMon, reservations)] {
            _ = try await admin.allocateBudget(program: Self.program, year: 2024, district: district, amount: 1_000_000_000_000_000, reference: "bench")
            let budget = Streams.budget(program: Self.program, year: 2024, district: district)
            // Each earlier reservation belongs to an approved application: the database refuses a
            // reservation for an application it does not know (LR001), so they are seeded in bulk.
            Console.progress("seeding \(Format.grouped(earlier)) approved applications: \(Format.grouped(earlier)) reservations on \(budget)")
            _ = try await seeding.seedApproved(count: earlier, prefix: "EARLIER-\(district.code)-", program: Self.program, district: district,
                                               amount: 1_000_000, submittedOn: Self.submittedOn, decidedOn: Self.decidedOn)
            for index in 0..<approvals {
                let household = "AP-\(district.code)-\(index)"
                _ = try await officer.registerBeneficiary(
                    RegisterBeneficiary(id: household, kind: .household, name: "Hộ \(household)", district: district, categories: ["poor"],
                                        bankAccount: "Agribank \(index)"), nationalID: nil)
                _ = try await officer.submitApplication(id: "A-\(household)", beneficiary: household, program: Self.program,
                                                        amount: 10_000_000, submittedOn: Self.submittedOn, year: nil)
            }
            var seconds: [Double] = []
            for index in 0..<approvals {
                let (_, elapsed) = try await timed {
                    try await approver.approveApplication(id: "A-AP-\(district.code)-\(index)", amount: 10_000_000, decision: "QĐ \(index)",
                                                          decidedOn: Self.decidedOn)
                }
                seconds.append(elapsed)
            }
            let warm = seconds.dropFirst().sorted()
            let median = warm[warm.count / 2]
            rows.append(["approval, budget with \(Format.grouped(earlier)) reservations", "ms/approval",
                         Format.fixed(median * 1000, 2), "-", "-", "median of \(warm.count) warm; first (cold) \(Format.fixed(seconds[0] * 1000, 1)) ms"])
            Console.progress("approvals against \(Format.grouped(earlier)) reservations: cold \(Format.fixed(seconds[0] * 1000, 1)) ms, "
                + "warm median \(Format.fixed(median * 1000, 2)) ms")
        }

        Console.data(Format.table(["measurement", "unit", "ledger", "raw", "ratio", "baseline / note"], rows))
        Console.data("PostgreSQL \(machine.serverVersion), \(machine.processors) CPUs, fsync=\(machine.settings["fsync"] ?? "?"), "
            + "synchronous_commit=\(machine.settings["synchronous_commit"] ?? "?"); each command and each raw INSERT commits on its own.")
        for service in [admin, officer, secondOfficer, approver] { await service.store.connection.close() }
    }
}
