/// The sample places file `ledger place sample` prints: the nine districts of Cần Thơ (in force
/// until 30 June 2025) and, from 1 July 2025, AN ILLUSTRATIVE PART of the merged city's wards
/// and communes — the ones that carry an old district's name and a few others — each with the
/// units it came from. The official list is the merger resolution's; load that one for real work.
public enum SamplePlaces {
    public static let json = """
    {
      "note": "ILLUSTRATIVE. The nine districts of Cần Thơ until 2025-06-30 (codes as the ledger has always used), and from 2025-07-01 a PART of the merged city's wards (phường) and communes (xã), with the units each came from, as a sample only. The official list and boundaries are those of the merger resolution: load them instead for real work.",
      "units": [
        {"code": "ninh-kieu", "name": "Ninh Kiều", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "binh-thuy", "name": "Bình Thủy", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "cai-rang", "name": "Cái Răng", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "o-mon", "name": "Ô Môn", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "thot-not", "name": "Thốt Nốt", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "phong-dien", "name": "Phong Điền", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "co-do", "name": "Cờ Đỏ", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "thoi-lai", "name": "Thới Lai", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "vinh-thanh", "name": "Vĩnh Thạnh", "kind": "district", "valid_until": "2025-06-30"},
        {"code": "phuong-ninh-kieu", "name": "Ninh Kiều", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["ninh-kieu"], "illustrative": true},
        {"code": "phuong-cai-khe", "name": "Cái Khế", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["ninh-kieu", "binh-thuy"], "illustrative": true},
        {"code": "phuong-tan-an", "name": "Tân An", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["ninh-kieu"], "illustrative": true},
        {"code": "phuong-binh-thuy", "name": "Bình Thủy", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["binh-thuy"], "illustrative": true},
        {"code": "phuong-long-tuyen", "name": "Long Tuyền", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["binh-thuy"], "illustrative": true},
        {"code": "phuong-cai-rang", "name": "Cái Răng", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["cai-rang"], "illustrative": true},
        {"code": "phuong-hung-phu", "name": "Hưng Phú", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["cai-rang"], "illustrative": true},
        {"code": "phuong-o-mon", "name": "Ô Môn", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["o-mon"], "illustrative": true},
        {"code": "phuong-thoi-long", "name": "Thới Long", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["o-mon"], "illustrative": true},
        {"code": "phuong-thot-not", "name": "Thốt Nốt", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["thot-not"], "illustrative": true},
        {"code": "phuong-tan-loc", "name": "Tân Lộc", "kind": "ward", "valid_from": "2025-07-01", "came_from": ["thot-not"], "illustrative": true},
        {"code": "xa-phong-dien", "name": "Phong Điền", "kind": "commune", "valid_from": "2025-07-01", "came_from": ["phong-dien"], "illustrative": true},
        {"code": "xa-nhon-ai", "name": "Nhơn Ái", "kind": "commune", "valid_from": "2025-07-01", "came_from": ["phong-dien"], "illustrative": true},
        {"code": "xa-co-do", "name": "Cờ Đỏ", "kind": "commune", "valid_from": "2025-07-01", "came_from": ["co-do"], "illustrative": true},
        {"code": "xa-thoi-lai", "name": "Thới Lai", "kind": "commune", "valid_from": "2025-07-01", "came_from": ["thoi-lai"], "illustrative": true},
        {"code": "xa-vinh-thanh", "name": "Vĩnh Thạnh", "kind": "commune", "valid_from": "2025-07-01", "came_from": ["vinh-thanh"], "illustrative": true}
      ]
    }

    """
}
