import EventStore
import Foundation
import Postgres

/// Corrections as events: beneficiaries amended, the categories the ledger knows.
extension LedgerService {
    /// What an amendment's idempotency digest is taken over: the national id only as its fingerprint.
    struct AmendCommand: Codable, Sendable { let amendment: AmendBeneficiary, fingerprint: String? }

    /// Amends a beneficiary (`BeneficiaryAmended`, officers). A new national id is fingerprinted
    /// by the database and must not be another beneficiary's; the beneficiary's old one is freed.
    public func amendBeneficiary(_ command: AmendBeneficiary, nationalID: NationalID?, commandID: String? = nil) async throws -> CommandOutcome {
        let id = try Identifier.validated(command.id, field: "--id")
        let fingerprint: String? = if let nationalID { try await self.fingerprint(nationalID) } else { nil }
        let issuing = nationalID.map { [$0] } ?? []
        return try await run("amend", AmendCommand(amendment: command, fingerprint: fingerprint), commandID: commandID, issuing: issuing) {
            let existing = try await load(BeneficiaryState.self, stream: Streams.beneficiary(id))
            let holder: String? = if let fingerprint { try await nationalIDHolder(fingerprint) } else { nil }
            return try BeneficiaryDecisions.amend(
                command, existing: existing, fingerprint: fingerprint, nationalIDHolder: holder,
                knownCategories: try await knownCategories()
            )
        }
    }

    /// The beneficiary id holding `fingerprint`, if any (`ledger.national_ids`, kept by the append).
    func nationalIDHolder(_ fingerprint: String) async throws -> String? {
        try await connection.query(
            "SELECT substr(beneficiary_stream, length('beneficiary-') + 1) FROM ledger.national_ids WHERE fingerprint = $1",
            [fingerprint]
        ) { try $0.string(0) }.first
    }

    /// The categories the ledger knows: declared by a catalog (`CategoryDefined`) or listed as
    /// eligible by a programme (`ledger.known_categories`, kept by the append). Empty: a ledger
    /// without a catalog, which accepts any category.
    public func knownCategories() async throws -> Set<String> {
        Set(try await connection.query("SELECT name FROM ledger.known_categories") { try $0.string(0) })
    }

    /// Every declared category with its labels, in name order.
    public func declaredCategories() async throws -> [CategoryDefined] {
        try await recordedCategories().values.map(\.0).sorted { $0.name < $1.name }
    }

    /// The last `CategoryDefined` of each declared category, with its stream's version.
    func recordedCategories() async throws -> [String: (CategoryDefined, version: Int64)] {
        let streams = try await connection.query(
            "SELECT stream_id FROM ledger.streams WHERE stream_id LIKE 'category-%' ORDER BY stream_id"
        ) { try $0.string(0) }
        var categories: [String: (CategoryDefined, version: Int64)] = [:]
        for stream in streams {
            for (event, context) in try await events(of: stream, after: 0) {
                if case .categoryDefined(let category) = event { categories[category.name] = (category, context.streamVersion) }
            }
        }
        return categories
    }
}
