import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Input as Vietnamese officers and Excel write it (issue 12): dates `dd/mm/yyyy`, amounts with
/// their unit, negative amounts after a space, and names typed in decomposed Unicode — read the
/// same as the canonical forms, and what is ambiguous or impossible refused with the reason.
@Suite(.enabled(if: TestDatabase.enabled))
struct OfficerInputTests {
    static func run(_ arguments: [String], _ db: FreshDatabase, user: String? = nil) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: user.map { childEnvironment(db, user: $0) } ?? childEnvironment(db))
    }

    /// The payloads of a stream's events, as stored (compact: `"key":value`).
    static func payloads(_ stream: String, _ db: FreshDatabase) async throws -> [String] {
        try await EventStore(connection: try await db.connect()).readStream(StreamID(stream)).map {
            $0.payloadJSON.replacingOccurrences(of: "\": ", with: "\":").replacingOccurrences(of: ", \"", with: ",\"")
        }
    }

    static func expectRefused(
        _ run: LedgerRun, naming field: String, saying reason: String, headBefore: Int64, _ db: FreshDatabase,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(run.status == 64, "\(run)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(field) && run.stderr.contains(reason), "\(run)", sourceLocation: sourceLocation)
        #expect(run.stdout.isEmpty, "\(run)", sourceLocation: sourceLocation)
        #expect(try await DisbursementCommandTests.head(db) == headBefore, "nothing written: \(run)", sourceLocation: sourceLocation)
    }

    @Test func datesMayBeWrittenDayMonthYearInOptionsPaymentListsAndCatalogs() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let approver = try await TestDatabase.loginRole("cli", memberOf: ["ledger_approver"])
            let approve = try await Self.run(
                ["application", "approve", "--id", "A-1", "--amount", "10.000.000", "--decision", "QĐ 45", "--decided-on", "10/3/2024"],
                db, user: approver
            )
            #expect(approve.status == 0, "\(approve)")

            // A two-digit year and a day that is not in the calendar: refused naming the flag.
            let pay = ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000",
                       "--method", "bank", "--voucher", "PC-001"]
            var before = try await DisbursementCommandTests.head(db)
            try await Self.expectRefused(
                try await Self.run(pay + ["--paid-on", "15/03/24"], db), naming: "--paid-on",
                saying: "a two-digit year is ambiguous: write 2024", headBefore: before, db
            )
            try await Self.expectRefused(
                try await Self.run(pay + ["--paid-on", "31/02/2024"], db), naming: "--paid-on",
                saying: "31/02/2024 is not a day of the calendar", headBefore: before, db
            )
            let paid = try await Self.run(pay + ["--paid-on", "15/03/2024"], db)
            #expect(paid.status == 0, "\(paid)")

            // The payment list's paid_on column.
            try await withScratchFolder { folder in
                let file = folder.appendingPathComponent("payments.csv")
                try Data("""
                    payment_id,application_id,amount_vnd,paid_on,method,voucher
                    P-2,A-1,1.000.000 ₫,16/3/2024,cash,PC-002

                    """.utf8).write(to: file)
                let imported = try await Self.run(["payment", "import", file.path], db)
                #expect(imported.status == 0, "\(imported)")
                before = try await DisbursementCommandTests.head(db)
                try Data("""
                    payment_id,application_id,amount_vnd,paid_on,method,voucher
                    P-3,A-1,1000000,17/03/24,cash,PC-003

                    """.utf8).write(to: file)
                let twoDigits = try await Self.run(["payment", "import", file.path], db)
                #expect(twoDigits.status != 0 && (twoDigits.stdout + twoDigits.stderr).contains("paid_on"), "\(twoDigits)")
                #expect((twoDigits.stdout + twoDigits.stderr).contains("a two-digit year is ambiguous: write 2024"), "\(twoDigits)")
                #expect(try await DisbursementCommandTests.head(db) == before)
            }
            let application = try await Self.payloads("application-A-1", db)
            #expect(application.contains { $0.contains(#""decided_on":"2024-03-10""#) }, "\(application)")
            #expect(application.contains { $0.contains(#""paid_on":"2024-03-15""#) && $0.contains(#""amount_vnd":4000000"#) }, "\(application)")
            #expect(application.contains { $0.contains(#""paid_on":"2024-03-16""#) && $0.contains(#""amount_vnd":1000000"#) }, "\(application)")

            // A programme catalog with its dates written dd/mm/yyyy loads as the ISO one does.
            try await withScratchFolder { folder in
                let sample = try await Self.run(["program", "sample"], db)
                let iso = try NSRegularExpression(pattern: #""(\d{4})-(\d{2})-(\d{2})""#)
                let text = sample.stdout
                let rewritten = iso.stringByReplacingMatches(
                    in: text, range: NSRange(text.startIndex..., in: text), withTemplate: #""$3/$2/$1""#
                )
                #expect(rewritten != text && rewritten.contains("/20"), "the sample has dates to rewrite")
                let catalog = folder.appendingPathComponent("programs.json")
                try Data(rewritten.utf8).write(to: catalog)
                let load = try await Self.run(["program", "load", catalog.path], db)
                #expect(load.status == 0, "\(load)")
                #expect(!load.stderr.contains("/20"), "\(load)")
            }
        }
    }

    @Test func aPlaceFileMayWriteItsDatesDayMonthYear() async throws {
        try await TestDatabase.withFresh { db in
            #expect(try await Self.run(["migrate"], db).status == 0)
            try await withScratchFolder { folder in
                let sample = try await Self.run(["place", "sample"], db).stdout
                let rewritten = sample.replacingOccurrences(of: "\"2025-06-30\"", with: "\"30/06/2025\"")
                    .replacingOccurrences(of: "\"2025-07-01\"", with: "\"1/7/2025\"")
                #expect(rewritten.contains("1/7/2025") && rewritten.contains("30/06/2025"))
                let file = folder.appendingPathComponent("places.json")
                try Data(rewritten.utf8).write(to: file)
                let load = try await Self.run(["place", "load", file.path], db)
                #expect(load.status == 0, "\(load)")
            }
            let bounds = try await db.connect().queryOne(
                "SELECT max(valid_until)::text, max(valid_from)::text FROM ledger.units"
            ) { (try $0.string(0), try $0.string(1)) }
            #expect(bounds == ("2025-06-30", "2025-07-01"))
            // The list's --on takes the same forms.
            let wards = try await Self.run(["place", "list", "--on", "15/8/2025", "--format", "csv"], db)
            #expect(wards.status == 0 && wards.stdout.contains("phuong-cai-khe") && !wards.stdout.contains("\nninh-kieu,"), "\(wards)")
            let twoDigits = try await Self.run(["place", "list", "--on", "15/8/25"], db)
            #expect(twoDigits.status == 64 && twoDigits.stderr.contains("--on") && twoDigits.stderr.contains("write 2025"), "\(twoDigits)")
        }
    }

    @Test func amountsMayCarryTheirUnitButNoDecimalPart() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let allocate = ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--reference", "QĐ 2"]
            for (district, amount) in [("Cái Răng", "5.000.000đ"), ("Ô Môn", "5.000.000 ₫"), ("Bình Thủy", "5000000 VND"),
                                       ("Thốt Nốt", "5.000.000 đồng"), ("Phong Điền", "5,000,000vnđ")] {
                let run = try await Self.run(allocate + ["--district", district, "--amount", amount], db)
                #expect(run.status == 0, "\(amount): \(run)")
                #expect(run.stdout.contains("5,000,000 ₫"), "\(amount): \(run)")
            }
            let before = try await DisbursementCommandTests.head(db)
            try await Self.expectRefused(
                try await Self.run(allocate + ["--district", "Cờ Đỏ", "--amount", "5.000.000,50"], db), naming: "--amount",
                saying: "đồng are whole: no decimal part", headBefore: before, db
            )
            try await Self.expectRefused(
                try await Self.run(allocate + ["--district", "Cờ Đỏ", "--amount", "5000000.00 VND"], db), naming: "--amount",
                saying: "đồng are whole: no decimal part", headBefore: before, db
            )
        }
    }

    @Test func aNegativeAmountIsWrittenAsTheHelpShowsIt() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let help = try await Self.run(["budget", "adjust", "--help"], db)
            #expect(help.stdout.contains("--amount -50.000.000"), "\(help)")
            let target = ["budget", "adjust", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Ninh Kiều", "--reference", "QĐ 9"]
            let down = try await Self.run(target + ["--amount", "-50.000.000"], db)
            #expect(down.status == 0, "\(down)")
            let up = try await Self.run(target + ["--amount", "+2.000.000 ₫", "--reference", "QĐ 10"], db)
            #expect(up.status == 0, "\(up)")
            let stream = try await db.connect().query(
                "SELECT payload::text FROM ledger.events WHERE stream_id LIKE 'budget-NQ12-HOUSING-2024-%' ORDER BY position"
            ) { try $0.string(0) }
            #expect(stream.contains { $0.contains("-50000000") }, "\(stream)")
            #expect(stream.contains { $0.contains(": 2000000") }, "\(stream)")
            // The option still takes its value after "=", and an unsigned amount still refuses a sign.
            let equals = try await Self.run(target + ["--amount=-1.000.000", "--reference", "QĐ 11"], db)
            #expect(equals.status == 0, "\(equals)")
            let before = try await DisbursementCommandTests.head(db)
            let allocate = try await Self.run(
                ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Cái Răng", "--amount=-5", "--reference", "x"], db
            )
            #expect(allocate.status != 0 && allocate.stderr.contains("--amount"), "\(allocate)")
            #expect(try await DisbursementCommandTests.head(db) == before)
        }
    }

    @Test func aNameTypedDecomposedIsStoredComposedAndFound() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let decomposed = "Nguye\u{0302}\u{0303}n Thi\u{0323} Hoa\u{0300}"  // "Nguyễn Thị Hoà" as some keyboards send it
            let composed = "Nguy\u{1EC5}n Th\u{1ECB} Ho\u{00E0}"
            let register = ["beneficiary", "register", "--id", "HH-5", "--kind", "person", "--district", "Ninh Kiều",
                            "--bank-account", "Agribank 555"]
            let first = try await Self.run(register + ["--name", decomposed], db)
            #expect(first.status == 0, "\(first)")
            // Stored composed (NFC), byte for byte.
            let stored = try await db.connect().queryOne(
                "SELECT payload->>'name' FROM ledger.events WHERE stream_id = 'beneficiary-HH-5' AND event_type = 'BeneficiaryRegistered'"
            ) { try $0.string(0) }
            #expect(Array(stored.utf8) == Array(composed.utf8), "\(Array(stored.unicodeScalars))")
            // The same registration typed composed is the same registration, not "different details".
            let again = try await Self.run(register + ["--name", composed], db)
            #expect(again.status == 0 && again.stdout.contains("nothing new"), "\(again)")
            // A reason typed decomposed is stored composed too.
            let amend = try await Self.run(
                ["beneficiary", "amend", "--id", "HH-5", "--reason", "đô\u{0309}i tài khoa\u{0309}n", "--bank-account", "Agribank 556"], db
            )
            #expect(amend.status == 0, "\(amend)")
            let payloads = try await Self.payloads("beneficiary-HH-5", db)
            #expect(payloads.contains { $0.utf8.contains(Array("đổi tài khoản".precomposedStringWithCanonicalMapping.utf8)) }, "\(payloads)")

            #expect(try await Self.run(["projections", "run"], db).status == 0)
            let search = try await Self.run(["beneficiary", "search", "--name", composed, "--format", "json"], db)
            #expect(search.status == 0 && search.stdout.contains("HH-5"), "\(search)")
            #expect(Array(search.stdout.utf8).contains(subsequence: Array(composed.utf8)), "shown composed: \(search)")
        }
    }
}

extension Array where Element: Equatable {
    fileprivate func contains(subsequence: [Element]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return subsequence.isEmpty }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<($0 + subsequence.count)]) == subsequence }
    }
}

extension String.UTF8View {
    fileprivate func contains(_ bytes: [UInt8]) -> Bool { Array(self).contains(subsequence: bytes) }
}
