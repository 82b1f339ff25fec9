import EventStore
import Foundation

/// A domain rule broken by an event in the log.
public struct InvariantViolation: Sendable, Equatable, Encodable {
    public enum Rule: String, Sendable, Codable, CaseIterable {
        /// More paid out (payments net of reversals, plus loan principal) than approved.
        case overpayment
        /// A payment or loan on an application that was not approved and open, or of the wrong kind of programme.
        case notPayable
        /// Approvals reserving more than a budget has allocated, or releasing more than reserved.
        case overBudget
        /// An approval above the programme's cap per beneficiary, or above what is left of a once-only cap.
        case overCap
        /// An approval dated outside its programme's validity window.
        case programWindow
        /// An application decided by the person who submitted it.
        case fourEyes
        /// A second beneficiary registered with the same national-id fingerprint (compared normalised).
        case duplicateNationalID
        /// A bank payment to another account than the one its beneficiary had on record then (registered or amended).
        case bankAccount
        /// A beneficiary registered or amended with a category the ledger did not know then (declared by the
        /// catalog or listed as eligible by a programme).
        case unknownCategory
        /// A loan repayment whose figures do not add up, repay more than is outstanding, or are not allocated in
        /// the fixed order (overdue interest, interest, overdue principal, principal due, prepaid principal).
        case repaymentAllocation
        /// A loan disbursed on terms other than its programme's terms in force on the disbursement date.
        case loanTerms
        /// A reservation, commitment, release or loan without the application event that causes it in the same
        /// append (same command id) and for the same amount, or an application event without them.
        case unpaired
        /// An event that does not fit its stream's lifecycle (decided twice, reversed unknown payment, settled with
        /// principal outstanding, …).
        case lifecycle
        /// A payload the code reads but outside its schema: an amount, date or number out of range, an identifier
        /// that is malformed or is not its stream's, an event on the wrong kind of stream, a malformed fingerprint.
        case payloadSchema
        /// A place rule (sql/0016_places.sql): a unit defined twice, or from units not defined before it; a budget for
        /// a unit not in force in its fiscal year; a beneficiary registered or moved into a unit unknown or not in force
        /// then; an application drawing on the budget of a unit other than its beneficiary's for that year.
        case places
        /// Figures whose sum does not fit in 64 bits.
        case overflow
        /// An event whose payload this code cannot read (unknown schema version, missing or ill-typed field, a date
        /// that is not a day of the calendar).
        case unreadable
    }

    public let position: Int64
    public let streamID: String
    public let rule: Rule
    public let message: String

    public init(position: Int64, streamID: String, rule: Rule, message: String) {
        self.position = position
        self.streamID = streamID
        self.rule = rule
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case position, streamID = "stream_id", rule, message }
}

/// Replays the log and re-checks every domain rule (docs/audit.md lists them), event by event,
/// in position order: what a correct ledger could never have appended, found even if it was
/// appended around the command handlers (straight through `ledger.append`, or before the
/// database refused it) or by an older, buggier version of them.
///
/// The replay keeps its own small state and arithmetic on purpose (it checks the command
/// handler rather than reusing it); every sum is checked (`addingReportingOverflow`), so no
/// payload can trap it. Events of one append (one command id, contiguous in the log) are
/// checked together: a reservation, commitment, release or loan must come with the
/// application event that causes it. Call `finish()` after the last event.
/// Memory is the per-record state of the ledger (applications, budgets, loans, fingerprints),
/// not the log.
public struct InvariantAudit: Sendable {
    public private(set) var violations: [InvariantViolation] = []
    public private(set) var eventsChecked: Int64 = 0
    /// At most this many violations are kept (the count goes on).
    public static let keptViolations = 1_000
    public private(set) var violationCount = 0

    /// By programme code.
    private var programs: [String: ProgramState] = [:]
    private var budgets: [String: AuditBudget] = [:]
    private var beneficiaries: [String: AuditBeneficiary] = [:]
    /// Boxed (`Boxed`): kept for every application of the log.
    private var applications: [String: Boxed<AuditedApplication>] = [:]
    private var loans: [String: AuditLoan] = [:]
    /// Payment id → the payment (payment ids are unique across the ledger).
    private var payments: [String: AuditPayment] = [:]
    /// Normalised (lower-case) fingerprint → the beneficiary registered with it.
    private var nationalIDs: [String: String] = [:]
    /// The units defined so far, and the unit each beneficiary (by id) lives in (`places` rule).
    private var places = PlaceCatalog()
    private var homes: [String: UnitCode] = [:]
    /// Categories declared (CategoryDefined) or listed as eligible by a programme so far; while
    /// empty, a ledger without a catalog, every category is accepted.
    private var knownCategories: Set<String> = []

    /// What the events of the append being replayed claim and need of each other, and its
    /// command id (set with the first link: an append without links needs no bookkeeping).
    private var command = ""
    private var links: [Link] = []

    /// The key id of the ledger's national-id key, once `NationalIDKeySet` was replayed.
    private var nationalIDKeyID: String?
    /// One copy of each budget stream and actor the applications name (kept for every application).
    private var texts = TextPool()

    public init() {}

    /// Decodes `event` (a pure step; run it on any thread) for `check`.
    public static func decode(_ event: RecordedEvent) -> Result<(LedgerEvent, EventContext)?, any Error> {
        Result { try LedgerService.decoded(event) }
    }

    /// Checks the next event of the log, decoded by `decode`.
    public mutating func check(_ event: RecordedEvent, decoded: Result<(LedgerEvent, EventContext)?, any Error>) {
        if !links.isEmpty, command != event.commandID { closeAppend() }
        eventsChecked += 1
        let domainEvent: LedgerEvent
        let context: EventContext
        switch decoded {
        case .failure(let error):
            report(event, .unreadable, "\(event.type) v\(event.schemaVersion) cannot be read: \(error)")
            return
        case .success(nil):
            if event.type == Self.nationalIDKeySetType { checkNationalIDKeySet(event) }
            return  // not a domain event
        case .success(let pair?):
            (domainEvent, context) = pair
        }
        if let problem = Self.schemaProblem(domainEvent, stream: event.streamID.rawValue) {
            report(event, .payloadSchema, "\(event.type): \(problem)")
            return
        }
        switch domainEvent {
        case .unitDefined(let unit):
            if places.unit(unit.code) != nil {
                report(event, .places, "unit \(unit.code.code) was defined twice")
            } else if let problem = places.definitionProblem(unit) {
                report(event, .places, problem)
            }
            places.add(unit)
        case .programDefined(let definition), .programAmended(let definition):
            programs[definition.code, default: ProgramState(streamID: event.streamID.rawValue)].apply(domainEvent, context: context)
            knownCategories.formUnion(definition.eligibleCategories)
        case .budgetAllocated(let b):
            if let problem = places.budgetProblem(b.district, year: b.fiscalYear) { report(event, .places, "budget \(event.streamID.rawValue): \(problem)") }
            checkBudget(event, domainEvent)
        case .budgetAdjusted(let b):
            if let problem = places.budgetProblem(b.district, year: b.fiscalYear) { report(event, .places, "budget \(event.streamID.rawValue): \(problem)") }
            checkBudget(event, domainEvent)
        case .beneficiaryRegistered(let registration):
            if let problem = places.residenceProblem(registration.district, on: registration.registeredOn) {
                report(event, .places, "beneficiary \(registration.beneficiaryID) registered in a unit: \(problem)")
            }
            homes[registration.beneficiaryID] = registration.district
            checkRegistration(event, registration)
        case .beneficiaryAmended(let amendment):
            if let unit = amendment.unit {
                if let problem = places.residenceProblem(unit, on: amendment.amendedOn) {
                    report(event, .places, "beneficiary \(amendment.beneficiaryID) moved to a unit: \(problem)")
                }
                homes[amendment.beneficiaryID] = unit
            }
            checkAmendment(event, amendment)
        case .categoryDefined(let category):
            knownCategories.insert(category.name)
        case .fundsReserved(let reservation):
            claim(.reserve, event, application: reservation.applicationID, amount: reservation.amountVND.amount)
        case .fundsReleased(let release):
            claim(.releaseBudget, event, application: release.applicationID, amount: release.amountVND.amount)
        case .benefitCommitted(let commitment):
            claim(.commit, event, application: commitment.applicationID, amount: commitment.amountVND.amount, program: commitment.program)
        case .benefitReleased(let release):
            claim(.releaseBeneficiary, event, application: release.applicationID, amount: release.amountVND.amount, program: release.program)
        case .applicationSubmitted, .applicationApproved, .applicationRejected, .applicationWithdrawn, .applicationClosed,
             .paymentRecorded, .paymentReversed, .loanOpened:
            checkApplication(event, domainEvent, context)
        case .loanDisbursed, .loanRepaid, .loanSettled, .loanWrittenOff:
            checkLoan(event, domainEvent)
        }
    }

