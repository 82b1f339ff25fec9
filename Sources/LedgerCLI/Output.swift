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

    /// Aligned columns with a header rule; numbers right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func isNumeric(_ text: String) -> Bool {
            !text.isEmpty && text.allSatisfy { $0.isNumber || $0 == "," || $0 == "-" }
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

    /// Key/value pairs, one per line, keys aligned.
    static func keyValues(_ pairs: [(String, String)]) -> String {
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
        return VietnamTime.display(microsecondsSinceEpoch: micros)
    }

    /// A finder's recording time (RFC 3339, as in its JSON) as `timestamp` shows it to people.
    static func timestamp(rfc3339 text: String) -> String {
        VietnamTime.display(rfc3339: text)
    }

    /// A recording time for JSON and CSV: RFC 3339, `2024-03-01T16:30:00.123456+07:00`.
    static func jsonTimestamp(_ micros: Int64) -> String {
        VietnamTime.rfc3339(microsecondsSinceEpoch: micros)
    }

    /// Thousands separators for tables: 1234567 → 1,234,567.
    static func grouped(_ value: Int64) -> String {
        VND.grouped(value)
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
    init(_ description: String) { self.description = description }
}

/// Exit codes beyond ArgumentParser's own (64 for usage).
enum ExitStatus {
    static let failure: Int32 = 1
    static let integrityProblem: Int32 = 2
    /// Malformed input (a flag's value, a file's field): the same code ArgumentParser uses.
    static let usage: Int32 = 64
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
        } catch let error as DomainError {
            Output.message("ledger: error: \(Self.labelled(error).description)")
            throw ExitCode(error.code == .invalidInput ? ExitStatus.usage : ExitStatus.failure)
        } catch {
            Output.message("ledger: error: \(Self.describe(error))")
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// The error with its field named as the user typed it: the library's `paid_on` or
    /// `amount_vnd` is the option `--paid-on` or `--amount` (a payment file's problems keep the
    /// file's column names; a catalog's or places file's paths stay as they are).
    static func labelled(_ error: DomainError) -> DomainError {
        guard let field = error.field, Self.self != Payment.Import.self, let option = Self.option(forField: field) else { return error }
        return DomainError(error.code, error.message, field: option)
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
        switch error {
        case let error as EventStoreError: error.message
        case let error as PostgresError: error.description
        case let error as CommandError: error.description
        default: String(describing: error)
        }
    }
}
