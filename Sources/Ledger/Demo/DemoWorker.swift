import Crypto
import Postgres

/// Something in the demo went other than planned: names the step and what the ledger said.
public struct DemoSeedError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Carries out demo steps in order through `LedgerService`, each as the person who would do it,
/// on one connection per person. Keeps what later steps need: applications a refusal ended,
/// and each loan as the ledger's own decisions left it (so repayment amounts follow its rules).
struct DemoWorker: Sendable {
    let configuration: ConnectionConfiguration
    let loanTerms: LoanTerms
    var tally = DemoTally()
    private var services: [String: LedgerService] = [:]
    /// Applications whose approval was refused (and that were rejected): their later steps are skipped.
    private var ended: Set<String> = []
    private var loans: [String: LoanState] = [:]
    /// Beneficiary id → the fingerprint of its national id, from `fingerprint(_:)`.
    private var fingerprints: [String: String] = [:]

    init(configuration: ConnectionConfiguration, loanTerms: LoanTerms) {
        self.configuration = configuration
        self.loanTerms = loanTerms
    }

    /// The service acting as `person`, connecting on first use.
    mutating func service(_ person: DemoPerson) async throws -> LedgerService {
        if let service = services[person.role] { return service }
        var configuration = configuration
        configuration.user = person.role
        configuration.applicationName = "ledger-demo"
        let service = LedgerService(connection: try await PostgresConnection.connect(configuration))
        services[person.role] = service
        return service
    }

    func close() async {
        for role in services.keys.sorted() {
            await services[role]?.connection.close()
        }
    }

    // MARK: Setup

    /// Refuses, before anything is written, a database holding other programmes or budgets
    /// than this seed's (another seed or size, or real work): the demo needs one of its own,
    /// or one it seeded before with the same seed and size.
    mutating func requireOwnDatabase(_ plan: DemoPlan, catalog: ProgramCatalog) async throws {
        let service = try await service(DemoPeople.admin)
        for definition in catalog.programs {
            let program = try await service.load(ProgramState.self, stream: Streams.program(definition.code))
            if let current = program.current, current != definition {
                throw DemoSeedError(
                    "programme \(definition.code) is already defined here with other figures than the sample catalog's; "
                        + "run the demo on a database of its own"
                )
            }
        }
        var adjustments: [String: VND] = [:]
        for step in plan.steps {
            if case .adjustBudget(let program, let district, let delta, _) = step.action {
                adjustments[Streams.budget(program: program, year: DemoPlan.Year.fiscalYear, district: district), default: .zero] += delta
            }
        }
        for budget in plan.budgets {
            let stream = Streams.budget(program: budget.program, year: DemoPlan.Year.fiscalYear, district: budget.district)
            let allocated = try await service.loadBudget(stream: stream).allocated
            let expected: Set<VND> = [.zero, budget.amount, budget.amount + (adjustments[stream] ?? .zero)]
            guard expected.contains(allocated) else {
                throw DemoSeedError(
                    "budget \(BudgetState.label(program: budget.program, fiscalYear: DemoPlan.Year.fiscalYear, district: budget.district)) "
                        + "already has \(allocated.formatted) allocated, not what seed \(plan.seed) with this many beneficiaries allocates "
                        + "(\(budget.amount.formatted)); run the demo on a database of its own, or with the seed and size used before"
                )
            }
        }
    }

    mutating func loadCatalog() async throws {
        let service = try await service(DemoPeople.admin)
        tally.count(try await service.loadCatalog(SampleCatalog.json))
    }

    /// Sets the ledger's national-id key to `key` as the demo admin when none is set yet (recorded
    /// as NationalIDKeySet); a key already set stays, whichever it is: fingerprints are the database's.
    mutating func ensureNationalIDKey(_ key: [UInt8]) async throws {
        let service = try await service(DemoPeople.admin)
        guard try await service.nationalIDKeyStatus() == nil else { return }
        let setting = try await service.setNationalIDKey(key, checking: [])
        tally.commands += 1
        if !setting.alreadySet {
            tally.recorded += 1
            tally.eventsAppended += 1
        }
    }

    mutating func allocate(_ budget: DemoBudget) async throws {
        let service = try await service(DemoPeople.admin)
        tally.count(try await service.allocateBudget(
            program: budget.program, year: DemoPlan.Year.fiscalYear, district: budget.district, amount: budget.amount, reference: budget.reference
        ))
    }

