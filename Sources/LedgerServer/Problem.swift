import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres

/// An RFC 9457 problem: what went wrong, as `application/problem+json`, naming the field when one
/// field caused it. Every refusal of the API is one of these; nothing else leaves as an error.
public struct Problem: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// A short stable code (`over_budget`, `four_eyes`, …); the `type` is `urn:ledger:problem:<code>`.
    public var code: String
    public var title: String
    public var detail: String
    /// The JSON field (or query parameter, or header) that caused it.
    public var field: String?
    /// Seconds, for 429 and 503.
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, code: String, title: String, detail: String, field: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.field = field
        self.retryAfter = retryAfter
    }

    // MARK: The usual ones

    public static func badRequest(field: String?, _ detail: String) -> Problem {
        Problem(.badRequest, code: "invalid_input", title: "The request is malformed", detail: detail, field: field)
    }

    public static func notSignedIn(_ detail: String = "sign in first: POST /api/v1/session with user and password") -> Problem {
        Problem(.unauthorized, code: "not_signed_in", title: "Not signed in", detail: detail)
    }

    public static func notFound(_ detail: String, field: String? = nil) -> Problem {
        Problem(.notFound, code: "not_found", title: "Not found", detail: detail, field: field)
    }

    public static func busy(_ detail: String, retryAfter: Int) -> Problem {
        Problem(.serviceUnavailable, code: "busy", title: "The service is busy", detail: detail, retryAfter: retryAfter)
    }

    // MARK: From the layers below

    /// The problem a failure of the domain, the event store or PostgreSQL amounts to. Messages of
    /// unexpected database errors are not passed on (they can quote values); the log has them.
    public static func from(_ error: any Error) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as DomainError:
            return from(error)
        case let error as EventStoreError:
            return from(error)
        case let error as PostgresError:
            return from(error)
        case let error as HTTPError:
            return Problem(error.status, code: "http", title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase)
        default:
            return internalError
        }
    }

    static let internalError = Problem(
        .internalServerError, code: "internal", title: "Internal error",
        detail: "the service failed unexpectedly; nothing was recorded unless a later read shows it (the log has the request id)"
    )

    static func from(_ error: DomainError) -> Problem {
        let detail = error.message
        let field = error.field.map(Self.jsonField)
        switch error.code {
        case .invalidInput:
            return Problem(.badRequest, code: "invalid_input", title: "The request is malformed", detail: detail, field: field)
        case .unknownProgram, .unknownBeneficiary, .unknownApplication, .unknownPayment, .unknownLoan, .unknownBudget:
            return Problem(.notFound, code: snake(error.code.rawValue), title: "Not found", detail: detail, field: field)
        case .alreadyExists, .conflictingDuplicate:
            return Problem(.conflict, code: snake(error.code.rawValue), title: "Conflict", detail: detail, field: field)
        case .fourEyes:
            return Problem(.forbidden, code: "four_eyes", title: "Refused by the database's roles", detail: detail, field: field)
        case .permissionDenied:
            return Problem(.forbidden, code: "permission_denied", title: "Refused by the database's roles", detail: detail, field: field)
        case .contention:
            return Problem(.serviceUnavailable, code: "contention", title: "The service is busy", detail: detail, retryAfter: 1)
        case .notEligible, .overCap, .overBudget, .belowCommitted, .outsideProgramWindow, .wrongStatus, .outOfOrder, .noBankAccount, .overpayment,
             .duplicateNationalID, .nationalIDKey, .repaymentExceedsOwed, .amountOverflow, .refusedByDatabase:
            return Problem(.unprocessableContent, code: snake(error.code.rawValue), title: "Refused by a rule", detail: detail, field: field)
        }
    }

    static func from(_ error: EventStoreError) -> Problem {
        switch error.code {
        case .versionConflict:
            return Problem(.conflict, code: "version_conflict", title: "Conflict", detail: error.message)
        case .idempotencyMismatch:
            return Problem(.conflict, code: "idempotency_conflict", title: "Conflict", detail: error.message, field: "Idempotency-Key")
        case .permissionDenied, .appendOnly:
            return Problem(.forbidden, code: "permission_denied", title: "Refused by the database's roles", detail: error.message)
        case .ruleBroken:
            return Problem(.unprocessableContent, code: "refused_by_database", title: "Refused by a rule", detail: error.message)
        case .logBusy:
            return Problem(.serviceUnavailable, code: "busy", title: "The service is busy", detail: error.message, retryAfter: 1)
        case .database:
            return error.underlying.map(from) ?? internalError
        default:
            return Problem(.badRequest, code: "invalid_input", title: "The request is malformed", detail: error.message)
        }
    }

    static func from(_ error: PostgresError) -> Problem {
        switch error.code {
        case .insufficientPrivilege:
            return Problem(.forbidden, code: "permission_denied", title: "Refused by the database's roles", detail: error.message)
        case .connectionFailure:
            return Problem(.serviceUnavailable, code: "database_unavailable", title: "The database is not reachable",
                           detail: "the database connection failed; try again shortly", retryAfter: 5)
        case .queryCanceled:
            return Problem(.serviceUnavailable, code: "canceled", title: "The request was canceled", detail: error.message, retryAfter: 1)
        default:
            if error.code.rawValue.hasPrefix("LD") || error.code.rawValue.hasPrefix("LN") || error.code == .checkViolation {
                return Problem(.unprocessableContent, code: "refused_by_database", title: "Refused by a rule", detail: error.message)
            }
            return internalError
        }
    }

    /// `--amount` → `amount_vnd`-style names are the handlers' business; here only the CLI's
    /// spelling of a field is turned into JSON's (`--paid-on` → `paid_on`).
    static func jsonField(_ field: String) -> String {
        if let renamed = renamedFields[field] { return renamed }
        var name = field
        while name.hasPrefix("-") { name.removeFirst() }
        return name.replacingOccurrences(of: "-", with: "_")
    }

    /// CLI flags whose JSON field has another name: ids of other things end in `_id`, amounts in `_vnd`.
    static let renamedFields: [String: String] = [
        "--application": "application_id", "--beneficiary": "beneficiary_id", "--amount": "amount_vnd",
        "--principal": "principal_vnd", "--loan": "loan_id",
    ]

    /// `overBudget` → `over_budget`; a run of capitals is one word (`nationalIDKey` → `national_id_key`).
    static func snake(_ camel: String) -> String {
        let characters = Array(camel)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if previous.isLowercase || (previous.isUppercase && next?.isLowercase == true) { result += "_" }
            }
            result += character.lowercased()
        }
        return result
    }

    // MARK: Rendering

    struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let code: String
        let field: String?
        let requestID: String?
        let retryAfter: Int?

        enum CodingKeys: String, CodingKey {
            case type, title, status, detail, code, field, requestID = "request_id", retryAfter = "retry_after"
        }
    }

    public func response(requestID: String?) -> Response {
        let body = Body(type: "urn:ledger:problem:\(code)", title: title, status: status.code, detail: detail, code: code,
                        field: field, requestID: requestID, retryAfter: retryAfter)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
