import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// A JSON value as sent, with integers kept exact.
enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A request's JSON object, read field by field: a missing, mistyped or unknown field is a 400
/// that names it. Field names are the CLI's option names in snake_case.
struct JSONBody: Sendable {
    let fields: [String: JSONValue]

    /// JSON bodies of commands are small; a payment list goes to `/payment-imports` instead.
    static let maximumBytes = 1024 * 1024

    init(fields: [String: JSONValue]) {
        self.fields = fields
    }

    /// Reads the body as one JSON object whose fields are all in `allowed`; with `emptyBody`, no
    /// body at all (or only white space) is an empty object.
    static func read(_ request: Request, allowed: Set<String>, emptyBody: Bool = false) async throws -> JSONBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBytes)
        } catch {
            throw Problem(.contentTooLarge, code: "too_large", title: "The request is too large",
                          detail: "a JSON body may have at most \(maximumBytes) bytes")
        }
        let data = Data(buffer: buffer)
        if emptyBody, data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return JSONBody(fields: [:]) }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw Problem(.unsupportedMediaType, code: "unsupported_media_type", title: "Unsupported media type",
                          detail: "send the body as application/json (it was \(type))", field: "Content-Type")
        }
        let body = try parse(data)
        if let unknown = body.fields.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw Problem.badRequest(field: unknown, "\(unknown): unknown field (expected: \(allowed.sorted().joined(separator: ", ")))")
        }
        return body
    }

    static func parse(_ data: Data) throws -> JSONBody {
        guard !data.isEmpty else { throw Problem.badRequest(field: nil, "the body is empty: send a JSON object") }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw Problem.badRequest(field: nil, "the body is not valid JSON")
        }
        guard case .object(let fields) = value else {
            throw Problem.badRequest(field: nil, "the body must be a JSON object, not \(value.kind)")
        }
        return JSONBody(fields: fields)
    }

    private func missing(_ name: String) -> Problem {
        Problem.badRequest(field: name, "\(name): required")
    }

    private func wrongType(_ name: String, _ value: JSONValue, _ expected: String) -> Problem {
        Problem.badRequest(field: name, "\(name): must be \(expected), not \(value.kind)")
    }

    func optionalString(_ name: String) throws -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        case let value?: throw wrongType(name, value, "a string")
        }
    }

    func string(_ name: String) throws -> String {
        guard let text = try optionalString(name) else { throw missing(name) }
        return text
    }

    func optionalInteger(_ name: String) throws -> Int64? {
        switch fields[name] {
        case nil, .null?: return nil
        case .integer(let number)?: return number
        case .number(let number)? where number == number.rounded() && abs(number) < 9e15: return Int64(number)
        case .number?: throw Problem.badRequest(field: name, "\(name): must be a whole number")
        case let value?: throw wrongType(name, value, "an integer")
        }
    }

    func integer(_ name: String) throws -> Int64 {
        guard let number = try optionalInteger(name) else { throw missing(name) }
        return number
    }

    /// Đồng, whole; negative only where `signed` (a budget adjustment).
    func optionalAmount(_ name: String, signed: Bool = false) throws -> VND? {
        guard let number = try optionalInteger(name) else { return nil }
        if !signed && number <= 0 { throw Problem.badRequest(field: name, "\(name): must be a positive number of đồng, not \(number)") }
        if signed && number == 0 { throw Problem.badRequest(field: name, "\(name): must not be zero") }
        return VND(number)
    }

    func amount(_ name: String, signed: Bool = false) throws -> VND {
        guard let amount = try optionalAmount(name, signed: signed) else { throw missing(name) }
        return amount
    }

    /// `YYYY-MM-DD`.
    func optionalDate(_ name: String) throws -> LocalDate? {
        guard let text = try optionalString(name) else { return nil }
        do {
            return try LocalDate(parsing: text, field: name, isoOnly: true)
        } catch let error as DomainError {
            throw Problem.badRequest(field: name, "\(name): \(error.message)")
        }
    }

    func date(_ name: String) throws -> LocalDate {
        guard let date = try optionalDate(name) else { throw missing(name) }
        return date
    }

    func bool(_ name: String, default value: Bool = false) throws -> Bool {
        switch fields[name] {
        case nil, .null?: return value
        case .bool(let flag)?: return flag
        case let value?: throw wrongType(name, value, "true or false")
        }
    }

    func strings(_ name: String) throws -> [String] {
        switch fields[name] {
        case nil, .null?: return []
        case .array(let items)?:
            return try items.map { item in
                guard case .string(let text) = item else { throw wrongType(name, item, "an array of strings") }
                return text
            }
        case let value?: throw wrongType(name, value, "an array of strings")
        }
    }
}
