import Foundation
import Postgres

/// A tree head: the size of the Merkle tree over the log, its root, the chain head hash at the
/// same position and when it was taken, optionally signed with Ed25519 (`TreeSigningKey`).
/// Its file is `TreeHeadFile` (format `ledger-tree-head-v1`, docs/audit.md).
public struct TreeHead: Sendable, Equatable {
    /// The file's `format`, and the first line of the signed message.
    public static let format = "ledger-tree-head-v1"

    /// How many events (leaves) the tree covers; equals the chain position.
    public var treeSize: Int64
    /// Lowercase hex of the tree's root (MTH of the first `treeSize` leaves).
    public var rootHash: String
    /// Lowercase hex of the chain hash at position `treeSize` (64 zeros for an empty log).
    public var chainHash: String
    /// When the head was taken, in microseconds since the Unix epoch.
    public var takenAtMicros: Int64
    /// The signature over `signedMessage`, if the head was signed.
    public var signature: Signature?

    /// An Ed25519 signature over `signedMessage`.
    public struct Signature: Sendable, Equatable {
        /// Always `Ed25519` (the only algorithm a file may name).
        public var algorithm: String
        /// Lowercase hex of SHA-256 of the signer's 32-byte raw public key.
        public var keyID: String
        /// Standard base64 of the 64-byte signature.
        public var value: String

        public init(algorithm: String = "Ed25519", keyID: String, value: String) {
            self.algorithm = algorithm
            self.keyID = keyID.lowercased()
            self.value = value
        }
    }

    public init(treeSize: Int64, rootHash: String, chainHash: String, takenAtMicros: Int64, signature: Signature? = nil) {
        self.treeSize = treeSize
        self.rootHash = rootHash.lowercased()
        self.chainHash = chainHash.lowercased()
        self.takenAtMicros = takenAtMicros
        self.signature = signature
    }

    /// What Ed25519 signs: UTF-8 of five lines joined by "\n", no trailing newline —
    /// `ledger-tree-head-v1`, tree_size, root_hash, hash, taken_at_micros.
    public var signedMessage: [UInt8] {
        Array([Self.format, String(treeSize), rootHash, chainHash, String(takenAtMicros)].joined(separator: "\n").utf8)
    }

    /// The chain digest the head also commits to (what `verifyChain(digest:)` checks).
    public var digest: Digest { Digest(position: treeSize, hash: chainHash) }

    /// The same head without its signature.
    public var unsigned: TreeHead {
        var head = self
        head.signature = nil
        return head
    }
}

/// What a kept digest file holds: an old chain digest (`{"hash", "position", "taken_at"}`, no
/// tree) or a tree head (`ledger-tree-head-v1`, signed or not).
public enum KeptDigest: Sendable, Equatable {
    case chainOnly(Digest)
    case tree(TreeHead)

    /// The chain position and hash, whichever kind of file.
    public var digest: Digest {
        switch self {
        case .chainOnly(let digest): digest
        case .tree(let head): head.digest
        }
    }

    /// The tree head, if the file has one.
    public var treeHead: TreeHead? {
        if case .tree(let head) = self { return head }
        return nil
    }
}

/// The tree head file (`ledger audit digest`): pretty-printed JSON with sorted keys and a final
/// newline. It keeps `hash` and `position`, so readers of the old digest file read it too.
public enum TreeHeadFile {
    struct Document: Encodable {
        let format: String
        let hash: String
        let position: Int64
        let rootHash: String
        let signature: SignatureDocument?
        let takenAt: String
        let takenAtMicros: Int64
        let treeSize: Int64

        enum CodingKeys: String, CodingKey {
            case format, hash, position, rootHash = "root_hash", signature, takenAt = "taken_at",
                 takenAtMicros = "taken_at_micros", treeSize = "tree_size"
        }
    }

    struct SignatureDocument: Encodable {
        let algorithm: String
        let keyID: String
        let value: String

        enum CodingKeys: String, CodingKey {
            case algorithm, keyID = "key_id", value
        }
    }

