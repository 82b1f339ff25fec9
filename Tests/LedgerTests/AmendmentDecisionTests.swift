import EventStore
import Foundation
import Ledger
import Testing

/// `BeneficiaryDecisions.amend` (pure), the state it leaves, and the audit replay of amendments.
@Suite struct AmendmentDecisionTests {
    static let day = Fixtures.date("2024-04-01")
    static let known: Set<String> = ["poor", "near-poor", "rural-worker"]

    /// HH-1: a near-poor household in Ninh Kiều without a bank account.
    static func registered(fingerprint: String? = nil) -> BeneficiaryState {
        BeneficiaryState(streamID: Streams.beneficiary("HH-1")).folding([(
            .beneficiaryRegistered(BeneficiaryRegistered(
                beneficiaryID: "HH-1", kind: .household, name: "Nguyen Van A", district: .ninhKieu, categories: ["near-poor"],
                bankAccount: nil, nationalIDFingerprint: fingerprint
            )),
            EventContext(position: 1, streamVersion: 1, actor: Fixtures.officer, recordedAtMicroseconds: 0)
        )])
    }

    static func amend(_ command: AmendBeneficiary, _ state: BeneficiaryState = registered(), fingerprint: String? = nil,
                      holder: String? = nil) throws -> Decision {
        try BeneficiaryDecisions.amend(command, existing: state, fingerprint: fingerprint, nationalIDHolder: holder, knownCategories: known)
    }

    static func refusal(_ command: AmendBeneficiary, _ state: BeneficiaryState = registered(), fingerprint: String? = nil,
                        holder: String? = nil) -> DomainError? {
        do {
            _ = try amend(command, state, fingerprint: fingerprint, holder: holder)
            return nil
        } catch let error as DomainError {
            return error
        } catch {
            return DomainError(.invalidInput, "unexpected \(error)")
        }
    }

