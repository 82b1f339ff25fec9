import EventStore
import Foundation
import Ledger
import Postgres

/// `ledger report beneficiary ID`: a statement of everything the ledger recorded for one
/// beneficiary — registration, applications, decisions, payments and reversals, closures, loan
/// disbursements and repayments — in the order recorded, each with its business date and its
/// recording time, and two running balances after each command:
///
/// - **payable** (still payable): what approved, open applications may still be paid (approved −
///   payments net of reversals − loan principal disbursed), summed (`ApplicationState.remainingPayable`);
/// - **outstanding**: loan principal not yet repaid, of loans neither settled nor written off.
///
/// Folded from the beneficiary's streams with the domain's own `ApplicationState` and
/// `LoanState`, so the balances are the ones decisions see. The totals add up, after every command
/// (docs/domain.md, "Words with one meaning"): approved − paid − loan principal − released =
/// still payable, where approved counts every approval (an application withdrawn or closed after
/// it too: its release is in released) and paid is net of reversals.
public struct BeneficiaryStatement: Sendable, Equatable {
    public struct Line: Sendable, Equatable, Encodable {
        public let position: Int64
        public let recordedAtMicroseconds: Int64
        /// The business date the event states (nil for a registration, which has none).
        public let businessDate: LocalDate?
        /// `registered`, `amended`, `submitted`, `approved`, `rejected`, `withdrawn`, `payment`,
        /// `payment reversed`, `closed`, `loan disbursed`, `loan repayment`, `loan settled`,
        /// `loan written off`.
        public let event: String
        public let applicationID: String?
        public let loanID: String?
        public let program: String?
        /// The event's own amount: requested, approved, paid, reversed, released, principal, repaid.
        public let amount: VND?
        public let detail: String?
        /// Running balances after the command that recorded this event.
        public let payable: VND
        public let outstanding: VND
        /// `detail` for people: a template with amounts grouped (tables); nil where `detail` is
        /// free text. Not in JSON or CSV, which keep `detail` with exact integers.
        public var detailMessage: Message? = nil

        public static func == (lhs: Line, rhs: Line) -> Bool {
            lhs.position == rhs.position && lhs.recordedAtMicroseconds == rhs.recordedAtMicroseconds && lhs.businessDate == rhs.businessDate
                && lhs.event == rhs.event && lhs.applicationID == rhs.applicationID && lhs.loanID == rhs.loanID && lhs.program == rhs.program
                && lhs.amount == rhs.amount && lhs.detail == rhs.detail && lhs.payable == rhs.payable && lhs.outstanding == rhs.outstanding
        }

        enum CodingKeys: String, CodingKey {
            case position, recordedAt = "recorded_at", businessDate = "business_date", event, applicationID = "application_id"
            case loanID = "loan_id", program, amount = "amount_vnd", detail, payable = "payable_vnd", outstanding = "outstanding_vnd"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(position, forKey: .position)
            try container.encode(VietnamTime.rfc3339(microsecondsSinceEpoch: recordedAtMicroseconds), forKey: .recordedAt)
            try container.encode(businessDate?.description, forKey: .businessDate)
            try container.encode(event, forKey: .event)
            try container.encode(applicationID, forKey: .applicationID)
            try container.encode(loanID, forKey: .loanID)
            try container.encode(program, forKey: .program)
            try container.encode(amount, forKey: .amount)
            try container.encode(detail, forKey: .detail)
            try container.encode(payable, forKey: .payable)
            try container.encode(outstanding, forKey: .outstanding)
        }
    }

    /// Totals at the end of the statement.
    public struct Totals: Sendable, Equatable, Encodable {
        /// Every approval, whatever happened to the application afterwards.
        public var approved = VND.zero
        /// Payments net of reversals.
        public var paid = VND.zero
        /// Payments returned by the bank (already taken out of `paid`).
        public var reversed = VND.zero
        /// Given back by withdrawals and closures.
        public var released = VND.zero
        public var loanPrincipal = VND.zero
        public var principalRepaid = VND.zero
        public var interestRepaid = VND.zero
        public var payable = VND.zero
        public var outstanding = VND.zero

