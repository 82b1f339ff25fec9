import Foundation
import Postgres

/// The digest file an auditor keeps: `{"hash": "<64 hex>", "position": N, "taken_at": "…"}`,
/// pretty-printed with sorted keys and a final newline (`ledger audit digest`, `GET
/// /api/v1/audit/digest`). Only position and hash are checked when it is read back.
public enum DigestFile {
    struct Document: Codable {
        let position: Int64
        let hash: String
        let takenAt: String?

        enum CodingKeys: String, CodingKey {
            case position, hash, takenAt = "taken_at"
        }
    }

    /// The file's text, taken now, ending in a newline.
    public static func render(_ digest: Digest, now: Date = Date()) throws -> String {
        let micros = Int64(now.timeIntervalSince1970 * 1_000_000)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(position: digest.position, hash: digest.hash,
                                takenAt: VietnamTime.rfc3339(microsecondsSinceEpoch: micros))
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    /// Why a file is not a digest, in words for its reader.
    public struct Unreadable: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The digest a file holds; `Unreadable` says what is wrong with it.
    public static func parse(_ data: Data) throws -> Digest {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw Unreadable(description: "not a digest file (expected JSON with position and hash)")
        }
        guard document.position >= 0 else { throw Unreadable(description: "position must be ≥ 0") }
        guard document.hash.count == 64, EventHashing.bytes(hex: document.hash) != nil else {
            throw Unreadable(description: "hash must be 64 hexadecimal characters")
        }
        return Digest(position: document.position, hash: document.hash)
    }
}
