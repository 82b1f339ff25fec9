import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

/// `ledger application list|show`, `beneficiary show|search`, `payment list`, `user list` as
/// officers and approvers type them, against a real PostgreSQL.
@Suite(.enabled(if: TestDatabase.enabled))
struct FindCommandTests {
    struct People {
        let officer: String
        /// An approver who is also an officer, and submitted A-SELF.
        let approver: String
        let auditor: String
    }

    /// Migrated; sample programmes; budgets in two units for 2024 and one for 2025; five
    /// households; applications across programmes, units and years, one submitted by the approver
    /// (who is also an officer), one approved and paid twice (one payment reversed); projections run.
    static func prepared(_ db: FreshDatabase) async throws -> People {
        let officer = try await TestDatabase.loginRole("find_off", memberOf: ["ledger_officer"])
        let approver = try await TestDatabase.loginRole("find_appr", memberOf: ["ledger_approver", "ledger_officer"])
        let auditor = try await TestDatabase.loginRole("find_aud", memberOf: ["ledger_auditor"])
        func run(_ arguments: [String], as user: String? = nil) async throws {
            let result = try await LedgerBinary.run(arguments, environment: childEnvironment(db, user: user))
            #expect(result.status == 0, "\(result)")
        }
        try await withScratchFolder { folder in
            let catalog = folder.appendingPathComponent("programs.json")
            let sample = try await LedgerBinary.run(["program", "sample"], environment: childEnvironment(db))
            try Data(sample.stdout.utf8).write(to: catalog)
            try await run(["migrate"])
            try await run(["program", "load", catalog.path])
        }
        for (district, year, amount) in [("Ninh Kiều", "2024", "100000000"), ("Cái Răng", "2024", "50000000"), ("Bình Thủy", "2025", "70000000")] {
            for program in ["NQ12-HOUSING", "NQ12-WATER", "NQ12-ELECTRICITY", "NQ12-LATRINE"] {
                try await run(["budget", "allocate", "--program", program, "--year", year, "--district", district, "--amount", amount,
                               "--reference", "QĐ \(year)"])
            }
        }
        let households: [(String, String, String)] = [
            ("HH-1", "Nguyễn Văn An", "ninh kieu"), ("HH-2", "Trần Thị Lan", "cai rang"), ("HH-3", "Nguyễn Văn Anh", "binh thuy"),
            ("HH-4", "Đỗ Thị Đào", "ninh kieu"), ("HH-5", "Lê Văn Bình", "cai rang"),
        ]
        for (id, name, district) in households {
            try await run(["beneficiary", "register", "--id", id, "--kind", "household", "--name", name, "--district", district,
                           "--category", "poor", "--bank-account", "Agribank \(id)"], as: officer)
        }
        let applications: [(String, String, String, String, String?, String)] = [
            ("A-1", "HH-1", "NQ12-HOUSING", "2024-03-01", nil, officer),
            ("A-2", "HH-2", "NQ12-WATER", "2024-03-02", nil, officer),
            ("A-3", "HH-3", "NQ12-ELECTRICITY", "2025-02-01", nil, officer),
            ("A-SELF", "HH-4", "NQ12-LATRINE", "2024-03-05", nil, approver),
            ("A-5", "HH-5", "NQ12-HOUSING", "2024-03-03", nil, officer),
            ("A-6", "HH-1", "NQ12-WATER", "2024-03-04", nil, officer),
        ]
        for (id, beneficiary, program, on, year, user) in applications {
            var arguments = ["application", "submit", "--id", id, "--beneficiary", beneficiary, "--program", program,
                             "--amount", "5000000", "--submitted-on", on]
            if let year { arguments += ["--year", year] }
            try await run(arguments, as: user)
        }
        try await run(["application", "approve", "--id", "A-5", "--amount", "5000000", "--decision", "QĐ 7", "--decided-on", "2024-03-10"],
                      as: approver)
        try await run(["payment", "record", "--application", "A-5", "--payment-id", "P-1", "--amount", "2000000", "--paid-on", "2024-03-15",
                       "--method", "bank", "--voucher", "UNC 1"], as: officer)
        try await run(["payment", "record", "--application", "A-5", "--payment-id", "P-2", "--amount", "1000000", "--paid-on", "2024-04-01",
                       "--method", "cash", "--voucher", "PC 2"], as: officer)
        try await run(["payment", "reverse", "--payment-id", "P-2", "--reason", "trả lại", "--reversed-on", "2024-04-02"], as: officer)
        try await run(["projections", "run"])
        return People(officer: officer, approver: approver, auditor: auditor)
    }

