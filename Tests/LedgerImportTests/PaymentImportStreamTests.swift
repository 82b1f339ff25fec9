import Foundation
@testable import Ledger
import TestSupport
import Testing

/// The file read from disk a pass at a time (`PaymentImportStream`, what `ledger payment import`
/// uses) against the file parsed in memory (`PaymentImportFile`): the same rows, the same
/// refusals, the same field checks. No database.
struct PaymentImportStreamTests {
    /// What reading a file came to, comparable across the two readers.
    enum Reading: Equatable, CustomStringConvertible {
        case refused(PaymentImportFileError)
        case read(rows: [PaymentImportFile.Row], malformed: [PaymentImportProblem], rowCount: Int, separator: Character, ignored: [String])

        var description: String {
            switch self {
            case .refused(let error): "refused \(error.code): \(error)"
            case .read(let rows, let malformed, let count, let separator, let ignored):
                "\(count) rows \(rows.map { "\($0.line):\($0.values)" }) malformed \(malformed.map { "\($0.line) \($0.message)" }) "
                    + "separator \(separator.debugDescription) ignored \(ignored)"
            }
        }
    }

    static func inMemory(_ bytes: [UInt8], strict: Bool = false) -> Reading {
        do {
            let file = try PaymentImportFile(bytes: bytes, strictColumns: strict)
            return .read(rows: file.rows, malformed: file.malformedRows, rowCount: file.rowCount, separator: file.separator, ignored: file.ignoredColumns)
        } catch let error as PaymentImportFileError {
            return .refused(error)
        } catch {
            return .refused(PaymentImportFileError(.unreadable, "unexpected \(error)"))
        }
    }

