import Ledger
import Testing

/// Dates, programmes and folded states the tests build on. States are folded from events the
/// way the handler folds them, with the actor each event was recorded by.
enum Fixtures {
    static func date(_ text: String) -> LocalDate {
        do {
            return try LocalDate(parsing: text, field: "test")
        } catch {
            fatalError("bad test date \(text)")
        }
    }

    static let officer = "officer_lan"
    static let approver = "approver_minh"

    static func grant(
        code: String = "NQ12-LATRINE", cap: VND = 6_000_000, onceOnly: Bool = true,
        kinds: [BeneficiaryKind] = [.household], categories: [String] = ["poor"],
        validFrom: String = "2024-01-01", validUntil: String = "2025-12-31", effectiveFrom: String = "2024-01-01"
    ) -> ProgramDefinition {
        ProgramDefinition(
            code: code, nameVi: "Hỗ trợ nhà tiêu hợp vệ sinh", nameEn: "Hygienic latrine support", legalBasis: "NQ 12/2023/NQ-HĐND",
            kind: .grant, beneficiaryKinds: kinds, eligibleCategories: categories, capPerBeneficiaryVND: cap,
            validFrom: date(validFrom), validUntil: date(validUntil), onceOnly: onceOnly, effectiveFrom: date(effectiveFrom),
            illustrative: true, loanTerms: nil
        )
    }

    static let overseasLoan = ProgramDefinition(
        code: "NQ11-OVERSEAS-LOAN", nameVi: "Cho vay đi làm việc ở nước ngoài", nameEn: "Overseas work loans", legalBasis: "NQ 11/2023/NQ-HĐND",
        kind: .loan, beneficiaryKinds: [.person], eligibleCategories: [], capPerBeneficiaryVND: 150_000_000,
        validFrom: date("2024-01-01"), validUntil: date("2025-12-31"), onceOnly: false, effectiveFrom: date("2024-01-01"),
        illustrative: true,
        loanTerms: LoanTerms(
            ratePeriods: [RatePeriod(from: date("2024-01-01"), annualRateBasisPoints: 660)],
            overdueMultiplierPercent: 130, maxTermMonths: 60, instalmentMonths: 3
        )
    )

    /// Folds `events` onto a fresh state of `stream`, versions 1, 2, 3, … and the given actor.
    static func fold<State: StreamState>(_: State.Type, _ stream: String, _ events: [LedgerEvent], actor: String = officer) -> State {
        State(streamID: stream).folding(events.enumerated().map { index, event in
            (event, EventContext(position: Int64(index + 1), streamVersion: Int64(index + 1), actor: actor, recordedAtMicroseconds: 0))
        })
    }

    /// Applies what `decision` appends to `stream` onto `state`, as if `actor` had recorded it.
    static func after<State: StreamState>(_ state: State, _ stream: String, _ decision: Decision, actor: String) -> State {
        precondition(stream == state.streamID, "\(stream) is not the state's stream \(state.streamID)")
        return state.after(decision, actor: actor)
    }

    static func program(_ definitions: ProgramDefinition...) -> ProgramState {
        let code = definitions[0].code
        return fold(ProgramState.self, Streams.program(code), definitions.enumerated().map { index, definition in
            index == 0 ? .programDefined(definition) : .programAmended(definition)
        }, actor: "admin")
    }

    static let latrine = program(grant())

    static func budget(
        program: String = "NQ12-LATRINE", year: Int = 2024, district: District = .ninhKieu, allocated: VND? = 100_000_000,
        reservations: [(String, VND)] = []
    ) -> BudgetState {
        var events: [LedgerEvent] = []
        if let allocated {
            events.append(.budgetAllocated(BudgetAllocated(program: program, fiscalYear: year, district: district, amountVND: allocated, reference: "QĐ 1/2024")))
        }
        events += reservations.map { .fundsReserved(FundsReserved(applicationID: $0.0, amountVND: $0.1)) }
        return fold(BudgetState.self, Streams.budget(program: program, year: year, district: district), events, actor: "admin")
    }

    static func beneficiary(
        id: String = "HH-1", kind: BeneficiaryKind = .household, district: District = .ninhKieu, categories: [String] = ["poor"],
        bankAccount: String? = "0123456789", committed: [(application: String, program: String, amount: VND)] = []
    ) -> BeneficiaryState {
        var events: [LedgerEvent] = [.beneficiaryRegistered(BeneficiaryRegistered(
            beneficiaryID: id, kind: kind, name: "Nguyễn Văn An", district: district, categories: categories,
            bankAccount: bankAccount, nationalIDFingerprint: nil
        ))]
        events += committed.map { .benefitCommitted(BenefitCommitted(applicationID: $0.application, program: $0.program, amountVND: $0.amount)) }
        return fold(BeneficiaryState.self, Streams.beneficiary(id), events)
    }

    static func submitted(
        id: String = "A-1", beneficiary: String = "HH-1", program: String = "NQ12-LATRINE", requested: VND = 6_000_000,
        on submittedOn: String = "2024-03-01", district: District = .ninhKieu
    ) -> ApplicationSubmitted {
        ApplicationSubmitted(
            applicationID: id, beneficiaryID: beneficiary, program: program, district: district, fiscalYear: 2024,
            requestedVND: requested, submittedOn: date(submittedOn)
        )
    }

    /// An application folded from `events`, the first recorded by the officer and the rest by the approver.
    static func application(_ id: String = "A-1", _ events: [LedgerEvent]) -> ApplicationState {
        var state = ApplicationState(streamID: Streams.application(id))
        for (index, event) in events.enumerated() {
            let version = Int64(index + 1)
            state = state.folding([(event, EventContext(
                position: version, streamVersion: version, actor: index == 0 ? officer : approver, recordedAtMicroseconds: 0
            ))])
        }
        return state
    }

    static let submittedApplication = application("A-1", [.applicationSubmitted(submitted())])

    static func approvedApplication(amount: VND = 6_000_000, payments: [PaymentRecorded] = []) -> ApplicationState {
        application("A-1", [
            .applicationSubmitted(submitted()),
            .applicationApproved(ApplicationApproved(approvedVND: amount, decisionReference: "QĐ 15/2024", decidedOn: date("2024-03-10"))),
        ] + payments.map { .paymentRecorded($0) })
    }

    static func payment(_ id: String, _ amount: VND, on paidOn: String = "2024-03-15", method: PaymentMethod = .cash, voucher: String = "PC-1") -> PaymentRecorded {
        PaymentRecorded(paymentID: id, amountVND: amount, paidOn: date(paidOn), method: method, voucher: voucher, bankAccount: method == .bank ? "0123456789" : nil)
    }
}

/// Runs `body` and returns the `DomainError` it throws, failing the test if it throws none.
func refusal<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> DomainError? {
    do {
        let value = try body()
        Issue.record("expected a refusal, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as DomainError {
        return error
    } catch {
        Issue.record("expected a DomainError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
