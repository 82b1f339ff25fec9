import Foundation
@testable import LedgerServer
import Postgres
import TestSupport
import Testing

/// What the read routes read: `People.prepare`, then A-1 approved for 10,000,000 ₫ on 2024-03-10
/// and paid twice through the CLI: P-1 4,000,000 ₫ by bank on 2024-03-15 and P-2 2,000,000 ₫ in
/// cash on 2024-04-20.
enum ReadFixture {
    static func paidLedger(_ db: FreshDatabase) async throws {
        try await People.prepare(db)
        let approver = try await TestDatabase.loginRole("reads", memberOf: ["ledger_approver"])
        try await People.ledger(db, ["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9",
                                     "--decided-on", "2024-03-10"], user: approver)
        try await People.ledger(db, ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000",
                                     "--paid-on", "2024-03-15", "--method", "bank", "--voucher", "PC-001"])
        try await People.ledger(db, ["payment", "record", "--application", "A-1", "--payment-id", "P-2", "--amount", "2000000",
                                     "--paid-on", "2024-04-20", "--method", "cash", "--voucher", "PC-002"])
    }

    static func catchUp(_ db: FreshDatabase) async throws {
        try await People.ledger(db, ["projections", "run"])
    }

    /// Runs `ledger` as a person who signs in with a password.
    static func ledger(_ db: FreshDatabase, _ arguments: [String], as person: (user: String, password: String)) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: db.environment(user: person.user).merging(["PGPASSWORD": person.password]) { $1 })
    }

    static func grant(_ db: FreshDatabase, _ group: String, to user: String) async throws {
        let admin = try await db.connect()
        try await admin.simpleQuery("GRANT \(group) TO \(user)")
        await admin.close()
    }
}

extension HTTPResult {
    var rows: [[String: Any]] { (json["rows"] as? [[String: Any]]) ?? [] }
    var warnings: [String] { (json["warnings"] as? [String]) ?? [] }
    var problemField: String? { json["field"] as? String }
}

