import Foundation
import Postgres
import TestSupport
import Testing

/// Binary-format results decode to the same values as text-format ones.
@Suite(.enabled(if: TestDatabase.enabled))
struct BinaryDecodingTests {
    static let sql = """
        SELECT $1::int8 AS i8, $2::int4 AS i4, $3::int2 AS i2, $4::bool AS b, $5::bytea AS bytes,
               $6::timestamptz AS at, $7::text AS t, $8::jsonb AS jb, $9::json AS js, $10::varchar AS vc,
               'ledger'::name AS n, NULL::int8 AS missing
        """

    struct Values: Equatable, Sendable {
        let i8: Int64, i4: Int32, i2: Int32, b: Bool, bytes: [UInt8], at: Int64, t: String, jb: String, js: String, vc: String
        let n: String, missing: Int64?
    }

    static func decode(_ row: PostgresRow) throws -> Values {
        Values(
            i8: try row.int64(0), i4: try row.int32(1), i2: try row.int32(2), b: try row.bool(3), bytes: try row.byteArray(4),
            at: try row.timestampMicroseconds(5), t: try row.string(6), jb: try row.jsonText(7), js: try row.string(8),
            vc: try row.string(9), n: try row.string(10), missing: try row.optionalInt64(11)
        )
    }

    @Test(arguments: [
        (Int64.min, Int32.min, Int32(-32768), true, [UInt8](), "1970-01-01 00:00:00+00", ""),
        (Int64.max, Int32.max, Int32(32767), false, [0, 1, 0xfe, 0xff], "2024-02-29 12:34:56.789012+07", "Trần Văn Đức"),
        (-1, -1, -1, true, Array(repeating: 0xA5, count: 32), "1899-12-31 23:59:59.999999+00", "tab\tquote\"backslash\\"),
    ] as [(Int64, Int32, Int32, Bool, [UInt8], String, String)])
    func binaryAndTextAgree(i8: Int64, i4: Int32, i2: Int32, b: Bool, bytes: [UInt8], at: String, text: String) async throws {
        try await withConnection { connection, _ in
            let json = #"{"b": [1, 2.50, null], "a": "xin chào \"x\"", "c": {"d": true}}"#
            let parameters: [any PostgresEncodable] = [i8, i4, i2, b, bytes, at, text, json, json, text]
            let asText = try await connection.queryOne(Self.sql, parameters, decode: Self.decode)
            let asBinary = try await connection.queryOne(Self.sql, parameters, resultFormat: .binary, decode: Self.decode)
            #expect(asBinary == asText)
            #expect(asBinary.i8 == i8 && asBinary.bytes == bytes && asBinary.t == text)
            let formats = try await connection.queryOne(Self.sql, parameters, resultFormat: .binary) { row in
                (0..<row.columnCount).map { row.format($0) }
            }
            #expect(formats.allSatisfy { $0 == .binary })
        }
    }

    @Test func aBinaryTypeWithoutADecoderIsRefusedNamingTheColumn() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 12.5::numeric AS amount", resultFormat: .binary) { try $0.int64(0) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("amount") == true)
            let asText = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 12::int8 AS amount", resultFormat: .binary) { try $0.string(0) }
            }
            #expect(asText?.code == .decodingFailed)
        }
    }

    @Test func infinityIsNotADateInBinaryEither() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 'infinity'::timestamptz AS valid_until", resultFormat: .binary) {
                    try $0.timestampMicroseconds(0)
                }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("valid_until") == true)
        }
    }
}
