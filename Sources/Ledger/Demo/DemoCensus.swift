import EventStore

/// What the ledger holds, counted from the whole log with the domain's own folds: events by
/// type, beneficiaries, applications by state, payments, loans and budgets. Read once, in pages.
public struct DemoCensus: Sendable, Codable, Equatable {
    /// One counted line: a name, how many, and an amount where one makes sense.
    public struct Line: Sendable, Codable, Equatable {
        public let name: String
        public let count: Int
        public let amountVND: VND?

        public init(name: String, count: Int, amountVND: VND? = nil) {
            self.name = name
            self.count = count
            self.amountVND = amountVND
        }

        enum CodingKeys: String, CodingKey {
            case name, count, amountVND = "amount_vnd"
        }
    }

    public let headPosition: Int64
    public let events: Int
    /// By event type, in name order.
    public let eventsByType: [Line]
    public let beneficiaries: [Line]
    /// Applications by where they stand (amounts approved), plus those with a payment returned.
    public let applications: [Line]
    public let payments: [Line]
    /// Loans by status on `asOf` (principal outstanding), and repayments.
    public let loans: [Line]
    public let budgets: [Line]
    /// The business date loans are classified on (current or in arrears).
    public let asOf: LocalDate

    enum CodingKeys: String, CodingKey {
        case headPosition = "head_position", events, eventsByType = "events_by_type", beneficiaries, applications, payments, loans, budgets
        case asOf = "as_of"
    }

    /// A budget with less than this share left (in per cent of what was allocated) counts as nearly used up.
    public static let nearlyUsedUpPercent: Int64 = 5

    /// Reads the whole log and counts.
    public static func take(store: EventStore, asOf: LocalDate) async throws -> DemoCensus {
        var typeCounts: [String: Int] = [:]
        var applicationStates: [String: ApplicationState] = [:]
        var loanStates: [String: LoanState] = [:]
        var budgetStates: [String: BudgetState] = [:]
        var programStates: [String: ProgramState] = [:]
        var persons = 0, households = 0
        var recordedPayments = 0, reversedPayments = 0, repayments = 0
        var paidVND = VND.zero, reversedVND = VND.zero, repaidVND = VND.zero
        var head: Int64 = 0
        for try await recorded in store.readAll() {
            head = recorded.position
            typeCounts[recorded.type, default: 0] += 1
            guard let event = try LedgerEvent(recorded: recorded) else { continue }
            let context = EventContext(
                position: recorded.position, streamVersion: recorded.streamVersion, actor: "",
                recordedAtMicroseconds: recorded.recordedAtMicroseconds
            )
            let stream = recorded.streamID.rawValue
            switch event {
            case .beneficiaryRegistered(let registered):
                if registered.kind == .household { households += 1 } else { persons += 1 }
            case .paymentRecorded(let payment):
                recordedPayments += 1
                paidVND += payment.amountVND
            case .paymentReversed(let reversal):
                reversedPayments += 1
                reversedVND += reversal.amountVND
            case .loanRepaid(let repaid):
                repayments += 1
                repaidVND += repaid.amountVND
            default:
                break
            }
            if stream.hasPrefix(Streams.application("")) {
                applicationStates[stream, default: ApplicationState(streamID: stream)].apply(event, context: context)
            } else if stream.hasPrefix(Streams.loan("")) {
                loanStates[stream, default: LoanState(streamID: stream)].apply(event, context: context)
            } else if stream.hasPrefix("budget-") {
                budgetStates[stream, default: BudgetState(streamID: stream)].apply(event, context: context)
            } else if stream.hasPrefix(Streams.program("")) {
                programStates[stream, default: ProgramState(streamID: stream)].apply(event, context: context)
            }
        }

        var applicationLines: [(String, Int, VND)] = ApplicationStanding.allCases.map { ($0.rawValue, 0, .zero) }
        var returned = 0
        for state in applicationStates.values {
            guard let standing = ApplicationStanding(state) else { continue }
            let index = ApplicationStanding.allCases.firstIndex(of: standing)!
            applicationLines[index].1 += 1
            applicationLines[index].2 += state.approved
            if state.payments.values.contains(where: \.isReversed) { returned += 1 }
        }

        var loanLines: [(String, Int, VND)] = LoanStanding.allCases.map { ($0.rawValue, 0, .zero) }
        for loan in loanStates.values {
            let ratePeriods = loan.disbursement.flatMap { programStates[Streams.program($0.program)]?.current?.loanTerms?.ratePeriods }
            guard let standing = LoanStanding(loan, ratePeriods: ratePeriods, asOf: asOf) else { continue }
            let index = LoanStanding.allCases.firstIndex(of: standing)!
            loanLines[index].1 += 1
            loanLines[index].2 += standing == .writtenOff ? (loan.writeOff?.outstandingPrincipalVND ?? .zero) : loan.outstandingPrincipalVND
        }

        let budgets = budgetStates.values.filter(\.isAllocated)
        let allocated = budgets.reduce(VND.zero) { $0 + $1.allocated }
        let reserved = budgets.reduce(VND.zero) { $0 + $1.reserved }
        let nearlyUsedUp = budgets.filter { $0.available.amount * 100 < $0.allocated.amount * nearlyUsedUpPercent }

        return DemoCensus(
            headPosition: head,
            events: typeCounts.values.reduce(0, +),
            eventsByType: typeCounts.keys.sorted().map { Line(name: $0, count: typeCounts[$0]!) },
            beneficiaries: [Line(name: "persons", count: persons), Line(name: "households", count: households)],
            applications: applicationLines.map { Line(name: $0.0, count: $0.1, amountVND: $0.2) }
                + [Line(name: "with a payment returned by the bank", count: returned)],
            payments: [
                Line(name: "payments recorded", count: recordedPayments, amountVND: paidVND),
                Line(name: "payments reversed (bank returns)", count: reversedPayments, amountVND: reversedVND),
                Line(name: "paid, net of reversals", count: recordedPayments - reversedPayments, amountVND: paidVND - reversedVND),
            ],
            loans: loanLines.map { Line(name: $0.0, count: $0.1, amountVND: $0.2) }
                + [Line(name: "repayments", count: repayments, amountVND: repaidVND)],
            budgets: [
                Line(name: "budgets allocated", count: budgets.count, amountVND: allocated),
                Line(name: "reserved by approvals", count: budgets.count(where: { $0.reserved.isPositive }), amountVND: reserved),
                Line(name: "available", count: budgets.count(where: { $0.available.isPositive }), amountVND: allocated - reserved),
                Line(
                    name: "nearly used up (under \(nearlyUsedUpPercent)% left)", count: nearlyUsedUp.count,
                    amountVND: nearlyUsedUp.reduce(VND.zero) { $0 + $1.available }
                ),
            ],
            asOf: asOf
        )
    }