    struct ListOutput<Row: Decodable>: Decodable {
        let rows: [Row]
        let matching: Int
        let shown: Int
        let more_rows: Bool
        let read_models_behind: [Behind]
    }

    struct Behind: Decodable {
        let projection: String
        let events: Int
    }

    struct ApplicationRow: Decodable {
        let application_id: String
        let status: String
        let program: String
        let unit: String
        let fiscal_year: Int
        let submitted_by: String
        let budget_available_vnd: Int?
        let you_may_decide: Bool?
        let why_not: String?
    }

    static func json<Row: Decodable>(_ row: Row.Type, _ run: LedgerRun) throws -> ListOutput<Row> {
        try JSONDecoder().decode(ListOutput<Row>.self, from: Data(run.stdout.utf8))
    }

    @Test func anApproversQueueExcludesNothingAndShowsFourEyes() async throws {
        try await TestDatabase.withFresh { db in
            let people = try await Self.prepared(db)
            let queue = try await LedgerBinary.run(["application", "list", "--status", "submitted", "--format", "json"],
                                                   environment: childEnvironment(db, user: people.approver))
            #expect(queue.status == 0, "\(queue)")
            let found = try Self.json(ApplicationRow.self, queue)
            // Every submitted application, whatever its programme, unit, year or submitter; in submission order.
            #expect(found.rows.map(\.application_id) == ["A-1", "A-2", "A-6", "A-SELF", "A-3"], "\(queue)")
            #expect(found.matching == 5 && !found.more_rows && found.read_models_behind.isEmpty)
            #expect(Set(found.rows.map(\.unit)) == ["ninh-kieu", "cai-rang", "binh-thuy"])
            #expect(Set(found.rows.map(\.fiscal_year)) == [2024, 2025])
            let own = try #require(found.rows.first { $0.application_id == "A-SELF" })
            #expect(own.you_may_decide == false && own.why_not?.contains("four eyes") == true, "\(queue)")
            #expect(found.rows.filter { $0.application_id != "A-SELF" }.allSatisfy { $0.you_may_decide == true })
            #expect(found.rows.first { $0.application_id == "A-1" }?.budget_available_vnd == 100_000_000)
            #expect(found.rows.first { $0.application_id == "A-3" }?.budget_available_vnd == 70_000_000)

            // The table says the same in words.
            let table = try await LedgerBinary.run(["application", "list", "--status", "submitted"],
                                                   environment: childEnvironment(db, user: people.approver))
            let selfLine = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("A-SELF") })
            #expect(selfLine.contains("no: you submitted it"), "\(table)")
            #expect(table.stdout.contains("100,000,000"), "\(table)")

            // An officer sees the queue too, and may decide none of it.
            let asOfficer = try Self.json(ApplicationRow.self, try await LedgerBinary.run(
                ["application", "list", "--status", "submitted", "--format", "json"], environment: childEnvironment(db, user: people.officer)))
            #expect(asOfficer.rows.count == 5 && asOfficer.rows.allSatisfy { $0.you_may_decide == false })

