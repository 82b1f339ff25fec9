import Foundation

/// The administrative units a ledger knows (`UnitDefined` events), and how names resolve to
/// them on a date. Empty for a ledger with no places loaded: then the nine districts of Cần Thơ
/// are the units, in force on every date, exactly as before places were data.
public struct PlaceCatalog: Sendable, Equatable {
    /// By code.
    public private(set) var units: [UnitCode: UnitDefined] = [:]

    public init(units: [UnitDefined] = []) {
        for unit in units { self.units[unit.code] = unit }
    }

    /// No places loaded: the nine old districts, on any date.
    public var isEmpty: Bool { units.isEmpty }

    public mutating func add(_ unit: UnitDefined) { units[unit.code] = unit }

    public func unit(_ code: UnitCode) -> UnitDefined? { units[code] }

    /// In force on `date` (every unit when `date` is nil), in code order.
    public func all(on date: LocalDate? = nil) -> [UnitDefined] {
        units.values.filter { unit in date.map(unit.isValid(on:)) ?? true }.sorted { $0.code < $1.code }
    }

    /// The units made from `code` (that list it in came_from), in code order.
    public func successors(of code: UnitCode) -> [UnitDefined] {
        units.values.filter { $0.predecessors.contains(code) }.sorted { $0.code < $1.code }
    }

    /// `phường Cái Khế`, or an old district's `quận Ninh Kiều` with no places loaded, or the code.
    public func title(of code: UnitCode) -> String {
        if let unit = units[code] { return unit.title }
        return code.isLegacyDistrict ? (code.isRural ? "huyện " : "quận ") + code.name : code.code
    }

    /// The name without its kind (`Cái Khế`), or the code of an unknown unit.
    public func name(of code: UnitCode) -> String { units[code]?.name ?? code.name }

    /// `phường Cái Khế (phuong-cai-khe, 2025-07-01…)`.
    public func label(of code: UnitCode) -> String { units[code]?.label ?? title(of: code) + " (\(code.code))" }

    // MARK: Names

    /// The business time that decides which unit a name means.
    public enum When: Sendable, Equatable {
        /// In force on this day (a registration, an amendment).
        case on(LocalDate)
        /// In force on some day of this fiscal year (a budget, an application's budget).
        case inYear(Int)
        /// Any unit of that name (a filter).
        case any

        func admits(_ unit: UnitDefined) -> Bool {
            switch self {
            case .on(let date): unit.isValid(on: date)
            case .inYear(let year): unit.isValid(inYear: year)
            case .any: true
            }
        }

        var text: String {
            switch self {
            case .on(let date): "on \(date)"
            case .inYear(let year): "in \(year)"
            case .any: "at any time"
            }
        }
    }

    /// The units `text` names, regardless of dates: by name (with or without diacritics and a
    /// leading quận/huyện/phường/xã, which also restricts the kind), else by code.
    public func named(_ text: String) -> [UnitDefined] {
        let key = UnitCode.foldedKey(text)
        var kinds: Set<UnitKind> = Set(UnitKind.allCases)
        var bare = key
        for (prefix, kind) in Self.prefixes where key.hasPrefix(prefix) && key.count > prefix.count {
            bare = String(key.dropFirst(prefix.count))
            kinds = [kind]
            break
        }
        let byName = units.values.filter { kinds.contains($0.kind) && UnitCode.foldedKey($0.name) == bare }
        if !byName.isEmpty { return byName.sorted { $0.code < $1.code } }
        if let code = UnitCode(rawValue: key), let unit = units[code] { return [unit] }
        return []
    }

    private static let prefixes: [(String, UnitKind)] = [
        ("quan-", .district), ("huyen-", .district), ("q-", .district), ("h-", .district),
        ("phuong-", .ward), ("p-", .ward), ("xa-", .commune),
    ]