    /// Where an application stands, finer than its status: how much of an approval was paid.
    enum ApplicationStanding: String, CaseIterable {
        case submitted = "submitted, awaiting a decision"
        case approvedUnpaid = "approved, nothing paid yet"
        case approvedPartlyPaid = "approved, partly paid"
        case approvedPaid = "approved, paid in full"
        case approvedLoan = "approved, loan disbursed"
        case closedPaid = "closed, paid in full"
        case closedReleased = "closed, unpaid remainder released"
        case rejected
        case withdrawn

        init?(_ state: ApplicationState) {
            switch state.status {
            case .submitted: self = .submitted
            case .approved:
                if !state.loans.isEmpty { self = .approvedLoan }
                else if state.disbursed == .zero { self = .approvedUnpaid }
                else if state.disbursed < state.approved { self = .approvedPartlyPaid }
                else { self = .approvedPaid }
            case .closed: self = (state.closure?.releasedVND ?? .zero).isPositive ? .closedReleased : .closedPaid
            case .rejected: self = .rejected
            case .withdrawn: self = .withdrawn
            case nil: return nil
            }
        }
    }

    /// A loan's status, with active loans split by whether anything is past due on the date.
    enum LoanStanding: String, CaseIterable {
        case current = "active, nothing past due"
        case inArrears = "active, in arrears"
        case settled
        case writtenOff = "written off"

        init?(_ loan: LoanState, ratePeriods: [RatePeriod]?, asOf: LocalDate) {
            switch loan.status {
            case .notDisbursed: return nil
            case .settled: self = .settled
            case .writtenOff: self = .writtenOff
            case .active:
                let position = ratePeriods.flatMap { try? LoanPosition(loan: loan, ratePeriods: $0, asOf: asOf) }
                self = (position?.daysPastDue ?? 0) > 0 ? .inArrears : .current
            }
        }
    }
}
