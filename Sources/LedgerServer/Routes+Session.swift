import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Postgres

/// `POST /api/v1/session` signs in: PostgreSQL checks the password (the service opens a
/// connection as that login role and keeps it for the session); `GET` shows who is signed in;
/// `DELETE` signs out and closes the connection.
extension LedgerServer {
    struct SessionDocument: Encodable {
        let session: String?
        let user: String
        let roles: [String]
        let csrfToken: String
        let idleTimeoutSeconds: Int64

        enum CodingKeys: String, CodingKey {
            case session, user, roles, csrfToken = "csrf_token", idleTimeoutSeconds = "idle_timeout_seconds"
        }
    }

    static let groups = ["ledger_officer", "ledger_approver", "ledger_auditor", "ledger_admin"]

    func addSessionRoutes(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/session") { request, context in
            try await self.signIn(request, context)
        }
        router.get("/api/v1/session") { request, context in
            try await self.withSession(request, context) { session in
                let roles = try await self.roles(of: session)
                return try JSONResponse.make(.ok, SessionDocument(
                    session: nil, user: session.user, roles: roles, csrfToken: session.csrfToken,
                    idleTimeoutSeconds: self.configuration.sessionIdle.components.seconds
                ), user: session.user)
            }
        }
        router.delete("/api/v1/session") { request, context in
            let session = try await self.session(request, context)
            await self.sessions.close(session)
            var response = Response(status: .noContent)
            response.headers[.setCookie] = self.cookie(value: "", request: request, context: context, maxAge: 0)
            response.headers[SessionHeaders.user] = session.user
            return response
        }
    }

    func roles(of session: Session) async throws -> [String] {
        try await session.connection.query(
            "SELECT g FROM unnest(string_to_array($1, ',')) g WHERE pg_has_role(session_user, g, 'MEMBER') ORDER BY g",
            [Self.groups.joined(separator: ",")]
        ) { try $0.string(0).replacingOccurrences(of: "ledger_", with: "") }
    }

    func cookie(value: String, request: Request, context: LedgerRequestContext, maxAge: Int? = nil) -> String {
        var parts = ["\(Self.cookieName)=\(value)", "Path=/", "HttpOnly", "SameSite=Strict"]
        if overTLS(request, context) { parts.append("Secure") }
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        return parts.joined(separator: "; ")
    }

    static func isRoleName(_ text: String) -> Bool {
        (1...63).contains(text.utf8.count) && text.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "." || $0 == "-")
        }
    }

    func signIn(_ request: Request, _ context: LedgerRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request, allowed: ["user", "password"])
        let user = try body.string("user")
        guard case .string(let password)? = body.fields["password"] else {
            throw Problem.badRequest(field: "password", "password: required")
        }
        let (id, session) = try await openSession(user: user, password: password, request: request, context: context)
        let roles = (try? await roles(of: session)) ?? []
        var response = try JSONResponse.make(.created, SessionDocument(
            session: id, user: user, roles: roles, csrfToken: session.csrfToken,
            idleTimeoutSeconds: configuration.sessionIdle.components.seconds
        ), user: user)
        response.headers[.setCookie] = cookie(value: id, request: request, context: context)
        return response
    }

    /// Signs `user` in with `password` (the API's JSON and the sign-in page's form alike): checks
    /// both, the sign-in limits and a connection slot, then has PostgreSQL check the password.
    /// Returns the new session and its id (for the cookie or `Authorization: Bearer`); refusals
    /// are problems (`wrong_password`, `sign_in_locked`, …).
    func openSession(
        user: String, password: String, request: Request, context: LedgerRequestContext
    ) async throws -> (id: String, session: Session) {
        guard Self.isRoleName(user) else {
            throw Problem.badRequest(field: "user", "user: a login name of letters, digits, _ . - (at most 63 bytes)")
        }
        guard !password.isEmpty else {
            throw Problem.badRequest(field: "password", "password: required")
        }
        guard password.utf8.count <= 1024, !password.contains("\0") else {
            throw Problem.badRequest(field: "password", "password: at most 1024 bytes, no NUL")
        }
        let address = clientAddress(request, context)
        if let lock = await signIns.lock(user: user, address: address) {
            metrics.signIn(outcome: "locked")
            let minutes = (lock.seconds + 59) / 60
            let who = lock.subject == .user ? "for \(user)" : "from this address"
            throw Problem(
                .tooManyRequests, code: "sign_in_locked", title: "Too many failed sign-ins",
                detail: "too many failed sign-ins \(who): try again in \(minutes) minute\(minutes == 1 ? "" : "s")",
                // A locked user name names its field; a locked address names none.
                field: lock.subject == .user ? "user" : nil, retryAfter: lock.seconds
            )
        }
        try await sessions.reserveSlot(user: user)
        var reserved = true
        defer { if reserved { Task { await self.sessions.releaseSlot() } } }

        var signInConfiguration = configuration.database
        signInConfiguration.user = user
        signInConfiguration.password = password
        signInConfiguration.applicationName = "ledger-serve"
        signInConfiguration.connectTimeoutSeconds = configuration.connectTimeoutSeconds
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(signInConfiguration)
        } catch let error as PostgresError {
            throw try await refusedSignIn(error, user: user, address: address)
        }
        do {
            // Only a password the server checked counts: under `trust` any password would do.
            guard await connection.usedPassword else {
                metrics.signIn(outcome: "no_password_asked")
                throw Problem(
                    .serviceUnavailable, code: "password_not_checked", title: "The database did not check the password",
                    detail: "the database let this role in without asking for its password (pg_hba.conf trusts the connection); "
                        + "the service refuses such sign-ins: configure scram-sha-256 for the people who sign in (docs/operations.md)",
                    retryAfter: 3600
                )
            }
            let superuser = try await connection.queryOne("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user") { try $0.bool(0) }
            guard !superuser else {
                metrics.signIn(outcome: "superuser")
                throw Problem(
                    .forbidden, code: "superuser", title: "Refused by the database's roles",
                    detail: "a superuser is above every rule of the ledger and cannot sign in to the service; sign in as a person"
                )
            }
        } catch {
            await connection.close()
            throw error
        }
        let (id, session) = await sessions.open(user: user, connection: connection)
        reserved = false
        await signIns.succeeded(user: user)
        metrics.signIn(outcome: "ok")
        return (id, session)
    }

    /// The answer to a sign-in the database refused; a wrong password counts against the user
    /// and the address, and is answered late.
    func refusedSignIn(_ error: PostgresError, user: String, address: String) async throws -> Problem {
        let message = error.message
        // A role that does not exist is answered as a wrong password (a server that asks every
        // role for one says so itself), so nobody learns which roles exist.
        let noSuchRole = message.contains("role \"") && message.contains("\" does not exist")
        if message.contains("password authentication failed") || message.contains("no password supplied")
            || message.contains("authentication failed") || noSuchRole {
            metrics.signIn(outcome: "wrong_password")
            let delay = await signIns.failed(user: user, address: address)
            try? await Task.sleep(for: delay)
            logger.notice("sign-in refused: wrong user name or password", metadata: ["user": "\(user)", "address": "\(address)"])
            return Problem(.unauthorized, code: "wrong_password", title: "Sign-in refused",
                           detail: "wrong user name or password", field: "password")
        }
        if message.contains("not permitted to log in") {
            metrics.signIn(outcome: "disabled")
            return Problem(.unauthorized, code: "account_disabled", title: "Sign-in refused",
                           detail: "\(user) may not log in (disabled or expired); ask an admin", field: "user")
        }
        metrics.signIn(outcome: "database_unavailable")
        logger.error("sign-in could not reach the database", metadata: ["error": "\(message.prefix(300))"])
        return Problem(.serviceUnavailable, code: "database_unavailable", title: "The database is not reachable",
                       detail: "could not connect to the database; try again shortly", retryAfter: 5)
    }
}

/// JSON answers.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make<T: Encodable>(_ status: HTTPResponse.Status, _ value: T, user: String? = nil, location: String? = nil) throws -> Response {
        let data = try encoder.encode(value)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let user { headers[SessionHeaders.user] = user }
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
