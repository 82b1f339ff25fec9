import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Ledger
@testable import LedgerServer
import Mustache
import TestSupport
import Testing

/// The web pages' strings and templates, without a server.
struct WebPageUnitTests {
    @Test func everyPageStringHasItsVietnamese() {
        for string in WebString.allCases {
            let vietnamese = WebCatalog.vietnamese[string]
            #expect(vietnamese != nil && vietnamese != string.rawValue, "no Vietnamese for \(string): \(string.rawValue.debugDescription)")
            #expect(vietnamese == vietnamese?.precomposedStringWithCanonicalMapping, "not NFC: \(string)")
            // The same placeholders in both languages.
            let holes = { (text: String) in Set((0..<4).filter { text.contains("{\($0)}") }) }
            #expect(holes(vietnamese ?? "") == holes(string.rawValue), "placeholders differ: \(string)")
        }
    }

    @Test func everyTemplateAndTheStylesheetAreEmbedded() throws {
        let names = Set(WebFiles.files.keys)
        for template in ["layout", "sign-in", "home", "beneficiary", "error"] {
            #expect(names.contains("Templates/\(template).mustache"), "\(names.sorted())")
            let text = String(decoding: try #require(WebFiles.files["Templates/\(template).mustache"]), as: UTF8.self)
            #expect(throws: Never.self) { _ = try MustacheTemplate(string: text) }
            #expect(WebFiles.library.getTemplate(named: template) != nil)
        }
        #expect(String(decoding: WebFiles.stylesheet, as: UTF8.self).contains(".skip-link"))
    }

    @Test func valuesAreEscapedInThePage() {
        let web = WebRequest(language: .vi, path: "/")
        let html = WebLayout(web, title: "<script>alert(1)</script>", content: "<p>ready</p>", session: nil).html
        #expect(!html.contains("<script>alert(1)</script>"), "\(html)")
        #expect(html.contains("&lt;script&gt;"), "\(html)")
        #expect(html.contains("<p>ready</p>"), "the page's own HTML is put in as it is")
        #expect(html.contains(#"<html lang="vi">"#))
    }

    @Test func signInRefusalsSayWhatToDo() {
        let web = WebRequest(language: .vi, path: "/sign-in")
        let locked = Problem(.tooManyRequests, code: "sign_in_locked", title: "", detail: "too many failed sign-ins for x: try again in 2 minutes",
                             field: "user", retryAfter: 90)
        #expect(LedgerServer.signInRefusal(locked, web).text == WebCatalog.text(.lockedUser, in: .vi, "2"))
        let address = Problem(.tooManyRequests, code: "sign_in_locked", title: "", detail: "too many failed sign-ins from this address: …",
                              retryAfter: 600)
        #expect(LedgerServer.signInRefusal(address, web).text == WebCatalog.text(.lockedAddress, in: .vi, "10"))
        let wrong = Problem(.unauthorized, code: "wrong_password", title: "", detail: "", field: "password")
        #expect(LedgerServer.signInRefusal(wrong, WebRequest(language: .en, path: "/sign-in")) == (WebCatalog.text(.wrongPassword, in: .en), "password"))
    }
}

/// The pages through the running `ledger serve`, as a browser without JavaScript uses them: form
/// posts, the session cookie, redirects; the assertions are on what a person reads.
@Suite(.enabled(if: TestDatabase.enabled))
struct WebPageTests {
    @Test func aPageWithoutASessionSendsTheBrowserToSignIn() async throws {
        try await TestDatabase.withFresh { db in
            try await RunningService.with(db) { service in
                for path in ["/", "/beneficiaries/HH-1"] {
                    let page = try await WebClient(service).get(path)
                    #expect(page.status == 303, "\(path): \(page)")
                    #expect(page.headers["location"] == "/sign-in", "\(path): \(page)")
                }
            }
        }
    }