            // The approval: the approver decides it, and it leaves the queue.
            let approved = try Self.json(ApplicationRow.self, try await LedgerBinary.run(
                ["application", "list", "--status", "approved", "--format", "json"], environment: childEnvironment(db, user: people.auditor)))
            #expect(approved.rows.map(\.application_id) == ["A-5"] && approved.rows[0].you_may_decide == nil)
            // A-5 draws on NQ12-HOUSING 2024 in Cái Răng: 50,000,000 allocated, 5,000,000 approved.
            #expect(approved.rows[0].budget_available_vnd == 45_000_000)
        }
    }

    @Test func filtersCombineAndTheLimitSaysThereIsMore() async throws {
        try await TestDatabase.withFresh { db in
            let people = try await Self.prepared(db)
            let env = childEnvironment(db, user: people.officer)
            func ids(_ arguments: [String]) async throws -> [String] {
                let run = try await LedgerBinary.run(["application", "list", "--format", "json"] + arguments, environment: env)
                #expect(run.status == 0, "\(run)")
                return try Self.json(ApplicationRow.self, run).rows.map(\.application_id)
            }
            #expect(try await ids(["--program", "NQ12-WATER"]) == ["A-2", "A-6"])
            #expect(try await ids(["--program", "NQ12-WATER", "--unit", "Cái Răng"]) == ["A-2"])
            #expect(try await ids(["--program", "NQ12-WATER", "--district", "cai rang"]) == ["A-2"])
            #expect(try await ids(["--year", "2025"]) == ["A-3"])
            #expect(try await ids(["--beneficiary", "HH-1"]) == ["A-1", "A-6"])
            #expect(try await ids(["--submitted-by", people.approver]) == ["A-SELF"])
            #expect(try await ids(["--status", "submitted", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--year", "2024"]) == ["A-1"])
            #expect(try await ids(["--status", "rejected"]).isEmpty)

            let limited = try await LedgerBinary.run(["application", "list", "--limit", "2", "--format", "json"], environment: env)
            let page = try Self.json(ApplicationRow.self, limited)
            #expect(page.rows.map(\.application_id) == ["A-1", "A-2"] && page.matching == 6 && page.shown == 2 && page.more_rows)
            #expect(limited.stderr.contains("showing 2 of 6 applications (more rows"), "\(limited)")
            let csv = try await LedgerBinary.run(["application", "list", "--limit", "2", "--format", "csv"], environment: env)
            let lines = csv.stdout.split(separator: "\n")
            #expect(lines.count == 3 && lines[0].hasPrefix("application,beneficiary,program,unit,year,status,requested"), "\(csv)")
            #expect(lines[1].hasPrefix("A-1,HH-1,NQ12-HOUSING,ninh-kieu,2024,submitted,5000000,"), "\(csv)")
            #expect(csv.stderr.contains("more rows"), "the note goes to stderr, never into the CSV")
            let table = try await LedgerBinary.run(["application", "list", "--limit", "2"], environment: env)
            #expect(table.stdout.split(separator: "\n").count == 4 && table.stderr.contains("showing 2 of 6"), "\(table)")

            let bad = try await LedgerBinary.run(["application", "list", "--status", "pending"], environment: env)
            #expect(bad.status == 64 && bad.stderr.contains("--status") && bad.stdout.isEmpty, "\(bad)")
            let zero = try await LedgerBinary.run(["application", "list", "--limit", "0"], environment: env)
            #expect(zero.status == 64 && zero.stderr.contains("--limit"), "\(zero)")
        }
    }

    struct BeneficiaryRow: Decodable {
        let beneficiary_id: String
        let name: String
        let unit: String
        let national_id_on_record: Bool
    }

    @Test func nameSearchIgnoresCaseAndDiacritics() async throws {
        try await TestDatabase.withFresh { db in
            let people = try await Self.prepared(db)
            let env = childEnvironment(db, user: people.approver)
            func ids(_ arguments: [String]) async throws -> [String] {
                let run = try await LedgerBinary.run(["beneficiary", "search", "--format", "json"] + arguments, environment: env)
                #expect(run.status == 0, "\(run)")
                return try Self.json(BeneficiaryRow.self, run).rows.map(\.beneficiary_id)
            }
            #expect(try await ids(["--name", "nguyen van an"]) == ["HH-1", "HH-3"])  // An, Anh: the start of a word
            #expect(try await ids(["--name", "NGUYỄN VĂN AN", "--unit", "Ninh Kiều"]) == ["HH-1"])
            #expect(try await ids(["--name", "do thi dao"]) == ["HH-4"])  // đ is d
            #expect(try await ids(["--name", "lan"]) == ["HH-2"])  // not "Lan" inside another word
            #expect(try await ids(["--name", "an"]) == ["HH-1", "HH-3"])
            #expect(try await ids(["--district", "cai rang"]) == ["HH-5", "HH-2"])  // by folded name: le van binh, tran thi lan
            #expect(try await ids(["--name", "nobody"]).isEmpty)
            let shown = try await LedgerBinary.run(["beneficiary", "show", "HH-1"], environment: env)
            #expect(shown.status == 0 && shown.stdout.contains("Nguyễn Văn An") && shown.stdout.contains("A-6"), "\(shown)")
            // Tables name the unit as people read it; json and csv keep its code.
            #expect(shown.stdout.contains("unit:") && shown.stdout.contains("quận Ninh Kiều"), "\(shown)")
            let table = try await LedgerBinary.run(["beneficiary", "search", "--district", "cai rang"], environment: env)
            #expect(table.status == 0 && table.stdout.contains("quận Cái Răng") && !table.stdout.contains("cai-rang"), "\(table)")
            let missing = try await LedgerBinary.run(["beneficiary", "show", "HH-404"], environment: env)
            #expect(missing.status == 1 && missing.stderr.contains("no beneficiary HH-404"), "\(missing)")
        }
    }

    struct PaymentRow: Decodable {
        let payment_id: String
        let amount_vnd: Int
        let recorded_by: String
        let reversed_on: String?
    }

    @Test func paymentsApplicationShowAndTheUserList() async throws {
        try await TestDatabase.withFresh { db in
            let people = try await Self.prepared(db)
            let env = childEnvironment(db, user: people.auditor)
            let all = try Self.json(PaymentRow.self, try await LedgerBinary.run(["payment", "list", "--format", "json"], environment: env))
            #expect(all.rows.map(\.payment_id) == ["P-1", "P-2"] && all.rows.allSatisfy { $0.recorded_by == people.officer })
            #expect(all.rows[1].reversed_on == "2024-04-02")
            func ids(_ arguments: [String]) async throws -> [String] {
                try Self.json(PaymentRow.self, try await LedgerBinary.run(["payment", "list", "--format", "json"] + arguments, environment: env))
                    .rows.map(\.payment_id)
            }
            #expect(try await ids(["--method", "cash"]) == ["P-2"])
            #expect(try await ids(["--paid-from", "2024-03-16"]) == ["P-2"])
            #expect(try await ids(["--paid-to", "2024-03-15", "--application", "A-5"]) == ["P-1"])
            #expect(try await ids(["--beneficiary", "HH-1"]).isEmpty)

            let show = try await LedgerBinary.run(["application", "show", "A-5"], environment: env)
            #expect(show.status == 0, "\(show)")
            for expected in ["submitted", "approved", "QĐ 7", "payment", "reversal", "trả lại", people.approver, people.officer, "2024-03-10"] {
                #expect(show.stdout.contains(expected), "\(expected): \(show)")
            }
            let steps = try await LedgerBinary.run(["application", "show", "A-5", "--format", "csv"], environment: env)
            // A header, then submitted, approved, two payments and the reversal, in the order recorded.
            #expect(steps.stdout.split(separator: "\n").count == 6, "\(steps)")

            let users = try await LedgerBinary.run(["user", "list", "--format", "json", "--limit", "100000"], environment: env)
            #expect(users.status == 0, "\(users)")
            struct UserRow: Decodable { let name: String; let roles: [String]; let may_log_in: Bool }
            let listed = try Self.json(UserRow.self, users).rows
            #expect(listed.first { $0.name == people.approver }?.roles == ["officer", "approver"], "\(users)")
            #expect(listed.first { $0.name == people.auditor }?.may_log_in == true)
            #expect(!listed.contains { $0.name.hasPrefix("ledger_") })
        }
    }

    @Test func aReadModelBehindTheLogSaysHowFar() async throws {
        try await TestDatabase.withFresh { db in
            let people = try await Self.prepared(db)
            let submit = try await LedgerBinary.run(
                ["application", "submit", "--id", "A-LATE", "--beneficiary", "HH-2", "--program", "NQ12-HOUSING", "--amount", "1000000",
                 "--submitted-on", "2024-05-01"], environment: childEnvironment(db, user: people.officer))
            #expect(submit.status == 0, "\(submit)")
            let queue = try await LedgerBinary.run(["application", "list", "--status", "submitted", "--format", "csv"],
                                                   environment: childEnvironment(db, user: people.approver))
            #expect(queue.status == 0 && !queue.stdout.contains("A-LATE"), "\(queue)")
            #expect(queue.stderr.contains("the applications read model is 1 event behind the log"), "\(queue)")
            #expect(queue.stderr.contains("ledger projections run"), "\(queue)")
            let json = try Self.json(ApplicationRow.self, try await LedgerBinary.run(
                ["application", "list", "--format", "json"], environment: childEnvironment(db, user: people.approver)))
            #expect(json.read_models_behind.map(\.projection) == ["applications", "budget_usage"], "\(json.read_models_behind)")
            #expect(json.read_models_behind.allSatisfy { $0.events == 1 })
            let caughtUp = try await LedgerBinary.run(["projections", "run"], environment: childEnvironment(db))
            #expect(caughtUp.status == 0)
            let after = try await LedgerBinary.run(["application", "list", "--status", "submitted"],
                                                   environment: childEnvironment(db, user: people.approver))
            #expect(after.stdout.contains("A-LATE") && !after.stderr.contains("behind"), "\(after)")
            // The new read models agree with the log.
            let reconcile = try await LedgerBinary.run(["audit", "reconcile", "beneficiaries", "payments", "application_steps"],
                                                       environment: childEnvironment(db, user: people.auditor))
            #expect(reconcile.status == 0, "\(reconcile)")
        }
    }

    @Test func nationalIDSearchMatchesByFingerprintAndAmendmentsShow() async throws {
        try await TestDatabase.withFresh { db in
            let people = try await Self.prepared(db)
            try await withScratchFolder { folder in
                let key = folder.appendingPathComponent("national-id.key")
                try Data("find-tests-national-id-key-of-forty-bytes!".utf8).write(to: key)
                let set = try await LedgerBinary.run(["national-id", "key", "set", "--key-file", key.path], environment: childEnvironment(db))
                #expect(set.status == 0, "\(set)")
            }
            let officer = childEnvironment(db, user: people.officer)
            let register = try await LedgerBinary.run(
                ["beneficiary", "register", "--id", "HH-9", "--kind", "household", "--name", "Phạm Thị Hồng", "--district", "o mon",
                 "--national-id", "092080001234", "--category", "poor"], environment: officer)
            #expect(register.status == 0, "\(register)")
            #expect(try await LedgerBinary.run(["projections", "run"], environment: childEnvironment(db)).status == 0)
            func ids(_ arguments: [String]) async throws -> [String] {
                let run = try await LedgerBinary.run(["beneficiary", "search", "--format", "json"] + arguments, environment: officer)
                #expect(run.status == 0, "\(run)")
                #expect(!run.stdout.contains("092080001234"), "the id itself is never shown")
                return try Self.json(BeneficiaryRow.self, run).rows.map(\.beneficiary_id)
            }
            #expect(try await ids(["--national-id", "092080001234"]) == ["HH-9"])
            #expect(try await ids(["--national-id", "092080001235"]).isEmpty)
            #expect(try await ids(["--national-id", "092080001234", "--unit", "Ninh Kiều"]).isEmpty)
            let bad = try await LedgerBinary.run(["beneficiary", "search", "--national-id", "12345"], environment: officer)
            #expect(bad.status == 64 && bad.stderr.contains("--national-id"), "\(bad)")

            // An amendment: search and show reflect the beneficiary as it stands now.
            let amend = try await LedgerBinary.run(
                ["beneficiary", "amend", "--id", "HH-9", "--reason", "sai chính tả", "--amended-on", "2024-06-01", "--name", "Phạm Thị Hương",
                 "--unit", "Cờ Đỏ"], environment: officer)
            #expect(amend.status == 0, "\(amend)")
            #expect(try await LedgerBinary.run(["projections", "run"], environment: childEnvironment(db)).status == 0)
            #expect(try await ids(["--name", "pham thi huong"]) == ["HH-9"])
            #expect(try await ids(["--name", "pham thi hong"]).isEmpty)
            #expect(try await ids(["--national-id", "092080001234", "--unit", "co do"]) == ["HH-9"])
            let show = try await LedgerBinary.run(["beneficiary", "show", "HH-9"], environment: officer)
            #expect(show.stdout.contains("Phạm Thị Hương") && show.stdout.contains("amendments:") && show.stdout.contains("2024-06-01"), "\(show)")
        }
    }
}

