import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Issue 12, "Consistency": the same conventions on every command — CSV for Excel, exit codes,
/// permission before rules, labels the user typed, filters that must name something, advice the
/// reader may follow, one digit grouping.
@Suite(.enabled(if: TestDatabase.enabled))
struct ConsistencyTests {
    static func run(_ db: FreshDatabase, _ arguments: [String], user: String? = nil) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: childEnvironment(db, user: user))
    }

    /// `--format csv --bom` (or `--excel`): a byte-order mark and CRLF; without it, as before;
    /// with another format, a usage error naming the flag.
    @Test func csvForExcelHasAByteOrderMarkAndCRLF() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            #expect(try await Self.run(db, ["projections", "run"]).status == 0)
            let plain = try await Self.run(db, ["beneficiary", "search", "--format", "csv"])
            #expect(plain.status == 0, "\(plain)")
            #expect(!plain.stdout.hasPrefix("\u{FEFF}") && !plain.stdout.contains("\r"), "\(plain)")
            #expect(plain.stdout.contains("Nguyễn Văn A"), "\(plain)")
            for flag in ["--bom", "--excel"] {
                for command in [["beneficiary", "search"], ["application", "list"], ["report", "budget"], ["beneficiary", "show", "HH-1"]] {
                    let excel = try await Self.run(db, command + ["--format", "csv", flag])
                    #expect(excel.status == 0, "\(excel)")
                    #expect(excel.stdout.unicodeScalars.first == "\u{FEFF}", "\(excel)")
                    let lines = excel.stdout.dropFirst().split(separator: "\r\n", omittingEmptySubsequences: false)
                    #expect(lines.count >= 2 && lines.last == "", "\(excel)")
                    #expect(!lines.contains { $0.contains("\n") }, "every line ends CRLF: \(excel)")
                }
            }
            let excel = try await Self.run(db, ["beneficiary", "search", "--format", "csv", "--bom"])
            #expect(String(excel.stdout.dropFirst()).replacingOccurrences(of: "\r\n", with: "\n") == plain.stdout, "\(excel)")
            let wrong = try await Self.run(db, ["application", "list", "--bom"])
            #expect(wrong.status == 64, "\(wrong)")
            #expect(wrong.stderr.contains("--bom") && wrong.stderr.contains("--format table"), "\(wrong)")
            #expect(wrong.stdout.isEmpty, "\(wrong)")
        }
    }

    /// Exit 64 only for what is malformed; a rule refusing a well-formed command is 1.
    @Test func aRuleRefusingIsExitOneAndMalformedInputIs64() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let approver = try await TestDatabase.loginRole("consistency_approver", memberOf: ["ledger_approver"])
            let early = try await Self.run(db, ["application", "approve", "--id", "A-1", "--amount", "5000000", "--decision", "QĐ 1",
                                                "--decided-on", "2024-02-01"], user: approver)
            #expect(early.status == 1 && early.stderr.contains("is before 2024-03-01"), "\(early)")
            for step in [
                ["beneficiary", "register", "--id", "HH-2", "--kind", "household", "--name", "Lê Thị B", "--district", "ninh kieu", "--category", "poor"],
                ["application", "submit", "--id", "A-2", "--beneficiary", "HH-2", "--program", "NQ12-HOUSING", "--amount", "5000000",
                 "--submitted-on", "2024-03-01"],
            ] {
                let run = try await Self.run(db, step)
                #expect(run.status == 0, "\(run)")
            }
            let approve = try await Self.run(db, ["application", "approve", "--id", "A-2", "--amount", "5000000", "--decision", "QĐ 2",
                                                  "--decided-on", "2024-03-10"], user: approver)
            #expect(approve.status == 0, "\(approve)")
            let noAccount = try await Self.run(db, ["payment", "record", "--application", "A-2", "--payment-id", "P-9", "--amount", "1000000",
                                                    "--paid-on", "2024-03-15", "--method", "bank", "--voucher", "V-9"])
            #expect(noAccount.status == 1 && noAccount.stderr.contains("no bank account on record"), "\(noAccount)")
            let malformed = try await Self.run(db, ["payment", "record", "--application", "A-2", "--payment-id", "P-9", "--amount", "12abc",
                                                    "--paid-on", "2024-03-15", "--method", "cash", "--voucher", "V-9"])
            #expect(malformed.status == 64 && malformed.stderr.contains("--amount"), "\(malformed)")
        }
    }

    /// An auditor recording a payment that would also overpay is told first that they may not.
    @Test func permissionIsToldBeforeTheRules() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let approver = try await TestDatabase.loginRole("consistency_approver", memberOf: ["ledger_approver"])
            let approve = try await Self.run(db, ["application", "approve", "--id", "A-1", "--amount", "5000000", "--decision", "QĐ 1",
                                                  "--decided-on", "2024-03-10"], user: approver)
            #expect(approve.status == 0, "\(approve)")
            let auditor = try await TestDatabase.loginRole("consistency_auditor", memberOf: ["ledger_auditor"])
            let pay = ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "9000000", "--paid-on", "2024-03-15",
                       "--method", "cash", "--voucher", "V-1"]
            let refused = try await Self.run(db, pay, user: auditor)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("may not append PaymentRecorded"), "\(refused)")
            #expect(!refused.stderr.contains("exceed"), "\(refused)")
            let officer = try await Self.run(db, pay)
            #expect(officer.status == 1 && officer.stderr.contains("would exceed"), "\(officer)")
        }
    }

    /// Errors name the option typed (`--amount`, `--decided-on`), not the library's field names.
    @Test func errorLabelsNameTheOptionTyped() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let approver = try await TestDatabase.loginRole("consistency_approver", memberOf: ["ledger_approver"])
            let early = try await Self.run(db, ["application", "approve", "--id", "A-1", "--amount", "5000000", "--decision", "QĐ 1",
                                                "--decided-on", "2024-02-01"], user: approver)
            #expect(early.stderr.contains("--decided-on: 2024-02-01 is before") && !early.stderr.contains("decided_on"), "\(early)")
            let approve = try await Self.run(db, ["application", "approve", "--id", "A-1", "--amount", "5000000", "--decision", "QĐ 1",
                                                  "--decided-on", "2024-03-10"], user: approver)
            #expect(approve.status == 0, "\(approve)")
            let zero = try await Self.run(db, ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "0",
                                               "--paid-on", "2024-03-15", "--method", "cash", "--voucher", "V-1"])
            #expect(zero.status == 64 && zero.stderr.contains("--amount:") && !zero.stderr.contains("amount_vnd"), "\(zero)")
            let pay = try await Self.run(db, ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "1000000",
                                              "--paid-on", "2024-03-15", "--method", "cash", "--voucher", "V-1"])
            #expect(pay.status == 0, "\(pay)")
            let reverse = try await Self.run(db, ["payment", "reverse", "--payment-id", "P-1", "--reason", "x", "--reversed-on", "2024-03-14"])
            #expect(reverse.status == 1 && reverse.stderr.contains("--reversed-on: 2024-03-14 is before"), "\(reverse)")
        }
    }
}
