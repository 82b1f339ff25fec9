import Foundation
import Postgres

extension LedgerService {
    // MARK: Places

    struct LoadPlacesCommand: Codable, Sendable {
        let places: String
    }

    /// Loads a places file (admin): defines every unit not defined yet; the same file again
    /// records nothing; a unit already defined differently is refused.
    public func loadPlaces(_ text: String, commandID: String? = nil) async throws -> CommandOutcome {
        let file = try PlaceFile(parsing: text)
        return try await run("load-places", LoadPlacesCommand(places: text), commandID: commandID) {
            try PlaceDecisions.load(file: file, known: try await places())
        }
    }

    /// The units defined, as the append keeps them in `ledger.units` (one query; empty when no
    /// places are loaded).
    public func places() async throws -> PlaceCatalog {
        let rows = try await connection.query(
            """
            SELECT code, name, kind, valid_from::text, valid_until::text, array_to_string(came_from, ','), illustrative
            FROM ledger.units ORDER BY position
            """
        ) { row in
            (try row.string(0), try row.string(1), try row.string(2), try row.string(3), try row.optionalString(4),
             try row.string(5), try row.bool(6))
        }
        var units: [UnitDefined] = []
        for (code, name, kind, from, until, cameFrom, illustrative) in rows {
            guard let unitCode = UnitCode(rawValue: code), let unitKind = UnitKind(rawValue: kind) else {
                throw DomainError(.invalidInput, "ledger.units holds a unit the code cannot read: \(code) (\(kind))")
            }
            units.append(UnitDefined(
                code: unitCode, name: name, kind: unitKind, validFrom: try LocalDate(parsing: from, field: "valid_from"),
                validUntil: try until.map { try LocalDate(parsing: $0, field: "valid_until") },
                cameFrom: cameFrom.split(separator: ",").compactMap { UnitCode(rawValue: String($0)) }, illustrative: illustrative
            ))
        }
        return PlaceCatalog(units: units)
    }

    /// The unit `text` (a `--unit`/`--district` option: a name with or without diacritics and
    /// quận/huyện/phường/xã, or a code) names `when` (see `PlaceCatalog.resolve`).
    public func resolveUnit(_ text: String, when: PlaceCatalog.When, field: String = "--unit") async throws -> UnitCode {
        try await places().resolve(text, when: when, field: field)
    }

    /// The units a filter option `text` means (every unit of that name or code; in force in
    /// `year` when given).
    public func unitFilter(_ text: String, year: Int? = nil, field: String = "--unit") async throws -> Set<UnitCode> {
        try await places().filter(text, year: year, field: field)
    }

    /// The unit whose budget of fiscal year `year` an application of `beneficiary` draws on
    /// (`PlaceCatalog.budgetUnit`); nil (the beneficiary's own) when no places are loaded and
    /// no `--unit` was given, or the beneficiary or year is unknown (the decision refuses those).
    func applicationBudgetUnit(beneficiary: BeneficiaryState, year: Int, unit: String?, places: PlaceCatalog) throws -> UnitCode? {
        guard let home = beneficiary.district, DomainLimits.fiscalYears.contains(year) else { return nil }
        if places.isEmpty, unit == nil { return nil }
        var named: UnitCode?
        if let unit {
            // A name among the units it may draw on first (`Ninh Kiều` for phường Cái Khế in 2024), else any unit then.
            let candidates = places.budgetUnits(home: home, year: year)
            let matching = places.isEmpty ? [] : places.named(unit).map(\.code).filter(candidates.contains)
            named = matching.count == 1 ? matching[0] : try places.resolve(unit, when: .inYear(year), field: "--unit")
        }
        return try places.budgetUnit(home: home, year: year, named: named, beneficiary: beneficiary.id)
    }
}
