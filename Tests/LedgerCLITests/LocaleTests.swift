import Foundation
import Postgres
import TestSupport
import Testing

/// `--locale vi|en` and `LEDGER_LOCALE` (issue 12): Vietnamese labels, messages, amounts
/// `5.000.000 ₫` and dates `dd/mm/yyyy` for people; English by default; JSON and CSV never change.
@Suite(.enabled(if: TestDatabase.enabled))
struct LocaleTests {
    static func run(_ arguments: [String], _ db: FreshDatabase, user: String? = nil, locale: String? = nil) async throws -> LedgerRun {
        var environment = childEnvironment(db, user: user)
        if let locale { environment["LEDGER_LOCALE"] = locale }
        return try await LedgerBinary.run(arguments, environment: environment)
    }

    /// The prepared ledger (`DisbursementCommandTests.prepared`) with A-1 approved on 10/03/2024
    /// and payment P-1 of 4.000.000 ₫ recorded on 15/03/2024, in Vietnamese.
    static func approvedAndPaid(_ db: FreshDatabase) async throws -> LedgerRun {
        try await DisbursementCommandTests.prepared(db)
        let approver = try await TestDatabase.loginRole("cli", memberOf: ["ledger_approver"])
        let approve = try await run(
            ["application", "approve", "--id", "A-1", "--amount", "10.000.000", "--decision", "QĐ 45", "--decided-on", "10/03/2024"],
            db, user: approver
        )
        #expect(approve.status == 0, "\(approve)")
        let paid = try await run(
            ["payment", "record", "--locale", "vi", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000",
             "--paid-on", "15/03/2024", "--method", "bank", "--voucher", "PC-001"], db
        )
        #expect(paid.status == 0, "\(paid)")
        let projections = try await run(["projections", "run"], db)
        #expect(projections.status == 0, "\(projections)")
        return paid
    }

