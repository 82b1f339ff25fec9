import Foundation
import Ledger
import Postgres

/// `ledger application list` filters (nil: any). Combined with AND.
public struct ApplicationFilter: Sendable, Equatable {
    public var status: ApplicationStatus?
    public var program: String?
    /// A unit (district) code.
    public var unit: String?
    public var fiscalYear: Int?
    public var beneficiaryID: String?
    /// The login role that submitted.
    public var submittedBy: String?

    public init(status: ApplicationStatus? = nil, program: String? = nil, unit: String? = nil, fiscalYear: Int? = nil,
                beneficiaryID: String? = nil, submittedBy: String? = nil) {
        self.status = status
        self.program = program
        self.unit = unit
        self.fiscalYear = fiscalYear
        self.beneficiaryID = beneficiaryID
        self.submittedBy = submittedBy
    }
}

/// One application as `ledger application list` shows it.
public struct ApplicationListRow: Sendable, Codable, Equatable {
    public let applicationID: String
    public let beneficiaryID: String
    public let program: String
    public let unit: String
    public let fiscalYear: Int
    public let status: String
    public let requestedVND: Int64
    public let approvedVND: Int64
    /// Net of reversals (as the applications read model).
    public let paidVND: Int64
    public let remainingPayableVND: Int64
    public let submittedBy: String
    public let submittedOn: String
    public let submittedAt: String
    public let decidedBy: String?
    public let decidedOn: String?
    /// What approvals may still reserve in the application's budget (programme × fiscal year × unit);
    /// nil when no budget was ever allocated there.
    public let budgetAvailableVND: Int64?
    /// Whether the caller may approve or reject it now (submitted, the caller an approver, and not
    /// the one who submitted it: four eyes); nil unless submitted.
    public let youMayDecide: Bool?
    /// Why not, when `youMayDecide` is false.
    public let whyNot: String?
    /// `whyNot` as a template, for `--locale vi` (not encoded).
    public var whyNotMessage: Message? = nil

    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", beneficiaryID = "beneficiary_id", program, unit, fiscalYear = "fiscal_year", status
        case requestedVND = "requested_vnd", approvedVND = "approved_vnd", paidVND = "paid_vnd"
        case remainingPayableVND = "remaining_payable_vnd", submittedBy = "submitted_by", submittedOn = "submitted_on"
        case submittedAt = "submitted_at", decidedBy = "decided_by", decidedOn = "decided_on"
        case budgetAvailableVND = "budget_available_vnd", youMayDecide = "you_may_decide", whyNot = "why_not"
    }

    /// Four eyes as the domain defines it (`ApplicationDecisions.requireFourEyes`): the role
    /// deciding is not the role that submitted; and only approvers decide.
    static func mayDecide(status: String, submittedBy: String, caller: Find.Caller) -> (Bool?, Message?) {
        guard status == ApplicationStatus.submitted.rawValue else { return (nil, nil) }
        if submittedBy == caller.role { return (false, Message("you submitted it (four eyes: another approver decides)")) }
        if !caller.isApprover { return (false, Message("{0} is not an approver", .text(caller.role))) }
        return (true, nil)
    }
}

public enum ApplicationFind {
    /// The read models a list reads.
    static let listProjections = [ApplicationsProjection.name, BudgetUsageProjection.name]

    static let listColumns = """
        a.application_id, a.beneficiary_id, a.program, a.district, a.fiscal_year, a.status, a.requested_vnd, a.approved_vnd,
        a.paid_vnd, a.remaining_payable_vnd, a.submitted_by, a.submitted_on::text, a.submitted_at, a.decided_by, a.decided_on::text,
        u.available_vnd
        """

    static func listRow(_ row: PostgresRow, caller: Find.Caller) throws -> ApplicationListRow {
        let status = try row.string(5), submittedBy = try row.string(10)
        let (may, why) = ApplicationListRow.mayDecide(status: status, submittedBy: submittedBy, caller: caller)
        var listRow = ApplicationListRow(
            applicationID: try row.string(0), beneficiaryID: try row.string(1), program: try row.string(2), unit: try row.string(3),
            fiscalYear: try row.int(4), status: status, requestedVND: try row.int64(6), approvedVND: try row.int64(7),
            paidVND: try row.int64(8), remainingPayableVND: try row.int64(9), submittedBy: submittedBy, submittedOn: try row.string(11),
            submittedAt: try row.timestampText(12), decidedBy: try row.optionalString(13), decidedOn: try row.optionalDateText(14),
            budgetAvailableVND: try row.optionalInt64(15), youMayDecide: may, whyNot: why?.description
        )
        listRow.whyNotMessage = why
        return listRow
    }

