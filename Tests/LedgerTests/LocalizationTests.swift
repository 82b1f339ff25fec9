import Foundation
import Ledger
import Testing

/// `Language`, `LocaleFormatter`, `Message` and the Vietnamese `Catalog` (issue 12, `--locale`).
@Suite struct LocalizationTests {
    @Test(arguments: ["vi", "VI", "vi_VN", "vi-VN", "vi_VN.UTF-8", "vi-VN.UTF-8", "vi_VN.utf8@euro", " vi "])
    func vietnameseIsReadInTheFormsLocalesAreWritten(_ text: String) throws {
        #expect(try Language(parsing: text, source: "--locale") == .vi)
    }

    @Test(arguments: ["en", "EN", "en_US", "en-GB", "en_US.UTF-8"])
    func englishIsReadInTheFormsLocalesAreWritten(_ text: String) throws {
        #expect(try Language(parsing: text, source: "--locale") == .en)
    }

    @Test(arguments: ["fr", "", "C", "POSIX", "vietnamese", "vi_", "vi_VNMX", "en_U S", "ja_JP.UTF-8"])
    func anythingElseIsRefusedNamingTheOptionAndTheAcceptedValues(_ text: String) {
        #expect(throws: Language.Refusal.self) { try Language(parsing: text, source: "--locale") }
        do {
            _ = try Language(parsing: text, source: "LEDGER_LOCALE")
        } catch {
            #expect(error.description.hasPrefix("LEDGER_LOCALE: \(text.debugDescription)"))
            #expect(error.description.contains("vi (Vietnamese) or en (English)"))
        }
    }

    @Test func theOptionWinsOverTheEnvironmentWhichWinsOverEnglish() throws {
        #expect(try Language.resolve(option: nil, environment: [:]) == .en)
        #expect(try Language.resolve(option: nil, environment: ["LEDGER_LOCALE": ""]) == .en)
        #expect(try Language.resolve(option: nil, environment: ["LEDGER_LOCALE": "vi_VN.UTF-8"]) == .vi)
        #expect(try Language.resolve(option: "en", environment: ["LEDGER_LOCALE": "vi"]) == .en)
        #expect(throws: Language.Refusal.self) { try Language.resolve(option: nil, environment: ["LEDGER_LOCALE": "xx"]) }
    }

    @Test func amountsCountsAndDatesAreWrittenForTheLanguage() throws {
        let en = LocaleFormatter(.en), vi = LocaleFormatter(.vi)
        #expect(en.amountCell(Int64(5_000_000)) == "5,000,000")
        #expect(vi.amountCell(Int64(5_000_000)) == "5.000.000 ₫")
        #expect(en.amount(VND(5_000_000)) == "5,000,000 ₫")
        #expect(vi.amount(VND(5_000_000)) == "5.000.000 ₫")
        #expect(vi.amountCell(Int64(-1_234_567)) == "-1.234.567 ₫")
        #expect(vi.amountCell(Int64(0)) == "0 ₫" && en.amountCell(Int64(999)) == "999")
        #expect(en.number(1_234_567) == "1,234,567" && vi.number(1_234_567) == "1.234.567" && vi.number(12) == "12")
        let date = try #require(LocalDate(year: 2024, month: 5, day: 21))
        #expect(en.date(date) == "2024-05-21")
        #expect(vi.date(date) == "21/05/2024")
        #expect(vi.dateText("2024-05-21") == "21/05/2024" && vi.dateText("-") == "-" && en.dateText("2024-05-21") == "2024-05-21")
        // The English table form is what the ledger always printed.
        #expect(en.amountCell(Int64(1_234_567)) == VND.grouped(1_234_567))
    }

