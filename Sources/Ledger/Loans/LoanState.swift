/// Where a loan is in its life.
public enum LoanStatus: String, Sendable, Codable, Equatable {
    /// No `LoanDisbursed` yet: the loan id is free.
    case notDisbursed = "not disbursed"
    case active
    /// Everything repaid; nothing more accrues.
    case settled
    /// Given up by an approver; the recorded figures are what remained unpaid.
    case writtenOff = "written off"
}

/// The state of stream `loan-{id}`, folded from `LoanDisbursed`, `LoanRepaid`, `LoanSettled`
/// and `LoanWrittenOff`.
///
/// It needs no programme: repayments record the interest they fixed (rounded) and what stayed
/// unpaid, so a later rate change cannot rewrite anything folded here. Interest accrued since
/// the last repayment is not state; `LoanPosition` computes it for a date.
public struct LoanState: StreamState, Equatable {
    public var version: Int64 = 0
    public let loanID: String
    public private(set) var status: LoanStatus = .notDisbursed
    public private(set) var disbursement: LoanDisbursed?
    /// Nil until disbursed (or if a recorded disbursement cannot be scheduled, which decisions refuse).
    public private(set) var schedule: LoanSchedule?
    /// Principal repaid so far, all repayments together.
    public private(set) var principalRepaidVND: VND = .zero
    /// Interest is fixed up to this date: the disbursement date, then each repayment's date.
    public private(set) var lastAccrualDate: LocalDate?
    /// Overdue interest fixed by earlier repayments but not paid: it stays overdue interest and
    /// is paid first next time. Interest is never charged on it (no compounding).
    public private(set) var unpaidOverdueInterestVND: VND = .zero
    /// Interest fixed by earlier repayments but not paid: it stays interest (paid right after
    /// overdue interest next time), not charged interest on.
    public private(set) var unpaidInterestVND: VND = .zero
    public private(set) var interestPaidVND: VND = .zero
    public private(set) var overdueInterestPaidVND: VND = .zero
    /// Every repayment, by repayment id (for idempotency).
    public private(set) var repayments: [String: LoanRepaid] = [:]
    public private(set) var settledOn: LocalDate?
    public private(set) var writeOff: LoanWrittenOff?

    public var streamID: String { Streams.loan(loanID) }

    public init(streamID: String) {
        let prefix = Streams.loan("")
        loanID = streamID.hasPrefix(prefix) ? String(streamID.dropFirst(prefix.count)) : streamID
    }

    /// A loan with no events, by loan id.
    public init(loanID: String) {
        self.init(streamID: Streams.loan(loanID))
    }

    public mutating func apply(_ event: LedgerEvent, context: EventContext) {
        apply(event)
    }

    /// Applies one event (the context is not needed to fold a loan).
    public mutating func apply(_ event: LedgerEvent) {
        switch event {
        case .loanDisbursed(let disbursed):
            status = .active
            disbursement = disbursed
            schedule = try? LoanSchedule(disbursement: disbursed)
            lastAccrualDate = disbursed.disbursedOn
        case .loanRepaid(let repaid):
            repayments[repaid.repaymentID] = repaid
            principalRepaidVND += repaid.overduePrincipalVND + repaid.principalDueVND + repaid.prepaidPrincipalVND
            overdueInterestPaidVND += repaid.overdueInterestVND
            interestPaidVND += repaid.interestVND
            unpaidOverdueInterestVND = repaid.unpaidOverdueInterestAfterVND
            unpaidInterestVND = repaid.unpaidInterestAfterVND
            lastAccrualDate = repaid.paidOn
        case .loanSettled(let settled):
            status = .settled
            settledOn = settled.settledOn
        case .loanWrittenOff(let writtenOff):
            status = .writtenOff
            writeOff = writtenOff
        default:
            break
        }
    }

    /// Principal disbursed and not yet repaid (overdue principal included).
    public var outstandingPrincipalVND: VND {
        (disbursement?.principalVND ?? .zero) - principalRepaidVND
    }

    /// Principal repaid against each instalment, in schedule order (filled from the first).
    public var principalRepaidPerInstalmentVND: [VND] {
        guard let schedule else { return [] }
        return zip(schedule.instalments, schedule.unpaidPrincipal(afterRepaying: principalRepaidVND))
            .map { $0.principalVND - $1 }
    }

    /// Unpaid principal of each instalment, in schedule order.
    public var unpaidPrincipalPerInstalmentVND: [VND] {
        schedule?.unpaidPrincipal(afterRepaying: principalRepaidVND) ?? []
    }
}
