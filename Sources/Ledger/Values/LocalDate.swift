import Foundation

/// A business date (`paid_on`, `decided_on`, …): a day in the city's calendar, with no time and no
/// time zone. Distinct from the recording time, which the database sets.
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a date, or fails if there is no such day.
    public init?(year: Int, month: Int, day: Int) {
        guard (1900...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= Self.daysIn(year: year, month: month)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses a date as people write it: `YYYY-MM-DD` (ISO 8601, what the ledger prints), or
    /// `DD/MM/YYYY` and `D/M/YYYY` (what Vietnamese officers and Excel write). A two-digit year is
    /// refused as ambiguous; a day that is not in the calendar (31/02/2024) is refused. Every date
    /// the ledger reads — options, payment lists, catalogs, place files — goes through here.
    /// `isoOnly` keeps to `YYYY-MM-DD` for machine interfaces whose contract says so (the HTTP
    /// API's `format: date`).
    public init(parsing text: String, field: String, isoOnly: Bool = false) throws {
        let trimmed = text.trimmingSpaces()
        let year: Int, month: Int, day: Int
        if !isoOnly, trimmed.contains("/") {
            let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, (1...2).contains(parts[0].count), (1...2).contains(parts[1].count),
                  parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
                  let d = Int(parts[0]), let m = Int(parts[1]), let y = Int(parts[2])
            else {
                throw DomainError.invalidInput(field: field, problem: Message(Self.expectedForms, .text(text.debugDescription)))
            }
            if parts[2].count == 2 {
                throw DomainError.invalidInput(
                    field: field, problem: Message("{0}: a two-digit year is ambiguous: write {1}", .text(text.debugDescription), .text(String(2000 + y)))
                )
            }
            guard parts[2].count == 4 else {
                throw DomainError.invalidInput(field: field, problem: Message(Self.expectedForms, .text(text.debugDescription)))
            }
            (year, month, day) = (y, m, d)
        } else {
            let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                  parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
                  let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
            else {
                throw DomainError.invalidInput(
                    field: field, problem: Message(isoOnly ? "{0} is not a date in the form YYYY-MM-DD" : Self.expectedForms, .text(text.debugDescription))
                )
            }
            (year, month, day) = (y, m, d)
        }
        guard let date = LocalDate(year: year, month: month, day: day) else {
            throw DomainError.invalidInput(field: field, problem: Message("{0} is not a day of the calendar", .text(trimmed)))
        }
        self = date
    }

    static let expectedForms = "{0} is not a date in the form YYYY-MM-DD or DD/MM/YYYY"

    /// Today in Vietnam (UTC+7), for business dates left to default.
    public static func today(now: Date = Date()) -> LocalDate {
        LocalDate(daysSinceEpoch: Int((now.timeIntervalSince1970 + 7 * 3600) / 86_400))
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        let y = String(year), m = month < 10 ? "0\(month)" : String(month), d = day < 10 ? "0\(day)" : String(day)
        return "\(y)-\(m)-\(d)"
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days from `self` to `other` (positive when `other` is later).
    public func days(until other: LocalDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// The same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb).
    public func adding(months: Int) -> LocalDate {
        let index = year * 12 + (month - 1) + months
        let newYear = index / 12, newMonth = index % 12 + 1
        return LocalDate(year: newYear, month: newMonth, day: min(day, Self.daysIn(year: newYear, month: newMonth)))!
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try LocalDate(parsing: text, field: "date")
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
