import Foundation

/// Names as `ledger beneficiary search --name` compares them: lower case, without diacritics
/// (`Nguyễn Văn An` → `nguyen van an`; đ → d), every run of spaces, tabs, hyphens or other
/// separators as one space, trimmed. Letters without a decomposition (CJK, Khmer, …) stay as they
/// are. The `beneficiaries` read model stores each name folded this way (`name_folded`); the
/// search text is folded the same way, here, so both sides always agree.
public enum NameFolding {
    public static func fold(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        var pendingSpace = false
        func take(_ step: Step) {
            switch step {
            case .letter(let letter):
                if pendingSpace, !output.isEmpty { output.append(" ") }
                pendingSpace = false
                output.append(letter)
            case .separator:
                pendingSpace = true
            }
        }
        // Canonical decomposition works scalar by scalar (NFD only reorders the combining marks
        // it produces, and marks are dropped), so each scalar's steps can be looked up: ASCII
        // directly, the Latin and Vietnamese letters below U+2000 in a table made once, the rest
        // (CJK, Khmer, …) decomposed as they come.
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                switch UInt8(value) {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): take(.letter(Unicode.Scalar(UInt8(value) + 0x20)))
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): take(.letter(scalar))
                default: take(.separator)
                }
            } else if value < tableEnd {
                for step in table[Int(value) - 0x80] { take(step) }
            } else {
                for step in steps(of: scalar) { take(step) }
            }
        }
        return String(output)
    }

    /// What one scalar contributes to a folded name.
    enum Step: Sendable {
        /// A lower-case letter or digit without its diacritics.
        case letter(Unicode.Scalar)
        /// A space, punctuation, symbol or control: it separates words.
        case separator
    }

    /// The steps of one scalar: its canonical decomposition without the combining marks (the
    /// diacritics), letters and digits lower-cased, đ as d, anything else a separator.
    static func steps(of scalar: Unicode.Scalar) -> [Step] {
        var steps: [Step] = []
        for part in String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars {
            switch part {
            case "đ", "Đ":
                steps.append(.letter("d"))
            default:
                let properties = part.properties
                if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark
                    || properties.generalCategory == .spacingMark {
                    continue  // the diacritics NFD separated from their letters
                }
                if properties.isAlphabetic || properties.numericType != nil {
                    for lower in String(part).lowercased().decomposedStringWithCanonicalMapping.unicodeScalars
                        where lower.properties.generalCategory != .nonspacingMark {
                        steps.append(.letter(lower))
                    }
                } else {
                    steps.append(.separator)  // spaces, punctuation, symbols and controls separate words
                }
            }
        }
        return steps
    }

    private static let tableEnd: UInt32 = 0x2000
    /// `steps(of:)` of U+0080 … U+1FFF (Latin-1, the Latin extensions, Greek, Cyrillic, and
    /// U+1E00 … U+1EFF, where the precomposed Vietnamese letters are).
    private static let table: [[Step]] = (UInt32(0x80)..<tableEnd).map { Unicode.Scalar($0).map(steps(of:)) ?? [] }
}
