import EventStore
import Ledger

/// Realistic event payloads: a payment of a social-policy programme, in integer đồng, with dates
/// and Vietnamese text, about `targetBytes` of UTF-8 JSON. Deterministic, so runs are comparable.
struct PaymentPayloads {
    /// Not the domain's `PaymentRecorded`: domain triggers (unique payment ids, 0005) key on domain
    /// types, and this benchmark measures the event store, which knows nothing about disbursements.
    static let eventType = "BenchPaymentRecorded"
    /// Client metadata sent with every ledger event (the database adds actor and command_id).
    static let clientMetadata = #"{"source":"ledger-bench"}"#

    private static let programmes = [
        "VOC-TRAIN-2023", "JOB-SUPPORT-2023", "LABOUR-EXPORT-LOAN", "POOR-HOUSING-2023", "CLEAN-WATER-2023", "LATRINE-2023",
    ]
    private static let districts = [
        "Quận 1", "Quận Bình Thạnh", "Quận Gò Vấp", "Thành phố Thủ Đức", "Huyện Củ Chi", "Huyện Cần Giờ", "Huyện Bình Chánh",
    ]
    private static let payees = [
        "Nguyễn Thị Lan", "Trần Văn Hùng", "Lê Thị Hồng Nhung", "Phạm Minh Đức", "Hoàng Thị Thu Trang", "Võ Văn Tài", "Đặng Thị Mỹ Linh",
    ]
    private static let banks = ["Vietcombank", "Agribank", "BIDV", "VietinBank", "Ngân hàng Chính sách xã hội"]
    private static let notes = [
        "Chi hỗ trợ học nghề đợt 2 theo Nghị quyết 09/2023/NQ-HĐND; người nhận đã ký xác nhận.",
        "Hỗ trợ xây mới nhà ở cho hộ nghèo, giải ngân lần 1 theo biên bản nghiệm thu của xã.",
        "Cho vay đi làm việc ở nước ngoài theo hợp đồng; thời hạn 36 tháng, lãi suất ưu đãi.",
        "Hỗ trợ nước sinh hoạt và công trình vệ sinh hộ gia đình, thanh toán qua tài khoản.",
    ]

    /// The payload of event number `index` (any non-negative integer).
    static func payload(_ index: Int, targetBytes: Int) -> String {
        var random = SplitMix64(seed: UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ 17)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let amount = (Int(random.next() % 9_950) + 50) * 1_000  // 50,000 … 10,000,000 đồng, whole thousands
        let month = Int(random.next() % 12) + 1
        let day = Int(random.next() % 28) + 1
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        let fields: [(String, String)] = [
            ("amount_dong", String(amount)),
            ("application_id", EventStoreJSON.string("APP-2023-\(100_000 + index % 900_000)")),
            ("approved_on", EventStoreJSON.string("2023-\(two(month))-01")),
            ("bank", EventStoreJSON.string(pick(banks))),
            ("bank_account", EventStoreJSON.string(String(1_000_000_000_000 + random.next() % 8_999_999_999_999))),
            ("beneficiary_id", EventStoreJSON.string("BEN-\(1_000_000 + (index * 7) % 9_000_000)")),
            ("district", EventStoreJSON.string(pick(districts))),
            ("paid_on", EventStoreJSON.string("2023-\(two(month))-\(two(day))")),
            ("payee", EventStoreJSON.string(pick(payees))),
            ("payment_id", EventStoreJSON.string("PAY-\(index)")),
            ("programme", EventStoreJSON.string(pick(programmes))),
        ]
        var json = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        // Fill up to the target with a note, cut on a character boundary.
        let room = targetBytes - json.utf8.count - #","note":""}"#.utf8.count
        if room > 0 {
            var filler = pick(notes)
            while filler.utf8.count < room { filler += " " + pick(notes) }
            var note = ""
            for character in filler {
                if note.utf8.count + String(character).utf8.count > room { break }
                note.append(character)
            }
            json += ",\"note\":" + EventStoreJSON.string(note)
        }
        return json + "}"
    }

    /// `count` distinct payloads per group, `groups` groups; payload numbers start at `first`.
    static func groups(_ groups: Int, of count: Int, first: Int = 0, targetBytes: Int) -> [[String]] {
        (0..<groups).map { group in
            (0..<count).map { payload(first + group * count + $0, targetBytes: targetBytes) }
        }
    }

    static func events(_ payloads: [[String]]) throws -> [[NewEvent]] {
        try payloads.map { group in
            try group.map { try NewEvent(type: eventType, payloadJSON: $0, metadataJSON: clientMetadata) }
        }
    }
}
