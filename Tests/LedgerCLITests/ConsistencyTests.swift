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
}