    static func streamed(_ bytes: [UInt8], strict: Bool = false) throws -> Reading {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stream-test-\(UUID().uuidString).csv")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let stream = try PaymentImportStream(contentsOf: url, strictColumns: strict)
            var rows: [PaymentImportFile.Row] = []
            try stream.forEachRow { rows.append($0) }
            return .read(rows: rows, malformed: stream.malformedRows, rowCount: stream.rowCount, separator: stream.separator, ignored: stream.ignoredColumns)
        } catch let error as PaymentImportFileError {
            return .refused(error)
        }
    }

    static let header = PaymentImportFile.Column.headerLine

    /// Files each reader has a rule for: quoting, line ends, separators, encodings, headers.
    static let cases: [[UInt8]] = {
        let texts = [
            header + "\nP-1,A-1,1000,2024-03-15,bank,PC 1\n",
            header + "\r\nP-1,A-1,1000,2024-03-15,bank,\"PC 01/2024, \"\"đợt 1\"\"\"\r\n,,,,,\r\n\r\nP-2,A-1,2000,2024-03-15,cash,x",
            header + "\rP-1,A-1,1000,2024-03-15,bank,\"two\r\nlines\"\rP-2,A-1,1,2024-03-15,bank,\"a\nb\rc\"\n",
            "payment_id;application_id;amount_vnd;paid_on;method;voucher\nP-1;A-1;1000;2024-03-15;bank;\"PC; 1\"\n;;;;;\n",
            "payment_id\tapplication_id\tamount_vnd\tpaid_on\tmethod\tvoucher\tghi_chu\nP-1\tA-1\t1000\t2024-03-15\tbank\tPC\tnote\n",
            "Voucher, METHOD ,paid_on,amount_vnd,application_id,payment_id,,extra\nPC,cash,2024-04-01,700,A-2,P-9,,\n",
            header + "\nP-1,A-1,1000,2024-03-15,bank\nP-2,A-1,1000,2024-03-15,bank,PC,extra,\nP-3,A-1,1000,2024-03-15,bank,PC,\n",
            header + "\nP-1,A-1,1000,2024-03-15,bank,\"PC 1\n",
            header + "\nP-1,A-1,1000,2024-03-15,bank,\"PC\" 1\n",
            header + "\nP-1,A-1,1000,2024-03-15,bank,PC \"1\"\n",
            header + "\n", header, "", "  \r\n\t\n", "\n" + header + "\nP-1,A-1,1,2024-03-15,bank,PC\n",
            "payment_id,application_id,amount,paid_on,method\nP-1,A-1,1,2024-03-15,bank\n",
            "payment_id,payment_id,application_id,amount_vnd,paid_on,method,voucher\n",
            header + ",\nP-1,A-1,1,2024-03-15,bank,PC,\n",
            header + "\nP-1,A-1,1,2024-03-15,bank,PC,",
            header + "\n\"\"\"P-1\"\"\",A-1,1,2024-03-15,bank,\"\"\n",
        ]
        var cases = texts.map { Array($0.utf8) }
        cases.append([0xEF, 0xBB, 0xBF] + Array((header + "\nP-1,A-1,1,2024-03-15,bank,PC\n").utf8))
        cases.append([0xEF, 0xBB] + Array((header + "\nP-1,A-1,1,2024-03-15,bank,PC\n").utf8))
        cases.append([0xFF, 0xFE] + Array(header.utf8))
        cases.append(Array((header + "\nP-1,A-1,1,2024-03-15,cash,Chi tra").utf8) + [0xD2, 0x0A])
        cases.append(Array((header + "\nP-1,A-1,1,2024-03-15,cash,\"x\n").utf8) + [0xE1, 0xBB] + Array("\nP-2\0".utf8))
        cases.append(Array((header + "\nP-1,A-1,1,2024-03-15,cash,").utf8) + [0xED, 0xA0, 0x80, 0x0A])
        cases.append(Array((header + "\nP-1,A-1,1,2024-03-15,cash,").utf8) + [0xF0, 0x9F, 0x98])
        return cases
    }()

    @Test func eachFileIsReadOrRefusedAsInMemory() throws {
        for (number, bytes) in Self.cases.enumerated() {
            for strict in [false, true] {
                let expected = Self.inMemory(bytes, strict: strict)
                let streamed = try Self.streamed(bytes, strict: strict)
                #expect(streamed == expected, "case \(number) strict \(strict):\nstreamed \(streamed)\nin memory \(expected)")
            }
        }
    }

    /// Random files from pieces that matter to the readers: separators, quotes, line ends,
    /// multi-byte characters, bytes that are not UTF-8, NUL, blanks.
    @Test func randomFilesAreReadOrRefusedAsInMemory() throws {
        var random = SplitMix64(seed: 14)
        let pieces: [[UInt8]] = [
            "P-1", "A-1", "1000", "2024-03-15", "bank", "đợt", " ", ",", ",", ",", ";", "\t", "\"", "\"\"", "\n", "\n", "\r\n", "\r", "x",
        ].map { Array($0.utf8) } + [[0xD2], [0], [0xE1, 0xBB], [0xEF, 0xBB, 0xBF]]
        let headers = [Self.header, "payment_id;application_id;amount_vnd;paid_on;method;voucher", Self.header + ",ghi_chu", "payment_id,voucher"]
        for round in 0..<400 {
            var bytes = Array(headers[Int(random.next() % UInt64(headers.count))].utf8)
            if random.next() % 4 == 0 { bytes = [0xEF, 0xBB, 0xBF] + bytes }
            bytes += Array("\n".utf8)
            for _ in 0..<Int(random.next() % 60) { bytes += pieces[Int(random.next() % UInt64(pieces.count))] }
            let expected = Self.inMemory(bytes)
            let streamed = try Self.streamed(bytes)
            #expect(streamed == expected, "round \(round) \(bytes):\nstreamed \(streamed)\nin memory \(expected)")
            if streamed != expected { break }
        }
    }

    @Test func aFileThatChangesBetweenPassesIsRefused() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("changing-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data((Self.header + "\nP-1,A-1,1000,2024-03-15,bank,PC\n").utf8).write(to: url)
        let stream = try PaymentImportStream(contentsOf: url)
        try Data((Self.header + "\nP-1,A-1,1000,2024-03-15,bank,PC\nP-2,A-1,1000,2024-03-15,bank,PC\n").utf8).write(to: url)
        #expect(throws: PaymentImportFileError(.unreadable, "\(url.path) changed while it was being imported; import it again once it is written")) {
            try stream.forEachRow { _ in }
        }
    }

    /// A file of rows from small pools, so that payment ids repeat (the same row, or another
    /// amount, or a bad row), with bad fields and malformed rows: the streamed field pass keeps
    /// exactly the rows, problems and counts `checkFields` gives.
    @Test func theStreamedFieldChecksAreTheFileChecks() throws {
        var random = SplitMix64(seed: 2024)
        func pick(_ items: [String]) -> String { items[Int(random.next() % UInt64(items.count))] }
        for round in 0..<60 {
            var lines = [Self.header]
            for _ in 0..<Int(random.next() % 40 + 1) {
                let fields = [
                    pick(["P-1", "P-2", "P-3", " P-1 ", "P-4", "", "P 5", "P-\(random.next() % 1000)"]), pick(["A-1", "A-2", "", "A-1 "]),
                    pick(["1000", "2000", "1.000", "x", "-5", "0"]), pick(["2024-03-15", "2024-3-15", "2024-02-30"]),
                    pick(["bank", "CASH", "card"]), pick(["PC 1", "PC 2", "\"PC, 3\"", ""]),
                ]
                lines.append((random.next() % 15 == 0 ? fields.dropLast() : fields[...]).joined(separator: ","))
            }
            let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
            let file = try PaymentImportFile(bytes: bytes)
            let (checks, problems) = PaymentImportChecks.checkFields(file)
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("fields-\(UUID().uuidString).csv")
            try Data(bytes).write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            let pass = try PaymentImportChecks.checkFields(streaming: PaymentImportStream(contentsOf: url))

            var expectedCandidates: [String] = []
            for (row, check) in zip(file.rows, checks) { if case .valid(let order) = check { expectedCandidates.append("\(row.line) \(order)") } }
            let candidates = (0..<pass.candidates.count).map { "\(pass.candidates[$0].line) \(pass.candidates[$0].order)" }
            #expect(candidates == expectedCandidates, "round \(round)")
            #expect(pass.problems.sorted(by: PaymentImportChecks.inReportOrder) == problems, "round \(round)")
            #expect(pass.duplicates == checks.filter { if case .duplicate = $0 { true } else { false } }.count, "round \(round)")
            #expect(pass.invalid == file.malformedRows.count + checks.filter { $0 == .invalid }.count, "round \(round)")
        }
    }
}

