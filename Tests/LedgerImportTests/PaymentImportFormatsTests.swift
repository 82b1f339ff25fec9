import Foundation
import Ledger
import TestSupport
import Testing

/// Payment files as Excel and banks write them: `;` or tab separated, extra columns, a
/// byte-order mark and CRLF, and the file on standard input. No database.
struct PaymentImportFileFormatTests {
    @Test func theSeparatorIsTheOneTheHeaderUsesOutsideQuotes() throws {
        let semicolons = try PaymentImportFile(bytes: Array(
            "payment_id;application_id;amount_vnd;paid_on;method;voucher\nP-1;A-1;100;2024-03-15;cash;\"PC 1; đợt 1, a\"\n".utf8
        ))
        #expect(semicolons.separator == ";" && semicolons.separatorName == ";")
        #expect(semicolons.rows.first?[.voucher] == "PC 1; đợt 1, a")
        let tabs = try PaymentImportFile(bytes: Array("payment_id\tapplication_id\tamount_vnd\tpaid_on\tmethod\tvoucher\nP-1\tA-1\t100\t2024-03-15\tcash\tPC, 1\n".utf8))
        #expect(tabs.separator == "\t" && tabs.separatorName == "a tab")
        #expect(tabs.rows.first?[.voucher] == "PC, 1")
        // A quoted header name with a ; in it does not make the file ;-separated.
        let quoted = try PaymentImportFile(bytes: Array("payment_id,application_id,amount_vnd,paid_on,method,voucher,\"a;b;c;d;e;f;g\"\nP-1,A-1,100,2024-03-15,cash,V,x\n".utf8))
        #expect(quoted.separator == ",")
        #expect(quoted.ignoredColumns == ["\"a;b;c;d;e;f;g\""])
    }

    @Test func aRowWithTheWrongFieldCountNamesTheFilesSeparator() throws {
        let file = try PaymentImportFile(bytes: Array(
            "payment_id;application_id;amount_vnd;paid_on;method;voucher\nP-1;A-1;100;2024-03-15;cash;PC 1; đợt 1\n".utf8
        ))
        #expect(file.malformedRows.first?.message == "has 7 fields; the header has 6 (a value with a ; in it must be written in double quotes)")
    }

    @Test func extraColumnsAreIgnoredUnlessStrictAndMissingOnesStillRefused() throws {
        let text = "payment_id,ghi_chu,application_id,amount_vnd,paid_on,method,voucher,\nP-1,chuyển khoản,A-1,100,2024-03-15,cash,V,\n"
        let file = try PaymentImportFile(bytes: Array(text.utf8))
        #expect(file.ignoredColumns == ["\"ghi_chu\"", "(an empty name)"])
        #expect(file.rows.first?.values == ["P-1", "A-1", "100", "2024-03-15", "cash", "V"])
        #expect(file.warnings == [
            "ignored the columns \"ghi_chu\", (an empty name): not a column of a payment file "
                + "(payment_id,application_id,amount_vnd,paid_on,method,voucher)",
        ])
        #expect(throws: PaymentImportFileError.self) { try PaymentImportFile(bytes: Array(text.utf8), strictColumns: true) }
        do {
            _ = try PaymentImportFile(bytes: Array("payment_id,application_id,amount_vnd,method,ghi_chu\nP-1,A-1,1,cash,x\n".utf8))
            Issue.record("a missing column is refused")
        } catch let error as PaymentImportFileError {
            #expect(error.code == .badHeader)
            #expect(error.message.hasSuffix(": missing paid_on, voucher; unknown \"ghi_chu\""), "\(error)")
        }
    }
}

/// `ledger payment import` on such files, on a real PostgreSQL: what is recorded and what the
/// officer is told.
@Suite(.enabled(if: TestDatabase.enabled))
struct PaymentImportFormatCommandTests {
    static let semicolonHeader = "payment_id;application_id;amount_vnd;paid_on;method;voucher"