    /// `NationalIDKeySet` (sql/0014_national_ids.sql): recorded once, on stream `national-id-key`. A
    /// second one names another key: fingerprints made before and after it are not comparable, and
    /// the duplicate rule silently stops holding between them.
    static let nationalIDKeySetType = "NationalIDKeySet"

    private mutating func checkNationalIDKeySet(_ event: RecordedEvent) {
        struct Payload: Decodable { let key_id: String }
        guard event.streamID.rawValue == "national-id-key",
              let keyID = try? JSONDecoder().decode(Payload.self, from: Data(event.payloadJSON.utf8)).key_id else {
            report(event, .payloadSchema, "NationalIDKeySet: must be on stream national-id-key with a key_id")
            return
        }
        if let earlier = nationalIDKeyID {
            report(event, .lifecycle, earlier == keyID
                ? "the national-id key (key id \(keyID)) was recorded as set a second time"
                : "the national-id key was set a second time, to another key (key id \(keyID) after \(earlier)): "
                    + "fingerprints made under the two keys cannot be compared")
        } else {
            nationalIDKeyID = keyID
        }
    }

    /// Checks what the last append still owes (call after the last event), and puts the
    /// violations in position order.
    public mutating func finish() {
        closeAppend()
        // Stable: an append's pairing is checked when it ends, after its later events were.
        violations = violations.enumerated()
            .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }
            .map(\.element)
    }

    private mutating func report(_ event: RecordedEvent, _ rule: InvariantViolation.Rule, _ message: String) {
        report(position: event.position, stream: event.streamID.rawValue, rule, message)
    }

    private mutating func report(position: Int64, stream: String, _ rule: InvariantViolation.Rule, _ message: String) {
        violationCount += 1
        guard violations.count < Self.keptViolations else { return }
        violations.append(InvariantViolation(position: position, streamID: stream, rule: rule, message: message))
    }

    /// `a + b`, or nil (reported as an overflow at `event`) when it does not fit in 64 bits.
    private mutating func sum(_ a: Int64, _ b: Int64, _ event: RecordedEvent, _ what: @autoclosure () -> String) -> Int64? {
        let (result, overflow) = a.addingReportingOverflow(b)
        guard !overflow else {
            report(event, .overflow, "\(what()) does not fit in 64 bits (\(a) + \(b))")
            return nil
        }
        return result
    }

    private static func formatted(_ amount: Int64) -> String { VND(amount).formatted }

    // MARK: Budgets and beneficiaries

    private mutating func checkBudget(_ event: RecordedEvent, _ domainEvent: LedgerEvent) {
        let stream = event.streamID.rawValue
        var budget = budgets[stream] ?? AuditBudget()  // plain values: copied out and written back
        defer { budgets[stream] = budget }
        let delta: Int64
        switch domainEvent {
        case .budgetAllocated(let allocation):
            delta = allocation.amountVND.amount
        case .budgetAdjusted(let adjustment):
            delta = adjustment.deltaVND.amount
        default:
            return
        }
        guard let allocated = sum(budget.allocated, delta, event, "the allocation of budget \(stream)") else { return }
        budget.allocated = allocated
        budget.isAllocated = true
        if budget.reserved > budget.allocated {
            report(event, .overBudget, "budget \(stream) has \(Self.formatted(budget.reserved)) reserved by approvals but only "
                + "\(Self.formatted(budget.allocated)) allocated")
        }
    }

    private mutating func checkRegistration(_ event: RecordedEvent, _ registration: BeneficiaryRegistered) {
        let stream = event.streamID.rawValue
        if Self.register(&beneficiaries[stream, default: AuditBeneficiary()]) {
            report(event, .lifecycle, "beneficiary \(registration.beneficiaryID) was registered twice")
        } else {
            beneficiaries[stream]?.details = AuditBeneficiary.Details(
                name: registration.name, unit: registration.district.code, categories: Set(registration.categories),
                bankAccount: registration.bankAccount, fingerprint: registration.nationalIDFingerprint.map(Self.normalisedFingerprint)
            )
        }
        if let unknown = unknownCategory(registration.categories) {
            report(event, .unknownCategory, "beneficiary \(registration.beneficiaryID) is registered with category \(unknown), "
                + "which the ledger does not know (known: \(knownCategories.sorted().joined(separator: ", ")))")
        }
        guard let fingerprint = registration.nationalIDFingerprint else { return }
        if !Self.isFingerprint(fingerprint) {
            report(event, .payloadSchema, "BeneficiaryRegistered: national_id_fingerprint of beneficiary \(registration.beneficiaryID) "
                + "is not 64 lower-case hexadecimal digits")
        }
        // Compared normalised: the same fingerprint in upper case is the same person.
        let normalised = fingerprint.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
            ? fingerprint.lowercased() : fingerprint
        if let holder = nationalIDs[normalised], holder != registration.beneficiaryID {
            report(event, .duplicateNationalID,
                   "beneficiary \(registration.beneficiaryID) has the national id of beneficiary \(holder), registered earlier")
        } else {
            nationalIDs[normalised] = registration.beneficiaryID
        }
    }

    private static func normalisedFingerprint(_ fingerprint: String) -> String {
        fingerprint.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? fingerprint.lowercased() : fingerprint
    }

    /// The first of `categories` the ledger does not know so far (none while it knows none).
    private func unknownCategory(_ categories: [String]) -> String? {
        guard !knownCategories.isEmpty else { return nil }
        return categories.first { !knownCategories.contains($0) }
    }

    /// An amendment: of a registered beneficiary on its own stream, changing something with every
    /// field it carries, to known categories, to a national id nobody else holds (the old one is freed).
    private mutating func checkAmendment(_ event: RecordedEvent, _ amendment: BeneficiaryAmended) {
        let stream = event.streamID.rawValue
        let id = amendment.beneficiaryID
        guard let details = beneficiaries[stream]?.details else {
            report(event, .lifecycle, "beneficiary \(id) is amended but was never registered")
            return
        }
        if let problem = Self.amendmentProblem(amendment, details) {
            report(event, .lifecycle, "beneficiary \(id): \(problem)")
            return
        }
        if let unknown = unknownCategory(amendment.addCategories ?? []) {
            report(event, .unknownCategory, "beneficiary \(id) is amended to category \(unknown), "
                + "which the ledger does not know (known: \(knownCategories.sorted().joined(separator: ", ")))")
        }
        var next = details
        if let name = amendment.name { next.name = name }
        if let unit = amendment.unit { next.unit = unit.code }
        next.categories.formUnion(amendment.addCategories ?? [])
        next.categories.subtract(amendment.removeCategories ?? [])
        if next.categories.count > DomainLimits.maximumCategories {
            report(event, .lifecycle, "beneficiary \(id) is amended to \(next.categories.count) categories; "
                + "at most \(DomainLimits.maximumCategories)")
        }
        if amendment.clearBankAccount == true { next.bankAccount = nil }
        if let account = amendment.bankAccount { next.bankAccount = account }
        if let fingerprint = amendment.nationalIDFingerprint.map(Self.normalisedFingerprint) {
            if let holder = nationalIDs[fingerprint], holder != id {
                report(event, .duplicateNationalID, "beneficiary \(id) is amended to the national id of beneficiary \(holder)")
            } else {
                if let old = details.fingerprint, nationalIDs[old] == id { nationalIDs[old] = nil }
                nationalIDs[fingerprint] = id
                next.fingerprint = fingerprint
            }
        }
        beneficiaries[stream]?.details = next
    }

    /// What makes an amendment change nothing (or contradict itself), naming the field; nil if none.
    private static func amendmentProblem(_ a: BeneficiaryAmended, _ d: AuditBeneficiary.Details) -> String? {
        if a.changedFields.isEmpty { return "an amendment changes at least one field" }
        if let name = a.name, name == d.name { return "name is already \(name.debugDescription)" }
        if let unit = a.unit, unit.code == d.unit { return "unit is already \(unit.code)" }
        if let added = a.addCategories {
            if added.isEmpty { return "add_categories is empty" }
            if let held = added.first(where: d.categories.contains) { return "add_categories: already has \(held)" }
        }
        if let removed = a.removeCategories {
            if removed.isEmpty { return "remove_categories is empty" }
            if let missing = removed.first(where: { !d.categories.contains($0) }) { return "remove_categories: does not have \(missing)" }
            if let both = removed.first(where: { (a.addCategories ?? []).contains($0) }) { return "\(both) is both added and removed" }
        }
        if a.bankAccount != nil, a.clearBankAccount != nil { return "bank_account and clear_bank_account together" }
        if let account = a.bankAccount, account == d.bankAccount { return "bank_account is already \(account.debugDescription)" }
        if let clear = a.clearBankAccount {
            if !clear { return "clear_bank_account is only ever true" }
            if d.bankAccount == nil { return "clear_bank_account: there is no bank account to clear" }
        }
        if let fingerprint = a.nationalIDFingerprint, normalisedFingerprint(fingerprint) == d.fingerprint {
            return "national_id_fingerprint is already the beneficiary's"
        }
        return nil
    }

    // MARK: Applications

    private mutating func checkApplication(_ event: RecordedEvent, _ domainEvent: LedgerEvent, _ context: EventContext) {
        let stream = event.streamID.rawValue
        // Copied out and written back (no delete): the state holds only values and strings, which a copy shares.
        var application = applications[stream]?.value ?? AuditedApplication()
        defer { applications[stream] = Boxed(application) }
        let id = stream.dropFirst(Self.applicationPrefix.utf8.count)
        switch domainEvent {
        case .applicationSubmitted(let submission):
            guard !application.exists else {
                report(event, .lifecycle, "application \(id) was submitted twice")
                return
            }
            let definition = programs[submission.program]?.definition(on: submission.submittedOn)
            application.submit(submission, actor: context.actor, isLoan: definition.map { $0.kind == .loan }, pool: &texts)
            if beneficiaries[application.beneficiaryStream]?.registered != true {
                report(event, .lifecycle, "application \(id) was submitted for beneficiary \(submission.beneficiaryID), who is not registered")
            }
            if definition == nil {
                report(event, .lifecycle, "application \(id) was submitted under programme \(submission.program), which is not defined")
            }
            if let problem = places.applicationProblem(submission, home: homes[submission.beneficiaryID]) {
                report(event, .places, "application \(id): \(problem)")
            }
        case .applicationApproved(let approval):
            if application.status != .submitted {
                report(event, .lifecycle, "application \(id) was approved while \(Self.statusText(application.status))")
            }
            if let submitter = application.submittedBy, submitter == context.actor {
                report(event, .fourEyes, "application \(id) was approved by \(context.actor), who submitted it")
            }
            if let program = application.program, let definition = programs[program]?.definition(on: approval.decidedOn) {
                if approval.approvedVND > definition.capPerBeneficiaryVND {
                    report(event, .overCap, "application \(id) was approved for \(approval.approvedVND.formatted), above the cap of "
                        + "\(definition.capPerBeneficiaryVND.formatted) of programme \(program)")
                }
                if !definition.isValid(on: approval.decidedOn) {
                    report(event, .programWindow, "application \(id) was approved on \(approval.decidedOn), outside the validity window "
                        + "\(definition.validityWindow) of programme \(program)")
                }
            }
            let amount = approval.approvedVND.amount
            if application.exists {
                need(.reserve, event, application: application, amount: amount)
                need(.commit, event, application: application, amount: amount, date: approval.decidedOn)
            }
            application.approved = amount
            application.decidedOn = approval.decidedOn
            application.status = .approved
        case .applicationRejected:
            if application.status != .submitted {
                report(event, .lifecycle, "application \(id) was rejected while \(Self.statusText(application.status))")
            }
            if let submitter = application.submittedBy, submitter == context.actor {
                report(event, .fourEyes, "application \(id) was rejected by \(context.actor), who submitted it")
            }
            application.status = .rejected
        case .applicationWithdrawn(let withdrawal):
            let released = withdrawal.releasedVND.amount
            switch application.status {
            case .submitted:
                if released != 0 {
                    report(event, .lifecycle, "application \(id) was withdrawn before approval but releases \(Self.formatted(released)); "
                        + "nothing was reserved")
                }
            case .approved:
                if application.paid != 0 || application.loanPrincipal != 0 {
                    report(event, .lifecycle, "application \(id) was withdrawn with \(Self.formatted(application.paid)) paid and "
                        + "\(Self.formatted(application.loanPrincipal)) lent; it can only be closed")
                } else if released != application.approved {
                    report(event, .lifecycle, "application \(id) was withdrawn releasing \(Self.formatted(released)), not the "
                        + "\(Self.formatted(application.approved)) reserved")
                }
            default:
                report(event, .lifecycle, "application \(id) was withdrawn while \(Self.statusText(application.status))")
            }
            if application.exists, released > 0 {
                need(.releaseBudget, event, application: application, amount: released)
                need(.releaseBeneficiary, event, application: application, amount: released)
            }
            application.status = .withdrawn
        case .applicationClosed(let closure):
            if application.status != .approved {
                report(event, .lifecycle, "application \(id) was closed while \(Self.statusText(application.status))")
            } else if let paidOut = sum(application.paid, application.loanPrincipal, event, "the paid-out total of application \(id)") {
                let (unpaid, overflow) = application.approved.subtractingReportingOverflow(paidOut)
                if closure.paidVND.amount != paidOut {
                    report(event, .lifecycle, "application \(id) was closed stating \(closure.paidVND.formatted) paid, but "
                        + "\(Self.formatted(paidOut)) was paid out")
                } else if overflow || closure.releasedVND.amount != unpaid {
                    report(event, .lifecycle, "application \(id) was closed releasing \(closure.releasedVND.formatted), but "
                        + "\(overflow ? "?" : Self.formatted(unpaid)) of its approval was unpaid")
                }
            }
            let released = closure.releasedVND.amount
            if application.exists, released > 0 {
                need(.releaseBudget, event, application: application, amount: released)
                need(.releaseBeneficiary, event, application: application, amount: released)
            }
            application.status = .closed
        case .paymentRecorded(let payment):
            if application.status != .approved {
                report(event, .notPayable, "payment \(payment.paymentID) of \(payment.amountVND.formatted) on application \(id), which is "
                    + "\(application.status?.rawValue ?? "not submitted"), not approved and open")
            } else if application.isLoan == true {
                report(event, .notPayable, "payment \(payment.paymentID) on application \(id) of a loan programme (loans are disbursed, not paid)")
            }
            if let earlier = payments[payment.paymentID] {
                report(event, .lifecycle, "payment id \(payment.paymentID) was already used (on \(earlier.applicationStream))")
                return
            }
            if payment.method == .bank, let details = beneficiaries[application.beneficiaryStream]?.details,
               payment.bankAccount != details.bankAccount {
                report(event, .bankAccount, "payment \(payment.paymentID) on application \(id) went by bank to "
                    + "\(payment.bankAccount.map { $0.debugDescription } ?? "no account"), not to the account its beneficiary had on record "
                    + "(\(details.bankAccount.map { $0.debugDescription } ?? "none"))")
            }
            guard let paid = sum(application.paid, payment.amountVND.amount, event, "the payments of application \(id)") else { return }
            // The application's key as the dictionary holds it: one copy of the text for all its payments.
            let applicationStream = applications.index(forKey: stream).map { applications.keys[$0] } ?? stream
            payments[payment.paymentID] = AuditPayment(applicationStream: applicationStream, amount: payment.amountVND.amount)
            application.paid = paid
            checkPaidOut(event, status: application.status, paid: application.paid, lent: application.loanPrincipal,
                         approved: application.approved, id: id)
        case .paymentReversed(let reversal):
            guard var payment = payments[reversal.paymentID], payment.applicationStream == stream else {
                report(event, .lifecycle, "payment \(reversal.paymentID) reversed on application \(id), which has no such payment")
                return
            }
            if payment.reversed {
                report(event, .lifecycle, "payment \(reversal.paymentID) on application \(id) was reversed twice")
            } else if application.status != .approved {
                // A closed application's payments are final (0018): still payable would go below
                // approved − paid − loan principal − released.
                report(event, .lifecycle, "payment \(reversal.paymentID) reversed on application \(id), which is "
                    + "\(Self.statusText(application.status)); only an approved, open application's payments can be reversed")
            } else if reversal.amountVND.amount != payment.amount {
                report(event, .lifecycle, "payment \(reversal.paymentID) of \(Self.formatted(payment.amount)) reversed as \(reversal.amountVND.formatted)")
            } else {
                // Both within 0…10^15 (the schema check): no overflow.
                application.paid -= payment.amount
                payment.reversed = true
                payments[reversal.paymentID] = payment
            }
        case .loanOpened(let loan):
            if application.status != .approved {
                report(event, .notPayable, "loan \(loan.loanID) opened on application \(id), which is "
                    + "\(application.status?.rawValue ?? "not submitted"), not approved and open")
            } else if application.isLoan == false {
                report(event, .notPayable, "loan \(loan.loanID) opened on application \(id) of a grant programme")
            }
            if application.exists {
                need(.loan, event, application: application, amount: loan.principalVND.amount, date: loan.disbursedOn,
                     partner: Streams.loan(loan.loanID))
            }
            guard let lent = sum(application.loanPrincipal, loan.principalVND.amount, event, "the loans of application \(id)") else { return }
            application.loanPrincipal = lent
            checkPaidOut(event, status: application.status, paid: application.paid, lent: application.loanPrincipal,
                         approved: application.approved, id: id)
        default:
            break
        }
    }

    /// Paid out (net of reversals, plus loan principal) within the approval.
    private mutating func checkPaidOut(_ event: RecordedEvent, status: ApplicationStatus?, paid: Int64, lent: Int64, approved: Int64,
                                       id: Substring) {
        guard status == .approved, let disbursed = sum(paid, lent, event, "the paid-out total of application \(id)"),
              disbursed > approved else { return }
        report(event, .overpayment, "application \(id) has \(Self.formatted(disbursed)) paid out against \(Self.formatted(approved)) approved")
    }

    static func statusText(_ status: ApplicationStatus?) -> String { status?.rawValue ?? "never submitted" }

    static let applicationPrefix = Streams.application("")
    static let loanPrefix = Streams.loan("")

    // MARK: Loans

    private mutating func checkLoan(_ event: RecordedEvent, _ domainEvent: LedgerEvent) {
        let stream = event.streamID.rawValue
        var loan = loans.removeValue(forKey: stream) ?? AuditLoan(streamID: stream)
        defer { loans[stream] = loan }
        let id = stream.dropFirst(Self.loanPrefix.utf8.count)
        switch domainEvent {
        case .loanDisbursed(let disbursed):
            guard loan.status == nil else {
                report(event, .lifecycle, "loan \(id) was disbursed twice")
                return
            }
            claim(.loan, event, application: disbursed.applicationID, amount: disbursed.principalVND.amount, date: disbursed.disbursedOn)
            let termsHold = checkTerms(event, disbursed)
            loan.status = .active
            loan.principal = disbursed.principalVND.amount
            loan.program = disbursed.program
            loan.replayable = termsHold
            if termsHold { loan.state.apply(domainEvent) }
        case .loanRepaid(let repaid):
            guard loan.status == .active else {
                report(event, .lifecycle, "repayment \(repaid.repaymentID) on loan \(id), which is \(loan.statusText)")
                return
            }
            guard !loan.repaymentIDs.contains(repaid.repaymentID) else {
                report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) on loan \(id) was recorded twice")
                return
            }
            guard checkRepaymentFigures(event, repaid, loan: loan, id: id) else { return }
            loan.principalRepaid += repaid.overduePrincipalVND.amount + repaid.principalDueVND.amount + repaid.prepaidPrincipalVND.amount
            loan.repaymentIDs.insert(repaid.repaymentID)
            // The handler's fold gets only what the handler itself would have decided; after a
            // repayment it would not have, the loan's fixed order is no longer replayed.
            if loan.replayable, checkAllocationOrder(event, repaid, loan: loan) {
                loan.state.apply(domainEvent)
            } else {
                loan.replayable = false
            }
        case .loanSettled:
            if loan.status != .active {
                report(event, .lifecycle, "loan \(id) was settled while \(loan.statusText)")
            } else if loan.outstanding != 0 {
                report(event, .lifecycle, "loan \(id) was settled with \(Self.formatted(loan.outstanding)) principal outstanding")
            }
            if loan.status != nil { loan.status = .settled }
        case .loanWrittenOff(let writeOff):
            if loan.status != .active {
                report(event, .lifecycle, "loan \(id) was written off while \(loan.statusText)")
            } else if writeOff.outstandingPrincipalVND.amount != loan.outstanding {
                report(event, .lifecycle, "loan \(id) was written off stating \(writeOff.outstandingPrincipalVND.formatted) outstanding, but "
                    + "\(Self.formatted(loan.outstanding)) principal was outstanding")
            }
            if loan.status != nil { loan.status = .writtenOff }
        default:
            break
        }
    }

    /// The disbursement's terms are the programme's terms in force on the disbursement date.
    private mutating func checkTerms(_ event: RecordedEvent, _ disbursed: LoanDisbursed) -> Bool {
        guard let definition = programs[disbursed.program]?.definition(on: disbursed.disbursedOn) else {
            report(event, .loanTerms, "loan \(disbursed.loanID) was disbursed under programme \(disbursed.program), which is not defined")
            return false
        }
        guard let terms = definition.loanTerms else {
            report(event, .loanTerms, "loan \(disbursed.loanID) was disbursed under programme \(disbursed.program), which has no loan terms")
            return false
        }
        var problems: [String] = []
        if disbursed.termMonths < 1 || disbursed.termMonths > terms.maxTermMonths {
            problems.append("a term of \(disbursed.termMonths) months (the programme lends for 1…\(terms.maxTermMonths))")
        } else if terms.instalmentMonths < 1 || disbursed.termMonths % terms.instalmentMonths != 0 {
            problems.append("a term of \(disbursed.termMonths) months, not whole \(terms.instalmentMonths)-month instalments")
        }
        if disbursed.instalmentMonths != terms.instalmentMonths {
            problems.append("instalments every \(disbursed.instalmentMonths) months (the programme's: \(terms.instalmentMonths))")
        }
        if disbursed.overdueMultiplierPercent != terms.overdueMultiplierPercent {
            problems.append("an overdue multiplier of \(disbursed.overdueMultiplierPercent)% (the programme's: \(terms.overdueMultiplierPercent)%)")
        }
        guard problems.isEmpty else {
            report(event, .loanTerms, "loan \(disbursed.loanID) was disbursed on \(disbursed.disbursedOn) with "
                + problems.joined(separator: ", ") + ": not programme \(disbursed.program)'s terms in force then")
            return false
        }
        return true
    }

    /// amount = the five parts; principal parts within what is outstanding; the outstanding after stated right.
    private mutating func checkRepaymentFigures(_ event: RecordedEvent, _ repaid: LoanRepaid, loan: AuditLoan, id: Substring) -> Bool {
        // Each part is within 0…10^15 (the schema check), so these sums cannot overflow.
        let principal = repaid.overduePrincipalVND.amount + repaid.principalDueVND.amount + repaid.prepaidPrincipalVND.amount
        let parts = repaid.overdueInterestVND.amount + repaid.interestVND.amount + principal
        if parts != repaid.amountVND.amount {
            report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) of \(repaid.amountVND.formatted) on loan \(id) is allocated "
                + "\(Self.formatted(parts)) in all: its parts must add up to the amount")
            return false
        }
        if principal > loan.outstanding {
            report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) on loan \(id) repays \(Self.formatted(principal)) of principal, "
                + "but only \(Self.formatted(loan.outstanding)) is outstanding")
            return false
        }
        if repaid.outstandingPrincipalAfterVND.amount != loan.outstanding - principal {
            report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) on loan \(id) states \(repaid.outstandingPrincipalAfterVND.formatted) "
                + "outstanding after it, but \(Self.formatted(loan.outstanding - principal)) is")
            return false
        }
        return true
    }

    /// The fixed order of allocation, as the domain decides it for this loan, date and amount;
    /// false when it is not what the domain decides.
    private mutating func checkAllocationOrder(_ event: RecordedEvent, _ repaid: LoanRepaid, loan: AuditLoan) -> Bool {
        guard let program = loan.program.flatMap({ programs[$0] }), let terms = LedgerService.loanTermsAcrossAmendments(program) else {
            report(event, .lifecycle, "repayment \(repaid.repaymentID) on loan \(loan.state.loanID), which was never disbursed under a loan programme")
            return false
        }
        do {
            let decision = try LoanDecisions.repay(loan: loan.state, terms: terms, repaymentID: repaid.repaymentID,
                                                   amountVND: repaid.amountVND, paidOn: repaid.paidOn)
            let expected = decision.streams.first?.events.first
            if expected != .loanRepaid(repaid) {
                report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) of \(repaid.amountVND.formatted) on loan "
                    + "\(loan.state.loanID) is not allocated in the fixed order (overdue interest, interest, overdue principal, "
                    + "principal due, prepayment)\(expected.map { " — expected \(Self.allocationText($0))" } ?? "")")
                return false
            }
            return true
        } catch {
            report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) on loan \(loan.state.loanID) could not have been "
                + "recorded: \(error)")
            return false
        }
    }

    static func allocationText(_ event: LedgerEvent) -> String {
        guard case .loanRepaid(let r) = event else { return "\(event.typeName)" }
        return "overdue interest \(r.overdueInterestVND.formatted), interest \(r.interestVND.formatted), overdue principal "
            + "\(r.overduePrincipalVND.formatted), principal due \(r.principalDueVND.formatted), prepaid \(r.prepaidPrincipalVND.formatted)"
    }
}

