import Foundation

/// An amount of money in whole Vietnamese đồng. VND has no minor unit in use, so amounts are
/// integers; there is no floating point anywhere in the ledger.
///
/// Arithmetic that would overflow throws instead of wrapping or trapping.
public struct VND: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public let amount: Int64

    /// The largest amount the ledger accepts in one figure: 10^15 đồng (far above any budget).
    public static let maximumMagnitude: Int64 = 1_000_000_000_000_000

    public static let zero = VND(0)

    public init(_ amount: Int64) { self.amount = amount }
    public init(integerLiteral value: Int64) { amount = value }

    public static func < (lhs: VND, rhs: VND) -> Bool { lhs.amount < rhs.amount }

    public var isPositive: Bool { amount > 0 }
    public var isNegative: Bool { amount < 0 }

    public func adding(_ other: VND) throws -> VND {
        let (sum, overflow) = amount.addingReportingOverflow(other.amount)
        guard !overflow, sum.magnitude <= Self.maximumMagnitude else { throw DomainError.amountOverflow }
        return VND(sum)
    }

    public func subtracting(_ other: VND) throws -> VND {
        let (difference, overflow) = amount.subtractingReportingOverflow(other.amount)
        guard !overflow, difference.magnitude <= Self.maximumMagnitude else { throw DomainError.amountOverflow }
        return VND(difference)
    }

    /// For folds over recorded events, whose amounts were checked when decided.
    public static func + (lhs: VND, rhs: VND) -> VND { VND(lhs.amount + rhs.amount) }
    public static func - (lhs: VND, rhs: VND) -> VND { VND(lhs.amount - rhs.amount) }
    public static prefix func - (value: VND) -> VND { VND(-value.amount) }
    public static func += (lhs: inout VND, rhs: VND) { lhs = lhs + rhs }
    public static func -= (lhs: inout VND, rhs: VND) { lhs = lhs - rhs }

    public static func min(_ a: VND, _ b: VND) -> VND { a < b ? a : b }
    public static func max(_ a: VND, _ b: VND) -> VND { a < b ? b : a }

    /// Plain integer, e.g. `5000000` (JSON, CSV and events use this form).
    public var description: String { String(amount) }

    /// With thousands separators and the unit, e.g. `5,000,000 ₫` (tables).
    public var formatted: String { Self.grouped(amount) + " ₫" }

    /// Thousands separators: `1234567` → `1,234,567`.
    public static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var output = ""
        output.reserveCapacity(digits.count + digits.count / 3 + 1)
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { output += "," }
            output.append(character)
        }
        return value < 0 ? "-" + output : output
    }

    /// Parses what an officer types: `5000000`, `5,000,000`, `5.000.000`, `5_000_000` or
    /// `5 000 000` (groups of exactly three digits), with a leading `+`/`-` only when `signed`, and
    /// optionally the unit after it: `đ`, `₫`, `đồng`, `VND` or `vnđ` (any case, with or without a
    /// space: `5.000.000đ`, `5.000.000 ₫`, `5000000 VND`). A decimal part (`5.000.000,50`) is
    /// refused: there is no fraction of a đồng.
    public init(parsing text: String, field: String, signed: Bool = false) throws {
        var body = Substring(Self.withoutUnit(text.trimmingSpaces()))
        var negative = false
        if let first = body.first, first == "+" || first == "-" {
            guard signed else {
                throw DomainError.invalidInput(field: field, problem: Message("{0} must be a whole number of đồng without a sign", .text(text.debugDescription)))
            }
            negative = first == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else {
            throw DomainError.invalidInput(field: field, problem: Message("an amount in đồng is required"))
        }
        guard let magnitudeText = Self.wholeDigits(body) else {
            if Self.hasDecimalPart(body) {
                throw DomainError.invalidInput(field: field, problem: Message("{0}: đồng are whole: no decimal part", .text(text.debugDescription)))
            }
            throw DomainError.invalidInput(field: field, problem: Message("{0} is not a whole number of đồng (e.g. 5000000 or 5.000.000)", .text(text.debugDescription)))
        }
        guard let magnitude = Int64(magnitudeText), magnitude <= Self.maximumMagnitude else {
            throw DomainError.invalidInput(field: field, problem: Message("{0} is larger than the ledger accepts ({1} đồng)", .text(text.debugDescription), .number(Self.maximumMagnitude)))
        }
        amount = negative ? -magnitude : magnitude
    }

    /// The units an amount may be followed by, longest first, lowercase and composed (NFC).
    static let unitSuffixes = ["đồng", "vnđ", "vnd", "đ", "₫"]

    /// `text` without a trailing unit (and the spaces before it); unchanged when it has none.
    static func withoutUnit(_ text: String) -> String {
        let composed = text.precomposedStringWithCanonicalMapping
        let lowered = composed.lowercased()
        for unit in unitSuffixes where lowered.hasSuffix(unit) && lowered.count == composed.count {
            return String(composed.dropLast(unit.count)).trimmingSpaces()
        }
        return text
    }

    static let groupSeparators: Set<Character> = [",", ".", "_", " "]

    /// The digits of a whole amount, written plain or in groups of three with one kind of
    /// separator; nil for anything else.
    static func wholeDigits(_ body: Substring) -> String? {
        let groups = body.split(omittingEmptySubsequences: false, whereSeparator: { groupSeparators.contains($0) })
        let wellGrouped = groups.count == 1
            || (groups[0].count >= 1 && groups[0].count <= 3 && groups.dropFirst().allSatisfy { $0.count == 3 })
        let separatorKinds = Set(body.filter { groupSeparators.contains($0) })
        guard wellGrouped, separatorKinds.count <= 1, groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            return nil
        }
        return groups.joined()
    }

    /// A whole amount followed by `,` or `.` and digits that are not a group of three with the
    /// same separator as the rest: `5.000.000,50`, `5000000.00`, `12.5`.
    static func hasDecimalPart(_ body: Substring) -> Bool {
        guard let point = body.lastIndex(where: { $0 == "," || $0 == "." }) else { return false }
        let head = body[..<point], tail = body[body.index(after: point)...]
        guard !head.isEmpty, !tail.isEmpty, tail.allSatisfy(\.isASCIIDigit), wholeDigits(head) != nil else { return false }
        return tail.count != 3 || head.contains(where: { groupSeparators.contains($0) && $0 != body[point] })
    }

    public init(from decoder: Decoder) throws {
        amount = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(amount)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
