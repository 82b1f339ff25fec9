import ArgumentParser
import Foundation
import Ledger
import Synchronization

extension Payment {
    /// `ledger payment import FILE [--skip-invalid]`: parsing and printing only; the work is `PaymentImport`'s.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import payments from a CSV file (officer). Every row is checked first; a file with any bad row records nothing.",
            discussion: """
                The file is UTF-8 (a byte-order mark and CRLF line ends are fine) with the header \
                \(PaymentImportFile.Column.headerLine) (columns in any order; other columns are ignored with a warning unless \
                --strict-columns), separated by commas, semicolons or tabs as the header line is; values with the separator, \
                quotes or line breaks in double quotes. FILE - reads standard input. The payment id is the idempotency key: \
                importing a file again, or one that overlaps it, records only rows not yet recorded.
                Exit status: 0 every row recorded or already recorded (with --skip-invalid: the valid ones, and a warning); \
                1 some row invalid and nothing recorded, or the import stopped part way; 64 the file is not a payment file.
                """
        )

        /// `--format`: as every command's, plus `csv` for the bad-row report.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json, csv
        }

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Output format: table, json, or csv (the bad-row report; the summary then goes to stderr).")
        var format: Format = .table
        @OptionGroup var csvStyle: CSVStyleOptions
        func validate() throws { try csvStyle.check(format: format.rawValue) }
        @Flag(help: "Record the valid rows and report the invalid ones, instead of recording nothing.")
        var skipInvalid = false
        @Flag(help: "Refuse a file with columns other than the six, instead of ignoring them with a warning.")
        var strictColumns = false
        @Argument(help: "The CSV file of payments; - reads standard input.", completion: Completions.paymentFile)
        var file: String

        func run() async throws {
            try await reportingErrors {
                // Read from disk on each pass, never held whole: standard input is copied to a
                // temporary file first (removed when the import ends).
                let spooled = file == "-"
                    ? FileManager.default.temporaryDirectory.appendingPathComponent("ledger-import-\(UUID().uuidString).csv") : nil
                defer { if let spooled { try? FileManager.default.removeItem(at: spooled) } }
                let paymentFile: PaymentImportStream
                do {
                    if let spooled { try PaymentImportStream.spool(.standardInput, to: spooled) }
                    paymentFile = try PaymentImportStream(contentsOf: spooled ?? URL(fileURLWithPath: file), strictColumns: strictColumns)
                } catch let error as PaymentImportFileError {
                    Output.message("\(Output.errorPrefix) \(fileName): \(error); " + Output.label("nothing was recorded"))
                    throw CommandFailure(exitCode: error.code == .unreadable ? ExitStatus.failure : ExitStatus.usage)
                }
                if paymentFile.separator != "," {
                    Output.message("ledger: \(fileName): the file uses \(paymentFile.separatorName) as separator")
                }
                for warning in paymentFile.warnings { Output.message("ledger: \(Output.label("warning")): \(fileName): \(warning)") }
                let service = try await Recording.service(connection)
                // A standby would refuse the first row's append; say why before importing anything.
                if StandbyReading.current != nil { throw CommandError(StandbyReading.refusal) }
                let progress = ImportProgress()
                let result = try await PaymentImport(service: service, skipInvalid: skipInvalid).run(paymentFile) { progress.show($0) }
                progress.finish()
                try show(result)
                if let verdict = Self.verdict(result) { Output.message(verdict) }
                if result.outcome == .refused || result.outcome == .stopped { throw CommandFailure(exitCode: ExitStatus.failure) }
            }
        }

        /// The file as messages name it.
        var fileName: String { file == "-" ? "standard input" : file }

        func show(_ result: PaymentImportResult) throws {
            switch format {
            case .json:
                Output.data(try Output.json(result))
            case .csv:
                Output.message(Self.summary(result))
                Output.csv(try result.problemsCSV(), bom: csvStyle.bom)
            case .table:
                var text = Self.summary(result)
                if !result.problems.isEmpty {
                    text += "\n\n" + Output.table(
                        ["line", "column", "problem"],
                        result.problems.map { [String($0.line), $0.column?.rawValue ?? Output.label("(row)"), $0.message(in: Output.language)] }
                    )
                }
                Output.data(text)
            }
        }

        static func summary(_ result: PaymentImportResult) -> String {
            func count(_ value: Int) -> String { Output.grouped(Int64(value)) }
            var pairs = [
                ("rows read", count(result.rowsRead)), ("recorded", count(result.recorded)),
                ("already recorded", count(result.alreadyRecorded)), ("duplicates in file", count(result.duplicatesInFile)),
                ("invalid", count(result.invalid)),
            ]
            if result.notRecorded > 0 { pairs.append(("not recorded", count(result.notRecorded))) }
            if let first = result.firstPosition, let last = result.lastPosition {
                pairs.append(("positions", first == last ? "\(first)" : "\(first)–\(last) ("
                    + Output.text(Message(result.appends == 1 ? "{0} append" : "{0} appends", .number(Int64(result.appends)))) + ")"))
            }
            return Output.keyValues(pairs)
        }

        /// The one line on stderr that says what happened, when something did not simply succeed.
        static func verdict(_ result: PaymentImportResult) -> String? {
            func rows(_ count: Int) -> Message.Argument { .message(Message(count == 1 ? "{0} row" : "{0} rows", .number(Int64(count)))) }
            let warning = "ledger: \(Output.label("warning")): ", error = Output.errorPrefix + " "
            switch result.outcome {
            case .recorded:
                return nil
            case .recordedSkippingInvalid:
                return warning + Output.text(Message(
                    "invalid rows skipped: {0} (listed in the report); the valid rows were recorded. "
                        + "Fix the invalid ones and import the file again: rows already recorded are skipped.", rows(result.invalid)
                ))
            case .refused:
                return error + Output.text(Message(
                    "invalid rows: {0} of {1} (listed in the report); nothing was recorded. Fix them and import the file again, "
                        + "or pass --skip-invalid to record the valid ones ({2}).",
                    rows(result.invalid), .number(Int64(result.rowsRead)), rows(result.notRecorded)
                ))
            case .stopped:
                return error + Output.text(Message(
                    "the import stopped: {0}. Recorded: {1}; not recorded: {2}. Import the same file again to record the rest "
                        + "(rows already recorded are skipped).",
                    .text(result.stopReason ?? "no reason given"), rows(result.recorded), rows(result.notRecorded)
                ))
            }
        }
    }
}

/// The progress line of an import: one `ProgressLine` per phase, replaced when the phase changes.
final class ImportProgress: Sendable {
    private let current = Mutex<(phase: PaymentImportProgress.Phase, line: ProgressLine)?>(nil)

    func show(_ progress: PaymentImportProgress) {
        let line = current.withLock { current -> ProgressLine in
            if let current, current.phase == progress.phase { return current.line }
            current?.line.finish()
            let line = ProgressLine(Self.label(progress.phase))
            current = (progress.phase, line)
            return line
        }
        line.update(Int64(progress.done), of: Int64(progress.total))
    }

    func finish() {
        current.withLock { $0?.line.finish() }
    }

    static func label(_ phase: PaymentImportProgress.Phase) -> String {
        switch phase {
        case .loading: "reading applications"
        case .checking: "checking rows"
        case .recording: "recording rows"
        }
    }
}
