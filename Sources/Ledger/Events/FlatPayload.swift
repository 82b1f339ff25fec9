import EventStore

/// The fast path for reading stored payloads. Nearly every event is a flat JSON object of
/// strings and integers (PostgreSQL's jsonb text of what `newEvent()` wrote); reading those with
/// the event store's small reader (`MiniJSON`) is several times cheaper than `JSONDecoder`, and
/// replays, rebuilds and audits read every event. Anything it does not expect — a fraction, a
/// missing or mistyped field, a programme's nested terms — makes it answer nil, and the caller
/// decodes with `JSONDecoder` as before, so results and error messages never depend on which path
/// ran.
/// (`EventWireFormTests` and `FlatPayloadTests` hold the two paths to the same answers.)
struct FlatPayload {
    typealias Value = MiniJSON.Value

    /// Fields in the order they appear; a payload has at most a dozen, so a linear search wins.
    private(set) var fields: [(String, Value)] = []

    /// Read with the event store's small JSON reader (`MiniJSON`); nil unless one object.
    init?(_ text: String) {
        guard case .object(let fields)? = MiniJSON.parse(text) else { return nil }
        self.fields = fields
    }

    func value(_ key: String) -> Value? {
        for (name, value) in fields where name == key { return value }
        return nil
    }

    func string(_ key: String) -> String? {
        if case .string(let text)? = value(key) { return text }
        return nil
    }

    /// `.some(nil)` when absent or null (an optional field), nil when of another type.
    func optionalString(_ key: String) -> String?? {
        switch value(key) {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        default: return nil
        }
    }

    func int(_ key: String) -> Int? {
        if case .integer(let number)? = value(key), let value = Int(exactly: number) { return value }
        return nil
    }

    func vnd(_ key: String) -> VND? {
        if case .integer(let number)? = value(key) { return VND(number) }
        return nil
    }

    /// Exactly `YYYY-MM-DD` (anything else goes the slow way, which explains what is wrong).
    func date(_ key: String) -> LocalDate? {
        guard let text = string(key) else { return nil }
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        return LocalDate(year: year, month: month, day: day)
    }

    func strings(_ key: String) -> [String]? {
        guard case .array(let items)? = value(key) else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(items.count)
        for item in items {
            guard case .string(let text) = item else { return nil }
            strings.append(text)
        }
        return strings
    }

