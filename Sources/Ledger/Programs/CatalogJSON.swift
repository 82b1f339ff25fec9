/// A strict JSON reader for the programme catalog. Numbers keep their literal text, so amounts
/// are read as whole đồng with no floating point on the way; duplicate keys are refused rather
/// than silently overwritten; every error says where it is (line and column).
enum CatalogJSON {
    indirect enum Value {
        case null
        case bool(Bool)
        /// The literal as written, e.g. `40000000` or `5.5`.
        case number(String)
        case string(String)
        case array([Value])
        /// Members in the order written.
        case object([(key: String, value: Value)])

        /// What kind of value this is, for messages (`a string`, `an array`, …).
        var kindDescription: String {
            switch self {
            case .null: "null"
            case .bool: "true or false"
            case .number(let literal): "the number \(literal)"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        }
    }

    /// Parses one JSON document; `field` names the whole document in errors.
    static func parse(_ text: String, field: String) throws -> Value {
        var parser = Parser(bytes: Array(text.utf8), field: field)
        parser.skipWhitespace()
        let value = try parser.value(depth: 1)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.failure("unexpected text after the end of the document") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let field: String
        var index = 0

        init(bytes: [UInt8], field: String) {
            self.bytes = bytes
            self.field = field
        }

        func failure(_ problem: String) -> DomainError {
            var line = 1, column = 1
            for byte in bytes[..<min(index, bytes.count)] {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {  // count characters, not UTF-8 continuation bytes
                    column += 1
                }
            }
            return DomainError.invalidInput(field: field, problem: "line \(line), column \(column): \(problem)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws -> Value {
            guard depth <= DomainLimits.maximumCatalogNesting else {
                throw failure("nested deeper than \(DomainLimits.maximumCatalogNesting) levels")
            }
            guard index < bytes.count else { throw failure("unexpected end of the document") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw failure("expected a value (an object, array, string, number, true, false or null)")
            }
        }

        mutating func literal(_ word: String) throws {
            let expected = Array(word.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw failure("expected \(word)")
            }
            index += expected.count
        }

        mutating func expect(_ character: Character) throws {
            guard index < bytes.count, bytes[index] == character.asciiValue! else { throw failure("expected '\(character)'") }
            index += 1
        }

        mutating func object(depth: Int) throws -> Value {
            try expect("{")
            var members: [(key: String, value: Value)] = []
            var seen: Set<String> = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key in double quotes") }
                let keyStart = index
                let key = try string()
                guard seen.insert(key).inserted else {
                    index = keyStart
                    throw failure("the key \"\(key)\" appears twice in the same object")
                }
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of the document inside an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("}")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws -> Value {
            try expect("[")
            var elements: [Value] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of the document inside an array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("]")
                return .array(elements)
            }
        }

        mutating func string() throws -> String {
            try expect("\"")
            var output: [UInt8] = []
            while true {
                guard index < bytes.count else { throw failure("a string is not closed") }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: output, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw failure("a string is not closed") }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
                    case UInt8(ascii: "b"): output.append(0x08)
                    case UInt8(ascii: "f"): output.append(0x0C)
                    case UInt8(ascii: "n"): output.append(0x0A)
                    case UInt8(ascii: "r"): output.append(0x0D)
                    case UInt8(ascii: "t"): output.append(0x09)
                    case UInt8(ascii: "u"): output.append(contentsOf: Array(String(try unicodeEscape()).utf8))
                    default: throw failure("unknown escape \\\(Character(Unicode.Scalar(escaped)))")
                    }
                case 0x00..<0x20:
                    index -= 1
                    throw failure("a control character inside a string must be escaped")
                default:
                    output.append(byte)
                }
            }
        }

        /// After `\u`: four hex digits, or a surrogate pair written as two escapes.
        mutating func unicodeEscape() throws -> Character {
            let first = try hexQuad()
            if (0xD800..<0xDC00).contains(first) {
                guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure("a lone surrogate \\u\(String(first, radix: 16)) is not a character")
                }
                index += 2
                let second = try hexQuad()
                guard (0xDC00..<0xE000).contains(second) else { throw failure("a lone surrogate is not a character") }
                let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
                return Character(scalar)
            }
            guard let scalar = Unicode.Scalar(first) else { throw failure("a lone surrogate is not a character") }
            return Character(scalar)
        }

        mutating func hexQuad() throws -> UInt32 {
            guard bytes.count - index >= 4 else { throw failure("\\u needs four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw failure("\\u needs four hex digits")
                }
                value = value * 16 + digit
                index += 1
            }
            return value
        }

        /// The JSON number grammar, kept as text.
        mutating func number() throws -> String {
            let start = index
            func digits() -> Int {
                let from = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - from
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            let integerDigits = digits()
            guard integerDigits > 0 else { throw failure("a number needs digits") }
            guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
                index = integerStart
                throw failure("a number must not start with 0")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw failure("a decimal point needs digits after it") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw failure("an exponent needs digits") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }
}

