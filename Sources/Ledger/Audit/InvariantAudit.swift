import EventStore
import Foundation

/// A domain rule broken by an event in the log.
public struct InvariantViolation: Sendable, Equatable, Encodable {
    public enum Rule: String, Sendable, Codable, CaseIterable {
        /// More paid out (payments net of reversals, plus loan principal) than approved.
        case overpayment
        /// A payment or loan on an application that was not approved and open.
        case notPayable
        /// Approvals reserving more than a budget has allocated, or releasing more than reserved.
        case overBudget
        /// An approval above the programme's cap per beneficiary.
        case overCap
        /// An application decided by the person who submitted it.
        case fourEyes
        /// A second beneficiary registered with the same national-id fingerprint.
        case duplicateNationalID
        /// A loan repayment not allocated as DOMAIN.md's fixed order gives, or more than was owed.
        case repaymentAllocation
        /// An event that does not fit its stream's lifecycle (decided twice, reversed unknown payment, …).
        case lifecycle
        /// An event whose payload this code cannot read.
        case unreadable
    }

    public let position: Int64
    public let streamID: String
    public let rule: Rule
    public let message: String

    enum CodingKeys: String, CodingKey { case position, streamID = "stream_id", rule, message }
}

/// Replays the log and re-checks every domain invariant, event by event, in position order:
/// what a correct ledger could never have appended, found even if it was appended around the
/// command handlers (straight through `ledger.append`) or by an older, buggier version of them.
/// Memory is the per-record state of the ledger (applications, budgets, loans, fingerprints),
/// not the log.
public struct InvariantAudit: Sendable {
    public private(set) var violations: [InvariantViolation] = []
    public private(set) var eventsChecked: Int64 = 0
    /// At most this many violations are kept (the count goes on).
    public static let keptViolations = 1_000
    public private(set) var violationCount = 0

    private var programs: [String: ProgramState] = [:]
    private var budgets: [String: BudgetState] = [:]
    private var applications: [String: AuditedApplication] = [:]
    private var loans: [String: LoanState] = [:]
    /// Fingerprint → the beneficiary registered with it.
    private var nationalIDs: [String: String] = [:]

    public init() {}

    /// Decodes `event` (a pure step; run it on any thread) for `check`.
    public static func decode(_ event: RecordedEvent) -> Result<(LedgerEvent, EventContext)?, any Error> {
        Result { try LedgerService.decoded(event) }
    }

    /// Checks the next event of the log, decoded by `decode`.
    public mutating func check(_ event: RecordedEvent, decoded: Result<(LedgerEvent, EventContext)?, any Error>) {
        eventsChecked += 1
        let domainEvent: LedgerEvent
        let context: EventContext
        switch decoded {
        case .failure(let error):
            report(event, .unreadable, "\(event.type) v\(event.schemaVersion) cannot be read: \(error)")
            return
        case .success(nil):
            return  // not a domain event
        case .success(let pair?):
            (domainEvent, context) = pair
        }
        let stream = event.streamID.rawValue
        switch domainEvent {
        case .programDefined, .programAmended:
            programs[stream, default: ProgramState(streamID: stream)].apply(domainEvent, context: context)
        case .budgetAllocated, .budgetAdjusted, .fundsReserved, .fundsReleased:
            checkBudget(event, domainEvent, context)
        case .beneficiaryRegistered(let registration):
            if let fingerprint = registration.nationalIDFingerprint {
                if let holder = nationalIDs[fingerprint], holder != registration.beneficiaryID {
                    report(event, .duplicateNationalID,
                           "beneficiary \(registration.beneficiaryID) has the national id of beneficiary \(holder), registered earlier")
                } else {
                    nationalIDs[fingerprint] = registration.beneficiaryID
                }
            }
        case .benefitCommitted, .benefitReleased:
            break
        case .applicationSubmitted, .applicationApproved, .applicationRejected, .applicationWithdrawn, .applicationClosed,
             .paymentRecorded, .paymentReversed, .loanOpened:
            checkApplication(event, domainEvent, context)
        case .loanDisbursed, .loanRepaid, .loanSettled, .loanWrittenOff:
            checkLoan(event, domainEvent, context)
        }
    }

    private mutating func report(_ event: RecordedEvent, _ rule: InvariantViolation.Rule, _ message: String) {
        violationCount += 1
        guard violations.count < Self.keptViolations else { return }
        violations.append(InvariantViolation(position: event.position, streamID: event.streamID.rawValue, rule: rule, message: message))
    }

    // MARK: Budgets