    @Test func messagesKeepTheirEnglishAndAreWrittenInVietnamese() throws {
        let paidOn = try #require(LocalDate(year: 2024, month: 3, day: 1))
        let message = Message(
            "a payment dated {0} is before the approval of application {1} on {2}",
            .date(paidOn), .text("A-1"), .date(try #require(LocalDate(year: 2024, month: 3, day: 10)))
        )
        #expect(message.description == "a payment dated 2024-03-01 is before the approval of application A-1 on 2024-03-10")
        #expect(message.rendered(.vi) == "khoản chi ngày 01/03/2024 trước khi hồ sơ A-1 được phê duyệt ngày 10/03/2024")
        // A key without a Vietnamese entry falls back to English.
        #expect(Message("no such key {0}", .amount(VND(5_000_000))).rendered(.vi) == "no such key 5.000.000 ₫")
        #expect(Catalog.text("no such label", in: .vi) == "no such label")
        // A refusal carries its template; equality is code, message and field.
        let error = DomainError(.unknownPayment, Message("there is no payment {0}", .text("P-9")), field: "payment_id")
        #expect(error == DomainError(.unknownPayment, "there is no payment P-9", field: "payment_id"))
        #expect(error.message(in: .vi) == "không có khoản chi P-9")
        #expect(error.naming(field: "--payment-id").field == "--payment-id")
        #expect(error.naming(field: "--payment-id").message(in: .vi) == "không có khoản chi P-9")
        #expect(throws: DomainError.self) { try VND(parsing: "5.000.000,50", field: "--amount") }
        do {
            _ = try VND(parsing: "5.000.000,50", field: "--amount")
        } catch let error as DomainError {
            #expect(error.message == "\"5.000.000,50\": đồng are whole: no decimal part")
            #expect(error.message(in: .vi) == "\"5.000.000,50\": tiền đồng là số nguyên, không có phần thập phân")
        }
    }

    /// Every Vietnamese text is NFC, uses no placeholder its English key lacks, and has diacritics
    /// (it is Vietnamese, not English copied).
    @Test func theCatalogIsWellFormed() {
        func placeholders(_ text: String) -> Set<String> {
            Set(text.matches(of: /\{[0-9]+\}/).map { String($0.output) })
        }
        for (key, text) in Catalog.vietnamese {
            #expect(text == text.precomposedStringWithCanonicalMapping, "not NFC: \(key)")
            #expect(placeholders(text).isSubset(of: placeholders(key)), "placeholders of \(key): \(text)")
            #expect(!text.isEmpty, "\(key)")
        }
    }

    /// The keys the CLI writes for people: each has a Vietnamese entry. Sentences are found in the
    /// sources (`Message("…"`, `.label("…")`, `.term("…")`); headers, labels and the ledger's
    /// words of the commands people read are listed here.
    @Test func everyKeyTheCommandLineUsesHasAVietnameseEntry() throws {
        var keys = Set(Self.listedKeys)
        keys.formUnion(ApplicationStatus.allCases.map(\.rawValue))
        keys.formUnion(PaymentMethod.allCases.map(\.rawValue))
        keys.formUnion(BeneficiaryKind.allCases.map(\.rawValue))
        keys.formUnion(ArrearsBucket.allCases.map(\.rawValue))
        keys.formUnion(["active", "settled", "written off", "not disbursed"])
        keys.formUnion(["applications", "beneficiaries", "payments", "users"].map { "no \($0) match" })
        keys.formUnion(["rejected", "withdrawn", "closed"].map { $0 + " on {0}" })
        keys.formUnion(["submitted", "approved"].map { "application {0} is {1}; only a\($0 == "approved" ? "n" : "") \($0) application can be {2}" })
        keys.formUnion(["disbursed", "last repaid"].map { "{0} is before {1}, when loan {2} was \($0)" })
        keys.formUnion(["{0} row", "{0} rows", "{0} append", "{0} appends", "{0} is not a date in the form YYYY-MM-DD"])
        keys.formUnion(["added", "removed"].map { "\($0) {0} \($0 == "added" ? "to" : "from") budget {1} ({2}); allocated {3}, available {4}" })
        let sources = try Self.sourceKeys()
        #expect(sources.count > 40, "the scan found \(sources.count) keys")
        keys.formUnion(sources)
        let missing = keys.filter { Catalog.vietnamese[$0] == nil }.sorted()
        #expect(missing.isEmpty, "no Vietnamese for: \(missing)")
    }

    /// String literals given to `Message(`, `.label(` and `.term(` in the library, the reports and the CLI.
    static func sourceKeys() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var keys: Set<String> = []
        for folder in ["Sources/Ledger", "Sources/LedgerCLI", "Sources/Projections"] {
            let base = root.appendingPathComponent(folder)
            guard let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let file as URL in files where file.pathExtension == "swift" && file.lastPathComponent != "Catalog.swift" {
                let text = try String(contentsOf: file, encoding: .utf8)
                // A key split over lines with `+` is joined first.
                let joined = text.replacing(/"\s*\n\s*\+\s*"/, with: "")
                for match in joined.matches(of: /(?:Message\(|label\(|term\()"((?:[^"\\]|\\.)*)"/) {
                    let key = String(match.output.1)
                    if !key.contains("\\(") { keys.insert(key) }
                }
            }
        }
        return keys
    }

    /// Headers, key/value labels and words of `report budget|loans|beneficiary`, the find commands,
    /// `payment record|import`, `status`, `audit verify`, `program list`.
    static let listedKeys = [
        // report budget
        "programme", "year", "district", "allocated", "reserved", "paid", "lent", "released", "available", "old unit", "successor",
        "total", "all programmes", "all districts", "all units", "also from", "successors total",
        // report loans
        "loan", "beneficiary", "status", "principal", "outstanding", "interest", "overdue principal", "days past due", "arrears",
        // report beneficiary
        "position", "recorded at", "date", "event", "application", "amount", "payable", "detail", "approved", "paid (net of reversals)",
        "reversed", "still payable", "loan principal", "principal repaid", "interest repaid", "outstanding principal",
        "registered", "amended", "payment reversed", "loan disbursed", "loan repayment", "loan settled", "loan written off",
        // application list|show, beneficiary show|search, payment list, user list
        "program", "unit", "requested", "submitted by", "submitted on", "budget available", "you may decide", "step", "business date",
        "reference", "recorded by", "fiscal year", "paid (net)", "submitted", "decided", "decision", "rejected because", "disbursed on",
        "term (months)", "matures on", "kind", "name", "categories", "bank account", "national id", "registered", "amendments",
        "payment", "method", "voucher", "paid on", "reversed on", "reversal reason", "user", "role", "may log in", "valid until",
        "yes", "no", "on record", "reversal", "loan-opened", "loan-repaid", "loan-settled", "loan-written-off",
        // payment record, status, payment import
        "recorded", "earlier", "positions", "command id", "head position", "head hash", "events", "streams", "last recorded at",
        "rows read", "already recorded", "duplicates in file", "invalid", "not recorded", "line", "column", "problem",
        // audit verify
        "result", "first bad position", "events checked", "digest", "domain rules", "rule", "stream", "what",
        // events list, audit history
        "version", "type", "actor", "command", "payload",
        // program list
        "code", "cap per beneficiary", "valid", "once only", "grant",
        // prefixes
        "error", "warning",
    ]
}
