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
    /// A list of strings sent as an array, or one string on its own (`"category": "poor"`).
    func stringList(_ name: String) throws -> [String] {
        if case .string(let text)? = fields[name] {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? [] : [trimmed]
        }
        return try strings(name)
    }
}