    /// Asks the database for the fingerprints of the national ids of `registrations`, many per
    /// round trip (the key is in the database: sql/0014_national_ids.sql); `register` uses them.
    mutating func fingerprint(_ registrations: [DemoRegistration]) async throws {
        guard let first = registrations.first else { return }
        let service = try await service(DemoPeople.officer(for: first.command.district))
        var pending: [(String, NationalID)] = []
        for registration in registrations {
            guard let digits = registration.nationalID, fingerprints[registration.command.id] == nil else { continue }
            pending.append((registration.command.id, try NationalID(parsing: digits)))
        }
        for start in stride(from: 0, to: pending.count, by: Self.fingerprintBatch) {
            let batch = pending[start..<min(start + Self.fingerprintBatch, pending.count)]
            do {
                let computed = try await service.fingerprints(batch.map(\.1))
                for ((id, _), fingerprint) in zip(batch, computed) { fingerprints[id] = fingerprint }
            } catch {
                throw DemoSeedError("fingerprinting the national ids of \(batch.count) beneficiaries failed: \(Self.describe(error))")
            }
        }
    }

    /// National ids fingerprinted per round trip.
    static let fingerprintBatch = 1_000

    mutating func register(_ registration: DemoRegistration) async throws {
        let command = registration.command
        let service = try await service(DemoPeople.officer(for: command.district))
        let nationalID = try registration.nationalID.map { try NationalID(parsing: $0) }
        do {
            let outcome = try await service.registerBeneficiary(command, nationalID: nationalID, fingerprint: fingerprints[command.id])
            guard !registration.expectRefusal else {
                throw DemoSeedError("registering \(command.id) a second time with the national id of another beneficiary was not refused")
            }
            tally.count(outcome)
        } catch let error as DomainError where registration.expectRefusal && error.code == .duplicateNationalID {
            tally.refused(error.code)
        } catch let error as DemoSeedError {
            throw error
        } catch {
            throw DemoSeedError("registering beneficiary \(command.id) (\(command.name)) failed: \(Self.describe(error))")
        }
    }

    // MARK: The year

    mutating func perform(_ step: DemoStep) async throws {
        if let id = step.action.applicationID, ended.contains(id) {
            tally.skipped += 1
            return
        }
        do {
            try await carryOut(step)
        } catch let error as DemoSeedError {
            throw error
        } catch {
            throw DemoSeedError("\(step.date) \(Self.describe(step.action)) failed: \(Self.describe(error))")
        }
    }

    private mutating func carryOut(_ step: DemoStep) async throws {
        let officer = DemoPeople.officer(for: step.district)
        switch step.action {
        case .submit(let id, let beneficiary, let program, let amount):
            tally.count(try await service(officer).submitApplication(
                id: id, beneficiary: beneficiary, program: program, amount: amount, submittedOn: step.date, year: DemoPlan.Year.fiscalYear
            ))
        case .approve(let id, let amount, let decision, let approver):
            let service = try await service(approver)
            do {
                tally.count(try await service.approveApplication(id: id, amount: amount, decision: decision, decidedOn: step.date))
            } catch let error as DomainError where DemoTexts.rejectionAfterRefusal(error.code) != nil {
                tally.refused(error.code)
                tally.count(try await service.rejectApplication(id: id, reason: DemoTexts.rejectionAfterRefusal(error.code)!, decidedOn: step.date))
                ended.insert(id)
            } catch let error as DomainError where error.code == .wrongStatus {
                // Decided in an earlier run: approved (and perhaps closed or withdrawn since), or rejected after a refusal.
                switch try await status(of: id, service) {
                case .approved, .closed, .withdrawn:
                    tally.foundInLog()
                case .rejected:
                    tally.foundInLog()
                    ended.insert(id)
                case .submitted, nil:
                    throw error
                }
            }
        case .reject(let id, let reason, let approver):
            let service = try await service(approver)
            try await recording(id, already: .rejected, service) {
                try await service.rejectApplication(id: id, reason: reason, decidedOn: step.date)
            }
        case .withdraw(let id, let reason):
            let service = try await service(officer)
            try await recording(id, already: .withdrawn, service) {
                try await service.withdrawApplication(id: id, reason: reason, on: step.date)
            }
        case .close(let id):
            let service = try await service(officer)
            try await recording(id, already: .closed, service) {
                try await service.closeApplication(id: id, on: step.date)
            }
        case .pay(let order):
            tally.count(try await service(officer).recordPayment(order))
        case .reverse(_, let paymentID, let reason):
            tally.count(try await service(officer).reversePayment(paymentID: paymentID, reason: reason, reversedOn: step.date))
        case .disburse(let loan):
            tally.count(try await service(officer).disburseLoan(
                application: loan.applicationID, loanID: loan.loanID, principal: loan.principalVND, disbursedOn: step.date, termMonths: loan.termMonths
            ))
            try followDisbursement(loan, on: step.date)
        case .repay(_, let loanID, let repaymentID, let rule):
            guard let loan = loans[loanID] else { throw DemoSeedError("repayment \(repaymentID) of loan \(loanID), which this run did not disburse") }
            let amount = rule.amount(for: try LoanPosition(loan: loan, ratePeriods: loanTerms.ratePeriods, asOf: step.date))
            guard amount.isPositive else {
                tally.skipped += 1
                return
            }
            tally.count(try await service(officer).repayLoan(loanID: loanID, repaymentID: repaymentID, amount: amount, paidOn: step.date))
            try follow(LoanDecisions.repay(loan: loan, terms: loanTerms, repaymentID: repaymentID, amountVND: amount, paidOn: step.date), loanID: loanID)
        case .writeOff(_, let loanID, let reason, let approver):
            tally.count(try await service(approver).writeOffLoan(loanID: loanID, reason: reason, on: step.date))
        case .adjustBudget(let program, let district, let delta, let reference):
            tally.count(try await service(DemoPeople.admin).adjustBudget(
                program: program, year: DemoPlan.Year.fiscalYear, district: district, delta: delta, reference: reference
            ))
        }
    }

