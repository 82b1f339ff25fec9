import Foundation
import Postgres

/// The proof files an auditor or inspector carries (docs/audit.md, "Proofs"): pretty-printed JSON
/// with sorted keys and a final newline, checked offline by `scripts/verify-proof`.
///
/// - `ledger-inclusion-proof-v1`: an event (its export line's fields), its leaf input and leaf
///   hash, its RFC 9162 inclusion path in the tree of `tree_size` events, the root, and the tree head.
/// - `ledger-receipt-v1`: the same for a payment's `PaymentRecorded` event, with `payment_id`; the
///   tree head is signed.
/// - `ledger-consistency-proof-v1`: the RFC 9162 consistency path from an old tree to a new one,
///   with both roots and both tree heads.
public enum ProofFile {
    public static let inclusionFormat = "ledger-inclusion-proof-v1"
    public static let receiptFormat = "ledger-receipt-v1"
    public static let consistencyFormat = "ledger-consistency-proof-v1"

    struct EventDocument: Encodable {
        let event: RecordedEvent

        enum CodingKeys: String, CodingKey {
            case position, streamID = "stream_id", streamVersion = "stream_version", eventType = "event_type"
            case schemaVersion = "schema_version", recordedAt = "recorded_at", recordedAtMicros = "recorded_at_micros"
            case commandID = "command_id", payloadText = "payload_text", metadataText = "metadata_text"
            case prevHash = "prev_hash", hash
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event.position, forKey: .position)
            try container.encode(event.streamID.rawValue, forKey: .streamID)
            try container.encode(event.streamVersion, forKey: .streamVersion)
            try container.encode(event.type, forKey: .eventType)
            try container.encode(event.schemaVersion, forKey: .schemaVersion)
            try container.encode(VietnamTime.rfc3339(microsecondsSinceEpoch: event.recordedAtMicroseconds), forKey: .recordedAt)
            try container.encode(event.recordedAtMicroseconds, forKey: .recordedAtMicros)
            try container.encode(event.commandID, forKey: .commandID)
            try container.encode(event.payloadJSON, forKey: .payloadText)
            try container.encode(event.metadataJSON, forKey: .metadataText)
            try container.encode(EventHashing.hex(event.previousHash), forKey: .prevHash)
            try container.encode(EventHashing.hex(event.hash), forKey: .hash)
        }
    }

    struct InclusionDocument: Encodable {
        let format: String
        let event: EventDocument
        let leafInput: String
        let leafHash: String
        let leafIndex: Int64
        let paymentID: String?
        let path: [String]
        let rootHash: String
        let treeHead: TreeHeadFile.Document
        let treeSize: Int64

        enum CodingKeys: String, CodingKey {
            case format, event, leafInput = "leaf_input", leafHash = "leaf_hash", leafIndex = "leaf_index"
            case paymentID = "payment_id", path, rootHash = "root_hash", treeHead = "tree_head", treeSize = "tree_size"
        }
    }

    struct ConsistencyDocument: Encodable {
        let format: String
        let newRoot: String
        let newSize: Int64
        let newTreeHead: TreeHeadFile.Document
        let oldRoot: String
        let oldSize: Int64
        let oldTreeHead: TreeHeadFile.Document
        let path: [String]

        enum CodingKeys: String, CodingKey {
            case format, newRoot = "new_root", newSize = "new_size", newTreeHead = "new_tree_head"
            case oldRoot = "old_root", oldSize = "old_size", oldTreeHead = "old_tree_head", path
        }
    }

    /// Why a proof cannot be written for this head.
    public struct Mismatch: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// An inclusion proof (or, with `paymentID`, a receipt) of `proof` in the tree `head` commits to.
    public static func inclusion(_ proof: InclusionProof, head: TreeHead, paymentID: String? = nil) throws -> String {
        guard head.treeSize == proof.treeSize, head.rootHash == EventHashing.hex(proof.root) else {
            throw Mismatch(description: "the proof is for the tree of \(proof.treeSize) events with root \(EventHashing.hex(proof.root)), "
                + "the tree head for \(head.treeSize) with root \(head.rootHash)")
        }
        return try render(InclusionDocument(
            format: paymentID == nil ? inclusionFormat : receiptFormat, event: EventDocument(event: proof.event),
            leafInput: proof.leafInput, leafHash: EventHashing.hex(proof.leafHash), leafIndex: proof.leafIndex, paymentID: paymentID,
            path: proof.path.map(EventHashing.hex), rootHash: EventHashing.hex(proof.root),
            treeHead: try TreeHeadFile.document(head), treeSize: proof.treeSize
        ))
    }

    /// A consistency proof from the tree `old` commits to to the tree `new` commits to.
    public static func consistency(path: [[UInt8]], old: TreeHead, new: TreeHead) throws -> String {
        try render(ConsistencyDocument(
            format: consistencyFormat, newRoot: new.rootHash, newSize: new.treeSize, newTreeHead: try TreeHeadFile.document(new),
            oldRoot: old.rootHash, oldSize: old.treeSize, oldTreeHead: try TreeHeadFile.document(old), path: path.map(EventHashing.hex)
        ))
    }

    static func render(_ document: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}
