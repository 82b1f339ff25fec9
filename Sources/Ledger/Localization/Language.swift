/// The language the ledger writes for people in: English (the default) or Vietnamese. Chosen with
/// `--locale` or `LEDGER_LOCALE` (`vi`, `en`, `vi_VN`, `vi-VN.UTF-8`, `en_US`, …). Machine formats
/// (JSON, CSV, the HTTP API) never depend on it.
public enum Language: String, Sendable, CaseIterable, Equatable {
    case en, vi

    /// Why a locale was refused, naming where it came from (`--locale` or `LEDGER_LOCALE`).
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// `vi`, `vi_VN`, `vi-VN`, `vi_VN.UTF-8`, `VI`, `en`, `en_US`, `en-GB.utf8`, … : the language
    /// part, optionally a region of 2–3 letters or digits, an encoding after `.` and a modifier
    /// after `@`. Anything else is refused naming `source`.
    public init(parsing text: String, source: String) throws(Refusal) {
        var body = Substring(text.trimmingSpaces())
        if let at = body.firstIndex(of: "@") { body = body[..<at] }
        if let dot = body.firstIndex(of: ".") { body = body[..<dot] }
        let parts = body.split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false) }
        let regionOK = parts.count == 1
            || (parts.count == 2 && (2...3).contains(parts[1].count) && parts[1].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        guard regionOK, let first = parts.first, let language = Language(rawValue: first.lowercased()) else {
            throw Refusal(description: "\(source): \(text.debugDescription) is not a language the ledger writes: "
                + "vi (Vietnamese) or en (English), also as vi_VN, vi-VN.UTF-8, en_US")
        }
        self = language
    }

    /// The option when given, else `LEDGER_LOCALE` when set and not empty, else English.
    public static func resolve(option: String?, environment: [String: String]) throws(Refusal) -> Language {
        if let option { return try Language(parsing: option, source: "--locale") }
        if let value = environment["LEDGER_LOCALE"], !value.trimmingSpaces().isEmpty {
            return try Language(parsing: value, source: "LEDGER_LOCALE")
        }
        return .en
    }
}
