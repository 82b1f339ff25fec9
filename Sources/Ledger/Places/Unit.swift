import Foundation

/// What kind of administrative unit: a district (quận/huyện, until 30 June 2025), a ward
/// (phường) or a commune (xã).
public enum UnitKind: String, Sendable, Codable, CaseIterable {
    case district, ward, commune

    /// The Vietnamese word before the name, as people write it (`phường Cái Khế`).
    public func prefix(rural: Bool) -> String {
        switch self {
        case .district: rural ? "huyện" : "quận"
        case .ward: "phường"
        case .commune: "xã"
        }
    }
}

/// An administrative unit as an admin loads it (`ledger place load`), stream `unit-{code}`.
/// A unit is defined once; its validity dates say when it was in force.
public struct UnitDefined: Sendable, Codable, Equatable {
    public let code: UnitCode
    /// The name without its kind (`Ninh Kiều`).
    public let name: String
    public let kind: UnitKind
    public let validFrom: LocalDate
    /// The last day in force; nil while in force.
    public let validUntil: LocalDate?
    /// The units it was made from (codes of units defined before it); nil when none.
    public let cameFrom: [UnitCode]?
    /// True when the unit is a sample, not the official list's.
    public let illustrative: Bool?

    public init(code: UnitCode, name: String, kind: UnitKind, validFrom: LocalDate, validUntil: LocalDate?, cameFrom: [UnitCode]?,
                illustrative: Bool? = nil) {
        self.code = code; self.name = name; self.kind = kind; self.validFrom = validFrom; self.validUntil = validUntil
        self.cameFrom = cameFrom?.isEmpty == true ? nil : cameFrom
        self.illustrative = illustrative == true ? true : nil
    }

    enum CodingKeys: String, CodingKey {
        case code, name, kind, validFrom = "valid_from", validUntil = "valid_until", cameFrom = "came_from", illustrative
    }

    /// The units it came from (empty when none).
    public var predecessors: [UnitCode] { cameFrom ?? [] }

    public var isIllustrative: Bool { illustrative == true }

    /// Whether in force on `date`.
    public func isValid(on date: LocalDate) -> Bool {
        validFrom <= date && (validUntil.map { date <= $0 } ?? true)
    }

    /// Whether in force on some day of fiscal year `year`.
    public func isValid(inYear year: Int) -> Bool {
        validFrom.year <= year && (validUntil.map { $0.year >= year } ?? true)
    }

    /// `quận Ninh Kiều`, `phường Cái Khế`.
    public var title: String { kind.prefix(rural: code.isRural) + " " + name }

    /// `2025-07-01…` or `…2025-06-30` or `2024-01-01…2025-06-30`: when in force.
    public var validity: String {
        (validFrom == LocalDate.earliestUnitDate ? "" : validFrom.description) + "…" + (validUntil?.description ?? "")
    }

    /// `phường Cái Khế (phuong-cai-khe, 2025-07-01…)`: a unit named in a message.
    public var label: String { "\(title) (\(code.code), \(validity))" }
}

extension LocalDate {
    /// The valid_from of units in force since before the ledger's dates (the old districts in the sample).
    static let earliestUnitDate = LocalDate(year: 2000, month: 1, day: 1)!
}

extension BeneficiaryRegistered {
    /// The same registration with another business date.
    func registered(on date: LocalDate?) -> BeneficiaryRegistered {
        BeneficiaryRegistered(beneficiaryID: beneficiaryID, kind: kind, name: name, district: district, categories: categories,
                              bankAccount: bankAccount, nationalIDFingerprint: nationalIDFingerprint, registeredOn: date)
    }
}
