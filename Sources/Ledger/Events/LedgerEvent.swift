import EventStore
import Foundation

/// Every event of the domain, with its payload. The event type stored in the log is the case
/// name in UpperCamelCase (`ApplicationApproved`); payload keys are snake_case JSON; amounts are
/// integer đồng; dates are `YYYY-MM-DD` business dates.
///
/// Adding a field changes `schemaVersion` and adds an upcaster in `LedgerEvent+Upcasting.swift`,
/// so events recorded under older versions still read.
public enum LedgerEvent: Sendable, Equatable {
    // unit-{code}
    case unitDefined(UnitDefined)
    // program-{code}
    case programDefined(ProgramDefinition)
    case programAmended(ProgramDefinition)
    // budget-{program}-{year}-{district}
    case budgetAllocated(BudgetAllocated)
    case budgetAdjusted(BudgetAdjusted)
    case fundsReserved(FundsReserved)
    case fundsReleased(FundsReleased)
    // beneficiary-{id}
    case beneficiaryRegistered(BeneficiaryRegistered)
    case benefitCommitted(BenefitCommitted)
    case benefitReleased(BenefitReleased)
    case beneficiaryAmended(BeneficiaryAmended)
    // category-{name}
    case categoryDefined(CategoryDefined)
    // application-{id}
    case applicationSubmitted(ApplicationSubmitted)
    case applicationApproved(ApplicationApproved)
    case applicationRejected(ApplicationRejected)
    case applicationWithdrawn(ApplicationWithdrawn)
    case paymentRecorded(PaymentRecorded)
    case paymentReversed(PaymentReversed)
    case loanOpened(LoanOpened)
    case applicationClosed(ApplicationClosed)
    // loan-{id}
    case loanDisbursed(LoanDisbursed)
    case loanRepaid(LoanRepaid)
    case loanSettled(LoanSettled)
    case loanWrittenOff(LoanWrittenOff)
}

// MARK: Programmes

/// Grant or loan.
public enum ProgramKind: String, Sendable, Codable, CaseIterable {
    case grant, loan
}

/// Person or household.
public enum BeneficiaryKind: String, Sendable, Codable, CaseIterable {
    case person, household
}

/// An interest rate in force from a date until the next period starts.
public struct RatePeriod: Sendable, Codable, Equatable {
    public let from: LocalDate
    /// Per year, in basis points (660 = 6.60 %).
    public let annualRateBasisPoints: Int
    public init(from: LocalDate, annualRateBasisPoints: Int) {
        self.from = from
        self.annualRateBasisPoints = annualRateBasisPoints
    }
    enum CodingKeys: String, CodingKey {
        case from, annualRateBasisPoints = "annual_rate_basis_points"
    }
}

/// What a loan programme adds to a programme.
public struct LoanTerms: Sendable, Codable, Equatable {
    /// In date order; the rate of a day is that of the last period starting on or before it.
    public let ratePeriods: [RatePeriod]
    /// Overdue interest = rate × this / 100 on overdue principal (130 in the national scheme).
    public let overdueMultiplierPercent: Int
    public let maxTermMonths: Int
    /// Months between principal instalments (1 monthly, 3 quarterly, …).
    public let instalmentMonths: Int
    public init(ratePeriods: [RatePeriod], overdueMultiplierPercent: Int, maxTermMonths: Int, instalmentMonths: Int) {
        self.ratePeriods = ratePeriods
        self.overdueMultiplierPercent = overdueMultiplierPercent
        self.maxTermMonths = maxTermMonths
        self.instalmentMonths = instalmentMonths
    }
    enum CodingKeys: String, CodingKey {
        case ratePeriods = "rate_periods", overdueMultiplierPercent = "overdue_multiplier_percent"
        case maxTermMonths = "max_term_months", instalmentMonths = "instalment_months"
    }
}

