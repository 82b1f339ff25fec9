import Foundation
import Ledger

/// `loan_book`: one row per loan — terms and schedule, principal and interest repaid, outstanding
/// principal, interest carried unpaid, the first unpaid due date — with the domain's `LoanState`
/// as JSON; and `loan_terms`: each loan programme's rate periods across amendments. Together they
/// give `LoanPosition` (accrued interest, days past due, arrears bucket) as of any date without
/// reading the log (`LoanBook.position`).
public struct LoanBookProjection: Projection {
    public static let name = "loan_book"
    public static let eventTypes: Set<String> = [
        "LoanDisbursed", "LoanRepaid", "LoanSettled", "LoanWrittenOff", "ProgramDefined", "ProgramAmended",
    ]
    public static let tables = [
        ReadModelTable(name: "loan_book", columns: [
            "loan_id", "application_id", "beneficiary_id", "program", "status", "principal_vnd", "disbursed_on",
            "term_months", "instalment_months", "overdue_multiplier_percent", "matures_on", "principal_repaid_vnd",
            "interest_repaid_vnd", "overdue_interest_repaid_vnd", "outstanding_principal_vnd", "unpaid_interest_vnd",
            "unpaid_overdue_interest_vnd", "last_accrual_on", "first_unpaid_due_on", "repayments", "settled_on",
            "written_off_on", "written_off_principal_vnd", "written_off_interest_vnd", "schedule", "state", "last_position",
        ], keyCount: 1),
        ReadModelTable(name: "loan_terms", columns: [
            "program", "rate_periods", "overdue_multiplier_percent", "max_term_months", "instalment_months", "last_position",
        ], keyCount: 1),
    ]

    struct Loan {
        var state: LoanState
        var lastPosition: Int64 = 0
    }

    struct Program {
        var state: ProgramState
        var lastPosition: Int64 = 0
    }

    var loans: [String: Loan] = [:]
    var programs: [String: Program] = [:]
    var changedLoans: Set<String> = []
    var changedPrograms: Set<String> = []

    public init() {}

    static let loanPrefix = Streams.loan("")
    static let programPrefix = Streams.program("")

    public mutating func apply(_ event: ProjectedEvent) throws {
        let stream = event.streamID
        switch event.event {
        case .loanDisbursed, .loanRepaid, .loanSettled, .loanWrittenOff:
            guard stream.hasPrefix(Self.loanPrefix) else { return }
            let id = String(stream.dropFirst(Self.loanPrefix.count))
            try Self.check(event.event, on: loans[id]?.state ?? LoanState(streamID: stream))
            Self.update(&loans[id, default: Loan(state: LoanState(streamID: stream))], with: event)
            changedLoans.insert(id)
        case .programDefined, .programAmended:
            guard stream.hasPrefix(Self.programPrefix) else { return }
            let code = String(stream.dropFirst(Self.programPrefix.count))
            var program = programs[code] ?? Program(state: ProgramState(streamID: stream))
            program.state.apply(event.event, context: event.context)
            program.state.version = event.context.streamVersion
            program.lastPosition = event.position
            programs[code] = program
            changedPrograms.insert(code)
        default:
            break
        }
    }

    /// Throws when folding `event` into `loan` (the domain's `LoanState`, whose sums are not
    /// checked) would take a total beyond the ledger's range: checked here, before it is applied.
    static func check(_ event: LedgerEvent, on loan: LoanState) throws {
        guard case .loanRepaid(let repaid) = event else { return }
        let principal = try Checked.add(
            try Checked.add(repaid.overduePrincipalVND, repaid.principalDueVND, "principal repaid"), repaid.prepaidPrincipalVND,
            "principal repaid"
        )
        _ = try Checked.add(loan.principalRepaidVND, principal, "principal_repaid_vnd")
        _ = try Checked.add(loan.overdueInterestPaidVND, repaid.overdueInterestVND, "overdue_interest_repaid_vnd")
        _ = try Checked.add(loan.interestPaidVND, repaid.interestVND, "interest_repaid_vnd")
    }

    /// In place: a copy taken out of the dictionary would copy the loan's own collections on write.
    private static func update(_ loan: inout Loan, with event: ProjectedEvent) {
        loan.state.apply(event.event)
        loan.state.version = event.context.streamVersion
        loan.lastPosition = event.position
    }

