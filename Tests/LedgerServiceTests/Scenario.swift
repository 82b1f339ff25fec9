import EventStore
import Foundation
import Ledger
import Postgres
import TestSupport

/// A fresh database with the sample programmes loaded and people in each role, each acting
/// through their own connection (four eyes and role grants are checked on these identities).
struct Scenario: Sendable {
    let database: FreshDatabase
    let admin: LedgerService
    let officer: LedgerService
    let approver: LedgerService
    /// The test superuser: member of every role, for setting up and reading.
    let superuser: LedgerService

    static let year = 2024
    static let district = District.ninhKieu
    static let housing = "NQ12-HOUSING"
    static let loans = "NQ11-OVERSEAS-LOAN"

    /// The ledger's national-id key in these scenarios.
    static let nationalIDKey = Array("test-key-0123456789-national-ids-of-scenarios".utf8)

    static func date(_ text: String) -> LocalDate { try! LocalDate(parsing: text, field: "date") }

    static func make(_ database: FreshDatabase) async throws -> Scenario {
        let scenario = Scenario(
            database: database,
            admin: LedgerService(connection: try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))),
            officer: LedgerService(connection: try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))),
            approver: LedgerService(connection: try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_approver"))),
            superuser: LedgerService(connection: try await database.connect())
        )
        _ = try await scenario.admin.loadCatalog(SampleCatalog.json)
        return scenario
    }

    /// Another person's service in `group` (e.g. a second officer).
    func person(_ label: String, in groups: [String]) async throws -> LedgerService {
        LedgerService(connection: try await database.connect(user: try await TestDatabase.loginRole(label, memberOf: groups)))
    }

    func allocate(_ amount: VND, program: String = housing, district: District = district) async throws {
        _ = try await admin.allocateBudget(program: program, year: Self.year, district: district, amount: amount, reference: "QĐ-\(program)-\(amount)")
    }

    /// A poor household with a bank account (and, if given, a national id).
    func household(_ id: String, district: District = district, nationalID: String? = nil, bank: Bool = true) async throws {
        if nationalID != nil {
            // The key is in the database (sql/0014); setting the same key again does nothing.
            _ = try await admin.setNationalIDKey(Self.nationalIDKey, checking: [])
        }
        _ = try await officer.registerBeneficiary(
            RegisterBeneficiary(id: id, kind: .household, name: "Hộ \(id)", district: district, categories: ["poor"],
                                bankAccount: bank ? "Agribank 7300-\(id)" : nil),
            nationalID: try nationalID.map { try NationalID(parsing: $0) }
        )
    }

    /// A worker who may borrow under the overseas-work loan programme.
    func worker(_ id: String) async throws {
        _ = try await officer.registerBeneficiary(
            RegisterBeneficiary(id: id, kind: .person, name: "Người lao động \(id)", district: Self.district, categories: ["rural-worker"],
                                bankAccount: "VBSP 1234-\(id)"),
            nationalID: nil
        )
    }

    @discardableResult
    func submit(_ id: String, beneficiary: String, program: String = housing, amount: VND, on date: String = "2024-03-01") async throws -> CommandOutcome {
        try await officer.submitApplication(id: id, beneficiary: beneficiary, program: program, amount: amount,
                                            submittedOn: Self.date(date), year: nil)
    }

    @discardableResult
    func approve(_ id: String, amount: VND, on date: String = "2024-03-10", by service: LedgerService? = nil) async throws -> CommandOutcome {
        try await (service ?? approver).approveApplication(id: id, amount: amount, decision: "QĐ \(id)", decidedOn: Self.date(date))
    }

    /// Register, submit and approve in one go.
    func approvedApplication(_ id: String, household: String, amount: VND, program: String = housing) async throws {
        try await self.household(household)
        try await submit(id, beneficiary: household, program: program, amount: amount)
        try await approve(id, amount: amount)
    }

    func pay(_ application: String, _ paymentID: String, _ amount: VND, on date: String = "2024-03-15",
             method: PaymentMethod = .bank, by service: LedgerService? = nil) async throws -> CommandOutcome {
        try await (service ?? officer).recordPayment(LedgerService.PaymentOrder(
            applicationID: application, paymentID: paymentID, amount: amount, paidOn: Self.date(date), method: method, voucher: "PC-\(paymentID)"
        ))
    }

    func application(_ id: String) async throws -> ApplicationState {
        try await superuser.load(ApplicationState.self, stream: Streams.application(id))
    }

    func budget(program: String = housing, district: District = district) async throws -> BudgetState {
        try await superuser.load(BudgetState.self, stream: Streams.budget(program: program, year: Self.year, district: district))
    }

    func headPosition() async throws -> Int64 {
        try await superuser.store.digest().position
    }
}

/// Runs `body` and returns the `DomainError` it threw (nil if it did not throw one).
func refusal(_ body: () async throws -> Void) async -> DomainError? {
    do {
        try await body()
        return nil
    } catch let error as DomainError {
        return error
    } catch {
        return DomainError(.invalidInput, "unexpected error: \(error)")
    }
}