/// A programme as an admin loads it from the catalog; an amendment is a whole new definition
/// effective from its date.
public struct ProgramDefinition: Sendable, Codable, Equatable {
    public let code: String
    public let nameVi: String
    public let nameEn: String
    public let legalBasis: String
    public let kind: ProgramKind
    public let beneficiaryKinds: [BeneficiaryKind]
    /// Categories a beneficiary needs at least one of (e.g. `poor`); empty means any.
    public let eligibleCategories: [String]
    public let capPerBeneficiaryVND: VND
    public let validFrom: LocalDate
    public let validUntil: LocalDate
    /// Once-only: the cap counts everything the beneficiary was granted under the programme.
    public let onceOnly: Bool
    /// The business date from which this definition applies.
    public let effectiveFrom: LocalDate
    /// True when the figures are samples, not the resolution's.
    public let illustrative: Bool
    public let loanTerms: LoanTerms?

    public init(
        code: String, nameVi: String, nameEn: String, legalBasis: String, kind: ProgramKind,
        beneficiaryKinds: [BeneficiaryKind], eligibleCategories: [String], capPerBeneficiaryVND: VND,
        validFrom: LocalDate, validUntil: LocalDate, onceOnly: Bool, effectiveFrom: LocalDate,
        illustrative: Bool, loanTerms: LoanTerms?
    ) {
        self.code = code
        self.nameVi = nameVi
        self.nameEn = nameEn
        self.legalBasis = legalBasis
        self.kind = kind
        self.beneficiaryKinds = beneficiaryKinds
        self.eligibleCategories = eligibleCategories
        self.capPerBeneficiaryVND = capPerBeneficiaryVND
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.onceOnly = onceOnly
        self.effectiveFrom = effectiveFrom
        self.illustrative = illustrative
        self.loanTerms = loanTerms
    }
    enum CodingKeys: String, CodingKey {
        case code, nameVi = "name_vi", nameEn = "name_en", legalBasis = "legal_basis", kind
        case beneficiaryKinds = "beneficiary_kinds", eligibleCategories = "eligible_categories"
        case capPerBeneficiaryVND = "cap_per_beneficiary_vnd", validFrom = "valid_from", validUntil = "valid_until"
        case onceOnly = "once_only", effectiveFrom = "effective_from", illustrative, loanTerms = "loan_terms"
    }
}

// MARK: Budgets

public struct BudgetAllocated: Sendable, Codable, Equatable {
    public let program: String
    public let fiscalYear: Int
    public let district: UnitCode
    public let amountVND: VND
    public let reference: String
    public init(program: String, fiscalYear: Int, district: UnitCode, amountVND: VND, reference: String) {
        self.program = program; self.fiscalYear = fiscalYear; self.district = district
        self.amountVND = amountVND; self.reference = reference
    }
    enum CodingKeys: String, CodingKey {
        case program, fiscalYear = "fiscal_year", district, amountVND = "amount_vnd", reference
    }
}

public struct BudgetAdjusted: Sendable, Codable, Equatable {
    public let program: String
    public let fiscalYear: Int
    public let district: UnitCode
    /// Positive adds funds, negative removes them.
    public let deltaVND: VND
    public let reference: String
    public init(program: String, fiscalYear: Int, district: UnitCode, deltaVND: VND, reference: String) {
        self.program = program; self.fiscalYear = fiscalYear; self.district = district
        self.deltaVND = deltaVND; self.reference = reference
    }
    enum CodingKeys: String, CodingKey {
        case program, fiscalYear = "fiscal_year", district, deltaVND = "delta_vnd", reference
    }
}

/// An approval's claim on the budget.
public struct FundsReserved: Sendable, Codable, Equatable {
    public let applicationID: String
    public let amountVND: VND
    public init(applicationID: String, amountVND: VND) { self.applicationID = applicationID; self.amountVND = amountVND }
    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", amountVND = "amount_vnd"
    }
}

