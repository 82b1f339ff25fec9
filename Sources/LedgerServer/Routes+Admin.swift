import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// Admins' writes: `POST /api/v1/budgets` (`ledger budget allocate`),
/// `POST /api/v1/budgets/adjustments` (`ledger budget adjust`) and `POST /api/v1/programs`
/// (`ledger program load`: the catalog JSON is the body).
extension LedgerServer {
    func addAdminRoutes(to router: Router<LedgerRequestContext>) {
        let budgetFields: Set<String> = ["program", "year", "unit", "district", "amount_vnd", "reference"]
        router.post("/api/v1/budgets") { request, context in
            try await self.write(request, context, allowed: budgetFields) { body, session, commandID in
                let target = try Self.budgetTarget(body)
                let amount = try body.amount("amount_vnd")
                let reference = try body.string("reference")
                return try await Self.renaming(["amount": "amount_vnd", "--amount": "amount_vnd"]) {
                    let unit = try await session.service.resolveUnit(target.unit.text, when: .inYear(target.year), field: target.unit.field)
                    let outcome = try await session.service.allocateBudget(
                        program: target.program, year: target.year, district: unit, amount: amount, reference: reference, commandID: commandID
                    )
                    return WriteResult(outcome: outcome, ids: ["program": target.program, "year": String(target.year), "unit": unit.rawValue])
                }
            }
        }

        router.post("/api/v1/budgets/adjustments") { request, context in
            try await self.write(request, context, allowed: budgetFields) { body, session, commandID in
                let target = try Self.budgetTarget(body)
                let delta = try body.amount("amount_vnd", signed: true)
                let reference = try body.string("reference")
                return try await Self.renaming(["amount": "amount_vnd", "--amount": "amount_vnd", "delta": "amount_vnd"]) {
                    let unit = try await session.service.resolveUnit(target.unit.text, when: .inYear(target.year), field: target.unit.field)
                    let outcome = try await session.service.adjustBudget(
                        program: target.program, year: target.year, district: unit, delta: delta, reference: reference, commandID: commandID
                    )
                    return WriteResult(outcome: outcome, ids: ["program": target.program, "year": String(target.year), "unit": unit.rawValue])
                }
            }
        }

        router.post("/api/v1/programs") { request, context in
            try await self.withSession(request, context) { session in
                let commandID = try Self.commandID(request)
                let text = try await Self.catalogText(request)
                let outcome = try await session.service.loadCatalog(text, commandID: commandID)
                return try Self.respond(WriteResult(outcome: outcome), user: session.user)
            }
        }
    }

    /// A budget's programme, fiscal year and unit, as `ledger budget`'s `--program --year --unit`.
    static func budgetTarget(_ body: JSONBody) throws -> (program: String, year: Int, unit: (text: String, field: String)) {
        let program = try body.string("program")
        guard let year = try fiscalYear(body) else { throw Problem.badRequest(field: "year", "year: required") }
        return (program, year, try unitText(body, required: true)!)
    }

    /// The body of `POST /api/v1/programs`: a programme catalog, JSON in UTF-8.
    static func catalogText(_ request: Request) async throws -> String {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: JSONBody.maximumBytes)
        } catch {
            throw Problem(.contentTooLarge, code: "too_large", title: "The request is too large",
                          detail: "a programme catalog may have at most \(JSONBody.maximumBytes) bytes")
        }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw Problem(.unsupportedMediaType, code: "unsupported_media_type", title: "Unsupported media type",
                          detail: "send the catalog as application/json (it was \(type))", field: "Content-Type")
        }
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.isEmpty else { throw Problem.badRequest(field: nil, "the body is empty: send the programme catalog (JSON)") }
        if let byte = DomainText.firstInvalidUTF8Byte(bytes) {
            throw Problem.badRequest(field: nil, "the catalog is not valid UTF-8 (byte \(byte))")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
