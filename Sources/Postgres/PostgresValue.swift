import Foundation

/// One query parameter as it is sent: NULL, text (the server parses it for the inferred type) or binary bytes.
public enum PostgresValue: Sendable, Equatable {
    case null
    case text(String)
    /// Binary-format bytes; used for `bytea` parameters.
    case binary([UInt8])
}

/// A Swift value that can be sent as a query parameter. Parameters are the only way values reach SQL.
public protocol PostgresEncodable: Sendable {
    var postgresValue: PostgresValue { get }
}

extension PostgresValue: PostgresEncodable {
    public var postgresValue: PostgresValue { self }
}

extension String: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(self) }
}

extension Substring: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int64: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int32: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Bool: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(self ? "t" : "f") }
}

extension Array: PostgresEncodable where Element == UInt8 {
    public var postgresValue: PostgresValue { .binary(self) }
}

extension Data: PostgresEncodable {
    public var postgresValue: PostgresValue { .binary([UInt8](self)) }
}

extension Date: PostgresEncodable {
    /// Sent as microseconds since the Unix epoch in ISO form, UTC, which `timestamptz` parses exactly.
    public var postgresValue: PostgresValue {
        .text(PostgresTimestamp.isoString(microsecondsSinceEpoch: PostgresTimestamp.microseconds(from: self)))
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue {
        switch self {
        case .none: .null
        case .some(let value): value.postgresValue
        }
    }
}

extension PostgresValue {
    /// A `text[]` parameter (cast it in SQL: `$1::text[]`), every element quoted and escaped, so
    /// `= ANY($1::text[])` takes a list of values as one parameter.
    public static func textArray(_ elements: [String]) -> PostgresValue {
        var literal = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { literal += "," }
            literal += "\""
            for character in element {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.append(character)
            }
            literal += "\""
        }
        return .text(literal + "}")
    }
}
