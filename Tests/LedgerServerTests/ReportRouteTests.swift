import Foundation
import Postgres
import TestSupport
import Testing

/// The budget, beneficiary and loan reports over HTTP, with `as_of`.
@Suite(.enabled(if: TestDatabase.enabled))
struct ReportRouteTests {
    static func figures(_ object: Any?) -> [String: Int] {
        ((object as? [String: Any]) ?? [:]).compactMapValues { $0 as? Int }
    }

    @Test func theBudgetReportShowsReservedAndPaidAndHonoursAsOf() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                // The read model before the projections ran: behind, and said so.
                let stale = try await service.request("GET", "/api/v1/reports/budget", token: token)
                #expect(stale.status == 200, "\(stale)")
                let lag = (stale.json["read_models_behind"] as? [[String: Any]]) ?? []
                #expect(lag.first?["projection"] as? String == "budget_usage" && (lag.first?["events"] as? Int ?? 0) > 0, "\(stale)")
                #expect(stale.warnings.contains { $0.contains("behind the log") }, "\(stale)")

                try await ReadFixture.catchUp(db)
                let report = try await service.request("GET", "/api/v1/reports/budget?program=NQ12-HOUSING&year=2024&unit=Ninh%20Kieu", token: token)
                #expect(report.status == 200, "\(report)")
                let total = Self.figures(report.json["total"])
                #expect(total["allocated_vnd"] == 100_000_000 && total["reserved_vnd"] == 10_000_000, "\(report)")
                #expect(total["paid_vnd"] == 6_000_000 && total["available_vnd"] == 90_000_000, "\(report)")
                let budgets = (report.json["budgets"] as? [[String: Any]]) ?? []
                #expect(budgets.count == 1 && budgets.first?["program"] as? String == "NQ12-HOUSING", "\(report)")
                #expect(budgets.first?["fiscal_year"] as? Int == 2024, "\(report)")
                #expect(((report.json["read_models_behind"] as? [Any]) ?? [1]).isEmpty && report.warnings.isEmpty, "\(report)")
                #expect(report.json["business_date_as_of"] == nil, "\(report)")

                // As of 2024-03-20: P-2 (paid 2024-04-20) is not in it.
                let march = try await service.request("GET", "/api/v1/reports/budget?as_of=2024-03-20", token: token)
                #expect(march.status == 200, "\(march)")
                #expect(march.json["business_date_as_of"] as? String == "2024-03-20", "\(march)")
                let marchTotal = Self.figures(march.json["total"])
                #expect(marchTotal["paid_vnd"] == 4_000_000 && marchTotal["reserved_vnd"] == 10_000_000, "\(march)")
                // Before the approval: nothing reserved yet.
                let early = try await service.request("GET", "/api/v1/reports/budget?as_of=2024-03-05", token: token)
                #expect(Self.figures(early.json["total"])["reserved_vnd"] == 0 && Self.figures(early.json["total"])["paid_vnd"] == 0, "\(early)")

                let otherYear = try await service.request("GET", "/api/v1/reports/budget?year=2025", token: token)
                #expect(otherYear.status == 200 && ((otherYear.json["budgets"] as? [Any]) ?? [1]).isEmpty, "\(otherYear)")
                let successors = try await service.request("GET", "/api/v1/reports/budget?unit=ninh%20kieu&with_successors=true", token: token)
                #expect(successors.status == 200 && successors.json["successions"] is [Any], "\(successors)")