// MARK: The events of one append

extension InvariantAudit {
    /// What one event of an append claims (a reservation, commitment, release or loan) or needs
    /// of another in the same append (an approval, withdrawal, closure or loan opening).
    struct Link: Sendable {
        enum Kind: UInt8, Sendable {
            case reserve, commit, releaseBudget, releaseBeneficiary, loan
        }

        let kind: Kind
        /// A reservation, commitment, release or loan (true); what the application event needs (false).
        let isClaim: Bool
        let application: String
        /// The stream the claim is on (for a need: the stream it must be on).
        let stream: String
        let amount: Int64
        /// Commitments and releases on a beneficiary: the programme.
        let program: String?
        /// Loans: the disbursement date (both sides); a commitment's need: the approval date.
        let date: LocalDate?
        let position: Int64
        /// The stream of the event itself.
        let eventStream: String
        let type: String
        var matched = false

        func matches(_ claim: Link) -> Bool {
            claim.isClaim && !claim.matched && claim.kind == kind && claim.amount == amount && claim.stream == stream
                && (program == nil || claim.program == program) && (kind != .loan || claim.date == date)
        }
    }

    private mutating func claim(_ kind: Link.Kind, _ event: RecordedEvent, application: String, amount: Int64, program: String? = nil,
                                date: LocalDate? = nil) {
        if links.isEmpty { command = event.commandID }
        links.append(Link(kind: kind, isClaim: true, application: application, stream: event.streamID.rawValue, amount: amount,
                          program: program, date: date, position: event.position, eventStream: event.streamID.rawValue, type: event.type))
    }