/// Part of a reservation given back (closed under-paid, withdrawn).
public struct FundsReleased: Sendable, Codable, Equatable {
    public let applicationID: String
    public let amountVND: VND
    public let reason: String
    public init(applicationID: String, amountVND: VND, reason: String) {
        self.applicationID = applicationID; self.amountVND = amountVND; self.reason = reason
    }
    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", amountVND = "amount_vnd", reason
    }
}

// MARK: Beneficiaries

public struct BeneficiaryRegistered: Sendable, Codable, Equatable {
    public let beneficiaryID: String
    public let kind: BeneficiaryKind
    public let name: String
    public let district: UnitCode
    public let categories: [String]
    public let bankAccount: String?
    /// HMAC-SHA-256 of the national id under the deployment's key, hex; never the id itself.
    public let nationalIDFingerprint: String?
    /// The business date of the registration: the unit (`district`) must be in force then once
    /// places are loaded. Absent in events recorded before places were data.
    public let registeredOn: LocalDate?
    public init(beneficiaryID: String, kind: BeneficiaryKind, name: String, district: UnitCode, categories: [String],
                bankAccount: String?, nationalIDFingerprint: String?, registeredOn: LocalDate? = nil) {
        self.beneficiaryID = beneficiaryID; self.kind = kind; self.name = name; self.district = district
        self.categories = categories; self.bankAccount = bankAccount; self.nationalIDFingerprint = nationalIDFingerprint
        self.registeredOn = registeredOn
    }
    enum CodingKeys: String, CodingKey {
        case beneficiaryID = "beneficiary_id", kind, name, district, categories, bankAccount = "bank_account"
        case nationalIDFingerprint = "national_id_fingerprint", registeredOn = "registered_on"
    }
}

/// A correction of a registered beneficiary, with its reason: each field present replaces (or,
/// for categories, adds to or removes from) what the beneficiary had; absent fields stay. At
/// least one change. Later decisions read the amended state (`BeneficiaryState`).
public struct BeneficiaryAmended: Sendable, Codable, Equatable {
    public let beneficiaryID: String
    public let reason: String
    /// The business date the correction takes effect.
    public let amendedOn: LocalDate
    public let name: String?
    /// Canonical category names added (sorted); nil when none.
    public let addCategories: [String]?
    /// Canonical category names removed (sorted); nil when none.
    public let removeCategories: [String]?
    public let bankAccount: String?
    /// `true` removes the bank account; never `false` (absent instead).
    public let clearBankAccount: Bool?
    /// The administrative unit the beneficiary now lives in (a unit code; the old district codes are unit codes).
    public let unit: UnitCode?
    /// The new national id's fingerprint (the old one is freed for others).
    public let nationalIDFingerprint: String?

    public init(beneficiaryID: String, reason: String, amendedOn: LocalDate, name: String? = nil, addCategories: [String]? = nil,
                removeCategories: [String]? = nil, bankAccount: String? = nil, clearBankAccount: Bool? = nil, unit: UnitCode? = nil,
                nationalIDFingerprint: String? = nil) {
        self.beneficiaryID = beneficiaryID; self.reason = reason; self.amendedOn = amendedOn; self.name = name
        self.addCategories = addCategories; self.removeCategories = removeCategories; self.bankAccount = bankAccount
        self.clearBankAccount = clearBankAccount; self.unit = unit; self.nationalIDFingerprint = nationalIDFingerprint
    }
    enum CodingKeys: String, CodingKey {
        case beneficiaryID = "beneficiary_id", reason, amendedOn = "amended_on", name
        case addCategories = "add_categories", removeCategories = "remove_categories", bankAccount = "bank_account"
        case clearBankAccount = "clear_bank_account", unit, nationalIDFingerprint = "national_id_fingerprint"
    }