    @Test func vietnameseReportsListsAndConfirmations() async throws {
        try await TestDatabase.withFresh { db in
            let paid = try await Self.approvedAndPaid(db)
            #expect(paid.stdout.contains("đã ghi nhận: khoản chi P-1 số tiền 4.000.000 ₫ cho hồ sơ A-1 (chuyển khoản, chứng từ PC-001)"), "\(paid)")
            #expect(paid.stdout.contains("còn lại 6.000.000 ₫ trên 10.000.000 ₫"), "\(paid)")
            #expect(paid.stdout.contains("mã lệnh:"), "\(paid)")

            // Before the subcommand too; headers, totals and amounts in Vietnamese; dates dd/mm/yyyy.
            let budget = try await Self.run(["--locale", "vi", "report", "budget", "--as-of", "2024-12-31"], db)
            #expect(budget.status == 0, "\(budget)")
            for text in ["chương trình", "năm", "quận/huyện", "được phân bổ", "đã giữ", "đã chi", "còn lại", "tổng",
                         "tất cả chương trình", "100.000.000 ₫", "10.000.000 ₫", "4.000.000 ₫", "90.000.000 ₫"] {
                #expect(budget.stdout.contains(text), "\(text): \(budget)")
            }
            #expect(!budget.stdout.contains("allocated") && !budget.stdout.contains("100,000,000"), "\(budget)")
            #expect(budget.stderr.contains("ngày nghiệp vụ đến 31/12/2024"), "\(budget)")
            // Amounts right-aligned in the Vietnamese form too.
            let lines = budget.stdout.split(separator: "\n").map(String.init)
            let header = try #require(lines.first)
            let total = try #require(lines.first { $0.hasPrefix("tất cả chương trình") })
            #expect(total.hasSuffix("90.000.000 ₫") && header.count <= total.count, "\(budget)")

            let payments = try await Self.run(["payment", "list", "--locale", "vi"], db)
            #expect(payments.status == 0, "\(payments)")
            for text in ["khoản chi", "số tiền", "ngày chi", "hình thức", "chứng từ", "4.000.000 ₫", "15/03/2024", "chuyển khoản"] {
                #expect(payments.stdout.contains(text), "\(text): \(payments)")
            }
            let show = try await Self.run(["application", "show", "A-1", "--locale", "vi"], db)
            #expect(show.status == 0, "\(show)")
            for text in ["hồ sơ:", "trạng thái:", "đã phê duyệt", "đề nghị:", "10.000.000 ₫", "còn phải chi:", "6.000.000 ₫", "ngày nghiệp vụ", "10/03/2024"] {
                #expect(show.stdout.contains(text), "\(text): \(show)")
            }
            // Recording times: the date first, whole seconds, the offset.
            #expect(show.stdout.contains(try #require(/\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2} \+07:00/.firstMatch(in: show.stdout).map { String($0.output) })), "\(show)")
            #expect(show.stdout.contains("01/03/2024 bởi "), "\(show)")
            let beneficiary = try await Self.run(["beneficiary", "show", "HH-1", "--locale", "vi"], db)
            #expect(beneficiary.stdout.contains("loại:") && beneficiary.stdout.contains("hộ gia đình")
                && beneficiary.stdout.contains("01/03/2024"), "\(beneficiary)")
            let statement = try await Self.run(["report", "beneficiary", "HH-1", "--locale", "vi"], db)
            for text in ["đối tượng thụ hưởng:", "còn phải chi:", "6.000.000 ₫", "sự kiện", "khoản chi", "P-1, chuyển khoản, PC-001",
                         "đề nghị, năm ngân sách 2024", "15/03/2024"] {
                #expect(statement.stdout.contains(text), "\(text): \(statement)")
            }
            let loans = try await Self.run(["report", "loans", "--as-of", "31/12/2024", "--locale", "vi"], db)
            #expect(loans.status == 0 && loans.stdout.contains("các khoản vay tính đến 31/12/2024")
                && loans.stdout.contains("dư nợ") && loans.stdout.contains("tổng (0 khoản vay)"), "\(loans)")
            let verify = try await Self.run(["audit", "verify", "--locale", "vi"], db)
            #expect(verify.status == 0 && verify.stdout.contains("kết quả:") && verify.stdout.contains("nguyên vẹn")
                && verify.stdout.contains("quy tắc nghiệp vụ:"), "\(verify)")

            // English stays the default, with the same figures as before.
            let english = try await Self.run(["report", "budget", "--as-of", "2024-12-31"], db)
            #expect(english.stdout.contains("allocated") && english.stdout.contains("100,000,000")
                && !english.stdout.contains("₫") && english.stderr.contains("business dates up to 2024-12-31"), "\(english)")
            let englishPayments = try await Self.run(["payment", "list"], db)
            #expect(englishPayments.stdout.contains("paid on") && englishPayments.stdout.contains("2024-03-15")
                && englishPayments.stdout.contains("4,000,000"), "\(englishPayments)")
        }
    }

    @Test func theEnvironmentChoosesWhenTheFlagIsAbsentAndTheFlagWins() async throws {
        try await TestDatabase.withFresh { db in
            let migrated = try await Self.run(["migrate"], db)
            #expect(migrated.status == 0, "\(migrated)")
            let vietnamese = try await Self.run(["status"], db, locale: "vi_VN.UTF-8")
            #expect(vietnamese.status == 0 && vietnamese.stdout.contains("vị trí mới nhất:") && vietnamese.stdout.contains("số sự kiện:"), "\(vietnamese)")
            let flagWins = try await Self.run(["status", "--locale", "en"], db, locale: "vi")
            #expect(flagWins.status == 0 && flagWins.stdout.contains("head position:"), "\(flagWins)")
            let flagBefore = try await Self.run(["--locale", "en_US", "status"], db, locale: "vi")
            #expect(flagBefore.status == 0 && flagBefore.stdout.contains("head position:"), "\(flagBefore)")
            let english = try await Self.run(["status"], db)
            #expect(english.stdout.contains("head position:") && english.stdout.contains("events:"), "\(english)")
        }
    }

    @Test func anUnknownLocaleIsRefusedNamingWhereItCameFrom() async throws {
        try await TestDatabase.withFresh { db in
            let flag = try await Self.run(["status", "--locale", "fr"], db)
            #expect(flag.status == 64, "\(flag)")
            #expect(flag.stderr.contains("--locale") && flag.stderr.contains("\"fr\"") && flag.stderr.contains("vi (Vietnamese) or en (English)"), "\(flag)")
            #expect(flag.stdout.isEmpty, "\(flag)")
            let before = try await Self.run(["--locale", "de_DE", "status"], db)
            #expect(before.status == 64 && before.stderr.contains("--locale"), "\(before)")
            let environment = try await Self.run(["status"], db, locale: "klingon")
            #expect(environment.status == 64, "\(environment)")
            #expect(environment.stderr.contains("LEDGER_LOCALE") && environment.stderr.contains("\"klingon\""), "\(environment)")
        }
    }

    @Test func refusalsAndErrorsInVietnamese() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await Self.approvedAndPaid(db)
            let head = try await DisbursementCommandTests.head(db)
            let pay = ["payment", "record", "--locale", "vi", "--application", "A-1", "--payment-id", "P-2", "--method", "cash", "--voucher", "PC-002"]

            // A rule refusing: exit 1, the flag named, the dates dd/mm/yyyy.
            let early = try await Self.run(pay + ["--amount", "1000000", "--paid-on", "01/03/2024"], db)
            #expect(early.status == 1, "\(early)")
            #expect(early.stderr.contains("ledger: lỗi: --paid-on: khoản chi ngày 01/03/2024 trước khi hồ sơ A-1 được phê duyệt ngày 10/03/2024"), "\(early)")
            let over = try await Self.run(pay + ["--amount", "7.000.000", "--paid-on", "20/03/2024"], db)
            #expect(over.status == 1 && over.stderr.contains("--amount: chi 7.000.000 ₫ sẽ vượt quá 10.000.000 ₫ đã phê duyệt cho hồ sơ A-1"), "\(over)")
            // Not found, and malformed input naming the flag (exit 64).
            let missing = try await Self.run(["payment", "reverse", "--payment-id", "P-404", "--reason", "trả lại", "--locale", "vi"], db)
            #expect(missing.status == 1 && missing.stderr.contains("ledger: lỗi: --payment-id: không có khoản chi P-404"), "\(missing)")
            let malformed = try await Self.run(pay + ["--amount", "12abc"], db)
            #expect(malformed.status == 64 && malformed.stderr.contains("--amount: \"12abc\" không phải là số đồng nguyên"), "\(malformed)")
            let decimal = try await Self.run(pay + ["--amount", "1.000.000,50"], db)
            #expect(decimal.status == 64 && decimal.stderr.contains("không có phần thập phân"), "\(decimal)")
            let unit = try await Self.run(["application", "list", "--unit", "cai rangg", "--locale", "vi"], db)
            #expect(unit.status == 64 && unit.stderr.contains("ledger: lỗi: --unit: \"cai rangg\" không phải là quận/huyện của Cần Thơ (một trong: Ninh Kiều,"), "\(unit)")
            // Not allowed: an auditor is told in Vietnamese.
            let auditor = try await TestDatabase.loginRole("cli", memberOf: ["ledger_auditor"])
            let denied = try await Self.run(pay + ["--amount", "1000000", "--paid-on", "20/03/2024"], db, user: auditor)
            #expect(denied.status == 1 && denied.stderr.contains("ledger: lỗi: không được phép: vai trò"), "\(denied)")
            // A payment list's bad row: the problem and the verdict in Vietnamese, the column as in the file.
            let imported = try await LedgerBinary.run(
                ["payment", "import", "-", "--locale", "vi"], environment: childEnvironment(db),
                standardInput: "payment_id,application_id,amount_vnd,paid_on,method,voucher\nP-3,A-1,1000000,17/3/24,cash,PC-3\n"
            )
            #expect(imported.status == 1, "\(imported)")
            #expect(imported.stdout.contains("paid_on") && imported.stdout.contains("\"17/3/24\": năm hai chữ số không rõ nghĩa: hãy viết 2024"), "\(imported)")
            #expect(imported.stdout.contains("số dòng đã đọc:") && imported.stdout.contains("không hợp lệ:"), "\(imported)")
            #expect(imported.stderr.contains("ledger: lỗi: dòng không hợp lệ: 1 dòng trên 1 (liệt kê trong báo cáo); không có gì được ghi nhận."), "\(imported)")
            #expect(try await DisbursementCommandTests.head(db) == head, "nothing written")

            // The same refusal in English by default.
            let english = try await Self.run(Array(pay.filter { $0 != "--locale" && $0 != "vi" }) + ["--amount", "1000000", "--paid-on", "2024-03-01"], db)
            #expect(english.stderr.contains("ledger: error: --paid-on: a payment dated 2024-03-01 is before the approval of application A-1 on 2024-03-10"), "\(english)")
        }
    }

    @Test func machineFormatsNeverChangeWithTheLocale() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await Self.approvedAndPaid(db)
            let commands: [[String]] = [
                ["report", "budget", "--as-of", "2024-12-31", "--format", "json"],
                ["report", "budget", "--as-of", "2024-12-31", "--format", "csv"],
                ["report", "beneficiary", "HH-1", "--format", "csv"],
                ["report", "loans", "--as-of", "2024-12-31", "--format", "json"],
                ["payment", "list", "--format", "csv"],
                ["payment", "list", "--format", "json"],
                ["application", "list", "--format", "csv"],
                ["application", "show", "A-1", "--format", "json"],
                ["beneficiary", "show", "HH-1", "--format", "csv"],
                ["status", "--format", "json"],
            ]
            for command in commands {
                let english = try await Self.run(command, db)
                let vietnamese = try await Self.run(command + ["--locale", "vi"], db)
                let fromEnvironment = try await Self.run(command, db, locale: "vi")
                #expect(english.status == 0 && vietnamese.status == 0, "\(english)\n\(vietnamese)")
                #expect(Data(english.stdout.utf8) == Data(vietnamese.stdout.utf8), "\(command): \(english)\n\(vietnamese)")
                #expect(Data(english.stdout.utf8) == Data(fromEnvironment.stdout.utf8), "\(command)")
            }
            // A write's JSON: the same summary, in English, under vi.
            let recorded = try await Self.run(
                ["payment", "record", "--locale", "vi", "--format", "json", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000",
                 "--paid-on", "15/03/2024", "--method", "bank", "--voucher", "PC-001"], db
            )
            #expect(recorded.status == 0 && recorded.stdout.contains("\"summary\" : \"payment P-1 of 4,000,000 ₫ recorded on application A-1 (bank, voucher PC-001)"), "\(recorded)")
        }
    }
}
