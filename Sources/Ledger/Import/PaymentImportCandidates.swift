/// Where the rows of a payment file come from, read as often as the import needs: the parsed
/// `PaymentImportFile` in memory, or `PaymentImportStream`, which reads the file from disk on each
/// pass and never holds its rows.
public protocol PaymentImportRowSource: Sendable {
    /// Data rows in the file, blank lines not counted.
    var rowCount: Int { get }
    /// Rows whose number of fields is not the header's.
    var malformedRows: [PaymentImportProblem] { get }
    /// What the reader should be told about the file (the columns ignored).
    var warnings: [String] { get }
    /// Calls `body` with each row that has one value per column, in file order.
    func forEachRow(_ body: (PaymentImportFile.Row) throws -> Void) throws
    /// At least the bytes of all payment ids and vouchers (the file's size will do).
    var textBytesEstimate: Int { get }
}

extension PaymentImportFile: PaymentImportRowSource {
    public var textBytesEstimate: Int { rows.count * 48 }

    public func forEachRow(_ body: (Row) throws -> Void) throws {
        for row in rows { try body(row) }
    }
}

/// The rows whose fields are all well-formed, in file order, packed: about 30 bytes a row plus
/// the payment id and the voucher as UTF-8, instead of a `PaymentOrder` of strings each (the
/// import of a million rows keeps this, not the rows). Application ids are stored once each.
struct PaymentImportCandidates: Sendable {
    private(set) var lines: [Int32] = []
    /// Index into `applicationIDs`.
    private(set) var applications: [Int32] = []
    private var amounts: [Int64] = []
    /// year × 10,000 + month × 100 + day.
    private var dates: [Int32] = []
    /// Index into `PaymentMethod.allCases`.
    private var methods: [UInt8] = []
    /// Where each row's payment id starts in `text`; its voucher follows it and ends where the
    /// next row's payment id starts.
    private var textStarts: [UInt32] = []
    private var paymentIDLengths: [UInt16] = []
    private var text: [UInt8] = []
    private(set) var applicationIDs: [String] = []
    private var applicationIndex: [String: Int32] = [:]

    var count: Int { lines.count }

    /// Room for `rows` rows and `textBytes` bytes of payment ids and vouchers: reserved once, so
    /// the columns are never copied while growing (pages not written to are not resident).
    mutating func reserve(rows: Int, textBytes: Int) {
        lines.reserveCapacity(rows)
        applications.reserveCapacity(rows)
        amounts.reserveCapacity(rows)
        dates.reserveCapacity(rows)
        methods.reserveCapacity(rows)
        textStarts.reserveCapacity(rows)
        paymentIDLengths.reserveCapacity(rows)
        text.reserveCapacity(textBytes)
    }

    mutating func append(line: Int, _ order: LedgerService.PaymentOrder) {
        let application: Int32
        if let known = applicationIndex[order.applicationID] {
            application = known
        } else {
            application = Int32(applicationIDs.count)
            applicationIndex[order.applicationID] = application
            applicationIDs.append(order.applicationID)
        }
        lines.append(Int32(line))
        applications.append(application)
        amounts.append(order.amount.amount)
        dates.append(Int32(order.paidOn.year * 10_000 + order.paidOn.month * 100 + order.paidOn.day))
        methods.append(UInt8(PaymentMethod.allCases.firstIndex(of: order.method)!))
        textStarts.append(UInt32(text.count))
        paymentIDLengths.append(UInt16(order.paymentID.utf8.count))
        text.append(contentsOf: order.paymentID.utf8)
        text.append(contentsOf: order.voucher.utf8)
    }

    /// The row at `index`, as the checks and the appends take it.
    subscript(index: Int) -> PaymentImport.Candidate {
        let start = Int(textStarts[index])
        let idEnd = start + Int(paymentIDLengths[index])
        let end = index + 1 < textStarts.count ? Int(textStarts[index + 1]) : text.count
        let date = Int(dates[index])
        guard let paidOn = LocalDate(year: date / 10_000, month: date / 100 % 100, day: date % 100) else {
            preconditionFailure("a stored date is a valid date")
        }
        return (Int(lines[index]), LedgerService.PaymentOrder(
            applicationID: applicationIDs[Int(applications[index])],
            paymentID: String(decoding: text[start..<idEnd], as: UTF8.self),
            amount: VND(amounts[index]), paidOn: paidOn, method: PaymentMethod.allCases[Int(methods[index])],
            voucher: String(decoding: text[idEnd..<end], as: UTF8.self)
        ))
    }

