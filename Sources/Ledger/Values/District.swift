import Foundation

/// The code of an administrative unit (`ninh-kieu`, `phuong-cai-khe`): how events name a place.
/// Stored in events by `code` (the field keeps its old name, `district`).
///
/// Places are data (`ledger place load`, `Sources/Ledger/Places`): a unit's name, kind and
/// validity dates come from its `UnitDefined` event. The nine districts of Cần Thơ before its
/// 2025 merger are the units a ledger knows when no places are loaded; they keep their codes
/// and names here (`District.allCases`), so a ledger without places behaves as it always did.
public struct UnitCode: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible, CaseIterable {
    public let rawValue: String

    /// A code of the right form: lower-case ASCII letters and digits in words joined by single
    /// hyphens, at most 64 characters (the database's field kind `district` checks the same).
    public init?(rawValue: String) {
        guard Self.isCode(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { rawValue = known }

    public static let ninhKieu = UnitCode(known: "ninh-kieu")
    public static let binhThuy = UnitCode(known: "binh-thuy")
    public static let caiRang = UnitCode(known: "cai-rang")
    public static let oMon = UnitCode(known: "o-mon")
    public static let thotNot = UnitCode(known: "thot-not")
    public static let phongDien = UnitCode(known: "phong-dien")
    public static let coDo = UnitCode(known: "co-do")
    public static let thoiLai = UnitCode(known: "thoi-lai")
    public static let vinhThanh = UnitCode(known: "vinh-thanh")

    /// The nine districts of Cần Thơ before 1 July 2025 (the units of a ledger with no places loaded).
    public static let allCases: [UnitCode] = [.ninhKieu, .binhThuy, .caiRang, .oMon, .thotNot, .phongDien, .coDo, .thoiLai, .vinhThanh]

    /// The canonical ASCII form, used in events and stream ids (e.g. `ninh-kieu`).
    public var code: String { rawValue }

    /// Whether this is one of the nine old districts.
    public var isLegacyDistrict: Bool { Self.legacyNames[rawValue] != nil }

    /// The Vietnamese name of one of the nine districts (e.g. `Ninh Kiều`); for another unit its
    /// code (its name is in the places loaded: `PlaceCatalog.name(of:)`).
    public var name: String { Self.legacyNames[rawValue] ?? rawValue }

    private static let legacyNames: [String: String] = [
        "ninh-kieu": "Ninh Kiều", "binh-thuy": "Bình Thủy", "cai-rang": "Cái Răng", "o-mon": "Ô Môn",
        "thot-not": "Thốt Nốt", "phong-dien": "Phong Điền", "co-do": "Cờ Đỏ", "thoi-lai": "Thới Lai",
        "vinh-thanh": "Vĩnh Thạnh",
    ]

    /// Urban districts are quận; rural districts are huyện.
    public var isRural: Bool {
        [UnitCode.phongDien, .coDo, .thoiLai, .vinhThanh].contains(self)
    }

    public var description: String { name }

    public static func < (lhs: UnitCode, rhs: UnitCode) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = UnitCode(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(text.debugDescription) is not a unit code"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// One of the nine districts by name, as before places were data: with or without
    /// diacritics, in any case, with spaces, hyphens or underscores, and with or without
    /// `quận`/`huyện`: `Ninh Kiều`, `ninh kieu`, `NINH-KIEU`, `Quận Ninh Kiều`. With places
    /// loaded, names resolve through `PlaceCatalog.resolve`.
    public init(parsing text: String, field: String = "district") throws {
        var key = Self.foldedKey(text)
        for prefix in ["quan-", "huyen-", "q-", "h-"] where key.hasPrefix(prefix) {
            key.removeFirst(prefix.count)
        }
        guard Self.legacyNames[key] != nil, let district = UnitCode(rawValue: key) else {
            throw DomainError.invalidInput(
                field: field,
                problem: Message(
                    "{0} is not a district of Cần Thơ (one of: {1})", .text(text.debugDescription),
                    .text(Self.allCases.map(\.name).joined(separator: ", "))
                )
            )
        }
        self = district
    }

    /// Whether `text` has the form of a unit code.
    public static func isCode(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 64, bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        var previousHyphen = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): previousHyphen = false
            case UInt8(ascii: "-"):
                if previousHyphen { return false }
                previousHyphen = true
            default: return false
            }
        }
        return true
    }

    /// Lowercase ASCII with diacritics removed (đ → d) and runs of spaces, hyphens and
    /// underscores as one hyphen.
    static func foldedKey(_ text: String) -> String {
        var output = ""
        var pendingHyphen = false
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar == "đ" || scalar == "Đ" {
                if pendingHyphen, !output.isEmpty { output += "-" }
                pendingHyphen = false
                output += "d"
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                guard scalar.isASCII else { continue }  // combining marks and other non-ASCII are dropped
                if pendingHyphen, !output.isEmpty { output += "-" }
                pendingHyphen = false
                output.unicodeScalars.append(scalar)
            } else if scalar == " " || scalar == "-" || scalar == "_" || scalar == "." {
                pendingHyphen = true
            }
        }
        return output
    }
}

/// The old name of a unit code, kept while the code moves from districts to units.
public typealias District = UnitCode
