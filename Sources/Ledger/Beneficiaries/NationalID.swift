import Crypto
import Foundation

/// A national id number (9-digit identity card or 12-digit citizen identity card), held only
/// long enough to compute its fingerprint. The plain number is never written to an event, a log
/// or a message: events carry `fingerprint(key:)`, and `description` masks all but the last
/// three digits.
public struct NationalID: Sendable, Equatable, CustomStringConvertible {
    /// The digit counts accepted: 9 (old identity card, CMND) or 12 (citizen identity card, CCCD).
    public static let acceptedDigitCounts = [9, 12]

    /// The digits, without spaces; private so that nothing can copy them into an event.
    private let digits: String

    /// Accepts exactly 9 or 12 ASCII digits, with surrounding spaces trimmed.
    public init(parsing text: String, field: String = "national_id") throws {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit) else {
            throw DomainError.invalidInput(field: field, problem: "a national id is 9 or 12 digits and nothing else")
        }
        guard Self.acceptedDigitCounts.contains(trimmed.count) else {
            throw DomainError.invalidInput(field: field, problem: "has \(trimmed.count) digits; a national id has 9 or 12")
        }
        digits = trimmed
    }

    /// Lowercase hex of HMAC-SHA-256 of the digits under the deployment's key: the same id always
    /// gives the same fingerprint (so duplicates can be found) but the id cannot be read back
    /// from it without the key. The key must be at least `DomainLimits.minimumNationalIDKeyBytes`.
    public func fingerprint(keyBytes: [UInt8]) throws -> String {
        guard keyBytes.count >= DomainLimits.minimumNationalIDKeyBytes else {
            throw DomainError.invalidInput(
                field: "national id key",
                problem: "is \(keyBytes.count) bytes; the fingerprint key needs at least \(DomainLimits.minimumNationalIDKeyBytes)"
            )
        }
        return fingerprint(key: SymmetricKey(data: keyBytes))
    }

    /// As `fingerprint(keyBytes:)`, with a key already made.
    public func fingerprint(key: SymmetricKey) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(digits.utf8), using: key)
        return code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Whether `text` has the shape of a fingerprint: 64 lowercase hex digits.
    public static func isFingerprint(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The digits as sent to the database's fingerprint functions (sql/0014_national_ids.sql), as a
    /// query parameter only: never written to an event, a command record or a message.
    var digitsForDatabase: String { digits }

    /// A PostgreSQL `text[]` literal of the digits of `ids`, for a `$n::text[]` parameter (the
    /// digits are ASCII digits only, so nothing needs quoting).
    static func databaseArray(_ ids: [NationalID]) -> String {
        "{" + ids.map(\.digits).joined(separator: ",") + "}"
    }

    public var description: String { String(repeating: "•", count: digits.count - 3) + digits.suffix(3) }
}
