import ArgumentParser
import Foundation
import Ledger
import Synchronization

/// `--locale vi|en`: the language of what is written for people (labels, messages, amounts
/// `5.000.000 ₫`, dates `21/05/2024`). Without it `LEDGER_LOCALE`, else English. JSON and CSV never
/// change with it. Part of `ConnectionOptions`, so every command that reads or writes the ledger
/// has it; given before the subcommand it is moved after it (`LeadingOptions`).
struct LocaleOptions: ParsableArguments {
    @Option(name: .customLong("locale"), help: ArgumentHelp(
        "Language for people: vi (Vietnamese) or en (default: LEDGER_LOCALE, else en); json and csv never change.",
        valueName: "vi|en"
    ))
    var locale: String?

    func validate() throws {
        do {
            Output.use(try Language.resolve(option: locale, environment: ProcessInfo.processInfo.environment))
        } catch {
            throw ValidationError(error.description)
        }
    }
}

extension Output {
    private static let chosen = Mutex<Language>(.en)

    /// The language chosen (`--locale`, `LEDGER_LOCALE`); English until one is.
    static var language: Language { chosen.withLock { $0 } }

    static func use(_ language: Language) { chosen.withLock { $0 = language } }

    /// Values written for the language chosen.
    static var format: LocaleFormatter { LocaleFormatter(language) }

    /// A label, header or word of the ledger's in the language chosen.
    static func label(_ key: String) -> String { format.label(key) }

    /// A sentence in the language chosen.
    static func text(_ message: Message) -> String { message.rendered(language) }

    /// An amount in a table cell: `5,000,000` (en) or `5.000.000 ₫` (vi).
    static func amount(_ value: Int64) -> String { format.amountCell(value) }

    /// A business date (`2024-05-21` as the read models give it) for people: as it is (en) or `21/05/2024` (vi).
    static func date(_ text: String) -> String { format.dateText(text) }

    /// `ledger: error:` / `ledger: lỗi:`.
    static var errorPrefix: String { "ledger: \(label("error")):" }

    /// `LEDGER_LOCALE` read before anything is parsed, so errors of commands without `--locale`
    /// are in its language too; a value that is not a language is refused (exit 64).
    static func useEnvironmentLocale() -> String? {
        do {
            use(try Language.resolve(option: nil, environment: ProcessInfo.processInfo.environment))
            return nil
        } catch {
            return error.description
        }
    }
}
