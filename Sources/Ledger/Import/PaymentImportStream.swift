import Foundation

/// A payment file read from disk a piece at a time, on each pass the import makes, instead of
/// held in memory: what `ledger payment import` uses, so that a file of a million rows does not
/// cost a million rows' memory. The file is the same format as `PaymentImportFile`'s, checked
/// the same way with the same errors, and gives the same rows.
///
/// Opening it reads the file twice (bytes, then records: encoding, quoting, header, row count and
/// malformed rows); `forEachRow` reads it again. A file that changes between passes is refused.
public struct PaymentImportStream: PaymentImportRowSource {
    public let url: URL
    /// The separator the header line uses: `,`, `;` or a tab.
    public let separator: Character
    /// Header names of columns that are not one of the six, ignored.
    public let ignoredColumns: [String]
    /// Data rows in the file, blank lines not counted.
    public let rowCount: Int
    /// Rows whose number of fields is not the header's.
    public let malformedRows: [PaymentImportProblem]
    let strictColumns: Bool
    /// Bytes of the byte-order mark, if there is one.
    let bodyStart: Int
    /// Size and modification time when opened: a pass that finds others stops.
    let fingerprint: Fingerprint

    struct Fingerprint: Equatable, Sendable {
        let size: Int
        let modified: Date?
    }

    public var warnings: [String] { PaymentImportFile.warnings(ignoredColumns: ignoredColumns) }
    public var textBytesEstimate: Int { fingerprint.size }
    public var separatorName: String { PaymentImportFile.name(ofSeparator: UInt8(ascii: separator.unicodeScalars.first!)) }

    /// Checks `url` as `PaymentImportFile(contentsOf:)` does, with the same errors, without
    /// keeping its rows.
    public init(contentsOf url: URL, strictColumns: Bool = false) throws {
        self.url = url
        self.strictColumns = strictColumns
        let before = try Self.fingerprint(url)
        try PaymentImportFile.requireSize(before.size)
        fingerprint = before

        // Bytes: byte-order mark, blank, UTF-16, NUL, UTF-8, quotes, in `PaymentImportFile`'s order.
        var reader = try ByteReader(url)
        var bom: [UInt8] = []
        while bom.count < 3, let byte = try reader.peek(), byte == [0xEF, 0xBB, 0xBF][bom.count] {
            bom.append(try reader.next()!)
        }
        if bom.count < 3 { reader = try ByteReader(url) }  // a partial mark is content
        bodyStart = bom.count == 3 ? 3 : 0
        let separatorByte = try Self.detectSeparator(url, bodyStart: bodyStart)
        var scan = ByteScan(separator: separatorByte)
        while let byte = try reader.next() { scan.feed(byte, next: try reader.peek()) }
        scan.finish()
        guard scan.sawText else {
            throw PaymentImportFileError(.empty, "the file is empty; a payment file starts with the header line \(PaymentImportFile.Column.headerLine)")
        }
        let saveAsUTF8 = "save it as UTF-8 (in Excel: Save As › \"CSV UTF-8 (Comma delimited)\") and import it again"
        if scan.first2 == [0xFF, 0xFE] || scan.first2 == [0xFE, 0xFF] {
            throw PaymentImportFileError(
                .notUTF8, "the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8; \(saveAsUTF8)", line: 1
            )
        }
        if let nul = scan.firstNUL {
            let (line, byte) = try Self.position(of: nul, in: url, bodyStart: bodyStart)
            throw PaymentImportFileError(
                .notUTF8, "byte \(byte) is a NUL byte: the file looks like UTF-16, not UTF-8; \(saveAsUTF8)", line: line
            )
        }
        if let bad = scan.firstInvalidUTF8 {
            let (line, byte) = try Self.position(of: bad.offset, in: url, bodyStart: bodyStart)
            throw PaymentImportFileError(
                .notUTF8,
                "byte \(byte) (0x\(String(bad.byte, radix: 16, uppercase: true))) is not UTF-8: the file looks saved in another encoding "
                    + "(Windows-1258, TCVN3 or UTF-16?); \(saveAsUTF8)",
                line: line
            )
        }
        try scan.quotes.finish()
        separator = Character(Unicode.Scalar(separatorByte))

        // Records: header, row count, malformed rows.
        var records = try RecordReader(url, bodyStart: bodyStart, separator: separatorByte)
        let split = try PaymentImportFile.split(records: { try records.next() }, separator: separatorByte, strictColumns: strictColumns) { _ in }
        (rowCount, malformedRows, ignoredColumns) = (split.rowCount + split.malformed.count, split.malformed, split.ignored)
        try requireUnchanged()
    }

