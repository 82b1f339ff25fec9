import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Which session a request belongs to: `Authorization: Bearer <session>` (scripts) or the
/// `ledger_session` cookie (browsers). A cookie-authenticated unsafe request (POST, PUT, PATCH,
/// DELETE) must also carry the session's CSRF token in `X-CSRF-Token`; a bearer token is never
/// sent by a browser on its own, so it needs none.
extension LedgerServer {
    static let cookieName = "ledger_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    enum Credential {
        case bearer(String)
        case cookie(String)
    }

    func credential(_ request: Request) throws -> Credential? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw Problem.notSignedIn("Authorization: only a Bearer session id is accepted")
            }
            return .bearer(String(parts[1]).trimmingCharacters(in: .whitespaces))
        }
        if let cookie = request.cookies[Self.cookieName]?.value, !cookie.isEmpty {
            return .cookie(cookie)
        }
        return nil
    }

    /// The request's open session, or 401 (not signed in, expired) / 403 (CSRF).
    /// `csrfToken`: the token a form sent in its body, for pages that post forms.
    func session(_ request: Request, _ context: LedgerRequestContext, csrfToken: String? = nil) async throws -> Session {
        guard let credential = try credential(request) else { throw Problem.notSignedIn() }
        let id: String
        let cookie: Bool
        switch credential {
        case .bearer(let token): (id, cookie) = (token, false)
        case .cookie(let token): (id, cookie) = (token, true)
        }
        switch await sessions.lookup(id) {
        case .unknown:
            throw Problem.notSignedIn("the session is not open (signed out, or the service restarted): sign in again")
        case .expired:
            let seconds = Int(configuration.sessionIdle.components.seconds)
            let idle = seconds % 60 == 0 ? "\(seconds / 60) minute\(seconds == 60 ? "" : "s")" : "\(seconds) second\(seconds == 1 ? "" : "s")"
            throw Problem.notSignedIn("the session expired after \(idle) without use: sign in again")
        case .found(let session):
            context.identity.user = session.user
            if cookie, ![.get, .head, .options].contains(request.method) {
                let sent = request.headers[Self.csrfHeader] ?? csrfToken
                guard let sent, Self.constantTimeEqual(sent, session.csrfToken) else {
                    throw Problem(
                        .forbidden, code: "csrf", title: "Missing or wrong CSRF token",
                        detail: "a request signed in by cookie must carry the session's csrf_token in X-CSRF-Token (GET /api/v1/session shows it)",
                        field: "X-CSRF-Token"
                    )
                }
            }
            return session
        }
    }

    /// Runs `body` for the request's session, counting it against the session's limit of
    /// requests at once.
    func withSession<T: Sendable>(
        _ request: Request, _ context: LedgerRequestContext, csrfToken: String? = nil, _ body: (Session) async throws -> T
    ) async throws -> T {
        let session = try await session(request, context, csrfToken: csrfToken)
        guard session.enter(limit: configuration.maxRequestsPerSession) else {
            throw Problem.busy("this session already has \(configuration.maxRequestsPerSession) requests running; wait for them", retryAfter: 1)
        }
        defer { session.leave(now: .now) }
        // A read is run again after a lost connection is reopened; anything else is not (see Reconnect.swift).
        return try await reconnecting(session, retry: [.get, .head].contains(request.method)) { try await body(session) }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
