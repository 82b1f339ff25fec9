import CSV
import Foundation

/// A bulk payment file, read and split into rows: UTF-8 (an optional byte-order mark; LF or CRLF
/// line ends), a header line naming the six columns of `Column` (in any order, each once), then
/// one payment per line, quoted the RFC 4180 way (`"PC 01/2024, ""đợt 1"""`). The separator is
/// the one the header line uses most outside quotes: `,`, `;` (what Excel writes where the comma
/// is the decimal separator) or a tab; `,` when none is there. Other columns than the six (a
/// bank's `ghi_chu`) are ignored and named in `ignoredColumns`, unless `strictColumns` refuses
/// them. Blank lines, and lines of only separators as spreadsheets write for empty rows, are
/// ignored.
///
/// Whole-file problems (not UTF-8, unbalanced quotes, a wrong header, empty, too large) refuse
/// the file with a `PaymentImportFileError` naming the line; a row with the wrong number of
/// fields is a bad row (`malformedRows`), reported with the others.
public struct PaymentImportFile: Sendable {
    /// The columns, as the header names them.
    public enum Column: String, CaseIterable, Sendable, Codable {
        case paymentID = "payment_id"
        case applicationID = "application_id"
        case amountVND = "amount_vnd"
        case paidOn = "paid_on"
        case method
        case voucher

        /// The header line with the columns in their documented order.
        public static let headerLine = allCases.map(\.rawValue).joined(separator: ",")

        var index: Int { Self.allCases.firstIndex(of: self)! }
    }

    /// One data row: where it starts in the file, and its values as written (quotes removed).
    public struct Row: Sendable, Equatable {
        /// The line of the file where the row starts (the header is line 1; blank lines count).
        public let line: Int
        /// In `Column.allCases` order, whatever the file's column order.
        public let values: [String]

        public init(line: Int, values: [String]) {
            precondition(values.count == Column.allCases.count, "a row has one value per column")
            self.line = line
            self.values = values
        }

        public subscript(column: Column) -> String { values[column.index] }
    }

    /// Rows with one value per column, in file order.
    public let rows: [Row]
    /// Rows whose number of fields is not the header's: bad rows, never read further.
    public let malformedRows: [PaymentImportProblem]

    /// The separator the header line uses: `,`, `;` or a tab.
    public let separator: Character
    /// Header names of columns that are not one of the six, ignored (in file order; an empty
    /// name as `(an empty name)`). Always empty with `strictColumns`, which refuses them.
    public let ignoredColumns: [String]

    /// Data rows in the file, blank lines not counted.
    public var rowCount: Int { rows.count + malformedRows.count }

    /// What the reader should be told about the file, not refusing it: the columns ignored.
    public var warnings: [String] { Self.warnings(ignoredColumns: ignoredColumns) }

    static func warnings(ignoredColumns: [String]) -> [String] {
        guard !ignoredColumns.isEmpty else { return [] }
        let plural = ignoredColumns.count == 1 ? "" : "s"
        return ["ignored the column\(plural) \(ignoredColumns.joined(separator: ", ")): not a column of a payment file "
            + "(\(Column.headerLine))"]
    }

    /// The separator as words for a message: `;`, `,` or `a tab`.
    public var separatorName: String { Self.name(ofSeparator: UInt8(ascii: separator.unicodeScalars.first!)) }

