import Postgres

/// Why the store refused or failed. `code` is stable for callers to match on; `message` is for people.
public struct EventStoreError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// A stream was not at the expected version (SQLSTATE LV001).
        case versionConflict
        /// The command id was recorded before with different content (LI001).
        case idempotencyMismatch
        /// The role may not append (LP001), or lacks a privilege (42501).
        case permissionDenied
        /// Someone tried to change or remove recorded history (LT001).
        case appendOnly
        case emptyBatch, tooManyEvents, invalidStreamID, invalidEventType, invalidPayload, invalidMetadata
        case invalidExpectedVersion, invalidCommandID, malformedBatch
        /// Text that is not JSON where JSON was required.
        case invalidJSON
        /// A rule kept by the database refused the events (LR001), e.g. a payment above the approval.
        case ruleBroken
        /// Another transaction held the log longer than the append's lock timeout (LL001): try again.
        case logBusy
        /// Anything else from PostgreSQL or the connection.
        case database
    }

    public let code: Code
    public let message: String
    /// The server's error, when there was one.
    public let underlying: PostgresError?

    public init(code: Code, message: String, underlying: PostgresError? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    /// Which SQLSTATE means which code (the append function raises the L* ones).
    static let codesBySQLState: [String: Code] = [
        "LV001": .versionConflict, "LI001": .idempotencyMismatch, "LP001": .permissionDenied,
        "42501": .permissionDenied, "LT001": .appendOnly,
        "LB001": .emptyBatch, "LB002": .tooManyEvents, "LB003": .invalidStreamID, "LB004": .invalidEventType,
        "LB005": .invalidPayload, "LB006": .invalidMetadata, "LB007": .invalidExpectedVersion,
        "LB008": .invalidCommandID, "LB009": .malformedBatch, "22P02": .invalidJSON,
        "LS001": .invalidPayload, "LR001": .ruleBroken, "LL001": .logBusy, "55P03": .logBusy,
    ]

    init(_ error: PostgresError) {
        let code = Self.codesBySQLState[error.code.rawValue] ?? .database
        var message = error.message
        if code == .database || code == .invalidJSON, let detail = error.detail, !detail.isEmpty { message += " (\(detail))" }
        self.init(code: code, message: message, underlying: error)
    }
}

extension EventStoreError {
    /// Runs `body`, turning PostgreSQL errors into store errors.
    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError {
            throw EventStoreError(error)
        }
    }
}
