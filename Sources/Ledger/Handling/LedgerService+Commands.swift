import Crypto
import EventStore
import Foundation
import Postgres

/// The commands of the ledger: each loads what its decision reads, decides, and appends.
extension LedgerService {
    // MARK: Programmes

    struct LoadCatalogCommand: Codable, Sendable { let catalog: String }

    /// Loads a programme catalog: new programmes are defined, changed ones amended, unchanged ones left alone.
    public func loadCatalog(_ text: String, commandID: String? = nil) async throws -> CommandOutcome {
        let catalog = try ProgramCatalog(parsing: text)
        return try await run("load-catalog", LoadCatalogCommand(catalog: text), commandID: commandID) {
            var existing: [String: ProgramState] = [:]
            for definition in catalog.programs {
                existing[definition.code] = try await load(ProgramState.self, stream: Streams.program(definition.code))
            }
            return try ProgramDecisions.load(catalog: catalog, existing: existing, existingCategories: try await recordedCategories())
        }
    }

    /// Every programme, in code order.
    public func programs() async throws -> [ProgramState] {
        let streams = try await connection.query(
            "SELECT stream_id FROM ledger.streams WHERE stream_id LIKE 'program-%' ORDER BY stream_id"
        ) { try $0.string(0) }
        var states: [ProgramState] = []
        for stream in streams { states.append(try await load(ProgramState.self, stream: stream)) }
        return states
    }

    func requireProgram(_ code: String) async throws -> ProgramState {
        let program = try await load(ProgramState.self, stream: Streams.program(try Identifier.validated(code, field: "--program")))
        guard program.exists else {
            let prefix = Streams.program("")
            let codes = try await connection.query(
                "SELECT stream_id FROM ledger.streams WHERE stream_id LIKE 'program-%' ORDER BY stream_id"
            ) { String(try $0.string(0).dropFirst(prefix.count)) }
            let message = Suggestion.closest(to: code, among: codes).map {
                Message("there is no programme {0}; did you mean {1}?; `ledger program list` shows them", .text(code), .text($0))
            } ?? Message("there is no programme {0}; `ledger program list` shows them", .text(code))
            throw DomainError(.unknownProgram, message, field: "--program")
        }
        return program
    }

    /// The catalog's spelling of a programme code typed in another case (`nq12-housing` is
    /// `NQ12-HOUSING`), so commands and streams always carry the catalog's code; the code as given
    /// when it is the catalog's or no programme matches (`requireProgram` then refuses it).
    func canonicalProgramCode(_ code: String) async throws -> String {
        let stream = Streams.program(code)
        let exact = try await connection.query("SELECT 1 FROM ledger.streams WHERE stream_id = $1", [stream]) { _ in true }
        guard exact.isEmpty else { return code }
        let matches = try await connection.query(
            "SELECT stream_id FROM ledger.streams WHERE stream_id LIKE 'program-%' AND lower(stream_id) = lower($1) ORDER BY stream_id", [stream]
        ) { try $0.string(0) }
        guard !matches.contains(stream), matches.count == 1 else { return code }
        return String(matches[0].dropFirst(Streams.program("").count))
    }

    // MARK: Budgets

    struct BudgetCommand: Codable, Sendable {
        let kind: String, program: String, year: Int, district: UnitCode, amount: VND, reference: String
    }

    public func allocateBudget(program code: String, year: Int, district: UnitCode, amount: VND, reference: String,
                               commandID: String? = nil) async throws -> CommandOutcome {
        let code = try await canonicalProgramCode(code)
        let command = BudgetCommand(kind: "allocate", program: code, year: year, district: district, amount: amount, reference: reference)
        return try await run("allocate", command, commandID: commandID) {
            let program = try await requireProgram(code)
            let budget = try await loadBudget(stream: Streams.budget(program: code, year: year, district: district))
            return try BudgetDecisions.allocate(program: program, year: year, district: district, amount: amount, reference: reference, budget: budget,
                                                places: try await places())
        }
    }

