import EventStore
import Foundation

/// What `ledger audit verify --format json` prints and `GET /api/v1/audit/verify` answers: the
/// chain's verification, the digest it was checked against, and the replay of the domain rules
/// (nil with chain-only).
public struct VerifyReport: Encodable, Sendable {
    public struct ChainProblem: Encodable, Sendable {
        public let position: Int64
        public let kind: String
        public let message: String
    }

    public let intact: Bool
    public let eventsChecked: Int64
    public let fromPosition: Int64
    public let throughPosition: Int64
    public let head: Digest
    public let digest: Digest?
    public let problem: ChainProblem?
    /// nil with chain-only.
    public let rulesHold: Bool?
    public let eventsReplayed: Int64?
    public let violationCount: Int?
    public let violations: [InvariantViolation]?
    /// "valid" when a tree head's signature was checked with a public key (nil: not checked).
    public let signature: String?
    /// With `--since`: the kept tree head's size and root, the tree's now, and the consistency proof's length.
    public let since: Since?
    /// Read on a hot standby: how far behind it was (absent on a primary).
    public var standby: StandbyStatus?

    public struct Since: Encodable, Sendable {
        public let oldSize: Int64
        public let oldRoot: String
        public let newSize: Int64
        public let newRoot: String?
        public let consistencyHashes: Int?

        enum CodingKeys: String, CodingKey {
            case oldSize = "old_size", oldRoot = "old_root", newSize = "new_size", newRoot = "new_root"
            case consistencyHashes = "consistency_hashes"
        }
    }

    public init(_ verification: ChainVerification, digest: Digest?, invariants: InvariantAudit?,
                signature: String? = nil, since: SinceVerification? = nil) {
        self.signature = signature
        self.since = since.map {
            Since(oldSize: $0.old.treeSize, oldRoot: $0.old.rootHash, newSize: $0.newSize,
                  newRoot: $0.consistencyPath == nil ? nil : EventHashing.hex($0.newRoot), consistencyHashes: $0.consistencyPath?.count)
        }
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
        problem = verification.problem.map { ChainProblem(position: $0.position, kind: $0.kind.rawValue, message: $0.message) }
    }

    /// `intact`, `rules broken` or `not intact`.
    public var result: String {
        problem != nil ? "not intact" : (violationCount ?? 0) > 0 ? "rules broken" : "intact"
    }

    /// The chain's problem (at most one) and every rule broken.
    public var problemsFound: Int { (problem == nil ? 0 : 1) + (violationCount ?? 0) }

    enum CodingKeys: String, CodingKey {
        case intact, eventsChecked = "events_checked", fromPosition = "from_position", throughPosition = "through_position"
        case head, digest, problem, rulesHold = "rules_hold", eventsReplayed = "events_replayed"
        case violationCount = "violation_count", violations, signature, since, standby
    }
}
