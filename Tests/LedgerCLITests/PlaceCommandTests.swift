import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Places as data through the command line on a real PostgreSQL (issue 8 §4): districts until
/// 30 June 2025, wards and communes after, in one ledger; names resolve on the business date;
/// the database refuses what Swift refuses; an old ledger without places is unchanged.
@Suite(.enabled(if: TestDatabase.enabled))
struct PlaceCommandTests {
    /// Runs `ledger` (as the test superuser, or `user`), expecting `status`.
    @discardableResult
    static func run(_ db: FreshDatabase, _ arguments: [String], user: String? = nil, status: Int32 = 0,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> LedgerRun {
        let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db, user: user))
        #expect(run.status == status, "\(arguments): \(run)", sourceLocation: sourceLocation)
        return run
    }

    /// Migrated, the sample programmes loaded, and (unless `places` is false) the sample places.
    static func prepared(_ db: FreshDatabase, places: Bool = true) async throws {
        try await run(db, ["migrate"])
        try await withScratchFolder { folder in
            let catalog = folder.appendingPathComponent("programs.json")
            try Data(try await run(db, ["program", "sample"]).stdout.utf8).write(to: catalog)
            try await run(db, ["program", "load", catalog.path])
            guard places else { return }
            let file = folder.appendingPathComponent("places.json")
            try Data(try await run(db, ["place", "sample"]).stdout.utf8).write(to: file)
            let load = try await run(db, ["place", "load", file.path, "--format", "json"])
            #expect(try JSONDecoder().decode(DisbursementCommandTests.Outcome.self, from: Data(load.stdout.utf8)).eventsAppended == 25)
        }
    }

    static func head(_ db: FreshDatabase) async throws -> Int64 {
        try await db.connect().queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
    }

    /// The unit an event recorded (`district` field) on `stream`.
    static func recordedUnit(_ db: FreshDatabase, _ stream: String) async throws -> String {
        try await db.connect().queryOne("SELECT payload ->> 'district' FROM ledger.events WHERE stream_id = $1 ORDER BY position LIMIT 1", [stream]) {
            try $0.string(0)
        }
    }

    struct BudgetJSON: Decodable {
        struct Line: Decodable {
            let program: String?
            let fiscalYear: Int?
            let district: String?
            let districtName: String?
            let allocated: Int64
            let reserved: Int64
            let available: Int64
            let successors: [Line]?
            enum CodingKeys: String, CodingKey {
                case program, fiscalYear = "fiscal_year", district, districtName = "district_name", allocated = "allocated_vnd"
                case reserved = "reserved_vnd", available = "available_vnd", successors
            }
        }
        let budgets: [Line]
        let districtTotals: [Line]
        let successions: [Line]?
        enum CodingKeys: String, CodingKey { case budgets, districtTotals = "district_totals", successions }
    }

    @Test func aDistrictBudgetOf2024AndAWardBudgetOf2025ReportCorrectlyInOneLedger() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let approver = try await TestDatabase.loginRole("places", memberOf: ["ledger_approver"])
            // The 2024 budget by district, as README's command lines have always typed it; the 2025 one by ward.
            try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Ninh Kiều",
                                    "--amount", "100.000.000", "--reference", "QĐ 1"])
            try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2025", "--unit", "phường Ninh Kiều",
                                    "--amount", "60.000.000", "--reference", "QĐ 2"])
            // `ninh kieu` is the district in 2024 and the ward after the merger.
            try await Self.run(db, ["beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "Nguyễn Văn A",
                                    "--district", "ninh kieu", "--registered-on", "2024-02-01", "--category", "poor"])
            try await Self.run(db, ["beneficiary", "register", "--id", "HH-2", "--kind", "household", "--name", "Trần Thị B",
                                    "--unit", "ninh kieu", "--registered-on", "2025-08-01", "--category", "poor"])
            #expect(try await Self.recordedUnit(db, "beneficiary-HH-1") == "ninh-kieu")
            #expect(try await Self.recordedUnit(db, "beneficiary-HH-2") == "phuong-ninh-kieu")
            try await Self.run(db, ["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING",
                                    "--amount", "10000000", "--submitted-on", "2024-03-01"])
            try await Self.run(db, ["application", "submit", "--id", "A-2", "--beneficiary", "HH-2", "--program", "NQ12-HOUSING",
                                    "--amount", "20000000", "--submitted-on", "2025-08-05"])
            #expect(try await Self.recordedUnit(db, "application-A-1") == "ninh-kieu")
            #expect(try await Self.recordedUnit(db, "application-A-2") == "phuong-ninh-kieu")
            try await Self.run(db, ["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 10",
                                    "--decided-on", "2024-03-10"], user: approver)
            try await Self.run(db, ["application", "approve", "--id", "A-2", "--amount", "20000000", "--decision", "QĐ 20",
                                    "--decided-on", "2025-09-01"], user: approver)
            try await Self.run(db, ["projections", "run"])

            let json = try await Self.run(db, ["report", "budget", "--with-successors", "--format", "json"])
            let report = try JSONDecoder().decode(BudgetJSON.self, from: Data(json.stdout.utf8))
            #expect(report.budgets.count == 2, "\(json)")
            let district = report.budgets.first { $0.district == "ninh-kieu" }
            let ward = report.budgets.first { $0.district == "phuong-ninh-kieu" }
            #expect(district?.fiscalYear == 2024 && district?.allocated == 100_000_000 && district?.reserved == 10_000_000
                && district?.available == 90_000_000 && district?.districtName == "quận Ninh Kiều", "\(json)")
            #expect(ward?.fiscalYear == 2025 && ward?.allocated == 60_000_000 && ward?.reserved == 20_000_000
                && ward?.available == 40_000_000 && ward?.districtName == "phường Ninh Kiều", "\(json)")
            #expect(report.districtTotals.map(\.district) == ["ninh-kieu", "phuong-ninh-kieu"], "\(json)")
            let succession = report.successions?.first { $0.district == "ninh-kieu" }
            #expect(succession?.allocated == 100_000_000, "\(json)")
            #expect(succession?.successors?.first { $0.district == "phuong-ninh-kieu" }?.reserved == 20_000_000, "\(json)")
            #expect(succession?.successors?.contains { $0.district == "phuong-cai-khe" } == true, "\(json)")

            let table = try await Self.run(db, ["report", "budget", "--with-successors"])
            #expect(table.stdout.contains("→ phường Ninh Kiều") && table.stdout.contains("successors total"), "\(table)")
            #expect(table.stdout.contains("→ phường Cái Khế (also from quận Bình Thủy)"), "\(table)")
            // The old district named alone, with its successors: the ward's 2025 figures stand beside it.
            let old = try await Self.run(db, ["report", "budget", "--unit", "quận Ninh Kiều", "--with-successors", "--format", "json"])
            let oldReport = try JSONDecoder().decode(BudgetJSON.self, from: Data(old.stdout.utf8))
            let oldSuccession = oldReport.successions?.first { $0.district == "ninh-kieu" }
            #expect(oldSuccession?.allocated == 100_000_000, "\(old)")
            #expect(oldSuccession?.successors?.first { $0.district == "phuong-ninh-kieu" }?.allocated == 60_000_000, "\(old)")
            // A filter by name means every unit of that name; with a year, the one in force then.
            let both = try await Self.run(db, ["report", "budget", "--unit", "ninh kieu", "--format", "csv"])
            #expect(both.stdout.contains("budget,NQ12-HOUSING,2024,ninh-kieu") && both.stdout.contains("budget,NQ12-HOUSING,2025,phuong-ninh-kieu"), "\(both)")
            let year = try await Self.run(db, ["report", "budget", "--district", "ninh kieu", "--year", "2024", "--format", "csv"])
            #expect(year.stdout.contains("2024,ninh-kieu") && !year.stdout.contains("phuong-ninh-kieu"), "\(year)")
            // Business-date view agrees.
            let asOf = try await Self.run(db, ["report", "budget", "--as-of", "2025-12-31", "--format", "json"])
            let folded = try JSONDecoder().decode(BudgetJSON.self, from: Data(asOf.stdout.utf8))
            #expect(folded.budgets.map(\.reserved) == report.budgets.map(\.reserved), "\(asOf)")

            let verify = try await Self.run(db, ["audit", "verify"])
            #expect(verify.stdout.contains("all hold"), "\(verify)")
        }
    }

    @Test func aWardMadeFromTwoDistrictsAsksWhichBudgetListingThem() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            for district in ["Ninh Kiều", "Bình Thủy"] {
                try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", district,
                                        "--amount", "50000000", "--reference", "QĐ 1"])
            }
            try await Self.run(db, ["beneficiary", "register", "--id", "HH-3", "--kind", "household", "--name", "Lê Văn C",
                                    "--unit", "phường Cái Khế", "--registered-on", "2025-08-01", "--category", "poor"])
            let before = try await Self.head(db)
            let asked = try await Self.run(db, ["application", "submit", "--id", "A-3", "--beneficiary", "HH-3", "--program", "NQ12-HOUSING",
                                                "--amount", "5000000", "--submitted-on", "2025-08-02", "--year", "2024"], status: 64)
            #expect(asked.stderr.contains("--unit"), "\(asked)")
            #expect(asked.stderr.contains("quận Ninh Kiều (ninh-kieu") && asked.stderr.contains("quận Bình Thủy (binh-thuy"), "\(asked)")
            #expect(try await Self.head(db) == before)
            // Naming one of them is accepted; another unit is refused, listing the two.
            let other = try await Self.run(db, ["application", "submit", "--id", "A-3", "--beneficiary", "HH-3", "--program", "NQ12-HOUSING",
                                                "--amount", "5000000", "--submitted-on", "2025-08-02", "--year", "2024", "--unit", "Ô Môn"], status: 64)
            #expect(other.stderr.contains("not of quận Ô Môn") && other.stderr.contains("quận Bình Thủy"), "\(other)")
            try await Self.run(db, ["application", "submit", "--id", "A-3", "--beneficiary", "HH-3", "--program", "NQ12-HOUSING",
                                    "--amount", "5000000", "--submitted-on", "2025-08-02", "--year", "2024", "--unit", "Bình Thủy"])
            #expect(try await Self.recordedUnit(db, "application-A-3") == "binh-thuy")
            // In 2025 the ward itself was in force: its own budget.
            try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2025", "--unit", "cai khe",
                                    "--amount", "50000000", "--reference", "QĐ 5"])
            try await Self.run(db, ["application", "submit", "--id", "A-4", "--beneficiary", "HH-3", "--program", "NQ12-HOUSING",
                                    "--amount", "5000000", "--submitted-on", "2025-08-02"])
            #expect(try await Self.recordedUnit(db, "application-A-4") == "phuong-cai-khe")
        }
    }

    @Test func aBudgetForAUnitNotInForceInItsYearIsRefusedBySwiftAndByTheDatabase() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let before = try await Self.head(db)
            for unit in ["phường Cái Khế", "phuong-cai-khe"] {
                let refused = try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--unit", unit,
                                                      "--amount", "5000000", "--reference", "QĐ 1"], status: 64)
                #expect(refused.stderr.contains("--unit") && refused.stderr.contains("not in force in 2024"), "\(refused)")
            }
            #expect(try await Self.head(db) == before)

            // An admin appending directly with psql's rights.
            let admin = try await TestDatabase.loginRole("placeadmin", memberOf: ["ledger_admin"])
            let connection = try await db.connect(user: admin)
            let batch = """
                [{"stream_id": "budget-NQ12-HOUSING-2024-phuong-cai-khe", "expected_version": "no_stream", "events": [{"type": "BudgetAllocated",
                  "schema_version": 1, "payload": {"program": "NQ12-HOUSING", "fiscal_year": 2024, "district": "phuong-cai-khe",
                  "amount_vnd": 5000000, "reference": "QĐ 1"}}]}]
                """
            do {
                _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["direct-ward-2024", batch]) { try $0.string(0) }
                Issue.record("a 2024 budget for a ward of 2025 was appended")
            } catch let error as PostgresError {
                #expect(error.code.rawValue == "LR001", "\(error)")
                #expect(error.message.contains("phuong-cai-khe") && error.message.contains("is not in force in 2024"), "\(error)")
            }
            // An old district's budget after the merger, likewise.
            let late = batch.replacingOccurrences(of: "2024", with: "2026").replacingOccurrences(of: "phuong-cai-khe", with: "ninh-kieu")
            do {
                _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["direct-district-2026", late]) { try $0.string(0) }
                Issue.record("a 2026 budget for an old district was appended")
            } catch let error as PostgresError {
                #expect(error.code.rawValue == "LR001" && error.message.contains("is not in force in 2026"), "\(error)")
            }
            // A unit that is not a unit at all.
            let unknown = batch.replacingOccurrences(of: "phuong-cai-khe", with: "ha-noi")
            do {
                _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["direct-unknown", unknown]) { try $0.string(0) }
                Issue.record("a budget for an unknown unit was appended")
            } catch let error as PostgresError {
                #expect(error.message.contains("ha-noi is not a unit of the places loaded"), "\(error)")
            }
            await connection.close()
            #expect(try await Self.head(db) == before)
        }
    }

    @Test func anApplicationOnAnotherUnitsBudgetIsRefusedByTheDatabaseAndNamedByTheAudit() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Ô Môn",
                                    "--amount", "50000000", "--reference", "QĐ 1"])
            try await Self.run(db, ["beneficiary", "register", "--id", "HH-3", "--kind", "household", "--name", "Lê Văn C",
                                    "--unit", "phường Cái Khế", "--registered-on", "2025-08-01", "--category", "poor"])
            let officer = try await TestDatabase.loginRole("placeofficer", memberOf: ["ledger_officer"])
            let connection = try await db.connect(user: officer)
            let batch = """
                [{"stream_id": "application-A-9", "expected_version": "no_stream", "events": [{"type": "ApplicationSubmitted",
                  "schema_version": 2, "payload": {"application_id": "A-9", "beneficiary_id": "HH-3", "program": "NQ12-HOUSING",
                  "district": "o-mon", "fiscal_year": 2024, "requested_vnd": 5000000, "submitted_on": "2025-08-02"}}]}]
                """
            do {
                _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["direct-o-mon", batch]) { try $0.string(0) }
                Issue.record("an application drawing on another unit's budget was appended")
            } catch let error as PostgresError {
                #expect(error.code.rawValue == "LR001", "\(error)")
                #expect(error.message.contains("beneficiary HH-3 lives in ward Cái Khế") && error.message.contains("not of district Ô Môn"), "\(error)")
            }
            await connection.close()

            // One recorded before the rule (planted past the triggers) is named by `audit verify`.
            let planted = try await AuditReplayTests.plant(
                db, "application-A-9", "ApplicationSubmitted", schemaVersion: 2,
                #"{"application_id": "A-9", "beneficiary_id": "HH-3", "program": "NQ12-HOUSING", "district": "o-mon", "fiscal_year": 2024, "requested_vnd": 5000000, "submitted_on": "2025-08-02"}"#,
                commandID: "planted-o-mon"
            )
            let budget = try await AuditReplayTests.plant(
                db, "budget-NQ12-HOUSING-2024-phuong-cai-khe", "BudgetAllocated",
                #"{"program": "NQ12-HOUSING", "fiscal_year": 2024, "district": "phuong-cai-khe", "amount_vnd": 5000000, "reference": "QĐ 9"}"#,
                commandID: "planted-ward-2024"
            )
            let violations = try await AuditReplayTests.brokenRules(db)
            AuditReplayTests.expectNamed(violations, planted, "places", "application A-9")
            AuditReplayTests.expectNamed(violations, budget, "places", "not in force in 2024")
        }
    }

    @Test func aLedgerWithoutPlacesBehavesAsBefore() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db, places: false)
            let list = try await Self.run(db, ["place", "list", "--format", "csv"])
            #expect(list.stdout.split(separator: "\n").count == 10 && list.stdout.contains("ninh-kieu,district,Ninh Kiều"), "\(list)")
            #expect(list.stderr.contains("no places are loaded"), "\(list)")
            // The nine districts on any date, as README's command lines type them.
            try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2026", "--district", "Ninh Kiều",
                                    "--amount", "100.000.000", "--reference", "QĐ 1"])
            try await Self.run(db, ["beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "Nguyễn Văn A",
                                    "--district", "ninh kieu", "--category", "poor"])
            try await Self.run(db, ["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING",
                                    "--amount", "10000000", "--submitted-on", "2026-03-01"])
            #expect(try await Self.recordedUnit(db, "application-A-1") == "ninh-kieu")
            let ward = try await Self.run(db, ["beneficiary", "register", "--id", "HH-2", "--kind", "household", "--name", "X",
                                               "--district", "phường Cái Khế", "--category", "poor"], status: 64)
            #expect(ward.stderr.contains("--district") && ward.stderr.contains("not a district of Cần Thơ"), "\(ward)")
            let missing = try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--amount", "5",
                                                  "--reference", "x"], status: 64)
            #expect(missing.stderr.contains("--district"), "\(missing)")
            // The database too: a code that is not one of the nine is refused without places.
            let admin = try await TestDatabase.loginRole("oldadmin", memberOf: ["ledger_admin"])
            let connection = try await db.connect(user: admin)
            let batch = """
                [{"stream_id": "budget-NQ12-HOUSING-2026-phuong-cai-khe", "expected_version": "no_stream", "events": [{"type": "BudgetAllocated",
                  "schema_version": 1, "payload": {"program": "NQ12-HOUSING", "fiscal_year": 2026, "district": "phuong-cai-khe",
                  "amount_vnd": 5000000, "reference": "QĐ 1"}}]}]
                """
            do {
                _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["direct-no-places", batch]) { try $0.string(0) }
                Issue.record("a budget for a ward was appended to a ledger without places")
            } catch let error as PostgresError {
                #expect(error.message.contains("phuong-cai-khe is not a district code (no places are loaded"), "\(error)")
            }
            await connection.close()
            let verify = try await Self.run(db, ["audit", "verify"])
            #expect(verify.stdout.contains("all hold"), "\(verify)")
        }
    }

    @Test func loadingThePlacesAgainRecordsNothingAndAChangedUnitIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            try await withScratchFolder { folder in
                let file = folder.appendingPathComponent("places.json")
                let sample = try await Self.run(db, ["place", "sample"]).stdout
                try Data(sample.utf8).write(to: file)
                let before = try await Self.head(db)
                let again = try await Self.run(db, ["place", "load", file.path, "--format", "json"])
                #expect(try JSONDecoder().decode(DisbursementCommandTests.Outcome.self, from: Data(again.stdout.utf8)).eventsAppended == 0)
                // Another file with the same units (a different note): nothing to record either.
                try Data(sample.replacingOccurrences(of: "ILLUSTRATIVE.", with: "ILLUSTRATIVE (copy).").utf8).write(to: file)
                let same = try await Self.run(db, ["place", "load", file.path, "--format", "json"])
                #expect(try JSONDecoder().decode(DisbursementCommandTests.Outcome.self, from: Data(same.stdout.utf8)).eventsAppended == 0)
                try Data(sample.replacingOccurrences(of: #""name": "Tân An""#, with: #""name": "Tân An Mới""#).utf8).write(to: file)
                let changed = try await Self.run(db, ["place", "load", file.path], status: 1)
                #expect(changed.stderr.contains("phuong-tan-an is already defined"), "\(changed)")
                // Places are an admin's: an officer's new unit is refused by the database.
                let officer = try await TestDatabase.loginRole("placeloader", memberOf: ["ledger_officer"])
                try Data(#"{"units": [{"code": "phuong-moi", "name": "Mới", "kind": "ward", "valid_from": "2026-01-01"}]}"#.utf8).write(to: file)
                let denied = try await LedgerBinary.run(["place", "load", file.path], environment: childEnvironment(db, user: officer))
                #expect(denied.status != 0 && denied.stderr.contains("UnitDefined"), "\(denied)")
                #expect(try await Self.head(db) == before)
            }
            let on2024 = try await Self.run(db, ["place", "list", "--on", "2024-06-01", "--format", "json"])
            #expect(on2024.stdout.contains("\"ninh-kieu\"") && !on2024.stdout.contains("phuong-"), "\(on2024)")
            let on2026 = try await Self.run(db, ["place", "list", "--on", "2026-01-01"])
            #expect(on2026.stdout.contains("phường Cái Khế (illustrative)") && on2026.stdout.contains("quận Ninh Kiều, quận Bình Thủy")
                && !on2026.stdout.contains("quận Ninh Kiều  "), "\(on2026)")
        }
    }

    @Test func anAmendmentMovesTheBeneficiaryToAUnitInForceThenAndLaterApplicationsFollow() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            try await Self.run(db, ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2025", "--unit", "phường Ninh Kiều",
                                    "--amount", "60000000", "--reference", "QĐ 2"])
            try await Self.run(db, ["beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "Nguyễn Văn A",
                                    "--district", "Ninh Kiều", "--registered-on", "2024-02-01", "--category", "poor"])
            // Still recorded in the old district: for 2026 (after it was divided) the officer is asked which successor.
            let asked = try await Self.run(db, ["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING",
                                                "--amount", "5000000", "--submitted-on", "2026-01-02"], status: 64)
            #expect(asked.stderr.contains("phường Ninh Kiều") && asked.stderr.contains("--unit"), "\(asked)")
            // Moved (by name, on the amendment's date: the ward) — later applications draw on the ward's budget.
            try await Self.run(db, ["beneficiary", "amend", "--id", "HH-1", "--reason", "the 2025 merger", "--amended-on", "2025-07-15",
                                    "--unit", "ninh kieu"])
            try await Self.run(db, ["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING",
                                    "--amount", "5000000", "--submitted-on", "2025-08-02"])
            #expect(try await Self.recordedUnit(db, "application-A-1") == "phuong-ninh-kieu")
            // The statement names the units as people read them: registered in the district, now in the ward.
            let statement = try await Self.run(db, ["report", "beneficiary", "HH-1"])
            #expect(statement.stdout.contains("district:                phường Ninh Kiều")
                    && statement.stdout.contains("household, quận Ninh Kiều"), "\(statement)")
            // The database refuses a move into a unit not in force on the amendment's date.
            let officer = try await TestDatabase.loginRole("mover", memberOf: ["ledger_officer"])
            let connection = try await db.connect(user: officer)
            let batch = """
                [{"stream_id": "beneficiary-HH-1", "expected_version": "any", "events": [{"type": "BeneficiaryAmended", "schema_version": 1,
                  "payload": {"beneficiary_id": "HH-1", "reason": "back", "amended_on": "2026-01-05", "unit": "ninh-kieu"}}]}]
                """
            do {
                _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", ["direct-move", batch]) { try $0.string(0) }
                Issue.record("a move into an old district in 2026 was appended")
            } catch let error as PostgresError {
                #expect(error.code.rawValue == "LR001" && error.message.contains("is not in force on 2026-01-05"), "\(error)")
            }
            await connection.close()
            let verify = try await Self.run(db, ["audit", "verify"])
            #expect(verify.stdout.contains("all hold"), "\(verify)")
        }
    }
}
