import Ledger

/// `beneficiary_balances`: per beneficiary and programme — approved, paid, reversed, remaining
/// payable; for loans, principal disbursed and repaid, interest repaid, outstanding, written off,
/// and the earliest due date still unpaid (overdue after it).
///
/// Applications and loans are folded with the domain's `ApplicationState` and `LoanState`; a
/// balance row is recomputed from its applications and loans whenever one of them changes, so it
/// is always their sum and never drifts.
public struct BeneficiaryBalancesProjection: Projection {
    public static let name = "beneficiary_balances"
    public static let tables = [
        ReadModelTable(name: "beneficiary_balances", columns: [
            "beneficiary_id", "program", "kind", "applications", "approved_vnd", "paid_vnd", "reversed_vnd",
            "remaining_payable_vnd", "loans", "principal_disbursed_vnd", "principal_repaid_vnd", "interest_repaid_vnd",
            "outstanding_principal_vnd", "written_off_principal_vnd", "earliest_unpaid_due_on", "last_position",
        ], keyCount: 2),
    ]

    struct Key: Hashable, Comparable {
        let beneficiaryID: String
        let program: String
        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.beneficiaryID, lhs.program) < (rhs.beneficiaryID, rhs.program)
        }
    }

    struct Balance {
        var applicationIDs: [String] = []
        var loanIDs: [String] = []
        var lastPosition: Int64 = 0
    }

    /// The same compact record per application as the applications projection keeps.
    var applications: [String: ApplicationsProjection.Entry] = [:]
    var loans: [String: LoanState] = [:]
    var balances: [Key: Balance] = [:]
    var programKinds: [String: ProgramKind] = [:]
    var changed: Set<Key> = []

    public init() {}

    static let applicationPrefix = Streams.application("")
    static let loanPrefix = Streams.loan("")

    public mutating func apply(_ event: ProjectedEvent) {
        let stream = event.streamID
        switch event.event {
        case .programDefined(let definition), .programAmended(let definition):
            programKinds[definition.code] = definition.kind
        case .applicationSubmitted, .applicationApproved, .applicationRejected, .applicationWithdrawn,
             .paymentRecorded, .paymentReversed, .loanOpened, .applicationClosed:
            guard stream.hasPrefix(Self.applicationPrefix) else { return }
            let id = String(stream.dropFirst(Self.applicationPrefix.count))
            applications[id, default: ApplicationsProjection.Entry()].apply(event.event, actor: event.context.actor)
            guard let submission = applications[id]?.submission else { return }
            let key = Key(beneficiaryID: submission.beneficiaryID, program: submission.program)
            if case .applicationSubmitted = event.event { balances[key, default: Balance()].applicationIDs.append(id) }
            touch(key, event)
        case .loanDisbursed, .loanRepaid, .loanSettled, .loanWrittenOff:
            guard stream.hasPrefix(Self.loanPrefix) else { return }
            let id = String(stream.dropFirst(Self.loanPrefix.count))
            loans[id, default: LoanState(streamID: stream)].apply(event.event)
            guard let disbursement = loans[id]?.disbursement else { return }
            let key = Key(beneficiaryID: disbursement.beneficiaryID, program: disbursement.program)
            if case .loanDisbursed = event.event { balances[key, default: Balance()].loanIDs.append(id) }
            touch(key, event)
        default:
            break
        }
    }

    private mutating func touch(_ key: Key, _ event: ProjectedEvent) {
        balances[key, default: Balance()].lastPosition = event.position
        changed.insert(key)
    }

    public mutating func takeChangedRows() -> [[ReadModelRow]] {
        defer { changed.removeAll(keepingCapacity: true) }
        return [changed.sorted().compactMap(row)]
    }

    public func allRows() -> [[ReadModelRow]] {
        [balances.keys.sorted().compactMap(row)]
    }

    func row(_ key: Key) -> ReadModelRow? {
        guard let balance = balances[key] else { return nil }
        var approved = VND.zero, paid = VND.zero, reversed = VND.zero, remaining = VND.zero
        for id in balance.applicationIDs {
            guard let application = applications[id] else { continue }
            if application.status == .approved || application.status == .closed { approved += application.approved }
            paid += application.paid + application.reversed  // every payment recorded, reversed or not
            reversed += application.reversed
            remaining += application.remainingPayable
        }
        var disbursed = VND.zero, principalRepaid = VND.zero, interestRepaid = VND.zero
        var outstanding = VND.zero, writtenOff = VND.zero
        var earliestUnpaidDueOn: LocalDate?
        for id in balance.loanIDs {
            guard let loan = loans[id], let disbursement = loan.disbursement else { continue }
            disbursed += disbursement.principalVND
            principalRepaid += loan.principalRepaidVND
            interestRepaid += loan.interestPaidVND + loan.overdueInterestPaidVND
            switch loan.status {
            case .active:
                outstanding += loan.outstandingPrincipalVND
                if let due = LoanBookProjection.firstUnpaidDueOn(loan), earliestUnpaidDueOn.map({ due < $0 }) ?? true {
                    earliestUnpaidDueOn = due
                }
            case .writtenOff:
                writtenOff += loan.writeOff?.outstandingPrincipalVND ?? .zero
            case .settled, .notDisbursed:
                break
            }
        }
        let kind = programKinds[key.program] ?? (balance.loanIDs.isEmpty ? .grant : .loan)
        return [
            key.beneficiaryID, key.program, kind.rawValue, Field.int(balance.applicationIDs.count), Field.vnd(approved),
            Field.vnd(paid), Field.vnd(reversed), Field.vnd(remaining), Field.int(balance.loanIDs.count),
            Field.vnd(disbursed), Field.vnd(principalRepaid), Field.vnd(interestRepaid), Field.vnd(outstanding),
            Field.vnd(writtenOff), Field.date(earliestUnpaidDueOn), Field.int(balance.lastPosition),
        ]
    }
}