    /// The single unit `text` names in force `when`. With no places loaded, one of the nine
    /// districts (any date). Refused, naming the field, when no unit has that name or code,
    /// when none of that name was in force then (listing them), or when several were (listing
    /// them: name it with its kind, or its code).
    public func resolve(_ text: String, when: When, field: String) throws -> UnitCode {
        if isEmpty { return try UnitCode(parsing: text, field: field) }
        let named = named(text)
        guard !named.isEmpty else {
            throw DomainError.invalidInput(
                field: field,
                problem: suggestedName(for: text).map {
                    Message("{0} is not a unit of the places loaded; did you mean {1}? (`ledger place list` shows them)", .text(text.debugDescription), .text($0))
                } ?? Message("{0} is not a unit of the places loaded (`ledger place list` shows them)", .text(text.debugDescription))
            )
        }
        let inForce = named.filter(when.admits)
        switch inForce.count {
        case 1:
            return inForce[0].code
        case 0:
            throw DomainError.invalidInput(
                field: field,
                problem: "\(text.debugDescription) names \(Self.list(named)), not in force \(when.text)"
            )
        default:
            throw DomainError.invalidInput(
                field: field,
                problem: "\(text.debugDescription) names several units in force \(when.text): \(Self.list(inForce)); "
                    + "name one with its kind (quận, huyện, phường, xã) or its code"
            )
        }
    }

    /// The codes a filter `text` means: every unit of that name or code (in force in `year`
    /// when given); with no places loaded, the one old district.
    public func filter(_ text: String, year: Int? = nil, field: String) throws -> Set<UnitCode> {
        if isEmpty { return [try UnitCode(parsing: text, field: field)] }
        let named = named(text).filter { unit in year.map(unit.isValid(inYear:)) ?? true }
        guard !named.isEmpty else {
            _ = try resolve(text, when: year.map(When.inYear) ?? .any, field: field)  // throws the message
            return []
        }
        return Set(named.map(\.code))
    }

    /// `; did you mean Ninh Kiều?`: the unit name nearest to `text` (diacritics and case aside), or "".
    func suggestion(for text: String) -> String {
        suggestedName(for: text).map { "; did you mean \($0)?" } ?? ""
    }

    /// The name of the unit nearest to `text`, if one is near.
    func suggestedName(for text: String) -> String? {
        var names: [String: String] = [:]
        for unit in units.values { names[UnitCode.foldedKey(unit.name)] = unit.name }
        guard let key = Suggestion.closest(to: UnitCode.foldedKey(text), among: Array(names.keys)) else { return nil }
        return names[key]
    }

    static func list(_ units: [UnitDefined]) -> String {
        units.map(\.label).joined(separator: ", ")
    }

    // MARK: The rules

    /// Why a budget of fiscal year `year` cannot be for `code`, or nil: with places loaded, a
    /// budget is for a unit in force on some day of its year; without, for one of the nine districts.
    public func budgetProblem(_ code: UnitCode, year: Int) -> String? {
        if isEmpty { return code.isLegacyDistrict ? nil : "\(code.code) is not a district code (no places are loaded)" }
        guard let unit = units[code] else { return "\(code.code) is not a unit of the places loaded" }
        return unit.isValid(inYear: year) ? nil : "a budget is for a unit in force in its fiscal year; \(unit.label) is not in force in \(year)"
    }

    /// Why someone cannot live in `code` from `date` (registered or moved then), or nil.
    public func residenceProblem(_ code: UnitCode, on date: LocalDate?) -> String? {
        if isEmpty { return code.isLegacyDistrict ? nil : "\(code.code) is not a district code (no places are loaded)" }
        guard let unit = units[code] else { return "\(code.code) is not a unit of the places loaded" }
        guard let date, !unit.isValid(on: date) else { return nil }
        return "\(unit.label) is not in force on \(date)"
    }

    /// The units whose budget of fiscal year `year` someone living in `home` draws on: `home`
    /// when in force that year; else the units it came from in force that year; else (someone
    /// still recorded in a unit that ended) the units made from it in force that year. With no
    /// places loaded, `home`.
    public func budgetUnits(home: UnitCode, year: Int) -> [UnitCode] {
        guard let unit = units[home] else { return isEmpty ? [home] : [] }
        if unit.isValid(inYear: year) { return [home] }
        let from = unit.predecessors.filter { units[$0]?.isValid(inYear: year) == true }.sorted()
        if !from.isEmpty { return from }
        return successors(of: home).filter { $0.isValid(inYear: year) }.map(\.code)
    }

