/// One thing a person of the demo city does on a business date, through the ledger's command
/// handlers. The seeder carries these out in date order; `DemoPlan` decides them from the seed.
enum DemoAction: Sendable, Equatable {
    case submit(applicationID: String, beneficiaryID: String, program: String, amount: VND)
    /// An approval; if the ledger refuses it for lack of funds (`overBudget`) or because a
    /// once-only programme's cap is already used (`overCap`), the approver rejects it instead.
    case approve(applicationID: String, amount: VND, decision: String, approver: DemoPerson)
    case reject(applicationID: String, reason: String, approver: DemoPerson)
    case withdraw(applicationID: String, reason: String)
    case pay(LedgerService.PaymentOrder)
    case reverse(applicationID: String, paymentID: String, reason: String)
    case close(applicationID: String)
    case disburse(DemoLoan)
    case repay(applicationID: String, loanID: String, repaymentID: String, rule: RepaymentRule)
    case writeOff(applicationID: String, loanID: String, reason: String, approver: DemoPerson)
    case adjustBudget(program: String, district: UnitCode, delta: VND, reference: String)

    /// The application the action belongs to (nil for budget adjustments).
    var applicationID: String? {
        switch self {
        case .submit(let id, _, _, _), .approve(let id, _, _, _), .reject(let id, _, _), .withdraw(let id, _),
             .reverse(let id, _, _), .close(let id), .repay(let id, _, _, _), .writeOff(let id, _, _, _):
            id
        case .pay(let order): order.applicationID
        case .disburse(let loan): loan.applicationID
        case .adjustBudget: nil
        }
    }
}

/// A loan the demo disburses, with what the disbursement decision needs to know about its approval.
struct DemoLoan: Sendable, Equatable {
    let loanID: String
    let applicationID: String
    let beneficiaryID: String
    let program: String
    let approvedVND: VND
    let approvedOn: LocalDate
    let principalVND: VND
    let termMonths: Int
}

/// How much a borrower pays on a date, worked out from what the loan owes then (so the amounts
/// follow the ledger's own interest rules rather than figures typed into the plan).
enum RepaymentRule: Sendable, Equatable {
    /// Interest (overdue and ordinary) and overdue principal: catching up after a missed date.
    case arrears
    /// `arrears` plus the instalment due: paying on the due date.
    case instalment
    /// `instalment` plus this much principal paid early (capped at what is left).
    case instalmentAndPrepayment(VND)
    /// Everything owed: the loan is settled.
    case payoff

    /// The amount for `position`, or zero when nothing of the kind is owed.
    func amount(for position: LoanPosition) -> VND {
        let arrears = position.overdueInterestVND + position.interestVND + position.overduePrincipalVND
        switch self {
        case .arrears: return arrears
        case .instalment: return arrears + position.principalDueVND
        case .instalmentAndPrepayment(let extra): return arrears + position.principalDueVND + VND.min(extra, position.laterPrincipalVND)
        case .payoff: return position.totalOwedVND
        }
    }
}

/// An action on its business date. `order` breaks ties between actions of the same day, keeping
/// each application's steps in sequence.
struct DemoStep: Sendable, Equatable {
    let date: LocalDate
    let order: Int
    let district: UnitCode
    let action: DemoAction

    static func inSequence(_ lhs: DemoStep, _ rhs: DemoStep) -> Bool {
        (lhs.date, lhs.order) < (rhs.date, rhs.order)
    }
}