    private mutating func checkBudget(_ event: RecordedEvent, _ domainEvent: LedgerEvent, _ context: EventContext) {
        let stream = event.streamID.rawValue
        // Taken out and put back: a copy left in the dictionary would make every change copy the state.
        var budget = budgets.removeValue(forKey: stream) ?? BudgetState(streamID: stream)
        budget.apply(domainEvent, context: context)
        if budget.reserved < .zero {
            report(event, .overBudget, "budget \(stream) released more than was reserved (reserved now \(budget.reserved.formatted))")
        } else if budget.reserved > budget.allocated {
            report(event, .overBudget, "budget \(stream) has \(budget.reserved.formatted) reserved by approvals but only "
                + "\(budget.allocated.formatted) allocated")
        }
        budgets[stream] = budget
    }

    // MARK: Applications

    private mutating func checkApplication(_ event: RecordedEvent, _ domainEvent: LedgerEvent, _ context: EventContext) {
        let stream = event.streamID.rawValue
        var application = applications.removeValue(forKey: stream) ?? AuditedApplication()
        let id = String(stream.dropFirst(Self.applicationPrefix.count))
        switch domainEvent {
        case .applicationSubmitted:
            if application.exists { report(event, .lifecycle, "application \(id) was submitted twice") }
        case .applicationApproved(let approval):
            if application.status != .submitted {
                report(event, .lifecycle, "application \(id) was approved while \(application.status?.rawValue ?? "never submitted")")
            }
            if let submitter = application.submittedBy, submitter == context.actor {
                report(event, .fourEyes, "application \(id) was approved by \(context.actor), who submitted it")
            }
            if let program = application.program,
               let definition = programs[Streams.program(program)]?.definition(on: approval.decidedOn),
               approval.approvedVND > definition.capPerBeneficiaryVND {
                report(event, .overCap, "application \(id) was approved for \(approval.approvedVND.formatted), above the cap of "
                    + "\(definition.capPerBeneficiaryVND.formatted) of programme \(program)")
            }
        case .applicationRejected:
            if application.status != .submitted {
                report(event, .lifecycle, "application \(id) was rejected while \(application.status?.rawValue ?? "never submitted")")
            }
            if let submitter = application.submittedBy, submitter == context.actor {
                report(event, .fourEyes, "application \(id) was rejected by \(context.actor), who submitted it")
            }
        case .applicationWithdrawn:
            if application.status != .submitted && application.status != .approved {
                report(event, .lifecycle, "application \(id) was withdrawn while \(application.status?.rawValue ?? "never submitted")")
            }
        case .applicationClosed:
            if application.status != .approved {
                report(event, .lifecycle, "application \(id) was closed while \(application.status?.rawValue ?? "never submitted")")
            }
        case .paymentRecorded(let payment):
            if application.status != .approved {
                report(event, .notPayable, "payment \(payment.paymentID) of \(payment.amountVND.formatted) on application \(id), which is "
                    + "\(application.status?.rawValue ?? "not submitted"), not approved and open")
            }
        case .paymentReversed(let reversal):
            guard let payment = application.payments[reversal.paymentID] else {
                report(event, .lifecycle, "payment \(reversal.paymentID) reversed on application \(id), which has no such payment")
                break
            }
            if payment.reversed {
                report(event, .lifecycle, "payment \(reversal.paymentID) on application \(id) was reversed twice")
            } else if reversal.amountVND != payment.amount {
                report(event, .lifecycle, "payment \(reversal.paymentID) of \(payment.amount.formatted) reversed as \(reversal.amountVND.formatted)")
            }
        case .loanOpened(let loan):
            if application.status != .approved {
                report(event, .notPayable, "loan \(loan.loanID) opened on application \(id), which is "
                    + "\(application.status?.rawValue ?? "not submitted"), not approved and open")
            }
        default:
            break
        }
        let wasOpen = application.status == .approved
        application.apply(domainEvent, actor: context.actor)
        if wasOpen, application.disbursed > application.approved {
            report(event, .overpayment, "application \(id) has \(application.disbursed.formatted) paid out against "
                + "\(application.approved.formatted) approved")
        }
        applications[stream] = application
    }

    static let applicationPrefix = Streams.application("")

    // MARK: Loans