    /// Copies `handle` (standard input) to `url` (a file of the caller's, created or replaced),
    /// refusing more than `PaymentImportLimits.maximumFileBytes` as `PaymentImportFile(reading:)`
    /// does, so that it can be read as often as the import needs.
    public static func spool(_ handle: FileHandle, to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = FileHandle(forWritingAtPath: url.path)
        else {
            throw PaymentImportFileError(.unreadable, "cannot write a temporary copy of standard input at \(url.path)")
        }
        defer { try? output.close() }
        var total = 0
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw PaymentImportFileError(.unreadable, "cannot read standard input: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            total += chunk.count
            if total > PaymentImportLimits.maximumFileBytes {
                throw PaymentImportFileError(
                    .tooLarge,
                    "standard input has more than \(VND.grouped(Int64(PaymentImportLimits.maximumFileBytes))) bytes; "
                        + "at most that many are imported at once: split it into several files"
                )
            }
            do {
                try output.write(contentsOf: chunk)
            } catch {
                throw PaymentImportFileError(.unreadable, "cannot write a temporary copy of standard input: \(error.localizedDescription)")
            }
        }
    }

    public func forEachRow(_ body: (PaymentImportFile.Row) throws -> Void) throws {
        var records = try RecordReader(url, bodyStart: bodyStart, separator: UInt8(ascii: separator.unicodeScalars.first!))
        let split = try PaymentImportFile.split(
            records: { try records.next() }, separator: UInt8(ascii: separator.unicodeScalars.first!), strictColumns: strictColumns, row: body
        )
        guard split.rowCount + split.malformed.count == rowCount else { throw changed() }
        try requireUnchanged()
    }

    func changed() -> PaymentImportFileError {
        PaymentImportFileError(.unreadable, "\(url.path) changed while it was being imported; import it again once it is written")
    }

    func requireUnchanged() throws {
        guard try Self.fingerprint(url) == fingerprint else { throw changed() }
    }

