import EventStore
import Foundation
import Ledger
import Postgres

/// `ledger report loans [--as-of DATE] [--overdue]`: each loan as it stood on a business date —
/// principal, outstanding principal, interest accrued and unpaid, overdue principal, days past
/// due, arrears bucket. A loan settled or written off by the date has no days past due (empty in
/// CSV, null in JSON, `-` in the table) and shows its status in the arrears column.
///
/// Figures come from the loan book (`ledger_read.loan_book`: the domain's `LoanState` and the
/// programme's rate periods) through `LoanPosition`, the domain's one computation of interest
/// and arrears. A loan with an event dated after the date (a repayment, settlement or write-off
/// later than it) is folded again from its own stream with only the events dated on or before
/// it, so the figures are those of that date; a loan disbursed after the date is not listed.
public struct LoanReport: Sendable, Equatable {
    public struct Line: Sendable, Equatable, Encodable {
        public let loanID: String
        public let applicationID: String
        public let beneficiaryID: String
        public let program: String
        /// `active`, `settled` or `written off`, as of the date.
        public let status: LoanStatus
        public let principal: VND
        public let disbursedOn: LocalDate
        public let outstandingPrincipal: VND
        /// Interest and overdue interest owed on the date: carried unpaid plus accrued since the
        /// last repayment (rounded half up, as a repayment on that date would be charged).
        public let accruedInterest: VND
        public let overduePrincipal: VND
        /// Days past due of an active loan; nil for a loan settled or written off by the date (it
        /// is not in arrears: it owes nothing more, or was given up).
        public let daysPastDue: Int?
        /// The arrears bucket of an active loan; nil for a loan settled or written off by the date.
        public let arrearsBucket: ArrearsBucket?
        /// What the arrears column shows: the bucket of an active loan, else its status
        /// (`settled`, `written off`) — never `current` for a loan that is not.
        public var arrears: String { arrearsBucket?.rawValue ?? status.rawValue }
        /// For a loan written off by the date: the principal and interest written off.
        public let writtenOff: VND?

        enum CodingKeys: String, CodingKey {
            case loanID = "loan_id", applicationID = "application_id", beneficiaryID = "beneficiary_id", program, status
            case principal = "principal_vnd", disbursedOn = "disbursed_on", outstandingPrincipal = "outstanding_principal_vnd"
            case accruedInterest = "accrued_interest_vnd", overduePrincipal = "overdue_principal_vnd", daysPastDue = "days_past_due"
            case arrearsBucket = "arrears_bucket", writtenOff = "written_off_vnd"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(loanID, forKey: .loanID)
            try container.encode(applicationID, forKey: .applicationID)
            try container.encode(beneficiaryID, forKey: .beneficiaryID)
            try container.encode(program, forKey: .program)
            try container.encode(status.rawValue, forKey: .status)
            try container.encode(principal, forKey: .principal)
            try container.encode(disbursedOn, forKey: .disbursedOn)
            try container.encode(outstandingPrincipal, forKey: .outstandingPrincipal)
            try container.encode(accruedInterest, forKey: .accruedInterest)
            try container.encode(overduePrincipal, forKey: .overduePrincipal)
            try container.encode(daysPastDue, forKey: .daysPastDue)
            try container.encode(arrears, forKey: .arrearsBucket)
            try container.encode(writtenOff, forKey: .writtenOff)
        }

        /// The line of `loan` (folded up to `asOf`) on `asOf`.
        init(loan: LoanState, ratePeriods: [RatePeriod], asOf: LocalDate) throws {
            guard let disbursement = loan.disbursement else {
                throw ReportError("loan \(loan.loanID) has no disbursement")
            }
            loanID = loan.loanID
            applicationID = disbursement.applicationID
            beneficiaryID = disbursement.beneficiaryID
            program = disbursement.program
            status = loan.status
            principal = disbursement.principalVND
            disbursedOn = disbursement.disbursedOn
            if let writeOff = loan.writeOff {
                outstandingPrincipal = .zero
                accruedInterest = .zero
                overduePrincipal = .zero
                daysPastDue = nil
                arrearsBucket = nil
                writtenOff = writeOff.outstandingPrincipalVND + writeOff.unpaidInterestVND
            } else {
                let position = try LoanPosition(loan: loan, ratePeriods: ratePeriods, asOf: asOf)
                outstandingPrincipal = position.outstandingPrincipalVND
                accruedInterest = position.interestVND + position.overdueInterestVND
                overduePrincipal = position.overduePrincipalVND
                let active = loan.status == .active
                daysPastDue = active ? position.daysPastDue : nil
                arrearsBucket = active ? position.arrearsBucket : nil
                writtenOff = nil
            }
        }
    }

