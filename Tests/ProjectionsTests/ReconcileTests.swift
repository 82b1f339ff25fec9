import EventStore
import Foundation
import Ledger
import Postgres
@testable import Projections
import TestSupport
import Testing

/// `ledger audit reconcile` against a real PostgreSQL: the read models against a fold of the log.
@Suite(.enabled(if: TestDatabase.enabled))
struct ReconcileTests {
    /// The JSON `audit reconcile --format json` prints.
    static func decode(_ run: LedgerRun) throws -> Reconciliation {
        try JSONDecoder().decode(Reconciliation.self, from: Data(run.stdout.utf8))
    }

    @Test func aSeededYearReconcilesThenATamperedRowIsNamedAndARebuildFixesIt() async throws {
        try await TestDatabase.withFresh { database in
            _ = try await ReadSide.seedDemo(database)
            let admin = database.environment()
            let auditor = database.environment(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor"))
            let run = try await LedgerBinary.run(["projections", "run"], environment: admin)
            #expect(run.status == 0, "\(run)")

            let connection = try await database.connect()
            let head = try await ReadSide.head(connection)
            let clean = try await LedgerBinary.run(["audit", "reconcile", "--format", "json"], environment: auditor)
            #expect(clean.status == 0, "\(clean)")
            let result = try Self.decode(clean)
            #expect(result.isEqual)
            #expect(result.projections.map(\.projection) == ProjectionCatalog.names)
            let contents = try await ReadSide.contents(connection)
            for projection in result.projections {
                #expect(projection.checkpoint == head)
                #expect(projection.behindHead == 0)
                #expect(projection.differences.isEmpty)
                for table in projection.tables {
                    // Every row of every table was compared, and there are rows to compare.
                    #expect(table.tableRows == Int64(contents[table.table]?.count ?? -1))
                    #expect(table.foldRows == table.tableRows && table.rowsCompared == table.tableRows && table.tableRows > 0)
                }
            }
            let table = try await LedgerBinary.run(["audit", "reconcile"], environment: auditor)
            #expect(table.status == 0, "\(table)")
            #expect(table.stdout.contains("every read model equals the fold of the log"))

            // A superuser changes one figure, deletes one row and invents another.
            let (program, year, district, paid) = try await connection.queryOne("""
                UPDATE ledger_read.budget_usage SET paid_vnd = paid_vnd + 1
                WHERE (program, fiscal_year, district) = (SELECT program, fiscal_year, district FROM ledger_read.budget_usage
                                                          WHERE paid_vnd > 0 ORDER BY 1, 2, 3 LIMIT 1)
                RETURNING program, fiscal_year, district, paid_vnd
                """) { (try $0.string(0), try $0.int(1), try $0.string(2), try $0.int64(3)) }
            let deleted = try await connection.queryOne(
                "DELETE FROM ledger_read.applications WHERE application_id = (SELECT min(application_id) FROM ledger_read.applications) RETURNING application_id"
            ) { try $0.string(0) }
            try await connection.execute("""
                INSERT INTO ledger_read.loan_terms (program, rate_periods, overdue_multiplier_percent, max_term_months, instalment_months, last_position)
                VALUES ($1, '[]', 130, 12, 3, 1)
                """, ["INVENTED-LOANS"])

            let tampered = try await LedgerBinary.run(["audit", "reconcile", "--format", "json"], environment: auditor)
            #expect(tampered.status == 2, "\(tampered)")
            let found = try Self.decode(tampered)
            #expect(!found.isEqual)
            let budget = try #require(found.projections.first { $0.projection == "budget_usage" })
            #expect(budget.differenceCount == 1)
            #expect(budget.differences == [ReconcileDifference(
                table: "budget_usage", kind: .valueDiffers, key: ["program": program, "fiscal_year": String(year), "district": district],
                keyDescription: "program=\(program), fiscal_year=\(year), district=\(district)", column: "paid_vnd",
                tableValue: String(paid), foldValue: String(paid - 1)
            )])
            let applications = try #require(found.projections.first { $0.projection == "applications" })
            #expect(applications.differences.map(\.kind) == [.missingFromTable])
            #expect(applications.differences.first?.key == ["application_id": deleted])
            #expect(applications.tables.first?.foldRows == (applications.tables.first?.tableRows ?? 0) + 1)
            let loans = try #require(found.projections.first { $0.projection == "loan_book" })
            #expect(loans.differences.map(\.kind) == [.notInFold])
            #expect(loans.differences.first?.keyDescription == "program=INVENTED-LOANS")
            #expect(found.projections.first { $0.projection == "beneficiary_balances" }?.isEqual == true)

            // The table form names table, key, column and both values.
            let text = try await LedgerBinary.run(["audit", "reconcile"], environment: auditor)
            #expect(text.status == 2)
            let line = text.stdout.split(separator: "\n").first { $0.contains("budget_usage") && $0.contains("paid_vnd") }
            #expect(line?.contains("program=\(program), fiscal_year=\(year), district=\(district)") == true, "\(text)")
            #expect(line?.contains(String(paid)) == true && line?.contains(String(paid - 1)) == true, "\(text)")
            #expect(text.stdout.contains("application_id=\(deleted)"))

