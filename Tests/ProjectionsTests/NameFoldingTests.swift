import Foundation
import Projections
import Testing

/// `NameFolding`: what `ledger beneficiary search --name` compares (pure, no database).
struct NameFoldingTests {
    @Test(arguments: [
        ("Nguyễn Văn An", "nguyen van an"),
        ("NGUYỄN VĂN AN", "nguyen van an"),
        ("nguyen van an", "nguyen van an"),
        ("Đỗ Thị Đào", "do thi dao"),
        ("  Trần   Thị\tLan  ", "tran thi lan"),
        ("Lê-Văn_Bình", "le van binh"),
        ("Hồ Thị Hoà", "ho thi hoa"),
        // Precomposed and decomposed forms of the same name fold alike.
        ("Nguy\u{1EC5}n", "nguyen"),
        ("Nguye\u{0302}\u{0303}n", "nguyen"),
        ("Ô Môn 2", "o mon 2"),
        ("Ư Ơ Ă Â Ê", "u o a a e"),
        // Letters without a decomposition stay; punctuation separates words.
        ("李 小龍", "李 小龍"),
        ("O'Neil, Anh.", "o neil anh"),
        ("%_", ""),
    ])
    func folds(_ text: String, _ folded: String) {
        #expect(NameFolding.fold(text) == folded)
    }

    @Test func foldingTwiceChangesNothing() {
        for name in ["Nguyễn Văn An", "Đỗ Thị Đào", "Phạm Thị Ngọc Hương", "Huỳnh Ánh"] {
            let once = NameFolding.fold(name)
            #expect(NameFolding.fold(once) == once)
            #expect(once.unicodeScalars.allSatisfy { $0.isASCII })
        }
    }

    /// The scalar-by-scalar fold (ASCII directly, a table below U+2000) against the definition it
    /// replaced, the whole name decomposed at once, on random names of Vietnamese letters in both
    /// forms, stray combining marks, đ, punctuation, CJK, Greek, Cyrillic and emoji.
    @Test func theScalarFoldIsTheWholeNameFold() {
        let pieces: [String] = [
            "a", "Z", "7", " ", "\t", "-", "_", "'", ".", ",", "%", "ễ", "Ễ", "e\u{0302}\u{0303}", "\u{0303}", "\u{0302}", "\u{0323}",
            "đ", "Đ", "Ư", "ơ", "ă", "Â", "Ê", "ỳ", "Ỹ", "ñ", "ß", "İ", "ı", "Æ", "ﬁ", "Ω", "ΐ", "ά", "Ж", "й", "李", "龍", "ខ្មែរ",
            "😀", "①", "½", "²", "\u{00A0}", "\u{200B}", "\u{0085}", "ǅ", "Ǆ", "ᾼ", "\u{1E9E}", "\u{2126}", "\u{212B}", "ｆ",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let name = (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(NameFolding.fold(name) == Self.wholeNameFold(name), "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        // Every scalar of the table's range and a few beyond it, alone and between letters.
        for value in UInt32(0x20)..<0x2200 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            for name in [String(scalar), "a\(scalar)b", "A \(scalar)\u{0301}"] {
                #expect(NameFolding.fold(name) == Self.wholeNameFold(name), "U+\(String(value, radix: 16))")
            }
        }
    }

    /// The fold as first written: NFD of the whole name, then letter by letter.
    static func wholeNameFold(_ text: String) -> String {
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
                    continue
                }
                if properties.isAlphabetic || properties.numericType != nil {
                    for lower in String(scalar).lowercased().decomposedStringWithCanonicalMapping.unicodeScalars
                        where lower.properties.generalCategory != .nonspacingMark {
                        appendLetter(lower)
                    }
                } else {
                    pendingSpace = true
                }
            }
        }
        return String(output)
    }
}