    /// The fields this amendment changes, by payload name, in a fixed order.
    public var changedFields: [String] {
        var fields: [String] = []
        if name != nil { fields.append("name") }
        if addCategories != nil { fields.append("add_categories") }
        if removeCategories != nil { fields.append("remove_categories") }
        if bankAccount != nil { fields.append("bank_account") }
        if clearBankAccount != nil { fields.append("clear_bank_account") }
        if unit != nil { fields.append("unit") }
        if nationalIDFingerprint != nil { fields.append("national_id_fingerprint") }
        return fields
    }
}

/// A beneficiary category the ledger knows (declared by the programme catalog), stream
/// `category-{name}`. Registering or amending with a category the ledger does not know is refused.
public struct CategoryDefined: Sendable, Codable, Equatable {
    /// Canonical form (`near-poor`).
    public let name: String
    public let labelVi: String
    public let labelEn: String
    public init(name: String, labelVi: String, labelEn: String) {
        self.name = name; self.labelVi = labelVi; self.labelEn = labelEn
    }
    enum CodingKeys: String, CodingKey {
        case name, labelVi = "label_vi", labelEn = "label_en"
    }
}

/// An approval counted against the beneficiary (for once-only caps).
public struct BenefitCommitted: Sendable, Codable, Equatable {
    public let applicationID: String
    public let program: String
    public let amountVND: VND
    public init(applicationID: String, program: String, amountVND: VND) {
        self.applicationID = applicationID; self.program = program; self.amountVND = amountVND
    }
    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", program, amountVND = "amount_vnd"
    }
}

public struct BenefitReleased: Sendable, Codable, Equatable {
    public let applicationID: String
    public let program: String
    public let amountVND: VND
    public init(applicationID: String, program: String, amountVND: VND) {
        self.applicationID = applicationID; self.program = program; self.amountVND = amountVND
    }
    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", program, amountVND = "amount_vnd"
    }
}

// MARK: Applications

public struct ApplicationSubmitted: Sendable, Codable, Equatable {
    public let applicationID: String
    public let beneficiaryID: String
    public let program: String
    public let district: UnitCode
    public let fiscalYear: Int
    public let requestedVND: VND
    public let submittedOn: LocalDate
    public init(applicationID: String, beneficiaryID: String, program: String, district: UnitCode, fiscalYear: Int,
                requestedVND: VND, submittedOn: LocalDate) {
        self.applicationID = applicationID; self.beneficiaryID = beneficiaryID; self.program = program
        self.district = district; self.fiscalYear = fiscalYear; self.requestedVND = requestedVND; self.submittedOn = submittedOn
    }
    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", beneficiaryID = "beneficiary_id", program, district, fiscalYear = "fiscal_year"
        case requestedVND = "requested_vnd", submittedOn = "submitted_on"
    }
}

public struct ApplicationApproved: Sendable, Codable, Equatable {
    public let approvedVND: VND
    /// The decision's legal reference (số quyết định).
    public let decisionReference: String
    public let decidedOn: LocalDate
    public init(approvedVND: VND, decisionReference: String, decidedOn: LocalDate) {
        self.approvedVND = approvedVND; self.decisionReference = decisionReference; self.decidedOn = decidedOn
    }
    enum CodingKeys: String, CodingKey {
        case approvedVND = "approved_vnd", decisionReference = "decision_reference", decidedOn = "decided_on"
    }
}

public struct ApplicationRejected: Sendable, Codable, Equatable {
    public let reason: String
    public let decidedOn: LocalDate
    public init(reason: String, decidedOn: LocalDate) { self.reason = reason; self.decidedOn = decidedOn }
    enum CodingKeys: String, CodingKey {
        case reason, decidedOn = "decided_on"
    }
}

public struct ApplicationWithdrawn: Sendable, Codable, Equatable {
    public let reason: String
    public let withdrawnOn: LocalDate
    /// Reservation given back to the budget (0 when it was not approved).
    public let releasedVND: VND
    public init(reason: String, withdrawnOn: LocalDate, releasedVND: VND) {
        self.reason = reason; self.withdrawnOn = withdrawnOn; self.releasedVND = releasedVND
    }
    enum CodingKeys: String, CodingKey {
        case reason, withdrawnOn = "withdrawn_on", releasedVND = "released_vnd"
    }
}

