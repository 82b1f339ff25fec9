import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// `ledger beneficiary amend` and categories as data, as an officer types them.
@Suite(.enabled(if: TestDatabase.enabled))
struct AmendmentTests {
    /// Migrated, sample catalog loaded, a housing budget, and HH-1: a near-poor household without
    /// a bank account (so neither eligible for housing nor payable by bank yet).
    static func prepared(_ db: FreshDatabase) async throws {
        try await withScratchFolder { folder in
            let catalog = folder.appendingPathComponent("programs.json")
            let sample = try await LedgerBinary.run(["program", "sample"], environment: childEnvironment(db))
            try Data(sample.stdout.utf8).write(to: catalog)
            for arguments in [
                ["migrate"],
                ["program", "load", catalog.path],
                ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Ninh Kiều", "--amount", "100.000.000",
                 "--reference", "QĐ 1"],
                ["beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "Nguyen Van A", "--district", "ninh kieu",
                 "--category", "near-poor", "--registered-on", "2024-01-15"],
            ] {
                let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db))
                #expect(run.status == 0, "\(run)")
            }
        }
    }

    static func run(_ arguments: [String], _ db: FreshDatabase, user: String? = nil) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: childEnvironment(db, user: user))
    }

    static func head(_ db: FreshDatabase) async throws -> Int64 {
        try await db.connect().queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
    }

    @Test func anAmendmentChangesWhatALaterApplicationAndPaymentMayDo() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let submit = ["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING",
                          "--amount", "10000000", "--submitted-on", "2024-03-01"]
            let notYet = try await Self.run(submit, db)
            #expect(notYet.status == 1 && notYet.stderr.contains("requires one of the categories poor; beneficiary HH-1 has: near-poor"), "\(notYet)")

            let poor = try await Self.run(["beneficiary", "amend", "--id", "HH-1", "--reason", "hộ nghèo theo QĐ 12/2024",
                                           "--add-category", "poor", "--amended-on", "2024-02-20"], db)
            #expect(poor.status == 0, "\(poor)")
            #expect(poor.stdout.contains("amended beneficiary HH-1 on 2024-02-20: categories +poor (reason: hộ nghèo theo QĐ 12/2024)"), "\(poor)")
            let submitted = try await Self.run(submit, db)
            #expect(submitted.status == 0, "\(submitted)")
            let approver = try await TestDatabase.loginRole("amend", memberOf: ["ledger_approver"])
            let approve = try await Self.run(["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 45",
                                              "--decided-on", "2024-03-10"], db, user: approver)
            #expect(approve.status == 0, "\(approve)")

            let pay = ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000", "--paid-on", "2024-03-15",
                       "--method", "bank", "--voucher", "UNC 1"]
            let noAccount = try await Self.run(pay, db)
            #expect(noAccount.status != 0 && noAccount.stderr.contains("has no bank account on record"), "\(noAccount)")
            #expect(noAccount.stderr.contains("ledger beneficiary amend --id HH-1 --bank-account"), "\(noAccount)")

            let account = try await Self.run(["beneficiary", "amend", "--id", "HH-1", "--reason", "mở tài khoản Agribank",
                                              "--bank-account", "Agribank 7300 1234", "--amended-on", "2024-03-12"], db)
            #expect(account.status == 0, "\(account)")
            let paid = try await Self.run(pay, db)
            #expect(paid.status == 0, "\(paid)")
            let payment = try await EventStore(connection: try await db.connect()).readStream("application-A-1").last
            #expect(payment?.type == "PaymentRecorded" && payment?.payloadJSON.contains("Agribank 7300 1234") == true)

            // The statement and the history show each amendment with its reason.
            let statement = try await Self.run(["report", "beneficiary", "HH-1"], db)
            #expect(statement.status == 0, "\(statement)")
            #expect(statement.stdout.contains("categories +poor; reason: hộ nghèo theo QĐ 12/2024"), "\(statement)")
            #expect(statement.stdout.contains("bank account Agribank 7300 1234; reason: mở tài khoản Agribank"), "\(statement)")
            let history = try await Self.run(["audit", "history", "--beneficiary", "HH-1"], db)
            #expect(history.status == 0, "\(history)")
            #expect(history.stdout.components(separatedBy: "BeneficiaryAmended").count == 3, "\(history)")
            #expect(history.stdout.contains("hộ nghèo theo QĐ 12/2024") && history.stdout.contains("2024-02-20 (amended_on)"), "\(history)")
            let verify = try await Self.run(["audit", "verify"], db)
            #expect(verify.status == 0, "\(verify)")

            // Removing the account again: bank payments are refused again.
            let cleared = try await Self.run(["beneficiary", "amend", "--id", "HH-1", "--reason", "tài khoản bị đóng", "--clear-bank-account"], db)
            #expect(cleared.status == 0 && cleared.stderr.contains("--amended-on not given:") && cleared.stderr.contains("(today)"), "\(cleared)")
            var second = pay
            second[5] = "P-2"
            let refused = try await Self.run(second, db)
            #expect(refused.status != 0 && refused.stderr.contains("has no bank account on record"), "\(refused)")
        }
    }

    @Test func aRetriedAmendmentIsRecordedOnce() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let amend = ["beneficiary", "amend", "--id", "HH-1", "--reason", "sai tên", "--name", "Nguyễn Văn A", "--amended-on", "2024-02-01"]
            let first = try await Self.run(amend, db)
            #expect(first.status == 0 && first.stdout.contains("name Nguyen Van A → Nguyễn Văn A"), "\(first)")
            let head = try await Self.head(db)
            let again = try await Self.run(amend, db)
            #expect(again.status == 0 && again.stdout.contains("nothing new (already recorded)"), "\(again)")
            #expect(again.stdout.contains("name Nguyen Van A → Nguyễn Văn A"), "the line shown is the one recorded: \(again)")
            #expect(try await Self.head(db) == head)
        }
    }

    @Test(arguments: [
        (["--reason", "x"], "--id: nothing to change"),
        (["--reason", "x", "--name", "Nguyen Van A"], "--name: beneficiary HH-1 is already named Nguyen Van A"),
        (["--reason", "x", "--add-category", "Near poor"], "--add-category: beneficiary HH-1 already has category near-poor"),
        (["--reason", "x", "--add-category", "poorr"],
         "--add-category: \"poorr\" is not a category the ledger knows; known: ethnic-minority, near-poor, person-with-disability, policy-family, poor, rural-worker"),
        (["--reason", "x", "--remove-category", "poor"], "--remove-category: beneficiary HH-1 does not have category poor (has: near-poor)"),
        (["--reason", "x", "--bank-account", "VCB 1", "--clear-bank-account"], "--clear-bank-account: not with --bank-account"),
        (["--reason", "x", "--clear-bank-account"], "--clear-bank-account: beneficiary HH-1 has no bank account to clear"),
        (["--reason", "x", "--unit", "Ninh Kiều"], "--unit: beneficiary HH-1 already lives in"),
        (["--reason", "x", "--district", "Hà Nội"], "--unit"),
        (["--reason", "x", "--national-id", "123"], "--national-id"),
        (["--reason", "", "--name", "B"], "--reason"),
    ])
    func aBadAmendmentIsRefusedNamingTheOptionAndNothingIsWritten(options: [String], says: String) async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let before = try await Self.head(db)
            let run = try await Self.run(["beneficiary", "amend", "--id", "HH-1", "--amended-on", "2024-02-01"] + options, db)
            #expect(run.status != 0, "\(run)")
            #expect(run.stderr.contains(says), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(try await Self.head(db) == before)
        }
    }

    @Test func anUnknownBeneficiaryIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let run = try await Self.run(["beneficiary", "amend", "--id", "HH-404", "--reason", "x", "--name", "Y", "--amended-on", "2024-02-01"], db)
            #expect(run.status == 1 && run.stderr.contains("--id: there is no beneficiary HH-404"), "\(run)")
        }
    }

    @Test func categoriesAreTheCatalogs() async throws {
        try await TestDatabase.withFresh { db in
            // A ledger without a catalog knows no categories and accepts any (as before).
            #expect(try await Self.run(["migrate"], db).status == 0)
            let early = try await Self.run(["beneficiary", "register", "--id", "HH-0", "--kind", "household", "--name", "X", "--district", "Ô Môn",
                                            "--category", "anything"], db)
            #expect(early.status == 0, "\(early)")
            try await Self.prepared(db)
            let typo = try await Self.run(["beneficiary", "register", "--id", "HH-2", "--kind", "household", "--name", "Y", "--district", "Ô Môn",
                                           "--category", "poorr"], db)
            #expect(typo.status != 0, "\(typo)")
            #expect(typo.stderr.contains("--category: \"poorr\" is not a category the ledger knows; known: ethnic-minority, near-poor"), "\(typo)")
            // The catalog's programmes may list only the categories it declares.
            try await withScratchFolder { folder in
                let sample = try await Self.run(["program", "sample"], db).stdout
                let file = folder.appendingPathComponent("bad.json")
                try Data(sample.replacingOccurrences(of: #"{"name": "policy-family""#, with: #"{"name": "policy-familyy""#).utf8).write(to: file)
                let load = try await Self.run(["program", "load", file.path], db)
                #expect(load.status != 0 && load.stderr.contains("programs[2].eligible_categories: \"policy-family\" is not among the catalog's categories"),
                        "\(load)")
            }
        }
    }

    @Test func aNationalIDAmendmentKeepsOneBeneficiaryPerID() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let admin = try await TestDatabase.loginRole("amendkey", memberOf: ["ledger_admin"])
            let key = try await NationalIDKeyTests.setKey(db, Array("a-key-for-the-amendment-tests-0123456789".utf8), user: admin)
            #expect(key.status == 0, "\(key)")
            let register = try await Self.run(["beneficiary", "register", "--id", "HH-2", "--kind", "household", "--name", "Trần Văn B",
                                               "--district", "Cái Răng", "--category", "poor", "--national-id", "092080001234"], db)
            #expect(register.status == 0, "\(register)")
            let before = try await Self.head(db)
            let taken = try await Self.run(["beneficiary", "amend", "--id", "HH-1", "--reason", "CCCD", "--national-id", "092080001234",
                                            "--amended-on", "2024-02-01"], db)
            #expect(taken.status == 1 && taken.stderr.contains("beneficiary HH-2 is registered with this national id"), "\(taken)")
            #expect(!taken.stderr.contains("092080001234"), "the id itself is never echoed")
            #expect(try await Self.head(db) == before)
            // HH-2's id was mistyped: corrected, the old one is free for HH-1.
            let moved = try await Self.run(["beneficiary", "amend", "--id", "HH-2", "--reason", "sai số CCCD", "--national-id", "092080009999",
                                            "--amended-on", "2024-02-01"], db)
            #expect(moved.status == 0 && moved.stdout.contains("national id replaced"), "\(moved)")
            let freed = try await Self.run(["beneficiary", "amend", "--id", "HH-1", "--reason", "CCCD", "--national-id", "092080001234",
                                            "--amended-on", "2024-02-02"], db)
            #expect(freed.status == 0, "\(freed)")
            let events = try await EventStore(connection: try await db.connect()).readStream("beneficiary-HH-1")
            #expect(events.allSatisfy { !$0.payloadJSON.contains("092080001234") }, "only fingerprints are stored")
            #expect(try await Self.run(["audit", "verify"], db).status == 0)
        }
    }
}
