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
            nationalID: nil
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
    /// (`A-<prefix><n>`) of `amount` in Ninh Kiều, appended in bulk (see `BulkApplications`).
    func seedApprovedApplications(count: Int, prefix: String = "", amount: VND = 40_000_000) async throws -> [String] {
        try await BulkApplications(officer: officer, approver: approver, officerRole: officerRole, approverRole: approverRole)
            .seedApproved(count: count, prefix: prefix, program: Self.housing, district: .ninhKieu, amount: amount,
                          submittedOn: Self.submittedOn, decidedOn: Self.decidedOn)
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
