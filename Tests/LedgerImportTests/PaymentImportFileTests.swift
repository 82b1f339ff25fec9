import Foundation
import Ledger
import Testing

/// Reading a payment file: encoding, header, quoting, line numbers. No database.
struct PaymentImportFileTests {
    func read(_ text: String) throws -> PaymentImportFile { try PaymentImportFile(bytes: Array(text.utf8)) }

    func refusal(_ bytes: [UInt8]) -> PaymentImportFileError? {
        do {
            _ = try PaymentImportFile(bytes: bytes)
            return nil
        } catch let error as PaymentImportFileError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    func refusal(_ text: String) -> PaymentImportFileError? { refusal(Array(text.utf8)) }

    @Test func aByteOrderMarkAndAQuotedVoucherWithACommaAndQuotesAreRead() throws {
        let text = "payment_id,application_id,amount_vnd,paid_on,method,voucher\r\n"
            + "P-1,A-1,5000000,2024-03-15,bank,\"PC 01/2024, \"\"đợt 1\"\"\"\r\n"
        let file = try PaymentImportFile(bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        #expect(file.rows.count == 1)
        let row = try #require(file.rows.first)
        #expect(row.line == 2)
        #expect(row[.paymentID] == "P-1")
        #expect(row[.voucher] == "PC 01/2024, \"đợt 1\"")
    }

    @Test func columnsMayComeInAnyOrderAndHeaderNamesInAnyCase() throws {
        let file = try read("Voucher, METHOD ,paid_on,amount_vnd,application_id,payment_id\nPC-9,cash,2024-04-01,700000,A-2,P-9\n")
        let row = try #require(file.rows.first)
        #expect(row.values == ["P-9", "A-2", "700000", "2024-04-01", "cash", "PC-9"])
    }

    @Test func lineNumbersCountBlankLinesAndLineBreaksInsideQuotedValues() throws {
        let text = PaymentCSV.header + "\n"
            + "P-1,A-1,100,2024-03-15,cash,\"two\nlines\"\n"  // lines 2–3
            + "\n"  // line 4, blank
            + ",,,,,\n"  // line 5, an empty spreadsheet row
            + "P-2,A-1,100,2024-03-15,cash,V2\r\n"  // line 6
            + "P-3,A-1,100,2024-03-15,cash,\"a\r\nb\r\nc\"\r\n"  // lines 7–9
            + "P-4,A-1,100,2024-03-15,cash,V4"  // line 10, no final line break
        let file = try read(text)
        #expect(file.rows.map(\.line) == [2, 6, 7, 10])
        #expect(file.rows[0][.voucher] == "two\nlines")
        #expect(file.rowCount == 4)
    }

    @Test func aHeaderIsRefusedNamingEveryMissingUnknownAndRepeatedColumn() throws {
        let error = try #require(refusal("payment_id,application_id,amount,paid_on,method,voucher,voucher\nP-1,A-1,1,2024-03-15,cash,V,V\n"))
        #expect(error.code == .badHeader)
        #expect(error.line == 1)
        #expect(error.message.contains("missing amount_vnd"))
        #expect(error.message.contains("unknown \"amount\""))
        #expect(error.message.contains("more than once voucher"))
        #expect(error.description.hasPrefix("line 1: the header must name the columns payment_id,application_id,amount_vnd,paid_on,method,voucher"))
    }

    @Test(arguments: ["", "\u{FEFF}", "\n\r\n  \n"])
    func anEmptyFileIsRefusedSayingWhatTheFirstLineShouldBe(_ text: String) throws {
        let error = try #require(refusal(text))
        #expect(error.code == .empty)
        #expect(error.description == "the file is empty; a payment file starts with the header line payment_id,application_id,amount_vnd,paid_on,method,voucher")
    }

    @Test func aHeaderWithoutRowsIsRefused() throws {
        let error = try #require(refusal(PaymentCSV.header + "\r\n\r\n"))
        #expect(error.code == .noRows)
        #expect(error.description == "line 1: the file has the header line and no payment rows")
    }

    @Test func aWindows1258FileIsRefusedNamingTheLineOfTheFirstBadByte() throws {
        // "Chi trả đợt 1" in Windows-1258: ả is a + 0xD2 (combining hook above), đ is 0xF0, ợ is o + 0xF2 (horn) + 0xF2…
        var bytes = Array((PaymentCSV.header + "\nP-1,A-1,100000,2024-03-15,cash,PC-1\nP-2,A-1,100000,2024-03-15,cash,Chi tra").utf8)
        bytes += [0xD2, 0x20, 0xF0, 0xF5, 0xF2, 0x74, 0x0A]
        let error = try #require(refusal(bytes))
        #expect(error.code == .notUTF8)
        #expect(error.line == 3)
        #expect(error.message.hasPrefix("byte 39 (0xD2) is not UTF-8"))
        #expect(error.message.contains("Windows-1258"))
        #expect(error.message.contains("save it as UTF-8"))
    }

    @Test func aUTF16FileIsRefusedWithOrWithoutAByteOrderMark() throws {
        let text = PaymentCSV.text([PaymentCSV.row("P-1", "A-1", 100_000)])
        let littleEndian = try #require(text.data(using: .utf16LittleEndian))
        let withMark = try #require(refusal([0xFF, 0xFE] + Array(littleEndian)))
        #expect(withMark.code == .notUTF8)
        #expect(withMark.description.hasPrefix("line 1: the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8"))
        let withoutMark = try #require(refusal(Array(littleEndian)))
        #expect(withoutMark.code == .notUTF8)
        #expect(withoutMark.description.hasPrefix("line 1: byte 2 is a NUL byte: the file looks like UTF-16"))
    }

    @Test func anUnterminatedQuoteIsRefusedNamingTheLineWhereItStarts() throws {
        let text = PaymentCSV.header + "\nP-1,A-1,100,2024-03-15,cash,V1\nP-2,A-1,100,2024-03-15,cash,\"PC 02\nP-3,A-1,100,2024-03-15,cash,V3\n"
        let error = try #require(refusal(text))
        #expect(error.code == .malformedCSV)
        #expect(error.line == 3)
        #expect(error.message.hasPrefix("a quoted value that starts on this line is never closed"))
    }

    @Test func textAfterAClosingQuoteOrAStrayQuoteIsRefusedNamingTheLine() throws {
        let after = try #require(refusal(PaymentCSV.header + "\nP-1,A-1,100,2024-03-15,cash,\"PC\" 01\n"))
        #expect(after.code == .malformedCSV)
        #expect(after.line == 2)
        #expect(after.message.hasPrefix("text follows the closing double quote"))
        let stray = try #require(refusal(PaymentCSV.header + "\nP-1,A-1,100,2024-03-15,cash,V1\nP-2,A-1,100,2024-03-15,cash,PC \"02\"\n"))
        #expect(stray.code == .malformedCSV)
        #expect(stray.line == 3)
        #expect(stray.message.hasPrefix("a double quote inside a value that does not start with one"))
    }

    @Test func aRowWithTheWrongNumberOfFieldsIsABadRowNamingItsLine() throws {
        let file = try read(PaymentCSV.header + "\nP-1,A-1,100,2024-03-15,cash,V1\nP-2,A-1,100,2024-03-15,cash,PC 02, đợt 1\nP-3,A-1\n")
        #expect(file.rows.map(\.line) == [2])
        #expect(file.malformedRows.map(\.line) == [3, 4])
        #expect(file.malformedRows.allSatisfy { $0.column == nil && $0.code == .wrongFieldCount })
        #expect(file.malformedRows[0].message == "has 7 fields; the header has 6 (a value with a comma in it must be written in double quotes)")
        #expect(file.rowCount == 3)
    }
}

/// Pass 1: each field, and payment ids repeated within the file. No database.
struct PaymentImportFieldTests {
    @Test func eachBadFieldIsReportedWithItsLineAndColumn() throws {
        let text = PaymentCSV.header + "\n"
            + "P-1,A-1,5000000,2024-03-15,bank,PC-1\n"  // 2: good
            + "P 2,A-1,5.000.000,2024-03-15,Bank,PC-2\n"  // 3: payment id
            + "P-3,,12.5,2024-02-30,cheque,\n"  // 4: application id, amount, date, method, voucher
            + "P-4,A-1,-100,15/03/24,cash,PC-4\n"  // 5: amount (signed), date (two-digit year)
            + "P-5,A-1,0,2024-03-15,cash,PC-5\n"  // 6: amount zero
        let file = try PaymentImportFile(bytes: Array(text.utf8))
        let (checks, problems) = PaymentImportChecks.checkFields(file)
        #expect(checks.map { if case .valid = $0 { true } else { false } } == [true, false, false, false, false])
        #expect(problems.map { "\($0.line) \($0.column?.rawValue ?? "-")" } == [
            "3 payment_id", "4 application_id", "4 amount_vnd", "4 paid_on", "4 method", "4 voucher", "5 amount_vnd", "5 paid_on",
            "6 amount_vnd",
        ])
        let messages = Dictionary(problems.map { ("\($0.line) \($0.column!.rawValue)", $0.message) }) { a, _ in a }
        #expect(messages["4 amount_vnd"] == "\"12.5\": đồng are whole: no decimal part")
        #expect(messages["4 paid_on"] == "2024-02-30 is not a day of the calendar")
        #expect(messages["5 paid_on"] == "\"15/03/24\": a two-digit year is ambiguous: write 2024")
        #expect(messages["4 method"] == "\"cheque\" must be bank or cash")
        #expect(messages["4 voucher"] == "must not be empty")
        #expect(messages["6 amount_vnd"] == "a payment must be a positive amount, not 0 ₫")
    }