        enum CodingKeys: String, CodingKey {
            case approved = "approved_vnd", paid = "paid_vnd", reversed = "reversed_vnd", released = "released_vnd"
            case loanPrincipal = "loan_principal_vnd", principalRepaid = "principal_repaid_vnd", interestRepaid = "interest_repaid_vnd"
            case payable = "payable_vnd", outstanding = "outstanding_vnd"
        }
    }

    public let beneficiaryID: String
    public private(set) var name: String?
    public private(set) var district: UnitCode?
    /// The ledger's places, to name units as people read them (`phường Cái Khế`); with none loaded,
    /// the old districts by name.
    public let places: PlaceCatalog
    public private(set) var lines: [Line] = []
    public private(set) var totals = Totals()
    /// Events of the beneficiary's streams that cannot be read (or whose figures are beyond the
    /// ledger's range), left out of the statement: a warning for its reader.
    public private(set) var skipped: [UnreadableEvent] = []

    /// Reads the beneficiary's own stream, every application submitted for them and every loan
    /// disbursed to them (one query finds the streams, one reads them in position order), and
    /// folds them. Refuses an id no event names.
    public static func load(
        _ beneficiaryID: String, _ connection: PostgresConnection, places: PlaceCatalog = PlaceCatalog()
    ) async throws -> BeneficiaryStatement {
        let id = try Identifier.validated(beneficiaryID, field: "ID")
        let streams = try await connection.query("""
            SELECT DISTINCT stream_id FROM ledger.events
            WHERE event_type IN ('ApplicationSubmitted', 'LoanDisbursed') AND payload ->> 'beneficiary_id' = $1
            """, [id]) { try $0.string(0) }
        let events = try await EventStore(connection: connection).readEvents(
            ofStreams: ([Streams.beneficiary(id)] + streams).map { StreamID($0) }
        )
        guard !events.isEmpty else {
            throw DomainError(.unknownBeneficiary, Message("there is no beneficiary {0}", .text(id)), field: "ID")
        }
        return try BeneficiaryStatement(beneficiaryID: id, events: events, places: places)
    }

    /// Folds `events` (in position order). Events of one command are applied together; the
    /// balances on their lines are those after the whole command.
    public init(beneficiaryID: String, events: [RecordedEvent], places: PlaceCatalog = PlaceCatalog()) throws {
        self.beneficiaryID = beneficiaryID
        self.places = places
        var applications: [String: ApplicationState] = [:]
        var loans: [String: LoanState] = [:]
        var pending: [ProjectedEvent] = []
        var index = 0
        while index < events.count {
            let command = events[index].commandID
            pending.removeAll()
            while index < events.count, events[index].commandID == command {
                switch ProjectedEvent.decode(events[index]) {
                case .event(let event): pending.append(event)
                case .unreadable(let unreadable): skipped.append(unreadable)
                case .foreign: break
                }
                index += 1
            }
            for event in pending {
                do {
                    try fold(event, &applications, &loans)
                } catch let problem as FoldProblem {
                    skipped.append(UnreadableEvent(position: event.position, type: event.event.typeName, problem: problem.description))
                }
            }
            let payable: VND, outstanding: VND
            do {
                payable = try applications.values.reduce(VND.zero) { try Checked.add($0, $1.remainingPayable, "payable") }
                outstanding = try loans.values.reduce(VND.zero) {
                    try Checked.add($0, $1.status == .active ? $1.outstandingPrincipalVND : .zero, "outstanding")
                }
            } catch let problem as FoldProblem {
                throw ReportError("beneficiary \(beneficiaryID): the balances cannot be added up: \(problem.description)")
            }
            for event in pending {
                if let line = Self.line(
                    event, applications: applications, loans: loans, payable: payable, outstanding: outstanding,
                    unitName: { [places] in Self.unitName($0, places) }
                ) {
                    lines.append(line)
                }
            }
            totals.payable = payable
            totals.outstanding = outstanding
        }
    }

