import Foundation
import Ledger
@testable import LedgerServer
import TestSupport
import Testing

/// The approver's queue through the running `ledger serve`, as a browser without JavaScript uses
/// it: what the approver reads, the forms' posts, what the log then holds.
@Suite(.enabled(if: TestDatabase.enabled))
struct WebQueueTests {
    /// Signs in through the page; the session cookie.
    static func signIn(_ client: WebClient, _ person: (user: String, password: String)) async throws -> [String: String] {
        let page = try await client.post("/sign-in", form: ["user": person.user, "password": person.password])
        let cookie = try #require(page.cookie("ledger_session"), "\(page)")
        return ["ledger_session": cookie]
    }

    /// How many `type` events the log holds for application `id`, and who recorded them.
    static func events(_ db: FreshDatabase, _ type: String, _ id: String) async throws -> [String] {
        let connection = try await db.connect()
        defer { Task { await connection.close() } }
        return try await connection.query(
            "SELECT metadata ->> 'actor' FROM ledger.events WHERE event_type = $1 AND stream_id = $2 ORDER BY position",
            [type, Streams.application(id)]
        ) { try $0.string(0) }
    }

    @Test func anApproverSeesTheQueueAndApprovesOnce() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let approver = try await People.add(db, role: "approver")
            try await ReadFixture.catchUp(db)
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let cookies = try await Self.signIn(client, approver)
                let queue = try await client.get("/queue", cookies: cookies)
                #expect(queue.status == 200, "\(queue)")
                #expect(queue.text.contains(#"<a href="/queue" aria-current="page">Hồ sơ chờ phê duyệt</a>"#), "in the navigation: \(queue)")
                #expect(queue.text.contains("<caption>Hồ sơ đang chờ quyết định</caption>"), "\(queue)")
                #expect(queue.text.contains(#"<th scope="row">A-1</th>"#), "\(queue)")
                // Requested, the programme's cap (the catalog's), the budget still available.
                let catalog = try ProgramCatalog(parsing: SampleCatalog.json)
                let cap = try #require(catalog.programs.first { $0.code == "NQ12-HOUSING" }).capPerBeneficiaryVND
                #expect(queue.text.contains(#"<td class="amount">10.000.000 ₫</td><td class="amount">\#(LocaleFormatter(.vi).amount(cap))</td><td class="amount">100.000.000 ₫</td>"#), "\(queue)")
                #expect(queue.text.contains(#"action="/queue/A-1/approve""#) && queue.text.contains(#"action="/queue/A-1/reject""#), "\(queue)")
                #expect(queue.text.contains(#"value="10.000.000""#), "the amount requested is filled in: \(queue)")
                let csrf = try #require(queue.hiddenField("csrf_token"))
                let commandID = try #require(queue.commandID(action: "/queue/A-1/approve"), "\(queue)")

                // Errors next to their fields, the values kept, nothing recorded.
                let wrong = try await client.post("/queue/A-1/approve", form: [
                    "csrf_token": csrf, "command_id": commandID, "amount": "mười triệu", "decision": "", "decided_on": "31/02/2024",
                ], cookies: cookies)
                #expect(wrong.status == 400, "\(wrong)")
                #expect(wrong.text.contains(#"<p class="field-error" id="amount-A-1-error">\#(WebCatalog.text(.queueAmountInvalid, in: .vi))</p>"#), "\(wrong)")
                #expect(wrong.text.contains(#"<p class="field-error" id="decision-A-1-error">\#(WebCatalog.text(.queueDecisionMissing, in: .vi))</p>"#), "\(wrong)")
                #expect(wrong.text.contains(#"<p class="field-error" id="decided_on-A-1-error">"#), "\(wrong)")
                #expect(wrong.text.contains(#"value="mười triệu""#) && wrong.text.contains(#"value="31/02/2024""#), "values kept: \(wrong)")
                #expect(wrong.commandID(action: "/queue/A-1/approve") == commandID, "the same command id: \(wrong)")
                #expect(try await Self.events(db, "ApplicationApproved", "A-1").isEmpty)

                // What an officer types; Post/Redirect/Get with a confirmation.
                let form = ["csrf_token": csrf, "command_id": commandID, "amount": "8.000.000 ₫", "decision": "QĐ 5/2024", "decided_on": "21/05/2024"]
                let approved = try await client.post("/queue/A-1/approve", form: form, cookies: cookies)
                #expect(approved.status == 303 && approved.headers["location"] == "/queue?approved=A-1", "\(approved)")
                let again = try await client.post("/queue/A-1/approve", form: form, cookies: cookies)
                #expect(again.status == 303, "a second post of the same form: \(again)")
                #expect(try await Self.events(db, "ApplicationApproved", "A-1") == [approver.user], "once, by the signed-in approver")
                let confirmed = try await client.get("/queue?approved=A-1", cookies: cookies)
                #expect(confirmed.text.contains(#"<p class="confirmation queue-confirmation" role="status">Đã phê duyệt hồ sơ A-1.</p>"#), "\(confirmed)")

