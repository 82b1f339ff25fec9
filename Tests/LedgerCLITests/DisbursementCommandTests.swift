import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// The disbursement commands as a finance officer types them: bad input gets one clear line
/// naming the problem, a non-zero exit, and nothing written.
@Suite(.enabled(if: TestDatabase.enabled))
struct DisbursementCommandTests {
    /// Migrated, sample programmes loaded, a budget, one poor household and one submitted application.
    static func prepared(_ db: FreshDatabase) async throws {
        let setup: [[String]] = [
            ["migrate"],
            ["program", "load", "SAMPLE"],
            ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Ninh Kiều", "--amount", "100.000.000", "--reference", "QĐ 1"],
            ["beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "Nguyễn Văn A", "--district", "ninh kieu",
             "--category", "poor", "--bank-account", "Agribank 123"],
            ["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "10000000",
             "--submitted-on", "2024-03-01"],
        ]
        try await withScratchFolder { folder in
            let catalog = folder.appendingPathComponent("programs.json")
            let sample = try await LedgerBinary.run(["program", "sample"], environment: childEnvironment(db))
            try Data(sample.stdout.utf8).write(to: catalog)
            for arguments in setup {
                let resolved = arguments.map { $0 == "SAMPLE" ? catalog.path : $0 }
                let run = try await LedgerBinary.run(resolved, environment: childEnvironment(db))
                #expect(run.status == 0, "\(run)")
            }
        }
    }

    static func head(_ db: FreshDatabase) async throws -> Int64 {
        try await db.connect().queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
    }

