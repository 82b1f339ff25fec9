import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// The other writes of the CLI contract: beneficiaries, applications, loans, budgets,
/// programmes, payment imports.
extension LedgerServer {
    func addWriteRoutes(to router: Router<LedgerRequestContext>) {
        addBeneficiaryRoutes(to: router)
        addApplicationRoutes(to: router)
        addLoanRoutes(to: router)
        addAdminRoutes(to: router)
        addPaymentImportRoutes(to: router)
    }

    /// Runs `body`, giving a `DomainError` it throws this route's JSON name for the CLI flag it
    /// names (`--id` is `beneficiary_id` when registering, `application_id` when submitting);
    /// flags not in `names` are left to `Problem.jsonField`.
    static func renaming<T>(_ names: [String: String], _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DomainError {
            guard let field = error.field, let renamed = names[field] else { throw error }
            throw DomainError(error.code, error.message, field: renamed)
        }
    }

    /// As `write`, but an empty body (no JSON at all) is an empty object: for commands whose
    /// fields are all optional (`/closure`).
    func writeAllowingEmptyBody(
        _ request: Request, _ context: LedgerRequestContext, allowed: Set<String>,
        _ body: @Sendable (JSONBody, Session, String?) async throws -> WriteResult
    ) async throws -> Response {
        try await withSession(request, context) { session in
            let commandID = try Self.commandID(request)
            let json = try await JSONBody.readAllowingEmpty(request, allowed: allowed)
            let result = try await body(json, session, commandID)
            return try Self.respond(result, user: session.user)
        }
    }

    /// The unit a body names as `unit` or its alias `district` (not both), with the field it came in.
    static func unitText(_ body: JSONBody, required: Bool) throws -> (text: String, field: String)? {
        let unit = try body.optionalString("unit")
        let district = try body.optionalString("district")
        if unit != nil, district != nil {
            throw Problem.badRequest(field: "district", "district: give unit or its alias district, not both")
        }
        if let unit { return (unit, "unit") }
        if let district { return (district, "district") }
        if required { throw Problem.badRequest(field: "unit", "unit: required (or its alias district)") }
        return nil
    }

    /// A fiscal year, as the CLI's `--year` (2000–2100).
    static func fiscalYear(_ body: JSONBody, _ name: String = "year") throws -> Int? {
        guard let year = try body.optionalInteger(name) else { return nil }
        guard (2000...2100).contains(year) else {
            throw Problem.badRequest(field: name, "\(name): \(year) is not a fiscal year (2000–2100)")
        }
        return Int(year)
    }
}

extension JSONBody {
    /// A JSON body that may be left out entirely (every field optional).
    static func readAllowingEmpty(_ request: Request, allowed: Set<String>) async throws -> JSONBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBytes)
        } catch {
            throw Problem(.contentTooLarge, code: "too_large", title: "The request is too large",
                          detail: "a JSON body may have at most \(maximumBytes) bytes")
        }
        let data = Data(buffer: buffer)
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return JSONBody(fields: [:]) }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw Problem(.unsupportedMediaType, code: "unsupported_media_type", title: "Unsupported media type",
                          detail: "send the body as application/json (it was \(type))", field: "Content-Type")
        }
        let body = try parse(data)
        if let unknown = body.fields.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw Problem.badRequest(field: unknown, "\(unknown): unknown field (expected: \(allowed.sorted().joined(separator: ", ")))")
        }
        return body
    }

    /// A list of strings sent as an array, or one string on its own (`"category": "poor"`).
    func stringList(_ name: String) throws -> [String] {
        if case .string(let text)? = fields[name] {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? [] : [trimmed]
        }
        return try strings(name)
    }
}
