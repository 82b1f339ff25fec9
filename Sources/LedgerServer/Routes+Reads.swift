import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Projections

/// The reads: lists and shows (Routes+Find), reports (Routes+Reports), projections status, audit
/// (Routes+Audit). Every read runs on the signed-in person's own connection, so the database's
/// grants decide who may read what.
extension LedgerServer {
    func addReadRoutes(to router: Router<LedgerRequestContext>) {
        addFindRoutes(to: router)
        addReportRoutes(to: router)
        addAuditRoutes(to: router)
    }

    /// A read: the request's session, its query parameters (only `allowed`), then `body` on the
    /// person's connection; the value is answered as JSON (200). Failures of the read models and
    /// reports become problems here.
    func read<T: Encodable & Sendable>(
        _ request: Request, _ context: LedgerRequestContext, allowed: Set<String>,
        _ body: @Sendable (QueryParameters, Session) async throws -> T
    ) async throws -> Response {
        try await withSession(request, context) { session in
            let query = try QueryParameters(request, allowed: allowed)
            let value = try await Self.readProblems { try await body(query, session) }
            return try JSONResponse.make(.ok, value, user: session.user)
        }
    }

    /// `FindError` and `ReportError` (the read side's refusals, which name what to do) as problems.
    static func readProblems<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as FindError {
            let text = error.description
            if text.contains("may not read") {
                throw Problem(.forbidden, code: "permission_denied", title: "Refused by the database's roles", detail: text)
            }
            if text.hasPrefix("no ") {
                throw Problem.notFound(text)
            }
            throw Problem(.serviceUnavailable, code: "read_model_unavailable", title: "The read models are not ready", detail: text, retryAfter: 60)
        } catch let error as ReportError {
            if error.description.contains("no checkpoint") {
                throw Problem(.serviceUnavailable, code: "read_model_unavailable", title: "The read models are not ready",
                              detail: error.description, retryAfter: 60)
            }
            throw Problem(.unprocessableContent, code: "report_refused", title: "The report cannot be computed", detail: error.description)
        }
    }
}

/// A request's query parameters, read one by one: a malformed value, a parameter given twice or
/// one the route does not know is a 400 that names it. An empty value (`status=`, as an HTML form
/// sends an empty field) counts as not given.
struct QueryParameters: Sendable {
    let values: [String: String]

    init(values: [String: String]) {
        self.values = values
    }

    init(_ request: Request, allowed: Set<String>) throws {
        self = try Self.parse(request.uri.query ?? "", allowed: allowed)
    }

    /// `a=1&b=x%20y` (a `+` is a space, as forms send it).
    static func parse(_ query: String, allowed: Set<String>) throws -> QueryParameters {
        var values: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String? {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decoded(parts[0]) else {
                throw Problem.badRequest(field: nil, "the query string is not percent-encoded correctly")
            }
            guard allowed.contains(name) else {
                let expected = allowed.isEmpty ? "this resource takes none" : "expected: \(allowed.sorted().joined(separator: ", "))"
                throw Problem.badRequest(field: name, "\(name): unknown query parameter (\(expected))")
            }
            guard let value = parts.count > 1 ? decoded(parts[1]) : "" else {
                throw Problem.badRequest(field: name, "\(name): not percent-encoded correctly")
            }
            guard values[name] == nil else {
                throw Problem.badRequest(field: name, "\(name): given more than once")
            }
            values[name] = value
        }
        return QueryParameters(values: values)
    }

    /// The value as given, trimmed; nil when absent or empty.
    func string(_ name: String) throws -> String? {
        guard let raw = values[name] else { return nil }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        guard text.utf8.count <= 200 else { throw Problem.badRequest(field: name, "\(name): at most 200 bytes") }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Problem.badRequest(field: name, "\(name): must not contain control characters")
        }
        return text
    }

    /// An id (letters, digits, `.`, `_`, `-`; at most 64).
    func identifier(_ name: String) throws -> String? {
        guard let text = try string(name) else { return nil }
        return try Self.checked(name) { try Identifier.validated(text, field: name) }
    }

    /// `YYYY-MM-DD`.
    func date(_ name: String) throws -> LocalDate? {
        guard let text = try string(name) else { return nil }
        return try Self.checked(name) { try LocalDate(parsing: text, field: name, isoOnly: true) }
    }

    /// A whole number in `range`.
    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try string(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw Problem.badRequest(field: name, "\(name): \(text.debugDescription) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A fiscal year (2000–2100), as `--year`.
    func year(_ name: String = "year") throws -> Int? {
        try integer(name, in: 2000...2100)
    }

    /// `limit` (1–100,000; default 100), as `--limit`.
    func limit() throws -> Int {
        try integer("limit", in: 1...Find.maximumLimit) ?? Find.defaultLimit
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`); absent is `default`.
    func bool(_ name: String, default value: Bool = false) throws -> Bool {
        guard let text = try string(name) else { return value }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw Problem.badRequest(field: name, "\(name): \(text.debugDescription) must be true or false")
        }
    }

    /// One of `choices`.
    func choice(_ name: String, _ choices: [String]) throws -> String? {
        guard let text = try string(name) else { return nil }
        guard choices.contains(text) else {
            throw Problem.badRequest(field: name, "\(name): \(text.debugDescription) is not one of \(choices.joined(separator: ", "))")
        }
        return text
    }

    /// `unit`, or its alias `district` (not both): the text and the parameter it came in.
    func unit() throws -> (text: String, field: String)? {
        let unit = try string("unit"), district = try string("district")
        if unit != nil, district != nil {
            throw Problem.badRequest(field: "unit", "unit: give unit or its alias district, not both")
        }
        if let unit { return (unit, "unit") }
        if let district { return (district, "district") }
        return nil
    }

    /// A domain check's refusal as a 400 naming the parameter.
    static func checked<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DomainError {
            throw Problem.badRequest(field: name, "\(name): \(error.message)")
        }
    }
}

/// A value's JSON with more fields beside it (the read models' lag, warnings the CLI prints on stderr).
struct Annotated<Value: Encodable & Sendable>: Encodable, Sendable {
    let value: Value
    var behind: [ReadModelBehind]?
    var warnings: [String]

    init(_ value: Value, behind: [ReadModelBehind]? = nil, warnings: [String] = []) {
        self.value = value
        self.behind = behind
        self.warnings = warnings
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: DynamicKey.self)
        if let behind { try container.encode(behind.filter { $0.events > 0 }, forKey: DynamicKey("read_models_behind")) }
        try container.encode(warnings, forKey: DynamicKey("warnings"))
    }
}

extension FoundRows {
    /// What the CLI prints on stderr beside the rows: read models behind, more rows than shown.
    func warnings(noun: String) -> [String] {
        behind.compactMap(\.warning) + [moreRowsNote(noun)?.replacingOccurrences(of: "raise --limit", with: "raise limit")].compactMap { $0 }
    }
}