    public mutating func forgetChanges() {
        changedLoans.removeAll(keepingCapacity: true)
        changedPrograms.removeAll(keepingCapacity: true)
    }

    public mutating func takeChangedRows() -> [[ReadModelRow]] {
        defer {
            changedLoans.removeAll(keepingCapacity: true)
            changedPrograms.removeAll(keepingCapacity: true)
        }
        return [loans.rows(for: changedLoans, Self.row), programs.rows(for: changedPrograms, Self.row)]
    }

    public func allRows() -> [[ReadModelRow]] {
        [loans.rows(for: loans.keys, Self.row), programs.rows(for: programs.keys, Self.row)]
    }

    public func forEachRow(ofTable table: Int, _ body: (ReadModelRow) throws -> Void) rethrows {
        if table == 0 { try loans.forEachRow(Self.row, body) } else { try programs.forEachRow(Self.row, body) }
    }

    /// The due date of the earliest instalment with principal still unpaid (nil when none is).
    static func firstUnpaidDueOn(_ loan: LoanState) -> LocalDate? {
        guard let schedule = loan.schedule else { return nil }
        return zip(schedule.instalments, loan.unpaidPrincipalPerInstalmentVND).first { $0.1.isPositive }?.0.dueOn
    }

    static func row(_ loan: Loan) -> ReadModelRow? {
        let state = loan.state
        guard let disbursement = state.disbursement, let lastAccrual = state.lastAccrualDate else { return nil }
        let schedule = state.schedule
        let unpaid = state.unpaidPrincipalPerInstalmentVND
        let instalments = (schedule?.instalments ?? []).enumerated().map { index, instalment in
            ScheduleLine(number: instalment.number, dueOn: instalment.dueOn.description, principalVND: instalment.principalVND.amount,
                         unpaidVND: index < unpaid.count ? unpaid[index].amount : 0)
        }
        let owesPrincipal = state.status == .active
        return [
            state.loanID, disbursement.applicationID, disbursement.beneficiaryID, disbursement.program, state.status.rawValue,
            Field.vnd(disbursement.principalVND), Field.date(disbursement.disbursedOn), Field.int(disbursement.termMonths),
            Field.int(disbursement.instalmentMonths), Field.int(disbursement.overdueMultiplierPercent),
            Field.date(schedule?.maturesOn), Field.vnd(state.principalRepaidVND), Field.vnd(state.interestPaidVND),
            Field.vnd(state.overdueInterestPaidVND), Field.vnd(owesPrincipal ? state.outstandingPrincipalVND : .zero),
            Field.vnd(state.unpaidInterestVND), Field.vnd(state.unpaidOverdueInterestVND), Field.date(lastAccrual),
            Field.date(owesPrincipal ? firstUnpaidDueOn(state) : nil), Field.int(state.repayments.count),
            Field.date(state.settledOn), Field.date(state.writeOff?.writtenOffOn), Field.optionalVND(state.writeOff?.outstandingPrincipalVND),
            Field.optionalVND(state.writeOff?.unpaidInterestVND), LoanBookJSON.text(instalments), LoanBookJSON.text(state),
            Field.int(loan.lastPosition),
        ]
    }

    static func row(_ program: Program) -> ReadModelRow? {
        guard let terms = program.state.loanTermsAcrossAmendments else { return nil }
        return [
            program.state.code, LoanBookJSON.text(terms.ratePeriods), Field.int(terms.overdueMultiplierPercent),
            Field.int(terms.maxTermMonths), Field.int(terms.instalmentMonths), Field.int(program.lastPosition),
        ]
    }

    /// One instalment in the `schedule` column.
    struct ScheduleLine: Codable {
        let number: Int
        let dueOn: String
        let principalVND: Int64
        let unpaidVND: Int64

        enum CodingKeys: String, CodingKey {
            case number, dueOn = "due_on", principalVND = "principal_vnd", unpaidVND = "unpaid_vnd"
        }
    }
}

/// The JSON of the loan book's `schedule`, `state` and `rate_periods` columns: the domain types'
/// own Codable forms, keys sorted so the text is the same for the same value.
enum LoanBookJSON {
    /// One encoder for all rows (making one per row cost more than the encoding).
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func text(_ value: some Encodable) -> String {
        // The domain's types always encode; a failure here is a programming error.
        guard let data = try? encoder.encode(value) else { preconditionFailure("read-model JSON did not encode") }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