                let connection = try await db.connect()
                let payload = try await connection.queryOne(
                    "SELECT payload::text FROM ledger.events WHERE event_type = 'ApplicationApproved'"
                ) { try $0.string(0) }
                await connection.close()
                #expect(payload.contains("8000000") && payload.contains("2024-05-21") && payload.contains("QĐ 5/2024"), "\(payload)")
            }
        }
    }

    @Test func aRejectionNeedsAReason() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let approver = try await People.add(db, role: "approver")
            try await ReadFixture.catchUp(db)
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let cookies = try await Self.signIn(client, approver)
                let queue = try await client.get("/queue", cookies: cookies)
                let csrf = try #require(queue.hiddenField("csrf_token"))
                let commandID = try #require(queue.commandID(action: "/queue/A-1/reject"))
                let empty = try await client.post("/queue/A-1/reject", form: ["csrf_token": csrf, "command_id": commandID, "reason": " "], cookies: cookies, language: "en")
                #expect(empty.status == 400, "\(empty)")
                #expect(empty.text.contains(#"<p class="field-error" id="reason-A-1-error">Type why the application is rejected.</p>"#), "\(empty)")
                let rejected = try await client.post("/queue/A-1/reject", form: ["csrf_token": csrf, "command_id": commandID, "reason": "thu nhập vượt chuẩn"],
                                                     cookies: cookies)
                #expect(rejected.status == 303 && rejected.headers["location"] == "/queue?rejected=A-1", "\(rejected)")
                #expect(try await Self.events(db, "ApplicationRejected", "A-1") == [approver.user])
                // Without the session's CSRF token: refused, nothing more recorded.
                let forged = try await client.post("/queue/A-1/reject", form: ["csrf_token": "forged", "command_id": "x", "reason": "r"], cookies: cookies)
                #expect(forged.status == 403, "\(forged)")
            }
        }
    }

    @Test func anApproversOwnSubmissionShowsWhyNotAndAPostIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let approver = try await People.add(db, role: "approver")
            try await ReadFixture.grant(db, "ledger_officer", to: approver.user)
            let submitted = try await ReadFixture.ledger(db, [
                "application", "submit", "--id", "A-2", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "5000000",
                "--submitted-on", "2024-03-02",
            ], as: approver)
            #expect(submitted.status == 0, "\(submitted)")
            try await ReadFixture.catchUp(db)
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let cookies = try await Self.signIn(client, approver)
                let queue = try await client.get("/queue", cookies: cookies)
                #expect(queue.status == 200, "\(queue)")
                let whyNot = Message("you submitted it (four eyes: another approver decides)").rendered(.vi)
                #expect(queue.text.contains(#"<p class="notice why-not">\#(whyNot)</p>"#), "\(queue)")
                #expect(!queue.text.contains(#"action="/queue/A-2/approve""#), "no approve button for their own: \(queue)")
                #expect(queue.text.contains(#"action="/queue/A-1/approve""#), "\(queue)")

                // A crafted post: the library refuses (four eyes), the page says why, nothing is recorded.
                let csrf = try #require(queue.hiddenField("csrf_token"))
                let crafted = try await client.post("/queue/A-2/approve", form: [
                    "csrf_token": csrf, "command_id": "web-crafted", "amount": "5000000", "decision": "QĐ 7", "decided_on": "2024-03-05",
                ], cookies: cookies)
                #expect(crafted.status == 403, "\(crafted)")
                #expect(crafted.text.contains(#"<div class="error-summary" role="alert"><p>"#) && crafted.text.contains("bốn mắt"), "\(crafted)")
                #expect(try await Self.events(db, "ApplicationApproved", "A-2").isEmpty)
            }
        }
    }

    @Test func anOfficerMayNotOpenTheQueue() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            try await ReadFixture.catchUp(db)
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let cookies = try await Self.signIn(client, officer)
                let home = try await client.get("/", cookies: cookies)
                #expect(!home.text.contains(#"<a href="/queue""#), "not in an officer's navigation: \(home)")
                let queue = try await client.get("/queue", cookies: cookies)
                #expect(queue.status == 403, "\(queue)")
                #expect(queue.text.contains(WebCatalog.text(.queueNotAllowed, in: .vi)), "\(queue)")
                #expect(queue.text.contains(#"<form method="post" action="/sign-out">"#), "still signed in: \(queue)")
                let csrf = try #require(queue.hiddenField("csrf_token"))
                let post = try await client.post("/queue/A-1/approve", form: [
                    "csrf_token": csrf, "command_id": "web-officer", "amount": "10000000", "decision": "QĐ 1",
                ], cookies: cookies)
                #expect(post.status == 403, "\(post)")
                #expect(try await Self.events(db, "ApplicationApproved", "A-1").isEmpty)
                let nobody = try await client.get("/queue")
                #expect(nobody.status == 303 && nobody.headers["location"] == "/sign-in", "\(nobody)")
            }
        }
    }
}

extension WebPage {
    /// The hidden command id of the form posting to `action`.
    func commandID(action: String) -> String? {
        guard let start = text.range(of: #"action="\#(action)""#) else { return nil }
        let rest = text[start.upperBound...]
        guard let match = rest.firstMatch(of: try! Regex(#"<input type="hidden" name="command_id" value="([^"]*)">"#)) else { return nil }
        return match.output[1].substring.map(String.init)
    }
}