/// Upgrading to migration 17. A ledger "before 17" is a migrated test database with what 0017
/// creates dropped and its migration row removed (migrating a new database from scratch would
/// replay 0001/0005 on the cluster-wide roles while other tests run: see docs/operations.md).
@Suite(.enabled(if: TestDatabase.enabled))
struct FindUpgradeTests {
    /// Takes a migrated database back to before 0017.
    static func removeMigration17(_ superuser: PostgresConnection) async throws {
        let names = ["beneficiaries", "payments", "application_steps"]
        try await superuser.simpleQuery("""
            DROP TABLE \(names.map { "ledger_read.\($0)" }.joined(separator: ", "));
            DROP TABLE \(names.map { "ledger_read_build.shape_\($0)" }.joined(separator: ", "));
            DROP VIEW \(names.flatMap { ["ledger_read.lease_\($0)_runner", "ledger_read.lease_\($0)_rebuild"] }.joined(separator: ", "));
            DELETE FROM ledger_read.checkpoints WHERE projection IN ('beneficiaries', 'payments', 'application_steps');
            DELETE FROM ledger_meta.schema_migrations WHERE version = 17;
            """)
    }

    /// A ledger recorded before 0017: after `ledger migrate`, the find commands say how far behind
    /// the new read models are, and the next `projections run` builds them from the whole log.
    @Test func anExistingLedgerGetsTheNewReadModelsOnItsNextRun() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            try await Self.removeMigration17(superuser)
            func run(_ arguments: [String]) async throws -> LedgerRun {
                let result = try await LedgerBinary.run(arguments, environment: childEnvironment(db))
                #expect(result.status == 0, "\(result)")
                return result
            }
            try await withScratchFolder { folder in
                let catalog = folder.appendingPathComponent("programs.json")
                try Data(try await run(["program", "sample"]).stdout.utf8).write(to: catalog)
                _ = try await run(["program", "load", catalog.path])
            }
            _ = try await run(["beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "Nguyễn Văn An", "--district",
                               "ninh kieu", "--category", "poor"])
            _ = try await run(["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount",
                               "5000000", "--submitted-on", "2024-03-01"])
            let notYet = try await LedgerBinary.run(["beneficiary", "search", "--name", "an"], environment: childEnvironment(db))
            #expect(notYet.status == 1 && notYet.stderr.contains("run `ledger migrate`"), "\(notYet)")