    /// The event, when the payload is one this path reads; nil otherwise (decode it the slow way).
    static func event(type: String, payloadJSON: String) -> LedgerEvent? {
        switch type {
        case "ProgramDefined", "ProgramAmended":
            return nil  // nested loan terms: rare, left to JSONDecoder
        default:
            break
        }
        guard let p = FlatPayload(payloadJSON) else { return nil }
        switch type {
        case "UnitDefined":
            guard let code = p.string("code").flatMap(UnitCode.init(rawValue:)), let name = p.string("name"),
                  let kind = p.string("kind").flatMap(UnitKind.init(rawValue:)), let from = p.date("valid_from"),
                  let untilText = p.optionalString("valid_until") else { return nil }
            let until = untilText == nil ? nil : p.date("valid_until")
            if untilText != nil, until == nil { return nil }
            var cameFrom: [UnitCode]?
            switch p.value("came_from") {
            case nil, .null?: cameFrom = nil
            case .array?:
                guard let codes = p.strings("came_from")?.compactMap(UnitCode.init(rawValue:)), codes.count == p.strings("came_from")?.count
                else { return nil }
                cameFrom = codes
            default: return nil
            }
            var illustrative: Bool?
            switch p.value("illustrative") {
            case nil, .null?: illustrative = nil
            case .bool(let flag)?: illustrative = flag
            default: return nil
            }
            return .unitDefined(UnitDefined(code: code, name: name, kind: kind, validFrom: from, validUntil: until, cameFrom: cameFrom,
                                            illustrative: illustrative))
        case "BudgetAllocated":
            guard let program = p.string("program"), let year = p.int("fiscal_year"), let district = p.district(),
                  let amount = p.vnd("amount_vnd"), let reference = p.string("reference") else { return nil }
            return .budgetAllocated(BudgetAllocated(program: program, fiscalYear: year, district: district, amountVND: amount, reference: reference))
        case "BudgetAdjusted":
            guard let program = p.string("program"), let year = p.int("fiscal_year"), let district = p.district(),
                  let delta = p.vnd("delta_vnd"), let reference = p.string("reference") else { return nil }
            return .budgetAdjusted(BudgetAdjusted(program: program, fiscalYear: year, district: district, deltaVND: delta, reference: reference))
        case "FundsReserved":
            guard let application = p.string("application_id"), let amount = p.vnd("amount_vnd") else { return nil }
            return .fundsReserved(FundsReserved(applicationID: application, amountVND: amount))
        case "FundsReleased":
            guard let application = p.string("application_id"), let amount = p.vnd("amount_vnd"), let reason = p.string("reason") else { return nil }
            return .fundsReleased(FundsReleased(applicationID: application, amountVND: amount, reason: reason))
        case "BeneficiaryRegistered":
            guard let id = p.string("beneficiary_id"), let kind = p.string("kind").flatMap(BeneficiaryKind.init(rawValue:)),
                  let name = p.string("name"), let district = p.district(), let categories = p.strings("categories"),
                  let bank = p.optionalString("bank_account"), let fingerprint = p.optionalString("national_id_fingerprint") else { return nil }
            guard let registered = p.optionalString("registered_on") else { return nil }  // optional (0016); absent in older events
            let registeredOn = registered == nil ? nil : p.date("registered_on")
            if registered != nil, registeredOn == nil { return nil }
            return .beneficiaryRegistered(BeneficiaryRegistered(beneficiaryID: id, kind: kind, name: name, district: district,
                                                                categories: categories, bankAccount: bank, nationalIDFingerprint: fingerprint,
                                                                registeredOn: registeredOn))
        case "BeneficiaryAmended":
            guard let id = p.string("beneficiary_id"), let reason = p.string("reason"), let amendedOn = p.date("amended_on"),
                  let name = p.optionalString("name"), let bank = p.optionalString("bank_account"),
                  let fingerprint = p.optionalString("national_id_fingerprint"), let unitCode = p.optionalString("unit") else { return nil }
            let unit = unitCode.flatMap(UnitCode.init(rawValue:))
            if unitCode != nil, unit == nil { return nil }
            var lists: [[String]?] = []
            for key in ["add_categories", "remove_categories"] {
                switch p.value(key) {
                case nil, .null?: lists.append(nil)
                case .array?:
                    guard let list = p.strings(key) else { return nil }
                    lists.append(list)
                default: return nil
                }
            }
            var clear: Bool?
            switch p.value("clear_bank_account") {
            case nil, .null?: clear = nil
            case .bool(let flag)?: clear = flag
            default: return nil
            }
            return .beneficiaryAmended(BeneficiaryAmended(
                beneficiaryID: id, reason: reason, amendedOn: amendedOn, name: name, addCategories: lists[0], removeCategories: lists[1],
                bankAccount: bank, clearBankAccount: clear, unit: unit, nationalIDFingerprint: fingerprint
            ))
        case "CategoryDefined":
            guard let name = p.string("name"), let labelVi = p.string("label_vi"), let labelEn = p.string("label_en") else { return nil }
            return .categoryDefined(CategoryDefined(name: name, labelVi: labelVi, labelEn: labelEn))
        case "BenefitCommitted":
            guard let application = p.string("application_id"), let program = p.string("program"), let amount = p.vnd("amount_vnd") else { return nil }
            return .benefitCommitted(BenefitCommitted(applicationID: application, program: program, amountVND: amount))
        case "BenefitReleased":
            guard let application = p.string("application_id"), let program = p.string("program"), let amount = p.vnd("amount_vnd") else { return nil }
            return .benefitReleased(BenefitReleased(applicationID: application, program: program, amountVND: amount))
        case "ApplicationSubmitted":
            guard let id = p.string("application_id"), let beneficiary = p.string("beneficiary_id"), let program = p.string("program"),
                  let district = p.district(), let year = p.int("fiscal_year"), let requested = p.vnd("requested_vnd"),
                  let submittedOn = p.date("submitted_on") else { return nil }
            return .applicationSubmitted(ApplicationSubmitted(applicationID: id, beneficiaryID: beneficiary, program: program, district: district,
                                                              fiscalYear: year, requestedVND: requested, submittedOn: submittedOn))
        case "ApplicationApproved":
            guard let amount = p.vnd("approved_vnd"), let reference = p.string("decision_reference"), let on = p.date("decided_on") else { return nil }
            return .applicationApproved(ApplicationApproved(approvedVND: amount, decisionReference: reference, decidedOn: on))
        case "ApplicationRejected":
            guard let reason = p.string("reason"), let on = p.date("decided_on") else { return nil }
            return .applicationRejected(ApplicationRejected(reason: reason, decidedOn: on))
        case "ApplicationWithdrawn":
            guard let reason = p.string("reason"), let on = p.date("withdrawn_on"), let released = p.vnd("released_vnd") else { return nil }
            return .applicationWithdrawn(ApplicationWithdrawn(reason: reason, withdrawnOn: on, releasedVND: released))
        case "PaymentRecorded":
            guard let id = p.string("payment_id"), let amount = p.vnd("amount_vnd"), let paidOn = p.date("paid_on"),
                  let method = p.string("method").flatMap(PaymentMethod.init(rawValue:)), let voucher = p.string("voucher"),
                  let bank = p.optionalString("bank_account") else { return nil }
            return .paymentRecorded(PaymentRecorded(paymentID: id, amountVND: amount, paidOn: paidOn, method: method, voucher: voucher, bankAccount: bank))
        case "PaymentReversed":
            guard let id = p.string("payment_id"), let amount = p.vnd("amount_vnd"), let reason = p.string("reason"),
                  let on = p.date("reversed_on") else { return nil }
            return .paymentReversed(PaymentReversed(paymentID: id, amountVND: amount, reason: reason, reversedOn: on))
        case "LoanOpened":
            guard let id = p.string("loan_id"), let principal = p.vnd("principal_vnd"), let on = p.date("disbursed_on") else { return nil }
            return .loanOpened(LoanOpened(loanID: id, principalVND: principal, disbursedOn: on))
        case "ApplicationClosed":
            guard let on = p.date("closed_on"), let paid = p.vnd("paid_vnd"), let released = p.vnd("released_vnd") else { return nil }
            return .applicationClosed(ApplicationClosed(closedOn: on, paidVND: paid, releasedVND: released))
        case "LoanDisbursed":
            guard let id = p.string("loan_id"), let application = p.string("application_id"), let beneficiary = p.string("beneficiary_id"),
                  let program = p.string("program"), let principal = p.vnd("principal_vnd"), let on = p.date("disbursed_on"),
                  let term = p.int("term_months"), let instalment = p.int("instalment_months"),
                  let multiplier = p.int("overdue_multiplier_percent") else { return nil }
            return .loanDisbursed(LoanDisbursed(loanID: id, applicationID: application, beneficiaryID: beneficiary, program: program,
                                                principalVND: principal, disbursedOn: on, termMonths: term, instalmentMonths: instalment,
                                                overdueMultiplierPercent: multiplier))
        case "LoanRepaid":
            guard let id = p.string("repayment_id"), let amount = p.vnd("amount_vnd"), let paidOn = p.date("paid_on"),
                  let overdueInterest = p.vnd("overdue_interest_vnd"), let interest = p.vnd("interest_vnd"),
                  let overduePrincipal = p.vnd("overdue_principal_vnd"), let principalDue = p.vnd("principal_due_vnd"),
                  let prepaid = p.vnd("prepaid_principal_vnd"), let outstanding = p.vnd("outstanding_principal_after_vnd"),
                  let unpaidOverdue = p.vnd("unpaid_overdue_interest_after_vnd"), let unpaidInterest = p.vnd("unpaid_interest_after_vnd")
            else { return nil }
            return .loanRepaid(LoanRepaid(repaymentID: id, amountVND: amount, paidOn: paidOn, overdueInterestVND: overdueInterest,
                                          interestVND: interest, overduePrincipalVND: overduePrincipal, principalDueVND: principalDue,
                                          prepaidPrincipalVND: prepaid, outstandingPrincipalAfterVND: outstanding,
                                          unpaidOverdueInterestAfterVND: unpaidOverdue, unpaidInterestAfterVND: unpaidInterest))
        case "LoanSettled":
            guard let on = p.date("settled_on") else { return nil }
            return .loanSettled(LoanSettled(settledOn: on))
        case "LoanWrittenOff":
            guard let reason = p.string("reason"), let on = p.date("written_off_on"), let outstanding = p.vnd("outstanding_principal_vnd"),
                  let unpaid = p.vnd("unpaid_interest_vnd") else { return nil }
            return .loanWrittenOff(LoanWrittenOff(reason: reason, writtenOffOn: on, outstandingPrincipalVND: outstanding, unpaidInterestVND: unpaid))
        default:
            return nil
        }
    }

    private func district() -> UnitCode? {
        string("district").flatMap(UnitCode.init(rawValue:))
    }
}