    private mutating func need(_ kind: Link.Kind, _ event: RecordedEvent, application: AuditedApplication, amount: Int64,
                               date: LocalDate? = nil, partner: String? = nil) {
        let stream: String
        var program: String?
        switch kind {
        case .reserve, .releaseBudget: stream = application.budgetStream
        case .commit, .releaseBeneficiary:
            stream = application.beneficiaryStream
            program = application.program
        case .loan: stream = partner ?? ""
        }
        let id = String(event.streamID.rawValue.dropFirst(Self.applicationPrefix.utf8.count))
        if links.isEmpty { command = event.commandID }
        links.append(Link(kind: kind, isClaim: false, application: id, stream: stream, amount: amount, program: program, date: date,
                          position: event.position, eventStream: event.streamID.rawValue, type: event.type))
    }

    /// Matches the claims and needs of the append just replayed; applies the matched reservations,
    /// commitments and releases to their budgets and beneficiaries (an unmatched one is named and
    /// counts for nothing, so what follows is checked against the money that really moved).
    private mutating func closeAppend() {
        guard !links.isEmpty else { return }
        defer { links.removeAll(keepingCapacity: true) }
        if links.count > 1 {
            links.sort { ($0.application, $0.position) < ($1.application, $1.position) }
        }
        var start = 0
        while start < links.count {
            var end = start + 1
            while end < links.count, links[end].application == links[start].application { end += 1 }
            for needIndex in start..<end where !links[needIndex].isClaim {
                if let claimIndex = (start..<end).first(where: { links[needIndex].matches(links[$0]) }) {
                    links[claimIndex].matched = true
                    links[needIndex].matched = true
                    apply(links[claimIndex], need: links[needIndex])
                }
            }
            start = end
        }
        for link in links where !link.matched {
            report(position: link.position, stream: link.eventStream, .unpaired, Self.unpairedText(link, command: command))
        }
    }

