import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import EventStore
import Postgres

/// Around every request: gives it an id (`X-Request-ID`), turns any error into an RFC 9457
/// problem, counts it in the metrics, and writes one log line: id, method, route (the pattern,
/// never the query, which can hold a name or a national id), status, duration and the signed-in
/// user. Bodies are never logged.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = LedgerRequestContext
    let server: LedgerServer

    static let requestIDHeader = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let given = request.headers[Self.requestIDHeader], Self.isAcceptableID(given) {
            context.requestID = given
        }
        let started = ContinuousClock.now
        var response: Response
        var failure: (any Error)?
        do {
            response = try await next(request, context)
        } catch {
            failure = error
            response = Problem.from(error).response(requestID: context.requestID)
        }
        response.headers[Self.requestIDHeader] = context.requestID
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        let duration = ContinuousClock.now - started
        let route = context.endpointPath ?? "unmatched"
        server.metrics.request(route: route, method: request.method.rawValue, status: response.status.code, duration: duration)
        var metadata: Logger.Metadata = [
            "request_id": "\(context.requestID)",
            "method": "\(request.method.rawValue)",
            "route": "\(route)",
            "status": "\(response.status.code)",
            "duration_ms": "\(String(format: "%.1f", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000))",
        ]
        if let user = response.headers[SessionHeaders.user] ?? context.identity.user { metadata["user"] = "\(user)" }
        response.headers[SessionHeaders.user] = nil
        if let failure, Problem.from(failure).status == .internalServerError {
            // The detail stays in the log only (it can quote values); the client got the request id.
            metadata["error"] = "\(Self.loggable(failure))"
            server.logger.error("request failed", metadata: metadata)
        } else {
            server.logger.info("request", metadata: metadata)
        }
        return response
    }

    /// What of an unexpected error goes to the log: PostgreSQL's code and message, never its
    /// detail (a constraint's detail quotes the row, which can hold a name).
    static func loggable(_ error: any Error) -> String {
        switch error {
        case let error as PostgresError: "SQLSTATE \(error.code.rawValue): \(error.message.prefix(300))"
        case let error as EventStoreError: "\(error.code.rawValue): \(error.underlying.map { "SQLSTATE \($0.code.rawValue): \($0.message.prefix(300))" } ?? String(error.message.prefix(300)))"
        default: String(String(describing: type(of: error)).prefix(100))
        }
    }

    static func isAcceptableID(_ text: String) -> Bool {
        (1...64).contains(text.count) && text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }
}

/// Internal response headers (removed before the response leaves).
enum SessionHeaders {
    /// The user a handler acted for, for the log line.
    static let user = HTTPField.Name("X-Ledger-Internal-User")!
}
