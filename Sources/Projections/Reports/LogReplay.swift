import EventStore
import Foundation
import Ledger
import Postgres

/// How far a replay folds the log.
public enum ReplayLimit: Sendable, Equatable {
    /// Everything up to the head as it is when the last page is read.
    case head
    /// Events at positions 1…N.
    case position(Int64)
    /// Events recorded at or before this instant (microseconds since 1970, UTC). The append
    /// function stamps `recorded_at` after taking the log's lock, so recording time never
    /// decreases as position increases: these events are a prefix of the log.
    case recordedAt(microseconds: Int64)
}

/// Where a replay stopped.
public struct ReplayPoint: Sendable, Equatable {
    /// The last position folded (0 when none was).
    public let position: Int64
    /// When that event was recorded (nil when none was folded).
    public let recordedAtMicroseconds: Int64?
    /// The head of the log when the replay started.
    public let headPosition: Int64
    /// Events the replay could not read or fold, skipped (a warning for the reader of the report).
    public var skipped: [UnreadableEvent] = []
}

/// Streams the log in position order, a page at a time (`EventStore.readPage`), into a fold:
/// memory is one page plus what the fold keeps, never the log.
public enum LogReplay {
    public static let defaultPageSize = 5_000

    /// Folds the events up to `limit` with `apply`. Refuses a position beyond the head. Throws if
    /// the log has a gap (positions are contiguous; a hole is corruption). An event that cannot be
    /// read (or that `apply` refuses with a `FoldProblem`) is skipped and listed in `skipped`.
    public static func fold(
        _ store: EventStore, until limit: ReplayLimit, pageSize: Int = defaultPageSize, _ apply: (ProjectedEvent) throws -> Void
    ) async throws -> ReplayPoint {
        var skipped: [UnreadableEvent] = []
        let head = try await store.digest().position
        if case .position(let target) = limit {
            guard target >= 0 else {
                throw DomainError.invalidInput(field: "--until-position", problem: "\(target) is not a position (0 or more)")
            }
            guard target <= head else {
                throw ReportError("position \(target) is beyond the head of the log (\(head))")
            }
        }
        var last: Int64 = 0
        var lastRecordedAt: Int64?
        reading: while true {
            var wanted = pageSize
            if case .position(let target) = limit {
                if last >= target { break }
                wanted = Int(min(Int64(pageSize), target - last))
            }
            let page = try await store.readPage(after: last, limit: wanted)
            for recorded in page {
                guard recorded.position == last + 1 else {
                    throw ReportError("the log has a gap: expected position \(last + 1), found \(recorded.position)")
                }
                if case .recordedAt(let instant) = limit, recorded.recordedAtMicroseconds > instant { break reading }
                switch ProjectedEvent.decode(recorded) {
                case .event(let event):
                    do {
                        try apply(event)
                    } catch let problem as FoldProblem {
                        skipped.append(UnreadableEvent(recorded, problem: problem.description))
                    }
                case .unreadable(let unreadable):
                    skipped.append(unreadable)
                case .foreign:
                    break
                }
                last = recorded.position
                lastRecordedAt = recorded.recordedAtMicroseconds
            }
            if page.count < wanted { break }
        }
        return ReplayPoint(position: last, recordedAtMicroseconds: lastRecordedAt, headPosition: head, skipped: skipped)
    }
}

/// A report that cannot be made as asked (not malformed input: that is a `DomainError`).
public struct ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Parses the recording instants `ledger replay --as-of` takes.
public enum RecordingInstant {
    /// The accepted forms, as error messages and help texts name them.
    public static let forms = "YYYY-MM-DD or DD/MM/YYYY (through the end of that day in Vietnam), optionally followed by "
        + "a time HH:MM:SS[.ffffff] (Vietnam time) and Z or ±HH:MM"

    /// A date — `YYYY-MM-DD`, or `DD/MM/YYYY` / `D/M/YYYY` as `LocalDate` reads it — means through
    /// the end of that day in Vietnam (23:59:59.999999+07:00, `VietnamTime`); a date followed by
    /// `THH:MM:SS[.ffffff]` (a space may stand for `T`) is that time in Vietnam, unless `Z` or
    /// `±HH:MM` follows (then that offset). Inclusive, to the microsecond. Returns microseconds
    /// since 1970; refuses anything else naming `field` and the accepted forms.
    public static func parse(_ text: String, field: String) throws -> Int64 {
        func refuse(_ why: String) -> DomainError {
            DomainError.invalidInput(field: field, problem: "\(text.debugDescription) \(why) (use \(forms))")
        }
        let bytes = Array(text.utf8)
        // The date ends where the time begins (`T` or a space) or with the text.
        let dateEnd = bytes.firstIndex { $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: "t") || $0 == UInt8(ascii: " ") } ?? bytes.count
        let datePart = String(decoding: bytes[0..<dateEnd], as: UTF8.self)
        guard !datePart.isEmpty, datePart.utf8.allSatisfy({ (48...57).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "/") })
        else { throw refuse("is not a date or time") }
        let date: LocalDate
        do {
            date = try LocalDate(parsing: datePart, field: field)
        } catch where datePart.contains("/") && datePart.split(separator: "/").last?.count == 2 {
            throw DomainError.invalidInput(field: field, problem: "\(text.debugDescription): a two-digit year is ambiguous: write the year in full (use \(forms))")
        } catch {
            throw refuse("is not a date or time")
        }
        let days = Int64(date.daysSinceEpoch)
        if dateEnd == bytes.count { return VietnamTime.endOfDay(daysSinceEpoch: days) }
        let dayStart = VietnamTime.startOfDay(daysSinceEpoch: days)
        var index = dateEnd
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<(index + digits)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard expect(UInt8(ascii: "T")) || expect(UInt8(ascii: "t")) || expect(UInt8(ascii: " ")),
              let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2), expect(UInt8(ascii: ":")),
              let second = number(2)
        else { throw refuse("is not a date or time") }
        guard hour < 24, minute < 60, second < 60 else { throw refuse("is not a time of day") }
        var fraction: Int64 = 0
        if expect(UInt8(ascii: ".")) {
            var digits = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                guard digits < 6 else { throw refuse("has more than 6 decimals of a second") }
                fraction = fraction * 10 + Int64(bytes[index] - 48)
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw refuse("is not a time of day") }
            for _ in digits..<6 { fraction *= 10 }
        }
        // Without an offset: Vietnam time (dayStart already is Vietnam's midnight).
        var offsetSeconds: Int64 = 0
        if index < bytes.count {
            if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
                offsetSeconds = -VietnamTime.offsetSeconds
            } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : -1
                index += 1
                guard let offsetHours = number(2), offsetHours <= 14 else { throw refuse("has a malformed offset") }
                var offsetMinutes: Int64 = 0
                if index < bytes.count {
                    _ = expect(UInt8(ascii: ":"))
                    guard let minutes = number(2), minutes < 60 else { throw refuse("has a malformed offset") }
                    offsetMinutes = minutes
                }
                offsetSeconds = sign * (offsetHours * 3_600 + offsetMinutes * 60) - VietnamTime.offsetSeconds
            } else {
                throw refuse("is not a date or time")
            }
        }
        guard index == bytes.count else { throw refuse("has text after the time") }
        return dayStart + ((hour * 3_600 + minute * 60 + second - offsetSeconds) * 1_000_000) + fraction
    }
}
