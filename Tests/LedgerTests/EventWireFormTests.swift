import EventStore
import Foundation
import Ledger
import Testing

/// The exact payload text of one event of every type, as this ledger has always written it. The
/// hash chain covers stored payloads, and old events must stay readable, so the wire form of a
/// schema version never changes: a new form is a new schema version with an upcaster.
@Suite struct EventWireFormTests {
    static let golden: [(type: String, json: String)] = [
        ("ProgramDefined", #"{"beneficiary_kinds":["household"],"cap_per_beneficiary_vnd":6000000,"code":"NQ12-LATRINE","effective_from":"2024-01-01","eligible_categories":["poor"],"illustrative":true,"kind":"grant","legal_basis":"NQ 12/2023/NQ-HĐND","name_en":"Hygienic latrine support","name_vi":"Hỗ trợ nhà tiêu hợp vệ sinh","once_only":true,"valid_from":"2024-01-01","valid_until":"2025-12-31"}"#),
        ("ProgramAmended", #"{"beneficiary_kinds":["person"],"cap_per_beneficiary_vnd":150000000,"code":"NQ11-OVERSEAS-LOAN","effective_from":"2024-01-01","eligible_categories":[],"illustrative":true,"kind":"loan","legal_basis":"NQ 11/2023/NQ-HĐND","loan_terms":{"instalment_months":3,"max_term_months":60,"overdue_multiplier_percent":130,"rate_periods":[{"annual_rate_basis_points":660,"from":"2024-01-01"}]},"name_en":"Overseas work loans","name_vi":"Cho vay đi làm việc ở nước ngoài","once_only":false,"valid_from":"2024-01-01","valid_until":"2025-12-31"}"#),
        ("BudgetAllocated", #"{"amount_vnd":1000000000,"district":"co-do","fiscal_year":2024,"program":"NQ12-HOUSING","reference":"QĐ 12/QĐ-UBND"}"#),
        ("BudgetAdjusted", #"{"delta_vnd":-50000000,"district":"co-do","fiscal_year":2024,"program":"NQ12-HOUSING","reference":"QĐ 30"}"#),
        ("FundsReserved", #"{"amount_vnd":40000000,"application_id":"A-1"}"#),
        ("FundsReleased", #"{"amount_vnd":5000000,"application_id":"A-1","reason":"closed: unpaid remainder"}"#),
        ("BeneficiaryRegistered", #"{"bank_account":"0123456789","beneficiary_id":"HH-1","categories":["ethnic-minority","poor"],"district":"thot-not","kind":"household","name":"Trần Thị Bích","national_id_fingerprint":"abababababababababababababababababababababababababababababababab"}"#),
        ("BeneficiaryAmended", #"{"add_categories":["near-poor"],"amended_on":"2024-02-01","bank_account":"VCB 0123456789","beneficiary_id":"HH-1","clear_bank_account":true,"name":"Trần Thị Bích Ngọc","national_id_fingerprint":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","reason":"typo in the registration","remove_categories":["poor"],"unit":"ninh-kieu"}"#),
        ("CategoryDefined", #"{"label_en":"Near-poor household","label_vi":"Hộ cận nghèo","name":"near-poor"}"#),
        ("BenefitCommitted", #"{"amount_vnd":40000000,"application_id":"A-1","program":"NQ12-HOUSING"}"#),
        ("BenefitReleased", #"{"amount_vnd":5000000,"application_id":"A-1","program":"NQ12-HOUSING"}"#),
        ("ApplicationSubmitted", #"{"application_id":"A-1","beneficiary_id":"HH-1","district":"ninh-kieu","fiscal_year":2024,"program":"NQ12-LATRINE","requested_vnd":6000000,"submitted_on":"2024-03-01"}"#),
        ("ApplicationApproved", #"{"approved_vnd":6000000,"decided_on":"2024-03-10","decision_reference":"QĐ 15/2024"}"#),
        ("ApplicationRejected", #"{"decided_on":"2024-03-10","reason":"không đủ điều kiện"}"#),
        ("ApplicationWithdrawn", #"{"reason":"moved away","released_vnd":6000000,"withdrawn_on":"2024-03-12"}"#),
        ("PaymentRecorded", #"{"amount_vnd":3000000,"bank_account":"0123456789","method":"bank","paid_on":"2024-03-15","payment_id":"P-1","voucher":"UNC 001"}"#),
        ("PaymentReversed", #"{"amount_vnd":3000000,"payment_id":"P-1","reason":"account closed","reversed_on":"2024-03-20"}"#),
        ("LoanOpened", #"{"disbursed_on":"2024-04-01","loan_id":"L-1","principal_vnd":100000000}"#),
        ("ApplicationClosed", #"{"closed_on":"2024-06-30","paid_vnd":3000000,"released_vnd":3000000}"#),
        ("LoanDisbursed", #"{"application_id":"A-2","beneficiary_id":"P-7","disbursed_on":"2024-04-01","instalment_months":3,"loan_id":"L-1","overdue_multiplier_percent":130,"principal_vnd":100000000,"program":"NQ11-OVERSEAS-LOAN","term_months":36}"#),
        ("LoanRepaid", #"{"amount_vnd":10000000,"interest_vnd":1645479,"outstanding_principal_after_vnd":91645479,"overdue_interest_vnd":0,"overdue_principal_vnd":0,"paid_on":"2024-07-01","prepaid_principal_vnd":21188,"principal_due_vnd":8333333,"repayment_id":"R-1","unpaid_interest_after_vnd":0,"unpaid_overdue_interest_after_vnd":0}"#),
        ("LoanSettled", #"{"settled_on":"2027-04-01"}"#),
        ("LoanWrittenOff", #"{"outstanding_principal_vnd":50000000,"reason":"borrower deceased","unpaid_interest_vnd":120000,"written_off_on":"2025-01-01"}"#),
        ("UnitDefined", #"{"came_from":["ninh-kieu","binh-thuy"],"code":"phuong-cai-khe","illustrative":true,"kind":"ward","name":"Cái Khế","valid_from":"2025-07-01"}"#),
    ]

    @Test func everyEventTypeIsWrittenExactlyAsBefore() throws {
        #expect(Self.golden.count == EventSamples.all.count)
        for (event, golden) in zip(EventSamples.all, Self.golden) {
            let stored = try event.newEvent()
            #expect(stored.type == golden.type)
            #expect(stored.payloadJSON == golden.json, "\(golden.type)")
        }
    }

    @Test func everyGoldenPayloadReadsBackAsTheSample() throws {
        for (event, golden) in zip(EventSamples.all, Self.golden) {
            let read = try LedgerEvent.decode(type: golden.type, schemaVersion: LedgerEvent.currentSchemaVersion(of: golden.type),
                                              payloadJSON: golden.json)
            #expect(read == event, "\(golden.type)")
        }
    }
}