    public let asOf: LocalDate
    /// The date was not given: it is today (the JSON says `"as_of_source": "today"`).
    public var asOfIsToday = false
    public let lines: [Line]
    /// Loans left out, each with why (their figures cannot be computed).
    public var skipped: [String] = []

    public init(asOf: LocalDate, lines: [Line]) {
        self.asOf = asOf
        self.lines = lines
    }

    /// The loan book as of `asOf` (only loans past due on it when `overdueOnly`), with how far
    /// the loan book is behind the log.
    public static func load(
        asOf: LocalDate, overdueOnly: Bool, _ connection: PostgresConnection
    ) async throws -> (report: LoanReport, lag: ReadModelLag) {
        typealias Row = (loanID: String?, state: String?, periods: String?, position: Int64, head: Int64, lastPosition: Int64)
        let rows: [Row] = try await connection.query("""
            SELECT b.loan_id, b.state::text, t.rate_periods::text, c.position, h.last_position, coalesce(b.last_position, 0)
            FROM ledger_read.checkpoints c CROSS JOIN ledger.head h
            LEFT JOIN ledger_read.loan_book b ON true
            LEFT JOIN ledger_read.loan_terms t ON t.program = b.program
            WHERE c.projection = $1
            ORDER BY b.loan_id
            """, [LoanBookProjection.name]) { row in
            (row.isNull(0) ? nil : try row.string(0), row.isNull(1) ? nil : try row.string(1),
             row.isNull(2) ? nil : try row.string(2), try row.int64(3), try row.int64(4), try row.int64(5))
        }
        guard let first = rows.first else {
            let advice = ReadModelAdvice.run("`ledger migrate`", readerIsAdmin: await ReadModelAdvice.readerIsAdmin(connection))
            throw ReportError("the read models have no checkpoint for \(LoanBookProjection.name): \(advice)")
        }
        var lag = ReadModelLag(projection: LoanBookProjection.name, position: first.position, headPosition: first.head)
        if lag.events > 0 { lag.readerIsAdmin = await ReadModelAdvice.readerIsAdmin(connection) }
        let store = EventStore(connection: connection)
        var lines: [Line] = []
        var skipped: [String] = []
        for row in rows {
            guard let loanID = row.loanID, let stateText = row.state else { continue }
            guard let periodsText = row.periods else {
                throw ReportError("loan \(loanID): the loan book has no rate periods for its programme")
            }
            var loan = try LoanBookJSON.decode(LoanState.self, stateText)
            guard let disbursement = loan.disbursement, disbursement.disbursedOn <= asOf else { continue }
            if Self.hasEventAfter(asOf, loan) {
                loan = try await Self.fold(loanID: loanID, asOf: asOf, store)
            }
            // One loan whose figures cannot be computed is left out, named, not the whole report refused.
            let line: Line
            do {
                line = try Line(loan: loan, ratePeriods: try LoanBookJSON.decode([RatePeriod].self, periodsText), asOf: asOf)
            } catch {
                skipped.append("loan \(loanID) (last event at position \(row.lastPosition)): \(UnreadableEvent.text(of: error))")
                continue
            }
            if !overdueOnly || (line.daysPastDue ?? 0) > 0 { lines.append(line) }
        }
        var report = LoanReport(asOf: asOf, lines: lines)
        report.skipped = skipped
        return (report, lag)
    }

    /// True when the loan has a repayment, settlement or write-off dated after `date`.
    static func hasEventAfter(_ date: LocalDate, _ loan: LoanState) -> Bool {
        (loan.lastAccrualDate.map { $0 > date } ?? false) || (loan.settledOn.map { $0 > date } ?? false)
            || (loan.writeOff.map { $0.writtenOffOn > date } ?? false)
    }

