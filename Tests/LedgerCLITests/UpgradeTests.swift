import Foundation
import Migrations
import Postgres
import Testing
import TestSupport

/// An existing ledger, recorded before the database kept the domain's rules (migrations 1–8),
/// upgraded to this release: migration 9 folds what is recorded into the rule tables, leaving
/// out what breaks a rule, and from then on the rules hold.
@Suite(.enabled(if: TestDatabase.enabled))
struct UpgradeTests {
    @Test func aLedgerFromBeforeTheRulesUpgradesAndItsRuleBreakingEventsAreNamedNotCounted() async throws {
        let name = TestDatabase.uniqueName("ledger_upgrade")
        let server = try await FreshDatabase(name: "postgres").connect()
        try await server.simpleQuery("CREATE DATABASE \(name)")
        do {
            try await Self.upgrade(FreshDatabase(name: name))
        } catch {
            try? await server.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            await server.close()
            throw error
        }
        try await server.simpleQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await server.close()
    }

    static func upgrade(_ database: FreshDatabase) async throws {

        // The release before: migrations 1 to 8 only.
        let superuser = try await database.connect()
        let bundled = try Migration.bundled()
        _ = try await Migrator(connection: superuser, migrations: bundled.filter { $0.version <= 8 }).migrate()

        let admin = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))
        let officer = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
        let approver = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_approver"))
        try await Self.append(admin, Self.programme)
        try await Self.append(admin, Self.allocation)
        try await Self.append(officer, Self.registration)
        try await Self.append(officer, Self.submission)
        try await Self.append(approver, Self.approval)
        try await Self.append(officer, Self.payment("P-1", 3_000_000))
        // What that release let an officer append with psql: an overpayment, a forged release.
        try await Self.append(officer, Self.payment("P-2", 9_000_000))
        try await Self.append(officer, Self.forgedRelease)

        // This release.
        _ = try await Migrator(connection: superuser, migrations: bundled).migrate()
        let facts = try await superuser.queryOne(
            "SELECT status, approved_vnd, paid_vnd FROM ledger.application_facts WHERE application_id = 'A-1'"
        ) { (try $0.string(0), try $0.int64(1), try $0.int64(2)) }
        #expect(facts.0 == "approved" && facts.1 == 5_000_000 && facts.2 == 3_000_000, "the overpayment is not counted: \(facts)")
        let budget = try await superuser.queryOne(
            "SELECT allocated_vnd, reserved_vnd, released_vnd FROM ledger.budget_totals WHERE stream_id = 'budget-NQ12-HOUSING-2024-ninh-kieu'"
        ) { (try $0.int64(0), try $0.int64(1), try $0.int64(2)) }
        #expect(budget.0 == 10_000_000 && budget.1 == 5_000_000 && budget.2 == 0, "the forged release is not counted: \(budget)")

        // verify names both events; the rules now refuse another overpayment, and pay what is left.
        let auditor = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
        let verify = try await LedgerBinary.run(["audit", "verify"], environment: database.environment(user: auditor))
        #expect(verify.status == 2, "\(verify)")
        #expect(verify.stdout.contains("overpayment") && verify.stdout.contains("unpaired"), "\(verify)")
        await #expect(throws: PostgresError.self) { try await Self.append(officer, Self.payment("P-3", 2_000_001)) }
        try await Self.append(officer, Self.payment("P-3", 2_000_000))

        for connection in [superuser, admin, officer, approver] { await connection.close() }
    }

    static func append(_ connection: PostgresConnection, _ batch: String) async throws {
        _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["upgrade-" + UUID().uuidString, batch]) { try $0.string(0) }
    }

    static let programme = """
        [{"stream_id": "program-NQ12-HOUSING", "expected_version": "no_stream", "events": [{"type": "ProgramDefined", "schema_version": 1,
          "payload": {"code": "NQ12-HOUSING", "name_vi": "Hỗ trợ nhà ở cho hộ nghèo", "name_en": "Housing support", "legal_basis": "NQ 12/2023",
          "kind": "grant", "beneficiary_kinds": ["household"], "eligible_categories": ["poor"], "cap_per_beneficiary_vnd": 40000000,
          "valid_from": "2024-01-01", "valid_until": "2025-12-31", "once_only": true, "effective_from": "2024-01-01", "illustrative": true}}]}]
        """
    static let allocation = """
        [{"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "BudgetAllocated",
          "schema_version": 1, "payload": {"program": "NQ12-HOUSING", "fiscal_year": 2024, "district": "ninh-kieu",
          "amount_vnd": 10000000, "reference": "QĐ 1"}}]}]
        """
    static let registration = """
        [{"stream_id": "beneficiary-HH-1", "expected_version": "no_stream", "events": [{"type": "BeneficiaryRegistered",
          "schema_version": 1, "payload": {"beneficiary_id": "HH-1", "kind": "household", "name": "Hộ ông Bảy",
          "district": "ninh-kieu", "categories": ["poor"]}}]}]
        """
    static let submission = """
        [{"stream_id": "application-A-1", "expected_version": "no_stream", "events": [{"type": "ApplicationSubmitted",
          "schema_version": 2, "payload": {"application_id": "A-1", "beneficiary_id": "HH-1", "program": "NQ12-HOUSING",
          "district": "ninh-kieu", "fiscal_year": 2024, "requested_vnd": 5000000, "submitted_on": "2024-03-01"}}]}]
        """
    static let approval = """
        [{"stream_id": "application-A-1", "expected_version": "any", "events": [{"type": "ApplicationApproved", "schema_version": 1,
           "payload": {"approved_vnd": 5000000, "decision_reference": "QĐ 2", "decided_on": "2024-03-10"}}]},
         {"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "FundsReserved",
           "schema_version": 1, "payload": {"application_id": "A-1", "amount_vnd": 5000000}}]},
         {"stream_id": "beneficiary-HH-1", "expected_version": "any", "events": [{"type": "BenefitCommitted",
           "schema_version": 1, "payload": {"application_id": "A-1", "program": "NQ12-HOUSING", "amount_vnd": 5000000}}]}]
        """
    static func payment(_ id: String, _ amount: Int) -> String {
        """
        [{"stream_id": "application-A-1", "expected_version": "any", "events": [{"type": "PaymentRecorded", "schema_version": 1,
          "payload": {"payment_id": "\(id)", "amount_vnd": \(amount), "paid_on": "2024-03-15", "method": "cash", "voucher": "PC \(id)"}}]}]
        """
    }
    static let forgedRelease = """
        [{"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "FundsReleased",
          "schema_version": 1, "payload": {"application_id": "A-1", "amount_vnd": 5000000, "reason": "forged"}}]}]
        """
}
