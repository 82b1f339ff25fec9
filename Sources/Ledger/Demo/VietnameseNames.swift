/// Plausible Vietnamese names for the demo's beneficiaries: a family name weighted roughly by how
/// common it is in the Mekong delta, a middle name and a given name by sex. Khmer families (the
/// largest ethnic minority of Cần Thơ) carry their usual family names (Thạch, Danh, Sơn, …).
/// Invented people: any likeness to a real person is chance.
enum VietnameseNames {
    enum Sex { case male, female }

    /// Family names with weights (per mille, roughly).
    static let familyNames: [(String, Int)] = [
        ("Nguyễn", 310), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Huỳnh", 55), ("Võ", 45), ("Phan", 40),
        ("Trương", 25), ("Bùi", 20), ("Đặng", 20), ("Đỗ", 15), ("Ngô", 15), ("Dương", 12), ("Lý", 12),
        ("Hồ", 12), ("Đinh", 8), ("Lâm", 10), ("Tô", 6), ("Châu", 8), ("Mai", 6), ("Cao", 6), ("La", 4),
        ("Quách", 4), ("Tăng", 3), ("Lưu", 5), ("Hà", 5), ("Đoàn", 7), ("Vương", 4), ("Thái", 4), ("Kiều", 3),
    ]

    /// Family names common among Khmer families of the Mekong delta.
    static let khmerFamilyNames: [(String, Int)] = [
        ("Thạch", 30), ("Danh", 25), ("Sơn", 20), ("Kim", 10), ("Lâm", 8), ("Châu", 5), ("Lý", 2),
    ]

    static let maleMiddleNames: [(String, Int)] = [
        ("Văn", 45), ("Hữu", 10), ("Minh", 10), ("Thanh", 8), ("Quốc", 7), ("Công", 5), ("Đức", 5),
        ("Hoàng", 4), ("Tấn", 4), ("Phước", 2),
    ]

    static let femaleMiddleNames: [(String, Int)] = [
        ("Thị", 55), ("Ngọc", 12), ("Thanh", 7), ("Kim", 7), ("Mỹ", 6), ("Thu", 5), ("Bích", 4), ("Hồng", 4),
    ]

    static let maleGivenNames = [
        "An", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hậu", "Hiếu", "Hòa", "Hùng", "Huy", "Khang",
        "Khoa", "Lộc", "Long", "Luân", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quang",
        "Sang", "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thiện", "Thịnh", "Tín", "Toàn", "Trí", "Trung",
        "Tuấn", "Tùng", "Vinh", "Vũ",
    ]

    static let femaleGivenNames = [
        "Anh", "Cẩm", "Châu", "Diễm", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Huệ", "Hương",
        "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Ngân", "Nga", "Nhung", "Nhi", "Oanh", "Phương",
        "Quyên", "Sương", "Tâm", "Thảo", "Thúy", "Thư", "Tiên", "Trang", "Trinh", "Tuyết", "Uyên", "Vân",
        "Vy", "Xuân", "Yến",
    ]

    /// A full name: family, middle, given (`Nguyễn Thị Lan`).
    static func fullName(sex: Sex, khmer: Bool, using random: inout SplitMix64) -> String {
        let family = random.weighted(khmer ? khmerFamilyNames : familyNames)
        switch sex {
        case .male:
            return "\(family) \(random.weighted(maleMiddleNames)) \(random.pick(maleGivenNames))"
        case .female:
            return "\(family) \(random.weighted(femaleMiddleNames)) \(random.pick(femaleGivenNames))"
        }
    }
}
