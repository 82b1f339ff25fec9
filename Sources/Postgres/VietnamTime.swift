/// Recording times (`recorded_at`, `updated_at`, …) as the ledger shows them: in Vietnam's time,
/// Asia/Ho_Chi_Minh, with the offset written out.
///
/// Vietnam has kept one fixed offset, UTC+07:00, since 1975, with no daylight saving time, so a
/// fixed offset is exact for every time the ledger records and needs no tz database (instants
/// before 1975 are shown at +07:00 too; the ledger holds none). Only the text changes: PostgreSQL
/// stores `timestamptz` in UTC, the session reads it in UTC, and what the ledger sends to
/// PostgreSQL stays `PostgresTimestamp.isoString`.
public enum VietnamTime {
    /// UTC+07:00, in seconds.
    public static let offsetSeconds: Int64 = 7 * 3_600
    /// The offset as written after a time.
    public static let offsetText = "+07:00"

    static let offsetMicroseconds = offsetSeconds * 1_000_000
    static let dayMicroseconds: Int64 = 86_400 * 1_000_000

    /// `2026-12-06 21:14:39.228030+07:00`, for people: tables, key/value lines, messages.
    /// Without `fractionalSeconds`: `2026-12-06 21:14:39+07:00` (narrow tables).
    public static func display(microsecondsSinceEpoch micros: Int64, fractionalSeconds: Bool = true) -> String {
        let local = PostgresTimestamp.wallClock(microsecondsSinceEpoch: micros &+ offsetMicroseconds, separator: " ")
        return (fractionalSeconds ? local : String(local.prefix(19))) + offsetText
    }

    /// `2026-12-06T21:14:39.228030+07:00`: RFC 3339 (`T`, six decimals, the offset), for JSON
    /// and CSV, whatever the locale.
    public static func rfc3339(microsecondsSinceEpoch micros: Int64) -> String {
        PostgresTimestamp.wallClock(microsecondsSinceEpoch: micros &+ offsetMicroseconds, separator: "T") + offsetText
    }

    /// An `rfc3339` text as `display` writes it (the `T` becomes a space); other text unchanged.
    public static func display(rfc3339 text: String) -> String {
        var characters = Array(text)
        guard characters.count > 10, characters[10] == "T" else { return text }
        characters[10] = " "
        return String(characters)
    }

    /// Microseconds since 1970 when the day `daysSinceEpoch` (days since 1970-01-01, the
    /// calendar day in Vietnam) begins in Vietnam: 00:00:00+07:00, i.e. 17:00 UTC the day before.
    public static func startOfDay(daysSinceEpoch days: Int64) -> Int64 {
        days * dayMicroseconds - offsetMicroseconds
    }

    /// The last microsecond of that day in Vietnam: 23:59:59.999999+07:00.
    public static func endOfDay(daysSinceEpoch days: Int64) -> Int64 {
        startOfDay(daysSinceEpoch: days + 1) - 1
    }
}