    public func adjustBudget(program code: String, year: Int, district: UnitCode, delta: VND, reference: String,
                             commandID: String? = nil) async throws -> CommandOutcome {
        let code = try await canonicalProgramCode(code)
        let command = BudgetCommand(kind: "adjust", program: code, year: year, district: district, amount: delta, reference: reference)
        return try await run("adjust", command, commandID: commandID) {
            let program = try await requireProgram(code)
            let budget = try await loadBudget(stream: Streams.budget(program: code, year: year, district: district))
            return try BudgetDecisions.adjust(program: program, year: year, district: district, delta: delta, reference: reference, budget: budget,
                                              places: try await places())
        }
    }

    // MARK: Beneficiaries

    /// What a registration's idempotency digest is taken over: the national id only as its
    /// fingerprint, never the digits.
    struct RegisterCommand: Codable, Sendable { let beneficiary: RegisterBeneficiary, fingerprint: String? }

    /// Registers a beneficiary. A national id is kept only as its fingerprint, computed by the
    /// database under the ledger's key (sql/0014_national_ids.sql) and issued to the appending
    /// transaction; the database refuses a second beneficiary with the same one (`duplicateNationalID`)
    /// and any fingerprint it did not compute. Refused (`nationalIDKey`) while no key is set.
    public func registerBeneficiary(_ command: RegisterBeneficiary, nationalID: NationalID?,
                                    commandID: String? = nil) async throws -> CommandOutcome {
        _ = try Identifier.validated(command.id, field: "--id")
        let fingerprint: String? = if let nationalID { try await self.fingerprint(nationalID) } else { nil }
        return try await registerBeneficiary(command, nationalID: nationalID, fingerprint: fingerprint, commandID: commandID)
    }

    /// As above, with the fingerprint already asked of the database (`fingerprints(_:)` for many
    /// at once); the append still has the database issue it again, so a wrong one is refused.
    func registerBeneficiary(_ command: RegisterBeneficiary, nationalID: NationalID?, fingerprint: String?,
                             commandID: String? = nil) async throws -> CommandOutcome {
        let id = try Identifier.validated(command.id, field: "--id")
        let issuing = nationalID.map { [$0] } ?? []
        return try await run("register", RegisterCommand(beneficiary: command, fingerprint: fingerprint), commandID: commandID,
                             issuing: issuing) {
            let existing = try await load(BeneficiaryState.self, stream: Streams.beneficiary(id))
            let categories = try BeneficiaryCategory.normalisedList(command.categories, field: "--category")
            try BeneficiaryCategory.requireKnown(categories, known: try await knownCategories(), field: "--category")
            if existing.registration == nil, let problem = try await places().residenceProblem(command.district, on: command.registeredOn) {
                throw DomainError.invalidInput(field: "--unit", problem: problem)
            }
            return try BeneficiaryDecisions.register(command, existing: existing, fingerprint: fingerprint)
        }
    }

    func requireBeneficiary(_ id: String, field: String) async throws -> BeneficiaryState {
        let state = try await load(BeneficiaryState.self, stream: Streams.beneficiary(try Identifier.validated(id, field: field)))
        guard state.version > 0 else {
            throw DomainError(.unknownBeneficiary, Message("there is no beneficiary {0}", .text(id)), field: field)
        }
        return state
    }

    // MARK: Applications

    struct SubmitCommand: Codable, Sendable {
        let id: String, beneficiary: String, program: String, amount: VND, submittedOn: LocalDate, year: Int?
        var unit: String? = nil
    }

