/// Where an application stands.
public enum ApplicationStatus: String, Sendable, Codable, CaseIterable {
    /// Recorded by an officer; waiting for an approver.
    case submitted
    /// Approved with an amount: funds are reserved and may be paid (or, for loans, disbursed).
    case approved
    case rejected
    case withdrawn
    /// Approved, then closed: the unpaid remainder went back to the budget; nothing more is paid.
    case closed
}

/// One payment of an application, and its reversal if the bank returned it.
public struct ApplicationPayment: Sendable, Codable, Equatable {
    public let recorded: PaymentRecorded
    public fileprivate(set) var reversal: PaymentReversed?

    public var paymentID: String { recorded.paymentID }
    public var amount: VND { recorded.amountVND }
    public var paidOn: LocalDate { recorded.paidOn }
    public var method: PaymentMethod { recorded.method }
    public var voucher: String { recorded.voucher }
    public var bankAccount: String? { recorded.bankAccount }
    public var isReversed: Bool { reversal != nil }
}

/// An application for support (stream `application-{id}`): what was submitted and by whom, the
/// decision, the payments (with reversals) or loans that paid it out, and whether it is closed.
public struct ApplicationState: StreamState, Equatable {
    public let streamID: String
    /// The application's id, e.g. `A-2024-0001`.
    public let id: String
    public var version: Int64 = 0
    /// Nil until submitted.
    public private(set) var status: ApplicationStatus?
    /// The submitted facts: beneficiary, programme, district, fiscal year, amount requested.
    public private(set) var submission: ApplicationSubmitted?
    /// The database role that submitted it (four eyes compares database identities).
    public private(set) var submittedBy: String?
    public private(set) var approval: ApplicationApproved?
    public private(set) var rejection: ApplicationRejected?
    /// The database role that approved or rejected it.
    public private(set) var decidedBy: String?
    public private(set) var withdrawal: ApplicationWithdrawn?
    public private(set) var closure: ApplicationClosed?
    /// By payment id.
    public private(set) var payments: [String: ApplicationPayment] = [:]
    /// Payment ids in the order recorded.
    public private(set) var paymentIDs: [String] = []
    /// Payments net of reversals.
    public private(set) var paid: VND = .zero
    /// Loans disbursed against this application (loan programmes).
    public private(set) var loans: [LoanOpened] = []

    public init(streamID: String) {
        self.streamID = streamID
        id = streamID.removingStreamPrefix(Streams.application(""))
    }

    public var exists: Bool { submission != nil }
    /// The approved amount (zero unless approved).
    public var approved: VND { approval?.approvedVND ?? .zero }
    public var decisionReference: String? { approval?.decisionReference }
    public var loanIDs: [String] { loans.map(\.loanID) }
    /// Principal disbursed through loans.
    public var loanPrincipal: VND { loans.reduce(VND.zero) { $0 + $1.principalVND } }
    /// Paid out so far: payments net of reversals, plus loan principal disbursed.
    public var disbursed: VND { paid + loanPrincipal }
    /// What may still be paid or disbursed: approved minus disbursed while the application is
    /// approved and open; zero in every other status.
    public var remainingPayable: VND { status == .approved ? approved - disbursed : .zero }

    /// The budget this application draws on: `budget-{program}-{fiscal year}-{district}`.
    public var budgetStreamID: String? {
        submission.map { Streams.budget(program: $0.program, year: $0.fiscalYear, district: $0.district) }
    }
    public var beneficiaryStreamID: String? { submission.map { Streams.beneficiary($0.beneficiaryID) } }
    public var programStreamID: String? { submission.map { Streams.program($0.program) } }

    public mutating func apply(_ event: LedgerEvent, context: EventContext) {
        switch event {
        case .applicationSubmitted(let submitted):
            submission = submitted
            submittedBy = context.actor
            status = .submitted
        case .applicationApproved(let approved):
            approval = approved
            decidedBy = context.actor
            status = .approved
        case .applicationRejected(let rejected):
            rejection = rejected
            decidedBy = context.actor
            status = .rejected
        case .applicationWithdrawn(let withdrawn):
            withdrawal = withdrawn
            status = .withdrawn
        case .paymentRecorded(let payment):
            payments[payment.paymentID] = ApplicationPayment(recorded: payment, reversal: nil)
            paymentIDs.append(payment.paymentID)
            paid += payment.amountVND
        case .paymentReversed(let reversal):
            guard var payment = payments[reversal.paymentID], payment.reversal == nil else { break }
            payment.reversal = reversal
            payments[reversal.paymentID] = payment
            paid -= reversal.amountVND
        case .loanOpened(let loan):
            loans.append(loan)
        case .applicationClosed(let closed):
            closure = closed
            status = .closed
        default:
            break
        }
    }
}
