import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres
import Projections

/// `ledger audit verify` and `ledger audit digest` over HTTP, on the person's own connection
/// (auditors may; the database's grants decide). Tree heads and proofs: Routes+Proofs.swift.
extension LedgerServer {
    func addAuditRoutes(to router: Router<LedgerRequestContext>) {
        // The hash chain and the Merkle tree, then (unless chain_only) a replay of every domain
        // rule. With digest_position and digest_hash (from an earlier GET /api/v1/audit/digest),
        // history up to the digest is proved unchanged too; with digest_root_hash as well (the
        // tree head's root_hash), the tree of that size must still have that root.
        router.get("/api/v1/audit/verify") { request, context in
            try await self.read(request, context, allowed: ["chain_only", "digest_position", "digest_hash", "digest_root_hash"]) { query, session in
                let chainOnly = try query.bool("chain_only")
                let expected = try Self.digest(query)
                let treeHead = try Self.treeHead(query, digest: expected)
                let started = ContinuousClock.now
                let verification = try await EventStore(connection: session.connection).verifyChain(digest: expected, treeHead: treeHead)
                let invariants = chainOnly ? nil : try await session.service.auditInvariants()
                return AuditVerifyDocument(
                    verification, digest: expected, invariants: invariants, duration: ContinuousClock.now - started
                )
            }
        }

        // Exactly the file `ledger audit digest` writes (the tree head now, ledger-tree-head-v1,
        // signed when the service has --sign-key; it keeps position and hash), to keep and give
        // later to `ledger audit verify --digest FILE` (or to digest_position/digest_hash above).
        router.get("/api/v1/audit/digest") { request, context in
            try await self.withSession(request, context) { session in
                _ = try QueryParameters(request, allowed: [])
                let file = try await self.treeHeadFileNow(session)
                return Self.fileResponse(file.text, filename: "ledger-digest-\(file.head.treeSize).json", user: session.user)
            }
        }

        addProofRoutes(to: router)
    }

    /// The kept tree head's root (`digest_root_hash`), with the digest it belongs to.
    static func treeHead(_ query: QueryParameters, digest: Digest?) throws -> TreeHead? {
        guard let root = try query.string("digest_root_hash") else { return nil }
        guard let digest else {
            throw Problem.badRequest(field: "digest_root_hash", "digest_root_hash: give it with digest_position and digest_hash")
        }
        guard root.count == 64, EventHashing.bytes(hex: root) != nil else {
            throw Problem.badRequest(field: "digest_root_hash", "digest_root_hash: must be 64 hexadecimal characters")
        }
        return TreeHead(treeSize: digest.position, rootHash: root.lowercased(), chainHash: digest.hash.lowercased(), takenAtMicros: 0)
    }

    /// A digest given as `digest_position` and `digest_hash` (both or neither).
    static func digest(_ query: QueryParameters) throws -> Digest? {
        let position = try query.string("digest_position"), hash = try query.string("digest_hash")
        switch (position, hash) {
        case (nil, nil): return nil
        case (nil, _): throw Problem.badRequest(field: "digest_position", "digest_position: required with digest_hash")
        case (_, nil): throw Problem.badRequest(field: "digest_hash", "digest_hash: required with digest_position")
        case let (position?, hash?):
            guard let number = Int64(position), number >= 0 else {
                throw Problem.badRequest(field: "digest_position", "digest_position: \(position.debugDescription) must be a position (0 or more)")
            }
            guard hash.count == 64, EventHashing.bytes(hex: hash) != nil else {
                throw Problem.badRequest(field: "digest_hash", "digest_hash: must be 64 hexadecimal characters")
            }
            return Digest(position: number, hash: hash)
        }
    }
}

/// `audit verify --format json` (`VerifyReport`), with a summary an operator reads first:
/// `result` (`intact`, `rules broken`, `not intact`), `problems_found` and `duration_ms`.
struct AuditVerifyDocument: Encodable, Sendable {
    let report: VerifyReport
    let durationMilliseconds: Int64

    init(_ verification: ChainVerification, digest: Digest?, invariants: InvariantAudit?, duration: Duration) {
        report = VerifyReport(verification, digest: digest, invariants: invariants)
        durationMilliseconds = duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(report.result, forKey: DynamicKey("result"))
        try container.encode(report.problemsFound, forKey: DynamicKey("problems_found"))
        try container.encode(durationMilliseconds, forKey: DynamicKey("duration_ms"))
    }
}