    /// Totals are checked and computed before anything is assigned: an event that would take one
    /// beyond the ledger's range throws `FoldProblem` and changes nothing.
    private mutating func fold(_ event: ProjectedEvent, _ applications: inout [String: ApplicationState], _ loans: inout [String: LoanState]) throws {
        let stream = event.streamID
        switch event.event {
        case .beneficiaryRegistered(let registration):
            guard registration.beneficiaryID == beneficiaryID else { return }
            name = registration.name
            district = registration.district
        case .beneficiaryAmended(let amendment):
            guard amendment.beneficiaryID == beneficiaryID else { return }
            if let newName = amendment.name { name = newName }
            if let unit = amendment.unit { district = unit }
        case .applicationSubmitted, .applicationApproved, .applicationRejected, .applicationWithdrawn, .paymentRecorded,
             .paymentReversed, .loanOpened, .applicationClosed:
            let prefix = Streams.application("")
            guard stream.hasPrefix(prefix) else { return }
            let id = String(stream.dropFirst(prefix.count))
            var state = applications[id] ?? ApplicationState(streamID: stream)
            var newTotals = totals
            switch event.event {
            case .applicationApproved(let approval): newTotals.approved = try Checked.add(totals.approved, approval.approvedVND, "approved")
            case .paymentRecorded(let payment): newTotals.paid = try Checked.add(totals.paid, payment.amountVND, "paid")
            case .paymentReversed(let reversal):
                // A reversal of a payment the application does not have changes nothing (as in its state).
                if state.payments[reversal.paymentID].map({ $0.reversal == nil }) ?? false {
                    newTotals.reversed = try Checked.add(totals.reversed, reversal.amountVND, "reversed")
                    newTotals.paid = try Checked.subtract(totals.paid, reversal.amountVND, "paid")
                }
            case .applicationWithdrawn(let withdrawal):
                // The approval stays in approved; what it gave back is in released.
                newTotals.released = try Checked.add(totals.released, withdrawal.releasedVND, "released")
            case .applicationClosed(let closure): newTotals.released = try Checked.add(totals.released, closure.releasedVND, "released")
            default: break
            }
            state.apply(event.event, context: event.context)
            applications[id] = state
            totals = newTotals
        case .loanDisbursed, .loanRepaid, .loanSettled, .loanWrittenOff:
            let prefix = Streams.loan("")
            guard stream.hasPrefix(prefix) else { return }
            let id = String(stream.dropFirst(prefix.count))
            var state = loans[id] ?? LoanState(streamID: stream)
            try LoanBookProjection.check(event.event, on: state)
            var newTotals = totals
            switch event.event {
            case .loanDisbursed(let disbursement):
                newTotals.loanPrincipal = try Checked.add(totals.loanPrincipal, disbursement.principalVND, "loan principal")
            case .loanRepaid(let repayment):
                for part in [repayment.overduePrincipalVND, repayment.principalDueVND, repayment.prepaidPrincipalVND] {
                    newTotals.principalRepaid = try Checked.add(newTotals.principalRepaid, part, "principal repaid")
                }
                for part in [repayment.overdueInterestVND, repayment.interestVND] {
                    newTotals.interestRepaid = try Checked.add(newTotals.interestRepaid, part, "interest repaid")
                }
            default: break
            }
            state.apply(event.event)
            loans[id] = state
            totals = newTotals
        default:
            break
        }
    }