public enum PaymentMethod: String, Sendable, Codable, CaseIterable {
    case bank, cash
}

public struct PaymentRecorded: Sendable, Codable, Equatable {
    public let paymentID: String
    public let amountVND: VND
    public let paidOn: LocalDate
    public let method: PaymentMethod
    /// The voucher's reference (số chứng từ).
    public let voucher: String
    /// Copied from the beneficiary at the time of payment (bank transfers).
    public let bankAccount: String?
    public init(paymentID: String, amountVND: VND, paidOn: LocalDate, method: PaymentMethod, voucher: String, bankAccount: String?) {
        self.paymentID = paymentID; self.amountVND = amountVND; self.paidOn = paidOn; self.method = method
        self.voucher = voucher; self.bankAccount = bankAccount
    }
    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id", amountVND = "amount_vnd", paidOn = "paid_on", method, voucher, bankAccount = "bank_account"
    }
}

/// A payment returned by the bank; it restores what may still be paid.
public struct PaymentReversed: Sendable, Codable, Equatable {
    public let paymentID: String
    public let amountVND: VND
    public let reason: String
    public let reversedOn: LocalDate
    public init(paymentID: String, amountVND: VND, reason: String, reversedOn: LocalDate) {
        self.paymentID = paymentID; self.amountVND = amountVND; self.reason = reason; self.reversedOn = reversedOn
    }
    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id", amountVND = "amount_vnd", reason, reversedOn = "reversed_on"
    }
}

/// A loan disbursed against this (loan programme) application.
public struct LoanOpened: Sendable, Codable, Equatable {
    public let loanID: String
    public let principalVND: VND
    public let disbursedOn: LocalDate
    public init(loanID: String, principalVND: VND, disbursedOn: LocalDate) {
        self.loanID = loanID; self.principalVND = principalVND; self.disbursedOn = disbursedOn
    }
    enum CodingKeys: String, CodingKey {
        case loanID = "loan_id", principalVND = "principal_vnd", disbursedOn = "disbursed_on"
    }
}

public struct ApplicationClosed: Sendable, Codable, Equatable {
    public let closedOn: LocalDate
    /// Net of reversals (for loans: principal disbursed).
    public let paidVND: VND
    /// The unpaid remainder given back to the budget.
    public let releasedVND: VND
    public init(closedOn: LocalDate, paidVND: VND, releasedVND: VND) {
        self.closedOn = closedOn; self.paidVND = paidVND; self.releasedVND = releasedVND
    }
    enum CodingKeys: String, CodingKey {
        case closedOn = "closed_on", paidVND = "paid_vnd", releasedVND = "released_vnd"
    }
}

// MARK: Loans

public struct LoanDisbursed: Sendable, Codable, Equatable {
    public let loanID: String
    public let applicationID: String
    public let beneficiaryID: String
    public let program: String
    public let principalVND: VND
    public let disbursedOn: LocalDate
    public let termMonths: Int
    public let instalmentMonths: Int
    public let overdueMultiplierPercent: Int
    public init(loanID: String, applicationID: String, beneficiaryID: String, program: String, principalVND: VND,
                disbursedOn: LocalDate, termMonths: Int, instalmentMonths: Int, overdueMultiplierPercent: Int) {
        self.loanID = loanID; self.applicationID = applicationID; self.beneficiaryID = beneficiaryID; self.program = program
        self.principalVND = principalVND; self.disbursedOn = disbursedOn; self.termMonths = termMonths
        self.instalmentMonths = instalmentMonths; self.overdueMultiplierPercent = overdueMultiplierPercent
    }
    enum CodingKeys: String, CodingKey {
        case loanID = "loan_id", applicationID = "application_id", beneficiaryID = "beneficiary_id", program
        case principalVND = "principal_vnd", disbursedOn = "disbursed_on", termMonths = "term_months"
        case instalmentMonths = "instalment_months", overdueMultiplierPercent = "overdue_multiplier_percent"
    }
}

