import CLibPQ
import Foundation

/// How the server sends result values. Text is PostgreSQL's output format for every type;
/// binary sends integers, `timestamptz` and `bytea` as their raw bytes (no formatting on the
/// server, no parsing here) and `jsonb` as a version byte followed by the same text.
/// libpq applies one format to every column of a result.
public enum PostgresResultFormat: Int32, Sendable {
    case text = 0
    case binary = 1
}

/// One row of a result, read in place while the result is alive (inside a `query` decode closure).
///
/// Columns are addressed by index. Every accessor throws `PostgresError.Code.decodingFailed`
/// naming the column and the text it found, so a schema mismatch never decodes silently.
/// Accessors read both result formats; in binary format a value is decoded by its column type
/// (int2/int4/int8, bool, bytea, timestamptz, text-like types and json/jsonb), and any other type
/// is refused with `decodingFailed` rather than misread.
public struct PostgresRow {
    let result: OpaquePointer
    let index: Int32

    public var columnCount: Int { Int(PQnfields(result)) }

    public func columnName(_ column: Int) -> String {
        guard let name = PQfname(result, Int32(column)) else { return "#\(column)" }
        return String(cString: name)
    }

    public func isNull(_ column: Int) -> Bool {
        PQgetisnull(result, index, Int32(column)) == 1
    }

    /// The format this column arrived in.
    public func format(_ column: Int) -> PostgresResultFormat {
        PQfformat(result, Int32(column)) == 1 ? .binary : .text
    }