    /// The file's text, ending in a newline. Refuses (`DigestFile.Unreadable`) a head that its
    /// own `parse` would refuse, so every file written can be read back.
    public static func render(_ head: TreeHead) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(try document(head)), as: UTF8.self) + "\n"
    }

    /// The head as the JSON object the file holds (also nested in proofs and receipts).
    static func document(_ head: TreeHead) throws -> Document {
        try check(head)
        return Document(
            format: TreeHead.format, hash: head.chainHash, position: head.treeSize, rootHash: head.rootHash,
            signature: head.signature.map { SignatureDocument(algorithm: $0.algorithm, keyID: $0.keyID, value: $0.value) },
            takenAt: VietnamTime.rfc3339(microsecondsSinceEpoch: head.takenAtMicros),
            takenAtMicros: head.takenAtMicros, treeSize: head.treeSize
        )
    }

    /// What a kept digest file holds: an old chain digest or a tree head. `DigestFile.Unreadable`
    /// names the key and what is wrong with it.
    public static func parse(_ data: Data) throws -> KeptDigest {
        let fields = try object(data)
        var seen = Set<String>()
        for (key, _) in fields {
            guard seen.insert(key).inserted else { throw unreadable("\(key): given more than once") }
        }
        let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        guard let formatValue = values["format"] else {
            for key in ["root_hash", "tree_size", "taken_at_micros", "signature"] where values[key] != nil {
                throw unreadable("format: missing; a file with \(key) must say \"format\": \"\(TreeHead.format)\"")
            }
            return .chainOnly(try oldDigest(values))
        }
        guard case .string(let format) = formatValue else { throw unreadable("format: must be a string (\(TreeHead.format))") }
        guard format == TreeHead.format else {
            throw unreadable("format: expected \(TreeHead.format), not \(format.isEmpty ? "an empty string" : format)")
        }
        let known: Set = ["format", "hash", "position", "root_hash", "signature", "taken_at", "taken_at_micros", "tree_size"]
        if let unknown = fields.first(where: { !known.contains($0.0) }) {
            throw unreadable("\(unknown.0): not a key of \(TreeHead.format)")
        }
        let treeSize = try integer(values, "tree_size")
        guard treeSize >= 0 else { throw unreadable("tree_size: must be ≥ 0, not \(treeSize)") }
        let position = try integer(values, "position")
        guard position == treeSize else { throw unreadable("position: \(position) differs from tree_size \(treeSize)") }
        let rootHash = try hex(values, "root_hash")
        let chainHash = try hex(values, "hash")
        let takenAtMicros = try integer(values, "taken_at_micros")
        guard takenAtMicros >= 0 else { throw unreadable("taken_at_micros: must be ≥ 0, not \(takenAtMicros)") }
        let takenAt = try string(values, "taken_at")
        let expected = VietnamTime.rfc3339(microsecondsSinceEpoch: takenAtMicros)
        guard takenAt == expected else {
            throw unreadable("taken_at: \(takenAt) is not taken_at_micros \(takenAtMicros) (\(expected))")
        }
        var signature: TreeHead.Signature?
        if let value = values["signature"] {
            signature = try parseSignature(value)
        }
        return .tree(TreeHead(treeSize: treeSize, rootHash: rootHash, chainHash: chainHash, takenAtMicros: takenAtMicros, signature: signature))
    }

    // MARK: - Reading

    static func unreadable(_ text: String) -> DigestFile.Unreadable {
        DigestFile.Unreadable(description: text)
    }

    /// The top-level object's fields, in file order.
    static func object(_ data: Data) throws -> [(String, MiniJSON.Value)] {
        let parsed: MiniJSON.Value? = data.withUnsafeBytes { raw in
            var reader = MiniJSON(raw.bindMemory(to: UInt8.self))
            return reader.document()
        }
        guard let parsed else {
            // Valid JSON that the strict reader refused: a number with a fraction or exponent.
            if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                for key in ["tree_size", "position", "taken_at_micros"] {
                    if let number = object[key] as? NSNumber, String(cString: number.objCType) == "d" {
                        throw unreadable("\(key): must be a whole number")
                    }
                }
                throw unreadable("not a digest file (numbers must be whole, nesting shallow)")
            }
            throw unreadable("not a digest file (expected JSON with position and hash)")
        }
        guard case .object(let fields) = parsed else {
            throw unreadable("not a digest file (expected JSON with position and hash)")
        }
        return fields
    }

    /// An old digest file, read as `DigestFile.parse` reads it (other keys ignored).
    static func oldDigest(_ values: [String: MiniJSON.Value]) throws -> Digest {
        guard case .integer(let position)? = values["position"], case .string(let hash)? = values["hash"] else {
            throw unreadable("not a digest file (expected JSON with position and hash)")
        }
        if let takenAt = values["taken_at"] {
            switch takenAt {
            case .string, .null: break
            default: throw unreadable("not a digest file (expected JSON with position and hash)")
            }
        }
        guard position >= 0 else { throw unreadable("position must be ≥ 0") }
        guard hash.utf8.count == 64, EventHashing.bytes(hex: hash) != nil else {
            throw unreadable("hash must be 64 hexadecimal characters")
        }
        return Digest(position: position, hash: hash)
    }

    static func integer(_ values: [String: MiniJSON.Value], _ key: String, in parent: String = "") throws -> Int64 {
        switch values[key] {
        case .integer(let value)?: return value
        case nil: throw unreadable("\(parent)\(key): missing")
        default: throw unreadable("\(parent)\(key): must be a whole number")
        }
    }

    static func string(_ values: [String: MiniJSON.Value], _ key: String, in parent: String = "") throws -> String {
        switch values[key] {
        case .string(let value)?: return value
        case nil: throw unreadable("\(parent)\(key): missing")
        default: throw unreadable("\(parent)\(key): must be a string")
        }
    }

    static func hex(_ values: [String: MiniJSON.Value], _ key: String, in parent: String = "") throws -> String {
        let text = try string(values, key, in: parent)
        guard isHex32(text) else {
            throw unreadable("\(parent)\(key): must be 64 lowercase hexadecimal characters, not \"\(shortened(text))\"")
        }
        return text
    }

    static func parseSignature(_ value: MiniJSON.Value) throws -> TreeHead.Signature {
        guard case .object(let fields) = value else {
            throw unreadable("signature: must be an object with algorithm, key_id and value")
        }
        var seen = Set<String>()
        for (key, _) in fields {
            guard seen.insert(key).inserted else { throw unreadable("signature.\(key): given more than once") }
            guard ["algorithm", "key_id", "value"].contains(key) else { throw unreadable("signature.\(key): not a key of a signature") }
        }
        let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        let algorithm = try string(values, "algorithm", in: "signature.")
        guard algorithm == "Ed25519" else {
            throw unreadable("signature.algorithm: unknown algorithm \(algorithm.isEmpty ? "(empty)" : shortened(algorithm)); only Ed25519 is known")
        }
        let keyID = try hex(values, "key_id", in: "signature.")
        let signatureValue = try string(values, "value", in: "signature.")
        guard isSignatureBase64(signatureValue) else {
            throw unreadable("signature.value: must be the standard base64 of a 64-byte Ed25519 signature")
        }
        return TreeHead.Signature(algorithm: algorithm, keyID: keyID, value: signatureValue)
    }

    // MARK: - Checks shared by render and parse

    static func check(_ head: TreeHead) throws {
        guard head.treeSize >= 0 else { throw unreadable("tree_size: must be ≥ 0, not \(head.treeSize)") }
        guard isHex32(head.rootHash) else { throw unreadable("root_hash: must be 64 lowercase hexadecimal characters") }
        guard isHex32(head.chainHash) else { throw unreadable("hash: must be 64 lowercase hexadecimal characters") }
        guard head.takenAtMicros >= 0 else { throw unreadable("taken_at_micros: must be ≥ 0") }
        if let signature = head.signature {
            guard signature.algorithm == "Ed25519" else {
                throw unreadable("signature.algorithm: unknown algorithm \(signature.algorithm); only Ed25519 is known")
            }
            guard isHex32(signature.keyID) else { throw unreadable("signature.key_id: must be 64 lowercase hexadecimal characters") }
            guard isSignatureBase64(signature.value) else {
                throw unreadable("signature.value: must be the standard base64 of a 64-byte Ed25519 signature")
            }
        }
    }

    /// 64 lowercase hexadecimal characters.
    static func isHex32(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Canonical standard base64 (padding, no line breaks) of exactly 64 bytes.
    static func isSignatureBase64(_ text: String) -> Bool {
        guard text.utf8.count == 88, let bytes = Data(base64Encoded: text), bytes.count == 64 else { return false }
        return bytes.base64EncodedString() == text
    }

    static func shortened(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(79)) + "…"
    }
}