            let migrate = try await run(["migrate"])
            #expect(migrate.stdout.contains("0017_find.sql"), "\(migrate)")
            let before = try await LedgerBinary.run(["beneficiary", "search", "--name", "an"], environment: childEnvironment(db))
            #expect(before.status == 0 && before.stderr.contains("the beneficiaries read model is"), "\(before)")
            _ = try await run(["projections", "run"])
            let after = try await run(["beneficiary", "search", "--name", "an", "--format", "csv"])
            #expect(after.stdout.contains("HH-1,household,Nguyễn Văn An,ninh-kieu") && !after.stderr.contains("behind"), "\(after)")
            let steps = try await run(["application", "show", "A-1", "--format", "csv"])
            #expect(steps.stdout.contains(",submitted,2024-03-01,5000000,"), "\(steps)")
            let reconcile = try await LedgerBinary.run(["audit", "reconcile"], environment: childEnvironment(db))
            #expect(reconcile.status == 0, "\(reconcile)")
            await superuser.close()
        }
    }

    /// Migration 17 creates read models, which ledger_admin owns: a deploy account that is only a
    /// member of ledger_owner is stopped before anything changes, with what to do; once also a
    /// member of ledger_admin, it applies.
    @Test func migration17NeedsARoleThatMayActAsLedgerAdmin() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            try await Self.removeMigration17(superuser)
            let deploy = TestDatabase.uniqueName("f_deploy")
            try await superuser.simpleQuery("CREATE ROLE \(deploy) LOGIN CREATEROLE IN ROLE ledger_owner")
            do {
                let connection = try await db.connect(user: deploy)
                let bundled = try Migration.bundled()
                let error = await #expect(throws: MigrationError.self) { try await Migrator(connection: connection, migrations: bundled).migrate() }
                #expect(String(describing: error).contains("0017_find.sql creates read models in ledger_read"), "\(String(describing: error))")
                #expect(try await superuser.queryOne("SELECT count(*) FROM ledger_meta.schema_migrations WHERE version = 17") { try $0.int(0) } == 0)
                try await superuser.simpleQuery("GRANT ledger_admin TO \(deploy)")
                _ = try await Migrator(connection: connection, migrations: bundled).migrate()
                #expect(try await superuser.queryOne("SELECT tableowner::text FROM pg_tables WHERE schemaname = 'ledger_read' AND tablename = 'payments'") {
                    try $0.string(0)
                } == "ledger_admin")
                await connection.close()
                try await superuser.simpleQuery("DROP ROLE IF EXISTS \(deploy)")
            } catch {
                try? await superuser.simpleQuery("DROP ROLE IF EXISTS \(deploy)")
                throw error
            }
            await superuser.close()
        }
    }
}
