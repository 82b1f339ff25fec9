import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import NIOCore
import Postgres
import Projections

/// The web pages: server-rendered HTML over the same sessions, sign-in and read functions as the
/// API (`openSession`, `withSession`, `searchBeneficiaries`, `BeneficiaryFind`). A page that
/// needs a session sends a browser without one to `/sign-in`; a form post that a session
/// authenticates by cookie carries the session's CSRF token in its `csrf_token` field.
extension LedgerServer {
    func addWebRoutes(to router: Router<LedgerRequestContext>) {
        addWebImportRoutes(to: router)
        addWebAuditRoutes(to: router)
        addQueueRoutes(to: router)
        addBudgetRoutes(to: router)
        addBeneficiaryWebRoutes(to: router)
        router.get("/static/ledger.css") { request, _ in
            Self.stylesheet(request)
        }
        router.get("/sign-in") { request, context in
            try await self.page(request, context, allowedQuery: ["ended"]) { web in
                // Already signed in: straight to the start page.
                if let id = try? self.credential(request), case .cookie = id,
                   (try? await self.session(request, context)) != nil {
                    return WebResponse.redirect("/")
                }
                return self.signInPage(web, user: "", message: web.query.values["ended"] != nil ? web.text(.sessionEnded) : nil,
                                       error: nil, status: .ok)
            }
        }
        router.post("/sign-in") { request, context in
            try await self.page(request, context) { web in
                let form = try await WebRequest.form(request, allowed: ["user", "password"])
                let user = form.values["user"]?.trimmingCharacters(in: .whitespaces) ?? ""
                do {
                    let (id, _) = try await self.openSession(user: user, password: form.values["password"] ?? "", request: request, context: context)
                    return WebResponse.redirect("/", cookies: [self.cookie(value: id, request: request, context: context)])
                } catch {
                    let problem = Problem.from(error)
                    return self.signInPage(web, user: user, message: nil, error: Self.signInRefusal(problem, web), status: problem.status)
                }
            }
        }
        router.post("/sign-out") { request, context in
            try await self.page(request, context) { _ in
                let form = try await WebRequest.form(request, allowed: ["csrf_token"])
                let session = try await self.session(request, context, csrfToken: form.values["csrf_token"] ?? "")
                await self.sessions.close(session)
                var response = WebResponse.redirect("/sign-in")
                response.headers[.setCookie] = self.cookie(value: "", request: request, context: context, maxAge: 0)
                response.headers[SessionHeaders.user] = session.user
                return response
            }
        }
        router.get("/") { request, context in
            try await self.page(request, context) { web in
                try await self.withSession(request, context) { session in
                    try await self.homePage(web, session, form: nil)
                }
            }
        }
        // The search is posted (with the CSRF token) so that a national id never travels in a
        // URL, where histories and proxies' logs keep it.
        router.post("/") { request, context in
            try await self.page(request, context) { web in
                let form = try await WebRequest.form(request, allowed: ["csrf_token", "name", "national_id", "unit"])
                return try await self.withSession(request, context, csrfToken: form.values["csrf_token"] ?? "") { session in
                    try await self.homePage(web, session, form: form)
                }
            }
        }
    }

    /// Runs a page: its language and query, then `body`; a request without an open session is
    /// sent to `/sign-in`, any other refusal is shown as a page that says what to do.
    func page(
        _ request: Request, _ context: LedgerRequestContext, allowedQuery: Set<String> = [],
        _ body: (WebRequest) async throws -> Response
    ) async throws -> Response {
        let web: WebRequest
        do {
            web = try WebRequest(request, allowedQuery: allowedQuery)
        } catch {
            return errorPage(WebRequest(language: .vi, path: request.uri.path), Problem.from(error), session: nil)
        }
        var response: Response
        do {
            response = try await body(web)
        } catch {
            let problem = Problem.from(error)
            if problem.code == "not_signed_in" {
                let ended = (try? credential(request)) ?? nil != nil
                response = WebResponse.redirect(ended ? "/sign-in?ended=1" : "/sign-in")
                if ended { response.headers.append(HTTPField(name: .setCookie, value: cookie(value: "", request: request, context: context, maxAge: 0))) }
            } else {
                // Signed in (a GET, or a post whose token was right): the page keeps its navigation.
                var signedIn: (user: String, roles: [String], csrfToken: String)?
                if let session = try? await self.session(request, context) { signedIn = await layoutSession(session) }
                response = errorPage(web, problem, session: signedIn)
            }
        }
        if let languageCookie = web.languageCookie { response.headers.append(HTTPField(name: .setCookie, value: languageCookie)) }
        return response
    }

