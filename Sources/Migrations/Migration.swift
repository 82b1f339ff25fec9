import Crypto
import Foundation

/// One numbered SQL file from `sql/`, e.g. `0002_event_store.sql` → version 2.
public struct Migration: Sendable, Equatable {
    public let version: Int
    /// The file name, e.g. `0002_event_store.sql`.
    public let name: String
    public let sql: String
    /// SHA-256 of the file's exact bytes, lowercase hex.
    public let checksum: String

    public init(name: String, bytes: [UInt8]) throws {
        guard let prefix = name.split(separator: "_").first, let version = Int(prefix), version > 0,
              name.hasSuffix(".sql")
        else {
            throw MigrationError.invalidFileName(name)
        }
        guard let sql = String(validating: bytes, as: UTF8.self) else {
            throw MigrationError.notUTF8(name)
        }
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The migrations embedded in this binary at build time, in version order.
    public static func bundled() throws -> [Migration] {
        let migrations = try embeddedSQLFiles.map { file in
            guard let data = Data(base64Encoded: file.base64) else { throw MigrationError.notUTF8(file.name) }
            return try Migration(name: file.name, bytes: [UInt8](data))
        }
        return try ordered(migrations)
    }

    /// Sorts by version and refuses two files with one number.
    public static func ordered(_ migrations: [Migration]) throws -> [Migration] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(previous.name, next.name)
        }
        return sorted
    }
}

/// Why `ledger migrate` refused to run.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case invalidFileName(String)
    case notUTF8(String)
    case duplicateVersion(String, String)
    case changedSinceApplied(name: String, appliedChecksum: String, fileChecksum: String)
    case unknownAppliedVersion(version: Int, name: String)
    case failed(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidFileName(let name):
            "sql/\(name): migration files are named NNNN_description.sql"
        case .notUTF8(let name):
            "sql/\(name): not valid UTF-8"
        case .duplicateVersion(let first, let second):
            "sql/\(first) and sql/\(second) have the same number"
        case .changedSinceApplied(let name, let applied, let file):
            "sql/\(name) has changed since it was applied (applied checksum \(applied.prefix(12))…, file now \(file.prefix(12))…); "
                + "refusing to migrate. Applied migrations are never edited: restore the file and add a new numbered one."
        case .unknownAppliedVersion(let version, let name):
            "the database has migration \(version) (\(name)) that this ledger binary does not know; use a newer binary"
        case .failed(let name, let reason):
            "sql/\(name) failed and was rolled back: \(reason)"
        }
    }
}
