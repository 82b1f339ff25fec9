import Foundation
import Postgres
import TestSupport
import Testing

/// The database's roles decide over HTTP as they do for the CLI: an officer cannot approve, an
/// approver cannot approve what they submitted (four eyes), an auditor cannot write at all.
/// Each refusal is a 403 problem, and nothing is recorded.
@Suite(.enabled(if: TestDatabase.enabled))
struct RoleRefusalTests {
    /// `People.prepare`, then: A-1 approved (10,000,000 ₫) and paid P-1 (4,000,000 ₫); a budget for
    /// the loan programme; worker W-1 with loan LOAN-1 disbursed on L-A-1; L-A-3 submitted, L-A-4 approved.
    static func prepare(_ db: FreshDatabase) async throws {
        try await People.prepare(db)
        let approver = try await TestDatabase.loginRole("web", memberOf: ["ledger_approver"])
        let officerSteps: [[String]] = [
            ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000", "--paid-on", "2024-03-15",
             "--method", "bank", "--voucher", "PC-001"],
            ["budget", "allocate", "--program", "NQ11-OVERSEAS-LOAN", "--year", "2024", "--district", "Ninh Kiều", "--amount", "500000000",
             "--reference", "QĐ 3"],
            ["beneficiary", "register", "--id", "W-1", "--kind", "person", "--name", "Trần Thị C", "--district", "Ninh Kiều",
             "--category", "rural-worker"],
        ] + ["L-A-1", "L-A-3", "L-A-4"].map { id in
            ["application", "submit", "--id", id, "--beneficiary", "W-1", "--program", "NQ11-OVERSEAS-LOAN",
             "--amount", id == "L-A-1" ? "60000000" : "10000000", "--submitted-on", "2024-03-01"]
        }
        try await People.ledger(db, ["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9",
                                     "--decided-on", "2024-03-10"], user: approver)
        for step in officerSteps { try await People.ledger(db, step) }
        for (id, amount) in [("L-A-1", "60000000"), ("L-A-4", "10000000")] {
            try await People.ledger(db, ["application", "approve", "--id", id, "--amount", amount, "--decision", "QĐ 12",
                                         "--decided-on", "2024-03-05"], user: approver)
        }
        try await People.ledger(db, ["loan", "disburse", "--application", "L-A-1", "--loan-id", "LOAN-1", "--principal", "60000000",
                                     "--disbursed-on", "2024-04-01", "--term-months", "12"])
    }

    static func events(_ db: FreshDatabase, _ type: String, stream: String) async throws -> Int64 {
        let connection = try await db.connect()
        defer { Task { await connection.close() } }
        return try await connection.queryOne(
            "SELECT count(*) FROM ledger.events WHERE event_type = $1 AND stream_id = $2", [type, stream]
        ) { try $0.int64(0) }
    }

    @Test func anOfficersApprovalIsRefusedByTheDatabasesRoles() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            let before = try await People.head(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let answer = try await service.request("POST", "/api/v1/applications/A-1/approval", json: [
                    "amount_vnd": 10_000_000, "decision": "QĐ 9", "decided_on": "2024-03-10",
                ], token: token)
                #expect(answer.status == 403, "\(answer)")
                #expect(answer.headers["content-type"] == "application/problem+json", "\(answer)")
                #expect(answer.json["code"] as? String == "permission_denied", "\(answer)")
                // The same refusal for a rejection.
                let rejection = try await service.request("POST", "/api/v1/applications/A-1/rejection", json: ["reason": "no"], token: token)
                #expect(rejection.status == 403 && rejection.json["code"] as? String == "permission_denied", "\(rejection)")
            }
            #expect(try await People.head(db) == before)
            #expect(try await Self.events(db, "ApplicationApproved", stream: "application-A-1") == 0)
        }
    }

    @Test func anApproverCannotApproveWhatTheySubmitted() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            // One person in both groups: they may submit and approve, never both on one application.
            let both = try await People.add(db, role: "approver", label: "both")
            let admin = try await db.connect()
            try await admin.simpleQuery("GRANT ledger_officer TO \(both.user)")
            await admin.close()
            let other = try await People.add(db, role: "approver", label: "other")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(both.user, both.password)
                let registered = try await service.request("POST", "/api/v1/beneficiaries", json: [
                    "beneficiary_id": "HH-5", "kind": "household", "name": "Phạm Văn E", "unit": "Ninh Kiều", "categories": ["poor"],
                    "registered_on": "2024-02-01",
                ], token: token)
                #expect(registered.status == 201, "\(registered)")
                let submitted = try await service.request("POST", "/api/v1/applications", json: [
                    "application_id": "A-5", "beneficiary_id": "HH-5", "program": "NQ12-HOUSING", "amount_vnd": 5_000_000,
                    "submitted_on": "2024-03-01",
                ], token: token)
                #expect(submitted.status == 201, "\(submitted)")
                let before = try await People.head(db)
                let own = try await service.request("POST", "/api/v1/applications/A-5/approval", json: [
                    "amount_vnd": 5_000_000, "decision": "QĐ 20", "decided_on": "2024-03-10",
                ], token: token)
                #expect(own.status == 403, "\(own)")
                #expect(own.json["code"] as? String == "four_eyes", "\(own)")
                #expect(try await People.head(db) == before)
                #expect(try await Self.events(db, "ApplicationApproved", stream: "application-A-5") == 0)

                // Another approver may.
                let otherToken = try await service.signIn(other.user, other.password)
                let approved = try await service.request("POST", "/api/v1/applications/A-5/approval", json: [
                    "amount_vnd": 5_000_000, "decision": "QĐ 20", "decided_on": "2024-03-10",
                ], token: otherToken)
                #expect(approved.status == 200, "\(approved)")
            }
        }
    }

    @Test func anAuditorWritesNothing() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepare(db)
            let auditor = try await People.add(db, role: "auditor")
            // A catalog with a programme the ledger does not have yet: a real write, not a repeat.
            var catalog = try #require(try JSONSerialization.jsonObject(with: Data(try await People.ledger(db, ["program", "sample"]).stdout.utf8))
                as? [String: Any])
            var programs = try #require(catalog["programs"] as? [[String: Any]])
            var extra = programs[programs.count - 1]
            extra["code"] = "TEST-NEW"
            programs.append(extra)
            catalog["programs"] = programs
            let catalogData = try JSONSerialization.data(withJSONObject: catalog)
            let csv = Data("payment_id,application_id,amount_vnd,paid_on,method,voucher\nP-9,A-1,1000000,2024-03-20,bank,PC-009\n".utf8)

            let writes: [(path: String, json: [String: Any]?, body: Data?, type: String?)] = [
                ("/api/v1/beneficiaries", ["beneficiary_id": "HH-9", "kind": "household", "name": "X", "unit": "Ninh Kiều", "categories": ["poor"]], nil, nil),
                ("/api/v1/beneficiaries/HH-1/amendments", ["reason": "typo", "name": "Nguyễn Văn Z"], nil, nil),
                ("/api/v1/applications", ["application_id": "L-A-9", "beneficiary_id": "W-1", "program": "NQ11-OVERSEAS-LOAN",
                                          "amount_vnd": 1_000_000, "submitted_on": "2024-03-01"], nil, nil),
                ("/api/v1/applications/L-A-3/approval", ["amount_vnd": 10_000_000, "decision": "QĐ 1", "decided_on": "2024-03-10"], nil, nil),
                ("/api/v1/applications/L-A-3/rejection", ["reason": "no", "decided_on": "2024-03-10"], nil, nil),
                ("/api/v1/applications/L-A-3/withdrawal", ["reason": "moved", "withdrawn_on": "2024-03-10"], nil, nil),
                ("/api/v1/applications/A-1/closure", ["closed_on": "2024-06-30"], nil, nil),
                ("/api/v1/payments", ["application_id": "A-1", "payment_id": "P-2", "amount_vnd": 1_000_000, "paid_on": "2024-03-20",
                                      "method": "bank", "voucher": "PC-002"], nil, nil),
                ("/api/v1/payments/P-1/reversal", ["reason": "wrong account", "reversed_on": "2024-03-16"], nil, nil),
                ("/api/v1/loans", ["application_id": "L-A-4", "loan_id": "LOAN-4", "principal_vnd": 10_000_000, "disbursed_on": "2024-04-01",
                                   "term_months": 12], nil, nil),
                ("/api/v1/loans/LOAN-1/repayments", ["repayment_id": "R-1", "amount_vnd": 1_000_000, "paid_on": "2024-07-01"], nil, nil),
                ("/api/v1/loans/LOAN-1/write-off", ["reason": "gone", "written_off_on": "2024-12-01"], nil, nil),
                ("/api/v1/budgets", ["program": "NQ12-HOUSING", "year": 2024, "unit": "Ninh Kiều", "amount_vnd": 1_000_000, "reference": "QĐ 5"], nil, nil),
                ("/api/v1/budgets/adjustments", ["program": "NQ12-HOUSING", "year": 2024, "unit": "Ninh Kiều", "amount_vnd": -1_000_000,
                                                 "reference": "QĐ 6"], nil, nil),
                ("/api/v1/programs", nil, catalogData, "application/json"),
                ("/api/v1/payment-imports", nil, csv, "text/csv"),
            ]
            let before = try await People.head(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(auditor.user, auditor.password)
                for write in writes {
                    let answer = try await service.request(
                        "POST", write.path, json: write.json, body: write.body, token: token,
                        headers: write.type.map { ["Content-Type": $0] } ?? [:]
                    )
                    #expect(answer.status == 403, "\(write.path): \(answer)")
                    #expect(answer.json["code"] as? String == "permission_denied", "\(write.path): \(answer)")
                }
            }
            #expect(try await People.head(db) == before)
        }
    }
}