            let rebuild = try await LedgerBinary.run(["projections", "rebuild"], environment: admin)
            #expect(rebuild.status == 0, "\(rebuild)")
            let fixed = try await LedgerBinary.run(["audit", "reconcile", "--format", "json"], environment: auditor)
            #expect(fixed.status == 0, "\(fixed)")
            #expect(try Self.decode(fixed).projections.allSatisfy { $0.isEqual && $0.generation == 1 })
            await connection.close()
        }
    }

    /// Reconcile compares the tables with the log as of their checkpoint, in one snapshot: events
    /// not yet applied, and a runner applying them meanwhile, are never a difference.
    @Test func itComparesAsOfTheCheckpointWhileARunnerWorks() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 900_000_000, reference: "QĐ 1")
            try await people.approved("A-0", household: "HH-0", amount: 1_000_000)
            let runner = try await ProjectionRunner.start(configuration: database.configuration(), options: ReadSide.options(batchEvents: 3))
            try await runner.catchUp()
            await runner.close()
            let auditor = try await database.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor"))
            let checkpoint = try await ReadSide.head(auditor)

            // Appended but not applied: not compared, and counted as behind.
            try await people.approved("A-1", household: "HH-1", amount: 2_000_000)
            try await people.pay("A-1", "P-1", 1_500_000)
            let head = try await ReadSide.head(auditor)
            let behind = try await Reconcile.run(connection: auditor)
            #expect(behind.isEqual)
            #expect(behind.projections.allSatisfy { $0.checkpoint == checkpoint && $0.behindHead == head - checkpoint && $0.headPosition == head })
            #expect(behind.eventsFolded == checkpoint)

            // While the runner applies small batches and more is appended, every reconcile is equal.
            let appending = Task {
                for index in 2..<8 {
                    try await people.approved("A-\(index)", household: "HH-\(index)", amount: 1_000_000)
                    try await people.pay("A-\(index)", "P-\(index)", 400_000)
                }
            }
            let stop = StopSignal()
            let configuration = database.configuration()
            let following = Task {
                let runner = try await ProjectionRunner.start(configuration: configuration, options: ReadSide.options(batchEvents: 3))
                try await runner.follow(configuration: configuration, stop: stop)
                await runner.close()
            }
            var checkpoints: Set<Int64> = []
            for _ in 0..<8 {
                let result = try await Reconcile.run(connection: auditor, pageSize: 7)
                #expect(result.isEqual, "\(result.projections.flatMap(\.differences))")
                checkpoints.formUnion(result.projections.map(\.checkpoint))
            }
            try await appending.value
            let last = try await ReadSide.head(auditor)
            for _ in 0..<200 where try await ReadSide.checkpoints(auditor).values.contains(where: { $0 != last }) {
                try await Task.sleep(for: .milliseconds(25))
            }
            stop.stop()
            try await following.value
            let final = try await Reconcile.run(connection: auditor)
            #expect(final.isEqual)
            #expect(final.projections.allSatisfy { $0.behindHead == 0 })
            // The reconciles saw more than one checkpoint: they really ran while the runner moved.
            #expect(checkpoints.count > 1)
            // Its scratch tables are gone; the session is usable.
            #expect(try await auditor.queryOne("SELECT count(*) FROM pg_class WHERE relname LIKE 'ledger_reconcile_%' AND relpersistence = 't'") { try $0.int(0) } == 0)
            await auditor.close()
        }
    }

    @Test func anAuditorMayReconcileARoleWithoutAccessIsToldWhy() async throws {
        try await TestDatabase.withFresh { database in
            let people = try await People.make(database)
            _ = try await people.admin.allocateBudget(program: People.program, year: 2024, district: .ninhKieu, amount: 100_000_000, reference: "QĐ 1")
            try await people.approved("A-1", household: "HH-1", amount: 40_000_000)
            #expect(try await LedgerBinary.run(["projections", "run"], environment: database.environment()).status == 0)

            let auditor = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
            let allowed = try await LedgerBinary.run(["audit", "reconcile", "budget_usage"], environment: database.environment(user: auditor))
            #expect(allowed.status == 0, "\(allowed)")
            #expect(allowed.stdout.contains("budget_usage") && !allowed.stdout.contains("loan_book"))

            let nobody = try await TestDatabase.loginRole(memberOf: nil)
            let refused = try await LedgerBinary.run(["audit", "reconcile"], environment: database.environment(user: nobody))
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("\(nobody) may not"), "\(refused)")
            #expect(refused.stderr.contains("connect as an auditor (a member of ledger_auditor)"), "\(refused)")
            #expect(refused.stdout.isEmpty)

            let unknown = try await LedgerBinary.run(["audit", "reconcile", "no_such_projection"], environment: database.environment(user: auditor))
            #expect(unknown.status == 64, "\(unknown)")
        }
    }
}
