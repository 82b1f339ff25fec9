import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

/// Issue 8, "What an outside recomputation found": a retried command prints what was recorded
/// (never a summary recomputed on today's state), and a date left to default says which it was.
@Suite(.enabled(if: TestDatabase.enabled))
struct RetrySummaryTests {
    static func run(_ db: FreshDatabase, _ arguments: [String], user: String? = nil) async throws -> LedgerRun {
        try await LedgerBinary.run(arguments, environment: childEnvironment(db, user: user))
    }

    /// A command's outcome in JSON: its summary and whether it was already recorded.
    static func outcome(_ run: LedgerRun) throws -> (summary: String, alreadyRecorded: Bool) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
        return (try #require(object["summary"] as? String), try #require(object["already_recorded"] as? Bool))
    }

    @Test func aRetriedBudgetAllocationPrintsTheTotalsItRecorded() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)  // 100,000,000 allocated to housing in Ninh Kiều
            let allocate = ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "ninh-kieu",
                            "--amount", "20000000", "--reference", "QĐ 2"]
            let first = try await Self.run(db, allocate + ["--format", "json"])
            let recorded = try Self.outcome(first)
            #expect(!recorded.alreadyRecorded && recorded.summary.contains("allocated 120,000,000"), "\(first)")

            // The same command again (a lost reply): nothing appended, the recorded line shown.
            let retry = try await Self.run(db, allocate + ["--format", "json"])
            let again = try Self.outcome(retry)
            #expect(again.alreadyRecorded)
            #expect(again.summary.hasPrefix(recorded.summary), "\(retry)")
            #expect(!again.summary.contains("140,000,000"), "\(retry)")
            let table = try await Self.run(db, allocate)
            #expect(value(of: "recorded", in: table.stdout) == "nothing new (already recorded)", "\(table)")
            #expect(value(of: "earlier", in: table.stdout)?.hasPrefix(recorded.summary) == true, "\(table)")
            #expect(try await db.connect().queryOne(
                "SELECT count(*) FROM ledger.events WHERE event_type = 'BudgetAllocated'"
            ) { try $0.int64(0) } == 2)
        }
    }

    @Test func everyRetriedCommandPrintsItsRecordedOutcome() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let approver = try await TestDatabase.loginRole(memberOf: "ledger_approver")
            let commands: [([String], String?)] = [
                (["beneficiary", "register", "--id", "HH-2", "--kind", "household", "--name", "Trần Thị B", "--district", "ninh kieu",
                  "--category", "poor", "--bank-account", "Agribank 456"], nil),
                (["application", "submit", "--id", "A-2", "--beneficiary", "HH-2", "--program", "NQ12-HOUSING", "--amount", "8000000",
                  "--submitted-on", "2024-03-02"], nil),
                (["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ A-1", "--decided-on", "2024-03-10"], approver),
                (["application", "approve", "--id", "A-2", "--amount", "8000000", "--decision", "QĐ A-2", "--decided-on", "2024-03-10"], approver),
                (["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000", "--paid-on", "2024-03-15",
                  "--method", "bank", "--voucher", "PC-1"], nil),
                (["payment", "record", "--application", "A-1", "--payment-id", "P-2", "--amount", "1000000", "--paid-on", "2024-03-16",
                  "--method", "bank", "--voucher", "PC-2"], nil),
                (["payment", "reverse", "--payment-id", "P-2", "--reason", "returned by the bank", "--reversed-on", "2024-03-20"], nil),
                (["application", "close", "--id", "A-1", "--closed-on", "2024-04-30"], nil),
                (["application", "withdraw", "--id", "A-2", "--reason", "moved away", "--withdrawn-on", "2024-04-30"], nil),
            ]
            for (arguments, user) in commands {
                let first = try await Self.run(db, arguments + ["--format", "json"], user: user)
                #expect(first.status == 0, "\(first)")
                let recorded = try Self.outcome(first)
                #expect(!recorded.alreadyRecorded, "\(first)")
                let retry = try await Self.run(db, arguments + ["--format", "json"], user: user)
                #expect(retry.status == 0, "\(retry)")
                let again = try Self.outcome(retry)
                #expect(again.alreadyRecorded, "\(retry)")
                #expect(again.summary.hasPrefix(recorded.summary), "\(arguments[0]) \(arguments[1]): retry printed \(again.summary), recorded \(recorded.summary)")
            }
        }
    }
}

/// Dates that default to today say which date they were.
@Suite(.enabled(if: TestDatabase.enabled))
struct DefaultDateTests {
    /// Today in Vietnam (UTC+7, no daylight saving), as the ledger takes it.
    static var today: String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        return formatter.string(from: Date())
    }

    @Test func aCommandAndAReportLeftToTodaySayWhichDateTheyUsed() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            let withdraw = try await RetrySummaryTests.run(db, ["application", "withdraw", "--id", "A-1", "--reason", "moved away"])
            #expect(withdraw.status == 0, "\(withdraw)")
            #expect(withdraw.stderr.contains("--withdrawn-on not given: \(Self.today) (today)"), "\(withdraw)")
            let dated = try await RetrySummaryTests.run(db, [
                "application", "submit", "--id", "A-2", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "1000000",
                "--submitted-on", "2024-03-15",
            ])
            #expect(dated.status == 0 && !dated.stderr.contains("today"), "\(dated)")

            for format in ["table", "json", "csv"] {
                let report = try await RetrySummaryTests.run(db, ["report", "loans", "--format", format])
                #expect(report.status == 0, "\(report)")
                #expect(report.stderr.contains("--as-of not given: \(Self.today) (today)"), "\(report)")
                if format == "table" { #expect(report.stdout.contains("loans as of \(Self.today) (today)"), "\(report)") }
                if format == "json" {
                    let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
                    #expect(object["as_of"] as? String == Self.today && object["as_of_source"] as? String == "today")
                }
            }
            let given = try await RetrySummaryTests.run(db, ["report", "loans", "--as-of", "2024-12-31"])
            #expect(!given.stderr.contains("today") && given.stdout.contains("loans as of 2024-12-31\n"), "\(given)")
        }
    }
}

