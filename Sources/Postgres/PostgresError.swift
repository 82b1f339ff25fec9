import CLibPQ
import Foundation

/// An error from PostgreSQL or from this wrapper, carrying the SQLSTATE so callers can match on `code`.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A SQLSTATE (five characters). Server errors carry the server's; client-side failures use the codes below.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let uniqueViolation = Code("23505")
        public static let checkViolation = Code("23514")
        public static let insufficientPrivilege = Code("42501")
        public static let invalidTextRepresentation = Code("22P02")
        public static let undefinedTable = Code("42P01")
        public static let undefinedFunction = Code("42883")
        public static let serializationFailure = Code("40001")
        public static let deadlockDetected = Code("40P01")
        public static let queryCanceled = Code("57014")
        /// A write in a read-only transaction, e.g. on a hot standby (`read_only_sql_transaction`).
        public static let readOnlySQLTransaction = Code("25006")
        public static let invalidAuthorizationSpecification = Code("28000")
        public static let invalidPassword = Code("28P01")
        /// The connection could not be made or was lost (client side).
        public static let connectionFailure = Code("08006")
        /// A value could not be decoded into the requested Swift type (client side).
        public static let decodingFailed = Code("LQ001")
        /// libpq returned a result this wrapper did not expect (client side).
        public static let unexpectedResult = Code("LQ002")
        /// The wrapper refused the call before sending it, e.g. an invalid identifier (client side).
        public static let invalidArgument = Code("LQ003")
    }

    public let code: Code
    public let message: String
    public let detail: String?
    public let hint: String?
    /// The constraint, table or column the server named, when it named one.
    public let constraint: String?

    public init(code: Code, message: String, detail: String? = nil, hint: String? = nil, constraint: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    public var description: String {
        var text = message
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        if let hint, !hint.isEmpty { text += " Hint: \(hint)" }
        return text + " [SQLSTATE \(code.rawValue)]"
    }

    /// Builds the error from a failed `PGresult` (the result is not cleared here).
    static func from(result: OpaquePointer?, connection: OpaquePointer?) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let result, let raw = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: raw)
        }
        let sqlState = field(UInt8(ascii: "C"))
        let message = field(UInt8(ascii: "M")) ?? connectionMessage(connection) ?? "unknown PostgreSQL error"
        let code: Code
        if let sqlState {
            code = Code(sqlState)
        } else if let connection, PQstatus(connection) == CONNECTION_BAD {
            code = .connectionFailure
        } else {
            code = .unexpectedResult
        }
        return PostgresError(
            code: code, message: message,
            detail: field(UInt8(ascii: "D")), hint: field(UInt8(ascii: "H")),
            constraint: field(UInt8(ascii: "n"))
        )
    }

    static func connectionMessage(_ connection: OpaquePointer?) -> String? {
        guard let connection, let raw = PQerrorMessage(connection) else { return nil }
        let text = String(cString: raw).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
