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
}
