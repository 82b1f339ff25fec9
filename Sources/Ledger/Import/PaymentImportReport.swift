import CSV
import Foundation

/// One bad row of a payment file: its line, the column at fault (nil when the row as a whole
/// is), and why, in words a finance officer can act on.
public struct PaymentImportProblem: Sendable, Equatable, Codable {
    /// What kind of problem: a domain refusal (`DomainError.Code`'s raw value: `overpayment`,
    /// `wrongStatus`, `invalidInput`, …) or one of the file's own codes below.
    public struct Code: RawRepresentable, Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ code: DomainError.Code) { rawValue = code.rawValue }
        public var description: String { rawValue }

        /// The row has more or fewer fields than the header.
        public static let wrongFieldCount = Code(rawValue: "wrongFieldCount")
        /// The payment id is on an earlier row of the file with different content.
        public static let duplicateInFile = Code(rawValue: "duplicateInFile")
    }

    /// The line of the file where the row starts.
    public let line: Int
    /// The column at fault (`amount_vnd`, …), or nil for the whole row.
    public let column: PaymentImportFile.Column?
    public let code: Code
    public let message: String
    /// The message as a template, when the refusal gave one (`--locale vi`); not in JSON or CSV.
    public var template: Message? = nil

    enum CodingKeys: String, CodingKey {
        case line, column, code, message
    }

    public init(line: Int, column: PaymentImportFile.Column?, code: Code, message: String) {
        self.line = line
        self.column = column
        self.code = code
        self.message = message
    }

    /// A refusal of a column's value, with its template.
    public init(line: Int, column: PaymentImportFile.Column?, error: DomainError) {
        self.init(line: line, column: column, code: Code(error.code), message: error.message)
        template = error.template
    }

    /// The message in `language` (English without a template).
    public func message(in language: Language) -> String { template?.rendered(language) ?? message }

    /// Equal when line, column, code and message are.
    public static func == (lhs: PaymentImportProblem, rhs: PaymentImportProblem) -> Bool {
        lhs.line == rhs.line && lhs.column == rhs.column && lhs.code == rhs.code && lhs.message == rhs.message
    }

    /// A domain refusal, attributed to the column its field names, else to the column the kind of
    /// refusal is about (an unknown or unapproved application is the `application_id`'s fault).
    public init(line: Int, refusal: DomainError) {
        var column = refusal.field.flatMap(PaymentImportFile.Column.init(rawValue:))
        if column == nil {
            switch refusal.code {
            case .unknownApplication, .wrongStatus, .unknownProgram: column = .applicationID
            case .overpayment, .amountOverflow: column = .amountVND
            case .conflictingDuplicate: column = .paymentID
            case .outsideProgramWindow: column = .paidOn
            default: column = nil
            }
        }
        self.init(line: line, column: column, error: refusal)
    }
}

/// What an import did, row by row counted: every data row of the file is exactly one of
/// recorded, already recorded, a duplicate within the file, invalid, or not recorded.
public struct PaymentImportResult: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Equatable, Codable {
        /// Every row is recorded now or was before; none is invalid.
        case recorded
        /// `--skip-invalid`: the valid rows are recorded, the invalid ones reported and left out.
        case recordedSkippingInvalid = "recorded_skipping_invalid"
        /// Some row is invalid and `--skip-invalid` was not given: nothing was recorded.
        case refused
        /// Recording stopped part way (`stopReason` says why); what was recorded stays recorded,
        /// and importing the same file again records only the rest.
        case stopped
    }

    public let outcome: Outcome
    /// Data rows in the file (blank lines not counted).
    public let rowsRead: Int
    /// Rows appended by this import.
    public let recorded: Int
    /// Rows whose payment id was already recorded with the same content (nothing appended).
    public let alreadyRecorded: Int
    /// Rows repeating an earlier row of the file exactly (counted once, with that row).
    public let duplicatesInFile: Int
    /// Rows reported in `problems`.
    public let invalid: Int
    /// Valid rows left unrecorded: all of them when `refused`, the rest when `stopped`.
    public let notRecorded: Int
    /// Appends made (each one atomic).
    public let appends: Int
    /// Positions of the first and last event this import appended.
    public let firstPosition: Int64?
    public let lastPosition: Int64?
    public let stopReason: String?
    /// Every bad row's problems, by line (a row may have one per column).
    public let problems: [PaymentImportProblem]
    /// What the reader should know about the file that did not stop it (the columns ignored);
    /// nil (absent in JSON) when there is nothing to say.
    public var warnings: [String]?

    enum CodingKeys: String, CodingKey {
        case outcome, rowsRead = "rows_read", recorded, alreadyRecorded = "already_recorded"
        case duplicatesInFile = "duplicates_in_file", invalid, notRecorded = "not_recorded", appends
        case firstPosition = "first_position", lastPosition = "last_position", stopReason = "stop_reason", problems, warnings
    }

    /// The bad-row report as CSV (`line,column,code,problem`), to open beside the file and fix it.
    public func problemsCSV() throws -> String {
        let stream = OutputStream(toMemory: ())
        stream.open()
        let writer = try CSVWriter(stream: stream)
        try writer.write(row: ["line", "column", "code", "problem"])
        for problem in problems {
            try writer.write(row: [String(problem.line), problem.column?.rawValue ?? "", problem.code.rawValue, problem.message])
        }
        stream.close()
        let data = stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// How far an import has got, for a progress line.
public struct PaymentImportProgress: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable {
        /// Reading the applications, programmes, beneficiaries and payment ids the file names.
        case loading
        /// Deciding each row against the ledger (file order).
        case checking
        /// Appending the valid rows in batches.
        case recording
    }

    public let phase: Phase
    /// Rows (or, while loading, streams) done so far in this phase.
    public let done: Int
    public let total: Int
}
