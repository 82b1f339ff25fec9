import Ledger

/// `beneficiary_balances`: per beneficiary and programme — approved, paid (net of reversals),
/// reversed, released, still payable; for loans, principal disbursed and repaid, interest repaid, outstanding, written off,
/// and the earliest due date still unpaid (overdue after it).
///
/// Applications and loans are folded with the domain's `ApplicationState` and `LoanState`; a
/// balance row is recomputed from its applications and loans whenever one of them changes, so it
/// is always their sum and never drifts.
///
/// The words mean what they mean everywhere (docs/domain.md, "Words with one meaning"): approved
/// counts every approval, whatever happened to the application after it; paid is net of
/// reversals; released is what withdrawals and closures gave back; and
/// remaining payable = approved − paid − principal disbursed − released, never below zero.
public struct BeneficiaryBalancesProjection: Projection {
    public static let name = "beneficiary_balances"
    public static let eventTypes: Set<String> = ApplicationsProjection.eventTypes.union([
        "ProgramDefined", "ProgramAmended", "LoanDisbursed", "LoanRepaid", "LoanSettled", "LoanWrittenOff",
    ])
    public static let tables = [
        ReadModelTable(name: "beneficiary_balances", columns: [
            "beneficiary_id", "program", "kind", "applications", "approved_vnd", "paid_vnd", "reversed_vnd",
            "released_vnd", "remaining_payable_vnd", "loans", "principal_disbursed_vnd", "principal_repaid_vnd", "interest_repaid_vnd",
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
        /// The row's figures, summed (checked) when one of its applications or loans last changed.
        var totals = Totals()
    }

    /// A balance row's sums over its applications and loans.
    struct Totals {
        var approved = VND.zero, paid = VND.zero, reversed = VND.zero, released = VND.zero, remaining = VND.zero
        var disbursed = VND.zero, principalRepaid = VND.zero, interestRepaid = VND.zero
        var outstanding = VND.zero, writtenOff = VND.zero
        var earliestUnpaidDueOn: LocalDate?
    }

    /// The same record per application as the applications projection keeps (boxed likewise).
    var applications: [String: Boxed<ApplicationsProjection.Entry>] = [:]
    var loans: [String: LoanState] = [:]
    /// Boxed, as the applications.
    var balances: [Key: Boxed<Balance>] = [:]
    var programKinds: [String: ProgramKind] = [:]
    var changed: Set<Key> = []

    public init() {}

    static let applicationPrefix = Streams.application("")
    static let loanPrefix = Streams.loan("")

    /// An event that would take a sum beyond the ledger's range throws before the balance row
    /// changes: its rows stay as they were before the event.
    public mutating func apply(_ event: ProjectedEvent) throws {
        let stream = event.streamID
        switch event.event {
        case .programDefined(let definition), .programAmended(let definition):
            programKinds[definition.code] = definition.kind
        case .applicationSubmitted, .applicationApproved, .applicationRejected, .applicationWithdrawn,
             .paymentRecorded, .paymentReversed, .loanOpened, .applicationClosed:
            guard stream.hasPrefix(Self.applicationPrefix) else { return }
            let id = String(stream.dropFirst(Self.applicationPrefix.count))
            var application = applications[id]?.value ?? ApplicationsProjection.Entry()
            // A balance needs the sums alone: not who acted, nor the texts of a decision.
            try application.apply(event.event, actor: "")
            application.decisionReference = nil
            application.rejectionReason = nil
            applications[id] = Boxed(application)
            guard let submission = application.submission else { return }
            let key = Key(beneficiaryID: submission.beneficiaryID, program: submission.program)
            var balance = balances[key]?.value ?? Balance()
            if case .applicationSubmitted = event.event { balance.applicationIDs.append(id) }
            try touch(key, balance, event)
        case .loanDisbursed, .loanRepaid, .loanSettled, .loanWrittenOff:
            guard stream.hasPrefix(Self.loanPrefix) else { return }
            let id = String(stream.dropFirst(Self.loanPrefix.count))
            try LoanBookProjection.check(event.event, on: loans[id] ?? LoanState(streamID: stream))
            loans[id, default: LoanState(streamID: stream)].apply(event.event)
            guard let disbursement = loans[id]?.disbursement else { return }
            let key = Key(beneficiaryID: disbursement.beneficiaryID, program: disbursement.program)
            var balance = balances[key]?.value ?? Balance()
            if case .loanDisbursed = event.event { balance.loanIDs.append(id) }
            try touch(key, balance, event)
        default:
            break
        }
    }

    /// Sums the row anew (checked) and keeps it; throws, keeping the row as it was, when a sum
    /// leaves the ledger's range.
    private mutating func touch(_ key: Key, _ balance: Balance, _ event: ProjectedEvent) throws {
        var balance = balance
        balance.totals = try totals(balance)
        balance.lastPosition = event.position
        balances[key] = Boxed(balance)
        changed.insert(key)
    }

    func totals(_ balance: Balance) throws -> Totals {
        var totals = Totals()
        for id in balance.applicationIDs {
            guard let application = applications[id]?.value else { continue }
            // Every approval, the applications withdrawn or closed after it included (their release
            // is counted in released): the same approved amount as the applications read model.
            totals.approved = try Checked.add(totals.approved, application.approved, "approved_vnd")
            // Net of reversals, as in the applications read model.
            totals.paid = try Checked.add(totals.paid, application.paid, "paid_vnd")
            totals.released = try Checked.add(totals.released, application.released, "released_vnd")
            totals.reversed = try Checked.add(totals.reversed, application.reversed, "reversed_vnd")
            totals.remaining = try Checked.add(totals.remaining, application.remainingPayable, "remaining_payable_vnd")
        }
        for id in balance.loanIDs {
            guard let loan = loans[id], let disbursement = loan.disbursement else { continue }
            totals.disbursed = try Checked.add(totals.disbursed, disbursement.principalVND, "principal_disbursed_vnd")
            totals.principalRepaid = try Checked.add(totals.principalRepaid, loan.principalRepaidVND, "principal_repaid_vnd")
            totals.interestRepaid = try Checked.add(
                try Checked.add(totals.interestRepaid, loan.interestPaidVND, "interest_repaid_vnd"), loan.overdueInterestPaidVND,
                "interest_repaid_vnd"
            )
            switch loan.status {
            case .active:
                totals.outstanding = try Checked.add(totals.outstanding, loan.outstandingPrincipalVND, "outstanding_principal_vnd")
                if let due = LoanBookProjection.firstUnpaidDueOn(loan), totals.earliestUnpaidDueOn.map({ due < $0 }) ?? true {
                    totals.earliestUnpaidDueOn = due
                }
            case .writtenOff:
                totals.writtenOff = try Checked.add(
                    totals.writtenOff, loan.writeOff?.outstandingPrincipalVND ?? .zero, "written_off_principal_vnd"
                )
            case .settled, .notDisbursed:
                break
            }
        }
        return totals
    }

    public mutating func forgetChanges() { changed.removeAll(keepingCapacity: true) }

    public mutating func takeChangedRows() -> [[ReadModelRow]] {
        defer { changed.removeAll(keepingCapacity: true) }
        return [changed.sorted().compactMap(row)]
    }

    public func allRows() -> [[ReadModelRow]] {
        [balances.keys.sorted().compactMap(row)]
    }

    public func forEachRow(ofTable table: Int, _ body: (ReadModelRow) throws -> Void) rethrows {
        for key in balances.keys.sorted() {
            if let built = row(key) { try body(built) }
        }
    }

    func row(_ key: Key) -> ReadModelRow? {
        guard let balance = balances[key]?.value else { return nil }
        let totals = balance.totals
        let kind = programKinds[key.program] ?? (balance.loanIDs.isEmpty ? .grant : .loan)
        return [
            key.beneficiaryID, key.program, kind.rawValue, Field.int(balance.applicationIDs.count), Field.vnd(totals.approved),
            Field.vnd(totals.paid), Field.vnd(totals.reversed), Field.vnd(totals.released), Field.vnd(totals.remaining), Field.int(balance.loanIDs.count),
            Field.vnd(totals.disbursed), Field.vnd(totals.principalRepaid), Field.vnd(totals.interestRepaid),
            Field.vnd(totals.outstanding), Field.vnd(totals.writtenOff), Field.date(totals.earliestUnpaidDueOn),
            Field.int(balance.lastPosition),
        ]
    }
}