    @Test func surroundingSpacesAreIgnoredAndAmountsMayBeGrouped() throws {
        let file = try PaymentImportFile(bytes: Array((PaymentCSV.header + "\n P-1 , A-1 ,\"5,000,000\", 2024-03-15 , CASH , PC 1 \n").utf8))
        let (checks, problems) = PaymentImportChecks.checkFields(file)
        #expect(problems.isEmpty)
        #expect(checks == [.valid(LedgerService.PaymentOrder(
            applicationID: "A-1", paymentID: "P-1", amount: 5_000_000, paidOn: ImportLedger.date("2024-03-15"), method: .cash, voucher: "PC 1"
        ))])
    }

    @Test func anExactRepeatCountsOnceAndADifferentPaymentUnderTheSameIDIsABadRow() throws {
        let text = PaymentCSV.text([
            PaymentCSV.row("P-1", "A-1", 5_000_000),  // 2
            ["P-1", "A-1", "5.000.000", "2024-03-15", "bank", "PC-P-1"],  // 3: the same payment, written differently
            PaymentCSV.row("P-1", "A-1", 6_000_000),  // 4: another payment under P-1
            PaymentCSV.row("P-2", "A-2", 1_000_000),  // 5
            PaymentCSV.row("P-2", "A-3", 1_000_000),  // 6: another application
        ])
        let (checks, problems) = PaymentImportChecks.checkFields(try PaymentImportFile(bytes: Array(text.utf8)))
        #expect(checks[1] == .duplicate(ofLine: 2))
        #expect(checks[2] == .invalid)
        #expect(checks[4] == .invalid)
        #expect(problems.map(\.line) == [4, 6])
        #expect(problems.allSatisfy { $0.column == .paymentID && $0.code == .duplicateInFile })
        #expect(problems[0].message == "payment id P-1 is also on line 2 with a different amount_vnd (\"5000000\" there, \"6000000\" here); "
            + "a different payment needs a different payment id")
        #expect(problems[1].message.contains("with a different application_id (\"A-2\" there, \"A-3\" here)"))
    }
}