    static func json(_ run: LedgerRun) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
    }

    @Test func aSemicolonSeparatedFileIsReadAndTheSeparatorNamed() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            let text = Self.semicolonHeader + "\n"
                + "P-1;A-1;1000000;2024-03-15;bank;\"PC 01; đợt 1, \"\"tháng 3\"\"\"\n"
                + "P-2;A-1;2000000;2024-03-16;cash;PC-02\n"
            let run = try await LedgerRun.run(["payment", "import", "--format", "json"], file: Array(text.utf8), database: db, user: ledger.officerRole)
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.contains("payments.csv: the file uses ; as separator"), "\(run)")
            #expect(try Self.json(run)["recorded"] as? Int == 2)
            #expect(try await ledger.recordedPaymentIDs() == ["P-1", "P-2"])
            let application = try await ledger.application("A-1")
            #expect(application.payments["P-1"]?.voucher == "PC 01; đợt 1, \"tháng 3\"")

            let tabs = "payment_id\tapplication_id\tamount_vnd\tpaid_on\tmethod\tvoucher\nP-3\tA-1\t500000\t2024-03-17\tcash\tPC-03\n"
            let tabRun = try await LedgerRun.run(["payment", "import"], file: Array(tabs.utf8), database: db, user: ledger.officerRole)
            #expect(tabRun.status == 0, "\(tabRun)")
            #expect(tabRun.stderr.contains("payments.csv: the file uses a tab as separator"), "\(tabRun)")
            #expect(try await ledger.recordedPaymentIDs() == ["P-1", "P-2", "P-3"])

            let commas = PaymentCSV.text([PaymentCSV.row("P-4", "A-1", 100_000)])
            let commaRun = try await LedgerRun.run(["payment", "import"], file: Array(commas.utf8), database: db, user: ledger.officerRole)
            #expect(commaRun.status == 0, "\(commaRun)")
            #expect(!commaRun.stderr.contains("separator"), "a comma is not mentioned: \(commaRun)")
        }
    }

    @Test func anExtraColumnIsIgnoredWithAWarningStrictColumnsRefusesItAndAMissingOneIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            let text = "payment_id,application_id,amount_vnd,paid_on,method,voucher,ghi_chu\r\n"
                + "P-1,A-1,1000000,2024-03-15,bank,PC-01,\"chuyển khoản, đợt 1\"\r\n"
            let head = try await ledger.head()

            let strict = try await LedgerRun.run(["payment", "import", "--strict-columns"], file: Array(text.utf8), database: db, user: ledger.officerRole)
            #expect(strict.status == 64, "\(strict)")
            #expect(strict.stderr.contains("payments.csv: line 1: the header must name the columns payment_id,application_id,amount_vnd,paid_on,method,voucher"), "\(strict)")
            #expect(strict.stderr.contains("--strict-columns"), "\(strict)")
            #expect(strict.stderr.contains("unknown \"ghi_chu\"; nothing was recorded"), "\(strict)")
            #expect(try await ledger.head() == head)

            let missing = "payment_id,application_id,amount_vnd,method,ghi_chu\nP-1,A-1,1000000,bank,x\n"
            let refused = try await LedgerRun.run(["payment", "import"], file: Array(missing.utf8), database: db, user: ledger.officerRole)
            #expect(refused.status == 64, "\(refused)")
            #expect(refused.stderr.contains("missing paid_on, voucher"), "\(refused)")
            #expect(try await ledger.head() == head)

            let run = try await LedgerRun.run(["payment", "import"], file: Array(text.utf8), database: db, user: ledger.officerRole)
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.hasPrefix("ledger: warning: "), "\(run)")
            #expect(run.stderr.contains(
                "/payments.csv: ignored the column \"ghi_chu\": not a column of a payment file "
                    + "(payment_id,application_id,amount_vnd,paid_on,method,voucher)"
            ), "\(run)")
            #expect(run.stdout.contains("recorded:"), "\(run)")
            #expect(try await ledger.recordedPaymentIDs() == ["P-1"])

            let again = try await LedgerRun.run(["payment", "import", "--format", "json"], file: Array(text.utf8), database: db, user: ledger.officerRole)
            #expect(again.status == 0, "\(again)")
            let json = try Self.json(again)
            #expect(json["already_recorded"] as? Int == 1 && json["recorded"] as? Int == 0, "\(again)")
            #expect((json["warnings"] as? [String])?.first?.hasPrefix("ignored the column \"ghi_chu\"") == true, "\(again)")
            #expect(try await ledger.recordedPaymentIDs() == ["P-1"])
        }
    }

    @Test func aDashReadsStandardInputAndTheSameInputAgainRecordsNothingNew() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            let text = PaymentCSV.text([PaymentCSV.row("P-1", "A-1", 1_000_000), PaymentCSV.row("P-2", "A-1", 2_000_000)])
            let environment = db.environment(user: ledger.officerRole)
            let first = try await LedgerBinary.run(["payment", "import", "--format", "json", "-"], environment: environment, standardInput: text)
            #expect(first.status == 0, "\(first)")
            #expect(try Self.json(first)["recorded"] as? Int == 2, "\(first)")
            #expect(try await ledger.recordedPaymentIDs() == ["P-1", "P-2"])
            let head = try await ledger.head()

            let again = try await LedgerBinary.run(["payment", "import", "--format", "json", "-"], environment: environment, standardInput: text)
            #expect(again.status == 0, "\(again)")
            let json = try Self.json(again)
            #expect(json["recorded"] as? Int == 0 && json["already_recorded"] as? Int == 2, "\(again)")
            #expect(try await ledger.head() == head, "nothing new recorded")

            let bad = try await LedgerBinary.run(["payment", "import", "-"], environment: environment, standardInput: "payment_id\nP-9\n")
            #expect(bad.status == 64, "\(bad)")
            #expect(bad.stderr.hasPrefix("ledger: error: standard input: line 1: the header must name the columns"), "\(bad)")
            let empty = try await LedgerBinary.run(["payment", "import", "-"], environment: environment)
            #expect(empty.status == 64, "\(empty)")
            #expect(empty.stderr.contains("standard input: the file is empty"), "\(empty)")
            #expect(try await ledger.head() == head)
        }
    }

    @Test func aFileWithAByteOrderMarkAndCRLFAsExcelOnWindowsWritesIsRead() async throws {
        try await TestDatabase.withFresh { db in
            let ledger = try await ImportLedger.make(db)
            try await ledger.approvedApplication("A-1", household: "HH-1")
            let commas = PaymentImportFile.Column.headerLine + "\r\n"
                + "P-1,A-1,1000000,2024-03-15,bank,\"PC 01, đợt 1\"\r\n"
                + ",,,,,\r\n"
            let run = try await LedgerRun.run(["payment", "import", "--format", "json"], file: [0xEF, 0xBB, 0xBF] + Array(commas.utf8),
                                              database: db, user: ledger.officerRole)
            #expect(run.status == 0, "\(run)")
            #expect(try Self.json(run)["recorded"] as? Int == 1, "\(run)")
            #expect(run.stderr.isEmpty, "\(run)")

            let semicolons = Self.semicolonHeader + "\r\nP-2;A-1;2000000;2024-03-16;cash;\"PC 02; đợt 2\"\r\n;;;;;\r\nP-3;A-1;x;2024-03-16;cash;PC 03\r\n"
            let piped = try await LedgerBinary.run(["payment", "import", "-"], environment: db.environment(user: ledger.officerRole),
                                                   standardInput: "\u{FEFF}" + semicolons)
            #expect(piped.status == 1, "line 4 is invalid: \(piped)")
            #expect(piped.stdout.contains("   4  amount_vnd"), "lines count from the header, the empty row too: \(piped)")
            #expect(piped.stderr.contains("standard input: the file uses ; as separator"), "\(piped)")

            let valid = semicolons.replacingOccurrences(of: "P-3;A-1;x;", with: "P-3;A-1;3000000;")
            let recorded = try await LedgerBinary.run(["payment", "import", "-"], environment: db.environment(user: ledger.officerRole),
                                                      standardInput: "\u{FEFF}" + valid)
            #expect(recorded.status == 0, "\(recorded)")
            #expect(try await ledger.recordedPaymentIDs() == ["P-1", "P-2", "P-3"])
            let payments = try await ledger.application("A-1").payments
            #expect(payments["P-1"]?.voucher == "PC 01, đợt 1" && payments["P-2"]?.voucher == "PC 02; đợt 2")
        }
    }
}
