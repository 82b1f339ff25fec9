import EventStore
import Foundation
import Ledger
import Testing

/// One event of every type, with every optional field filled.
enum EventSamples {
    static let d = Fixtures.date

    static let all: [LedgerEvent] = [
        .programDefined(Fixtures.grant()),
        .programAmended(Fixtures.overseasLoan),
        .budgetAllocated(BudgetAllocated(program: "NQ12-HOUSING", fiscalYear: 2024, district: .coDo, amountVND: 1_000_000_000, reference: "QĐ 12/QĐ-UBND")),
        .budgetAdjusted(BudgetAdjusted(program: "NQ12-HOUSING", fiscalYear: 2024, district: .coDo, deltaVND: -50_000_000, reference: "QĐ 30")),
        .fundsReserved(FundsReserved(applicationID: "A-1", amountVND: 40_000_000)),
        .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 5_000_000, reason: "closed: unpaid remainder")),
        .beneficiaryRegistered(BeneficiaryRegistered(
            beneficiaryID: "HH-1", kind: .household, name: "Trần Thị Bích", district: .thotNot, categories: ["ethnic-minority", "poor"],
            bankAccount: "0123456789", nationalIDFingerprint: String(repeating: "ab", count: 32)
        )),
        .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-1", reason: "typo in the registration", amendedOn: d("2024-02-01"), name: "Trần Thị Bích Ngọc",
            addCategories: ["near-poor"], removeCategories: ["poor"], bankAccount: "VCB 0123456789", clearBankAccount: true,
            unit: .ninhKieu, nationalIDFingerprint: String(repeating: "cd", count: 32)
        )),
        .categoryDefined(CategoryDefined(name: "near-poor", labelVi: "Hộ cận nghèo", labelEn: "Near-poor household")),
        .benefitCommitted(BenefitCommitted(applicationID: "A-1", program: "NQ12-HOUSING", amountVND: 40_000_000)),
        .benefitReleased(BenefitReleased(applicationID: "A-1", program: "NQ12-HOUSING", amountVND: 5_000_000)),
        .applicationSubmitted(Fixtures.submitted()),
        .applicationApproved(ApplicationApproved(approvedVND: 6_000_000, decisionReference: "QĐ 15/2024", decidedOn: d("2024-03-10"))),
        .applicationRejected(ApplicationRejected(reason: "không đủ điều kiện", decidedOn: d("2024-03-10"))),
        .applicationWithdrawn(ApplicationWithdrawn(reason: "moved away", withdrawnOn: d("2024-03-12"), releasedVND: 6_000_000)),
        .paymentRecorded(PaymentRecorded(paymentID: "P-1", amountVND: 3_000_000, paidOn: d("2024-03-15"), method: .bank, voucher: "UNC 001", bankAccount: "0123456789")),
        .paymentReversed(PaymentReversed(paymentID: "P-1", amountVND: 3_000_000, reason: "account closed", reversedOn: d("2024-03-20"))),
        .loanOpened(LoanOpened(loanID: "L-1", principalVND: 100_000_000, disbursedOn: d("2024-04-01"))),
        .applicationClosed(ApplicationClosed(closedOn: d("2024-06-30"), paidVND: 3_000_000, releasedVND: 3_000_000)),
        .loanDisbursed(LoanDisbursed(
            loanID: "L-1", applicationID: "A-2", beneficiaryID: "P-7", program: "NQ11-OVERSEAS-LOAN", principalVND: 100_000_000,
            disbursedOn: d("2024-04-01"), termMonths: 36, instalmentMonths: 3, overdueMultiplierPercent: 130
        )),
        .loanRepaid(LoanRepaid(
            repaymentID: "R-1", amountVND: 10_000_000, paidOn: d("2024-07-01"), overdueInterestVND: 0, interestVND: 1_645_479,
            overduePrincipalVND: 0, principalDueVND: 8_333_333, prepaidPrincipalVND: 21_188, outstandingPrincipalAfterVND: 91_645_479
        )),
        .loanSettled(LoanSettled(settledOn: d("2027-04-01"))),
        .loanWrittenOff(LoanWrittenOff(reason: "borrower deceased", writtenOffOn: d("2025-01-01"), outstandingPrincipalVND: 50_000_000, unpaidInterestVND: 120_000)),
        .unitDefined(UnitDefined(code: UnitCode(rawValue: "phuong-cai-khe")!, name: "Cái Khế", kind: .ward, validFrom: d("2025-07-01"),
                                 validUntil: nil, cameFrom: [.ninhKieu, .binhThuy], illustrative: true)),
    ]
}

