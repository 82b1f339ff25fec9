import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres
import Projections

/// `ledger audit verify` and `ledger audit digest` over HTTP, on the person's own connection
/// (auditors may; the database's grants decide).
extension LedgerServer {
    func addAuditRoutes(to router: Router<LedgerRequestContext>) {
        // The hash chain, then (unless chain_only) a replay of every domain rule. With
        // digest_position and digest_hash (from an earlier GET /api/v1/audit/digest), history
        // up to the digest is proved unchanged too.
        router.get("/api/v1/audit/verify") { request, context in
            try await self.read(request, context, allowed: ["chain_only", "digest_position", "digest_hash"]) { query, session in
                let chainOnly = try query.bool("chain_only")
                let expected = try Self.digest(query)
                let started = ContinuousClock.now
                let verification = try await EventStore(connection: session.connection).verifyChain(digest: expected)
                let invariants = chainOnly ? nil : try await session.service.auditInvariants()
                return AuditVerifyDocument(
                    verification, digest: expected, invariants: invariants, duration: ContinuousClock.now - started
                )
            }
        }

        // Exactly the file `ledger audit digest` writes, to keep and give later to
        // `ledger audit verify --digest FILE` (or to digest_position/digest_hash above).
        router.get("/api/v1/audit/digest") { request, context in
            try await self.withSession(request, context) { session in
                _ = try QueryParameters(request, allowed: [])
                let digest = try await EventStore(connection: session.connection).digest()
                let text = try DigestFileText.render(digest)
                var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
                headers[.contentDisposition] = "attachment; filename=\"ledger-digest-\(digest.position).json\""
                headers[SessionHeaders.user] = session.user
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
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

/// The digest file of `ledger audit digest`: `{"hash": …, "position": N, "taken_at": "…"}`,
/// pretty-printed with sorted keys, ending in a newline.
enum DigestFileText {
    struct Document: Codable {
        let position: Int64
        let hash: String
        let takenAt: String?

        enum CodingKeys: String, CodingKey {
            case position, hash, takenAt = "taken_at"
        }
    }

    static func render(_ digest: Digest, now: Date = Date()) throws -> String {
        let micros = Int64(now.timeIntervalSince1970 * 1_000_000)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(position: digest.position, hash: digest.hash,
                                takenAt: PostgresTimestamp.isoString(microsecondsSinceEpoch: micros))
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}

/// `audit verify --format json`, with a summary an operator reads first: `result` (`intact`,
/// `rules broken`, `not intact`), `problems` (the chain's problem and every rule broken, as found)
/// and the time it took.
struct AuditVerifyDocument: Encodable, Sendable {
    struct ChainProblemDocument: Encodable, Sendable {
        let position: Int64
        let kind: String
        let message: String
    }

    let intact: Bool
    let eventsChecked: Int64
    let fromPosition: Int64
    let throughPosition: Int64
    let head: Digest
    let digest: Digest?
    let problem: ChainProblemDocument?
    let rulesHold: Bool?
    let eventsReplayed: Int64?
    let violationCount: Int?
    let violations: [InvariantViolation]?
    let result: String
    let problemsFound: Int
    let durationMilliseconds: Int64

    init(_ verification: ChainVerification, digest: Digest?, invariants: InvariantAudit?, duration: Duration) {
        rulesHold = invariants.map { $0.violationCount == 0 }
        eventsReplayed = invariants?.eventsChecked
        violationCount = invariants?.violationCount
        violations = invariants?.violations
        intact = verification.isIntact
        eventsChecked = verification.eventsChecked
        fromPosition = verification.fromPosition
        throughPosition = verification.throughPosition
        head = verification.head
        self.digest = digest
        problem = verification.problem.map { ChainProblemDocument(position: $0.position, kind: $0.kind.rawValue, message: $0.message) }
        let broken = invariants?.violationCount ?? 0
        result = verification.problem != nil ? "not intact" : broken > 0 ? "rules broken" : "intact"
        problemsFound = (verification.problem == nil ? 0 : 1) + broken
        durationMilliseconds = duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    enum CodingKeys: String, CodingKey {
        case intact, eventsChecked = "events_checked", fromPosition = "from_position", throughPosition = "through_position"
        case head, digest, problem, rulesHold = "rules_hold", eventsReplayed = "events_replayed"
        case violationCount = "violation_count", violations, result, problemsFound = "problems_found"
        case durationMilliseconds = "duration_ms"
    }
}
