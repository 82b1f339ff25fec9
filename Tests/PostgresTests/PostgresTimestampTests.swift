import Foundation
import Postgres
import Testing

/// `PostgresTimestamp` is pure arithmetic: no database needed.
@Suite struct PostgresTimestampTests {
    /// 2024-02-29 05:34:56.789012 UTC (a leap day), in microseconds since the epoch.
    static let leapDayMicros: Int64 = 1_709_184_896_789_012

    static func parse(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBufferPointer { PostgresTimestamp.microseconds(fromISO: $0) }
    }

    @Test(arguments: [
        "2024-02-29 05:34:56.789012+00",
        "2024-02-29 12:34:56.789012+07",
        "2024-02-28 23:34:56.789012-06",
        "2024-02-29 11:04:56.789012+05:30",
        "2024-02-29 01:04:56.789012-04:30",
        "2024-02-29 12:41:36.789012+07:06:40",
        "2024-02-29 05:34:56.789012",
    ])
    func parsesEveryOffsetFormToTheSameInstant(text: String) {
        #expect(Self.parse(text) == Self.leapDayMicros)
    }

    @Test(arguments: [
        ("2024-02-29 05:34:56+00", Int64(1_709_184_896_000_000)),
        ("2024-02-29 05:34:56.5+00", 1_709_184_896_500_000),
        ("2024-02-29 05:34:56.05+00", 1_709_184_896_050_000),
        ("2024-02-29 05:34:56.000001+00", 1_709_184_896_000_001),
        ("2024-02-29 05:34:56.123+00", 1_709_184_896_123_000),
    ])
    func fractionsAreExactMicroseconds(text: String, micros: Int64) {
        #expect(Self.parse(text) == micros)
    }

    @Test(arguments: [
        ("1970-01-01 00:00:00+00", Int64(0)),
        ("1969-12-31 23:59:59.999999+00", -1),
        ("1970-01-01 07:00:00+07", 0),
        ("1969-07-20 20:17:40+00", -14_182_940_000_000),
        ("1900-01-01 00:00:00+00", -2_208_988_800_000_000),
        ("1900-03-01 00:00:00.5+00", -2_203_891_199_500_000),
    ])
    func datesBefore1970AreNegative(text: String, micros: Int64) {
        #expect(Self.parse(text) == micros)
    }

    @Test(arguments: [
        "", "2024-02-29", "2024-02-29T05:34:56+00", "2024-02-29 05:34:56+7", "2024-02-29 05:34:56 +00",
        "2024-02-29 05:34:56+00x", "24-02-29 05:34:56+00", "infinity", "-infinity", "0044-03-15 12:00:00+00 BC",
        "2024-2-29 05:34:56+00",
    ])
    func malformedTextIsRefused(text: String) {
        #expect(Self.parse(text) == nil)
    }

    @Test(arguments: [
        Int64(0), -1, 1, 1_709_184_896_789_012, -14_182_940_000_000, -2_208_988_800_000_000,
        -62_135_596_800_000_000,  // 0001-01-01 00:00:00
        253_402_300_799_999_999,  // 9999-12-31 23:59:59.999999
    ])
    func isoTextRoundTripsExactly(micros: Int64) {
        let text = PostgresTimestamp.isoString(microsecondsSinceEpoch: micros)
        #expect(Self.parse(text) == micros, "\(text)")
    }

    @Test(arguments: [
        (Int64(1_709_184_896_789_012), "2024-02-29 05:34:56.789012+00"),
        (-1, "1969-12-31 23:59:59.999999+00"),
        (0, "1970-01-01 00:00:00.000000+00"),
        (-2_208_988_800_000_000, "1900-01-01 00:00:00.000000+00"),
        (-62_135_596_800_000_000, "0001-01-01 00:00:00.000000+00"),
    ])
    func isoTextIsUTCWithSixFractionDigits(micros: Int64, text: String) {
        #expect(PostgresTimestamp.isoString(microsecondsSinceEpoch: micros) == text)
    }

    @Test(arguments: [Int64(1_709_184_896_789_012), 0, -1, -14_182_940_000_001, 1])
    func dateConversionKeepsTheMicrosecond(micros: Int64) {
        let date = PostgresTimestamp.date(microsecondsSinceEpoch: micros)
        #expect(PostgresTimestamp.microseconds(from: date) == micros)
    }

    @Test func aDateIsTheSameInstantAsItsText() throws {
        let date = PostgresTimestamp.date(microsecondsSinceEpoch: try #require(Self.parse("2024-02-29 12:34:56.789012+07")))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(secondsFromGMT: 7 * 3600))
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        #expect(parts.year == 2024 && parts.month == 2 && parts.day == 29)
        #expect(parts.hour == 12 && parts.minute == 34 && parts.second == 56)
    }
}
