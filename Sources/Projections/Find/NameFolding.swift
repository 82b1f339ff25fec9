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
        func appendLetter(_ scalar: Unicode.Scalar) {
            if pendingSpace, !output.isEmpty { output.append(" ") }
            pendingSpace = false
            output.append(scalar)
        }
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar {
            case "đ", "Đ":
                appendLetter("d")
            default:
                let properties = scalar.properties
                if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark
                    || properties.generalCategory == .spacingMark {
                    continue  // the diacritics NFD separated from their letters
                }
                if properties.isAlphabetic || properties.numericType != nil {
                    for lower in String(scalar).lowercased().decomposedStringWithCanonicalMapping.unicodeScalars
                        where lower.properties.generalCategory != .nonspacingMark {
                        appendLetter(lower)
                    }
                } else {
                    pendingSpace = true  // spaces, punctuation, symbols and controls separate words
                }
            }
        }
        return String(output)
    }
}