    static func line(
        _ event: ProjectedEvent, applications: [String: ApplicationState], loans: [String: LoanState], payable: VND, outstanding: VND,
        unitName: (UnitCode) -> String = { $0.name }
    ) -> Line? {
        let applicationPrefix = Streams.application(""), loanPrefix = Streams.loan("")
        let applicationID = event.streamID.hasPrefix(applicationPrefix) ? String(event.streamID.dropFirst(applicationPrefix.count)) : nil
        let loanID = event.streamID.hasPrefix(loanPrefix) ? String(event.streamID.dropFirst(loanPrefix.count)) : nil
        let application = applicationID.flatMap { applications[$0] }
        let loan = loanID.flatMap { loans[$0] }
        var program = application?.submission?.program ?? loan?.disbursement?.program
        let what: (String, LocalDate?, VND?, String?)
        var message: Message?
        switch event.event {
        case .beneficiaryRegistered(let registration):
            program = nil
            what = ("registered", nil, nil, "\(registration.kind.rawValue), \(unitName(registration.district))")
            message = Message("{0}, {1}", .term(registration.kind.rawValue), .text(unitName(registration.district)))
        case .beneficiaryAmended(let amendment):
            program = nil
            what = ("amended", amendment.amendedOn, nil, "\(BeneficiaryDecisions.describe(amendment)); reason: \(amendment.reason)")
        case .applicationSubmitted(let submission):
            what = ("submitted", submission.submittedOn, submission.requestedVND, "requested, fiscal year \(submission.fiscalYear)")
            message = Message("requested, fiscal year {0}", .text(String(submission.fiscalYear)))
        case .applicationApproved(let approval):
            what = ("approved", approval.decidedOn, approval.approvedVND, approval.decisionReference)
        case .applicationRejected(let rejection):
            what = ("rejected", rejection.decidedOn, nil, rejection.reason)
        case .applicationWithdrawn(let withdrawal):
            what = ("withdrawn", withdrawal.withdrawnOn, withdrawal.releasedVND, "released; \(withdrawal.reason)")
            message = Message("released; {0}", .text(withdrawal.reason))
        case .paymentRecorded(let payment):
            what = ("payment", payment.paidOn, payment.amountVND, "\(payment.paymentID), \(payment.method.rawValue), \(payment.voucher)")
            message = Message("{0}, {1}, {2}", .text(payment.paymentID), .term(payment.method.rawValue), .text(payment.voucher))
        case .paymentReversed(let reversal):
            what = ("payment reversed", reversal.reversedOn, reversal.amountVND, "\(reversal.paymentID); \(reversal.reason)")
        case .applicationClosed(let closure):
            what = ("closed", closure.closedOn, closure.releasedVND, "released; \(closure.paidVND.amount) paid out in all (net of reversals, loan principal included)")
            message = Message("released; {0} paid out in all (net of reversals, loan principal included)", .amount(closure.paidVND))
        case .loanDisbursed(let disbursement):
            what = ("loan disbursed", disbursement.disbursedOn, disbursement.principalVND,
                    "application \(disbursement.applicationID), \(disbursement.termMonths) months")
            message = Message("application {0}, {1} months", .text(disbursement.applicationID), .number(Int64(disbursement.termMonths)))
        case .loanRepaid(let repayment):
            let principal = repayment.overduePrincipalVND + repayment.principalDueVND + repayment.prepaidPrincipalVND
            what = ("loan repayment", repayment.paidOn, repayment.amountVND,
                    "principal \(principal.amount), interest \((repayment.interestVND + repayment.overdueInterestVND).amount)")
            message = Message("principal {0}, interest {1}", .amount(principal), .amount(repayment.interestVND + repayment.overdueInterestVND))
        case .loanSettled(let settlement):
            what = ("loan settled", settlement.settledOn, nil, nil)
        case .loanWrittenOff(let writeOff):
            what = ("loan written off", writeOff.writtenOffOn, writeOff.outstandingPrincipalVND, writeOff.reason)
        default:
            // LoanOpened repeats the loan's disbursement on the application; BenefitCommitted and
            // BenefitReleased repeat the approval and the release on the beneficiary.
            return nil
        }
        var line = Line(
            position: event.position, recordedAtMicroseconds: event.context.recordedAtMicroseconds, businessDate: what.1,
            event: what.0, applicationID: applicationID ?? loan?.disbursement?.applicationID, loanID: loanID, program: program,
            amount: what.2, detail: what.3, payable: payable, outstanding: outstanding
        )
        line.detailMessage = message
        return line
    }

