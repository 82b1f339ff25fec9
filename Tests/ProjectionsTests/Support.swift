import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport

/// Read models against a real PostgreSQL: seeding, and the tables as a user reads them.
enum ReadSide {
    static let demoKey = Array("projection-tests-national-id-key-0123".utf8)

    /// A small demo year (60 beneficiaries: every state of application and loan, a few seconds).
    static func seedDemo(_ database: FreshDatabase, seed: UInt64 = 7) async throws -> DemoSeedReport {
        try await DemoSeeder(
            configuration: database.configuration(),
            options: DemoSeedOptions(seed: seed, beneficiaries: 60, workers: 2),
            nationalIDKeyBytes: demoKey
        ).run()
    }

    static func options(batchEvents: Int) -> ProjectionRunOptions {
        var options = ProjectionRunOptions()
        options.batchEvents = batchEvents
        options.pageSize = min(batchEvents, 1_000)
        options.pollMilliseconds = 200
        return options
    }

    static var tables: [ReadModelTable] { ProjectionCatalog.all.flatMap { $0.tables } }

    /// Every read-model table's rows as canonical JSON text, sorted: equal text, equal tables.
    static func contents(_ connection: PostgresConnection, schema: String = "ledger_read") async throws -> [String: [String]] {
        var contents: [String: [String]] = [:]
        for table in tables {
            contents[table.name] = try await connection.query(
                "SELECT to_jsonb(t)::text FROM \(schema).\(table.name) t ORDER BY 1"
            ) { try $0.string(0) }
        }
        return contents
    }

    /// The read models as a fresh fold of the whole log in memory, in the same canonical form
    /// (rows copied into temporary tables shaped like the live ones).
    static func foldOfLog(_ database: FreshDatabase) async throws -> [String: [String]] {
        let connection = try await database.connect()
        let projections = try await InMemoryFold.wholeLog(store: EventStore(connection: connection))
        try await connection.simpleQuery("CREATE SCHEMA folded")
        for projection in projections {
            let type = type(of: projection)
            let rows = projection.allRows()
            try await connection.transaction { connection in
                for (table, tableRows) in zip(type.tables, rows) {
                    try connection.simpleQuery("CREATE TABLE folded.\(table.name) (LIKE ledger_read.\(table.name))")
                    try connection.copyFrom("COPY folded.\(table.name) (\(table.columns.joined(separator: ", "))) FROM STDIN") { writer in
                        for row in tableRows { try writer.writeRow(row) }
                    }
                }
            }
        }
        let contents = try await Self.contents(connection, schema: "folded")
        try await connection.simpleQuery("DROP SCHEMA folded CASCADE")
        await connection.close()
        return contents
    }

    static func checkpoints(_ connection: PostgresConnection) async throws -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: try await connection.query(
            "SELECT projection, position FROM ledger_read.checkpoints"
        ) { (try $0.string(0), try $0.int64(1)) })
    }

    static func head(_ connection: PostgresConnection) async throws -> Int64 {
        try await EventStore(connection: connection).digest().position
    }

    /// One row of a read-model table as column → text.
    static func row(_ connection: PostgresConnection, _ table: String, where condition: String, _ parameters: [any PostgresEncodable]) async throws -> [String: String]? {
        try await connection.query(
            "SELECT (SELECT jsonb_object_agg(key, value #>> '{}') FROM jsonb_each(to_jsonb(t)))::text FROM ledger_read.\(table) t WHERE \(condition)",
            parameters
        ) { row in
            try JSONDecoder().decode([String: String?].self, from: Data(try row.string(0).utf8)).compactMapValues { $0 }
        }.first
    }
}

/// People of each role, each acting through their own connection (as Tests/LedgerServiceTests' Scenario).
struct People: Sendable {
    let admin: LedgerService
    let officer: LedgerService
    let approver: LedgerService

    static let program = "NQ12-HOUSING"
    static func date(_ text: String) -> LocalDate { try! LocalDate(parsing: text, field: "date") }

    static func make(_ database: FreshDatabase) async throws -> People {
        let people = People(
            admin: LedgerService(connection: try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))),
            officer: LedgerService(connection: try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))),
            approver: LedgerService(connection: try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_approver")))
        )
        _ = try await people.admin.loadCatalog(SampleCatalog.json)
        return people
    }

    func household(_ id: String) async throws {
        _ = try await officer.registerBeneficiary(
            RegisterBeneficiary(id: id, kind: .household, name: "Hộ \(id)", district: .ninhKieu, categories: ["poor"],
                                bankAccount: "Agribank 7300-\(id)"),
            nationalID: nil
        )
    }

    func approved(_ id: String, household: String, amount: VND) async throws {
        try await self.household(household)
        _ = try await officer.submitApplication(id: id, beneficiary: household, program: Self.program, amount: amount,
                                                submittedOn: Self.date("2024-03-01"), year: nil)
        _ = try await approver.approveApplication(id: id, amount: amount, decision: "QĐ \(id)", decidedOn: Self.date("2024-03-10"))
    }

    func pay(_ application: String, _ paymentID: String, _ amount: VND) async throws {
        _ = try await officer.recordPayment(LedgerService.PaymentOrder(
            applicationID: application, paymentID: paymentID, amount: amount, paidOn: Self.date("2024-03-15"), method: .bank,
            voucher: "PC-\(paymentID)"
        ))
    }
}
