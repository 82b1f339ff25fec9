import Foundation
import Postgres
import TestSupport
import Testing

/// The writes of the CLI contract over HTTP, each family end to end as the people who do them
/// in the office: status, `Location`, and what the database recorded and by whom.
@Suite(.enabled(if: TestDatabase.enabled))
struct WriteRouteTests {
    /// The actors of the events of `type` recorded (on `stream`, when given), in order.
    static func recorded(_ db: FreshDatabase, _ type: String, stream: String? = nil) async throws -> [String] {
        let connection = try await db.connect()
        defer { Task { await connection.close() } }
        if let stream {
            return try await connection.query(
                """
                SELECT c.actor FROM ledger.events e JOIN ledger.commands c USING (command_id)
                WHERE e.event_type = $1 AND e.stream_id = $2 ORDER BY e.position
                """, [type, stream]
            ) { try $0.string(0) }
        }
        return try await connection.query(
            "SELECT c.actor FROM ledger.events e JOIN ledger.commands c USING (command_id) WHERE e.event_type = $1 ORDER BY e.position", [type]
        ) { try $0.string(0) }
    }

    static func sampleCatalog(_ db: FreshDatabase) async throws -> Data {
        Data(try await People.ledger(db, ["program", "sample"]).stdout.utf8)
    }

