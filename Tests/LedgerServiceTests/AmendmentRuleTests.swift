import EventStore
import Foundation
import Ledger
import Postgres
import Testing
import TestSupport

/// Amendments and categories in the database: each attack is an officer with psql appending a
/// BeneficiaryAmended (or a registration) that breaks one rule of sql/0015_amendments.sql,
/// straight through `ledger.append`. Each is refused, nothing stored; and `audit verify` names
/// the same rule in a ledger recorded without it.
@Suite(.enabled(if: TestDatabase.enabled))
struct AmendmentRuleTests {
    static func amendment(_ stream: String, _ payload: String) -> String {
        """
        [{"stream_id": "\(stream)", "expected_version": "any", "events": [{"type": "BeneficiaryAmended",
          "schema_version": 1, "payload": \(payload)}]}]
        """
    }

    static let attacks: [(String, String, String)] = [
        // (stream, payload, what the refusal says)
        ("beneficiary-HH-1", #"{"beneficiary_id": "HH-2", "reason": "x", "amended_on": "2024-04-01", "name": "Y"}"#,
         "does not match the stream"),
        ("beneficiary-HH-404", #"{"beneficiary_id": "HH-404", "reason": "x", "amended_on": "2024-04-01", "name": "Y"}"#,
         "there is no beneficiary HH-404"),
        ("beneficiary-HH-1", #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01"}"#,
         "changes at least one"),
        ("beneficiary-HH-1", #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01", "name": "Hộ HH-1"}"#,
         "payload.name"),
        ("beneficiary-HH-1", #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01", "add_categories": ["poor"]}"#,
         "already has category \"poor\""),
        ("beneficiary-HH-1", #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01", "add_categories": ["poorr"]}"#,
         "category \"poorr\" is not one the ledger knows"),
        ("beneficiary-HH-1", #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01", "remove_categories": ["near-poor"]}"#,
         "does not have category \"near-poor\""),
        ("beneficiary-HH-1",
         #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01", "bank_account": "VCB 1", "clear_bank_account": true}"#,
         "payload.clear_bank_account: not with bank_account"),
        ("beneficiary-HH-1", #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01", "clear_bank_account": false}"#,
         "only ever true"),
        ("beneficiary-HH-1", #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01", "unit": "ninh-kieu"}"#,
         "payload.unit"),
    ]