    /// The stylesheet, cached by browsers for a year (its URL names its version) and revalidated
    /// by its ETag.
    static func stylesheet(_ request: Request) -> Response {
        let etag = "\"\(WebFiles.stylesheetVersion)\""
        var headers: HTTPFields = [.cacheControl: "public, max-age=31536000, immutable", .eTag: etag]
        if request.headers[.ifNoneMatch]?.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) == true {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "text/css; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: WebFiles.stylesheet)))
    }

    // MARK: Pages

    struct SignInView {
        let heading: String
        let intro: String
        let userLabel: String
        let passwordLabel: String
        let submit: String
        let user: String
        let message: String?
        let error: String?
        /// Which field the error is about (`user` or `password`): it gets `aria-invalid` and the error's id.
        let userInvalid: Bool
        let passwordInvalid: Bool
        /// The cursor starts in the user name, or in the password when the name is kept.
        let focusUser: Bool
    }

    func signInPage(_ web: WebRequest, user: String, message: String?, error: (text: String, field: String?)?, status: HTTPResponse.Status) -> Response {
        let view = SignInView(
            heading: web.text(.signIn), intro: web.text(.signInIntro), userLabel: web.text(.userName), passwordLabel: web.text(.password),
            submit: web.text(.signIn), user: user, message: message, error: error?.text,
            userInvalid: error?.field == "user", passwordInvalid: error != nil && error?.field != "user",
            focusUser: user.isEmpty || error?.field == "user"
        )
        let layout = WebLayout(web, title: web.text(.signIn), content: WebFiles.render(view, "sign-in"), session: nil)
        return WebResponse.html(status, layout.html)
    }

    /// What the sign-in page says about a refusal, and the field it concerns.
    static func signInRefusal(_ problem: Problem, _ web: WebRequest) -> (text: String, field: String?) {
        let minutes = String(max(1, ((problem.retryAfter ?? 60) + 59) / 60))
        switch problem.code {
        case "wrong_password": return (web.text(.wrongPassword), "password")
        case "sign_in_locked":
            // The limiter locks a user name (the problem names the field `user`) or an address.
            return (web.text(problem.field == "user" ? .lockedUser : .lockedAddress, minutes), nil)
        case "account_disabled": return (web.text(.accountDisabled), "user")
        case "too_many_sessions": return (web.text(.tooManySessions, minutes), nil)
        case "busy": return (web.text(.serviceBusy), nil)
        case "database_unavailable": return (web.text(.databaseUnavailable), nil)
        case "superuser": return (web.text(.superuser), "user")
        case "password_not_checked": return (web.text(.passwordNotChecked), nil)
        case "invalid_input":
            if problem.field == "user" { return (web.text(.userNameInvalid), "user") }
            return (web.text(problem.detail.contains("at most") ? .passwordTooLong : .passwordMissing), "password")
        default: return (problem.detail, nil)
        }
    }

    struct ErrorView {
        let heading: String
        let detail: String
        let goHome: String
    }

