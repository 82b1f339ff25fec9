import Foundation
import Postgres
import Testing

/// `VietnamTime` is pure arithmetic at a fixed +07:00: no database, no tz database.
@Suite struct VietnamTimeTests {
    /// 2024-05-21T17:00:00Z, midnight starting 22 May in Vietnam.
    static let vietnamMidnight: Int64 = 1_716_310_800_000_000

    @Test(arguments: [
        // 17:00 UTC is the next day's midnight in Vietnam.
        (vietnamMidnight, "2024-05-22 00:00:00.000000+07:00", "2024-05-22T00:00:00.000000+07:00"),
        (vietnamMidnight - 1, "2024-05-21 23:59:59.999999+07:00", "2024-05-21T23:59:59.999999+07:00"),
        // Midnight UTC is 07:00 the same day.
        (1_716_249_600_000_000, "2024-05-21 07:00:00.000000+07:00", "2024-05-21T07:00:00.000000+07:00"),
        // The epoch and before it (the arithmetic holds for negative instants too).
        (Int64(0), "1970-01-01 07:00:00.000000+07:00", "1970-01-01T07:00:00.000000+07:00"),
        (-1, "1970-01-01 06:59:59.999999+07:00", "1970-01-01T06:59:59.999999+07:00"),
        (-25_200_000_001, "1969-12-31 23:59:59.999999+07:00", "1969-12-31T23:59:59.999999+07:00"),
        // A year's end crosses in Vietnam before it does in UTC; a leap day.
        (1_735_664_400_000_000, "2025-01-01 00:00:00.000000+07:00", "2025-01-01T00:00:00.000000+07:00"),
        (1_709_184_896_789_012, "2024-02-29 12:34:56.789012+07:00", "2024-02-29T12:34:56.789012+07:00"),
    ])
    func instantsAreWrittenInVietnamTimeWithTheOffset(micros: Int64, display: String, rfc3339: String) {
        #expect(VietnamTime.display(microsecondsSinceEpoch: micros) == display)
        #expect(VietnamTime.rfc3339(microsecondsSinceEpoch: micros) == rfc3339)
        #expect(VietnamTime.display(rfc3339: rfc3339) == display)
        // What PostgreSQL reads back is the same instant.
        let parsed = Array(display.utf8).withUnsafeBufferPointer { PostgresTimestamp.microseconds(fromISO: $0) }
        #expect(parsed == micros)
    }

    @Test func narrowTablesDropTheFractionButKeepTheOffset() {
        #expect(VietnamTime.display(microsecondsSinceEpoch: 1_709_184_896_789_012, fractionalSeconds: false) == "2024-02-29 12:34:56+07:00")
    }

    @Test func daysBeginAndEndAtVietnamMidnight() {
        // 2024-05-22 is day 19_865 since 1970-01-01.
        #expect(VietnamTime.startOfDay(daysSinceEpoch: 19_865) == Self.vietnamMidnight)
        #expect(VietnamTime.endOfDay(daysSinceEpoch: 19_864) == Self.vietnamMidnight - 1)
        #expect(VietnamTime.startOfDay(daysSinceEpoch: 0) == -25_200_000_000)
        #expect(VietnamTime.display(microsecondsSinceEpoch: VietnamTime.endOfDay(daysSinceEpoch: 19_864)) == "2024-05-21 23:59:59.999999+07:00")
    }

    @Test func postgresParametersStayUTC() {
        #expect(PostgresTimestamp.isoString(microsecondsSinceEpoch: Self.vietnamMidnight) == "2024-05-21 17:00:00.000000+00")
    }

    @Test func textThatIsNotRFC3339IsLeftAsItIs() {
        #expect(VietnamTime.display(rfc3339: "-") == "-")
        #expect(VietnamTime.display(rfc3339: "2024-05-21 07:00:00+07:00") == "2024-05-21 07:00:00+07:00")
    }
}