    @Test func theSignInPageIsVietnameseByDefaultAndEnglishOnTheSwitch() async throws {
        try await TestDatabase.withFresh { db in
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let vietnamese = try await client.get("/sign-in")
                #expect(vietnamese.status == 200, "\(vietnamese)")
                #expect(vietnamese.headers["content-type"] == "text/html; charset=utf-8")
                #expect(vietnamese.text.contains(#"<html lang="vi">"#))
                #expect(vietnamese.text.contains("Sở Lao động – Thương binh và Xã hội thành phố Cần Thơ"))
                #expect(vietnamese.text.contains(#"<label for="user">Tên đăng nhập</label>"#))
                #expect(vietnamese.text.contains(##"<a class="skip-link" href="#main">"##))
                #expect(vietnamese.headers["content-security-policy"]?.contains("default-src 'none'") == true)

                let english = try await client.get("/sign-in?lang=en")
                #expect(english.text.contains(#"<html lang="en">"#), "\(english)")
                #expect(english.text.contains(#"<label for="user">User name</label>"#))
                #expect(english.headers["set-cookie"]?.contains("lang=en") == true, "\(english.headers)")
                // The choice is kept by its cookie.
                let kept = try await client.get("/sign-in", cookies: ["lang": "en"])
                #expect(kept.text.contains(#"<html lang="en">"#))
            }
        }
    }