    /// `unit` (`--unit`) names the unit whose budget the application draws on, when the
    /// beneficiary's unit did not exist in the fiscal year and came from several that did.
    public func submitApplication(id: String, beneficiary beneficiaryID: String, program code: String, amount: VND,
                                  submittedOn: LocalDate, year: Int?, unit: String? = nil,
                                  commandID: String? = nil) async throws -> CommandOutcome {
        let id = try Identifier.validated(id, field: "--id")
        let code = try await canonicalProgramCode(code)
        let command = SubmitCommand(id: id, beneficiary: beneficiaryID, program: code, amount: amount, submittedOn: submittedOn, year: year,
                                    unit: unit)
        return try await run("submit", command, commandID: commandID) {
            let beneficiary = try await requireBeneficiary(beneficiaryID, field: "--beneficiary")
            let program = try await requireProgram(code)
            let existing = try await load(ApplicationState.self, stream: Streams.application(id))
            let places = try await places()
            let budgetUnit = try applicationBudgetUnit(beneficiary: beneficiary, year: year ?? submittedOn.year, unit: unit, places: places)
            return try ApplicationDecisions.submit(
                id: id, existing: existing, beneficiary: beneficiary, program: program,
                requested: amount, submittedOn: submittedOn, fiscalYear: year, budgetUnit: budgetUnit, places: places
            )
        }
    }

    func requireApplication(_ id: String, field: String = "--id") async throws -> ApplicationState {
        let state = try await load(ApplicationState.self, stream: Streams.application(try Identifier.validated(id, field: field)))
        guard state.exists else {
            throw DomainError(.unknownApplication, Message("there is no application {0}", .text(id)), field: field)
        }
        return state
    }

    /// The application with the programme, budget and beneficiary it draws on.
    func applicationContext(_ id: String, field: String = "--id") async throws
        -> (ApplicationState, ProgramState, BudgetState, BeneficiaryState) {
        let application = try await requireApplication(id, field: field)
        guard let submission = application.submission, let budgetStream = application.budgetStreamID else {
            throw DomainError(.unknownApplication, "application \(id) has no submission", field: field)
        }
        let program = try await load(ProgramState.self, stream: Streams.program(submission.program))
        let budget = try await loadBudget(stream: budgetStream)
        let beneficiary = try await load(BeneficiaryState.self, stream: Streams.beneficiary(submission.beneficiaryID))
        return (application, program, budget, beneficiary)
    }

    struct DecideCommand: Codable, Sendable {
        let kind: String, id: String, amount: VND?, text: String, on: LocalDate
    }

    public func approveApplication(id: String, amount: VND, decision reference: String, decidedOn: LocalDate,
                                   commandID: String? = nil) async throws -> CommandOutcome {
        let approver = try await actingRole()
        let command = DecideCommand(kind: "approve", id: id, amount: amount, text: reference, on: decidedOn)
        return try await run("approve", command, commandID: commandID) {
            let (application, program, budget, beneficiary) = try await applicationContext(id)
            return try ApplicationDecisions.approve(
                application: application, program: program, budget: budget, beneficiary: beneficiary,
                approver: approver, amount: amount, decisionReference: reference, decidedOn: decidedOn
            )
        }
    }

    public func rejectApplication(id: String, reason: String, decidedOn: LocalDate, commandID: String? = nil) async throws -> CommandOutcome {
        let approver = try await actingRole()
        let command = DecideCommand(kind: "reject", id: id, amount: nil, text: reason, on: decidedOn)
        return try await run("reject", command, commandID: commandID) {
            let application = try await requireApplication(id)
            return try ApplicationDecisions.reject(application: application, approver: approver, reason: reason, decidedOn: decidedOn)
        }
    }

    public func withdrawApplication(id: String, reason: String, on date: LocalDate, commandID: String? = nil) async throws -> CommandOutcome {
        let command = DecideCommand(kind: "withdraw", id: id, amount: nil, text: reason, on: date)
        return try await run("withdraw", command, commandID: commandID) {
            let (application, _, budget, beneficiary) = try await applicationContext(id)
            return try ApplicationDecisions.withdraw(application: application, budget: budget, beneficiary: beneficiary, reason: reason, on: date)
        }
    }

