/// A strict JSON reader for small documents the ledger itself wrote (the append function's
/// reply, event metadata, stored payloads): objects, arrays, strings (escapes decoded), integers
/// that fit Int64, booleans and null. Anything else — a fraction, an exponent, nesting deeper than
/// 32 — gives nil, and the caller falls back to Foundation's JSON, so answers never depend on
/// which reader ran.
public struct MiniJSON {
    public enum Value: Sendable {
        case object([(String, Value)])
        case array([Value])
        case string(String)
        case integer(Int64)
        case bool(Bool)
        case null
    }

    private let text: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    public init(_ text: UnsafeBufferPointer<UInt8>) {
        self.text = text
    }

    /// The whole text as one value (surrounding whitespace allowed).
    public mutating func document() -> Value? {
        guard let value = value() else { return nil }
        skipWhitespace()
        return index == text.count ? value : nil
    }

    private mutating func skipWhitespace() {
        while index < text.count, text[index] == 32 || text[index] == 10 || text[index] == 13 || text[index] == 9 { index += 1 }
    }

    private mutating func value() -> Value? {
        skipWhitespace()
        guard index < text.count else { return nil }
        switch text[index] {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(Value.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return integer()
        }
    }

    private mutating func literal(_ word: StaticString, _ value: Value) -> Value? {
        let count = word.utf8CodeUnitCount
        guard index + count <= text.count else { return nil }
        for offset in 0..<count where text[index + offset] != word.utf8Start[offset] { return nil }
        index += count
        return value
    }

    private mutating func object() -> Value? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 32 else { return nil }
        index += 1
        var fields: [(String, Value)] = []
        skipWhitespace()
        if index < text.count, text[index] == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            skipWhitespace()
            guard index < text.count, text[index] == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard index < text.count, text[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let item = value() else { return nil }
            fields.append((key, item))
            skipWhitespace()
            guard index < text.count else { return nil }
            if text[index] == UInt8(ascii: ",") {
                index += 1
            } else if text[index] == UInt8(ascii: "}") {
                index += 1
                return .object(fields)
            } else {
                return nil
            }
        }
    }

    private mutating func array() -> Value? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 32 else { return nil }
        index += 1
        var items: [Value] = []
        skipWhitespace()
        if index < text.count, text[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            guard let item = value() else { return nil }
            items.append(item)
            skipWhitespace()
            guard index < text.count else { return nil }
            if text[index] == UInt8(ascii: ",") {
                index += 1
            } else if text[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            } else {
                return nil
            }
        }
    }

    /// An integer: optional minus, no leading zeros, no fraction or exponent.
    private mutating func integer() -> Value? {
        let start = index
        var negative = false
        if text[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let digitsStart = index
        var value: Int64 = 0
        while index < text.count, text[index] >= 48, text[index] <= 57 {
            let digit = Int64(text[index] - 48)
            let (multiplied, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (added, overflowB) = negative
                ? multiplied.subtractingReportingOverflow(digit)
                : multiplied.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { return nil }
            value = added
            index += 1
        }
        let digits = index - digitsStart
        guard digits > 0, !(digits > 1 && text[digitsStart] == 48) else {
            index = start
            return nil
        }
        if index < text.count, text[index] == UInt8(ascii: ".") || text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            return nil
        }
        return .integer(value)
    }

    /// A string (the opening quote at `index`), escapes decoded; nil if malformed.
    private mutating func string() -> String? {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < text.count, text[index] != UInt8(ascii: "\""), text[index] != UInt8(ascii: "\\") {
            guard text[index] >= 0x20 else { return nil }
            index += 1
        }
        guard index < text.count else { return nil }
        if text[index] == UInt8(ascii: "\"") {
            let bytes = UnsafeBufferPointer(rebasing: text[start..<index])
            index += 1
            return String(decoding: bytes, as: UTF8.self)
        }
        var bytes = Array(text[start..<index])
        while index < text.count {
            let byte = text[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < text.count else { return nil }
                let escape = text[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
                case UInt8(ascii: "b"): bytes.append(8)
                case UInt8(ascii: "f"): bytes.append(12)
                case UInt8(ascii: "n"): bytes.append(10)
                case UInt8(ascii: "r"): bytes.append(13)
                case UInt8(ascii: "t"): bytes.append(9)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard index + 1 < text.count, text[index] == UInt8(ascii: "\\"), text[index + 1] == UInt8(ascii: "u") else { return nil }
                        index += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    bytes.append(contentsOf: String(Character(unicode)).utf8)
                default: return nil
                }
            default:
                guard byte >= 0x20 else { return nil }
                bytes.append(byte)
                index += 1
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= text.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = text[index]
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 97...102: digit = UInt32(byte - 87)
            case 65...70: digit = UInt32(byte - 55)
            default: return nil
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

extension MiniJSON {
    /// The document in `text`, parsed; nil when it is not one this reader reads.
    public static func parse(_ text: String) -> Value? {
        var text = text
        return text.withUTF8 { bytes -> Value? in
            var parser = MiniJSON(bytes)
            return parser.document()
        }
    }
}