    /// Applications matching `filter`, oldest submission first (business date submitted, then
    /// application id), at most `limit`.
    public static func list(
        _ filter: ApplicationFilter, limit: Int, _ connection: PostgresConnection
    ) async throws -> FoundRows<ApplicationListRow> {
        let limit = try Find.checkedLimit(limit)
        return try await Find.snapshot(connection) { connection in
            let caller = try Find.caller(connection)
            let behind = try Find.behind(listProjections, connection)
            var matching: Int64 = 0
            let rows = try connection.query("""
                SELECT \(listColumns)
                FROM ledger_read.applications a
                LEFT JOIN ledger_read.budget_usage u
                       ON u.program = a.program AND u.fiscal_year = a.fiscal_year AND u.district = a.district
                WHERE ($1::text IS NULL OR a.status = $1) AND ($2::text IS NULL OR a.program = $2)
                  AND ($3::text IS NULL OR a.district = $3) AND ($4::int IS NULL OR a.fiscal_year = $4)
                  AND ($5::text IS NULL OR a.beneficiary_id = $5) AND ($6::text IS NULL OR a.submitted_by = $6)
                ORDER BY a.submitted_on, a.application_id
                LIMIT $7
                """, [filter.status?.rawValue, filter.program, filter.unit, filter.fiscalYear, filter.beneficiaryID, filter.submittedBy, limit]
            ) { row -> ApplicationListRow in
                try listRow(row, caller: caller)
            }
            matching = Int64(rows.count)
            if rows.count == limit {
                matching = try connection.queryOne("""
                    SELECT count(*) FROM ledger_read.applications a
                    WHERE ($1::text IS NULL OR a.status = $1) AND ($2::text IS NULL OR a.program = $2)
                      AND ($3::text IS NULL OR a.district = $3) AND ($4::int IS NULL OR a.fiscal_year = $4)
                      AND ($5::text IS NULL OR a.beneficiary_id = $5) AND ($6::text IS NULL OR a.submitted_by = $6)
                    """, [filter.status?.rawValue, filter.program, filter.unit, filter.fiscalYear, filter.beneficiaryID, filter.submittedBy]
                ) { try $0.int64(0) }
            }
            return FoundRows(rows: rows, matching: matching, limit: limit, behind: behind)
        }
    }
}

/// One step of an application as `ledger application show` lists it.
public struct ApplicationStepRow: Sendable, Codable, Equatable {
    public let position: Int64
    public let step: String
    public let businessDate: String
    public let amountVND: Int64?
    public let releasedVND: Int64?
    public let reference: String?
    public let detail: String?
    public let recordedBy: String
    public let recordedAt: String

    enum CodingKeys: String, CodingKey {
        case position, step, businessDate = "business_date", amountVND = "amount_vnd", releasedVND = "released_vnd", reference, detail
        case recordedBy = "recorded_by", recordedAt = "recorded_at"
    }
}

/// A loan of an application, from the loan book.
public struct ApplicationLoanRow: Sendable, Codable, Equatable {
    public let loanID: String
    public let status: String
    public let principalVND: Int64
    public let disbursedOn: String
    public let termMonths: Int
    public let maturesOn: String?
    public let principalRepaidVND: Int64
    public let outstandingPrincipalVND: Int64

    enum CodingKeys: String, CodingKey {
        case loanID = "loan_id", status, principalVND = "principal_vnd", disbursedOn = "disbursed_on", termMonths = "term_months"
        case maturesOn = "matures_on", principalRepaidVND = "principal_repaid_vnd", outstandingPrincipalVND = "outstanding_principal_vnd"
    }
}

