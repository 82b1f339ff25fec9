import CLibPQ
import Foundation

/// One row of a result, read in place while the result is alive (inside a `query` decode closure).
///
/// Columns are addressed by index. Every accessor throws `PostgresError.Code.decodingFailed`
/// naming the column and the text it found, so a schema mismatch never decodes silently.
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

    /// The raw text bytes of a non-NULL column.
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

    private func failure(_ column: Int, _ type: String) -> PostgresError {
        let text = (try? string(column)) ?? "?"
        return PostgresError(code: .decodingFailed, message: "column \(columnName(column)): cannot read \(text.prefix(64)) as \(type)")
    }

    public func string(_ column: Int) throws -> String {
        String(decoding: try bytes(column), as: UTF8.self)
    }

    public func optionalString(_ column: Int) throws -> String? {
        isNull(column) ? nil : try string(column)
    }

    public func int64(_ column: Int) throws -> Int64 {
        let text = try bytes(column)
        guard let value = Self.parseInt64(text) else { throw failure(column, "Int64") }
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
        let text = try bytes(column)
        guard text.count == 1 else { throw failure(column, "Bool") }
        switch text[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw failure(column, "Bool")
        }
    }

    /// A `bytea` column (hex output format, `\x…`).
    public func byteArray(_ column: Int) throws -> [UInt8] {
        let text = try bytes(column)
        guard text.count >= 2, text.count % 2 == 0, text[0] == 92, text[1] == 120 else {
            throw failure(column, "bytea (hex)")
        }
        var output = [UInt8]()
        output.reserveCapacity((text.count - 2) / 2)
        var position = 2
        while position < text.count {
            guard let high = Self.hexValue(text[position]), let low = Self.hexValue(text[position + 1]) else {
                throw failure(column, "bytea (hex)")
            }
            output.append(high << 4 | low)
            position += 2
        }
        return output
    }

    /// A `timestamptz` column as microseconds since the Unix epoch (exact).
    public func timestampMicroseconds(_ column: Int) throws -> Int64 {
        guard let value = PostgresTimestamp.microseconds(fromISO: try bytes(column)) else {
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
        let data = Data(try bytes(column))
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw PostgresError(code: .decodingFailed, message: "column \(columnName(column)): \(error)")
        }
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