                for (query, field) in [
                    ("as_of=2024-13-01", "as_of"), ("as_of=yesterday", "as_of"), ("year=1999", "year"), ("unit=Atlantis", "unit"),
                    ("with_successors=maybe", "with_successors"), ("program=a%20b", "program"), ("format=csv", "format"),
                ] {
                    let bad = try await service.request("GET", "/api/v1/reports/budget?\(query)", token: token)
                    #expect(bad.status == 400 && bad.problemField == field, "\(query): \(bad)")
                }
            }
        }
    }

    @Test func theStatementShowsTheRunningBalanceAndHonoursAsOf() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let approver = try await People.add(db, role: "approver")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(approver.user, approver.password)
                let statement = try await service.request("GET", "/api/v1/reports/beneficiaries/HH-1", token: token)
                #expect(statement.status == 200, "\(statement)")
                #expect(statement.json["beneficiary_id"] as? String == "HH-1" && statement.json["name"] as? String == "Nguyễn Văn A", "\(statement)")
                let lines = (statement.json["lines"] as? [[String: Any]]) ?? []
                #expect(lines.map { $0["event"] as? String } == ["registered", "submitted", "approved", "payment", "payment"], "\(statement)")
                #expect(lines.map { $0["payable_vnd"] as? Int } == [0, 0, 10_000_000, 6_000_000, 4_000_000], "\(statement)")
                let totals = Self.figures(statement.json["totals"])
                #expect(totals["paid_vnd"] == 6_000_000 && totals["payable_vnd"] == 4_000_000 && totals["approved_vnd"] == 10_000_000, "\(statement)")

                let march = try await service.request("GET", "/api/v1/reports/beneficiaries/HH-1?as_of=2024-03-20", token: token)
                #expect(march.status == 200, "\(march)")
                #expect(march.json["as_of"] as? String == "2024-03-20", "\(march)")
                let marchLines = (march.json["lines"] as? [[String: Any]]) ?? []
                #expect(marchLines.map { $0["payable_vnd"] as? Int } == [0, 0, 10_000_000, 6_000_000], "\(march)")
                #expect(!march.text.contains("PC-002"), "P-2 was paid on 2024-04-20: \(march)")
                #expect(Self.figures(march.json["totals"])["paid_vnd"] == 4_000_000, "\(march)")

                let unknown = try await service.request("GET", "/api/v1/reports/beneficiaries/NOBODY", token: token)
                #expect(unknown.status == 404, "\(unknown)")
                let bad = try await service.request("GET", "/api/v1/reports/beneficiaries/HH-1?as_of=2024-02-30", token: token)
                #expect(bad.status == 400 && bad.problemField == "as_of", "\(bad)")
            }
        }
    }

    @Test func theLoanBookShowsArrearsAsOfADate() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let approver = try await TestDatabase.loginRole("loans", memberOf: ["ledger_approver"])
            for (arguments, user) in [
                (["budget", "allocate", "--program", "NQ11-OVERSEAS-LOAN", "--year", "2024", "--district", "ninh-kieu", "--amount", "500000000",
                  "--reference", "QĐ 2"], nil),
                (["beneficiary", "register", "--id", "P-1", "--kind", "person", "--name", "Trần Thị B", "--district", "ninh-kieu",
                  "--category", "rural-worker"], nil),
                (["application", "submit", "--id", "A-L", "--beneficiary", "P-1", "--program", "NQ11-OVERSEAS-LOAN", "--amount", "100000000",
                  "--submitted-on", "2024-03-01"], nil),
                (["application", "approve", "--id", "A-L", "--amount", "100000000", "--decision", "QĐ 10", "--decided-on", "2024-03-10"], approver),
                (["loan", "disburse", "--application", "A-L", "--loan-id", "L-1", "--principal", "50000000", "--disbursed-on", "2024-04-01",
                  "--term-months", "12"], nil),
            ] as [([String], String?)] {
                try await People.ledger(db, arguments, user: user)
            }
            try await ReadFixture.catchUp(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let june = try await service.request("GET", "/api/v1/reports/loans?as_of=2024-06-30", token: token)
                #expect(june.status == 200, "\(june)")
                #expect(june.json["as_of"] as? String == "2024-06-30", "\(june)")
                let loans = (june.json["loans"] as? [[String: Any]]) ?? []
                #expect(loans.map { $0["loan_id"] as? String } == ["L-1"], "\(june)")
                #expect(loans.first?["outstanding_principal_vnd"] as? Int == 50_000_000, "\(june)")
                #expect((loans.first?["accrued_interest_vnd"] as? Int ?? 0) > 0, "\(june)")
                #expect(Self.figures(june.json["totals"])["loans"] == 1, "\(june)")

                // Before the disbursement: not in the book.
                let march = try await service.request("GET", "/api/v1/reports/loans?as_of=2024-03-31", token: token)
                #expect(((march.json["loans"] as? [Any]) ?? [1]).isEmpty, "\(march)")

                // Past maturity with nothing repaid: overdue, in an arrears bucket.
                let overdue = try await service.request("GET", "/api/v1/reports/loans?as_of=2025-06-30&overdue=true", token: token)
                #expect(overdue.status == 200, "\(overdue)")
                let late = (overdue.json["loans"] as? [[String: Any]]) ?? []
                #expect(late.count == 1 && (late.first?["days_past_due"] as? Int ?? 0) > 0, "\(overdue)")
                #expect(late.first?["overdue_principal_vnd"] as? Int == 50_000_000, "\(overdue)")
                #expect((late.first?["arrears_bucket"] as? String).map { !$0.isEmpty } == true, "\(overdue)")
                #expect(Self.figures(overdue.json["totals"])["loans_past_due"] == 1, "\(overdue)")
                let notYet = try await service.request("GET", "/api/v1/reports/loans?as_of=2024-05-01&overdue=true", token: token)
                #expect(((notYet.json["loans"] as? [Any]) ?? [1]).isEmpty, "\(notYet)")

                let today = try await service.request("GET", "/api/v1/reports/loans", token: token)
                #expect(today.status == 200 && today.json["as_of_source"] as? String == "today", "\(today)")

                for (query, field) in [("as_of=2024-13-01", "as_of"), ("overdue=sometimes", "overdue"), ("loan_id=L-1", "loan_id")] {
                    let bad = try await service.request("GET", "/api/v1/reports/loans?\(query)", token: token)
                    #expect(bad.status == 400 && bad.problemField == field, "\(query): \(bad)")
                }
            }
        }
    }
}
