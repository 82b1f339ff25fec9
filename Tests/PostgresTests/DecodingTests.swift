import Foundation
import Postgres
import TestSupport
import Testing

/// Typed decoding of what the server sends, against a real PostgreSQL.
@Suite(.enabled(if: TestDatabase.enabled))
struct DecodingTests {
    @Test(arguments: [Int64(0), 1, -1, 42, -1_500_000_000_000, Int64.max, Int64.min, Int64.min + 1])
    func int64RoundTripsThroughBigint(value: Int64) async throws {
        try await withConnection { connection, _ in
            let (echoed, text) = try await connection.queryOne("SELECT $1::bigint, $1::bigint::text", [value]) { row in
                (try row.int64(0), try row.string(1))
            }
            #expect(echoed == value)
            #expect(text == String(value))
        }
    }

    @Test func bigintLimitsWrittenInSQLDecodeExactly() async throws {
        try await withConnection { connection, _ in
            let values = try await connection.queryOne(
                "SELECT 9223372036854775807::bigint, (-9223372036854775808)::bigint, (-5)::bigint"
            ) { row in [try row.int64(0), try row.int64(1), try row.int64(2)] }
            #expect(values == [Int64.max, Int64.min, -5])
        }
    }

    @Test func int32DecodesTheWholeIntegerRange() async throws {
        try await withConnection { connection, _ in
            let values = try await connection.queryOne(
                "SELECT 2147483647::int4, (-2147483648)::int4, $1::int4, 0::int2", [Int32(-7)]
            ) { row in [try row.int32(0), try row.int32(1), try row.int32(2), try row.int32(3)] }
            #expect(values == [Int32.max, Int32.min, -7, 0])
        }
    }

