import Foundation
import Ledger
@testable import LedgerServer
import TestSupport
import Testing

/// The beneficiary's page over HTTP, as a browser without JavaScript uses it: the statement with
/// its balances, the forms to amend, submit and pay (Post/Redirect/Get, one event per form even
/// when posted twice, errors next to their field), and the printable statement.
@Suite(.enabled(if: TestDatabase.enabled))
struct WebBeneficiaryTests {
    /// `People.prepare`, A-1 approved for 10,000,000 ₫ on 2024-03-10.
    static func prepareApproved(_ db: FreshDatabase) async throws {
        try await People.prepare(db)
        let approver = try await TestDatabase.loginRole("web", memberOf: ["ledger_approver"])
        try await People.ledger(db, ["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9",
                                     "--decided-on", "2024-03-10"], user: approver)
        try await People.ledger(db, ["projections", "run"])
    }

    /// The actors of the events of `type`, in log order.
    static func actors(_ db: FreshDatabase, _ type: String) async throws -> [String] {
        let connection = try await db.connect()
        defer { Task { await connection.close() } }
        return try await connection.query(
            "SELECT c.actor FROM ledger.events e JOIN ledger.commands c USING (command_id) WHERE e.event_type = $1 ORDER BY e.position",
            [type]
        ) { try $0.string(0) }
    }

    /// A signed-in browser: its cookie and the page's hidden fields.
    struct Browser {
        let client: WebClient
        let cookie: String

        static func signIn(_ service: RunningService, _ person: (user: String, password: String)) async throws -> Browser {
            let client = WebClient(service)
            let signedIn = try await client.post("/sign-in", form: ["user": person.user, "password": person.password])
            return Browser(client: client, cookie: try #require(signedIn.cookie("ledger_session"), "\(signedIn)"))
        }

        func get(_ path: String) async throws -> WebPage {
            try await client.get(path, cookies: ["ledger_session": cookie])
        }

        /// The hidden fields of the form whose action is `action` on `page`.
        func hidden(_ page: WebPage, _ action: String) throws -> [String: String] {
            let start = try #require(page.text.range(of: #"action="\#(action)""#), "no form posting to \(action): \(page)")
            let rest = page.text[start.upperBound...]
            let form = rest[..<(rest.range(of: "</form>")?.lowerBound ?? rest.endIndex)]
            var fields: [String: String] = [:]
            for match in form.matches(of: /<input type="hidden" name="([a-z_]+)" value="([^"]*)">/) {
                fields[String(match.1)] = String(match.2)
            }
            return fields
        }