    private mutating func checkLoan(_ event: RecordedEvent, _ domainEvent: LedgerEvent, _ context: EventContext) {
        let stream = event.streamID.rawValue
        var loan = loans.removeValue(forKey: stream) ?? LoanState(streamID: stream)
        if case .loanRepaid(let repaid) = domainEvent {
            if let program = loan.disbursement.flatMap({ programs[Streams.program($0.program)] }),
               let terms = LedgerService.loanTermsAcrossAmendments(program) {
                do {
                    let decision = try LoanDecisions.repay(loan: loan, terms: terms, repaymentID: repaid.repaymentID,
                                                           amountVND: repaid.amountVND, paidOn: repaid.paidOn)
                    let expected = decision.streams.first?.events.first
                    if decision.alreadyDone {
                        report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) on loan \(loan.loanID) was recorded twice")
                    } else if expected != .loanRepaid(repaid) {
                        report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) of \(repaid.amountVND.formatted) on loan "
                            + "\(loan.loanID) is not allocated in the fixed order (overdue interest, interest, overdue principal, "
                            + "principal due, prepayment)\(expected.map { " — expected \(Self.allocationText($0))" } ?? "")")
                    }
                } catch {
                    report(event, .repaymentAllocation, "repayment \(repaid.repaymentID) on loan \(loan.loanID) could not have been "
                        + "recorded: \(error)")
                }
            } else {
                report(event, .lifecycle, "repayment \(repaid.repaymentID) on loan \(loan.loanID), which was never disbursed under a loan programme")
            }
        }
        loan.apply(domainEvent, context: context)
        loan.version = event.streamVersion
        loans[stream] = loan
    }

    static func allocationText(_ event: LedgerEvent) -> String {
        guard case .loanRepaid(let r) = event else { return "\(event.typeName)" }
        return "overdue interest \(r.overdueInterestVND.formatted), interest \(r.interestVND.formatted), overdue principal "
            + "\(r.overduePrincipalVND.formatted), principal due \(r.principalDueVND.formatted), prepaid \(r.prepaidPrincipalVND.formatted)"
    }
}

extension LedgerService {
    /// Replays the log through `through` (default: all of it) and re-checks every invariant.
    /// Reads a page ahead while the current one is decoded, decoding each page on every core.
    public func auditInvariants(
        through last: Int64? = nil, pageSize: Int = EventStore.defaultPageSize, progress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> InvariantAudit {
        var audit = InvariantAudit()
        let store = self.store
        var after: Int64 = 0
        var next: Task<[RecordedEvent], any Error>? = Task { try await store.readPage(after: 0, limit: pageSize) }
        defer { next?.cancel() }
        while let reading = next {
            var page = try await reading.value
            if let last { page = page.filter { $0.position <= last } }
            guard let tail = page.last else { break }
            after = tail.position
            let done = page.count < pageSize || (last.map { after >= $0 } ?? false)
            next = done ? nil : Task { [after] in try await store.readPage(after: after, limit: pageSize) }
            let decoded = await parallelMap(page, InvariantAudit.decode)
            for (event, result) in zip(page, decoded) { audit.check(event, decoded: result) }
            progress?(audit.eventsChecked)
        }
        return audit
    }
}

/// What the audit needs of an application, and no more (it is kept for every application of the
/// log): who submitted it, its programme, status, amounts, and each payment's amount and whether
/// it was reversed. Folded here on purpose rather than with the command handler's
/// `ApplicationState`: the audit checks the handler, so it keeps its own small arithmetic.
struct AuditedApplication: Sendable {
    struct Payment: Sendable {
        let amount: VND
        var reversed = false
    }

    var exists = false
    var program: String?
    var submittedBy: String?
    var status: ApplicationStatus?
    var approved: VND = .zero
    var paid: VND = .zero
    var loanPrincipal: VND = .zero
    var payments: [String: Payment] = [:]

    /// Paid out net of reversals, plus loan principal.
    var disbursed: VND { paid + loanPrincipal }

    mutating func apply(_ event: LedgerEvent, actor: String) {
        switch event {
        case .applicationSubmitted(let submission):
            exists = true
            program = submission.program
            submittedBy = actor
            status = .submitted
        case .applicationApproved(let approval):
            approved = approval.approvedVND
            status = .approved
        case .applicationRejected:
            status = .rejected
        case .applicationWithdrawn:
            status = .withdrawn
        case .applicationClosed:
            status = .closed
        case .paymentRecorded(let payment):
            payments[payment.paymentID] = Payment(amount: payment.amountVND)
            paid += payment.amountVND
        case .paymentReversed(let reversal):
            guard var payment = payments[reversal.paymentID], !payment.reversed else { return }
            payment.reversed = true
            payments[reversal.paymentID] = payment
            paid -= reversal.amountVND
        case .loanOpened(let loan):
            loanPrincipal += loan.principalVND
        default:
            break
        }
    }
}
