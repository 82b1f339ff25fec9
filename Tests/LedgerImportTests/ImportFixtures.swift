import EventStore
import Foundation
import Ledger
import Postgres
import TestSupport
import Testing

/// A fresh ledger for import tests: the sample programmes, a housing budget, and people in each
/// role acting through their own connections (role grants and four eyes are checked on them).
struct ImportLedger: Sendable {
    let database: FreshDatabase
    let admin: LedgerService
    let officer: LedgerService
    let approver: LedgerService
    /// The test superuser, for reading.
    let superuser: LedgerService
    let officerRole: String
    let approverRole: String

    static let housing = "NQ12-HOUSING"
    static let year = 2024
    static let submittedOn = date("2024-03-01")
    static let decidedOn = date("2024-03-10")

    static func date(_ text: String) -> LocalDate {
        do { return try LocalDate(parsing: text, field: "test") } catch { fatalError("bad test date \(text)") }
    }

    static func make(_ database: FreshDatabase, budget: VND = 100_000_000_000) async throws -> ImportLedger {
        let officerRole = try await TestDatabase.loginRole(memberOf: "ledger_officer")
        let approverRole = try await TestDatabase.loginRole(memberOf: "ledger_approver")
        let ledger = ImportLedger(
            database: database,
            admin: LedgerService(connection: try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))),
            officer: LedgerService(connection: try await database.connect(user: officerRole)),
            approver: LedgerService(connection: try await database.connect(user: approverRole)),
            superuser: LedgerService(connection: try await database.connect()),
            officerRole: officerRole, approverRole: approverRole
        )
        _ = try await ledger.admin.loadCatalog(SampleCatalog.json)
        _ = try await ledger.admin.allocateBudget(
            program: housing, year: year, district: .ninhKieu, amount: budget, reference: "QĐ 1/2024"
        )
        return ledger
    }

    /// Another officer, on a connection of their own.
    func anotherOfficer() async throws -> LedgerService {
        LedgerService(connection: try await database.connect(user: officerRole))
    }

    /// A poor household in Ninh Kiều, with a bank account unless `bank` is false.
    func household(_ id: String, bank: Bool = true) async throws {
        _ = try await officer.registerBeneficiary(
            RegisterBeneficiary(id: id, kind: .household, name: "Hộ \(id)", district: .ninhKieu, categories: ["poor"],
                                bankAccount: bank ? "Agribank 7300-\(id)" : nil),
            nationalID: nil, fingerprintKey: nil
        )
    }

    /// Registers the household, submits (officer) and approves (approver) a housing application.
    func approvedApplication(_ id: String, household: String, amount: VND = 40_000_000, bank: Bool = true) async throws {
        try await self.household(household, bank: bank)
        _ = try await officer.submitApplication(
            id: id, beneficiary: household, program: Self.housing, amount: amount, submittedOn: Self.submittedOn, year: nil
        )
        _ = try await approver.approveApplication(id: id, amount: amount, decision: "QĐ \(id)", decidedOn: Self.decidedOn)
    }

    func importing(_ text: String, skipInvalid: Bool = false, by service: LedgerService? = nil) async throws -> PaymentImportResult {
        try await PaymentImport(service: service ?? officer, skipInvalid: skipInvalid).run(PaymentImportFile(bytes: Array(text.utf8)))
    }

    func application(_ id: String) async throws -> ApplicationState {
        try await superuser.load(ApplicationState.self, stream: Streams.application(id))
    }

    func head() async throws -> Int64 {
        try await superuser.store.digest().position
    }

    /// Every recorded payment id, from the log itself.
    func recordedPaymentIDs() async throws -> [String] {
        try await superuser.store.connection.query(
            "SELECT payload ->> 'payment_id' FROM ledger.events WHERE event_type = 'PaymentRecorded' ORDER BY position"
        ) { try $0.string(0) }
    }

    // MARK: Many applications at once

    /// `count` households (`HH-<prefix><n>`), each with an approved housing application
    /// (`A-<prefix><n>`) of `amount`. Decided with the domain's pure decisions and appended in
    /// multi-stream batches as the officer and the approver — the same events the commands
    /// append, in a fraction of the time (three commands per application would take minutes at
    /// 100,000 applications).
    func seedApprovedApplications(count: Int, prefix: String = "", amount: VND = 40_000_000) async throws -> [String] {
        let catalog = try ProgramCatalog(parsing: SampleCatalog.json)
        let program = try #require(catalog.programs.first { $0.code == Self.housing })
        let programState = Self.folded(ProgramState(streamID: Streams.program(Self.housing)), [.programDefined(program)], actor: "admin")
        var budget = try await superuser.loadSnapshotted(
            BudgetState.self, stream: Streams.budget(program: Self.housing, year: Self.year, district: .ninhKieu)
        )
        var beneficiaries: [BeneficiaryState] = []
        var applications: [ApplicationState] = []
        var registrations: [Decision] = []
        var submissions: [Decision] = []
        for index in 0..<count {
            let household = "HH-\(prefix)\(index)"
            let registration = try BeneficiaryDecisions.register(
                RegisterBeneficiary(id: household, kind: .household, name: "Hộ \(household)", district: .ninhKieu,
                                    categories: ["poor"], bankAccount: "Agribank 7300-\(index)"),
                existing: BeneficiaryState(streamID: Streams.beneficiary(household)), fingerprint: nil
            )
            let beneficiary = Self.after(
                BeneficiaryState(streamID: Streams.beneficiary(household)), Streams.beneficiary(household), registration, actor: officerRole
            )
            let id = "A-\(prefix)\(index)"
            let submission = try ApplicationDecisions.submit(
                id: id, existing: ApplicationState(streamID: Streams.application(id)), beneficiary: beneficiary,
                program: programState, requested: amount, submittedOn: Self.submittedOn, fiscalYear: nil
            )
            registrations.append(registration)
            submissions.append(submission)
            beneficiaries.append(beneficiary)
            applications.append(Self.after(ApplicationState(streamID: Streams.application(id)), Streams.application(id), submission, actor: officerRole))
        }
        try await appendInBatches(registrations, decisionsPerAppend: 100, by: officer, label: "seed-register-\(prefix)")
        try await appendInBatches(submissions, decisionsPerAppend: 100, by: officer, label: "seed-submit-\(prefix)")
        // Approvals touch the application, the beneficiary and the one budget: 49 per append keeps within 100 streams.
        var approvals: [Decision] = []
        for index in 0..<count {
            let approval = try ApplicationDecisions.approve(
                application: applications[index], program: programState, budget: budget, beneficiary: beneficiaries[index],
                approver: approverRole, amount: amount, decisionReference: "QĐ \(applications[index].id)", decidedOn: Self.decidedOn
            )
            budget = Self.after(budget, budget.streamID, approval, actor: approverRole)
            approvals.append(approval)
        }
        try await appendInBatches(approvals, decisionsPerAppend: 49, by: approver, label: "seed-approve-\(prefix)")
        return applications.map(\.id)
    }

    /// Appends decisions in groups, each group one multi-stream append; a stream's events from
    /// several decisions of a group go together, at the first one's expected version.
    func appendInBatches(_ decisions: [Decision], decisionsPerAppend: Int, by service: LedgerService, label: String) async throws {
        for start in stride(from: 0, to: decisions.count, by: decisionsPerAppend) {
            var order: [String] = []
            var byStream: [String: (expected: Int64, events: [LedgerEvent])] = [:]
            for decision in decisions[start..<min(start + decisionsPerAppend, decisions.count)] {
                for entry in decision.streams {
                    if byStream[entry.stream] == nil {
                        order.append(entry.stream)
                        byStream[entry.stream] = (entry.expectedVersion, [])
                    }
                    byStream[entry.stream]!.events += entry.events
                }
            }
            let appends = try order.map { stream in
                let entry = byStream[stream]!
                return StreamAppend(
                    stream: StreamID(stream), expectedVersion: entry.expected == 0 ? .noStream : .exactly(entry.expected),
                    events: try entry.events.map { try $0.newEvent() }
                )
            }
            _ = try await service.store.append(appends, commandID: "\(label)-\(start)")
        }
    }

    static func folded<State: StreamState>(_ state: State, _ events: [LedgerEvent], actor: String) -> State {
        state.folding(events.enumerated().map { index, event in
            let version = state.version + Int64(index + 1)
            return (event, EventContext(position: version, streamVersion: version, actor: actor, recordedAtMicroseconds: 0))
        })
    }

    /// `state` after what `decision` appends to `stream` (the state's), as if `actor` had recorded it.
    static func after<State: StreamState>(_ state: State, _ stream: String, _ decision: Decision, actor: String) -> State {
        folded(state, decision.streams.filter { $0.stream == stream }.flatMap(\.events), actor: actor)
    }
}

/// Payment files for the tests.
enum PaymentCSV {
    static let header = PaymentImportFile.Column.headerLine

    /// One line per row: payment id, application id, amount, date, method, voucher (no quoting needed).
    static func text(_ rows: [[String]]) -> String {
        ([header] + rows.map { $0.joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    /// A row paying `amount` on `application`, bank transfer, 15 March 2024.
    static func row(_ paymentID: String, _ application: String, _ amount: Int64, paidOn: String = "2024-03-15", method: String = "bank") -> [String] {
        [paymentID, application, String(amount), paidOn, method, "PC-\(paymentID)"]
    }
}

extension LedgerRun {
    /// `LEDGER_BINARY`, else `ledger` in the build folder that holds the test bundle.
    static var binary: URL? { LedgerBinary.url }

    /// Runs `ledger arguments… FILE` against `database` as `user`, with FILE holding `bytes`.
    static func run(_ arguments: [String], file bytes: [UInt8], database: FreshDatabase, user: String) async throws -> LedgerRun {
        try await withScratchFolder { folder in
            let input = folder.appendingPathComponent("payments.csv")
            try Data(bytes).write(to: input)
            return try await LedgerBinary.run(arguments + [input.path], environment: database.environment(user: user))
        }
    }
}