    /// Marks `beneficiary` registered; whether it was already.
    private static func register(_ beneficiary: inout AuditBeneficiary) -> Bool {
        defer { beneficiary.registered = true }
        return beneficiary.registered
    }

    /// Adds `delta` to what `beneficiary` has committed under `program`; the new net, or nil
    /// (nothing changed) when it does not fit in 64 bits.
    private static func commit(_ beneficiary: inout AuditBeneficiary, program: String, delta: Int64) -> Int64? {
        let index: Int
        if let found = beneficiary.committed.firstIndex(where: { $0.program == program }) {
            index = found
        } else {
            beneficiary.committed.append((program, 0))
            index = beneficiary.committed.count - 1
        }
        let (net, overflow) = beneficiary.committed[index].amount.addingReportingOverflow(delta)
        guard !overflow else { return nil }
        beneficiary.committed[index].amount = net
        return net
    }

    private static func unpairedText(_ link: Link, command: String) -> String {
        let amount = formatted(link.amount)
        let partner: String = switch link.kind {
        case .reserve: "FundsReserved"
        case .commit: "BenefitCommitted"
        case .releaseBudget: "FundsReleased"
        case .releaseBeneficiary: "BenefitReleased"
        case .loan: link.isClaim ? "LoanOpened" : "LoanDisbursed"
        }
        if link.isClaim {
            let cause = switch link.kind {
            case .reserve, .commit: "approval"
            case .releaseBudget, .releaseBeneficiary: "withdrawal or closure releasing that amount"
            case .loan: "LoanOpened for the same principal and date"
            }
            return "\(link.type) of \(amount) for application \(link.application) without the application's \(cause) in the same "
                + "append (command \(command))"
        }
        return "application \(link.application): \(link.type) without \(partner) of \(amount) on \(link.stream) in the same append "
            + "(command \(command))"
    }

