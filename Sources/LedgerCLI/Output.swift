import ArgumentParser
import EventStore
import Foundation
import Ledger
import Postgres

/// The one place that writes to stdout/stderr and turns errors into exit codes.
enum Output {
    static func data(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func message(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Aligned columns with a header rule; numbers right-aligned (`1,234,567`, `1.234.567 ₫`). The
    /// header is written in the language chosen (`--locale`).
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let header = header.map(label)
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func isNumeric(_ text: String) -> Bool {
            let body = text.hasSuffix(" ₫") ? text.dropLast(2) : Substring(text)
            return !body.isEmpty && body.allSatisfy { $0.isNumber || $0 == "," || $0 == "." || $0 == "-" }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return isNumeric(cell) ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }

    /// Key/value pairs, one per line, keys aligned; keys in the language chosen.
    static func keyValues(_ pairs: [(String, String)]) -> String {
        let pairs = pairs.map { (label($0.0), $0.1) }
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in
            key + ":" + String(repeating: " ", count: width - key.count + 1) + value
        }.joined(separator: "\n")
    }

    /// Pretty, key-sorted JSON of an Encodable value.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A recording time for people: `2024-03-01 16:30:00.123456+07:00` (Vietnam's time, with
    /// the offset; `VietnamTime`).
    static func timestamp(_ micros: Int64?) -> String {
        guard let micros else { return "-" }
        return format.time(VietnamTime.display(microsecondsSinceEpoch: micros))
    }

    /// A finder's recording time (RFC 3339, as in its JSON) as `timestamp` shows it to people.
    static func timestamp(rfc3339 text: String) -> String {
        format.time(VietnamTime.display(rfc3339: text))
    }

    /// A recording time for JSON and CSV: RFC 3339, `2024-03-01T16:30:00.123456+07:00`.
    static func jsonTimestamp(_ micros: Int64) -> String {
        VietnamTime.rfc3339(microsecondsSinceEpoch: micros)
    }

    /// Thousands separators for counts: 1234567 → 1,234,567 (en) or 1.234.567 (vi); amounts are `amount`.
    static func grouped(_ value: Int64) -> String {
        format.number(value)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// A failure already explained to the user; carries the exit code.
struct CommandFailure: Error {
    let exitCode: Int32
}

/// Bad input found while running (a file that exists, a malformed value): one line on stderr, exit 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    /// The description as a sentence to write in the language chosen.
    let message: Message?
    init(_ description: String) {
        self.description = description
        self.message = nil
    }

    init(_ message: Message) {
        self.description = message.description
        self.message = message
    }
}

/// Exit codes beyond ArgumentParser's own (64 for usage).
enum ExitStatus {
    static let failure: Int32 = 1
    static let integrityProblem: Int32 = 2
    /// Malformed input (a flag's value, a file's field): the same code ArgumentParser uses.
    static let usage: Int32 = 64
    /// A hot standby has not yet replayed what was asked (a digest's position): try again later
    /// or on the primary (EX_TEMPFAIL).
    static let notYetReplayed: Int32 = 75
}

extension AsyncParsableCommand {
    /// Runs the body, printing any error as one clear line on stderr with a non-zero exit.
    func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CommandFailure {
            throw ExitCode(failure.exitCode)
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch where StandbyReading.isReadOnlyRefusal(error) {
            Output.message("\(Output.errorPrefix) \(Output.text(StandbyReading.refusal))")
            throw ExitCode(ExitStatus.failure)
        } catch let error as DomainError {
            let error = Self.labelled(error)
            Output.message("\(Output.errorPrefix) \(error.field.map { "\($0): " } ?? "")\(error.message(in: Output.language))")
            throw ExitCode(error.code == .invalidInput ? ExitStatus.usage : ExitStatus.failure)
        } catch {
            Output.message("\(Output.errorPrefix) \(Self.describe(error))")
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// The error with its field named as the user typed it: the library's `paid_on` or
    /// `amount_vnd` is the option `--paid-on` or `--amount` (a payment file's problems keep the
    /// file's column names; a catalog's or places file's paths stay as they are).
    static func labelled(_ error: DomainError) -> DomainError {
        guard let field = error.field, Self.self != Payment.Import.self, let option = Self.option(forField: field) else { return error }
        return error.naming(field: option)
    }

    static func option(forField field: String) -> String? {
        let renamed = ["amount_vnd": "amount", "principal_vnd": "principal", "application_id": "application",
                       "beneficiary_id": "beneficiary", "loan_id": "loan-id", "payment_id": "payment-id", "repayment_id": "repayment-id"]
        if let name = renamed[field] { return "--" + name }
        let bare: Set = ["amount", "year", "id", "method", "national_id", "bank_account", "voucher", "reason", "decision"]
        guard bare.contains(field) || field.hasSuffix("_on") && field.allSatisfy({ $0.isLowercase || $0 == "_" }) else { return nil }
        return "--" + field.replacingOccurrences(of: "_", with: "-")
    }

    static func describe(_ error: Error) -> String {
        if let lost = ConnectionLost.underlying(error) { return ConnectionLost.text(lost) }
        return switch error {
        case let error as EventStoreError: error.message
        case let error as PostgresError: error.description
        case let error as CommandError: error.message.map { Output.text($0) } ?? error.description
        default: String(describing: error)
        }
    }
}