    /// The row indices grouped by application (application ids in ascending order, as strings
    /// compare), each application's rows in file order: the order the rows are decided and appended in.
    func groupedByApplication() -> [Int32] {
        let sortedApplications = applicationIDs.indices.sorted { applicationIDs[$0] < applicationIDs[$1] }
        var rank = [Int32](repeating: 0, count: applicationIDs.count)
        for (position, application) in sortedApplications.enumerated() { rank[application] = Int32(position) }
        // A counting sort: stable, so each application's rows stay in file order.
        var starts = [Int](repeating: 0, count: applicationIDs.count + 1)
        for application in applications { starts[Int(rank[Int(application)]) + 1] += 1 }
        for position in 0..<applicationIDs.count { starts[position + 1] += starts[position] }
        var grouped = [Int32](repeating: 0, count: count)
        for (index, application) in applications.enumerated() {
            let position = Int(rank[Int(application)])
            grouped[starts[position]] = Int32(index)
            starts[position] += 1
        }
        return grouped
    }
}

extension PaymentImportChecks {
    /// What the first pass over a row source comes to.
    struct FieldPass: Sendable {
        var candidates = PaymentImportCandidates()
        /// Every field problem and payment id used twice with different content, malformed rows
        /// included (not yet sorted).
        var problems: [PaymentImportProblem]
        var invalid: Int
        var duplicates = 0
    }

    /// Pass 1 as `checkFields` does it, with the same results, over a source read twice, keeping
    /// only the well-formed rows (packed): the first read hashes each payment id, so that the
    /// second keeps whole rows only for payment ids the file may use more than once.
    static func checkFields(streaming source: some PaymentImportRowSource) throws -> FieldPass {
        var hashes: [Int] = []
        hashes.reserveCapacity(source.rowCount)
        try source.forEachRow { row in
            let paymentID = row[.paymentID].trimmingSpaces()
            if !paymentID.isEmpty { hashes.append(paymentID.hashValue) }
        }
        hashes.sort()
        var repeated: Set<Int> = []
        for index in hashes.indices.dropFirst() where hashes[index] == hashes[index - 1] { repeated.insert(hashes[index]) }
        hashes = []

        var pass = FieldPass(problems: source.malformedRows, invalid: source.malformedRows.count)
        pass.candidates.reserve(rows: source.rowCount, textBytes: source.textBytesEstimate)
        /// The first row of each payment id that may be repeated, and its order when well-formed.
        var firstRows: [String: (row: PaymentImportFile.Row, order: LedgerService.PaymentOrder?)] = [:]
        try source.forEachRow { row in
            let (order, rowProblems) = parse(row)
            pass.problems += rowProblems
            let paymentID = row[.paymentID].trimmingSpaces()
            guard !paymentID.isEmpty else {
                pass.invalid += 1
                return
            }
            func firstOccurrence() {
                if let order { pass.candidates.append(line: row.line, order) } else { pass.invalid += 1 }
            }
            guard repeated.contains(paymentID.hashValue) else { return firstOccurrence() }
            guard let first = firstRows[paymentID] else {
                firstRows[paymentID] = (row, order)
                return firstOccurrence()
            }
            let differing: PaymentImportFile.Column?
            if let firstOrder = first.order, let order {
                differing = differingColumn(firstOrder, order)
            } else {
                differing = PaymentImportFile.Column.allCases.first { first.row[$0].trimmingSpaces() != row[$0].trimmingSpaces() }
            }
            guard let column = differing else {
                pass.duplicates += 1
                return
            }
            if order != nil {
                pass.problems.append(PaymentImportProblem(
                    line: row.line, column: .paymentID, code: .duplicateInFile,
                    message: "payment id \(paymentID) is also on line \(first.row.line) with a different \(column.rawValue) "
                        + "(\(first.row[column].trimmingSpaces().debugDescription) there, \(row[column].trimmingSpaces().debugDescription) here); "
                        + "a different payment needs a different payment id"
                ))
            }
            pass.invalid += 1
        }
        return pass
    }
}