    /// A reservation, commitment or release matched with its application event, applied.
    private mutating func apply(_ claim: Link, need: Link) {
        switch claim.kind {
        case .reserve, .releaseBudget:
            var budget = budgets[claim.stream] ?? AuditBudget()  // plain values: copied out and written back
            defer { budgets[claim.stream] = budget }
            let delta = claim.kind == .reserve ? claim.amount : -claim.amount
            let (reserved, overflow) = budget.reserved.addingReportingOverflow(delta)
            guard !overflow else {
                report(position: claim.position, stream: claim.stream, .overflow, "the reservations of budget \(claim.stream) do not fit in 64 bits")
                return
            }
            budget.reserved = reserved
            if !budget.isAllocated {
                report(position: claim.position, stream: claim.stream, .overBudget, "budget \(claim.stream) reserves \(Self.formatted(claim.amount)) "
                    + "for application \(claim.application) but was never allocated")
            } else if reserved < 0 {
                report(position: claim.position, stream: claim.stream, .overBudget, "budget \(claim.stream) released more than was reserved "
                    + "(reserved now \(Self.formatted(reserved)))")
            } else if reserved > budget.allocated {
                report(position: claim.position, stream: claim.stream, .overBudget, "budget \(claim.stream) has \(Self.formatted(reserved)) "
                    + "reserved by approvals but only \(Self.formatted(budget.allocated)) allocated")
            }
        case .commit, .releaseBeneficiary:
            guard let program = claim.program else { return }
            let delta = claim.kind == .commit ? claim.amount : -claim.amount
            // Changed in place (the state holds an array: a copy would copy it).
            guard let net = Self.commit(&beneficiaries[claim.stream, default: AuditBeneficiary()], program: program, delta: delta) else {
                report(position: claim.position, stream: claim.stream, .overflow, "the commitments of \(claim.stream) under \(program) do not fit in 64 bits")
                return
            }
            if net < 0 {
                report(position: claim.position, stream: claim.stream, .lifecycle, "\(claim.stream) has more released than committed under "
                    + "programme \(program) (net \(Self.formatted(net)))")
            } else if claim.kind == .commit, let state = programs[program],
                      let definition = need.date.flatMap({ state.definition(on: $0) }) ?? state.current,
                      definition.onceOnly, net > definition.capPerBeneficiaryVND.amount {
                report(position: claim.position, stream: claim.stream, .overCap, "programme \(program) is once-only with a cap of "
                    + "\(definition.capPerBeneficiaryVND.formatted); \(claim.stream) now has \(Self.formatted(net)) committed under it "
                    + "(commitments less releases)")
            }
        case .loan:
            break
        }
    }
}

// MARK: The payload schema

extension InvariantAudit {
    static let maximumAmount = VND.maximumMagnitude
    static let earliestDate = LocalDate(year: 2000, month: 1, day: 1)!
    static let latestDate = LocalDate(year: 2100, month: 12, day: 31)!