    @Test func anAmendmentChangesWhatTheStateSays() throws {
        let decision = try Self.amend(AmendBeneficiary(
            id: "HH-1", reason: "typo at registration", amendedOn: Self.day, name: "Nguyễn Văn A", addCategories: ["Poor"],
            removeCategories: ["near poor"], bankAccount: "Agribank 7300", unit: .caiRang
        ))
        #expect(decision.summary.contains("name Nguyen Van A → Nguyễn Văn A; categories +poor -near-poor; bank account Agribank 7300; "
            + "unit Ninh Kiều → Cái Răng (reason: typo at registration)"), "\(decision.summary)")
        let event = try #require(decision.streams.first?.events.first)
        guard case .beneficiaryAmended(let amendment) = event else { Issue.record("not an amendment: \(event)"); return }
        #expect(amendment.addCategories == ["poor"] && amendment.removeCategories == ["near-poor"] && amendment.clearBankAccount == nil)
        let after = Self.registered().folding([(event, EventContext(position: 2, streamVersion: 2, actor: Fixtures.officer, recordedAtMicroseconds: 1))])
        #expect(after.name == "Nguyễn Văn A" && after.categories == ["poor"] && after.bankAccount == "Agribank 7300")
        #expect(after.district == .caiRang && after.amendments.count == 1)
        #expect(after.registration?.name == "Nguyen Van A", "the registration as recorded stays")
        // And the bank account can be cleared again.
        let cleared = try Self.amend(AmendBeneficiary(id: "HH-1", reason: "account closed", amendedOn: Self.day, clearBankAccount: true), after)
        let clearedState = after.folding([(cleared.streams[0].events[0], EventContext(position: 3, streamVersion: 3, actor: "o", recordedAtMicroseconds: 2))])
        #expect(clearedState.bankAccount == nil)
    }

    @Test(arguments: [
        (AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: day), "--id", "nothing to change"),
        (AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: day, name: " Nguyen Van A "), "--name", "already named"),
        (AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: day, addCategories: ["near-poor"]), "--add-category", "already has category near-poor"),
        (AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: day, addCategories: ["poorr"]), "--add-category", "known: near-poor, poor, rural-worker"),
        (AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: day, removeCategories: ["poor"]), "--remove-category", "does not have category poor"),
        (AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: day, bankAccount: "A 1", clearBankAccount: true), "--clear-bank-account", "not with --bank-account"),
        (AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: day, clearBankAccount: true), "--clear-bank-account", "no bank account to clear"),
        (AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: day, unit: .ninhKieu), "--unit", "already lives in Ninh Kiều"),
        (AmendBeneficiary(id: "HH-1", reason: " ", amendedOn: day, name: "B"), "--reason", "empty"),
    ])
    func anAmendmentThatChangesNothingIsRefusedNamingTheOption(command: AmendBeneficiary, field: String, says: String) {
        let error = Self.refusal(command)
        #expect(error?.field == field, "\(String(describing: error))")
        #expect(error?.message.contains(says) == true, "\(String(describing: error))")
    }

    @Test func anUnknownBeneficiaryOrAnotherOnesNationalIDIsRefused() {
        let unknown = Self.refusal(
            AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: Self.day, name: "B"), BeneficiaryState(streamID: Streams.beneficiary("HH-1"))
        )
        #expect(unknown?.code == .unknownBeneficiary && unknown?.field == "--id")
        let other = String(repeating: "cd", count: 32)
        let taken = Self.refusal(AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: Self.day), fingerprint: other, holder: "HH-2")
        #expect(taken?.code == .duplicateNationalID && taken?.message.contains("HH-2") == true, "\(String(describing: taken))")
        let same = Self.refusal(AmendBeneficiary(id: "HH-1", reason: "x", amendedOn: Self.day), Self.registered(fingerprint: other),
                                fingerprint: other, holder: "HH-1")
        #expect(same?.field == "--national-id" && same?.message.contains("already") == true)
    }

    @Test func aLedgerWithoutACatalogAcceptsAnyCategory() throws {
        try BeneficiaryCategory.requireKnown(["anything"], known: [], field: "--category")
        #expect(throws: DomainError.self) { try BeneficiaryCategory.requireKnown(["anything"], known: ["poor"], field: "--category") }
    }

    @Test func theCatalogDeclaresCategoriesAndItsProgrammesUseOnlyThose() throws {
        let sample = try ProgramCatalog(parsing: SampleCatalog.json)
        #expect(sample.categories.map(\.name) == ["poor", "near-poor", "rural-worker", "ethnic-minority", "person-with-disability", "policy-family"])
        let undeclared = SampleCatalog.json.replacingOccurrences(
            of: #"{"name": "policy-family", "label_vi": "Gia đình chính sách", "label_en": "Policy family (families of martyrs and war invalids)"}"#,
            with: #"{"name": "Policy family", "label_vi": "x", "label_en": "y"}, {"name": "orphan", "label_vi": "x", "label_en": "y"}"#
        )
        #expect(try ProgramCatalog(parsing: undeclared).categories.contains { $0.name == "policy-family" }, "names are canonicalised")
        let missing = SampleCatalog.json.replacingOccurrences(of: #"{"name": "rural-worker", "label_vi": "Lao động nông thôn", "label_en": "Rural worker"},"#, with: "")
        #expect(throws: DomainError.invalidInput(
            field: "programs[0].eligible_categories",
            problem: "\"rural-worker\" is not among the catalog's categories (poor, near-poor, ethnic-minority, person-with-disability, policy-family) "
                + "(programme NQ11-TRAIN-ELEMENTARY)"
        )) { try ProgramCatalog(parsing: missing) }
        // Loading: each category new to the ledger is defined once; unchanged ones are left alone.
        let first = try ProgramDecisions.load(catalog: sample, existing: [:])
        #expect(first.streams.filter { $0.stream.hasPrefix("category-") }.count == 6)
        let recorded = Dictionary(uniqueKeysWithValues: sample.categories.map { ($0.name, ($0, version: Int64(1))) })
        let programs = Dictionary(uniqueKeysWithValues: sample.programs.map { definition in
            (definition.code, ProgramState(streamID: Streams.program(definition.code)).folding([(.programDefined(definition),
                EventContext(position: 1, streamVersion: 1, actor: "admin", recordedAtMicroseconds: 0))]))
        })
        #expect(try ProgramDecisions.load(catalog: sample, existing: programs, existingCategories: recorded).alreadyDone)
    }

    // MARK: The audit replay

    @Test func theReplayFollowsAmendmentsAndNamesThoseThatBreakARule() {
        var log = InvariantAuditTests.approved()
        let fingerprint = InvariantAuditTests.fingerprint
        let other = String(repeating: "cd", count: 32)
        log.add(Streams.beneficiary("HH-2"), .beneficiaryRegistered(BeneficiaryRegistered(
            beneficiaryID: "HH-2", kind: .household, name: "Hộ HH-2", district: .ninhKieu, categories: ["poor"], bankAccount: nil,
            nationalIDFingerprint: other
        )), by: Fixtures.officer)
        // Fine: HH-2 takes a new id, so its old one is free for HH-3.
        log.add(Streams.beneficiary("HH-2"), .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-2", reason: "new CCCD", amendedOn: Self.day, nationalIDFingerprint: String(repeating: "ef", count: 32)
        )), by: Fixtures.officer)
        log.register("HH-3", fingerprint: other)
        #expect(log.audit().violations.isEmpty, "\(log.audit().violations)")
        // Broken: HH-2 amended to HH-1's id; HH-1 given a category it has; a category nobody declared.
        log.add(Streams.beneficiary("HH-2"), .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-2", reason: "x", amendedOn: Self.day, nationalIDFingerprint: fingerprint
        )), by: Fixtures.officer)
        log.add(Streams.beneficiary("HH-1"), .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-1", reason: "x", amendedOn: Self.day, addCategories: ["poor"]
        )), by: Fixtures.officer)
        log.add(Streams.beneficiary("HH-1"), .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-1", reason: "x", amendedOn: Self.day, addCategories: ["poorr"]
        )), by: Fixtures.officer)
        log.add(Streams.beneficiary("HH-404"), .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-404", reason: "x", amendedOn: Self.day, name: "Y"
        )), by: Fixtures.officer)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.duplicateNationalID, .lifecycle, .unknownCategory, .lifecycle], "\(violations)")
        #expect(violations[0].message.contains("national id of beneficiary HH-1"))
        #expect(violations[1].message.contains("already has poor"))
        #expect(violations[2].message.contains("category poorr"))
        #expect(violations[3].message.contains("never registered"))
    }

    @Test func theReplayNamesAmendmentsThatLeaveMoreCategoriesThanARegistrationMayList() {
        var log = InvariantAuditTests.approved()
        let names = (1...24).map { "group-\($0)" }
        for name in names {
            log.add(Streams.category(name), .categoryDefined(CategoryDefined(name: name, labelVi: "x", labelEn: "x")), by: Fixtures.officer)
        }
        log.add(Streams.beneficiary("HH-1"), .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-1", reason: "x", amendedOn: Self.day, addCategories: Array(names[0..<12])
        )), by: Fixtures.officer)
        #expect(log.audit().violations.isEmpty, "\(log.audit().violations)")
        log.add(Streams.beneficiary("HH-1"), .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-1", reason: "x", amendedOn: Self.day, addCategories: Array(names[12..<24])
        )), by: Fixtures.officer)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.lifecycle] && violations.first?.message.contains("at most 20") == true, "\(violations)")
    }

    @Test func theReplayNamesABankPaymentToAnotherAccountThanTheOneOnRecord() {
        var log = InvariantAuditTests.approved()
        // HH-1 is registered with "Agribank 1".
        log.add(Streams.application("A-1"), .paymentRecorded(PaymentRecorded(
            paymentID: "P-1", amountVND: 1_000_000, paidOn: Fixtures.date("2024-03-15"), method: .bank, voucher: "UNC 1", bankAccount: "Agribank 1"
        )), by: Fixtures.officer)
        log.add(Streams.beneficiary("HH-1"), .beneficiaryAmended(BeneficiaryAmended(
            beneficiaryID: "HH-1", reason: "new account", amendedOn: Self.day, bankAccount: "VCB 2"
        )), by: Fixtures.officer)
        log.add(Streams.application("A-1"), .paymentRecorded(PaymentRecorded(
            paymentID: "P-2", amountVND: 1_000_000, paidOn: Fixtures.date("2024-04-02"), method: .bank, voucher: "UNC 2", bankAccount: "Agribank 1"
        )), by: Fixtures.officer)
        let violations = log.audit().violations
        #expect(violations.map(\.rule) == [.bankAccount], "\(violations)")
        #expect(violations.first?.message.contains("not to the account its beneficiary had on record (\"VCB 2\")") == true, "\(violations)")
    }
}
