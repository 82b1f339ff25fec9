import ArgumentParser
import Foundation
import Ledger

/// What every write command shares: `--command-id`, the service as the connecting role, and
/// printing what was recorded.
struct WriteOptions: ParsableArguments {
    @Option(help: "Idempotency key (default: derived from the command's content, so a retry records nothing twice).")
    var commandId: String?
}

enum Recording {
    static func service(_ connection: ConnectionOptions) async throws -> LedgerService {
        LedgerService(connection: try await connection.connect())
    }

    /// Prints the outcome: the summary and where it landed in the log.
    static func print(_ outcome: CommandOutcome, format: OutputFormat) throws {
        switch format {
        case .json:
            Output.data(try Output.json(outcome))
        case .table:
            let summary = outcome.summary(in: Output.language)
            var pairs = [("recorded", outcome.alreadyRecorded ? Output.label("nothing new (already recorded)") : summary)]
            if outcome.alreadyRecorded { pairs.append(("earlier", summary)) }
            if let first = outcome.firstPosition, let last = outcome.lastPosition {
                pairs.append(("positions", first == last ? "\(first)" : "\(first)–\(last)"))
            }
            pairs.append(("command id", outcome.commandID))
            Output.data(Output.keyValues(pairs))
        }
    }

    static func amount(_ text: String, field: String, signed: Bool = false) throws -> VND {
        try VND(parsing: text, field: field, signed: signed)
    }

    /// A business date, or today in Vietnam when not given — then a line on stderr says which date
    /// was used ("--paid-on not given: 2026-12-07 (today)"), in every output format.
    static func date(_ text: String?, field: String) throws -> LocalDate {
        guard let text else { return today(for: field) }
        return try LocalDate(parsing: text, field: field)
    }

    /// Today in Vietnam, for an option left out, said on stderr.
    static func today(for field: String, context: String? = nil) -> LocalDate {
        let today = LocalDate.today()
        Output.message("\(context.map { $0 + ": " } ?? "")" + Output.text(Message("{0} not given: {1} (today)", .text(field), .date(today))))
        return today
    }

    static func year(_ value: Int, field: String = "--year") throws -> Int {
        guard (2000...2100).contains(value) else {
            throw DomainError.invalidInput(field: field, problem: Message("{0} is not a fiscal year (2000–2100)", .text(String(value))))
        }
        return value
    }
}