    /// The unit whose budget an application of `beneficiary` (living in `home`) for fiscal year
    /// `year` draws on; `named` (the officer's `--unit`) chooses when there are several and
    /// must be one of them.
    public func budgetUnit(home: UnitCode, year: Int, named: UnitCode?, beneficiary: String, field: String = "--unit") throws -> UnitCode {
        let candidates = budgetUnits(home: home, year: year)
        if let named {
            guard candidates.contains(named) else {
                let options = candidates.isEmpty ? "none" : candidates.map { label(of: $0) }.joined(separator: " or ")
                throw DomainError.invalidInput(
                    field: field,
                    problem: "beneficiary \(beneficiary) lives in \(label(of: home)); in fiscal year \(year) an application "
                        + "draws on the budget of \(options), not of \(label(of: named))"
                )
            }
            return named
        }
        switch candidates.count {
        case 1:
            return candidates[0]
        case 0:
            throw DomainError.invalidInput(
                field: "year",
                problem: "beneficiary \(beneficiary) lives in \(label(of: home)); neither it nor a unit it came from "
                    + "was in force in fiscal year \(year), so there is no budget to draw on"
            )
        default:
            let relation = units[home].map { $0.predecessors.contains(candidates[0]) } == true ? "came from" : "was divided into"
            throw DomainError.invalidInput(
                field: field,
                problem: "beneficiary \(beneficiary) lives in \(label(of: home)), not in force in fiscal year \(year); it \(relation) "
                    + "several units in force then: \(candidates.map { label(of: $0) }.joined(separator: ", ")); "
                    + "name the one whose budget it draws on with --unit"
            )
        }
    }

    /// Why `submission` may not draw on the budget of its unit (`district`), the beneficiary
    /// living in `home` (nil when unknown), or nil. With no places loaded, any of the nine districts.
    public func applicationProblem(_ submission: ApplicationSubmitted, home: UnitCode?) -> String? {
        let unit = submission.district
        if isEmpty { return unit.isLegacyDistrict ? nil : "\(unit.code) is not a district code (no places are loaded)" }
        guard units[unit] != nil else { return "\(unit.code) is not a unit of the places loaded" }
        guard let home else { return nil }
        let candidates = budgetUnits(home: home, year: submission.fiscalYear)
        guard !candidates.contains(unit) else { return nil }
        let options = candidates.isEmpty ? "no unit (none of its units was in force then)" : candidates.map { label(of: $0) }.joined(separator: " or ")
        return "beneficiary \(submission.beneficiaryID) lives in \(label(of: home)); in fiscal year \(submission.fiscalYear) an application "
            + "draws on the budget of \(options), not of \(label(of: unit))"
    }

    /// Why `unit` cannot be defined after the units already known, or nil: defined once (the
    /// same definition again is nothing to do), until not before from, came_from naming other
    /// units defined before it, each once.
    public func definitionProblem(_ unit: UnitDefined) -> String? {
        if let existing = units[unit.code], existing != unit {
            return "unit \(unit.code.code) is already defined (\(existing.label)); a unit is defined once — "
                + "give a changed unit a new code"
        }
        if let until = unit.validUntil, until < unit.validFrom { return "unit \(unit.code.code): valid_until is before valid_from" }
        if unit.predecessors.contains(unit.code) { return "unit \(unit.code.code) cannot come from itself" }
        if Set(unit.predecessors).count != unit.predecessors.count { return "unit \(unit.code.code): came_from names a unit twice" }
        if let unknown = unit.predecessors.first(where: { units[$0] == nil }) {
            return "unit \(unit.code.code): came_from \(unknown.code) is not a unit defined before it"
        }
        return nil
    }
}
