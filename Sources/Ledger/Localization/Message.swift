/// A sentence for people, kept as a template and its values until it is written in a language:
/// the key is the English template (`"there is no application {0}"`), `Catalog` maps it to the
/// Vietnamese one, and the values are formatted for the language (amounts `5.000.000 ₫`, dates
/// `21/05/2024`). The English rendering is exactly what the ledger printed before it spoke
/// Vietnamese.
public struct Message: Sendable, Equatable, CustomStringConvertible {
    public indirect enum Argument: Sendable, Equatable {
        /// Shown as it is (ids, names, references, text a person typed).
        case text(String)
        case amount(VND)
        case date(LocalDate)
        /// A count, grouped (`1,234` / `1.234`).
        case number(Int64)
        /// A word of the ledger's own looked up in the catalog (`bank`, `approved`).
        case term(String)
        /// A nested sentence.
        case message(Message)
    }

    public let key: String
    public let arguments: [Argument]

    public init(_ key: String, _ arguments: Argument...) {
        self.key = key
        self.arguments = arguments
    }

    public init(_ key: String, arguments: [Argument]) {
        self.key = key
        self.arguments = arguments
    }

    /// The sentence in `language`: the template from the catalog (English when it has none), with
    /// `{0}`, `{1}`, … replaced by the values.
    public func rendered(_ language: Language) -> String {
        let formatter = LocaleFormatter(language)
        let template = Catalog.text(key, in: language)
        var output = ""
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            if character == "{", let close = template[index...].firstIndex(of: "}"),
               let number = Int(template[template.index(after: index)..<close]), arguments.indices.contains(number) {
                output += formatter.argument(arguments[number])
                index = template.index(after: close)
            } else {
                output.append(character)
                index = template.index(after: index)
            }
        }
        return output
    }

    /// The English sentence.
    public var description: String { rendered(.en) }
}

/// How values are written for people in a language. English: amounts `5,000,000 ₫` (in table
/// cells `5,000,000`, without the unit, as the ledger always printed them), dates `2024-05-21`.
/// Vietnamese: amounts `5.000.000 ₫` everywhere, dates `21/05/2024`. Positions, ids and years are
/// not grouped by anyone.
public struct LocaleFormatter: Sendable, Equatable {
    public let language: Language

    public init(_ language: Language) { self.language = language }

    public static let english = LocaleFormatter(.en)

    var separator: Character { language == .vi ? "." : "," }

    /// A count or figure with its thousands grouped: `1,234,567` / `1.234.567`.
    public func number(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var output = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { output.append(separator) }
            output.append(character)
        }
        return value < 0 ? "-" + output : output
    }

    /// An amount in a sentence: `5,000,000 ₫` / `5.000.000 ₫`.
    public func amount(_ value: VND) -> String { number(value.amount) + " ₫" }

    /// An amount in a table cell: `5,000,000` / `5.000.000 ₫`.
    public func amountCell(_ value: Int64) -> String {
        language == .vi ? number(value) + " ₫" : number(value)
    }

    public func amountCell(_ value: VND) -> String { amountCell(value.amount) }

    /// A business date: `2024-05-21` / `21/05/2024`.
    public func date(_ value: LocalDate) -> String {
        guard language == .vi else { return value.description }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(two(value.day))/\(two(value.month))/\(value.year)"
    }

    /// A date the read models give as text (`2024-05-21`) written for the language; other text
    /// (`-`, empty) as it is.
    public func dateText(_ text: String) -> String {
        guard language == .vi, text.count == 10, let date = try? LocalDate(parsing: text, field: "date", isoOnly: true) else { return text }
        return self.date(date)
    }

    /// A recording time as shown to people (`2026-12-06 21:14:39.228030+07:00`, Vietnam time):
    /// as it is (en) or `06/12/2026 21:14:39 +07:00` (vi: the date first, whole seconds, the
    /// offset after a space). Other text (`-`) as it is.
    public func time(_ display: String) -> String {
        let characters = Array(display)
        guard language == .vi, characters.count >= 25, characters[4] == "-", characters[7] == "-", characters[10] == " ",
              characters[13] == ":", characters[16] == ":", let offset = display.lastIndex(where: { $0 == "+" || $0 == "-" }),
              display.distance(from: display.startIndex, to: offset) >= 19
        else { return display }
        let date = dateText(String(characters[0..<10]))
        return "\(date) \(String(characters[11..<19])) \(display[offset...])"
    }

    /// A label or word of the ledger's in the language (the catalog; English when it has none).
    public func label(_ key: String) -> String { Catalog.text(key, in: language) }

    public func argument(_ argument: Message.Argument) -> String {
        switch argument {
        case .text(let text): text
        case .amount(let value): amount(value)
        case .date(let value): date(value)
        case .number(let value): number(value)
        case .term(let key): label(key)
        case .message(let message): message.rendered(language)
        }
    }
}