    /// Reads `url`, refusing a file over `PaymentImportLimits.maximumFileBytes` before reading it.
    public init(contentsOf url: URL, strictColumns: Bool = false) throws {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            guard (attributes[.type] as? FileAttributeType) != .typeDirectory else {
                throw PaymentImportFileError(.unreadable, "\(url.path) is a directory, not a file")
            }
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let error as PaymentImportFileError {
            throw error
        } catch {
            throw PaymentImportFileError(.unreadable, "cannot read \(url.path): no such file, or no permission to read it")
        }
        try Self.requireSize(size)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PaymentImportFileError(.unreadable, "cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(bytes: [UInt8](data), strictColumns: strictColumns)
    }

    /// Reads `handle` (standard input) to its end, refusing more than
    /// `PaymentImportLimits.maximumFileBytes` as soon as that many have come.
    public init(reading handle: FileHandle, strictColumns: Bool = false) throws {
        var bytes: [UInt8] = []
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw PaymentImportFileError(.unreadable, "cannot read standard input: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            bytes += chunk
            if bytes.count > PaymentImportLimits.maximumFileBytes {
                throw PaymentImportFileError(
                    .tooLarge,
                    "standard input has more than \(VND.grouped(Int64(PaymentImportLimits.maximumFileBytes))) bytes; "
                        + "at most that many are imported at once: split it into several files"
                )
            }
        }
        try self.init(bytes: bytes, strictColumns: strictColumns)
    }

    /// Parses the bytes of a file.
    public init(bytes: [UInt8], strictColumns: Bool = false) throws {
        try Self.requireSize(bytes.count)
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard body.contains(where: { !Self.isBlankByte($0) }) else {
            throw PaymentImportFileError(
                .empty, "the file is empty; a payment file starts with the header line \(Column.headerLine)"
            )
        }
        let text = try Self.requireUTF8(body)
        let separator = Self.detectSeparator(body)
        try Self.requireBalancedQuotes(body, separator: separator)
        (rows, malformedRows, ignoredColumns) = try Self.split(text, separator: separator, strictColumns: strictColumns)
        self.separator = Character(Unicode.Scalar(separator))
    }

    // MARK: Separator

    static let semicolon: UInt8 = 0x3B, tab: UInt8 = 0x09

    /// The separator the header line (the first line that is not blank) uses most outside double
    /// quotes; a comma when it uses none, or as many commas as the most of the others.
    static func detectSeparator(_ body: ArraySlice<UInt8>) -> UInt8 {
        var detector = SeparatorDetector()
        for byte in body where !detector.feed(byte) { break }
        return detector.separator
    }

    /// `detectSeparator` a byte at a time, for a file read in pieces.
    struct SeparatorDetector {
        private var counts: [UInt8: Int] = [comma: 0, semicolon: 0, tab: 0]
        private var quoted = false
        private var seenText = false

        /// Takes the next byte; false once the header line has ended (no more bytes are needed).
        mutating func feed(_ byte: UInt8) -> Bool {
            if byte == quote {
                quoted.toggle()
            } else if !quoted, byte == lineFeed || byte == carriageReturn {
                if seenText { return false }
            } else if !quoted, counts[byte] != nil {
                counts[byte]! += 1
            }
            if !isBlankByte(byte) { seenText = true }
            return true
        }

        var separator: UInt8 {
            let best = [semicolon, tab].max { counts[$0]! < counts[$1]! }!
            return counts[best]! > counts[comma]! ? best : comma
        }
    }

    static func name(ofSeparator separator: UInt8) -> String {
        separator == tab ? "a tab" : String(UnicodeScalar(separator))
    }

    // MARK: Size and encoding

    static func requireSize(_ bytes: Int) throws {
        guard bytes <= PaymentImportLimits.maximumFileBytes else {
            throw PaymentImportFileError(
                .tooLarge,
                "the file is \(VND.grouped(Int64(bytes))) bytes; at most \(VND.grouped(Int64(PaymentImportLimits.maximumFileBytes))) "
                    + "bytes are imported at once: split it into several files"
            )
        }
    }

    static func isBlankByte(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Refuses anything but UTF-8, naming the line and byte of the first byte that is not, and
    /// NUL bytes (which UTF-8 allows but only a UTF-16 file has in a CSV).
    static func requireUTF8(_ body: ArraySlice<UInt8>) throws -> String {
        let saveAsUTF8 = "save it as UTF-8 (in Excel: Save As › \"CSV UTF-8 (Comma delimited)\") and import it again"
        if body.starts(with: [0xFF, 0xFE]) || body.starts(with: [0xFE, 0xFF]) {
            throw PaymentImportFileError(
                .notUTF8, "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8; \(saveAsUTF8)", line: 1
            )
        }
        if let nul = body.firstIndex(of: 0) {
            let (line, byte) = position(of: nul, in: body)
            throw PaymentImportFileError(
                .notUTF8, "byte \(byte) is a NUL byte: the file looks like UTF-16, not UTF-8; \(saveAsUTF8)", line: line
            )
        }
        if let text = String(validating: body, as: UTF8.self) { return text }
        let bad = firstInvalidUTF8Index(body) ?? body.startIndex
        let (line, byte) = position(of: bad, in: body)
        let hex = "0x" + String(body[bad], radix: 16, uppercase: true)
        throw PaymentImportFileError(
            .notUTF8,
            "byte \(byte) (\(hex)) is not UTF-8: the file looks saved in another encoding (Windows-1258, TCVN3 or UTF-16?); \(saveAsUTF8)",
            line: line
        )
    }

    /// The index of the first byte that does not start a valid UTF-8 sequence.
    static func firstInvalidUTF8Index(_ body: ArraySlice<UInt8>) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = body.makeIterator()
        var index = body.startIndex
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): index += encoded.count
            case .error: return index
            case .emptyInput: return nil
            }
        }
    }

    /// The 1-based line and the 1-based byte within that line of `index`.
    static func position(of index: Int, in body: ArraySlice<UInt8>) -> (line: Int, byte: Int) {
        var line = 1
        var lineStart = body.startIndex
        var cursor = body.startIndex
        while cursor < index {
            let byte = body[cursor]
            if byte == lineFeed || (byte == carriageReturn && (cursor + 1 >= body.endIndex || body[cursor + 1] != lineFeed)) {
                line += 1
                lineStart = cursor + 1
            }
            cursor += 1
        }
        return (line, index - lineStart + 1)
    }

    // MARK: Quoting

    static let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, lineFeed: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D

    /// RFC 4180 quoting, checked on the bytes before CSV.swift splits the fields: that library
    /// reads an unclosed quote to the end of the file and keeps text after a closing quote, both
    /// silently, and cannot say on which line a row starts. Every byte that matters here is ASCII.
    static func requireBalancedQuotes(_ body: ArraySlice<UInt8>, separator: UInt8 = comma) throws {
        var check = QuoteCheck(separator: separator)
        var index = body.startIndex
        while index < body.endIndex, check.error == nil {
            check.feed(body[index], next: index + 1 < body.endIndex ? body[index + 1] : nil)
            index += 1
        }
        try check.finish()
    }

    /// `requireBalancedQuotes` a byte at a time (with the byte after it), for a file read in
    /// pieces; the first problem is kept in `error`.
    struct QuoteCheck {
        let separator: UInt8
        private var line = 1
        private var atFieldStart = true
        private var quotedSince: Int?
        /// The second quote of a doubled one comes next.
        private var skipping = false
        private(set) var error: PaymentImportFileError?

        init(separator: UInt8) { self.separator = separator }

        static let howToQuote = "a value with a comma, a double quote or a line break is written in double quotes, "
            + "with each double quote inside it doubled (\"PC 01, \"\"đợt 1\"\"\")"

        mutating func feed(_ byte: UInt8, next: UInt8?) {
            guard error == nil else { return }
            if skipping {
                skipping = false
                return
            }
            if byte == lineFeed || (byte == carriageReturn && next != lineFeed) { line += 1 }
            if quotedSince != nil {
                if byte == quote {
                    if next == quote {
                        skipping = true
                        return
                    }
                    guard next == nil || next == separator || next == lineFeed || next == carriageReturn else {
                        error = PaymentImportFileError(
                            .malformedCSV, "text follows the closing double quote of a quoted value; \(Self.howToQuote)", line: line
                        )
                        return
                    }
                    quotedSince = nil
                }
            } else if byte == quote {
                guard atFieldStart else {
                    error = PaymentImportFileError(
                        .malformedCSV, "a double quote inside a value that does not start with one; \(Self.howToQuote)", line: line
                    )
                    return
                }
                quotedSince = line
                atFieldStart = false
            } else {
                atFieldStart = byte == separator || byte == lineFeed || byte == carriageReturn
            }
        }

        /// Throws the first problem, or a quoted value never closed at the end of the file.
        func finish() throws {
            if let error { throw error }
            if let quotedSince {
                throw PaymentImportFileError(
                    .malformedCSV,
                    "a quoted value that starts on this line is never closed (a double quote is missing); \(Self.howToQuote)",
                    line: quotedSince
                )
            }
        }
    }

    // MARK: Rows

    /// Splits the text into records with CSV.swift, maps the header's columns, and numbers lines.
    static func split(
        _ text: String, separator: UInt8 = comma, strictColumns: Bool = false
    ) throws -> ([Row], [PaymentImportProblem], [String]) {
        let reader = try CSVReader(string: text, hasHeaderRow: false, delimiter: UnicodeScalar(separator))
        var rows: [Row] = []
        let (_, malformed, ignored) = try split(records: { reader.next() }, separator: separator, strictColumns: strictColumns) {
            rows.append($0)
        }
        if let error = reader.error {
            throw PaymentImportFileError(.unreadable, "the file could not be read as CSV: \(error)")
        }
        return (rows, malformed, ignored)
    }

    /// Maps the header's columns, numbers lines and splits the records `next` gives into rows
    /// (each given to `row`, in file order) and malformed rows. Returns the count of data rows
    /// (blank lines not counted), the malformed rows and the columns ignored.
    static func split(
        records next: () throws -> [String]?, separator: UInt8, strictColumns: Bool, row: (Row) throws -> Void
    ) throws -> (rowCount: Int, malformed: [PaymentImportProblem], ignored: [String]) {
        guard let header = try next() else {
            throw PaymentImportFileError(.empty, "the file is empty; a payment file starts with the header line \(Column.headerLine)")
        }
        let (positions, ignored) = try columnPositions(header, strictColumns: strictColumns)
        var line = 1 + lineBreaks(in: header)
        var rows = 0
        var malformed: [PaymentImportProblem] = []
        while let record = try next() {
            let recordLine = line + 1
            line = recordLine + lineBreaks(in: record)
            if record.allSatisfy({ $0.trimmingSpaces().isEmpty }) { continue }
            guard rows + malformed.count < PaymentImportLimits.maximumRows else {
                throw PaymentImportFileError(
                    .tooManyRows,
                    "the file has more than \(VND.grouped(Int64(PaymentImportLimits.maximumRows))) payment rows; split it into several files",
                    line: recordLine
                )
            }
            guard record.count == header.count else {
                malformed.append(PaymentImportProblem(
                    line: recordLine, column: nil, code: .wrongFieldCount,
                    message: "has \(record.count) fields; the header has \(header.count) "
                        + "(a value with \(separator == tab ? "a tab" : separator == comma ? "a comma" : "a \(name(ofSeparator: separator))") "
                        + "in it must be written in double quotes)"
                ))
                continue
            }
            rows += 1
            try row(Row(line: recordLine, values: positions.map { record[$0] }))
        }
        guard rows > 0 || !malformed.isEmpty else {
            throw PaymentImportFileError(.noRows, "the file has the header line and no payment rows", line: 1)
        }
        return (rows, malformed, ignored)
    }

    /// Where each column is in the file (indexed like `Column.allCases`) and the names of the
    /// columns ignored, or a refusal naming every missing and repeated column, and the unknown
    /// ones too (always with `strictColumns`, else only when refusing for another reason).
    static func columnPositions(_ header: [String], strictColumns: Bool = false) throws -> (positions: [Int], ignored: [String]) {
        let names = header.map { $0.trimmingSpaces().lowercased() }
        let expected = "the header must name the columns \(Column.headerLine) (in any order, each once)"
        guard names.contains(where: { !$0.isEmpty }) else {
            throw PaymentImportFileError(.badHeader, "the first line is empty; \(expected)", line: 1)
        }
        var problems: [String] = []
        let missing = Column.allCases.filter { !names.contains($0.rawValue) }.map(\.rawValue)
        if !missing.isEmpty { problems.append("missing " + missing.joined(separator: ", ")) }
        let unknown = names.filter { Column(rawValue: $0) == nil }.map { $0.isEmpty ? "(an empty name)" : $0.debugDescription }
        var seen: Set<String> = []
        var repeated: [String] = []
        for name in names where Column(rawValue: name) != nil {
            if !seen.insert(name).inserted, !repeated.contains(name) { repeated.append(name) }
        }
        if !repeated.isEmpty { problems.append("more than once " + repeated.joined(separator: ", ")) }
        if !unknown.isEmpty, strictColumns || !problems.isEmpty {
            problems.insert("unknown " + unknown.joined(separator: ", "), at: missing.isEmpty ? 0 : 1)
        }
        guard problems.isEmpty else {
            let strict = strictColumns && !unknown.isEmpty ? " (with --strict-columns no other column is allowed)" : ""
            throw PaymentImportFileError(.badHeader, "\(expected)\(strict): \(problems.joined(separator: "; "))", line: 1)
        }
        return (Column.allCases.map { names.firstIndex(of: $0.rawValue)! }, unknown)
    }

    /// Line breaks inside a record's quoted values (CR LF, LF or CR each count once).
    static func lineBreaks(in record: [String]) -> Int {
        var count = 0
        for field in record {
            var previousWasCarriageReturn = false
            for byte in field.utf8 {
                if byte == lineFeed {
                    if !previousWasCarriageReturn { count += 1 }
                } else if byte == carriageReturn {
                    count += 1
                }
                previousWasCarriageReturn = byte == carriageReturn
            }
        }
        return count
    }
}

/// Why a payment file was refused as a whole. `code` is stable for callers and tests.
public struct PaymentImportFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        case unreadable, tooLarge, empty, notUTF8, malformedCSV, badHeader, noRows, tooManyRows
    }

    public let code: Code
    public let message: String
    /// The line of the file at fault, when there is one.
    public let line: Int?

    public init(_ code: Code, _ message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    public var description: String {
        line.map { "line \($0): \(message)" } ?? message
    }
}