    @Test func aWrongPasswordIsShownWithTheUserNameKept() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let page = try await WebClient(service).post("/sign-in", form: ["user": officer.user, "password": "not-the-password"])
                #expect(page.status == 401, "\(page)")
                #expect(page.text.contains(WebCatalog.text(.wrongPassword, in: .vi)), "\(page)")
                #expect(page.text.contains(#"value="\#(officer.user)""#), "the user name is kept: \(page)")
                #expect(page.text.contains(#"aria-invalid="true""#))
                #expect(page.headers["set-cookie"]?.contains("ledger_session=") != true, "no session: \(page.headers)")
            }
        }
    }

    @Test func tooManyWrongPasswordsSayForHowManyMinutes() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                for _ in 0..<SignInLimiter.Policy().maxFailuresPerUser {
                    _ = try await client.post("/sign-in", form: ["user": officer.user, "password": "wrong"])
                }
                let page = try await client.post("/sign-in", form: ["user": officer.user, "password": officer.password], language: "en")
                #expect(page.status == 429, "\(page)")
                #expect(page.text.contains("Too many failed sign-ins for this user name. Try again in 1 minutes"), "\(page)")
                #expect(page.text.contains(#"value="\#(officer.user)""#))
            }
        }
    }

    @Test func signingInOpensTheSearchAndItFindsANameTypedWithoutDiacritics() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let officer = try await People.add(db, role: "officer")
            try await People.ledger(db, ["projections", "run"])
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let signedIn = try await client.post("/sign-in", form: ["user": officer.user, "password": officer.password])
                #expect(signedIn.status == 303, "\(signedIn)")
                #expect(signedIn.headers["location"] == "/")
                let cookie = try #require(signedIn.cookie("ledger_session"), "\(signedIn.headers)")
                #expect(signedIn.headers["set-cookie"]?.contains("HttpOnly") == true)

                let home = try await client.get("/", cookies: ["ledger_session": cookie])
                #expect(home.status == 200, "\(home)")
                #expect(home.text.contains("Đăng nhập với tên \(officer.user) (cán bộ)"), "\(home)")
                #expect(home.text.contains(#"<a href="/" aria-current="page">Tìm đối tượng thụ hưởng</a>"#), "\(home)")
                let csrf = try #require(home.hiddenField("csrf_token"))
                // The same session as the API's.
                let api = try await service.request("GET", "/api/v1/session", headers: ["Cookie": "ledger_session=\(cookie)"])
                #expect(api.json["csrf_token"] as? String == csrf, "\(api)")

                let found = try await client.post("/", form: ["csrf_token": csrf, "name": "nguyen van"], cookies: ["ledger_session": cookie])
                #expect(found.status == 200, "\(found)")
                #expect(found.text.contains(#"<td><a href="/beneficiaries/HH-1">HH-1</a></td><td>Nguyễn Văn A</td><td>hộ gia đình</td><td>Ninh Kiều</td>"#), "\(found)")
                #expect(found.text.contains("Tìm thấy 1"), "\(found)")
                #expect(found.text.contains(#"value="nguyen van""#), "the search is kept")

                let nobody = try await client.post("/", form: ["csrf_token": csrf, "name": "tran thi"], cookies: ["ledger_session": cookie])
                #expect(nobody.text.contains(WebCatalog.text(.noResults, in: .vi)), "\(nobody)")

                let badID = try await client.post("/", form: ["csrf_token": csrf, "national_id": "12x"], cookies: ["ledger_session": cookie])
                #expect(badID.status == 400, "\(badID)")
                #expect(badID.text.contains(#"<p class="field-error" id="national_id-error">"#), "the error is next to its field: \(badID)")
                #expect(badID.text.contains(#"value="12x""#))
                #expect(badID.text.contains(WebCatalog.text(.nationalIDMalformed, in: .vi)), "\(badID)")
                let noLetters = try await client.post("/", form: ["csrf_token": csrf, "name": "--"], cookies: ["ledger_session": cookie])
                #expect(noLetters.status == 400 && noLetters.text.contains(WebCatalog.text(.nameWithoutLetters, in: .vi)), "\(noLetters)")

                let details = try await client.get("/beneficiaries/HH-1", cookies: ["ledger_session": cookie])
                #expect(details.status == 200, "\(details)")
                #expect(details.text.contains("<h1>Đối tượng thụ hưởng Nguyễn Văn A</h1>"), "\(details)")
                #expect(details.text.contains(#"<td class="amount">10.000.000 ₫</td>"#), "\(details)")
                #expect(details.text.contains("Agribank 123"))
                let today = LocaleFormatter(.vi).date(LocalDate.today())
                #expect(details.text.contains("<dd>\(today)</dd>"), "registered today, dd/mm/yyyy: \(today)")
                #expect(details.text.contains(try Regex(#"<dd>\#(today) [0-9]{2}:[0-9]{2}:[0-9]{2} \+07:00</dd>"#)), "recorded at, Vietnam time")

                let missing = try await client.get("/beneficiaries/NOBODY", cookies: ["ledger_session": cookie])
                #expect(missing.status == 404, "\(missing)")
                #expect(missing.text.contains("Không có đối tượng thụ hưởng NOBODY."), "\(missing)")
                #expect(missing.text.contains(#"<form method="post" action="/sign-out">"#), "still signed in, with the sign-out button: \(missing)")
            }
        }
    }

    @Test func aFormPostWithoutTheSessionsCSRFTokenIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let signedIn = try await client.post("/sign-in", form: ["user": officer.user, "password": officer.password])
                let cookie = try #require(signedIn.cookie("ledger_session"))
                for form in [["name": "nguyen"], ["name": "nguyen", "csrf_token": String(repeating: "0", count: 64)]] {
                    let refused = try await client.post("/", form: form, cookies: ["ledger_session": cookie])
                    #expect(refused.status == 403, "\(refused)")
                    #expect(refused.text.contains(WebCatalog.text(.formExpired, in: .vi)), "\(refused)")
                }
                let notSignedOut = try await client.post("/sign-out", form: [:], cookies: ["ledger_session": cookie])
                #expect(notSignedOut.status == 403, "\(notSignedOut)")
                #expect(try await client.get("/", cookies: ["ledger_session": cookie]).status == 200, "still signed in")
            }
        }
    }

    @Test func signingOutClosesTheSession() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let signedIn = try await client.post("/sign-in", form: ["user": officer.user, "password": officer.password])
                let cookie = try #require(signedIn.cookie("ledger_session"))
                let csrf = try #require(try await client.get("/", cookies: ["ledger_session": cookie]).hiddenField("csrf_token"))
                let signedOut = try await client.post("/sign-out", form: ["csrf_token": csrf], cookies: ["ledger_session": cookie])
                #expect(signedOut.status == 303, "\(signedOut)")
                #expect(signedOut.headers["location"] == "/sign-in")
                #expect(signedOut.headers["set-cookie"]?.contains("Max-Age=0") == true, "\(signedOut.headers)")
                let after = try await client.get("/", cookies: ["ledger_session": cookie])
                #expect(after.status == 303 && after.headers["location"] == "/sign-in?ended=1", "\(after)")
                let page = try await client.get("/sign-in?ended=1")
                #expect(page.text.contains(WebCatalog.text(.sessionEnded, in: .vi)), "\(page)")
            }
        }
    }

    @Test func theStylesheetIsServedWithCachingHeaders() async throws {
        try await TestDatabase.withFresh { db in
            try await RunningService.with(db) { service in
                let client = WebClient(service)
                let page = try await client.get("/sign-in")
                let href = try #require(page.text.firstMatch(of: /href="(\/static\/ledger\.css\?v=[0-9a-f]+)"/)?.1)
                let css = try await client.get(String(href))
                #expect(css.status == 200, "\(css)")
                #expect(css.headers["content-type"] == "text/css; charset=utf-8")
                #expect(css.headers["cache-control"] == "public, max-age=31536000, immutable", "\(css.headers)")
                let etag = try #require(css.headers["etag"])
                #expect(css.text.contains(".skip-link"))
                let again = try await client.get(String(href), headers: ["If-None-Match": etag])
                #expect(again.status == 304, "\(again)")
            }
        }
    }
}