/// Lists and shows over HTTP, as the signed-in person's own role.
@Suite(.enabled(if: TestDatabase.enabled))
struct ReadRouteTests {
    @Test func theApproversQueueSaysWhoMayDecideAndWhatBudgetIsLeft() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let approver = try await People.add(db, role: "approver")
            let officer = try await People.add(db, role: "officer")
            // The approver also submits (as an officer): four eyes keeps them from deciding their own.
            try await ReadFixture.grant(db, "ledger_officer", to: approver.user)
            let submitted = try await ReadFixture.ledger(db, [
                "application", "submit", "--id", "A-2", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "5000000",
                "--submitted-on", "2024-03-02",
            ], as: approver)
            #expect(submitted.status == 0, "\(submitted)")
            try await RunningService.with(db) { service in
                let approverToken = try await service.signIn(approver.user, approver.password)

                // Before the projections ran, the list says the read models are behind the log.
                let behind = try await service.request("GET", "/api/v1/applications?status=submitted", token: approverToken)
                #expect(behind.status == 200, "\(behind)")
                #expect(!((behind.json["read_models_behind"] as? [Any]) ?? []).isEmpty, "\(behind)")
                #expect(behind.warnings.contains { $0.contains("behind the log") }, "\(behind)")

                try await ReadFixture.catchUp(db)
                let queue = try await service.request("GET", "/api/v1/applications?status=submitted&program=NQ12-HOUSING&year=2024&unit=ninh%20kieu",
                                                      token: approverToken)
                #expect(queue.status == 200, "\(queue)")
                #expect(queue.rows.map { $0["application_id"] as? String } == ["A-1", "A-2"], "\(queue)")
                #expect(queue.json["matching"] as? Int == 2 && queue.json["more_rows"] as? Bool == false, "\(queue)")
                #expect(((queue.json["read_models_behind"] as? [Any]) ?? [1]).isEmpty, "\(queue)")
                let a1 = try #require(queue.rows.first), a2 = try #require(queue.rows.last)
                #expect(a1["you_may_decide"] as? Bool == true, "\(a1)")
                #expect(a1["budget_available_vnd"] as? Int == 100_000_000, "\(a1)")
                #expect(a1["requested_vnd"] as? Int == 10_000_000, "\(a1)")
                #expect(a2["you_may_decide"] as? Bool == false, "\(a2)")
                #expect((a2["why_not"] as? String)?.contains("four eyes") == true, "\(a2)")
                #expect(a2["submitted_by"] as? String == approver.user, "\(a2)")

                // An officer sees the same queue, and may decide none of it.
                let officerToken = try await service.signIn(officer.user, officer.password)
                let seen = try await service.request("GET", "/api/v1/applications?status=submitted", token: officerToken)
                #expect(seen.status == 200, "\(seen)")
                #expect(seen.rows.count == 2 && seen.rows.allSatisfy { $0["you_may_decide"] as? Bool == false }, "\(seen)")
                #expect((seen.rows.first?["why_not"] as? String)?.contains("not an approver") == true, "\(seen)")

                // Rows cut by the limit: said in the JSON.
                let cut = try await service.request("GET", "/api/v1/applications?limit=1", token: approverToken)
                #expect(cut.rows.count == 1 && cut.json["more_rows"] as? Bool == true && cut.json["matching"] as? Int == 2, "\(cut)")
                #expect(cut.json["limit"] as? Int == 1 && cut.warnings.contains { $0.contains("showing 1 of 2") }, "\(cut)")

                // Filters that match nothing, and mine only.
                let mine = try await service.request("GET", "/api/v1/applications?submitted_by=\(approver.user)", token: approverToken)
                #expect(mine.rows.map { $0["application_id"] as? String } == ["A-2"], "\(mine)")
                let approved = try await service.request("GET", "/api/v1/applications?status=approved", token: approverToken)
                #expect(approved.status == 200 && approved.rows.isEmpty, "\(approved)")

                // Bad values and unknown parameters: 400 naming the parameter.
                for (query, field) in [
                    ("status=pending", "status"), ("year=1999", "year"), ("year=twenty", "year"), ("limit=0", "limit"),
                    ("limit=100001", "limit"), ("beneficiary_id=a%20b", "beneficiary_id"), ("colour=red", "colour"),
                    ("unit=Atlantis", "unit"), ("district=Atlantis", "district"), ("unit=ninh%20kieu&district=ninh%20kieu", "unit"),
                    ("status=submitted&status=approved", "status"), ("submitted_by=a%00b", "submitted_by"), ("program=%FF", "program"),
                ] {
                    let bad = try await service.request("GET", "/api/v1/applications?\(query)", token: approverToken)
                    #expect(bad.status == 400, "\(query): \(bad)")
                    #expect(bad.headers["content-type"] == "application/problem+json", "\(query): \(bad)")
                    #expect(bad.problemField == field, "\(query): \(bad)")
                }
            }
        }
    }

    @Test func anApplicationShowsItsStepsAndAnUnknownOneIs404() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let officer = try await People.add(db, role: "officer")
            try await ReadFixture.catchUp(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let shown = try await service.request("GET", "/api/v1/applications/A-1", token: token)
                #expect(shown.status == 200, "\(shown)")
                let application = try #require(shown.json["application"] as? [String: Any], "\(shown)")
                #expect(application["status"] as? String == "approved", "\(shown)")
                #expect(application["approved_vnd"] as? Int == 10_000_000 && application["paid_vnd"] as? Int == 6_000_000, "\(shown)")
                #expect(application["remaining_payable_vnd"] as? Int == 4_000_000, "\(shown)")
                #expect(application["budget_available_vnd"] as? Int == 90_000_000, "\(shown)")
                #expect(shown.json["decision_reference"] as? String == "QĐ 9", "\(shown)")
                let steps = (shown.json["steps"] as? [[String: Any]]) ?? []
                #expect(steps.compactMap { $0["step"] as? String }.count == steps.count && steps.count >= 4, "\(shown)")
                #expect(steps.contains { $0["amount_vnd"] as? Int == 4_000_000 && $0["business_date"] as? String == "2024-03-15" }, "\(shown)")
                #expect(shown.warnings.isEmpty, "\(shown)")

                let unknown = try await service.request("GET", "/api/v1/applications/A-404", token: token)
                #expect(unknown.status == 404, "\(unknown)")
                #expect(unknown.headers["content-type"] == "application/problem+json", "\(unknown)")
                let malformed = try await service.request("GET", "/api/v1/applications/A%201", token: token)
                #expect(malformed.status == 400 && malformed.problemField == "id", "\(malformed)")
                let extra = try await service.request("GET", "/api/v1/applications/A-1?format=csv", token: token)
                #expect(extra.status == 400 && extra.problemField == "format", "\(extra)")
            }
        }
    }

    @Test func beneficiariesAreFoundByNameNationalIDAndUnit() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            try await withScratchFolder { folder in
                let key = folder.appendingPathComponent("national-id.key")
                try Data("read-route-tests-national-id-key-forty-bytes".utf8).write(to: key)
                try await People.ledger(db, ["national-id", "key", "set", "--key-file", key.path])
            }
            try await People.ledger(db, ["beneficiary", "register", "--id", "P-7", "--kind", "person", "--name", "Trần Thị Lan",
                                         "--district", "ninh kieu", "--national-id", "079123456789"])
            try await ReadFixture.catchUp(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let byName = try await service.request("GET", "/api/v1/beneficiaries?name=nguyen%20van", token: token)
                #expect(byName.status == 200, "\(byName)")
                #expect(byName.rows.map { $0["beneficiary_id"] as? String } == ["HH-1"], "\(byName)")
                #expect(byName.rows.first?["name"] as? String == "Nguyễn Văn A", "\(byName)")
                #expect(byName.rows.first?["national_id_on_record"] as? Bool == false, "\(byName)")

                let byID = try await service.request("GET", "/api/v1/beneficiaries?national_id=079123456789", token: token)
                #expect(byID.rows.map { $0["beneficiary_id"] as? String } == ["P-7"], "\(byID)")
                #expect(!byID.text.contains("079123456789"), "the national id is never shown: \(byID)")
                // The same search with the national id in a body rather than the URL.
                let posted = try await service.request("POST", "/api/v1/beneficiaries/search", json: ["national_id": "079123456789"], token: token)
                #expect(posted.status == 200 && posted.rows.map { $0["beneficiary_id"] as? String } == ["P-7"], "\(posted)")
                let postedBad = try await service.request("POST", "/api/v1/beneficiaries/search", json: ["nationality": "VN"], token: token)
                #expect(postedBad.status == 400 && postedBad.problemField == "nationality", "\(postedBad)")
                let postedLimit = try await service.request("POST", "/api/v1/beneficiaries/search", json: ["limit": 0], token: token)
                #expect(postedLimit.status == 400 && postedLimit.problemField == "limit", "\(postedLimit)")
                #expect(!service.log.contains("079123456789"), "never a national id in the log")
                let byUnit = try await service.request("GET", "/api/v1/beneficiaries?unit=Ninh+Ki%E1%BB%81u", token: token)
                #expect(byUnit.rows.count == 2, "\(byUnit)")

                let shown = try await service.request("GET", "/api/v1/beneficiaries/HH-1", token: token)
                #expect(shown.status == 200, "\(shown)")
                #expect((shown.json["beneficiary"] as? [String: Any])?["bank_account"] as? String == "Agribank 123", "\(shown)")
                let applications = (shown.json["applications"] as? [[String: Any]]) ?? []
                #expect(applications.map { $0["application_id"] as? String } == ["A-1"], "\(shown)")

                let unknown = try await service.request("GET", "/api/v1/beneficiaries/NOBODY", token: token)
                #expect(unknown.status == 404, "\(unknown)")
                for (query, field) in [("national_id=12345", "national_id"), ("name=%21%21", "name"), ("limit=x", "limit"), ("kind=person", "kind")] {
                    let bad = try await service.request("GET", "/api/v1/beneficiaries?\(query)", token: token)
                    #expect(bad.status == 400 && bad.problemField == field, "\(query): \(bad)")
                }
            }
        }
    }

    @Test func paymentsAreListedByDateAndMethodAndShownOneByOne() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            try await ReadFixture.catchUp(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let all = try await service.request("GET", "/api/v1/payments?application_id=A-1", token: token)
                #expect(all.status == 200, "\(all)")
                #expect(all.rows.map { $0["payment_id"] as? String } == ["P-1", "P-2"], "\(all)")
                #expect(all.rows.map { $0["amount_vnd"] as? Int } == [4_000_000, 2_000_000], "\(all)")
                let april = try await service.request("GET", "/api/v1/payments?paid_from=2024-04-01&paid_to=2024-04-30", token: token)
                #expect(april.rows.map { $0["payment_id"] as? String } == ["P-2"], "\(april)")
                let bank = try await service.request("GET", "/api/v1/payments?method=bank&beneficiary_id=HH-1", token: token)
                #expect(bank.rows.map { $0["payment_id"] as? String } == ["P-1"], "\(bank)")

                let one = try await service.request("GET", "/api/v1/payments/P-1", token: token)
                #expect(one.status == 200, "\(one)")
                let payment = try #require(one.json["payment"] as? [String: Any], "\(one)")
                #expect(payment["amount_vnd"] as? Int == 4_000_000 && payment["paid_on"] as? String == "2024-03-15", "\(one)")
                #expect(payment["voucher"] as? String == "PC-001" && payment["method"] as? String == "bank", "\(one)")
                #expect(payment["reversed_on"] == nil, "\(one)")

                let unknown = try await service.request("GET", "/api/v1/payments/P-404", token: token)
                #expect(unknown.status == 404 && unknown.problemField == "id", "\(unknown)")
                for (query, field) in [
                    ("paid_from=2024-02-30", "paid_from"), ("paid_to=2024-13-01", "paid_to"), ("method=card", "method"),
                    ("paid_from=2024-05-01&paid_to=2024-04-01", "paid_to"), ("amount=1", "amount"),
                ] {
                    let bad = try await service.request("GET", "/api/v1/payments?\(query)", token: token)
                    #expect(bad.status == 400 && bad.problemField == field, "\(query): \(bad)")
                }
            }
        }
    }

    @Test func usersAndProjectionsAreListed() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let officer = try await People.add(db, role: "officer")
            let auditor = try await People.add(db, role: "auditor")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(auditor.user, auditor.password)
                // Login roles are the cluster's, shared by every test running at once: ask for
                // them all, not the first page of 100.
                let users = try await service.request("GET", "/api/v1/users?limit=100000", token: token)
                #expect(users.status == 200, "\(users)")
                let found = users.rows.first { $0["name"] as? String == officer.user }
                #expect(found?["roles"] as? [String] == ["officer"] && found?["may_log_in"] as? Bool == true, "\(users)")
                #expect(users.rows.contains { $0["name"] as? String == auditor.user }, "\(users)")

                let head = try await People.head(db)
                let before = try await service.request("GET", "/api/v1/projections", token: token)
                #expect(before.status == 200, "\(before)")
                let payments = try #require(before.array.first { $0["projection"] as? String == "payments" }, "\(before)")
                #expect(payments["head_position"] as? Int == Int(head) && (payments["lag_events"] as? Int ?? 0) > 0, "\(before)")
                try await ReadFixture.catchUp(db)
                let after = try await service.request("GET", "/api/v1/projections", token: token)
                #expect(!after.array.isEmpty && after.array.allSatisfy { $0["lag_events"] as? Int == 0 }, "\(after)")
                let bad = try await service.request("GET", "/api/v1/projections?verbose=1", token: token)
                #expect(bad.status == 400 && bad.problemField == "verbose", "\(bad)")
            }
        }
    }

    @Test func aRoleOutsideTheLedgersGroupsReadsNothing() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            try await ReadFixture.catchUp(db)
            // A login role with a password and no ledger group: the database's grants refuse it every read.
            let name = TestDatabase.uniqueName("web_nobody").lowercased()
            let password = "pw-\(UUID().uuidString)"
            let admin = try await db.connect()
            try await People.ensurePasswordGroup(admin)
            try await admin.simpleQuery("""
                CREATE ROLE \(name) LOGIN PASSWORD '\(password)';
                GRANT signin_password_required TO \(name);
                """)
            await admin.close()
            try await RunningService.with(db) { service in
                let token = try await service.signIn(name, password)
                for path in [
                    "/api/v1/applications", "/api/v1/applications/A-1", "/api/v1/beneficiaries", "/api/v1/beneficiaries/HH-1",
                    "/api/v1/payments", "/api/v1/payments/P-1", "/api/v1/reports/budget", "/api/v1/reports/budget?as_of=2024-03-20",
                    "/api/v1/reports/beneficiaries/HH-1", "/api/v1/reports/loans", "/api/v1/audit/verify", "/api/v1/audit/digest",
                    "/api/v1/projections",
                ] {
                    let refused = try await service.request("GET", path, token: token)
                    #expect(refused.status == 403, "\(path): \(refused)")
                    #expect(refused.json["code"] as? String == "permission_denied", "\(path): \(refused)")
                    #expect(!refused.text.contains("Nguyễn") && !refused.text.contains("PC-001"), "\(path): \(refused)")
                }
            }
        }
    }

    @Test func everyReadNeedsASession() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            try await RunningService.with(db) { service in
                for path in [
                    "/api/v1/applications", "/api/v1/applications/A-1", "/api/v1/beneficiaries", "/api/v1/beneficiaries/HH-1",
                    "/api/v1/payments", "/api/v1/payments/P-1", "/api/v1/users", "/api/v1/projections", "/api/v1/reports/budget",
                    "/api/v1/reports/beneficiaries/HH-1", "/api/v1/reports/loans", "/api/v1/audit/verify", "/api/v1/audit/digest",
                ] {
                    let anonymous = try await service.request("GET", path)
                    #expect(anonymous.status == 401, "\(path): \(anonymous)")
                    #expect(anonymous.json["code"] as? String == "not_signed_in", "\(path): \(anonymous)")
                    let forged = try await service.request("GET", path, token: String(repeating: "ab", count: 32))
                    #expect(forged.status == 401, "\(path): \(forged)")
                }
            }
        }
    }
}