    @Test func programmesBudgetsBeneficiariesApplicationsAndPaymentsAsTheOfficeDoesThem() async throws {
        try await TestDatabase.withFresh { db in
            let admin = try await People.add(db, role: "admin")
            let officer = try await People.add(db, role: "officer")
            let approver = try await People.add(db, role: "approver")
            let catalog = try await Self.sampleCatalog(db)
            try await RunningService.with(db) { service in
                let adminToken = try await service.signIn(admin.user, admin.password)
                let officerToken = try await service.signIn(officer.user, officer.password)
                let approverToken = try await service.signIn(approver.user, approver.password)

                // Programmes: the catalog file is the body; loading it again changes nothing.
                let loaded = try await service.request("POST", "/api/v1/programs", body: catalog, token: adminToken,
                                                       headers: ["Content-Type": "application/json"])
                #expect(loaded.status == 200, "\(loaded)")
                #expect((loaded.json["events_appended"] as? Int ?? 0) > 0, "\(loaded)")
                let again = try await service.request("POST", "/api/v1/programs", body: catalog, token: adminToken,
                                                      headers: ["Content-Type": "application/json"])
                #expect(again.status == 200 && again.json["events_appended"] as? Int == 0, "\(again)")
                #expect(try await Self.recorded(db, "ProgramDefined").allSatisfy { $0 == admin.user })

                // Budgets: allocate, then adjust down with a signed amount.
                let allocated = try await service.request("POST", "/api/v1/budgets", json: [
                    "program": "NQ12-HOUSING", "year": 2024, "district": "Ninh Kiều", "amount_vnd": 100_000_000, "reference": "QĐ 1",
                ], token: adminToken)
                #expect(allocated.status == 200, "\(allocated)")
                let adjusted = try await service.request("POST", "/api/v1/budgets/adjustments", json: [
                    "program": "NQ12-HOUSING", "year": 2024, "unit": "ninh kieu", "amount_vnd": -10_000_000, "reference": "QĐ 2",
                ], token: adminToken)
                #expect(adjusted.status == 200, "\(adjusted)")
                #expect(try await Self.recorded(db, "BudgetAllocated") == [admin.user])
                #expect(try await Self.recorded(db, "BudgetAdjusted") == [admin.user])

                // A beneficiary: 201 with its Location; then a correction.
                let registered = try await service.request("POST", "/api/v1/beneficiaries", json: [
                    "beneficiary_id": "HH-1", "kind": "household", "name": "Nguyễn Văn A", "district": "ninh kieu",
                    "categories": ["poor"], "bank_account": "Agribank 123", "registered_on": "2024-02-01",
                ], token: officerToken)
                #expect(registered.status == 201, "\(registered)")
                #expect(registered.headers["location"] == "/api/v1/beneficiaries/HH-1", "\(registered)")
                #expect(registered.json["beneficiary_id"] as? String == "HH-1", "\(registered)")
                #expect(try await Self.recorded(db, "BeneficiaryRegistered", stream: "beneficiary-HH-1") == [officer.user])
                let amended = try await service.request("POST", "/api/v1/beneficiaries/HH-1/amendments", json: [
                    "reason": "tên viết sai", "name": "Nguyễn Văn B", "amended_on": "2024-02-02",
                ], token: officerToken)
                #expect(amended.status == 200 && amended.headers["location"] == nil, "\(amended)")
                #expect(try await Self.recorded(db, "BeneficiaryAmended") == [officer.user])

                // An application: submitted by the officer, approved by the approver, paid, closed.
                let submitted = try await service.request("POST", "/api/v1/applications", json: [
                    "application_id": "A-1", "beneficiary_id": "HH-1", "program": "NQ12-HOUSING", "amount_vnd": 10_000_000,
                    "submitted_on": "2024-03-01",
                ], token: officerToken)
                #expect(submitted.status == 201, "\(submitted)")
                #expect(submitted.headers["location"] == "/api/v1/applications/A-1", "\(submitted)")
                let approved = try await service.request("POST", "/api/v1/applications/A-1/approval", json: [
                    "amount_vnd": 8_000_000, "decision": "QĐ 9", "decided_on": "2024-03-10",
                ], token: approverToken)
                #expect(approved.status == 200, "\(approved)")
                #expect(approved.json["application_id"] as? String == "A-1" && approved.json["replayed"] as? Bool == false, "\(approved)")
                #expect(try await Self.recorded(db, "ApplicationApproved", stream: "application-A-1") == [approver.user])
                let paid = try await service.request("POST", "/api/v1/payments", json: [
                    "application_id": "A-1", "payment_id": "P-1", "amount_vnd": 5_000_000, "paid_on": "2024-03-15",
                    "method": "bank", "voucher": "PC-001",
                ], token: officerToken)
                #expect(paid.status == 201, "\(paid)")
                // Closure has no required field: an empty body will do.
                let closed = try await service.request("POST", "/api/v1/applications/A-1/closure", token: officerToken)
                #expect(closed.status == 200, "\(closed)")
                #expect(try await Self.recorded(db, "ApplicationClosed", stream: "application-A-1") == [officer.user])

                // Rejected and withdrawn ones.
                for (id, household, amount) in [("A-2", "HH-2", 1_000_000), ("A-3", "HH-3", 2_000_000)] {
                    let registered = try await service.request("POST", "/api/v1/beneficiaries", json: [
                        "beneficiary_id": household, "kind": "household", "name": "Hộ \(household)", "unit": "Ninh Kiều",
                        "category": "poor", "registered_on": "2024-02-01",
                    ], token: officerToken)
                    #expect(registered.status == 201, "\(registered)")
                    let submitted = try await service.request("POST", "/api/v1/applications", json: [
                        "application_id": id, "beneficiary_id": household, "program": "NQ12-HOUSING", "amount_vnd": amount,
                        "submitted_on": "2024-04-01",
                    ], token: officerToken)
                    #expect(submitted.status == 201, "\(submitted)")
                }
                let rejected = try await service.request("POST", "/api/v1/applications/A-2/rejection", json: [
                    "reason": "không đủ điều kiện", "decided_on": "2024-04-02",
                ], token: approverToken)
                #expect(rejected.status == 200, "\(rejected)")
                #expect(try await Self.recorded(db, "ApplicationRejected", stream: "application-A-2") == [approver.user])
                let withdrawn = try await service.request("POST", "/api/v1/applications/A-3/withdrawal", json: [
                    "reason": "hộ gia đình rút đơn", "withdrawn_on": "2024-04-03",
                ], token: officerToken)
                #expect(withdrawn.status == 200, "\(withdrawn)")
                #expect(try await Self.recorded(db, "ApplicationWithdrawn", stream: "application-A-3") == [officer.user])
            }
        }
    }

