import EventStore
import Foundation
import Postgres

/// National ids are fingerprinted by the database, under a key no login role can read
/// (sql/0014_national_ids.sql): this client never holds the key.
extension LedgerService {
    /// The fingerprint of `nationalID` under the ledger's key: 64 lower-case hex digits of
    /// HMAC-SHA-256, computed by `ledger.national_id_fingerprint`. For look-ups and for deciding;
    /// an event may carry it only when its append goes through `run(…, issuing:)`.
    /// Refused (`nationalIDKey`) when no key is set yet.
    public func fingerprint(_ nationalID: NationalID) async throws -> String {
        try await fingerprints([nationalID])[0]
    }

    /// The fingerprints of many ids in one round trip, in order.
    public func fingerprints(_ nationalIDs: [NationalID]) async throws -> [String] {
        guard !nationalIDs.isEmpty else { return [] }
        let fingerprints = try await Self.mappingNationalIDErrors {
            try await connection.query(
                "SELECT f FROM unnest(ledger.national_id_fingerprints($1::text[])) WITH ORDINALITY AS u(f, n) ORDER BY n",
                [NationalID.databaseArray(nationalIDs)]
            ) { try $0.string(0) }
        }
        guard fingerprints.count == nationalIDs.count else {
            throw PostgresError(code: .unexpectedResult, message: "expected \(nationalIDs.count) fingerprints, got \(fingerprints.count)")
        }
        return fingerprints
    }

    /// The prelude of an append that carries fingerprints of `nationalIDs` (EventStore's
    /// `append(_:commandID:after:_:)`): the database issues them to the appending transaction, and
    /// its rule refuses a fingerprint it did not issue.
    static func issuingPrelude(_ nationalIDs: [NationalID]) -> (sql: String, parameters: [any PostgresEncodable]) {
        ("SELECT ledger.issue_national_id_fingerprints($3::text[])", [NationalID.databaseArray(nationalIDs)])
    }

    /// Whether the ledger's national-id key is set: its id, when and by whom (never the key).
    public func nationalIDKeyStatus() async throws -> NationalIDKeyStatus? {
        try await connection.query(
            """
            SELECT key_id, to_char(set_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), set_by
            FROM ledger.national_id_key_status()
            """
        ) { row in
            NationalIDKeyStatus(keyID: try row.string(0), setAt: try row.string(1), setBy: try row.string(2))
        }.first
    }

    /// Sets the ledger's national-id key (admins; once). `checking`: national ids of registered
    /// beneficiaries, needed when the log already holds fingerprints: the key must reproduce them.
    public func setNationalIDKey(_ key: [UInt8], checking: [NationalID]) async throws -> NationalIDKeySetting {
        try await Self.mappingNationalIDErrors {
            try await connection.queryOne(
                """
                SELECT r ->> 'key_id', (r ->> 'already_set')::boolean,
                       coalesce((r ->> 'fingerprints_in_log')::bigint, 0), coalesce((r ->> 'checked_national_ids')::int, 0),
                       (r ->> 'position')::bigint
                FROM ledger.set_national_id_key($1, $2::text[]) AS r
                """,
                [key, NationalID.databaseArray(checking)]
            ) { row in
                NationalIDKeySetting(
                    keyID: try row.string(0), alreadySet: try row.bool(1), fingerprintsInLog: try row.int64(2),
                    checkedNationalIDs: Int(try row.int64(3)), position: try row.optionalInt64(4)
                )
            }
        }
    }

    /// The database's national-id refusals (sql/0014_national_ids.sql) in the words of the domain.
    static func nationalIDError(code: String?, message: String) -> DomainError? {
        switch code {
        case "LN001": DomainError.invalidInput(field: "--national-id", problem: Self.withoutPrefix(message))
        case "LN002": DomainError(.nationalIDKey, message)
        case "LN003": DomainError(.nationalIDKey, message)
        default: nil
        }
    }

    private static func withoutPrefix(_ message: String) -> String {
        message.hasPrefix("national id: ") ? String(message.dropFirst("national id: ".count)) : message
    }

    static func mappingNationalIDErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError {
            if let mapped = nationalIDError(code: error.code.rawValue, message: error.message) { throw mapped }
            if error.code == .insufficientPrivilege {
                throw DomainError(.permissionDenied, error.message)
            }
            throw error
        }
    }
}

/// The ledger's national-id key as anyone may see it: never the key itself.
public struct NationalIDKeyStatus: Sendable, Equatable, Codable {
    /// 16 hex digits naming the key (an HMAC of a fixed label under it).
    public let keyID: String
    /// When it was set (UTC, ISO 8601).
    public let setAt: String
    /// The database role that set it.
    public let setBy: String

    enum CodingKeys: String, CodingKey { case keyID = "key_id", setAt = "set_at", setBy = "set_by" }
}

/// What `setNationalIDKey` did.
public struct NationalIDKeySetting: Sendable, Equatable, Codable {
    public let keyID: String
    /// This very key was set before; nothing was recorded.
    public let alreadySet: Bool
    public let fingerprintsInLog: Int64
    public let checkedNationalIDs: Int
    /// The log position of the NationalIDKeySet event (nil when already set).
    public let position: Int64?

    enum CodingKeys: String, CodingKey {
        case keyID = "key_id", alreadySet = "already_set", fingerprintsInLog = "fingerprints_in_log"
        case checkedNationalIDs = "checked_national_ids", position
    }
}