    /// Runs a decision, withdrawal or closure; if the ledger says the application is no longer
    /// in the status for it and it is already `status`, an earlier run recorded it.
    private mutating func recording(
        _ id: String, already status: ApplicationStatus, _ service: LedgerService, _ command: () async throws -> CommandOutcome
    ) async throws {
        do {
            tally.count(try await command())
        } catch let error as DomainError where error.code == .wrongStatus {
            guard try await self.status(of: id, service) == status else { throw error }
            tally.foundInLog()
        }
    }

    private func status(of id: String, _ service: LedgerService) async throws -> ApplicationStatus? {
        try await service.load(ApplicationState.self, stream: Streams.application(id)).status
    }

    /// The loan as the ledger's own disbursement decision opens it (the same pure decision the
    /// handler took), so later repayments are worked out from the same figures.
    private mutating func followDisbursement(_ loan: DemoLoan, on date: LocalDate) throws {
        let facts = LoanApplicationFacts(
            applicationID: loan.applicationID, beneficiaryID: loan.beneficiaryID, programCode: loan.program, programKind: .loan,
            status: .approved, approvedVND: loan.approvedVND, alreadyDisbursedVND: .zero, decidedOn: loan.approvedOn, applicationVersion: 0
        )
        loans[loan.loanID] = LoanState(loanID: loan.loanID)
        try follow(
            LoanDecisions.disburse(
                application: facts, terms: loanTerms, loan: LoanState(loanID: loan.loanID), loanID: loan.loanID,
                principalVND: loan.principalVND, disbursedOn: date, termMonths: loan.termMonths
            ),
            loanID: loan.loanID
        )
    }

    private mutating func follow(_ decision: Decision, loanID: String) throws {
        guard var loan = loans[loanID] else { throw DemoSeedError("loan \(loanID) is not followed") }
        for entry in decision.streams where entry.stream == Streams.loan(loanID) {
            for event in entry.events { loan.apply(event) }
        }
        loans[loanID] = loan
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as DomainError: error.description
        default: String(describing: error)
        }
    }

    static func describe(_ action: DemoAction) -> String {
        switch action {
        case .submit(let id, let beneficiary, let program, let amount): "submitting \(id) (\(program), \(amount.formatted)) for \(beneficiary)"
        case .approve(let id, let amount, _, let approver): "\(approver.role) approving \(id) for \(amount.formatted)"
        case .reject(let id, _, let approver): "\(approver.role) rejecting \(id)"
        case .withdraw(let id, _): "withdrawing \(id)"
        case .pay(let order): "payment \(order.paymentID) of \(order.amount.formatted) on \(order.applicationID)"
        case .reverse(let id, let payment, _): "reversing payment \(payment) on \(id)"
        case .close(let id): "closing \(id)"
        case .disburse(let loan): "disbursing loan \(loan.loanID) of \(loan.principalVND.formatted) on \(loan.applicationID)"
        case .repay(_, let loan, let repayment, _): "repayment \(repayment) of loan \(loan)"
        case .writeOff(_, let loan, _, let approver): "\(approver.role) writing off loan \(loan)"
        case .adjustBudget(let program, let district, let delta, _): "adjusting budget \(program) \(district.name) by \(delta.formatted)"
        }
    }
}