    @Test func aLoanIsDisbursedRepaidAndWrittenOff() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            try await People.ledger(db, ["budget", "allocate", "--program", "NQ11-OVERSEAS-LOAN", "--year", "2024", "--district", "Ninh Kiều",
                                         "--amount", "500000000", "--reference", "QĐ 3"])
            let officer = try await People.add(db, role: "officer")
            let approver = try await People.add(db, role: "approver")
            try await RunningService.with(db) { service in
                let officerToken = try await service.signIn(officer.user, officer.password)
                let approverToken = try await service.signIn(approver.user, approver.password)
                let registered = try await service.request("POST", "/api/v1/beneficiaries", json: [
                    "beneficiary_id": "W-1", "kind": "person", "name": "Trần Thị C", "unit": "Ninh Kiều", "category": "rural-worker",
                    "registered_on": "2024-01-15",
                ], token: officerToken)
                #expect(registered.status == 201, "\(registered)")
                let submitted = try await service.request("POST", "/api/v1/applications", json: [
                    "application_id": "L-A-1", "beneficiary_id": "W-1", "program": "NQ11-OVERSEAS-LOAN", "amount_vnd": 60_000_000,
                    "submitted_on": "2024-03-01",
                ], token: officerToken)
                #expect(submitted.status == 201, "\(submitted)")
                let approved = try await service.request("POST", "/api/v1/applications/L-A-1/approval", json: [
                    "amount_vnd": 60_000_000, "decision": "QĐ 12", "decided_on": "2024-03-05",
                ], token: approverToken)
                #expect(approved.status == 200, "\(approved)")

                let disbursed = try await service.request("POST", "/api/v1/loans", json: [
                    "application_id": "L-A-1", "loan_id": "LOAN-1", "principal_vnd": 60_000_000, "disbursed_on": "2024-04-01",
                    "term_months": 12,
                ], token: officerToken)
                #expect(disbursed.status == 201, "\(disbursed)")
                #expect(disbursed.headers["location"] == "/api/v1/loans/LOAN-1", "\(disbursed)")
                #expect(try await Self.recorded(db, "LoanDisbursed", stream: "loan-LOAN-1") == [officer.user])

                let repaid = try await service.request("POST", "/api/v1/loans/LOAN-1/repayments", json: [
                    "repayment_id": "R-1", "amount_vnd": 2_000_000, "paid_on": "2024-07-01",
                ], token: officerToken)
                #expect(repaid.status == 201, "\(repaid)")
                #expect(repaid.headers["location"] == "/api/v1/loans/LOAN-1/repayments/R-1", "\(repaid)")
                #expect(try await Self.recorded(db, "LoanRepaid") == [officer.user])

                // A repayment of an unknown loan: 404 naming the path's id.
                let unknown = try await service.request("POST", "/api/v1/loans/NO-SUCH/repayments", json: [
                    "repayment_id": "R-2", "amount_vnd": 1_000, "paid_on": "2024-07-01",
                ], token: officerToken)
                #expect(unknown.status == 404, "\(unknown)")

                // Write-off is the approver's; the officer is refused by the database's roles.
                let byOfficer = try await service.request("POST", "/api/v1/loans/LOAN-1/write-off", json: [
                    "reason": "người vay mất tích", "written_off_on": "2024-12-01",
                ], token: officerToken)
                #expect(byOfficer.status == 403 && byOfficer.json["code"] as? String == "permission_denied", "\(byOfficer)")
                let writtenOff = try await service.request("POST", "/api/v1/loans/LOAN-1/write-off", json: [
                    "reason": "người vay mất tích", "written_off_on": "2024-12-01",
                ], token: approverToken)
                #expect(writtenOff.status == 200, "\(writtenOff)")
                #expect(try await Self.recorded(db, "LoanWrittenOff") == [approver.user])
            }
        }
    }

    @Test func anIdempotentRetryOfARegistrationRecordsNothingTwice() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let body: [String: Any] = [
                    "beneficiary_id": "HH-2", "kind": "household", "name": "Lê Văn D", "district": "Ninh Kiều", "categories": ["poor"],
                ]
                let first = try await service.request("POST", "/api/v1/beneficiaries", json: body, token: token, headers: ["Idempotency-Key": "reg-HH-2"])
                #expect(first.status == 201 && first.json["replayed"] as? Bool == false, "\(first)")
                let second = try await service.request("POST", "/api/v1/beneficiaries", json: body, token: token, headers: ["Idempotency-Key": "reg-HH-2"])
                #expect(second.status == 201 && second.json["replayed"] as? Bool == true, "\(second)")
                #expect(try await Self.recorded(db, "BeneficiaryRegistered", stream: "beneficiary-HH-2").count == 1)
            }
        }
    }

    /// Refusals of the ledger name the JSON field at fault, not the CLI's flag; nothing is recorded.
    @Test func refusalsNameTheJSONField() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            let approver = try await People.add(db, role: "approver")
            let admin = try await People.add(db, role: "admin")
            let before = try await People.head(db)
            try await RunningService.with(db) { service in
                let tokens = [
                    "officer": try await service.signIn(officer.user, officer.password),
                    "approver": try await service.signIn(approver.user, approver.password),
                    "admin": try await service.signIn(admin.user, admin.password),
                ]
                let cases: [(who: String, path: String, json: [String: Any], status: Int, code: String, field: String?)] = [
                    ("officer", "/api/v1/applications", ["application_id": "A-9", "beneficiary_id": "NOBODY", "program": "NQ12-HOUSING",
                                                         "amount_vnd": 1_000_000], 404, "unknown_beneficiary", "beneficiary_id"),
                    ("officer", "/api/v1/applications", ["application_id": "A-9", "beneficiary_id": "HH-1", "program": "NQ12-HOUSING",
                                                         "amount_vnd": 1_000_000, "unit": "Atlantis"], 400, "invalid_input", "unit"),
                    ("officer", "/api/v1/beneficiaries", ["beneficiary_id": "HH-9", "kind": "household", "name": "X", "district": "Atlantis"],
                     400, "invalid_input", "district"),
                    ("officer", "/api/v1/beneficiaries", ["beneficiary_id": "HH-9", "kind": "household", "name": "X", "unit": "Ninh Kiều",
                                                          "categories": ["astronaut"]], 400, "invalid_input", "categories"),
                    ("officer", "/api/v1/loans", ["application_id": "NO-SUCH", "loan_id": "L-9", "principal_vnd": 1_000_000, "term_months": 12],
                     404, "unknown_application", "application_id"),
                    ("approver", "/api/v1/applications/NO-SUCH/approval", ["amount_vnd": 1_000_000, "decision": "QĐ 1"], 404,
                     "unknown_application", "id"),
                    ("approver", "/api/v1/applications/A-1/approval", ["amount_vnd": 50_000_000, "decision": "QĐ 1", "decided_on": "2024-03-10"],
                     422, "over_cap", nil),
                    ("approver", "/api/v1/applications/A-1/approval", ["amount_vnd": 1_000_000, "decision": "QĐ 1", "decided_on": "2024-02-01"],
                     422, "out_of_order", "decided_on"),
                    ("admin", "/api/v1/budgets", ["program": "NO-SUCH", "year": 2024, "unit": "Ninh Kiều", "amount_vnd": 1, "reference": "QĐ"],
                     404, "unknown_program", "program"),
                    ("admin", "/api/v1/budgets/adjustments", ["program": "NQ12-HOUSING", "year": 2024, "unit": "Ninh Kiều",
                                                              "amount_vnd": -200_000_000, "reference": "QĐ"], 422, "below_committed", nil),
                ]
                for item in cases {
                    let answer = try await service.request("POST", item.path, json: item.json, token: tokens[item.who])
                    #expect(answer.status == item.status, "\(item.path): \(answer)")
                    #expect(answer.json["code"] as? String == item.code, "\(item.path): \(answer)")
                    #expect(answer.json["field"] as? String == item.field, "\(item.path): \(answer)")
                }
            }
            #expect(try await People.head(db) == before)
        }
    }

    /// Malformed input is a 400 naming the JSON field; nothing is recorded.
    @Test(arguments: [
        // (path, body, field)
        ("/api/v1/beneficiaries", #"{"kind":"household","name":"X","district":"Ninh Kiều"}"#, "beneficiary_id"),
        ("/api/v1/beneficiaries", #"{"beneficiary_id":"HH-9","kind":"robot","name":"X","district":"Ninh Kiều"}"#, "kind"),
        ("/api/v1/beneficiaries", #"{"beneficiary_id":"HH-9","kind":"household","name":"X"}"#, "unit"),
        ("/api/v1/beneficiaries", #"{"beneficiary_id":"HH-9","kind":"household","name":"X","unit":"Ninh Kiều","categories":"poor,near-poor","nickname":"y"}"#, "nickname"),
        ("/api/v1/beneficiaries", #"{"beneficiary_id":"HH-9","kind":"household","name":"X","unit":"Ninh Kiều","national_id":"123"}"#, "national_id"),
        ("/api/v1/beneficiaries", #"{"beneficiary_id":"HH 9/x","kind":"household","name":"X","unit":"Ninh Kiều"}"#, "beneficiary_id"),
        ("/api/v1/beneficiaries", #"{"beneficiary_id":"HH-9","kind":"household","name":"X","unit":"Ninh Kiều","categories":[1]}"#, "categories"),
        ("/api/v1/beneficiaries/HH-1/amendments", #"{"reason":"r","bank_account":"VCB 1","clear_bank_account":true}"#, "clear_bank_account"),
        ("/api/v1/applications", #"{"application_id":"A-9","beneficiary_id":"HH-1","program":"NQ12-HOUSING","amount_vnd":"10000000"}"#, "amount_vnd"),
        ("/api/v1/applications", #"{"application_id":"A-9","beneficiary_id":"HH-1","program":"NQ12-HOUSING","amount_vnd":1000,"submitted_on":"2024-02-30"}"#, "submitted_on"),
        ("/api/v1/applications", #"{"application_id":"A-9","beneficiary_id":"HH-1","program":"NQ12-HOUSING","amount_vnd":1000,"year":1999}"#, "year"),
        ("/api/v1/applications", #"{"application_id":"A 9","beneficiary_id":"HH-1","program":"NQ12-HOUSING","amount_vnd":1000}"#, "application_id"),
        ("/api/v1/applications/A-1/approval", #"{"amount_vnd":-5,"decision":"QĐ 1"}"#, "amount_vnd"),
        ("/api/v1/applications/A-1/approval", #"{"amount_vnd":5000000}"#, "decision"),
        ("/api/v1/applications/A-1/rejection", #"{"reason":"r","decided_on":"10/03/2024"}"#, "decided_on"),
        ("/api/v1/applications/A-1/closure", #"{"closed":"2024-03-01"}"#, "closed"),
        ("/api/v1/loans", #"{"application_id":"A-1","loan_id":"L-1","principal_vnd":1000,"term_months":"12"}"#, "term_months"),
        ("/api/v1/loans", #"{"application_id":"A-1","loan_id":"L-1","principal_vnd":1.5,"term_months":12}"#, "principal_vnd"),
        ("/api/v1/loans/L-1/repayments", #"{"amount_vnd":1000}"#, "repayment_id"),
        ("/api/v1/loans/L-1/write-off", #"{"reason":"r","written_off_on":"yesterday"}"#, "written_off_on"),
        ("/api/v1/budgets", #"{"program":"NQ12-HOUSING","year":2024,"unit":"Ninh Kiều","amount_vnd":0,"reference":"QĐ"}"#, "amount_vnd"),
        ("/api/v1/budgets", #"{"program":"NQ12-HOUSING","year":"2024","unit":"Ninh Kiều","amount_vnd":1,"reference":"QĐ"}"#, "year"),
        ("/api/v1/budgets/adjustments", #"{"program":"NQ12-HOUSING","year":2024,"unit":"Ninh Kiều","district":"Ninh Kiều","amount_vnd":-1,"reference":"QĐ"}"#, "district"),
    ])
    func badInputIsA400NamingTheField(path: String, body: String, field: String) async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            let before = try await People.head(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let answer = try await service.request("POST", path, body: Data(body.utf8), token: token, headers: ["Content-Type": "application/json"])
                #expect(answer.status == 400, "\(answer)")
                #expect(answer.headers["content-type"] == "application/problem+json", "\(answer)")
                #expect(answer.json["field"] as? String == field, "\(answer)")
            }
            #expect(try await People.head(db) == before)
        }
    }
}