    func errorPage(_ web: WebRequest, _ problem: Problem, session: (user: String, roles: [String], csrfToken: String)?) -> Response {
        let detail = problem.code == "csrf" ? web.text(.formExpired) : problem.detail
        let view = ErrorView(heading: web.text(.errorTitle), detail: detail, goHome: web.text(.goHome))
        let layout = WebLayout(web, title: web.text(.errorTitle), content: WebFiles.render(view, "error"), session: session)
        var response = WebResponse.html(problem.status, layout.html)
        if let seconds = problem.retryAfter { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    func layoutSession(_ session: Session) async -> (user: String, roles: [String], csrfToken: String) {
        (session.user, (try? await roles(of: session)) ?? [], session.csrfToken)
    }

    struct HomeView {
        let heading: String
        let intro: String
        let csrfToken: String
        let nameLabel: String
        let nationalIDLabel: String
        let unitLabel: String
        let submit: String
        let name: String
        let nationalID: String
        let unit: String
        let nameError: String?
        let nationalIDError: String?
        let unitError: String?
        let notice: String?
        let results: Results?
        /// The officer's shortcuts (WebPages+Beneficiary.swift).
        let shortcuts: BeneficiaryShortcuts?
        /// What the signed-in person recorded last (WebPages+RecentWork.swift).
        let recentWork: RecentWorkView?

        struct Results {
            let heading: String
            let summary: String
            let columns: [String]
            let rows: [Row]
            let hasRows: Bool
            let noResults: String
            let behind: String?
        }

        struct Row {
            let href: String
            let id: String
            let name: String
            let kind: String
            let unit: String
            let categories: String
        }
    }

    func homePage(_ web: WebRequest, _ session: Session, form: QueryParameters?) async throws -> Response {
        let name = form?.values["name"] ?? "", nationalID = form?.values["national_id"] ?? "", unit = form?.values["unit"] ?? ""
        var errors: [String: String] = [:]
        var notice: String?
        var results: HomeView.Results?
        if form != nil {
            if name.isEmpty, nationalID.isEmpty, unit.isEmpty {
                notice = web.text(.searchNothingGiven)
            } else {
                do {
                    let found = try await Self.readProblems {
                        try await Self.searchBeneficiaries(
                            name: name.isEmpty ? nil : name, nationalID: nationalID.isEmpty ? nil : nationalID,
                            unit: unit.isEmpty ? nil : (unit, "unit"), limit: Find.defaultLimit, session
                        )
                    }
                    results = try await searchResults(web, session, found.value)
                } catch {
                    let problem = Problem.from(error)
                    guard problem.status == .badRequest, let field = problem.field, ["name", "national_id", "unit"].contains(field) else { throw error }
                    // The finder's refusals of a name or an id have one cause each; a unit's names the units it could mean.
                    switch field {
                    case "name": errors[field] = web.text(.nameWithoutLetters)
                    case "national_id": errors[field] = web.text(.nationalIDMalformed)
                    default: errors[field] = problem.detail
                    }
                }
            }
        }
        let view = HomeView(
            heading: web.text(.home), intro: web.text(.searchIntro), csrfToken: session.csrfToken,
            nameLabel: web.text(.name), nationalIDLabel: web.text(.nationalID), unitLabel: web.text(.unit), submit: web.text(.search),
            name: name, nationalID: nationalID, unit: unit,
            nameError: errors["name"], nationalIDError: errors["national_id"], unitError: errors["unit"], notice: notice, results: results,
            shortcuts: await beneficiaryShortcuts(web, session), recentWork: try? await recentWorkView(web, session)
        )
        let layout = WebLayout(web, title: web.text(.home), content: WebFiles.render(view, "home"), session: await layoutSession(session))
        return WebResponse.html(errors.isEmpty ? .ok : .badRequest, layout.html, user: session.user)
    }

    func searchResults(_ web: WebRequest, _ session: Session, _ found: FoundRows<BeneficiaryRow>) async throws -> HomeView.Results {
        let places = try await session.service.places()
        let formatter = web.formatter
        let rows = found.rows.map { row in
            HomeView.Row(
                href: "/beneficiaries/\(Self.escaped(row.beneficiaryID))", id: row.beneficiaryID, name: row.name,
                kind: web.text(row.kind == "household" ? .kindHousehold : .kindPerson),
                unit: UnitCode(rawValue: row.unit).map { places.name(of: $0) } ?? row.unit,
                categories: row.categories.map { formatter.label($0) }.joined(separator: ", ")
            )
        }
        let summary = found.more
            ? web.text(.resultsMore, formatter.number(found.matching), formatter.number(Int64(rows.count)))
            : web.text(.resultsCount, formatter.number(Int64(rows.count)))
        return HomeView.Results(
            heading: web.text(.resultsHeading), summary: summary,
            columns: [web.text(.beneficiaryID), web.text(.name), web.text(.kind), web.text(.unit), web.text(.categories)],
            rows: rows, hasRows: !rows.isEmpty, noResults: web.text(.noResults),
            behind: found.behind.contains { $0.events > 0 } ? web.text(.readModelsBehind) : nil
        )
    }
}