/// `ledger application show ID`.
public struct ApplicationDetail: Sendable, Codable, Equatable {
    public let application: ApplicationListRow
    public let reversedVND: Int64
    public let loanPrincipalVND: Int64
    public let releasedVND: Int64
    public let payments: Int
    public let decisionReference: String?
    public let rejectionReason: String?
    public let withdrawnOn: String?
    public let closedOn: String?
    public let steps: [ApplicationStepRow]
    public let loans: [ApplicationLoanRow]
    public let behind: [ReadModelBehind]

    enum CodingKeys: String, CodingKey {
        case application, reversedVND = "reversed_vnd", loanPrincipalVND = "loan_principal_vnd", releasedVND = "released_vnd"
        case payments, decisionReference = "decision_reference", rejectionReason = "rejection_reason", withdrawnOn = "withdrawn_on"
        case closedOn = "closed_on", steps, loans, behind = "read_models_behind"
    }

    static let projections = [
        ApplicationsProjection.name, BudgetUsageProjection.name, ApplicationStepsProjection.name, LoanBookProjection.name,
    ]

    /// The application `id` with its steps and loans; nil when the applications read model has no such application.
    public static func load(_ id: String, _ connection: PostgresConnection) async throws -> ApplicationDetail? {
        try await Find.snapshot(connection) { connection in
            let caller = try Find.caller(connection)
            let behind = try Find.behind(projections, connection)
            typealias Extra = (Int64, Int64, Int64, Int, String?, String?, String?, String?)
            let found = try connection.query("""
                SELECT \(ApplicationFind.listColumns), a.reversed_vnd, a.loan_principal_vnd, a.released_vnd, a.payments,
                       a.decision_reference, a.rejection_reason, a.withdrawn_on::text, a.closed_on::text
                FROM ledger_read.applications a
                LEFT JOIN ledger_read.budget_usage u
                       ON u.program = a.program AND u.fiscal_year = a.fiscal_year AND u.district = a.district
                WHERE a.application_id = $1
                """, [id]) { row -> (ApplicationListRow, Extra) in
                (try ApplicationFind.listRow(row, caller: caller),
                 (try row.int64(16), try row.int64(17), try row.int64(18), try row.int(19), try row.optionalString(20),
                  try row.optionalString(21), try row.optionalDateText(22), try row.optionalDateText(23)))
            }
            guard let (application, extra) = found.first else {
                if behind.contains(where: { $0.events > 0 }) {
                    throw FindError("no application \(id) in the read models; \(behind.compactMap(\.warning).first ?? "")")
                }
                return nil
            }
            let steps = try connection.query("""
                SELECT position, step, business_date::text, amount_vnd, released_vnd, reference, detail, recorded_by, recorded_at
                FROM ledger_read.application_steps WHERE application_id = $1 ORDER BY position
                """, [id]) { row in
                ApplicationStepRow(
                    position: try row.int64(0), step: try row.string(1), businessDate: try row.string(2), amountVND: try row.optionalInt64(3),
                    releasedVND: try row.optionalInt64(4), reference: try row.optionalString(5), detail: try row.optionalString(6),
                    recordedBy: try row.string(7), recordedAt: try row.timestampText(8)
                )
            }
            let loans = try connection.query("""
                SELECT loan_id, status, principal_vnd, disbursed_on::text, term_months, matures_on::text, principal_repaid_vnd,
                       outstanding_principal_vnd
                FROM ledger_read.loan_book WHERE application_id = $1 ORDER BY loan_id
                """, [id]) { row in
                ApplicationLoanRow(
                    loanID: try row.string(0), status: try row.string(1), principalVND: try row.int64(2), disbursedOn: try row.string(3),
                    termMonths: try row.int(4), maturesOn: try row.optionalDateText(5), principalRepaidVND: try row.int64(6),
                    outstandingPrincipalVND: try row.int64(7)
                )
            }
            return ApplicationDetail(
                application: application, reversedVND: extra.0, loanPrincipalVND: extra.1, releasedVND: extra.2, payments: extra.3,
                decisionReference: extra.4, rejectionReason: extra.5, withdrawnOn: extra.6, closedOn: extra.7, steps: steps,
                loans: loans, behind: behind
            )
        }
    }
}