    /// What the payload schema (docs/audit.md) refuses in a decoded event, or nil: amounts,
    /// dates and numbers out of range, malformed identifiers, an event on the wrong kind of
    /// stream or naming another stream's id. Allocates only to describe a problem.
    static func schemaProblem(_ event: LedgerEvent, stream: String) -> String? {
        func positive(_ value: VND, _ field: String) -> String? {
            value.amount >= 1 && value.amount <= maximumAmount ? nil : "\(field) is \(value.amount), not 1…\(VND.grouped(maximumAmount))"
        }
        func nonNegative(_ value: VND, _ field: String) -> String? {
            value.amount >= 0 && value.amount <= maximumAmount ? nil : "\(field) is \(value.amount), not 0…\(VND.grouped(maximumAmount))"
        }
        func date(_ value: LocalDate, _ field: String) -> String? {
            value >= earliestDate && value <= latestDate ? nil : "\(field) is \(value), not between \(earliestDate) and \(latestDate)"
        }
        func number(_ value: Int, _ range: ClosedRange<Int>, _ field: String) -> String? {
            range.contains(value) ? nil : "\(field) is \(value), not \(range.lowerBound)…\(range.upperBound)"
        }
        func text(_ value: String, _ field: String) -> String? {
            isVisibleText(value) ? nil : "\(field) \(value.debugDescription) has no visible character, or a control or format character"
        }
        func identifier(_ value: String, _ field: String) -> String? {
            isIdentifier(value) ? nil : "\(field) \(value.debugDescription) is not an identifier (letters, digits, . _ -; at most 64)"
        }
        func on(_ prefix: StaticString, id: String? = nil) -> String? {
            let prefixCount = prefix.utf8CodeUnitCount
            let bytes = UnsafeBufferPointer(start: prefix.utf8Start, count: prefixCount)
            guard stream.utf8.starts(with: bytes) else { return "\(event.typeName) belongs on a \(prefix)… stream" }
            guard let id else { return nil }
            return stream.utf8.count == prefixCount + id.utf8.count && stream.utf8.dropFirst(prefixCount).elementsEqual(id.utf8)
                ? nil : "its id \(id) is not its stream's"
        }
        switch event {
        case .unitDefined(let u):
            if let problem = text(u.name, "name") { return problem }
            if let problem = on("unit-", id: u.code.code) { return problem }
            if let problem = date(u.validFrom, "valid_from") { return problem }
            if let problem = u.validUntil.flatMap({ date($0, "valid_until") }) { return problem }
            if u.predecessors.count > 20 { return "came_from lists more than 20 units" }
        case .programDefined(let d), .programAmended(let d):
            if let problem = text(d.nameVi, "name_vi") { return problem }
            if let problem = text(d.nameEn, "name_en") { return problem }
            if let problem = text(d.legalBasis, "legal_basis") { return problem }
            if let problem = on("program-", id: d.code) { return problem }
            if let problem = identifier(d.code, "code") { return problem }
            if let problem = positive(d.capPerBeneficiaryVND, "cap_per_beneficiary_vnd") { return problem }
            if let problem = date(d.validFrom, "valid_from") { return problem }
            if let problem = date(d.validUntil, "valid_until") { return problem }
            if let problem = date(d.effectiveFrom, "effective_from") { return problem }
            if let terms = d.loanTerms {
                if let problem = number(terms.maxTermMonths, 1...600, "max_term_months") { return problem }
                if let problem = number(terms.instalmentMonths, 1...600, "instalment_months") { return problem }
                if let problem = number(terms.overdueMultiplierPercent, 100...1000, "overdue_multiplier_percent") { return problem }
                for period in terms.ratePeriods {
                    if let problem = date(period.from, "rate_periods.from") { return problem }
                    if let problem = number(period.annualRateBasisPoints, 0...10_000, "annual_rate_basis_points") { return problem }
                }
            }
        case .budgetAllocated(let b):
            if let problem = text(b.reference, "reference") { return problem }
            if let problem = on("budget-") { return problem }
            if let problem = identifier(b.program, "program") { return problem }
            if let problem = number(b.fiscalYear, 2000...2100, "fiscal_year") { return problem }
            if let problem = positive(b.amountVND, "amount_vnd") { return problem }
            if let problem = budgetStream(stream, b.program, b.fiscalYear, b.district) { return problem }
        case .budgetAdjusted(let b):
            if let problem = text(b.reference, "reference") { return problem }
            let delta: String? = b.deltaVND.amount != 0 && b.deltaVND.amount.magnitude <= UInt64(maximumAmount)
                ? nil : "delta_vnd is \(b.deltaVND.amount), not a non-zero amount within ±\(VND.grouped(maximumAmount))"
            if let problem = on("budget-") { return problem }
            if let problem = identifier(b.program, "program") { return problem }
            if let problem = number(b.fiscalYear, 2000...2100, "fiscal_year") { return problem }
            if let problem = delta { return problem }
            if let problem = budgetStream(stream, b.program, b.fiscalYear, b.district) { return problem }
        case .fundsReserved(let f):
            if let problem = on("budget-") { return problem }
            if let problem = identifier(f.applicationID, "application_id") { return problem }
            if let problem = positive(f.amountVND, "amount_vnd") { return problem }
        case .fundsReleased(let f):
            if let problem = text(f.reason, "reason") { return problem }
            if let problem = on("budget-") { return problem }
            if let problem = identifier(f.applicationID, "application_id") { return problem }
            if let problem = positive(f.amountVND, "amount_vnd") { return problem }
        case .beneficiaryRegistered(let r):
            if let problem = text(r.name, "name") { return problem }
            if let problem = r.bankAccount.flatMap({ text($0, "bank_account") }) { return problem }
            if let problem = on("beneficiary-", id: r.beneficiaryID) { return problem }
            if let problem = identifier(r.beneficiaryID, "beneficiary_id") { return problem }
        case .beneficiaryAmended(let a):
            if let problem = text(a.reason, "reason") { return problem }
            if let problem = a.name.flatMap({ text($0, "name") }) { return problem }
            if let problem = a.bankAccount.flatMap({ text($0, "bank_account") }) { return problem }
            if let problem = on("beneficiary-", id: a.beneficiaryID) { return problem }
            if let problem = identifier(a.beneficiaryID, "beneficiary_id") { return problem }
            if let problem = date(a.amendedOn, "amended_on") { return problem }
            if let fingerprint = a.nationalIDFingerprint, !isFingerprint(fingerprint) {
                return "national_id_fingerprint is not 64 lower-case hexadecimal digits"
            }
        case .categoryDefined(let c):
            if let problem = text(c.labelVi, "label_vi") { return problem }
            if let problem = text(c.labelEn, "label_en") { return problem }
            if let problem = on("category-", id: c.name) { return problem }
            if (try? BeneficiaryCategory.normalised(c.name, field: "name")) != c.name {
                return "name \(c.name.debugDescription) is not a category's canonical form (lowercase words joined by -)"
            }
        case .benefitCommitted(let c):
            if let problem = on("beneficiary-") { return problem }
            if let problem = identifier(c.applicationID, "application_id") { return problem }
            if let problem = identifier(c.program, "program") { return problem }
            if let problem = positive(c.amountVND, "amount_vnd") { return problem }
        case .benefitReleased(let c):
            if let problem = on("beneficiary-") { return problem }
            if let problem = identifier(c.applicationID, "application_id") { return problem }
            if let problem = identifier(c.program, "program") { return problem }
            if let problem = positive(c.amountVND, "amount_vnd") { return problem }
        case .applicationSubmitted(let s):
            if let problem = on("application-", id: s.applicationID) { return problem }
            if let problem = identifier(s.applicationID, "application_id") { return problem }
            if let problem = identifier(s.beneficiaryID, "beneficiary_id") { return problem }
            if let problem = identifier(s.program, "program") { return problem }
            if let problem = number(s.fiscalYear, 2000...2100, "fiscal_year") { return problem }
            if let problem = positive(s.requestedVND, "requested_vnd") { return problem }
            if let problem = date(s.submittedOn, "submitted_on") { return problem }
        case .applicationApproved(let a):
            if let problem = text(a.decisionReference, "decision_reference") { return problem }
            if let problem = on("application-") { return problem }
            if let problem = positive(a.approvedVND, "approved_vnd") { return problem }
            if let problem = date(a.decidedOn, "decided_on") { return problem }
        case .applicationRejected(let r):
            if let problem = text(r.reason, "reason") { return problem }
            if let problem = on("application-") { return problem }
            if let problem = date(r.decidedOn, "decided_on") { return problem }
        case .applicationWithdrawn(let w):
            if let problem = text(w.reason, "reason") { return problem }
            if let problem = on("application-") { return problem }
            if let problem = nonNegative(w.releasedVND, "released_vnd") { return problem }
            if let problem = date(w.withdrawnOn, "withdrawn_on") { return problem }
        case .paymentRecorded(let p):
            if let problem = text(p.voucher, "voucher") { return problem }
            if let problem = p.bankAccount.flatMap({ text($0, "bank_account") }) { return problem }
            if let problem = on("application-") { return problem }
            if let problem = identifier(p.paymentID, "payment_id") { return problem }
            if let problem = positive(p.amountVND, "amount_vnd") { return problem }
            if let problem = date(p.paidOn, "paid_on") { return problem }
        case .paymentReversed(let p):
            if let problem = text(p.reason, "reason") { return problem }
            if let problem = on("application-") { return problem }
            if let problem = identifier(p.paymentID, "payment_id") { return problem }
            if let problem = positive(p.amountVND, "amount_vnd") { return problem }
            if let problem = date(p.reversedOn, "reversed_on") { return problem }
        case .loanOpened(let l):
            if let problem = on("application-") { return problem }
            if let problem = identifier(l.loanID, "loan_id") { return problem }
            if let problem = positive(l.principalVND, "principal_vnd") { return problem }
            if let problem = date(l.disbursedOn, "disbursed_on") { return problem }
        case .applicationClosed(let c):
            if let problem = on("application-") { return problem }
            if let problem = nonNegative(c.paidVND, "paid_vnd") { return problem }
            if let problem = nonNegative(c.releasedVND, "released_vnd") { return problem }
            if let problem = date(c.closedOn, "closed_on") { return problem }
        case .loanDisbursed(let d):
            if let problem = on("loan-", id: d.loanID) { return problem }
            if let problem = identifier(d.loanID, "loan_id") { return problem }
            if let problem = identifier(d.applicationID, "application_id") { return problem }
            if let problem = identifier(d.beneficiaryID, "beneficiary_id") { return problem }
            if let problem = identifier(d.program, "program") { return problem }
            if let problem = positive(d.principalVND, "principal_vnd") { return problem }
            if let problem = date(d.disbursedOn, "disbursed_on") { return problem }
            if let problem = number(d.termMonths, 1...600, "term_months") { return problem }
            if let problem = number(d.instalmentMonths, 1...600, "instalment_months") { return problem }
            if let problem = number(d.overdueMultiplierPercent, 100...1000, "overdue_multiplier_percent") { return problem }
        case .loanRepaid(let r):
            if let problem = on("loan-") { return problem }
            if let problem = identifier(r.repaymentID, "repayment_id") { return problem }
            if let problem = positive(r.amountVND, "amount_vnd") { return problem }
            if let problem = date(r.paidOn, "paid_on") { return problem }
            if let problem = nonNegative(r.overdueInterestVND, "overdue_interest_vnd") { return problem }
            if let problem = nonNegative(r.interestVND, "interest_vnd") { return problem }
            if let problem = nonNegative(r.overduePrincipalVND, "overdue_principal_vnd") { return problem }
            if let problem = nonNegative(r.principalDueVND, "principal_due_vnd") { return problem }
            if let problem = nonNegative(r.prepaidPrincipalVND, "prepaid_principal_vnd") { return problem }
            if let problem = nonNegative(r.outstandingPrincipalAfterVND, "outstanding_principal_after_vnd") { return problem }
            if let problem = nonNegative(r.unpaidOverdueInterestAfterVND, "unpaid_overdue_interest_after_vnd") { return problem }
            if let problem = nonNegative(r.unpaidInterestAfterVND, "unpaid_interest_after_vnd") { return problem }
        case .loanSettled(let s):
            if let problem = on("loan-") { return problem }
            if let problem = date(s.settledOn, "settled_on") { return problem }
        case .loanWrittenOff(let w):
            if let problem = text(w.reason, "reason") { return problem }
            if let problem = on("loan-") { return problem }
            if let problem = date(w.writtenOffOn, "written_off_on") { return problem }
            if let problem = nonNegative(w.outstandingPrincipalVND, "outstanding_principal_vnd") { return problem }
            if let problem = nonNegative(w.unpaidInterestVND, "unpaid_interest_vnd") { return problem }
        }
        return nil
    }

