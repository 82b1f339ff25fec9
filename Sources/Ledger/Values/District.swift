import Foundation

/// The nine districts of Cần Thơ before its 2025 merger. Budgets are allocated per programme,
/// fiscal year and district. Stored in events by `code`; shown by `name`.
public enum District: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case ninhKieu = "ninh-kieu"
    case binhThuy = "binh-thuy"
    case caiRang = "cai-rang"
    case oMon = "o-mon"
    case thotNot = "thot-not"
    case phongDien = "phong-dien"
    case coDo = "co-do"
    case thoiLai = "thoi-lai"
    case vinhThanh = "vinh-thanh"

    /// The canonical ASCII form, used in events and stream ids (e.g. `ninh-kieu`).
    public var code: String { rawValue }

    /// The Vietnamese name, e.g. `Ninh Kiều`.
    public var name: String {
        switch self {
        case .ninhKieu: "Ninh Kiều"
        case .binhThuy: "Bình Thủy"
        case .caiRang: "Cái Răng"
        case .oMon: "Ô Môn"
        case .thotNot: "Thốt Nốt"
        case .phongDien: "Phong Điền"
        case .coDo: "Cờ Đỏ"
        case .thoiLai: "Thới Lai"
        case .vinhThanh: "Vĩnh Thạnh"
        }
    }

    /// Urban districts are quận; rural districts are huyện.
    public var isRural: Bool {
        switch self {
        case .phongDien, .coDo, .thoiLai, .vinhThanh: true
        default: false
        }
    }

    public var description: String { name }

    /// Accepts a name with or without diacritics, in any case, with spaces, hyphens or
    /// underscores, and with or without `quận`/`huyện`: `Ninh Kiều`, `ninh kieu`, `NINH-KIEU`,
    /// `Quận Ninh Kiều`.
    public init(parsing text: String, field: String = "district") throws {
        var key = Self.foldedKey(text)
        for prefix in ["quan-", "huyen-", "q-", "h-"] where key.hasPrefix(prefix) {
            key.removeFirst(prefix.count)
        }
        guard let district = District(rawValue: key) else {
            throw DomainError.invalidInput(
                field: field,
                problem: "\(text.debugDescription) is not a district of Cần Thơ (one of: \(District.allCases.map(\.name).joined(separator: ", ")))"
            )
        }
        self = district
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