/// The streamed import against a real PostgreSQL: the known outcome of each file, over windows
/// made small so that a modest file spans several (reading the ledger and appending a window of
/// applications at a time), a bad row late in the file writing nothing.
@Suite(.enabled(if: TestDatabase.enabled))
struct PaymentImportStreamLedgerTests {
    /// Imports `text` as the CLI does: from a file on disk, read a pass at a time.
    static func streaming(
        _ text: String, by service: LedgerService, skipInvalid: Bool = false, applicationsPerWindow: Int = 4, rowsPerWindow: Int = 150
    ) async throws -> PaymentImportResult {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString).csv")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var importing = PaymentImport(service: service, skipInvalid: skipInvalid)
        importing.applicationsPerWindow = applicationsPerWindow
        importing.rowsPerWindow = rowsPerWindow
        return try await importing.run(PaymentImportStream(contentsOf: url))
    }

    @Test func theMixedFileComesToTheSameResultStreamedAsInMemory() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            let file = try await PaymentImportTests.mixedFile(ledger)
            let head = try await ledger.head()
            let inMemory = try await ledger.importing(file)
            let streamed = try await Self.streaming(file, by: ledger.officer, applicationsPerWindow: 1, rowsPerWindow: 1)
            #expect(streamed == inMemory)
            #expect(streamed.outcome == .refused)
            #expect(PaymentImportTests.summary(streamed.problems) == PaymentImportTests.mixedFileProblems)
            #expect(try await ledger.head() == head)

            let skipping = try await Self.streaming(file, by: ledger.officer, skipInvalid: true, applicationsPerWindow: 1, rowsPerWindow: 1)
            #expect((skipping.outcome, skipping.rowsRead, skipping.recorded, skipping.invalid, skipping.notRecorded) == (.recordedSkippingInvalid, 9, 3, 6, 0))
            #expect(PaymentImportTests.summary(skipping.problems) == PaymentImportTests.mixedFileProblems)
            #expect(Set(try await ledger.recordedPaymentIDs()) == ["P-1", "P-5", "P-9"])
            #expect(try await ledger.application("A-1").paid == 40_000_000)
        }
    }

    /// 30 applications × 40 rows of 100,000 ₫, the rows of each application spread through the
    /// file: 1,200 rows in 3 appends (500 events each at most), read 4 applications at a time.
    static func spreadFile(_ applications: [String], prefix: String = "P") -> [[String]] {
        (0..<40).flatMap { round in applications.map { PaymentCSV.row("\(prefix)-\(round)-\($0)", $0, 100_000) } }
    }

    @Test func aFileSpanningSeveralWindowsAndBatchesRecordsExactlyItsRows() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            let applications = try await ledger.seedApprovedApplications(count: 30, amount: 4_000_000)
            let rows = Self.spreadFile(applications)
            let head = try await ledger.head()
            let result = try await Self.streaming(PaymentCSV.text(rows), by: ledger.officer)
            #expect((result.outcome, result.rowsRead, result.recorded, result.alreadyRecorded, result.invalid) == (.recorded, 1_200, 1_200, 0, 0))
            #expect(result.appends == 3)
            #expect((result.firstPosition, result.lastPosition) == (head + 1, head + 1_200))
            #expect(try await ledger.head() == head + 1_200)
            let recorded = try await ledger.recordedPaymentIDs()
            #expect(recorded.count == 1_200 && Set(recorded) == Set(rows.map { $0[0] }))
            for id in applications {
                let state = try await ledger.application(id)
                #expect(state.paid == 4_000_000 && state.version == 42, "\(id)")
                #expect(state.paymentIDs == (0..<40).map { "P-\($0)-\(id)" }, "\(id): file order within the application")
            }
            #expect(try await ledger.superuser.store.verifyChain().isIntact)

            // Again: nothing new, every row already recorded.
            let again = try await Self.streaming(PaymentCSV.text(rows), by: ledger.officer)
            #expect((again.outcome, again.recorded, again.alreadyRecorded, again.appends) == (.recorded, 0, 1_200, 0))
            #expect(try await ledger.head() == head + 1_200)
        }
    }

    @Test func aBadRowLateInTheFileWritesNothingAndIsReportedAsInMemory() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            let applications = try await ledger.seedApprovedApplications(count: 30, amount: 4_000_000)
            var rows = Self.spreadFile(applications)
            // Line 1,200 (in the last window): one payment more on the last application, so that
            // its last row (line 1,202) overpays; line 1,203 names no application.
            rows.insert(PaymentCSV.row("LATE-1", applications[29], 100_000), at: 1_198)
            rows.append(PaymentCSV.row("LATE-2", "A-404", 1_000))
            let head = try await ledger.head()
            let streamed = try await Self.streaming(PaymentCSV.text(rows), by: ledger.officer)
            #expect((streamed.outcome, streamed.rowsRead, streamed.recorded, streamed.invalid, streamed.notRecorded) == (.refused, 1_202, 0, 2, 1_200))
            #expect(PaymentImportTests.summary(streamed.problems) == ["1202 amount_vnd overpayment", "1203 application_id unknownApplication"])
            #expect(try await ledger.head() == head)
            #expect(try await ledger.recordedPaymentIDs().isEmpty)
            #expect(streamed == (try await ledger.importing(PaymentCSV.text(rows))), "the same result with the file in memory and default windows")
        }
    }
}
