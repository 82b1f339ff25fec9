import Foundation
import Ledger
import Testing

/// Free text people type (names, vouchers, references, reasons) and identifiers: what reads
/// other than it is, or is not there at all, is refused naming the field and the code point;
/// limits are counted in code points and in bytes.
@Suite struct DomainTextTests {
    @Test(arguments: [
        ("Nguyễn Thị Lan", "Nguyễn Thị Lan"), ("  QĐ 45/QĐ-UBND  ", "QĐ 45/QĐ-UBND"), ("Hộ bà Mai (con: Tú)", "Hộ bà Mai (con: Tú)"),
        ("UNC\u{00A0}2024", "UNC\u{00A0}2024"), ("Nguye\u{0302}\u{0303}n", "Nguye\u{0302}\u{0303}n"),
    ])
    func ordinaryTextIsAcceptedTrimmed(text: String, expected: String) throws {
        #expect(try DomainText.validated(text, field: "name", maximumCharacters: 200) == expected)
    }

    @Test(arguments: [
        ("\u{200B}", "U+200B ZERO WIDTH SPACE, a format character"),
        ("Lan\u{200B}", "U+200B ZERO WIDTH SPACE, a format character"),
        ("UNC-\u{202E}10-2024", "U+202E RIGHT-TO-LEFT OVERRIDE, a format character; type the text without it"),
        ("\u{202A}x", "U+202A LEFT-TO-RIGHT EMBEDDING"), ("\u{202D}x", "U+202D LEFT-TO-RIGHT OVERRIDE"),
        ("x\u{2066}y", "U+2066 LEFT-TO-RIGHT ISOLATE"), ("x\u{2067}y", "U+2067 RIGHT-TO-LEFT ISOLATE"),
        ("x\u{2069}y", "U+2069 POP DIRECTIONAL ISOLATE"), ("x\u{200F}y", "U+200F RIGHT-TO-LEFT MARK"),
        ("x\u{200D}y", "U+200D ZERO WIDTH JOINER"), ("x\u{2060}y", "U+2060 WORD JOINER"),
        ("\u{FEFF}x", "U+FEFF ZERO WIDTH NO-BREAK SPACE"), ("Ng\u{00AD}uyễn", "U+00AD SOFT HYPHEN"),
        ("x\u{E0041}", "U+E0041 TAG LATIN CAPITAL LETTER A"),
        ("\u{3164}", "U+3164 HANGUL FILLER, an invisible character"), ("x\u{034F}", "U+034F COMBINING GRAPHEME JOINER, an invisible character"),
        ("QĐ\n1", "control characters"), ("a\tb", "control characters"), ("a\u{0085}b", "control characters"),
        ("a\u{2028}b", "U+2028 LINE SEPARATOR, a line break"),
    ])
    func formatControlAndInvisibleCharactersAreRefusedByCodePoint(text: String, mentions: String) throws {
        let error = try #require(refusal { try DomainText.validated(text, field: "name", maximumCharacters: 200) })
        #expect(error.code == .invalidInput)
        #expect(error.field == "name")
        #expect(error.message.contains(mentions), "\(error)")
        #expect(error.message.hasPrefix("contains U+") || error.message.contains("control"), "\(error)")
    }

    @Test(arguments: ["\u{2800}", "\u{2800}\u{2800}", "\u{0020}\u{2800}\u{3000}"])
    func textWithNothingVisibleIsRefused(text: String) throws {
        let error = try #require(refusal { try DomainText.validated(text, field: "voucher", maximumCharacters: 100) })
        #expect(error.field == "voucher")
        #expect(error.message.contains("invisible character") || error.message == "must contain a visible character", "\(error)")
    }

    @Test func aLimitCountsCodePointsNotCharactersAsDisplayed() throws {
        // 20 characters as displayed, each a letter with 15 combining marks of 3 bytes: 320 code
        // points and 920 bytes. Counted as displayed characters it would pass a limit of 200.
        let heavy = String(repeating: "a" + String(repeating: "\u{20D0}", count: 15), count: 20)
        #expect(heavy.count == 20)
        let error = try #require(refusal { try DomainText.validated(heavy, field: "name", maximumCharacters: 200) })
        #expect(error.field == "name")
        #expect(error.message.contains("920 bytes of UTF-8; at most 800"), "\(error)")

        // Under the byte limit but over the code-point limit: 20 × (1 + 10 two-byte marks) = 420 bytes, 220 code points.
        // (x: no precomposed x-acute, so the NFC the text is stored in keeps all the marks.)
        let marked = String(repeating: "x" + String(repeating: "\u{0301}", count: 10), count: 20)
        let second = try #require(refusal { try DomainText.validated(marked, field: "name", maximumCharacters: 200) })
        #expect(second.message.contains("is 220 characters counted as Unicode code points (20 as displayed"), "\(second)")
        #expect(second.message.contains("at most 200"), "\(second)")

        // Exactly at the limit in both.
        let four = String(repeating: "𝕏", count: 200)
        #expect(try DomainText.validated(four, field: "name", maximumCharacters: 200) == four)
        let over = String(repeating: "x", count: 201)
        #expect(refusal { try DomainText.validated(over, field: "name", maximumCharacters: 200) }?.message == "is 201 characters; at most 200")
    }

    @Test(arguments: [
        ("A-\u{202E}1", "U+202E RIGHT-TO-LEFT OVERRIDE, a format character"), ("HH\u{200B}1", "U+200B ZERO WIDTH SPACE"),
        ("\u{FEFF}A-1", "U+FEFF"),
    ])
    func identifiersNameTheFormatCharacter(text: String, mentions: String) throws {
        let error = try #require(refusal { try Identifier.validated(text, field: "--id") })
        #expect(error.field == "--id")
        #expect(error.message.contains(mentions), "\(error)")
    }

    @Test func categoriesRefuseFormatCharacters() throws {
        let error = try #require(refusal { try BeneficiaryCategory.normalised("poor\u{200D}", field: "category") })
        #expect(error.message.contains("U+200D ZERO WIDTH JOINER"), "\(error)")
    }

    @Test(arguments: [
        ([UInt8]("Nguyễn".utf8), nil), ([0x4E, 0x67, 0xFF], 3), ([0xC3], 1), ([0x61, 0xC3, 0x28], 2),
        ([0xE2, 0x82], 1), ([0xC0, 0xAF], 1), ([0xED, 0xA0, 0x80], 1), ([0xF4, 0x90, 0x80, 0x80], 1), ([], nil),
    ] as [([UInt8], Int?)])
    func invalidUTF8IsFoundByBytePosition(bytes: [UInt8], position: Int?) {
        #expect(DomainText.firstInvalidUTF8Byte(bytes) == position)
    }
}