    /// A budget event names the programme, year and district of its stream.
    private static func budgetStream(_ stream: String, _ program: String, _ year: Int, _ district: UnitCode) -> String? {
        let expected = Streams.budget(program: program, year: year, district: district)
        return stream == expected ? nil : "its programme, year and district are those of \(expected), not of its stream"
    }

    /// `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`.
    static func isIdentifier(_ text: String) -> Bool {
        var count = 0
        for byte in text.utf8 {
            let alphanumeric = (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            guard alphanumeric || (count > 0 && (byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-"))) else {
                return false
            }
            count += 1
            guard count <= 64 else { return false }
        }
        return count > 0
    }

    /// Free text: at least one visible character, no control (Cc) or format (Cf: bidirectional
    /// overrides, zero-width characters, …) character. Printable ASCII is decided byte by byte.
    static func isVisibleText(_ text: String) -> Bool {
        var visible = false
        var ascii = true
        for byte in text.utf8 {
            guard byte >= 0x20, byte != 0x7F else { return false }
            if byte >= 0x80 { ascii = false; break }
            if byte != 0x20 { visible = true }
        }
        if ascii { return visible }
        visible = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            // Below U+0600 the only control and format characters are C0, DEL, C1 and U+00AD, and
            // the only space besides U+0020 is U+00A0; U+1E00…U+1EFF (Vietnamese letters) are all
            // letters. Everything else asks the Unicode tables.
            if value < 0x0600 {
                guard value >= 0x20, !(0x7F...0x9F).contains(value), value != 0xAD else { return false }
                if value != 0x20, value != 0xA0 { visible = true }
                continue
            }
            if (0x1E00...0x1EFF).contains(value) {
                visible = true
                continue
            }
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate: return false
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: break
            default: visible = true
            }
        }
        return visible
    }

    /// `^[0-9a-f]{64}$`.
    static func isFingerprint(_ text: String) -> Bool {
        var count = 0
        for byte in text.utf8 {
            guard (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) else {
                return false
            }
            count += 1
        }
        return count == 64
    }
}

extension LedgerService {
    /// Replays the log through `through` (default: all of it) and re-checks every invariant.
    /// Reads and decodes the next page (decoding on every core) while the current one is
    /// checked: the check is one sequential fold, the decoding is not.
    public func auditInvariants(
        through last: Int64? = nil, pageSize: Int = EventStore.defaultPageSize, progress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> InvariantAudit {
        var audit = InvariantAudit()
        let store = self.store
        @Sendable func readAndDecode(after: Int64) async throws -> [(RecordedEvent, Result<(LedgerEvent, EventContext)?, any Error>)] {
            var page = try await store.readPage(after: after, limit: pageSize)
            if let last { page = page.filter { $0.position <= last } }
            let decoded = await parallelMap(page, InvariantAudit.decode)
            return Array(zip(page, decoded))
        }
        var next: Task<[(RecordedEvent, Result<(LedgerEvent, EventContext)?, any Error>)], any Error>? = Task { try await readAndDecode(after: 0) }
        defer { next?.cancel() }
        while let reading = next {
            let page = try await reading.value
            guard let tail = page.last?.0 else { break }
            let after = tail.position
            let done = page.count < pageSize || (last.map { after >= $0 } ?? false)
            next = done ? nil : Task { try await readAndDecode(after: after) }
            for (event, result) in page { audit.check(event, decoded: result) }
            progress?(audit.eventsChecked)
        }
        audit.finish()
        return audit
    }
}

/// What the audit needs of an application, and no more (it is kept for every application of the
/// log): who submitted it, its programme, beneficiary and budget, status and amounts. Folded here
/// on purpose rather than with the command handler's `ApplicationState`: the audit checks the
/// handler, so it keeps its own small arithmetic.
struct AuditedApplication: Sendable {
    var exists = false
    var program: String?
    /// Whether its programme lends (nil when the programme was not defined at submission).
    var isLoan: Bool?
    var beneficiaryStream = ""
    var budgetStream = ""
    var submittedBy: String?
    var status: ApplicationStatus?
    var approved: Int64 = 0
    var decidedOn: LocalDate?
    /// Payments net of reversals.
    var paid: Int64 = 0
    var loanPrincipal: Int64 = 0

    mutating func submit(_ submission: ApplicationSubmitted, actor: String, isLoan: Bool?, pool: inout TextPool) {
        exists = true
        program = pool(submission.program)
        self.isLoan = isLoan
        beneficiaryStream = Streams.beneficiary(submission.beneficiaryID)
        budgetStream = pool(Streams.budget(program: submission.program, year: submission.fiscalYear, district: submission.district))
        submittedBy = pool(actor)
        status = .submitted
    }
}

struct AuditPayment: Sendable {
    let applicationStream: String
    let amount: Int64
    var reversed = false
}

struct AuditBudget: Sendable {
    var isAllocated = false
    var allocated: Int64 = 0
    /// Reserved less released.
    var reserved: Int64 = 0
}

struct AuditBeneficiary: Sendable {
    /// The details amendments change (as the replay last saw them).
    struct Details: Sendable {
        var name: String
        var unit: String
        var categories: Set<String>
        var bankAccount: String?
        var fingerprint: String?
    }

    var registered = false
    var details: Details?
    /// Per programme: committed less released.
    var committed: [(program: String, amount: Int64)] = []
}

struct AuditLoan: Sendable {
    enum Status: String, Sendable { case active, settled, writtenOff = "written off" }

    var status: Status?
    var program: String?
    var principal: Int64 = 0
    var principalRepaid: Int64 = 0
    var repaymentIDs: Set<String> = []
    /// Whether the fixed order of allocation can be replayed (the loan's terms were the programme's,
    /// and every repayment so far was what the domain decides).
    var replayable = false
    /// The handler's fold, only for replaying the fixed order of allocation; it is given only
    /// events the handler itself would have decided (so its unchecked sums cannot overflow).
    var state: LoanState

    init(streamID: String) { state = LoanState(streamID: streamID) }

    var outstanding: Int64 { principal - principalRepaid }
    var statusText: String { status?.rawValue ?? "never disbursed" }
}
