import Foundation
import Migrations
import Postgres
import Testing
import TestSupport

/// A ledger recorded before migration 15 (categories as data, amendments) upgraded to this
/// release: the known categories and the beneficiaries' details are filled from what is recorded,
/// a typo'd category recorded before is named by `audit verify` and corrected by an amendment,
/// and from then on unknown categories are refused.
@Suite(.enabled(if: TestDatabase.enabled))
struct AmendmentUpgradeTests {
    @Test func aLedgerFromBeforeCategoriesWereDataUpgradesAndItsTypoIsCorrectedByAnAmendment() async throws {
        let name = TestDatabase.uniqueName("ledger_upgrade15")
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
        let superuser = try await database.connect()
        let bundled = try Migration.bundled()
        _ = try await Migrator(connection: superuser, migrations: bundled.filter { $0.version <= 14 }).migrate()
        let admin = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))
        let officerRole = try await TestDatabase.loginRole(memberOf: "ledger_officer")
        let officer = try await database.connect(user: officerRole)
        try await UpgradeTests.append(admin, UpgradeTests.programme)
        try await UpgradeTests.append(officer, UpgradeTests.registration)
        // Accepted before categories were data: a typo.
        try await UpgradeTests.append(officer, """
            [{"stream_id": "beneficiary-HH-2", "expected_version": "no_stream", "events": [{"type": "BeneficiaryRegistered",
              "schema_version": 1, "payload": {"beneficiary_id": "HH-2", "kind": "household", "name": "Hộ bà Tư",
              "district": "ninh-kieu", "categories": ["poorr"]}}]}]
            """)

        _ = try await Migrator(connection: superuser, migrations: bundled).migrate()
        let known = try await superuser.query("SELECT name FROM ledger.known_categories ORDER BY name") { try $0.string(0) }
        #expect(known == ["poor"])
        let details = try await superuser.query(
            "SELECT beneficiary_id, array_to_string(categories, ',') FROM ledger.beneficiary_details ORDER BY 1"
        ) { "\(try $0.string(0)):\(try $0.string(1))" }
        #expect(details == ["HH-1:poor", "HH-2:poorr"])

        let auditor = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
        let verify = try await LedgerBinary.run(["audit", "verify"], environment: database.environment(user: auditor))
        #expect(verify.status == 2 && verify.stdout.contains("unknownCategory") && verify.stdout.contains("category poorr"), "\(verify)")

        let environment = database.environment(user: officerRole)
        let typo = try await LedgerBinary.run(["beneficiary", "register", "--id", "HH-3", "--kind", "household", "--name", "X",
                                               "--district", "Ninh Kiều", "--category", "poorr"], environment: environment)
        #expect(typo.status != 0 && typo.stderr.contains("known: poor"), "\(typo)")
        let fix = try await LedgerBinary.run(["beneficiary", "amend", "--id", "HH-2", "--reason", "sửa lỗi chính tả",
                                              "--remove-category", "poorr", "--add-category", "poor", "--amended-on", "2024-05-01"],
                                             environment: environment)
        #expect(fix.status == 0 && fix.stdout.contains("categories +poor -poorr"), "\(fix)")
        #expect(try await superuser.queryOne(
            "SELECT array_to_string(categories, ',') FROM ledger.beneficiary_details WHERE beneficiary_id = 'HH-2'"
        ) { try $0.string(0) } == "poor")
        for connection in [superuser, admin, officer] { await connection.close() }
    }
}