/// Pass 2 on in-memory states: each row decided in file order, seeing the rows before it. No database.
struct PaymentImportDecisionTests {
    static let officer = "officer_lan", approver = "approver_minh"

    static func view(approved: VND = 10_000_000, bankAccount: String? = "Agribank 1") throws -> PaymentImportLedgerView {
        let catalog = try ProgramCatalog(parsing: SampleCatalog.json)
        let housing = try #require(catalog.programs.first { $0.code == "NQ12-HOUSING" })
        let program = ProgramState(streamID: Streams.program(housing.code)).folded([.programDefined(housing)], actor: "admin")
        let beneficiary = BeneficiaryState(streamID: Streams.beneficiary("HH-1")).folded([.beneficiaryRegistered(BeneficiaryRegistered(
            beneficiaryID: "HH-1", kind: .household, name: "Hộ HH-1", district: .ninhKieu, categories: ["poor"],
            bankAccount: bankAccount, nationalIDFingerprint: nil
        ))], actor: officer)
        var application = ApplicationState(streamID: Streams.application("A-1")).folded([.applicationSubmitted(ApplicationSubmitted(
            applicationID: "A-1", beneficiaryID: "HH-1", program: housing.code, district: .ninhKieu, fiscalYear: 2024,
            requestedVND: approved, submittedOn: ImportLedger.date("2024-03-01")
        ))], actor: officer)
        application = application.folded([.applicationApproved(ApplicationApproved(
            approvedVND: approved, decisionReference: "QĐ 1", decidedOn: ImportLedger.date("2024-03-10")
        ))], actor: approver)
        return PaymentImportLedgerView(
            applications: ["A-1": application], programs: [housing.code: program], beneficiaries: ["HH-1": beneficiary],
            recordedPaymentStreams: ["P-OLD": Streams.application("A-9")]
        )
    }

