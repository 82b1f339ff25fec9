import Foundation
import TestSupport
import Testing

/// A report or list filtered by an unknown programme or unit is an error naming the flag (with
/// "did you mean …"), exit 64 and nothing on stdout — not an empty table. Programme codes match
/// regardless of case; a known programme with no rows is still an empty table.
@Suite(.enabled(if: TestDatabase.enabled))
struct ReportFilterTests {
    /// Every command that filters by programme.
    static let programFilters: [[String]] = [
        ["report", "budget"], ["replay", "--until-position", "10"], ["application", "list"],
    ]
    /// Every command that filters by unit (`--unit`, alias `--district`).
    static let unitFilters: [[String]] = [
        ["report", "budget"], ["replay", "--until-position", "10"], ["application", "list"], ["beneficiary", "search"],
    ]

    @Test func anUnknownProgrammeIsRefusedWithASuggestionOnEveryCommand() async throws {
        try await TestDatabase.withFresh { db in
            try await PlaceCommandTests.prepared(db)
            for command in Self.programFilters {
                let typo = try await LedgerBinary.run(command + ["--program", "NQ12-HOUSNG"], environment: childEnvironment(db))
                #expect(typo.status == 64, "\(command): \(typo)")
                #expect(typo.stderr.contains("--program") && typo.stderr.contains("unknown programme \"NQ12-HOUSNG\"")
                        && typo.stderr.contains("did you mean NQ12-HOUSING?"), "\(command): \(typo)")
                #expect(typo.stdout.isEmpty, "\(command): \(typo)")

                let nope = try await LedgerBinary.run(command + ["--program", "NOPE"], environment: childEnvironment(db))
                #expect(nope.status == 64 && nope.stderr.contains("--program") && nope.stderr.contains("unknown programme \"NOPE\""), "\(command): \(nope)")
                #expect(nope.stdout.isEmpty, "\(command): \(nope)")

                // A known programme with nothing recorded: an empty table, exit 0.
                let known = try await LedgerBinary.run(command + ["--program", "NQ12-WATER"], environment: childEnvironment(db))
                #expect(known.status == 0, "\(command): \(known)")
            }
        }
    }

    @Test func programmeCodesMatchRegardlessOfCase() async throws {
        try await TestDatabase.withFresh { db in
            try await DisbursementCommandTests.prepared(db)
            #expect(try await LedgerBinary.run(["projections", "run"], environment: childEnvironment(db)).status == 0)
            let budget = try await LedgerBinary.run(["report", "budget", "--program", "nq12-housing", "--format", "csv"], environment: childEnvironment(db))
            #expect(budget.status == 0 && budget.stdout.contains("NQ12-HOUSING"), "\(budget)")
            let replay = try await LedgerBinary.run(["replay", "--until-position", String(try await DisbursementCommandTests.head(db)), "--program", "Nq12-Housing", "--format", "csv"], environment: childEnvironment(db))
            #expect(replay.status == 0 && replay.stdout.contains("NQ12-HOUSING"), "\(replay)")
            let list = try await LedgerBinary.run(["application", "list", "--program", "nq12-housing", "--format", "csv"], environment: childEnvironment(db))
            #expect(list.status == 0 && list.stdout.contains("A-1"), "\(list)")
        }
    }

    @Test func anUnknownUnitIsRefusedNamingTheFlagOnEveryCommand() async throws {
        try await TestDatabase.withFresh { db in
            try await PlaceCommandTests.prepared(db)
            for command in Self.unitFilters {
                for flag in ["--unit", "--district"] {
                    let typo = try await LedgerBinary.run(command + [flag, "Ninh Kieuu"], environment: childEnvironment(db))
                    #expect(typo.status == 64, "\(command) \(flag): \(typo)")
                    #expect(typo.stderr.contains(flag) && typo.stderr.contains("is not a unit") && typo.stderr.contains("did you mean Ninh Kiều?"),
                            "\(command) \(flag): \(typo)")
                    #expect(typo.stdout.isEmpty, "\(command) \(flag): \(typo)")
                }
                let nowhere = try await LedgerBinary.run(command + ["--unit", "Atlantis"], environment: childEnvironment(db))
                #expect(nowhere.status == 64 && nowhere.stderr.contains("--unit") && nowhere.stderr.contains("\"Atlantis\" is not a unit"),
                        "\(command): \(nowhere)")
                #expect(nowhere.stdout.isEmpty, "\(command): \(nowhere)")
            }
        }
    }

    @Test func withoutPlacesAnUnknownDistrictIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            try await PlaceCommandTests.prepared(db, places: false)
            for command in Self.unitFilters {
                let run = try await LedgerBinary.run(command + ["--district", "Atlantis"], environment: childEnvironment(db))
                #expect(run.status == 64 && run.stderr.contains("--district") && run.stderr.contains("not a district"), "\(command): \(run)")
                #expect(run.stdout.isEmpty, "\(command): \(run)")
            }
        }
    }
}