    @Test func int32RefusesAValueThatDoesNotFitNamingTheColumn() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 2147483648::bigint AS beneficiaries") { try $0.int32(0) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("beneficiaries") == true)
            #expect(error?.message.contains("2147483648") == true)
        }
    }

    @Test func int64RefusesANumberBeyondItsRange() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 9223372036854775808::numeric AS amount_vnd") { try $0.int64(0) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("amount_vnd") == true)
        }
    }

    static let vietnamese = [
        "Sở Lao động - Thương binh và Xã hội",
        "Hỗ trợ hộ nghèo: nhà ở, nước sinh hoạt, điện, nhà tiêu hợp vệ sinh",
        "Nguyễn Thị Hương, phường Bến Nghé, Quận 1 — 5.000.000 đồng",
        "",
    ]

    @Test(arguments: vietnamese)
    func vietnameseTextRoundTripsByteForByte(text: String) async throws {
        try await withConnection { connection, _ in
            let (echoed, characters, bytes) = try await connection.queryOne(
                "SELECT $1::text, length($1::text), octet_length($1::text)", [text]
            ) { row in (try row.string(0), try row.int(1), try row.int(2)) }
            #expect(Array(echoed.utf8) == Array(text.utf8))
            #expect(characters == text.unicodeScalars.count)
            #expect(bytes == text.utf8.count)
        }
    }

    @Test func vietnameseTextWrittenInSQLDecodes() async throws {
        try await withConnection { connection, _ in
            let name = try await connection.queryOne("SELECT 'Trần Văn Đức'::text") { try $0.string(0) }
            #expect(name == "Trần Văn Đức")
        }
    }

    @Test func boolDecodesBothWaysAndFromParameters() async throws {
        try await withConnection { connection, _ in
            let values = try await connection.queryOne("SELECT true, false, $1::bool, $2::bool", [true, false]) { row in
                [try row.bool(0), try row.bool(1), try row.bool(2), try row.bool(3)]
            }
            #expect(values == [true, false, true, false])
        }
    }

    @Test func boolRefusesTextThatIsNotABoolNamingTheColumn() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 'maybe'::text AS approved") { try $0.bool(0) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("approved") == true)
            #expect(error?.message.contains("maybe") == true)
        }
    }

    @Test func timestamptzDecodesToTheMicrosecondAndToADate() async throws {
        try await withConnection { connection, _ in
            let (micros, date, text) = try await connection.queryOne(
                "SELECT t, t, t::text FROM (SELECT '2024-02-29 12:34:56.789012+07'::timestamptz AS t) s"
            ) { row in (try row.timestampMicroseconds(0), try row.date(1), try row.string(2)) }
            #expect(micros == 1_709_184_896_789_012)
            #expect(text == "2024-02-29 05:34:56.789012+00")
            #expect(PostgresTimestamp.microseconds(from: date) == 1_709_184_896_789_012)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = try #require(TimeZone(secondsFromGMT: 7 * 3600))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            #expect([parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second] == [2024, 2, 29, 12, 34, 56])
        }
    }

    @Test(arguments: [
        Int64(1_709_184_896_789_012), 0, -1, -14_182_940_000_001, -2_208_988_800_000_000, 4_102_444_800_000_001,
    ])
    func aDateParameterIsStoredToTheMicrosecond(micros: Int64) async throws {
        try await withConnection { connection, _ in
            let date = PostgresTimestamp.date(microsecondsSinceEpoch: micros)
            let (stored, epochMicros) = try await connection.queryOne(
                "SELECT $1::timestamptz, (extract(epoch FROM $1::timestamptz) * 1000000)::bigint", [date]
            ) { row in (try row.timestampMicroseconds(0), try row.int64(1)) }
            #expect(stored == micros)
            #expect(epochMicros == micros)
        }
    }

    @Test func infinityIsNotADate() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 'infinity'::timestamptz AS valid_until") { try $0.timestampMicroseconds(0) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("valid_until") == true)
        }
    }

    static let byteStrings: [[UInt8]] = [
        [],
        [0],
        [0, 0, 0],
        [0, 1, 0, 255, 0, 0x5C, 0x78, 0x27, 0],
        Array(0...255),
        Array("\\x00 not hex".utf8),
    ]

    @Test(arguments: byteStrings)
    func byteaRoundTripsAsABinaryParameter(bytes: [UInt8]) async throws {
        try await withConnection { connection, _ in
            let (echoed, length) = try await connection.queryOne(
                "SELECT $1::bytea, octet_length($1::bytea)", [bytes]
            ) { row in (try row.byteArray(0), try row.int(1)) }
            #expect(echoed == bytes)
            #expect(length == bytes.count)
        }
    }

    @Test func byteaIsStoredAndReadBackFromATable() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE blobs (id int PRIMARY KEY, content bytea NOT NULL)")
            let content = Data([0xDE, 0xAD, 0, 0xBE, 0xEF, 0])
            try await connection.execute("INSERT INTO blobs VALUES (1, $1)", [content])
            let (stored, hex) = try await connection.queryOne("SELECT content, encode(content, 'hex') FROM blobs WHERE id = 1") { row in
                (try row.byteArray(0), try row.string(1))
            }
            #expect(stored == [0xDE, 0xAD, 0, 0xBE, 0xEF, 0])
            #expect(hex == "dead00beef00")
        }
    }

    @Test func byteaWrittenInSQLDecodes() async throws {
        try await withConnection { connection, _ in
            let bytes = try await connection.queryOne(#"SELECT '\xdeadbeef'::bytea, sha256('')"#) { row in
                (try row.byteArray(0), try row.byteArray(1))
            }
            #expect(bytes.0 == [0xDE, 0xAD, 0xBE, 0xEF])
            #expect(bytes.1.count == 32)
            #expect(bytes.1.prefix(4) == [0xE3, 0xB0, 0xC4, 0x42])
        }
    }

    @Test func textThatIsNotByteaIsRefusedNamingTheColumn() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 'deadbeef'::text AS prev_hash") { try $0.byteArray(0) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("prev_hash") == true)
        }
    }

    struct Payment: Decodable, Equatable {
        let beneficiary: String
        let amountVND: Int64

        enum CodingKeys: String, CodingKey {
            case beneficiary, amountVND = "amount_vnd"
        }
    }

    @Test func jsonbComesBackAsTheServersTextAndDecodes() async throws {
        try await withConnection { connection, _ in
            let input = #"{"beneficiary": "Lê Thị Mai", "amount_vnd":   9007199254740993, "a": [1, 2]}"#
            let (text, payment) = try await connection.queryOne("SELECT $1::jsonb, $1::jsonb", [input]) { row in
                (try row.jsonText(0), try row.decodeJSON(Payment.self, 1))
            }
            // jsonb normalises: keys ordered by length then bytes, one space after ':' and ','.
            #expect(text == #"{"a": [1, 2], "amount_vnd": 9007199254740993, "beneficiary": "Lê Thị Mai"}"#)
            #expect(payment == Payment(beneficiary: "Lê Thị Mai", amountVND: 9_007_199_254_740_993))
        }
    }

    @Test func jsonThatDoesNotMatchTheTypeIsRefusedNamingTheColumn() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne(#"SELECT '{"beneficiary": 1}'::jsonb AS payload"#) { try $0.decodeJSON(Payment.self, 0) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("payload") == true)
        }
    }

    @Test func nullIsSeenAndDecodesToNilOnlyWhenOptional() async throws {
        try await withConnection { connection, _ in
            let row = try await connection.queryOne(
                "SELECT NULL::text AS note, NULL::bigint AS amount_vnd, 'x'::text AS present, 7::bigint AS seven"
            ) { row in
                (row.isNull(0), try row.optionalString(0), try row.optionalInt64(1), try row.optionalString(2), try row.optionalInt64(3),
                 row.columnName(1))
            }
            #expect(row.0)
            #expect(row.1 == nil)
            #expect(row.2 == nil)
            #expect(row.3 == "x")
            #expect(row.4 == 7)
            #expect(row.5 == "amount_vnd")
        }
    }

    @Test func readingNullAsAValueFailsNamingTheColumn() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT NULL::bigint AS approved_amount") { try $0.int64(0) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("approved_amount") == true)
            #expect(error?.message.contains("NULL") == true)
        }
    }

    @Test func aColumnBeyondTheRowIsADecodingFailure() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 1, 2") { try $0.int64(5) }
            }
            #expect(error?.code == .decodingFailed)
            #expect(error?.message.contains("5") == true)
        }
    }

    @Test func nilParametersAreSQLNull() async throws {
        try await withConnection { connection, _ in
            let missing: String? = nil
            let present: Int64? = 12
            let result = try await connection.queryOne(
                "SELECT $1::text IS NULL, $2::bigint, $3::bytea IS NULL", [missing, present, PostgresValue.null]
            ) { row in (try row.bool(0), try row.int64(1), try row.bool(2)) }
            #expect(result.0)
            #expect(result.1 == 12)
            #expect(result.2)
        }
    }

    @Test func queryReturnsEveryRowInOrderAndQueryOneInsistsOnOne() async throws {
        try await withConnection { connection, _ in
            let numbers = try await connection.query("SELECT n FROM generate_series(1, 5) AS n ORDER BY n") { try $0.int(0) }
            #expect(numbers == [1, 2, 3, 4, 5])
            #expect(try await connection.query("SELECT 1 WHERE false") { try $0.int(0) }.isEmpty)
            for sql in ["SELECT 1 WHERE false", "SELECT n FROM generate_series(1, 2) AS n"] {
                let error = await #expect(throws: PostgresError.self) {
                    _ = try await connection.queryOne(sql) { try $0.int(0) }
                }
                #expect(error?.code == .unexpectedResult)
            }
        }
    }

    @Test func executeReportsTheRowsItAffected() async throws {
        try await withConnection { connection, _ in
            #expect(try await connection.execute("CREATE TABLE budgets (district text, amount_vnd bigint)") == 0)
            let inserted = try await connection.execute(
                "INSERT INTO budgets SELECT 'Quận ' || n, n * 1000000 FROM generate_series(1, 3) AS n"
            )
            #expect(inserted == 3)
            #expect(try await connection.execute("UPDATE budgets SET amount_vnd = amount_vnd + 1 WHERE amount_vnd > $1", [1_000_000]) == 2)
            #expect(try await connection.execute("DELETE FROM budgets WHERE district = $1", ["Quận 9"]) == 0)
        }
    }
}
