/// A sample catalog for the seven programmes of Cần Thơ's resolutions 11/2023/NQ-HĐND and
/// 12/2023/NQ-HĐND (8 December 2023). The resolutions' real amounts were not available: every
/// figure here is illustrative (`"illustrative": true`), and an admin loads the real ones with a
/// catalog of their own. Used by the demo and the tests.
public enum SampleCatalog {
    /// The catalog as an admin's file would hold it (`ledger program load FILE`).
    public static let json = #"""
    {
      "catalog_version": 1,
      "categories": [
        {"name": "poor", "label_vi": "Hộ nghèo", "label_en": "Poor household"},
        {"name": "near-poor", "label_vi": "Hộ cận nghèo", "label_en": "Near-poor household"},
        {"name": "rural-worker", "label_vi": "Lao động nông thôn", "label_en": "Rural worker"},
        {"name": "ethnic-minority", "label_vi": "Người dân tộc thiểu số", "label_en": "Ethnic minority"},
        {"name": "person-with-disability", "label_vi": "Người khuyết tật", "label_en": "Person with a disability"},
        {"name": "policy-family", "label_vi": "Gia đình chính sách", "label_en": "Policy family (families of martyrs and war invalids)"}
      ],
      "programs": [
        {
          "code": "NQ11-TRAIN-ELEMENTARY",
          "name_vi": "Hỗ trợ đào tạo trình độ sơ cấp và đào tạo dưới 03 tháng",
          "name_en": "Training support: elementary level and courses under 3 months",
          "legal_basis": "Nghị quyết số 11/2023/NQ-HĐND ngày 08/12/2023 của HĐND thành phố Cần Thơ; Kế hoạch số 27/KH-UBND ngày 06/02/2024 của UBND thành phố (Resolution 11/2023/NQ-HĐND of 8 December 2023 of the City People's Council; Plan 27/KH-UBND of 6 February 2024)",
          "kind": "grant",
          "beneficiary_kinds": ["person"],
          "eligible_categories": ["rural-worker", "poor", "near-poor", "ethnic-minority", "person-with-disability"],
          "cap_per_beneficiary_vnd": 4000000,
          "valid_from": "2024-01-01",
          "valid_until": "2025-12-31",
          "once_only": true,
          "effective_from": "2024-01-01",
          "illustrative": true
        },
        {
          "code": "NQ11-TRAIN-VOCATIONAL",
          "name_vi": "Hỗ trợ đào tạo trình độ trung cấp, cao đẳng",
          "name_en": "Training support: intermediate and college level",
          "legal_basis": "Nghị quyết số 11/2023/NQ-HĐND ngày 08/12/2023 của HĐND thành phố Cần Thơ; Kế hoạch số 27/KH-UBND ngày 06/02/2024 của UBND thành phố (Resolution 11/2023/NQ-HĐND of 8 December 2023 of the City People's Council; Plan 27/KH-UBND of 6 February 2024)",
          "kind": "grant",
          "beneficiary_kinds": ["person"],
          "eligible_categories": ["rural-worker", "poor", "near-poor", "ethnic-minority", "person-with-disability"],
          "cap_per_beneficiary_vnd": 12000000,
          "valid_from": "2024-01-01",
          "valid_until": "2025-12-31",
          "once_only": true,
          "effective_from": "2024-01-01",
          "illustrative": true
        },
        {
          "code": "NQ11-OVERSEAS-LOAN",
          "name_vi": "Cho vay ưu đãi người lao động đi làm việc ở nước ngoài theo hợp đồng",
          "name_en": "Preferential loans for workers going to work abroad under contract",
          "legal_basis": "Nghị quyết số 11/2023/NQ-HĐND ngày 08/12/2023 của HĐND thành phố Cần Thơ; Kế hoạch số 27/KH-UBND ngày 06/02/2024 của UBND thành phố (Resolution 11/2023/NQ-HĐND of 8 December 2023 of the City People's Council; Plan 27/KH-UBND of 6 February 2024)",
          "kind": "loan",
          "beneficiary_kinds": ["person"],
          "eligible_categories": ["rural-worker", "poor", "near-poor", "ethnic-minority", "policy-family"],
          "cap_per_beneficiary_vnd": 150000000,
          "valid_from": "2024-01-01",
          "valid_until": "2025-12-31",
          "once_only": false,
          "effective_from": "2024-01-01",
          "illustrative": true,
          "loan_terms": {
            "rate_periods": [{"from": "2024-01-01", "annual_rate_basis_points": 660}],
            "overdue_multiplier_percent": 130,
            "max_term_months": 60,
            "instalment_months": 3
          }
        },
        {
          "code": "NQ12-HOUSING",
          "name_vi": "Hỗ trợ nhà ở cho hộ nghèo",
          "name_en": "Housing support for poor households",
          "legal_basis": "Nghị quyết số 12/2023/NQ-HĐND ngày 08/12/2023 của HĐND thành phố Cần Thơ; Kế hoạch số 05/KH-UBND ngày 05/01/2024 của UBND thành phố (Resolution 12/2023/NQ-HĐND of 8 December 2023 of the City People's Council; Plan 05/KH-UBND of 5 January 2024)",
          "kind": "grant",
          "beneficiary_kinds": ["household"],
          "eligible_categories": ["poor"],
          "cap_per_beneficiary_vnd": 40000000,
          "valid_from": "2024-01-01",
          "valid_until": "2025-12-31",
          "once_only": true,
          "effective_from": "2024-01-01",
          "illustrative": true
        },
        {
          "code": "NQ12-WATER",
          "name_vi": "Hỗ trợ nước sinh hoạt cho hộ nghèo",
          "name_en": "Domestic water support for poor households",
          "legal_basis": "Nghị quyết số 12/2023/NQ-HĐND ngày 08/12/2023 của HĐND thành phố Cần Thơ; Kế hoạch số 05/KH-UBND ngày 05/01/2024 của UBND thành phố (Resolution 12/2023/NQ-HĐND of 8 December 2023 of the City People's Council; Plan 05/KH-UBND of 5 January 2024)",
          "kind": "grant",
          "beneficiary_kinds": ["household"],
          "eligible_categories": ["poor"],
          "cap_per_beneficiary_vnd": 10000000,
          "valid_from": "2024-01-01",
          "valid_until": "2025-12-31",
          "once_only": true,
          "effective_from": "2024-01-01",
          "illustrative": true
        },
        {
          "code": "NQ12-ELECTRICITY",
          "name_vi": "Hỗ trợ điện sinh hoạt cho hộ nghèo",
          "name_en": "Domestic electricity support for poor households",
          "legal_basis": "Nghị quyết số 12/2023/NQ-HĐND ngày 08/12/2023 của HĐND thành phố Cần Thơ; Kế hoạch số 05/KH-UBND ngày 05/01/2024 của UBND thành phố (Resolution 12/2023/NQ-HĐND of 8 December 2023 of the City People's Council; Plan 05/KH-UBND of 5 January 2024)",
          "kind": "grant",
          "beneficiary_kinds": ["household"],
          "eligible_categories": ["poor"],
          "cap_per_beneficiary_vnd": 5000000,
          "valid_from": "2024-01-01",
          "valid_until": "2025-12-31",
          "once_only": true,
          "effective_from": "2024-01-01",
          "illustrative": true
        },
        {
          "code": "NQ12-LATRINE",
          "name_vi": "Hỗ trợ nhà tiêu hợp vệ sinh cho hộ nghèo",
          "name_en": "Hygienic latrine support for poor households",
          "legal_basis": "Nghị quyết số 12/2023/NQ-HĐND ngày 08/12/2023 của HĐND thành phố Cần Thơ; Kế hoạch số 05/KH-UBND ngày 05/01/2024 của UBND thành phố (Resolution 12/2023/NQ-HĐND of 8 December 2023 of the City People's Council; Plan 05/KH-UBND of 5 January 2024)",
          "kind": "grant",
          "beneficiary_kinds": ["household"],
          "eligible_categories": ["poor"],
          "cap_per_beneficiary_vnd": 6000000,
          "valid_from": "2024-01-01",
          "valid_until": "2025-12-31",
          "once_only": true,
          "effective_from": "2024-01-01",
          "illustrative": true
        }
      ]
    }
    """#
}