    public func closeApplication(id: String, on date: LocalDate, commandID: String? = nil) async throws -> CommandOutcome {
        let command = DecideCommand(kind: "close", id: id, amount: nil, text: "", on: date)
        return try await run("close", command, commandID: commandID) {
            let (application, _, budget, beneficiary) = try await applicationContext(id)
            return try ApplicationDecisions.close(application: application, budget: budget, beneficiary: beneficiary, on: date)
        }
    }

    // MARK: Payments

    /// One payment as an officer records it (also a row of a bulk import).
    public struct PaymentOrder: Codable, Sendable, Equatable {
        public let applicationID: String
        public let paymentID: String
        public let amount: VND
        public let paidOn: LocalDate
        public let method: PaymentMethod
        public let voucher: String

        public init(applicationID: String, paymentID: String, amount: VND, paidOn: LocalDate, method: PaymentMethod, voucher: String) {
            self.applicationID = applicationID
            self.paymentID = paymentID
            self.amount = amount
            self.paidOn = paidOn
            self.method = method
            self.voucher = voucher
        }
    }

    public func recordPayment(_ order: PaymentOrder, commandID: String? = nil) async throws -> CommandOutcome {
        try await run("payment", order, commandID: commandID) {
            let application = try await requireApplication(order.applicationID, field: "--application")
            guard let submission = application.submission else {
                throw DomainError(.unknownApplication, Message("there is no application {0}", .text(order.applicationID)), field: "--application")
            }
            let (program, beneficiary) = try await load(
                ProgramState.self, stream: Streams.program(submission.program),
                BeneficiaryState.self, stream: Streams.beneficiary(submission.beneficiaryID)
            )
            return try ApplicationDecisions.recordPayment(
                application: application, program: program, beneficiary: beneficiary, paymentID: order.paymentID,
                amount: order.amount, paidOn: order.paidOn, method: order.method, voucher: order.voucher
            )
        }
    }

    struct ReverseCommand: Codable, Sendable { let paymentID: String, reason: String, on: LocalDate }

    public func reversePayment(paymentID: String, reason: String, reversedOn: LocalDate, commandID: String? = nil) async throws -> CommandOutcome {
        let paymentID = try Identifier.validated(paymentID, field: "--payment-id")
        return try await run("reverse", ReverseCommand(paymentID: paymentID, reason: reason, on: reversedOn), commandID: commandID) {
            let streams = try await connection.query(
                "SELECT application_stream FROM ledger.payment_ids WHERE payment_id = $1", [paymentID]
            ) { try $0.string(0) }
            guard let stream = streams.first else {
                throw DomainError(.unknownPayment, Message("there is no payment {0}", .text(paymentID)), field: "--payment-id")
            }
            let application = try await load(ApplicationState.self, stream: stream)
            return try ApplicationDecisions.reversePayment(application: application, paymentID: paymentID, reason: reason, reversedOn: reversedOn)
        }
    }

    // MARK: Loans

    struct DisburseCommand: Codable, Sendable {
        let application: String, loanID: String, principal: VND, disbursedOn: LocalDate, termMonths: Int
    }

