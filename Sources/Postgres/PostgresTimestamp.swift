import Foundation

/// Conversions between `timestamptz` text (ISO, UTC — the session is set to that on connect),
/// microseconds since the Unix epoch (exact) and `Date`.
public enum PostgresTimestamp {
    /// 2000-01-01T00:00:00Z, where binary `timestamp`/`timestamptz` values count from, in
    /// microseconds since the Unix epoch.
    public static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]` as PostgreSQL prints it with DateStyle ISO.
    public static func microseconds(fromISO text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let count = text.count
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                let byte = text[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < count, text[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              expect(32), let hour = number(2), expect(58), let minute = number(2), expect(58),
              let second = number(2)
        else { return nil }
        var fraction: Int64 = 0
        if index < count, text[index] == 46 {
            index += 1
            var digits = 0
            while index < count, text[index] >= 48, text[index] <= 57 {
                if digits < 6 { fraction = fraction * 10 + Int64(text[index] - 48) }
                digits += 1
                index += 1
            }
            if digits < 6 { for _ in digits..<6 { fraction *= 10 } }
        }
        var offsetSeconds: Int64 = 0
        if index < count {
            let sign: Int64
            switch text[index] {
            case 43: sign = 1
            case 45: sign = -1
            default: return nil
            }
            index += 1
            guard let offsetHours = number(2) else { return nil }
            var offset = offsetHours * 3600
            if expect(58), let offsetMinutes = number(2) { offset += offsetMinutes * 60 }
            if expect(58), let offsetSecondsPart = number(2) { offset += offsetSecondsPart }
            offsetSeconds = sign * offset
        }
        guard index == count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * 1_000_000 + fraction
    }

    /// Microseconds since the Unix epoch of a `Date`, rounded to the nearest microsecond.
    public static func microseconds(from date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public static func date(microsecondsSinceEpoch micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`: what PostgreSQL accepts (parameters, COPY). For what
    /// people and JSON read, see `VietnamTime`.
    public static func isoString(microsecondsSinceEpoch micros: Int64) -> String {
        wallClock(microsecondsSinceEpoch: micros, separator: " ") + "+00"
    }

    /// `YYYY-MM-DD<separator>HH:MM:SS.ffffff` of `micros` read as UTC, without an offset.
    static func wallClock(microsecondsSinceEpoch micros: Int64, separator: Character) -> String {
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))\(separator)\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))"
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