        func post(_ path: String, _ form: [String: String]) async throws -> WebPage {
            try await client.post(path, form: form, cookies: ["ledger_session": cookie])
        }
    }

    @Test func thePageShowsTheApplicationsAndTheStatementWithVietnameseAmountsAndDates() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepareApproved(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let browser = try await Browser.signIn(service, officer)
                let page = try await browser.get("/beneficiaries/HH-1")
                #expect(page.status == 200, "\(page)")
                #expect(page.text.contains(#"<th scope="row">A-1</th><td>NQ12-HOUSING</td><td>2024</td>"#), "\(page)")
                #expect(page.text.contains("<caption>"), "tables have captions")
                // The statement: submitted on 01/03/2024, approved on 10/03/2024, payable 10.000.000 ₫.
                #expect(page.text.contains("<td>01/03/2024</td>"), "\(page)")
                #expect(page.text.contains("<td>10/03/2024</td>"), "\(page)")
                #expect(page.text.contains(#"<td class="amount">10.000.000 ₫</td>"#), "\(page)")
                #expect(page.text.contains(#"<h2 id="statement-heading">Sao kê</h2>"#), "\(page)")
                #expect(page.text.contains(#"action="/beneficiaries/HH-1/payments""#), "an officer sees the payment form")
                #expect(page.text.contains(#"<option value="A-1">A-1 (còn phải chi 10.000.000 ₫)</option>"#), "\(page)")
                #expect(page.text.contains(#"href="/beneficiaries/HH-1/statement""#))
            }
        }
    }

    @Test func recordingAPaymentTwiceRecordsItOnceAsTheSignedInOfficer() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepareApproved(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let browser = try await Browser.signIn(service, officer)
                let page = try await browser.get("/beneficiaries/HH-1")
                var form = try browser.hidden(page, "/beneficiaries/HH-1/payments")
                #expect(form["command_id"]?.isEmpty == false, "\(form)")
                form.merge([
                    "application_id": "A-1", "payment_id": "P-1", "amount_vnd": "5.000.000", "paid_on": "15/03/2024",
                    "method": "bank", "voucher": "PC-001",
                ]) { $1 }
                let posted = try await browser.post("/beneficiaries/HH-1/payments", form)
                #expect(posted.status == 303, "\(posted)")
                #expect(posted.headers["location"] == "/beneficiaries/HH-1?done=payments#confirmation", "\(posted)")
                // The back button or a double click: the same form again.
                let again = try await browser.post("/beneficiaries/HH-1/payments", form)
                #expect(again.status == 303, "\(again)")
                #expect(try await Self.actors(db, "PaymentRecorded") == [officer.user])

                let shown = try await browser.get("/beneficiaries/HH-1?done=payments")
                #expect(shown.text.contains(WebCatalog.text(.beneDonePayment, in: .vi)), "\(shown)")
                #expect(shown.text.contains("<td>15/03/2024</td>"), "\(shown)")
                #expect(shown.text.contains(#"<td class="amount">5.000.000 ₫</td>"#), "paid, and still to pay: \(shown)")
                #expect(shown.text.contains(#"<option value="A-1">A-1 (còn phải chi 5.000.000 ₫)</option>"#), "\(shown)")
                #expect(try browser.hidden(shown, "/beneficiaries/HH-1/payments")["command_id"] != form["command_id"], "a new form, a new command id")

                // Back to the sent form, another amount: the command id is spent; nothing more recorded, a new id given.
                form["amount_vnd"] = "1.000.000"
                form["payment_id"] = "P-2"
                let changed = try await browser.post("/beneficiaries/HH-1/payments", form)
                #expect(changed.status == 422, "\(changed)")
                #expect(changed.text.contains(WebCatalog.text(.beneFormAlreadySent, in: .vi)), "\(changed)")
                #expect(changed.text.contains(#"value="P-2""#), "\(changed)")
                let renewed = try browser.hidden(changed, "/beneficiaries/HH-1/payments")
                #expect(renewed["command_id"] != form["command_id"], "\(renewed)")
                #expect(try await Self.actors(db, "PaymentRecorded").count == 1)
                form["command_id"] = renewed["command_id"]
                #expect(try await browser.post("/beneficiaries/HH-1/payments", form).status == 303)
                #expect(try await Self.actors(db, "PaymentRecorded").count == 2)

                let english = try await browser.get("/beneficiaries/HH-1?lang=en")
                #expect(english.text.contains(#"<h2 id="statement-heading">Statement</h2>"#), "\(english)")
                #expect(english.text.contains("Record the payment"), "\(english)")
            }
        }
    }

    @Test func anInvalidAmountOrDateIsShownNextToItsFieldWithTheValuesKept() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepareApproved(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let browser = try await Browser.signIn(service, officer)
                let page = try await browser.get("/beneficiaries/HH-1")
                var form = try browser.hidden(page, "/beneficiaries/HH-1/payments")
                form.merge([
                    "application_id": "A-1", "payment_id": "P-1", "amount_vnd": "5,5", "paid_on": "15/03/2024", "method": "cash",
                    "voucher": "PC-001",
                ]) { $1 }
                let badAmount = try await browser.post("/beneficiaries/HH-1/payments", form)
                #expect(badAmount.status == 422, "\(badAmount)")
                #expect(badAmount.text.contains(#"<p class="field-error" id="payments-amount_vnd-error">"#), "\(badAmount)")
                #expect(badAmount.text.contains(#"id="payments-amount_vnd" name="amount_vnd" type="text" value="5,5""#), "kept: \(badAmount)")
                #expect(badAmount.text.contains(#"value="PC-001""#) && badAmount.text.contains(#"<option value="cash" selected>"#), "\(badAmount)")
                #expect(badAmount.text.contains(#"aria-invalid="true" aria-describedby="payments-amount_vnd-error"#), "\(badAmount)")
                #expect(try browser.hidden(badAmount, "/beneficiaries/HH-1/payments")["command_id"] == form["command_id"], "the same command id")

                form["amount_vnd"] = "5000000"
                form["paid_on"] = "32/13/2024"
                let badDate = try await browser.post("/beneficiaries/HH-1/payments", form)
                #expect(badDate.status == 422, "\(badDate)")
                #expect(badDate.text.contains(#"<p class="field-error" id="payments-paid_on-error">"#), "\(badDate)")
                #expect(badDate.text.contains(#"value="32/13/2024""#), "\(badDate)")
                #expect(!badDate.text.contains(#"id="payments-amount_vnd-error""#))

                // Submitting: an amount with a decimal part.
                var submit = try browser.hidden(page, "/beneficiaries/HH-1/applications")
                submit.merge(["application_id": "A-2", "program": "NQ12-HOUSING", "amount_vnd": "5,5", "submitted_on": "01/04/2024"]) { $1 }
                let badSubmit = try await browser.post("/beneficiaries/HH-1/applications", submit)
                #expect(badSubmit.status == 422, "\(badSubmit)")
                #expect(badSubmit.text.contains(#"<p class="field-error" id="applications-amount_vnd-error">"#), "\(badSubmit)")
                #expect(badSubmit.text.contains(#"value="A-2""#), "\(badSubmit)")
                #expect(try await Self.actors(db, "PaymentRecorded").isEmpty)
                #expect(try await Self.actors(db, "ApplicationSubmitted").count == 1, "only A-1, from the setup")
            }
        }
    }

    @Test func anOfficerAmendsAndSubmitsFromThePage() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepareApproved(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let browser = try await Browser.signIn(service, officer)
                let page = try await browser.get("/beneficiaries/HH-1")
                var amend = try browser.hidden(page, "/beneficiaries/HH-1/amend")
                amend.merge(["reason": "đổi tài khoản", "bank_account": "Vietcombank 999", "amended_on": "02/04/2024"]) { $1 }
                let amended = try await browser.post("/beneficiaries/HH-1/amend", amend)
                #expect(amended.status == 303, "\(amended)")
                #expect(try await browser.post("/beneficiaries/HH-1/amend", amend).status == 303)
                #expect(try await Self.actors(db, "BeneficiaryAmended") == [officer.user])

                var submit = try browser.hidden(page, "/beneficiaries/HH-1/applications")
                submit.merge(["application_id": "A-2", "program": "NQ12-HOUSING", "amount_vnd": "5.000.000 ₫", "submitted_on": "2024-04-03"]) { $1 }
                let submitted = try await browser.post("/beneficiaries/HH-1/applications", submit)
                #expect(submitted.status == 303, "\(submitted)")
                #expect(submitted.headers["location"] == "/beneficiaries/HH-1?done=applications#confirmation")
                #expect(try await browser.post("/beneficiaries/HH-1/applications", submit).status == 303)
                #expect(try await Self.actors(db, "ApplicationSubmitted").count == 2)
                #expect(try await Self.actors(db, "ApplicationSubmitted").last == officer.user)

                let shown = try await browser.get("/beneficiaries/HH-1?done=applications")
                #expect(shown.text.contains(WebCatalog.text(.beneDoneApplication, in: .vi)), "\(shown)")
                #expect(shown.text.contains("<td>03/04/2024</td>"), "submitted, on the statement: \(shown)")
                #expect(shown.text.contains(#"<td class="amount">5.000.000 ₫</td>"#), "\(shown)")
                #expect(shown.text.contains("<td>02/04/2024</td>"), "the amendment: \(shown)")

                // A programme the ledger does not know: refused next to its field.
                submit["program"] = "NO-SUCH"
                submit["application_id"] = "A-3"
                submit["command_id"] = UUID().uuidString
                let unknown = try await browser.post("/beneficiaries/HH-1/applications", submit)
                #expect(unknown.status == 422, "\(unknown)")
                #expect(unknown.text.contains(#"<p class="field-error" id="applications-program-error">"#)
                    || unknown.text.contains(#"<div class="error-summary" role="alert" id="applications-form-error">"#), "\(unknown)")
            }
        }
    }

    @Test func anAuditorPostingThePaymentFormIsNotAllowedAndNothingIsRecorded() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepareApproved(db)
            let auditor = try await People.add(db, role: "auditor")
            try await RunningService.with(db) { service in
                let browser = try await Browser.signIn(service, auditor)
                let page = try await browser.get("/beneficiaries/HH-1")
                #expect(page.status == 200, "\(page)")
                #expect(!page.text.contains(#"action="/beneficiaries/HH-1/payments""#), "no form for an auditor: \(page)")
                #expect(page.text.contains(WebCatalog.text(.beneFormsOnlyOfficers, in: .vi)))
                let csrf = try #require(page.hiddenField("csrf_token"))
                let refused = try await browser.post("/beneficiaries/HH-1/payments", [
                    "csrf_token": csrf, "command_id": UUID().uuidString, "application_id": "A-1", "payment_id": "P-1",
                    "amount_vnd": "5000000", "paid_on": "15/03/2024", "method": "bank", "voucher": "PC-001",
                ])
                #expect(refused.status == 403, "\(refused)")
                #expect(refused.text.contains(WebCatalog.text(.beneNotAllowed, in: .vi)), "\(refused)")
                #expect(try await Self.actors(db, "PaymentRecorded").isEmpty)
            }
        }
    }

    @Test func thePrintableStatementHasTheHeaderTheTableAndTheSignatureLines() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepareApproved(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let browser = try await Browser.signIn(service, officer)
                let page = try await browser.get("/beneficiaries/HH-1/statement")
                #expect(page.status == 200, "\(page)")
                #expect(page.text.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "\(page)")
                #expect(page.text.contains("Sở Lao động – Thương binh và Xã hội thành phố Cần Thơ"))
                #expect(page.text.contains("<h1>Sao kê hỗ trợ của Nguyễn Văn A</h1>"), "\(page)")
                #expect(page.text.contains(#"<td class="amount">10.000.000 ₫</td>"#), "\(page)")
                #expect(page.text.contains("Cần Thơ, ngày … tháng … năm …"))
                for role in ["Người thụ hưởng", "Cán bộ tài chính", "Thủ trưởng đơn vị"] {
                    #expect(page.text.contains("<strong>\(role)</strong>"), "\(role): \(page)")
                }
                #expect(page.text.contains("(Ký, ghi rõ họ tên)"))
                let css = String(decoding: WebFiles.stylesheet, as: UTF8.self)
                #expect(css.contains("@page { size: A4;"))
                #expect(css.contains("body:has(.printable-statement) .site-header"))
                #expect(try await browser.get("/beneficiaries/NOBODY/statement").status == 404)
            }
        }
    }

    @Test func anOfficerRegistersABeneficiaryFromTheShortcut() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            let auditor = try await People.add(db, role: "auditor")
            try await RunningService.with(db) { service in
                let browser = try await Browser.signIn(service, officer)
                let home = try await browser.get("/")
                #expect(home.text.contains(#"<a href="/register">\#(WebCatalog.text(.beneShortcutRegister, in: .vi))</a>"#), "\(home)")
                #expect(home.text.contains(#"<a href="/imports">"#), "\(home)")
                let page = try await browser.get("/register")
                #expect(page.status == 200, "\(page)")
                var form = try browser.hidden(page, "/register")
                form.merge(["beneficiary_id": "HH-2", "kind": "household", "name": "Trần Thị B", "unit": "ninh kieu",
                            "registered_on": "32/13/2024", "bank_account": "Agribank 456"]) { $1 }
                let badDate = try await browser.post("/register", form)
                #expect(badDate.status == 422, "\(badDate)")
                #expect(badDate.text.contains(#"<p class="field-error" id="register-registered_on-error">"#), "\(badDate)")
                #expect(badDate.text.contains(#"value="Trần Thị B""#), "\(badDate)")
                #expect(badDate.text.contains(#"<option value="household" selected>"#), "\(badDate)")

                form["registered_on"] = "21/05/2024"
                let registered = try await browser.post("/register", form)
                #expect(registered.status == 303, "\(registered)")
                #expect(registered.headers["location"] == "/register?done=HH-2#confirmation")
                #expect(try await browser.post("/register", form).status == 303, "posted again")
                #expect(try await Self.actors(db, "BeneficiaryRegistered").count == 2, "HH-1 from the setup and HH-2 once")
                #expect(try await Self.actors(db, "BeneficiaryRegistered").last == officer.user)
                let done = try await browser.get("/register?done=HH-2")
                #expect(done.text.contains(WebCatalog.text(.beneDoneRegister, in: .vi, "HH-2")), "\(done)")
                #expect(done.text.contains(#"<a href="/beneficiaries/HH-2">"#), "\(done)")

                let auditorHome = try await Browser.signIn(service, auditor).get("/")
                #expect(!auditorHome.text.contains(#"<a href="/register">"#), "no shortcuts for an auditor")
            }
        }
    }

}