    public func disburseLoan(application applicationID: String, loanID: String, principal: VND, disbursedOn: LocalDate,
                             termMonths: Int, commandID: String? = nil) async throws -> CommandOutcome {
        let loanID = try Identifier.validated(loanID, field: "--loan-id")
        let command = DisburseCommand(application: applicationID, loanID: loanID, principal: principal, disbursedOn: disbursedOn, termMonths: termMonths)
        return try await run("disburse", command, commandID: commandID) {
            let application = try await requireApplication(applicationID, field: "--application")
            guard let submission = application.submission else {
                throw DomainError(.unknownApplication, Message("there is no application {0}", .text(applicationID)), field: "--application")
            }
            let program = try await load(ProgramState.self, stream: Streams.program(submission.program))
            guard let definition = program.definition(on: disbursedOn) ?? program.current else {
                throw DomainError(.unknownProgram, "programme \(submission.program) is not defined")
            }
            guard let terms = definition.loanTerms else {
                throw DomainError(.wrongStatus, "application \(applicationID) is under \(submission.program), a grant programme: record payments, not loans", field: "--application")
            }
            let facts = LoanApplicationFacts(
                applicationID: application.id, beneficiaryID: submission.beneficiaryID, programCode: submission.program,
                programKind: definition.kind,
                status: LoanApplicationFacts.Status(rawValue: application.status?.rawValue ?? "submitted") ?? .submitted,
                approvedVND: application.approved, alreadyDisbursedVND: application.loanPrincipal,
                decidedOn: application.approval?.decidedOn ?? submission.submittedOn, applicationVersion: application.version
            )
            let loan = try await load(LoanState.self, stream: Streams.loan(loanID))
            return try LoanDecisions.disburse(
                application: facts, terms: terms, loan: loan, loanID: loanID, principalVND: principal,
                disbursedOn: disbursedOn, termMonths: termMonths
            )
        }
    }

    /// A loan with the terms of its programme (rates as amended, period by period).
    func loanContext(_ loanID: String) async throws -> (LoanState, LoanTerms) {
        let loanID = try Identifier.validated(loanID, field: "--loan-id")
        let loan = try await load(LoanState.self, stream: Streams.loan(loanID))
        guard let disbursement = loan.disbursement else {
            throw DomainError(.unknownLoan, Message("there is no loan {0}", .text(loanID)), field: "--loan-id")
        }
        let program = try await load(ProgramState.self, stream: Streams.program(disbursement.program))
        guard let terms = Self.loanTermsAcrossAmendments(program) else {
            throw DomainError(.unknownProgram, "programme \(disbursement.program) has no loan terms")
        }
        return (loan, terms)
    }

    /// The current loan terms, with rate periods from earlier definitions kept for the days before
    /// the current definition's first period, so an amendment that lists only its new rate never
    /// leaves earlier days without a rate.
    static func loanTermsAcrossAmendments(_ program: ProgramState) -> LoanTerms? {
        guard let current = program.current?.loanTerms else { return nil }
        var periods = current.ratePeriods
        for definition in program.definitions.dropLast().reversed() {
            guard let earliest = periods.first?.from, let older = definition.loanTerms?.ratePeriods else { continue }
            periods = older.filter { $0.from < earliest } + periods
        }
        return LoanTerms(ratePeriods: periods, overdueMultiplierPercent: current.overdueMultiplierPercent,
                         maxTermMonths: current.maxTermMonths, instalmentMonths: current.instalmentMonths)
    }

    struct RepayCommand: Codable, Sendable { let loanID: String, repaymentID: String, amount: VND, paidOn: LocalDate }

    public func repayLoan(loanID: String, repaymentID: String, amount: VND, paidOn: LocalDate, commandID: String? = nil) async throws -> CommandOutcome {
        try await run("repay", RepayCommand(loanID: loanID, repaymentID: repaymentID, amount: amount, paidOn: paidOn), commandID: commandID) {
            let (loan, terms) = try await loanContext(loanID)
            return try LoanDecisions.repay(loan: loan, terms: terms, repaymentID: repaymentID, amountVND: amount, paidOn: paidOn)
        }
    }

    struct WriteOffCommand: Codable, Sendable { let loanID: String, reason: String, on: LocalDate }

    public func writeOffLoan(loanID: String, reason: String, on date: LocalDate, commandID: String? = nil) async throws -> CommandOutcome {
        try await run("write-off", WriteOffCommand(loanID: loanID, reason: reason, on: date), commandID: commandID) {
            let (loan, terms) = try await loanContext(loanID)
            return try LoanDecisions.writeOff(loan: loan, terms: terms, reason: reason, on: date)
        }
    }
}