/// A repayment and how it was allocated, in the fixed order: overdue interest, interest,
/// overdue principal, principal due, prepaid principal. Interest figures are those accrued up
/// to `paid_on`, so later rate changes never rewrite them.
///
/// The two `unpaid_…_after_vnd` fields carry forward interest fixed at `paid_on` but not
/// covered by the amount (a partial repayment), so the loan stream folds without the
/// programme's rates (see `docs/loans.md`).
public struct LoanRepaid: Sendable, Codable, Equatable {
    public let repaymentID: String
    public let amountVND: VND
    public let paidOn: LocalDate
    public let overdueInterestVND: VND
    public let interestVND: VND
    public let overduePrincipalVND: VND
    public let principalDueVND: VND
    public let prepaidPrincipalVND: VND
    public let outstandingPrincipalAfterVND: VND
    /// Overdue interest still owed after this repayment (paid first next time).
    public let unpaidOverdueInterestAfterVND: VND
    /// Interest still owed after this repayment (paid right after overdue interest next time).
    public let unpaidInterestAfterVND: VND
    public init(repaymentID: String, amountVND: VND, paidOn: LocalDate, overdueInterestVND: VND, interestVND: VND,
                overduePrincipalVND: VND, principalDueVND: VND, prepaidPrincipalVND: VND, outstandingPrincipalAfterVND: VND,
                unpaidOverdueInterestAfterVND: VND = .zero, unpaidInterestAfterVND: VND = .zero) {
        self.repaymentID = repaymentID; self.amountVND = amountVND; self.paidOn = paidOn
        self.overdueInterestVND = overdueInterestVND; self.interestVND = interestVND
        self.overduePrincipalVND = overduePrincipalVND; self.principalDueVND = principalDueVND
        self.prepaidPrincipalVND = prepaidPrincipalVND; self.outstandingPrincipalAfterVND = outstandingPrincipalAfterVND
        self.unpaidOverdueInterestAfterVND = unpaidOverdueInterestAfterVND; self.unpaidInterestAfterVND = unpaidInterestAfterVND
    }
    enum CodingKeys: String, CodingKey {
        case repaymentID = "repayment_id", amountVND = "amount_vnd", paidOn = "paid_on"
        case overdueInterestVND = "overdue_interest_vnd", interestVND = "interest_vnd"
        case overduePrincipalVND = "overdue_principal_vnd", principalDueVND = "principal_due_vnd"
        case prepaidPrincipalVND = "prepaid_principal_vnd", outstandingPrincipalAfterVND = "outstanding_principal_after_vnd"
        case unpaidOverdueInterestAfterVND = "unpaid_overdue_interest_after_vnd"
        case unpaidInterestAfterVND = "unpaid_interest_after_vnd"
    }
}

public struct LoanSettled: Sendable, Codable, Equatable {
    public let settledOn: LocalDate
    public init(settledOn: LocalDate) { self.settledOn = settledOn }
    enum CodingKeys: String, CodingKey {
        case settledOn = "settled_on"
    }
}

public struct LoanWrittenOff: Sendable, Codable, Equatable {
    public let reason: String
    public let writtenOffOn: LocalDate
    public let outstandingPrincipalVND: VND
    public let unpaidInterestVND: VND
    public init(reason: String, writtenOffOn: LocalDate, outstandingPrincipalVND: VND, unpaidInterestVND: VND) {
        self.reason = reason; self.writtenOffOn = writtenOffOn
        self.outstandingPrincipalVND = outstandingPrincipalVND; self.unpaidInterestVND = unpaidInterestVND
    }
    enum CodingKeys: String, CodingKey {
        case reason, writtenOffOn = "written_off_on", outstandingPrincipalVND = "outstanding_principal_vnd"
        case unpaidInterestVND = "unpaid_interest_vnd"
    }
}