/// Query strings as the read routes take them apart (no database).
struct QueryParameterTests {
    @Test func valuesAreDecodedAndBadOnesNamed() throws {
        let query = try QueryParameters.parse("name=Nguy%E1%BB%85n+V%C4%83n&limit=5&status=&as_of=2024-03-01", allowed: ["name", "limit", "status", "as_of"])
        #expect(try query.string("name") == "Nguyễn Văn")
        #expect(try query.limit() == 5)
        #expect(try query.string("status") == nil, "an empty value is not given")
        #expect(try query.date("as_of")?.description == "2024-03-01")
        #expect(try QueryParameters.parse("", allowed: []).limit() == 100)

        func field(_ body: () throws -> Any?) -> String? {
            do { _ = try body(); return nil } catch let problem as Problem { return problem.field } catch { return "?" }
        }
        #expect(field { try QueryParameters.parse("colour=red", allowed: ["name"]) } == "colour")
        #expect(field { try QueryParameters.parse("name=a&name=b", allowed: ["name"]) } == "name")
        #expect(field { try QueryParameters.parse("as_of=2024-13-01", allowed: ["as_of"]).date("as_of") } == "as_of")
        #expect(field { try QueryParameters.parse("overdue=maybe", allowed: ["overdue"]).bool("overdue") } == "overdue")
        #expect(field { try QueryParameters.parse("unit=a&district=b", allowed: ["unit", "district"]).unit() } == "unit")
        #expect(field { try QueryParameters.parse("name=%E1%BB", allowed: ["name"]) } == "name")
    }
}