    @Test(arguments: [
        // Missing flags.
        (["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--amount", "5"], "--district"),
        (["payment", "record", "--application", "A-1", "--amount", "5", "--method", "bank", "--voucher", "V"], "--payment-id"),
        // Amounts.
        (["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Cái Răng", "--amount=-5", "--reference", "x"], "--amount"),
        (["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Cái Răng", "--amount", "năm triệu", "--reference", "x"], "--amount"),
        (["application", "submit", "--id", "A-2", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "1.5"], "--amount"),
        (["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "12abc", "--method", "bank", "--voucher", "V"], "--amount"),
        // Unknown things.
        (["budget", "allocate", "--program", "NO-SUCH", "--year", "2024", "--district", "Cái Răng", "--amount", "5", "--reference", "x"], "programme"),
        (["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Hà Nội", "--amount", "5", "--reference", "x"], "--district"),
        (["application", "submit", "--id", "A-2", "--beneficiary", "NOBODY", "--program", "NQ12-HOUSING", "--amount", "5"], "NOBODY"),
        (["payment", "record", "--application", "A-404", "--payment-id", "P-1", "--amount", "5", "--method", "bank", "--voucher", "V"], "A-404"),
        (["payment", "reverse", "--payment-id", "P-404", "--reason", "bank return"], "P-404"),
        (["loan", "repay", "--loan-id", "L-404", "--repayment-id", "R-1", "--amount", "5"], "L-404"),
        // Dates and choices.
        (["application", "submit", "--id", "A-2", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "5", "--submitted-on", "2024-13-01"], "--submitted-on"),
        (["application", "approve", "--id", "A-1", "--amount", "5", "--decision", "QĐ", "--decided-on", "01/03/24"], "--decided-on"),
        (["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "5", "--method", "cheque", "--voucher", "V"], "--method"),
        (["beneficiary", "register", "--id", "HH-2", "--kind", "family", "--name", "X", "--district", "Ô Môn"], "--kind"),
        (["beneficiary", "register", "--id", "HH 2", "--kind", "household", "--name", "X", "--district", "Ô Môn"], "--id"),
        (["beneficiary", "register", "--id", "HH-2", "--kind", "household", "--name", "X", "--district", "Ô Môn", "--national-id", "12345"], "--national-id"),
        // Rules.
        (["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "5", "--paid-on", "2024-03-05", "--method", "bank", "--voucher", "V"], "submitted"),
        (["application", "approve", "--id", "A-1", "--amount", "5000000", "--decision", "QĐ 2"], "four eyes"),
    ])
    func badInputIsRefusedClearlyAndNothingIsWritten(arguments: [String], mentions: String) async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let before = try await Self.head(db)
            let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db))
            #expect(run.status != 0, "\(run)")
            #expect(run.stderr.contains(mentions), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(try await Self.head(db) == before, "\(run)")
        }
    }

    @Test func anOfficersDayFromTheCommandLine() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let approver = try await TestDatabase.loginRole("cli", memberOf: ["ledger_approver"])
            let approve = try await LedgerBinary.run(
                ["application", "approve", "--id", "A-1", "--amount", "10.000.000", "--decision", "QĐ 45/QĐ-UBND", "--decided-on", "2024-03-10"],
                environment: childEnvironment(db, user: approver)
            )
            #expect(approve.status == 0, "\(approve)")
            #expect(approve.stdout.contains("approved for 10,000,000 ₫"), "\(approve)")
            let pay = try await LedgerBinary.run(
                ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000", "--paid-on", "2024-03-15",
                 "--method", "bank", "--voucher", "PC-001", "--format", "json"],
                environment: childEnvironment(db)
            )
            #expect(pay.status == 0, "\(pay)")
            let outcome = try JSONDecoder().decode(Outcome.self, from: Data(pay.stdout.utf8))
            #expect(outcome.eventsAppended == 1 && !outcome.alreadyRecorded)
            let again = try await LedgerBinary.run(
                ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000", "--paid-on", "2024-03-15",
                 "--method", "bank", "--voucher", "PC-001", "--format", "json"],
                environment: childEnvironment(db)
            )
            #expect(try JSONDecoder().decode(Outcome.self, from: Data(again.stdout.utf8)).alreadyRecorded, "\(again)")
            let over = try await LedgerBinary.run(
                ["payment", "record", "--application", "A-1", "--payment-id", "P-2", "--amount", "7000000", "--paid-on", "2024-03-16",
                 "--method", "cash", "--voucher", "PC-002"],
                environment: childEnvironment(db)
            )
            #expect(over.status == 1, "\(over)")
            #expect(over.stderr.contains("6,000,000 ₫ remaining"), "\(over)")
            let list = try await LedgerBinary.run(["program", "list", "--format", "json"], environment: childEnvironment(db))
            #expect(list.status == 0 && list.stdout.contains("NQ11-OVERSEAS-LOAN"), "\(list)")
        }
    }

    @Test func nationalIDsNeedAKeyOfFullStrengthAndAreNeverTwiceActive() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let register = ["beneficiary", "register", "--id", "HH-7", "--kind", "household", "--name", "Trần Văn B",
                            "--district", "Phong Điền", "--national-id", "092080001234"]
            let environment = childEnvironment(db)
            let before = try await Self.head(db)
            let keyless = try await LedgerBinary.run(register, environment: environment)
            #expect(keyless.status != 0 && keyless.stderr.contains("ledger national-id key set"), "\(keyless)")
            // The key is in the database (sql/0014): an admin sets it from a file of at least 32 bytes.
            let weak = try await NationalIDKeyTests.setKey(db, Array("short-key-1234567890".utf8), user: nil)
            #expect(weak.status != 0 && weak.stderr.contains("at least 32"), "\(weak)")
            #expect(try await Self.head(db) == before)

            let key = try await NationalIDKeyTests.setKey(db, Array("a-deployment-key-of-forty-characters-xyz".utf8), user: nil)
            #expect(key.status == 0, "\(key)")
            let first = try await LedgerBinary.run(register, environment: environment)
            #expect(first.status == 0, "\(first)")
            let events = try await EventStore(connection: try await db.connect()).readStream("beneficiary-HH-7")
            #expect(events.first.map { !$0.payloadJSON.contains("092080001234") } == true, "only the fingerprint is stored")
            var second = register
            second[3] = "HH-8"
            let duplicate = try await LedgerBinary.run(second, environment: environment)
            #expect(duplicate.status == 1 && duplicate.stderr.contains("national id"), "\(duplicate)")
            #expect(!duplicate.stderr.contains("092080001234"), "the id itself is never echoed in full")
        }
    }

    @Test func anApprovalRunTwiceIsRecordedOnce() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let approver = try await TestDatabase.loginRole("twice", memberOf: ["ledger_approver"])
            let approve = ["application", "approve", "--id", "A-1", "--amount", "8000000", "--decision", "QĐ 7", "--decided-on", "2024-03-10",
                           "--format", "json"]
            let first = try await LedgerBinary.run(approve, environment: childEnvironment(db, user: approver))
            #expect(first.status == 0, "\(first)")
            let head = try await Self.head(db)
            let second = try await LedgerBinary.run(approve, environment: childEnvironment(db, user: approver))
            #expect(second.status == 0, "\(second)")
            #expect(try JSONDecoder().decode(Outcome.self, from: Data(second.stdout.utf8)).alreadyRecorded, "\(second)")
            #expect(try await Self.head(db) == head)
        }
    }

    struct Outcome: Decodable {
        let eventsAppended: Int
        let alreadyRecorded: Bool
        enum CodingKeys: String, CodingKey { case eventsAppended = "events_appended", alreadyRecorded = "already_recorded" }
    }

    @Test func anAdminAddsPeopleWhoThenActAsThemselves() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let name = TestDatabase.uniqueName("lan")
            let add = try await LedgerBinary.run(["user", "add", name, "--role", "officer"], environment: childEnvironment(db))
            #expect(add.status == 0, "\(add)")
            let again = try await LedgerBinary.run(["user", "add", name, "--role", "officer"], environment: childEnvironment(db))
            #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again)")
            let bad = try await LedgerBinary.run(["user", "add", "Lan Anh", "--role", "officer"], environment: childEnvironment(db))
            #expect(bad.status != 0 && bad.stderr.contains("user name"), "\(bad)")
            let register = try await LedgerBinary.run(
                ["beneficiary", "register", "--id", "HH-9", "--kind", "household", "--name", "Lê Thị C", "--district", "Cờ Đỏ", "--category", "poor"],
                environment: childEnvironment(db, user: name)
            )
            #expect(register.status == 0, "\(register)")
            let events = try await EventStore(connection: try await db.connect()).readStream("beneficiary-HH-9")
            #expect(events.first?.actor == name)
            // An officer cannot add users.
            let sneaky = try await LedgerBinary.run(["user", "add", "\(name)_x", "--role", "admin"], environment: childEnvironment(db, user: name))
            #expect(sneaky.status == 1, "\(sneaky)")
        }
    }
}