    // MARK: Forms

    public var table: ReportTable { table(in: .english) }

    /// The table for people reading `format`'s language (headers are the renderer's to write).
    public func table(in format: LocaleFormatter) -> ReportTable {
        let grouped: (VND) -> String = format.amountCell
        return ReportTable(
            header: ["position", "recorded at", "date", "event", "application", "loan", "programme", "amount", "payable", "outstanding", "detail"],
            rows: lines.map { line in
                [String(line.position), format.time(VietnamTime.display(microsecondsSinceEpoch: line.recordedAtMicroseconds, fractionalSeconds: false)),
                 line.businessDate.map(format.date) ?? "-", format.label(line.event), line.applicationID ?? "-", line.loanID ?? "-", line.program ?? "-",
                 line.amount.map(grouped) ?? "-", grouped(line.payable), grouped(line.outstanding),
                 line.detailMessage?.rendered(format.language) ?? line.detail ?? ""]
            }
        )
    }

    /// A unit as people read it: `phường Cái Khế` once places are loaded, `Ninh Kiều` before.
    func unitName(_ code: UnitCode) -> String {
        Self.unitName(code, places)
    }

    static func unitName(_ code: UnitCode, _ places: PlaceCatalog) -> String {
        places.unit(code) == nil ? code.name : places.title(of: code)
    }

    /// The heading and totals, as key/value pairs (amounts grouped).
    public var summary: [(String, String)] { summary(in: .english) }

    /// The heading and totals for people reading `format`'s language (keys are the renderer's to write).
    public func summary(in format: LocaleFormatter) -> [(String, String)] {
        let grouped: (VND) -> String = format.amountCell
        return [
            ("beneficiary", beneficiaryID + (name.map { " — \($0)" } ?? "")),
            ("district", district.map(unitName) ?? "-"),
            ("approved", grouped(totals.approved)), ("paid (net of reversals)", grouped(totals.paid)),
            ("reversed", grouped(totals.reversed)), ("released", grouped(totals.released)),
            ("still payable", grouped(totals.payable)), ("loan principal", grouped(totals.loanPrincipal)),
            ("principal repaid", grouped(totals.principalRepaid)), ("interest repaid", grouped(totals.interestRepaid)),
            ("outstanding principal", grouped(totals.outstanding)),
        ]
    }

    public var csv: String {
        ReportCSV.text(
            header: ["position", "recorded_at", "business_date", "event", "application_id", "loan_id", "program", "amount_vnd",
                     "payable_vnd", "outstanding_vnd", "detail"],
            rows: lines.map { line in
                [String(line.position), VietnamTime.rfc3339(microsecondsSinceEpoch: line.recordedAtMicroseconds),
                 line.businessDate?.description ?? "", line.event, line.applicationID ?? "", line.loanID ?? "", line.program ?? "",
                 line.amount.map(Cell.exact) ?? "", Cell.exact(line.payable), Cell.exact(line.outstanding), line.detail ?? ""]
            }
        )
    }

    public var document: Document { Document(statement: self) }

    public struct Document: Encodable, Sendable {
        let statement: BeneficiaryStatement

        enum CodingKeys: String, CodingKey { case beneficiaryID = "beneficiary_id", name, district, lines, totals }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(statement.beneficiaryID, forKey: .beneficiaryID)
            try container.encode(statement.name, forKey: .name)
            try container.encode(statement.district?.code, forKey: .district)
            try container.encode(statement.lines, forKey: .lines)
            try container.encode(statement.totals, forKey: .totals)
        }
    }
}
