import Foundation

/// A file of administrative units as an admin loads it (`ledger place load FILE`):
///
///     {"note": "…", "units": [{"code": "phuong-cai-khe", "name": "Cái Khế", "kind": "ward",
///       "valid_from": "2025-07-01", "valid_until": null, "came_from": ["ninh-kieu", "binh-thuy"],
///       "illustrative": true}, …]}
///
/// `valid_from` may be left out for a unit in force since before the ledger's dates (read as
/// 2000-01-01); `came_from` names units listed earlier in the file or loaded before.
public struct PlaceFile: Sendable, Equatable {
    public let units: [UnitDefined]

    public init(units: [UnitDefined]) { self.units = units }

    public init(parsing text: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw DomainError.invalidInput(field: "places", problem: "is not JSON: \(error.localizedDescription)")
        }
        guard let top = object as? [String: Any], let entries = top["units"] as? [Any] else {
            throw DomainError.invalidInput(field: "places", problem: "must be an object with a list \"units\" (`ledger place sample` prints one)")
        }
        if let unknown = top.keys.filter({ !["note", "units"].contains($0) }).sorted().first {
            throw DomainError.invalidInput(field: unknown, problem: "is not a key of a places file (note, units)")
        }
        guard !entries.isEmpty, entries.count <= 5_000 else {
            throw DomainError.invalidInput(field: "units", problem: "must list 1…5000 units, not \(entries.count)")
        }
        var units: [UnitDefined] = []
        var seen: Set<UnitCode> = []
        for (index, entry) in entries.enumerated() {
            let unit = try Self.unit(entry, path: "units[\(index)]")
            guard seen.insert(unit.code).inserted else {
                throw DomainError.invalidInput(field: "units[\(index)].code", problem: "\(unit.code.code) is listed twice")
            }
            units.append(unit)
        }
        self.units = units
    }

    static func unit(_ value: Any, path: String) throws -> UnitDefined {
        guard let object = value as? [String: Any] else {
            throw DomainError.invalidInput(field: path, problem: "must be an object")
        }
        let keys: Set<String> = ["code", "name", "kind", "valid_from", "valid_until", "came_from", "illustrative"]
        if let unknown = object.keys.filter({ !keys.contains($0) }).sorted().first {
            throw DomainError.invalidInput(field: "\(path).\(unknown)", problem: "is not a field of a unit (\(keys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String) throws -> String? {
            switch object[key] {
            case nil, is NSNull: return nil
            case let text as String: return text
            default: throw DomainError.invalidInput(field: "\(path).\(key)", problem: "must be a string")
            }
        }
        func required(_ key: String) throws -> String {
            guard let text = try string(key) else { throw DomainError.invalidInput(field: "\(path).\(key)", problem: "is missing") }
            return text
        }
        func code(_ text: String, field: String) throws -> UnitCode {
            guard let code = UnitCode(rawValue: text) else {
                throw DomainError.invalidInput(
                    field: field, problem: "\(text.debugDescription) is not a unit code (lower-case letters and digits in words joined by -, at most 64)"
                )
            }
            return code
        }
        func date(_ key: String) throws -> LocalDate? {
            guard let text = try string(key) else { return nil }
            let date = try LocalDate(parsing: text, field: "\(path).\(key)")
            guard (2000...2100).contains(date.year) else {
                throw DomainError.invalidInput(field: "\(path).\(key)", problem: "\(date) is outside 2000-01-01…2100-12-31")
            }
            return date
        }
        let unitCode = try code(try required("code"), field: "\(path).code")
        let name = try DomainText.validated(try required("name"), field: "\(path).name", maximumCharacters: 200)
        let kindText = try required("kind")
        guard let kind = UnitKind(rawValue: kindText) else {
            throw DomainError.invalidInput(field: "\(path).kind", problem: "\(kindText.debugDescription) is not district, ward or commune")
        }
        let from = try date("valid_from") ?? LocalDate.earliestUnitDate
        let until = try date("valid_until")
        if let until, until < from {
            throw DomainError.invalidInput(field: "\(path).valid_until", problem: "\(until) is before valid_from \(from)")
        }
        var cameFrom: [UnitCode] = []
        switch object["came_from"] {
        case nil, is NSNull: break
        case let list as [Any]:
            guard list.count <= 20 else { throw DomainError.invalidInput(field: "\(path).came_from", problem: "lists at most 20 units") }
            for (index, element) in list.enumerated() {
                guard let text = element as? String else {
                    throw DomainError.invalidInput(field: "\(path).came_from[\(index)]", problem: "must be a unit code")
                }
                cameFrom.append(try code(text, field: "\(path).came_from[\(index)]"))
            }
        default:
            throw DomainError.invalidInput(field: "\(path).came_from", problem: "must be a list of unit codes")
        }
        var illustrative = false
        switch object["illustrative"] {
        case nil, is NSNull: break
        case let flag as Bool: illustrative = flag
        default: throw DomainError.invalidInput(field: "\(path).illustrative", problem: "must be true or false")
        }
        return UnitDefined(code: unitCode, name: name, kind: kind, validFrom: from, validUntil: until, cameFrom: cameFrom,
                           illustrative: illustrative)
    }
}
