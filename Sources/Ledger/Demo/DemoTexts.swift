/// The words the demo's people write: reasons, references, ids. Vietnamese as a department would
/// write them, with an English gloss in parentheses (as the sample catalog's legal basis has).
enum DemoTexts {
    /// Two-letter district abbreviations used in the demo's ids (`B-NK-00001`).
    static func abbreviation(_ district: UnitCode) -> String {
        switch district {
        case .ninhKieu: "NK"
        case .binhThuy: "BT"
        case .caiRang: "CR"
        case .oMon: "OM"
        case .thotNot: "TN"
        case .phongDien: "PD"
        case .coDo: "CD"
        case .thoiLai: "TL"
        case .vinhThanh: "VT"
        default: String(district.code.prefix(2)).uppercased()
        }
    }

    /// `quận Ninh Kiều`, `huyện Cờ Đỏ`.
    static func councilName(_ district: UnitCode) -> String {
        (district.isRural ? "huyện " : "quận ") + district.name
    }

    /// `15/03/2024`, as dates are written on Vietnamese decisions.
    static func written(_ date: LocalDate) -> String {
        "\(padded(date.day, 2))/\(padded(date.month, 2))/\(date.year)"
    }

    static func padded(_ number: Int, _ digits: Int) -> String {
        let text = String(number)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }

    /// An approval's decision reference (số quyết định).
    static func decision(number: Int, on date: LocalDate, district: UnitCode) -> String {
        "QĐ \(padded(number, 4))/QĐ-UBND ngày \(written(date)) – UBND \(councilName(district))"
    }

    static func allocationReference(district: UnitCode) -> String {
        let number = 3_500 + (UnitCode.allCases.firstIndex(of: district) ?? 0)
        return "QĐ \(number)/QĐ-UBND ngày 15/12/2023 – giao dự toán 2024, \(councilName(district)) (2024 budget allocation)"
    }

    static let topUpReference = "QĐ 2871/QĐ-UBND ngày 16/09/2024 – bổ sung dự toán (budget top-up)"
    static let reallocationReference = "QĐ 3320/QĐ-UBND ngày 20/11/2024 – điều chuyển dự toán (budget moved elsewhere)"

    static let rejectionReasons = [
        "Hồ sơ thiếu giấy tờ chứng minh (supporting documents missing)",
        "Không cư trú thực tế tại địa phương (not actually resident in the district)",
        "Đã được hỗ trợ cùng nội dung từ chương trình khác (already supported for the same need by another scheme)",
    ]
    static let householdRejectionReasons = [
        "Không thuộc diện hộ nghèo theo kết quả rà soát cuối năm 2023 (not a poor household in the end-2023 review)",
        "Công trình đã được hỗ trợ năm 2022 (the works were already supported in 2022)",
    ]
    static let trainingRejectionReasons = [
        "Khóa học không thuộc danh mục được hỗ trợ (course not on the supported list)",
        "Cơ sở đào tạo chưa được cấp phép (training provider not licensed)",
    ]
    static let loanRejectionReasons = [
        "Hợp đồng đi làm việc ở nước ngoài chưa được xác nhận (overseas work contract not confirmed)",
        "Doanh nghiệp đưa người lao động đi không có giấy phép (recruitment agency not licensed)",
    ]

    static let withdrawalReasons = [
        "Người nộp đơn xin rút hồ sơ (the applicant asked to withdraw)",
        "Chuyển nơi cư trú sang tỉnh khác (moved to another province)",
    ]
    static let trainingWithdrawalReasons = ["Đã có việc làm, không tham gia khóa học (found a job, will not attend the course)"]
    static let householdWithdrawalReasons = ["Gia đình tự bố trí kinh phí (the family paid for the works itself)"]
    static let loanWithdrawalReasons = ["Hợp đồng đi làm việc ở nước ngoài bị hủy (the overseas work contract was cancelled)"]

    static let bankReturnReasons = [
        "Ngân hàng trả lại: sai số tài khoản (returned by the bank: wrong account number)",
        "Ngân hàng trả lại: tài khoản đã đóng (returned by the bank: account closed)",
        "Ngân hàng trả lại: tên chủ tài khoản không khớp (returned by the bank: account holder's name does not match)",
    ]

    static let writeOffReason =
        "Xử lý rủi ro: người vay bị tai nạn lao động ở nước ngoài, mất khả năng lao động (risk handling: the borrower was injured at work abroad and cannot work)"

    /// What an approver writes when the ledger refuses an approval, by the refusal's code.
    static func rejectionAfterRefusal(_ code: DomainError.Code) -> String? {
        switch code {
        case .overBudget: "Hết dự toán 2024 của địa phương cho chương trình này (the district's 2024 budget for this programme is used up)"
        case .overCap: "Đã được hỗ trợ đến mức tối đa của chương trình (already supported up to the programme's cap)"
        default: nil
        }
    }

    /// Banks and the length of their account numbers, weighted by how common they are among the
    /// city's beneficiaries (Agribank serves most rural households).
    static let banks: [((name: String, digits: Int), Int)] = [
        (("Agribank", 13), 45), (("Vietcombank", 10), 15), (("VietinBank", 12), 12), (("BIDV", 12), 10),
        (("Sacombank", 12), 10), (("MB", 13), 8),
    ]
}
