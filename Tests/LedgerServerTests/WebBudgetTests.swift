import Foundation
import Ledger
@testable import LedgerServer
import TestSupport
import Testing

/// The budget and loans pages through the running `ledger serve`: the same figures as the
/// reports' JSON, formatted for people; the chart drawn by the server.
@Suite(.enabled(if: TestDatabase.enabled))
struct WebBudgetTests {
    @Test func theBudgetPageShowsTheReportsFiguresAndAChart() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            try await ReadFixture.catchUp(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let cookies = try await WebQueueTests.signIn(client, officer)
                let token = try await service.signIn(officer.user, officer.password)
                let vi = LocaleFormatter(.vi)
                for (page, api) in [("/budget", "/api/v1/reports/budget"),
                                    ("/budget?as_of=20%2F03%2F2024", "/api/v1/reports/budget?as_of=2024-03-20"),
                                    ("/budget?program=NQ12-HOUSING&year=2024&unit=ninh+kieu", "/api/v1/reports/budget?program=NQ12-HOUSING&year=2024&unit=ninh%20kieu")] {
                    let html = try await client.get(page, cookies: cookies)
                    #expect(html.status == 200, "\(page): \(html)")
                    let report = try await service.request("GET", api, token: token)
                    let budgets = (report.json["budgets"] as? [[String: Any]]) ?? []
                    #expect(budgets.count == 1, "\(report)")
                    for budget in budgets {
                        let cells = ["allocated_vnd", "reserved_vnd", "paid_vnd", "released_vnd", "available_vnd"].map { key in
                            #"<td class="amount">\#(vi.amount(VND(Int64(budget[key] as? Int ?? -1))))</td>"#
                        }.joined()
                        #expect(html.text.contains(#"<tr><th scope="row">NQ12-HOUSING</th><td>2024</td><td>Ninh Kiều</td>\#(cells)</tr>"#), "\(page): \(html)")
                    }
                    #expect(html.text.contains(#"<svg class="chart" role="img""#), "\(html)")
                    #expect(html.text.contains(#"<title id="budget-chart-title">\#(WebCatalog.text(.budgetChartTitle, in: .vi))</title>"#), "\(html)")
                }
                let now = try await client.get("/budget", cookies: cookies)
                #expect(now.text.contains("phân bổ 100.000.000 ₫, đã chi 6.000.000 ₫"), "the chart's labels: \(now)")
                #expect(now.text.contains(#"<a href="/budget" aria-current="page">Ngân sách</a>"#), "\(now)")
                let march = try await client.get("/budget?as_of=2024-03-20", cookies: cookies)
                #expect(march.text.contains("Số liệu tính đến ngày 20/03/2024."), "\(march)")
                #expect(march.text.contains(#"value="2024-03-20""#), "the filter is kept: \(march)")

                let none = try await client.get("/budget?year=2025", cookies: cookies)
                #expect(none.status == 200 && none.text.contains(WebCatalog.text(.budgetEmpty, in: .vi)) && !none.text.contains("<svg"), "\(none)")
                let bad = try await client.get("/budget?year=abc&as_of=yesterday&unit=Atlantis", cookies: cookies)
                #expect(bad.status == 400, "\(bad)")
                #expect(bad.text.contains(#"<p class="field-error" id="year-error">\#(WebCatalog.text(.budgetYearInvalid, in: .vi))</p>"#), "\(bad)")
                #expect(bad.text.contains(#"<p class="field-error" id="as_of-error">"#) && bad.text.contains(#"<p class="field-error" id="unit-error">"#), "\(bad)")
                #expect(bad.text.contains(#"value="Atlantis""#), "\(bad)")
            }
        }
    }

    @Test func theLoansPageShowsTheBookAndTheOverdueBucket() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            try await Self.loan(db)
            try await ReadFixture.catchUp(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let cookies = try await WebQueueTests.signIn(client, officer)
                let token = try await service.signIn(officer.user, officer.password)
                let report = try await service.request("GET", "/api/v1/reports/loans?as_of=2025-06-30", token: token)
                let loan = try #require(((report.json["loans"] as? [[String: Any]]) ?? []).first, "\(report)")
                let bucket = try #require(loan["arrears_bucket"] as? String)
                let days = try #require(loan["days_past_due"] as? Int)

                let page = try await client.get("/loans?as_of=30%2F06%2F2025", cookies: cookies)
                #expect(page.status == 200, "\(page)")
                #expect(page.text.contains("Khoản vay tính đến ngày 30/06/2025."), "\(page)")
                let vi = LocaleFormatter(.vi)
                // The bucket's summary: one loan, 50,000,000 ₫ overdue.
                #expect(page.text.contains(#"<tr><th scope="row">\#(vi.label(bucket))</th><td class="amount">1</td><td class="amount">50.000.000 ₫</td>"#), "\(page)")
                #expect(page.text.contains(#"<td class="amount">\#(days)</td><td>\#(vi.label(bucket))</td></tr>"#), "\(page)")
                #expect(page.text.contains(#"<table class="overdue">"#), "\(page)")

                let before = try await client.get("/loans?as_of=2024-05-01", cookies: cookies)
                #expect(before.text.contains(WebCatalog.text(.loansNoneOverdue, in: .vi)), "\(before)")
                #expect(before.text.contains(#"<th scope="row">L-1</th>"#), "in the book: \(before)")
                let bad = try await client.get("/loans?as_of=32/01/2025", cookies: cookies)
                #expect(bad.status == 400 && bad.text.contains(#"<p class="field-error" id="as_of-error">"#), "\(bad)")
            }
        }
    }

    /// Loan L-1: 50,000,000 ₫ of NQ11-OVERSEAS-LOAN to P-1, disbursed on 2024-04-01 for 12 months
    /// (after `People.prepare`); nothing repaid, so past due after 2025-04-01.
    static func loan(_ db: FreshDatabase) async throws {
        let approver = try await TestDatabase.loginRole("webloans", memberOf: ["ledger_approver"])
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
    }
}