/// Migration 18 changes what beneficiary_balances means (approved: every approval; paid: net of
/// reversals; released added): a ledger upgraded to it folds that read model again from the start.
@Suite(.enabled(if: TestDatabase.enabled))
struct OneMeaningUpgradeTests {
    @Test func anUpgradedLedgerRefoldsItsBalancesWithTheNewMeanings() async throws {
        try await TestDatabase.withFresh { database in try await Self.upgrade(database) }
    }

    /// A migrated database taken back to the release before 18 by undoing what 18 did (migrating a
    /// new database from the start would change the cluster's roles under the tests running beside).
    static func upgrade(_ database: FreshDatabase) async throws {
        let superuser = try await database.connect()
        let bundled = try Migration.bundled()
        try await superuser.simpleQuery("""
            DELETE FROM ledger.event_rules WHERE rule = 'ledger.rule_reversal_while_approved(ledger.events, ledger.events[])'::regprocedure;
            DROP FUNCTION ledger.rule_reversal_while_approved(ledger.events, ledger.events[]);
            ALTER TABLE ledger_read.beneficiary_balances DROP COLUMN released_vnd;
            ALTER TABLE ledger_read_build.shape_beneficiary_balances DROP COLUMN released_vnd;
            ALTER TABLE ledger_read.budget_usage DROP COLUMN lent_vnd;
            ALTER TABLE ledger_read_build.shape_budget_usage DROP COLUMN lent_vnd;
            DELETE FROM ledger_meta.schema_migrations WHERE version = 18
            """)
        let seed = try await LedgerBinary.run(["demo", "seed", "--seed", "11", "--beneficiaries", "60"], environment: database.environment())
        #expect(seed.status == 0, "\(seed)")
        // As the release before left it: a row with paid before reversals, the checkpoint at the head.
        try await superuser.simpleQuery("""
            INSERT INTO ledger_read.beneficiary_balances (beneficiary_id, program, kind, applications, approved_vnd, paid_vnd,
                reversed_vnd, remaining_payable_vnd, loans, principal_disbursed_vnd, principal_repaid_vnd, interest_repaid_vnd,
                outstanding_principal_vnd, written_off_principal_vnd, earliest_unpaid_due_on, last_position)
            SELECT 'B-OLD', 'NQ12-WATER', 'grant', 1, 0, 2000000, 1000000, 0, 0, 0, 0, 0, 0, 0, NULL, 1;
            UPDATE ledger_read.checkpoints SET position = (SELECT last_position FROM ledger.head)
            WHERE projection IN ('beneficiary_balances', 'budget_usage')
            """)
        let generation = try await superuser.queryOne(
            "SELECT generation FROM ledger_read.checkpoints WHERE projection = 'beneficiary_balances'"
        ) { try $0.int64(0) }

        _ = try await Migrator(connection: superuser, migrations: bundled).migrate()
        let after = try await superuser.queryOne("""
            SELECT c.position, c.generation, (SELECT count(*) FROM ledger_read.beneficiary_balances)
            FROM ledger_read.checkpoints c WHERE c.projection = 'beneficiary_balances'
            """) { (try $0.int64(0), try $0.int64(1), try $0.int64(2)) }
        #expect(after.0 == 0 && after.1 == generation + 1 && after.2 == 0, "\(after)")
        // budget_usage too: its paid_vnd counted loan principal; it is folded again with lent_vnd.
        let budgetCheckpoint = try await superuser.queryOne(
            "SELECT position FROM ledger_read.checkpoints WHERE projection = 'budget_usage'"
        ) { try $0.int64(0) }
        #expect(budgetCheckpoint == 0)
        let status = try await LedgerBinary.run(["projections", "status"], environment: database.environment())
        #expect(status.stdout.contains("beneficiary_balances"), "\(status)")

        let run = try await LedgerBinary.run(["projections", "run"], environment: database.environment())
        #expect(run.status == 0, "\(run)")
        let reconcile = try await LedgerBinary.run(["audit", "reconcile"], environment: database.environment())
        #expect(reconcile.status == 0, "\(reconcile)")
        let broken = try await superuser.queryOne("""
            SELECT count(*) FROM ledger_read.beneficiary_balances
            WHERE approved_vnd - paid_vnd - principal_disbursed_vnd - released_vnd <> remaining_payable_vnd OR beneficiary_id = 'B-OLD'
            """) { try $0.int64(0) }
        #expect(broken == 0)
        let budgets = try await superuser.queryOne("""
            SELECT count(*) FILTER (WHERE committed_unpaid_vnd <> reserved_vnd - released_vnd - paid_vnd - lent_vnd), sum(lent_vnd)
            FROM ledger_read.budget_usage
            """) { (try $0.int64(0), try $0.int64(1)) }
        #expect(budgets.0 == 0 && budgets.1 > 0, "\(budgets)")  // seed 11 disburses loans
        await superuser.close()
    }
}