    static func order(_ paymentID: String, _ amount: VND, application: String = "A-1", method: PaymentMethod = .bank) -> LedgerService.PaymentOrder {
        LedgerService.PaymentOrder(
            applicationID: application, paymentID: paymentID, amount: amount, paidOn: ImportLedger.date("2024-03-15"), method: method,
            voucher: "PC-\(paymentID)"
        )
    }

    @Test func aLaterRowSeesTheEarlierRowsOfItsApplication() throws {
        var view = try Self.view()
        guard case .record(let first, let stream, let version) = view.decide(Self.order("P-1", 6_000_000)) else {
            Issue.record("the first payment fits")
            return
        }
        #expect(first.bankAccount == "Agribank 1")
        #expect(stream == "application-A-1")
        #expect(version == 2)
        guard case .refused(let refusal) = view.decide(Self.order("P-2", 6_000_000)) else {
            Issue.record("the second payment would overpay")
            return
        }
        #expect(refusal.code == .overpayment)
        guard case .record(_, _, let thirdVersion) = view.decide(Self.order("P-3", 4_000_000)) else {
            Issue.record("what remains can be paid")
            return
        }
        #expect(thirdVersion == 3)
        #expect(view.decide(Self.order("P-1", 6_000_000)) == .alreadyRecorded)
    }

    @Test func unknownApplicationsPaymentIDsUsedElsewhereAndBankPaymentsWithoutAnAccountAreRefused() throws {
        var view = try Self.view(bankAccount: nil)
        guard case .refused(let unknown) = view.decide(Self.order("P-1", 1_000, application: "A-404")) else {
            Issue.record("no such application")
            return
        }
        #expect(PaymentImportProblem(line: 7, refusal: unknown) == PaymentImportProblem(
            line: 7, column: .applicationID, code: .init(.unknownApplication), message: "there is no application A-404"
        ))
        guard case .refused(let elsewhere) = view.decide(Self.order("P-OLD", 1_000)) else {
            Issue.record("P-OLD is recorded on A-9")
            return
        }
        #expect(elsewhere.code == .conflictingDuplicate)
        #expect(elsewhere.message == "payment id P-OLD is already recorded on application A-9; a different payment needs a different payment id")
        guard case .refused(let noAccount) = view.decide(Self.order("P-2", 1_000)) else {
            Issue.record("no bank account on record")
            return
        }
        #expect(PaymentImportProblem(line: 3, refusal: noAccount).column == .method)
        guard case .record(let cash, _, _) = view.decide(Self.order("P-3", 1_000, method: .cash)) else {
            Issue.record("cash needs no account")
            return
        }
        #expect(cash.bankAccount == nil)
    }
}