/// One JSON object of the catalog, read field by field. Unknown keys are refused by `init`, so
/// a misspelt field is never silently ignored; every error names the field by its path
/// (`programs[2].cap_per_beneficiary_vnd`).
struct CatalogObject {
    /// Where the object sits: empty for the document itself, `programs[2]`, `programs[2].loan_terms`.
    let path: String
    private let members: [String: CatalogJSON.Value]

    init(_ value: CatalogJSON.Value, path: String, allowedKeys: [String], describedAs noun: String) throws {
        guard case .object(let pairs) = value else {
            throw DomainError.invalidInput(field: path.isEmpty ? "catalog" : path, problem: "must be an object, not \(value.kindDescription)")
        }
        self.path = path
        var members: [String: CatalogJSON.Value] = [:]
        for pair in pairs {
            guard allowedKeys.contains(pair.key) else {
                throw DomainError.invalidInput(
                    field: Self.join(path, pair.key),
                    problem: "is not a field of \(noun) (expected: \(allowedKeys.joined(separator: ", ")))"
                )
            }
            members[pair.key] = pair.value
        }
        self.members = members
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func field(_ key: String) -> String { Self.join(path, key) }

    func has(_ key: String) -> Bool {
        if let value = members[key], case .null = value { return false }
        return members[key] != nil
    }

    func required(_ key: String) throws -> CatalogJSON.Value {
        guard let value = members[key] else { throw DomainError.invalidInput(field: field(key), problem: "is required") }
        if case .null = value { throw DomainError.invalidInput(field: field(key), problem: "is required (null given)") }
        return value
    }

    /// A string, trimmed, 1…`maximumCharacters` characters.
    func text(_ key: String, maximumCharacters: Int) throws -> String {
        guard case .string(let text) = try required(key) else {
            throw DomainError.invalidInput(field: field(key), problem: "must be a string")
        }
        return try DomainText.validated(text, field: field(key), maximumCharacters: maximumCharacters)
    }

    /// A whole number written without fraction or exponent, within `range`; otherwise `problem`.
    func wholeNumber(_ key: String, in range: ClosedRange<Int64>, problem: String) throws -> Int64 {
        guard case .number(let literal) = try required(key),
              literal.allSatisfy({ $0.isASCIIDigit || $0 == "-" }),
              let number = Int64(literal), range.contains(number)
        else {
            throw DomainError.invalidInput(field: field(key), problem: problem)
        }
        return number
    }

    func bool(_ key: String) throws -> Bool {
        guard case .bool(let flag) = try required(key) else {
            throw DomainError.invalidInput(field: field(key), problem: "must be true or false")
        }
        return flag
    }

    func date(_ key: String) throws -> LocalDate {
        guard case .string(let text) = try required(key) else {
            throw DomainError.invalidInput(field: field(key), problem: "must be a date in the form \"YYYY-MM-DD\" or \"DD/MM/YYYY\"")
        }
        return try LocalDate(parsing: text, field: field(key))
    }

    func array(_ key: String, maximumCount: Int) throws -> [CatalogJSON.Value] {
        guard case .array(let elements) = try required(key) else {
            throw DomainError.invalidInput(field: field(key), problem: "must be an array")
        }
        guard elements.count <= maximumCount else {
            throw DomainError.invalidInput(field: field(key), problem: "has \(elements.count) entries; at most \(maximumCount)")
        }
        return elements
    }

    /// An array of strings.
    func strings(_ key: String, maximumCount: Int) throws -> [String] {
        try array(key, maximumCount: maximumCount).enumerated().map { index, element in
            guard case .string(let text) = element else {
                throw DomainError.invalidInput(field: "\(field(key))[\(index)]", problem: "must be a string, not \(element.kindDescription)")
            }
            return text
        }
    }
}