    /// The loan's stream folded with only the events dated on or before `date`. Repayments are
    /// dated in order (a repayment is never dated before the previous one), so these are a
    /// prefix of the stream.
    static func fold(loanID: String, asOf date: LocalDate, _ store: EventStore) async throws -> LoanState {
        var loan = LoanState(loanID: loanID)
        var fromVersion: Int64 = 1
        while true {
            let page = try await store.readStream(StreamID(Streams.loan(loanID)), from: fromVersion, limit: 1_000)
            for recorded in page {
                let event: ProjectedEvent
                switch ProjectedEvent.decode(recorded) {
                case .event(let decoded): event = decoded
                case .foreign: continue
                case .unreadable(let unreadable): throw ReportError("loan \(loanID): \(unreadable.description)")
                }
                if let eventDate = Self.businessDate(event.event), eventDate > date { return loan }
                loan.apply(event.event)
            }
            guard page.count == 1_000, let last = page.last else { return loan }
            fromVersion = last.streamVersion + 1
        }
    }

    static func businessDate(_ event: LedgerEvent) -> LocalDate? {
        switch event {
        case .loanDisbursed(let disbursement): disbursement.disbursedOn
        case .loanRepaid(let repayment): repayment.paidOn
        case .loanSettled(let settlement): settlement.settledOn
        case .loanWrittenOff(let writeOff): writeOff.writtenOffOn
        default: nil
        }
    }

    // MARK: Totals and forms

    public struct Totals: Sendable, Equatable, Encodable {
        public var loans = 0
        public var principal = VND.zero
        public var outstandingPrincipal = VND.zero
        public var accruedInterest = VND.zero
        public var overduePrincipal = VND.zero
        public var pastDue = 0

        enum CodingKeys: String, CodingKey {
            case loans, principal = "principal_vnd", outstandingPrincipal = "outstanding_principal_vnd"
            case accruedInterest = "accrued_interest_vnd", overduePrincipal = "overdue_principal_vnd", pastDue = "loans_past_due"
        }
    }

    public var totals: Totals {
        var totals = Totals()
        for line in lines {
            totals.loans += 1
            totals.principal += line.principal
            totals.outstandingPrincipal += line.outstandingPrincipal
            totals.accruedInterest += line.accruedInterest
            totals.overduePrincipal += line.overduePrincipal
            if (line.daysPastDue ?? 0) > 0 { totals.pastDue += 1 }
        }
        return totals
    }

    public var table: ReportTable { table(in: .english) }

    /// The table for people reading `format`'s language (headers are the renderer's to write).
    public func table(in format: LocaleFormatter) -> ReportTable {
        let grouped: (VND) -> String = format.amountCell
        var rows = lines.map { line in
            [line.loanID, line.beneficiaryID, line.program, format.label(line.status.rawValue), grouped(line.principal),
             grouped(line.outstandingPrincipal), grouped(line.accruedInterest), grouped(line.overduePrincipal),
             line.daysPastDue.map { format.number(Int64($0)) } ?? "-", format.label(line.arrears)]
        }
        let totals = totals
        rows.append([Message("total ({0} loans)", .number(Int64(totals.loans))).rendered(format.language), "", "", "",
                     grouped(totals.principal), grouped(totals.outstandingPrincipal),
                     grouped(totals.accruedInterest), grouped(totals.overduePrincipal), "",
                     Message("{0} past due", .number(Int64(totals.pastDue))).rendered(format.language)])
        return ReportTable(
            header: ["loan", "beneficiary", "programme", "status", "principal", "outstanding", "interest", "overdue principal",
                     "days past due", "arrears"],
            rows: rows
        )
    }

    public var csv: String {
        ReportCSV.text(
            header: ["loan_id", "application_id", "beneficiary_id", "program", "status", "principal_vnd", "disbursed_on",
                     "outstanding_principal_vnd", "accrued_interest_vnd", "overdue_principal_vnd", "days_past_due", "arrears_bucket",
                     "written_off_vnd"],
            rows: lines.map { line in
                [line.loanID, line.applicationID, line.beneficiaryID, line.program, line.status.rawValue, Cell.exact(line.principal),
                 line.disbursedOn.description, Cell.exact(line.outstandingPrincipal), Cell.exact(line.accruedInterest),
                 Cell.exact(line.overduePrincipal), line.daysPastDue.map(String.init) ?? "", line.arrears,
                 line.writtenOff.map(Cell.exact) ?? ""]
            }
        )
    }

    public var document: Document {
        Document(asOf: asOf.description, asOfSource: asOfIsToday ? "today" : "--as-of", loans: lines, totals: totals)
    }

    public struct Document: Encodable, Sendable {
        let asOf: String
        /// `today` when no date was given, else `--as-of`.
        let asOfSource: String
        let loans: [Line]
        let totals: Totals
        enum CodingKeys: String, CodingKey { case asOf = "as_of", asOfSource = "as_of_source", loans, totals }
    }
}