@Suite struct EventCodingTests {
    @Test func theSamplesCoverEveryEventType() {
        #expect(Set(EventSamples.all.map(\.typeName)) == Set(LedgerEvent.allTypeNames))
        #expect(EventSamples.all.count == LedgerEvent.allTypeNames.count)
    }

    @Test(arguments: EventSamples.all)
    func everyEventRoundTripsThroughTheStoresForm(event: LedgerEvent) throws {
        let stored = try event.newEvent()
        #expect(stored.type == event.typeName)
        #expect(stored.schemaVersion == LedgerEvent.currentSchemaVersion(of: event.typeName))
        let read = try #require(try LedgerEvent.decode(type: stored.type, schemaVersion: stored.schemaVersion, payloadJSON: stored.payloadJSON))
        #expect(read == event)
    }

    @Test func payloadKeysAreSnakeCaseWithAcronymsInLowerCase() throws {
        let allocation = try EventSamples.all[2].newEvent().payloadJSON
        #expect(allocation.contains("\"amount_vnd\":1000000000"))
        #expect(allocation.contains("\"fiscal_year\":2024"))
        #expect(allocation.contains("\"district\":\"co-do\""))
        let registration = try EventSamples.all[6].newEvent().payloadJSON
        #expect(registration.contains("\"national_id_fingerprint\":\"abab"))
        #expect(registration.contains("\"beneficiary_id\":\"HH-1\""))
        let program = try EventSamples.all[1].newEvent().payloadJSON
        #expect(program.contains("\"cap_per_beneficiary_vnd\":150000000"))
        #expect(program.contains("\"annual_rate_basis_points\":660"))
        #expect(program.contains("\"valid_from\":\"2024-01-01\""))
        #expect(!program.contains("VND") && !program.contains("ID\""))
    }

    @Test func anEventWrittenByHandIsReadWithItsSnakeCaseKeys() throws {
        let json = #"{"payment_id":"P-9","amount_vnd":2500000,"paid_on":"2024-05-02","method":"cash","voucher":"PC-9"}"#
        let event = try LedgerEvent.decode(type: "PaymentRecorded", schemaVersion: 1, payloadJSON: json)
        #expect(event == .paymentRecorded(PaymentRecorded(
            paymentID: "P-9", amountVND: 2_500_000, paidOn: Fixtures.date("2024-05-02"), method: .cash, voucher: "PC-9", bankAccount: nil
        )))
    }

    @Test func applicationSubmittedVersionOneIsUpcastWithTheFiscalYearOfItsSubmissionDate() throws {
        let v1 = #"{"application_id":"A-7","beneficiary_id":"HH-1","program":"NQ12-WATER","district":"o-mon","requested_vnd":10000000,"submitted_on":"2024-11-20"}"#
        let event = try LedgerEvent.decode(type: "ApplicationSubmitted", schemaVersion: 1, payloadJSON: v1)
        #expect(event == .applicationSubmitted(ApplicationSubmitted(
            applicationID: "A-7", beneficiaryID: "HH-1", program: "NQ12-WATER", district: .oMon, fiscalYear: 2024,
            requestedVND: 10_000_000, submittedOn: Fixtures.date("2024-11-20")
        )))
        #expect(try LedgerEvent.applicationSubmitted(Fixtures.submitted()).newEvent().schemaVersion == 2)
    }

    @Test func aSchemaVersionNewerThanThisLedgerIsRefused() throws {
        let error = try #require(refusal {
            try LedgerEvent.decode(type: "ApplicationSubmitted", schemaVersion: 3, payloadJSON: "{}")
        })
        #expect(error.message.contains("reads up to 2"))
    }

    @Test func unknownEventTypesAreSkipped() throws {
        #expect(try LedgerEvent.decode(type: "SomethingElse", schemaVersion: 1, payloadJSON: "{}") == nil)
    }

    @Test func aPayloadMissingAFieldIsRefusedNamingTheEvent() throws {
        let error = try #require(refusal {
            try LedgerEvent.decode(type: "FundsReserved", schemaVersion: 1, payloadJSON: #"{"application_id":"A-1"}"#)
        })
        #expect(error.message.contains("FundsReserved v1 cannot be read"))
    }
}