    @Test(arguments: attacks.indices)
    func anAmendmentBreakingARuleIsRefusedByTheDatabase(index: Int) async throws {
        let (stream, payload, says) = Self.attacks[index]
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.household("HH-1")
            let before = try await scenario.headPosition()
            let error = await appendDirectly(scenario.officer, Self.amendment(stream, payload))
            #expect(error?.code.rawValue == "LR001", "\(String(describing: error))")
            #expect(error?.message.contains(says) == true, "\(String(describing: error))")
            #expect(try await scenario.headPosition() == before)
        }
    }

    @Test func aRegistrationWithAnUnknownCategoryIsRefusedByTheDatabase() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            let registration = """
                [{"stream_id": "beneficiary-HH-9", "expected_version": "any", "events": [{"type": "BeneficiaryRegistered",
                  "schema_version": 1, "payload": {"beneficiary_id": "HH-9", "kind": "household", "name": "X", "district": "o-mon",
                  "categories": ["poorr"]}}]}]
                """
            let error = await appendDirectly(scenario.officer, registration)
            #expect(error?.code.rawValue == "LR001", "\(String(describing: error))")
            #expect(error?.message.contains("category \"poorr\" is not one the ledger knows (known: ethnic-minority, near-poor") == true,
                    "\(String(describing: error))")
            // Through the service: the decision refuses first, listing the known ones.
            let refused = await refusal {
                _ = try await scenario.officer.registerBeneficiary(
                    RegisterBeneficiary(id: "HH-9", kind: .household, name: "X", district: .oMon, categories: ["Poorr"], bankAccount: nil),
                    nationalID: nil
                )
            }
            #expect(refused?.field == "--category" && refused?.message.contains("known: ethnic-minority, near-poor") == true,
                    "\(String(describing: refused))")
        }
    }

    @Test func amendmentsCannotGiveABeneficiaryMoreCategoriesThanARegistrationMayList() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.household("HH-1")
            // An admin declares 24 more categories: each amendment below lists at most 20, as the
            // payload schema allows, but together they would give HH-1 more than 20.
            let names = (1...24).map { "group-\($0)" }
            for name in names {
                let declared = await appendDirectly(scenario.admin, """
                    [{"stream_id": "category-\(name)", "expected_version": "any", "events": [{"type": "CategoryDefined",
                      "schema_version": 1, "payload": {"name": "\(name)", "label_vi": "x", "label_en": "x"}}]}]
                    """)
                #expect(declared == nil, "\(String(describing: declared))")
            }
            func add(_ categories: ArraySlice<String>) async -> PostgresError? {
                let list = categories.map { "\"\($0)\"" }.joined(separator: ", ")
                return await appendDirectly(scenario.officer, Self.amendment(
                    "beneficiary-HH-1", #"{"beneficiary_id": "HH-1", "reason": "x", "amended_on": "2024-04-01", "add_categories": [\#(list)]}"#))
            }
            #expect(await add(names[0..<12]) == nil)
            let before = try await scenario.headPosition()
            let error = await add(names[12..<24])
            #expect(error?.code.rawValue == "LR001" && error?.message.contains("would have") == true
                    && error?.message.contains("at most 20") == true, "\(String(describing: error))")
            #expect(try await scenario.headPosition() == before)
        }
    }

    @Test func aCategoryIsDefinedOnlyInCanonicalFormOnItsOwnStream() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            for (stream, name, says) in [("category-x", "y", "does not match the stream"), ("category-Near-Poor", "Near-Poor", "canonical form")] {
                let batch = """
                    [{"stream_id": "\(stream)", "expected_version": "any", "events": [{"type": "CategoryDefined",
                      "schema_version": 1, "payload": {"name": "\(name)", "label_vi": "x", "label_en": "x"}}]}]
                    """
                let error = await appendDirectly(scenario.admin, batch)
                #expect(error?.code.rawValue == "LR001" && error?.message.contains(says) == true, "\(String(describing: error))")
                // Officers may not declare categories at all.
                let officer = await appendDirectly(scenario.officer, batch)
                #expect(officer != nil)
            }
        }
    }

    @Test func anOfficerCannotTakeAnotherBeneficiarysNationalIDByAmendment() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.household("HH-1", nationalID: "092080001234")
            try await scenario.household("HH-2", nationalID: "092080005678")
            // Through the service: refused, naming the holder.
            let refused = await refusal {
                _ = try await scenario.officer.amendBeneficiary(
                    AmendBeneficiary(id: "HH-2", reason: "typo", amendedOn: Scenario.date("2024-04-01")),
                    nationalID: try NationalID(parsing: "092080001234")
                )
            }
            #expect(refused?.code == .duplicateNationalID && refused?.message.contains("HH-1") == true, "\(String(describing: refused))")
            // Directly: a fingerprint the database issues to the officer's own transaction, of HH-1's id.
            let before = try await scenario.headPosition()
            let error = await sqlError(scenario.officer) { connection in
                try await connection.execute("BEGIN")
                do {
                    let fingerprint = try await connection.queryOne(
                        "SELECT (ledger.issue_national_id_fingerprints(ARRAY['092080001234']))[1]") { try $0.string(0) }
                    _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", [
                        "direct-" + UUID().uuidString,
                        Self.amendment("beneficiary-HH-2", """
                            {"beneficiary_id": "HH-2", "reason": "x", "amended_on": "2024-04-01", "national_id_fingerprint": "\(fingerprint)"}
                            """),
                    ]) { try $0.string(0) }
                    try await connection.execute("COMMIT")
                } catch {
                    try await connection.execute("ROLLBACK")
                    throw error
                }
            }
            #expect(error?.code.rawValue == "LD002", "\(String(describing: error))")
            #expect(try await scenario.headPosition() == before)

            // A new id moves the fingerprint: HH-2's old id is free again, the new one taken.
            _ = try await scenario.officer.amendBeneficiary(
                AmendBeneficiary(id: "HH-2", reason: "CCCD replaced the CMND", amendedOn: Scenario.date("2024-04-01")),
                nationalID: try NationalID(parsing: "092080009999")
            )
            try await scenario.household("HH-3", nationalID: "092080005678")
            let taken = await refusal { try await scenario.household("HH-4", nationalID: "092080009999") }
            #expect(taken?.code == .duplicateNationalID, "\(String(describing: taken))")
            // Nobody may free a fingerprint by hand.
            let delete = await sqlError(scenario.superuser) { try await $0.execute("DELETE FROM ledger.national_ids") }
            #expect(delete?.code.rawValue == "LT001", "\(String(describing: delete))")
        }
    }

    @Test func aBankPaymentGoesOnlyToTheAccountOnRecordAndAnAmendmentMovesIt() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(10_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 8_000_000)
            func payment(_ id: String, account: String?) -> String {
                let bank = account.map { #", "bank_account": "\#($0)""# } ?? ""
                return """
                    [{"stream_id": "application-A-1", "expected_version": "any", "events": [{"type": "PaymentRecorded", "schema_version": 1,
                      "payload": {"payment_id": "\(id)", "amount_vnd": 1000000, "paid_on": "2024-03-15", "method": "bank", "voucher": "UNC \(id)"\(bank)}}]}]
                    """
            }
            let before = try await scenario.headPosition()
            let elsewhere = await appendDirectly(scenario.officer, payment("P-1", account: "VCB 9999"))
            #expect(elsewhere?.code.rawValue == "LR001" && elsewhere?.message.contains("is not the bank account beneficiary HH-1 has on record") == true,
                    "\(String(describing: elsewhere))")
            let none = await appendDirectly(scenario.officer, payment("P-1", account: nil))
            #expect(none?.code.rawValue == "LR001", "\(String(describing: none))")
            #expect(try await scenario.headPosition() == before)
            #expect(await appendDirectly(scenario.officer, payment("P-1", account: "Agribank 7300-HH-1")) == nil)

            _ = try await scenario.officer.amendBeneficiary(
                AmendBeneficiary(id: "HH-1", reason: "new account", amendedOn: Scenario.date("2024-03-20"), bankAccount: "VCB 0001"), nationalID: nil
            )
            let old = await appendDirectly(scenario.officer, payment("P-2", account: "Agribank 7300-HH-1"))
            #expect(old?.code.rawValue == "LR001", "the old account is no longer the beneficiary's: \(String(describing: old))")
            #expect(await appendDirectly(scenario.officer, payment("P-2", account: "VCB 0001")) == nil)
            // Through the service, the payment copies the amended account.
            _ = try await scenario.pay("A-1", "P-3", 1_000_000)
            #expect(try await scenario.application("A-1").payments["P-3"]?.recorded.bankAccount == "VCB 0001")
            _ = try await scenario.officer.amendBeneficiary(
                AmendBeneficiary(id: "HH-1", reason: "account closed", amendedOn: Scenario.date("2024-03-21"), clearBankAccount: true), nationalID: nil
            )
            let cleared = await appendDirectly(scenario.officer, payment("P-4", account: "VCB 0001"))
            #expect(cleared?.message.contains("has no bank account on record") == true, "\(String(describing: cleared))")
        }
    }
}