    static func fingerprint(_ url: URL) throws -> Fingerprint {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            guard (attributes[.type] as? FileAttributeType) != .typeDirectory else {
                throw PaymentImportFileError(.unreadable, "\(url.path) is a directory, not a file")
            }
            return Fingerprint(size: (attributes[.size] as? NSNumber)?.intValue ?? 0, modified: attributes[.modificationDate] as? Date)
        } catch let error as PaymentImportFileError {
            throw error
        } catch {
            throw PaymentImportFileError(.unreadable, "cannot read \(url.path): no such file, or no permission to read it")
        }
    }

    static func detectSeparator(_ url: URL, bodyStart: Int) throws -> UInt8 {
        var reader = try ByteReader(url, skipping: bodyStart)
        var detector = PaymentImportFile.SeparatorDetector()
        while let byte = try reader.next(), detector.feed(byte) {}
        return detector.separator
    }

    /// `PaymentImportFile.position(of:in:)` of the body byte at `offset`, reading the file again.
    static func position(of offset: Int, in url: URL, bodyStart: Int) throws -> (line: Int, byte: Int) {
        var reader = try ByteReader(url, skipping: bodyStart)
        var line = 1
        var lineStart = 0
        var cursor = 0
        while cursor < offset, let byte = try reader.next() {
            let following = try reader.peek()
            if byte == PaymentImportFile.lineFeed || (byte == PaymentImportFile.carriageReturn && following != PaymentImportFile.lineFeed) {
                line += 1
                lineStart = cursor + 1
            }
            cursor += 1
        }
        return (line, offset - lineStart + 1)
    }

    // MARK: Reading

    /// The bytes of a file in order, a megabyte read at a time.
    struct ByteReader {
        private let handle: FileHandle
        private let path: String
        private var buffer: [UInt8] = []
        private var index = 0
        private var atEnd = false

        init(_ url: URL, skipping: Int = 0) throws {
            guard let handle = FileHandle(forReadingAtPath: url.path) else {
                throw PaymentImportFileError(.unreadable, "cannot read \(url.path): no such file, or no permission to read it")
            }
            self.handle = handle
            path = url.path
            for _ in 0..<skipping { _ = try next() }
        }

        private mutating func refill() throws {
            guard !atEnd else { return }
            let data: Data?
            do {
                data = try handle.read(upToCount: 1 << 20)
            } catch {
                throw PaymentImportFileError(.unreadable, "cannot read \(path): \(error.localizedDescription)")
            }
            if let data, !data.isEmpty {
                buffer = [UInt8](data)
            } else {
                buffer = []
                atEnd = true
                try? handle.close()
            }
            index = 0
        }

        @inline(__always)
        mutating func next() throws -> UInt8? {
            if index == buffer.count {
                try refill()
                if buffer.isEmpty { return nil }
            }
            defer { index += 1 }
            return buffer[index]
        }

        @inline(__always)
        mutating func peek() throws -> UInt8? {
            if index == buffer.count {
                try refill()
                if buffer.isEmpty { return nil }
            }
            return buffer[index]
        }
    }

    /// Everything `PaymentImportFile.init(bytes:)` checks on the bytes, in one pass.
    struct ByteScan {
        var quotes: PaymentImportFile.QuoteCheck
        private(set) var sawText = false
        private(set) var first2: [UInt8] = []
        private(set) var firstNUL: Int?
        private(set) var firstInvalidUTF8: (offset: Int, byte: UInt8)?
        private var offset = 0
        // UTF-8: continuation bytes still expected, their allowed range, and where the sequence started.
        private var needed = 0
        private var lower: UInt8 = 0x80
        private var upper: UInt8 = 0xBF
        private var sequenceStart = 0
        private var sequenceLead: UInt8 = 0

        init(separator: UInt8) { quotes = PaymentImportFile.QuoteCheck(separator: separator) }

        @inline(__always)
        mutating func feed(_ byte: UInt8, next: UInt8?) {
            if first2.count < 2 { first2.append(byte) }
            if !sawText, !PaymentImportFile.isBlankByte(byte) { sawText = true }
            if byte == 0, firstNUL == nil { firstNUL = offset }
            if firstInvalidUTF8 == nil { utf8(byte) }
            quotes.feed(byte, next: next)
            offset += 1
        }

        /// Well-formed UTF-8 (Unicode table 3-7); a bad sequence is reported at its first byte, as
        /// `PaymentImportFile.firstInvalidUTF8Index` does.
        @inline(__always)
        private mutating func utf8(_ byte: UInt8) {
            if needed > 0 {
                guard byte >= lower, byte <= upper else {
                    firstInvalidUTF8 = (sequenceStart, sequenceLead)
                    return
                }
                needed -= 1
                (lower, upper) = (0x80, 0xBF)
                return
            }
            sequenceStart = offset
            sequenceLead = byte
            switch byte {
            case 0x00...0x7F: return
            case 0xC2...0xDF: needed = 1
            case 0xE0: (needed, lower) = (2, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: needed = 2
            case 0xED: (needed, upper) = (2, 0x9F)
            case 0xF0: (needed, lower) = (3, 0x90)
            case 0xF1...0xF3: needed = 3
            case 0xF4: (needed, upper) = (3, 0x8F)
            default: firstInvalidUTF8 = (offset, byte)
            }
        }

        /// At the end of the file: a sequence cut short is not UTF-8.
        mutating func finish() {
            if firstInvalidUTF8 == nil, needed > 0 { firstInvalidUTF8 = (sequenceStart, sequenceLead) }
        }
    }

    /// The records of a file as CSV.swift's `CSVReader` splits them (RFC 4180 quoting; a record
    /// ends at LF, CR LF or CR), on bytes already checked to be UTF-8 and well quoted.
    struct RecordReader {
        private var bytes: ByteReader
        private let separator: UInt8
        private var field: [UInt8] = []

        init(_ url: URL, bodyStart: Int, separator: UInt8) throws {
            bytes = try ByteReader(url, skipping: bodyStart)
            self.separator = separator
        }

        mutating func next() throws -> [String]? {
            guard var byte = try bytes.next() else { return nil }
            var record: [String] = []
            while true {
                let end: Bool
                if byte == PaymentImportFile.quote {
                    end = try readField(quoted: true, first: nil)
                } else {
                    end = try readField(quoted: false, first: byte)
                }
                record.append(String(decoding: field, as: UTF8.self))
                if end { return record }
                guard let following = try bytes.next() else {
                    // A separator at the very end: one more, empty, field.
                    record.append("")
                    return record
                }
                byte = following
            }
        }

        /// Reads one field into `field` (`first`: its first byte, already read, when unquoted);
        /// true when the record ends with it.
        private mutating func readField(quoted: Bool, first: UInt8?) throws -> Bool {
            field.removeAll(keepingCapacity: true)
            var pending = first
            while true {
                let byte: UInt8
                if let first = pending {
                    byte = first
                    pending = nil
                } else if let next = try bytes.next() {
                    byte = next
                } else {
                    return true
                }
                if quoted {
                    guard byte == PaymentImportFile.quote else {
                        field.append(byte)
                        continue
                    }
                    let following = try bytes.next()
                    if following == nil || following == PaymentImportFile.carriageReturn || following == PaymentImportFile.lineFeed {
                        if following == PaymentImportFile.carriageReturn, try bytes.peek() == PaymentImportFile.lineFeed { _ = try bytes.next() }
                        return true
                    } else if following == separator {
                        return false
                    } else if following == PaymentImportFile.quote {
                        field.append(PaymentImportFile.quote)
                    } else {
                        field.append(byte)  // not reached on well-quoted bytes
                    }
                } else if byte == PaymentImportFile.carriageReturn || byte == PaymentImportFile.lineFeed {
                    if byte == PaymentImportFile.carriageReturn, try bytes.peek() == PaymentImportFile.lineFeed { _ = try bytes.next() }
                    return true
                } else if byte == separator {
                    return false
                } else {
                    field.append(byte)
                }
            }
        }
    }
}
