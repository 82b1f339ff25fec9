import Foundation
import Ledger
import TestSupport
import Synchronization
import Testing

/// How long a large import takes; runs only when `LEDGER_IMPORT_BENCH_ROWS` is set (build in
/// release for figures that mean something):
///
///     swift build -c release --build-tests
///     LEDGER_IMPORT_BENCH_ROWS=100000 scripts/with-postgres swift test -c release --skip-build --filter PaymentImportBenchmark
///
/// `LEDGER_IMPORT_BENCH_APPLICATIONS` (default: one per row) spreads the rows over fewer
/// applications. Prints the figures on stderr; asserts only the counts.
@Suite(.enabled(if: TestDatabase.enabled && BenchmarkSettings.rows != nil))
struct PaymentImportBenchmark {

    static func report(_ text: String) {
        FileHandle.standardError.write(Data(("import benchmark: " + text + "\n").utf8))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A file paying `rows` rows round-robin over `applications`, 1,000 ₫ each, ids `<prefix>-<n>`.
    static func file(rows: Int, applications: [String], prefix: String) -> [UInt8] {
        var text = PaymentCSV.header + "\n"
        text.reserveCapacity(rows * 80)
        for index in 0..<rows {
            let application = applications[index % applications.count]
            text += "\(prefix)-\(index),\(application),1000,2024-03-15,bank,\"PC \(prefix)/\(index), đợt 1\"\n"
        }
        return Array(text.utf8)
    }

    @Test func importsALargeFile() async throws {
        let rows = try #require(BenchmarkSettings.rows)
        let applicationCount = BenchmarkSettings.applications ?? rows
        try await TestDatabase.withFresh { db in
            let clock = ContinuousClock()
            let ledger = try await ImportLedger.make(db, budget: VND(Int64(applicationCount) * 40_000_000))
            var start = clock.now
            let applications = try await ledger.seedApprovedApplications(count: applicationCount)
            Self.report("seeded \(applicationCount) approved applications in \(String(format: "%.1f", Self.seconds(clock.now - start))) s")

            let bytes = Self.file(rows: rows, applications: applications, prefix: "P")
            start = clock.now
            let file = try PaymentImportFile(bytes: bytes)
            let parsed = clock.now
            let checkedAt = Mutex<ContinuousClock.Instant?>(nil)
            let result = try await PaymentImport(service: ledger.officer).run(file) { progress in
                if progress.phase == .recording { checkedAt.withLock { $0 = $0 ?? clock.now } }
            }
            let end = clock.now
            #expect((result.outcome, result.recorded, result.invalid) == (.recorded, rows, 0))
            let total = Self.seconds(end - start)
            let checked = checkedAt.withLock { $0 } ?? end
            Self.report(
                "\(rows) rows over \(applicationCount) applications (\(bytes.count) bytes): \(String(format: "%.2f", total)) s in all, "
                    + "\(Int(Double(rows) / total)) rows/s — read \(String(format: "%.2f", Self.seconds(parsed - start))) s, "
                    + "check \(String(format: "%.2f", Self.seconds(checked - parsed))) s, "
                    + "append \(String(format: "%.2f", Self.seconds(end - checked))) s in \(result.appends) appends"
            )

            // The same again through the `ledger` binary (new payment ids), as an officer runs it.
            if LedgerRun.binary != nil {
                let second = Self.file(rows: rows, applications: applications, prefix: "Q")
                start = clock.now
                let run = try await LedgerRun.run(["payment", "import"], file: second, database: db, user: ledger.officerRole)
                let elapsed = Self.seconds(clock.now - start)
                #expect(run.status == 0, "\(run)")
                Self.report("`ledger payment import` of another \(rows) rows: \(String(format: "%.2f", elapsed)) s, \(Int(Double(rows) / elapsed)) rows/s")
            }

            // Importing the first file again records nothing.
            start = clock.now
            let again = try await PaymentImport(service: ledger.officer).run(file)
            #expect((again.recorded, again.alreadyRecorded) == (0, rows))
            Self.report("re-import of the first file: \(String(format: "%.2f", Self.seconds(clock.now - start))) s, nothing appended")
        }
    }
}

/// The benchmark's size, from the environment.
enum BenchmarkSettings {
    static let rows = ProcessInfo.processInfo.environment["LEDGER_IMPORT_BENCH_ROWS"].flatMap { Int($0) }
    static let applications = ProcessInfo.processInfo.environment["LEDGER_IMPORT_BENCH_APPLICATIONS"].flatMap { Int($0) }
}