    /// The raw bytes of a non-NULL column, as the server sent them (text or binary).
    func bytes(_ column: Int) throws -> UnsafeBufferPointer<UInt8> {
        guard column >= 0, column < columnCount else {
            throw PostgresError(code: .decodingFailed, message: "column \(column) does not exist (the row has \(columnCount))")
        }
        guard !isNull(column) else {
            throw PostgresError(code: .decodingFailed, message: "column \(columnName(column)) is NULL")
        }
        let length = Int(PQgetlength(result, index, Int32(column)))
        let pointer = UnsafeRawPointer(PQgetvalue(result, index, Int32(column))!)
        return UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: length)
    }

    private func binary(_ column: Int) -> Bool { PQfformat(result, Int32(column)) == 1 }

    private func typeOID(_ column: Int) -> UInt32 { UInt32(PQftype(result, Int32(column))) }

    private func failure(_ column: Int, _ type: String) -> PostgresError {
        let shown: String
        if binary(column), !TypeOID.isTextLike(typeOID(column)), typeOID(column) != TypeOID.jsonb {
            shown = isNull(column) ? "NULL" : "a binary \(TypeOID.name(typeOID(column))) value of \(PQgetlength(result, index, Int32(column))) bytes"
        } else {
            shown = String((try? string(column))?.prefix(64) ?? "?")
        }
        return PostgresError(code: .decodingFailed, message: "column \(columnName(column)): cannot read \(shown) as \(type)")
    }

    /// The UTF-8 text of a text-like column (text, varchar, name, char, json, jsonb; in text
    /// format any column), valid only inside `body`. No `String` is made.
    public func withTextBytes<R>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        try body(try textBytes(column))
    }

    func textBytes(_ column: Int) throws -> UnsafeBufferPointer<UInt8> {
        let raw = try bytes(column)
        guard binary(column) else { return raw }
        let oid = typeOID(column)
        if oid == TypeOID.jsonb {
            // jsonb_send: a version byte (1), then the text.
            guard raw.count >= 1, raw[0] == 1 else {
                throw PostgresError(code: .decodingFailed, message: "column \(columnName(column)): unknown binary jsonb version")
            }
            return UnsafeBufferPointer(rebasing: raw[1...])
        }
        guard TypeOID.isTextLike(oid) else {
            throw PostgresError(code: .decodingFailed, message: "column \(columnName(column)): a binary \(TypeOID.name(oid)) value is not text")
        }
        return raw
    }

    public func string(_ column: Int) throws -> String {
        String(decoding: try textBytes(column), as: UTF8.self)
    }

    public func optionalString(_ column: Int) throws -> String? {
        isNull(column) ? nil : try string(column)
    }

    public func int64(_ column: Int) throws -> Int64 {
        let raw = try bytes(column)
        if binary(column) {
            switch (typeOID(column), raw.count) {
            case (TypeOID.int8, 8): return Self.bigEndianInt64(raw)
            case (TypeOID.int4, 4): return Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: Self.bigEndianUInt(raw))))
            case (TypeOID.int2, 2): return Int64(Int16(bitPattern: UInt16(truncatingIfNeeded: Self.bigEndianUInt(raw))))
            default: throw failure(column, "Int64")
            }
        }
        guard let value = Self.parseInt64(raw) else { throw failure(column, "Int64") }
        return value
    }

    public func optionalInt64(_ column: Int) throws -> Int64? {
        isNull(column) ? nil : try int64(column)
    }

    public func int(_ column: Int) throws -> Int {
        Int(try int64(column))
    }

    public func int32(_ column: Int) throws -> Int32 {
        let value = try int64(column)
        guard let narrowed = Int32(exactly: value) else { throw failure(column, "Int32") }
        return narrowed
    }

    public func bool(_ column: Int) throws -> Bool {
        let raw = try bytes(column)
        guard raw.count == 1 else { throw failure(column, "Bool") }
        if binary(column) {
            guard typeOID(column) == TypeOID.bool, raw[0] <= 1 else { throw failure(column, "Bool") }
            return raw[0] == 1
        }
        switch raw[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw failure(column, "Bool")
        }
    }

    /// A `bytea` column (hex output format `\x…` in text, raw bytes in binary).
    public func byteArray(_ column: Int) throws -> [UInt8] {
        try withByteaBytes(column) { Array($0) }
    }

    /// The bytes of a `bytea` column, valid only inside `body`; in binary format nothing is copied.
    public func withByteaBytes<R>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        let raw = try bytes(column)
        if binary(column) {
            guard typeOID(column) == TypeOID.bytea else { throw failure(column, "bytea") }
            return try body(raw)
        }
        guard raw.count >= 2, raw.count % 2 == 0, raw[0] == 92, raw[1] == 120 else {
            throw failure(column, "bytea (hex)")
        }
        let decoded = try [UInt8](unsafeUninitializedCapacity: (raw.count - 2) / 2) { output, initialized in
            var position = 2
            while position < raw.count {
                guard let high = Self.hexValue(raw[position]), let low = Self.hexValue(raw[position + 1]) else {
                    throw failure(column, "bytea (hex)")
                }
                output[initialized] = high << 4 | low
                initialized += 1
                position += 2
            }
        }
        return try decoded.withUnsafeBufferPointer(body)
    }

    /// A `timestamptz` column as microseconds since the Unix epoch (exact).
    public func timestampMicroseconds(_ column: Int) throws -> Int64 {
        let raw = try bytes(column)
        if binary(column) {
            // Microseconds since 2000-01-01 00:00:00 UTC; ±infinity are the extreme values.
            guard typeOID(column) == TypeOID.timestamptz || typeOID(column) == TypeOID.timestamp, raw.count == 8 else {
                throw failure(column, "timestamptz")
            }
            let sincePostgresEpoch = Self.bigEndianInt64(raw)
            guard sincePostgresEpoch != .max, sincePostgresEpoch != .min else { throw failure(column, "timestamptz") }
            let (value, overflow) = sincePostgresEpoch.addingReportingOverflow(PostgresTimestamp.postgresEpochMicroseconds)
            guard !overflow else { throw failure(column, "timestamptz") }
            return value
        }
        guard let value = PostgresTimestamp.microseconds(fromISO: raw) else {
            throw failure(column, "timestamptz")
        }
        return value
    }

    public func date(_ column: Int) throws -> Date {
        PostgresTimestamp.date(microsecondsSinceEpoch: try timestampMicroseconds(column))
    }

    /// A `json`/`jsonb` column as the exact text the server sent.
    public func jsonText(_ column: Int) throws -> String {
        try string(column)
    }

    /// A `json`/`jsonb` column decoded with `JSONDecoder`.
    public func decodeJSON<T: Decodable>(_ type: T.Type, _ column: Int) throws -> T {
        let data = Data(try textBytes(column))
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw PostgresError(code: .decodingFailed, message: "column \(columnName(column)): \(error)")
        }
    }

    static func bigEndianInt64(_ raw: UnsafeBufferPointer<UInt8>) -> Int64 {
        Int64(bitPattern: bigEndianUInt(raw))
    }

    static func bigEndianUInt(_ raw: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var value: UInt64 = 0
        for byte in raw { value = value << 8 | UInt64(byte) }
        return value
    }

    static func parseInt64(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !text.isEmpty else { return nil }
        var index = 0
        var negative = false
        if text[0] == 45 {
            negative = true
            index = 1
            guard text.count > 1 else { return nil }
        }
        var value: Int64 = 0
        while index < text.count {
            let byte = text[index]
            guard byte >= 48, byte <= 57 else { return nil }
            let digit = Int64(byte - 48)
            let (multiplied, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (added, overflowB) = negative
                ? multiplied.subtractingReportingOverflow(digit)
                : multiplied.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { return nil }
            value = added
            index += 1
        }
        return value
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 97...102: byte - 87
        case 65...70: byte - 55
        default: nil
        }
    }
}

/// The built-in type OIDs the binary decoders know (`pg_type.oid`, fixed across versions).
enum TypeOID {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let char: UInt32 = 18
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let json: UInt32 = 114
    static let unknown: UInt32 = 705
    static let bpchar: UInt32 = 1042
    static let varchar: UInt32 = 1043
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let jsonb: UInt32 = 3802

    /// Types whose binary form is their UTF-8 text.
    static func isTextLike(_ oid: UInt32) -> Bool {
        switch oid {
        case text, varchar, name, bpchar, char, json, unknown: true
        default: false
        }
    }

    static func name(_ oid: UInt32) -> String {
        switch oid {
        case bool: "bool"
        case bytea: "bytea"
        case int8: "int8"
        case int2: "int2"
        case int4: "int4"
        case timestamp: "timestamp"
        case timestamptz: "timestamptz"
        case jsonb: "jsonb"
        default: "type \(oid)"
        }
    }
}