/// A browser without JavaScript: no redirect followed, cookies sent as given.
struct WebClient {
    let service: RunningService

    init(_ service: RunningService) { self.service = service }

    private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {  // stateless
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }()

    func get(_ path: String, cookies: [String: String] = [:], headers: [String: String] = [:]) async throws -> WebPage {
        try await send("GET", path, body: nil, cookies: cookies, headers: headers)
    }

    /// A form post, urlencoded as a browser sends it; `language` is sent as the `lang` cookie.
    func post(_ path: String, form: [String: String], cookies: [String: String] = [:], language: String? = nil) async throws -> WebPage {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        let body = form.sorted { $0.key < $1.key }.map { name, value in
            let encode = { (text: String) in
                text.unicodeScalars.map { allowed.contains($0) ? String($0) : ($0 == " " ? "+" : String($0).utf8.map { String(format: "%%%02X", $0) }.joined()) }.joined()
            }
            return "\(encode(name))=\(encode(value))"
        }.joined(separator: "&")
        var cookies = cookies
        if let language { cookies["lang"] = language }
        return try await send("POST", path, body: Data(body.utf8), cookies: cookies,
                              headers: ["Content-Type": "application/x-www-form-urlencoded"])
    }

    private func send(_ method: String, _ path: String, body: Data?, cookies: [String: String], headers: [String: String]) async throws -> WebPage {
        var request = URLRequest(url: URL(string: path, relativeTo: service.baseURL)!)
        request.httpMethod = method
        request.httpBody = body
        if !cookies.isEmpty { request.setValue(cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "), forHTTPHeaderField: "Cookie") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response): (Data, URLResponse) = try await withCheckedThrowingContinuation { continuation in
            Self.session.dataTask(with: request) { data, response, error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: (data ?? Data(), response!)) }
            }.resume()
        }
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return WebPage(status: http.statusCode, headers: fields, text: String(decoding: data, as: UTF8.self))
    }
}

/// A page as the service sent it.
struct WebPage: CustomStringConvertible {
    let status: Int
    let headers: [String: String]
    let text: String

    /// A cookie the page sets (`Set-Cookie: name=value; …`).
    func cookie(_ name: String) -> String? {
        guard let header = headers["set-cookie"], let range = header.range(of: "\(name)=") else { return nil }
        let value = header[range.upperBound...].prefix { $0 != ";" && $0 != "," }
        return value.isEmpty ? nil : String(value)
    }

    /// The value of a hidden form field.
    func hiddenField(_ name: String) -> String? {
        guard let match = text.firstMatch(of: try! Regex(#"<input type="hidden" name="\#(name)" value="([^"]*)">"#)) else { return nil }
        return match.output[1].substring.map(String.init)
    }

    var description: String { "HTTP \(status) \(headers["location"].map { "→ \($0) " } ?? "")\n\(text.prefix(3000))" }
}
