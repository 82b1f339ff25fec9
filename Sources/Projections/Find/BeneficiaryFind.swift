import Foundation
import Ledger
import Postgres

/// A beneficiary as `ledger beneficiary show` and `search` show it (as registered and amended).
public struct BeneficiaryRow: Sendable, Codable, Equatable {
    public let beneficiaryID: String
    public let kind: String
    public let name: String
    public let unit: String
    public let categories: [String]
    public let bankAccount: String?
    /// Whether a national id is on record (its fingerprint is never shown).
    public let hasNationalID: Bool
    public let registeredBy: String
    public let registeredAt: String
    public let registeredOn: String?
    public let amendments: Int
    public let lastAmendedOn: String?
    public let lastAmendedBy: String?

    enum CodingKeys: String, CodingKey {
        case beneficiaryID = "beneficiary_id", kind, name, unit, categories, bankAccount = "bank_account", hasNationalID = "national_id_on_record"
        case registeredBy = "registered_by", registeredAt = "registered_at", registeredOn = "registered_on", amendments, lastAmendedOn = "last_amended_on"
        case lastAmendedBy = "last_amended_by"
    }
}

/// `ledger beneficiary search` filters, combined with AND.
public struct BeneficiaryFilter: Sendable, Equatable {
    /// Folded by `NameFolding`; matches a name containing it at the start of a word.
    public var name: String?
    /// The national id's fingerprint.
    public var nationalIDFingerprint: String?
    /// A unit (district) code.
    public var unit: String?

    public init(name: String? = nil, nationalIDFingerprint: String? = nil, unit: String? = nil) {
        self.name = name
        self.nationalIDFingerprint = nationalIDFingerprint
        self.unit = unit
    }
}

/// An application of a beneficiary, in `beneficiary show`.
public struct BeneficiaryApplicationRow: Sendable, Codable, Equatable {
    public let applicationID: String
    public let program: String
    public let fiscalYear: Int
    public let status: String
    public let requestedVND: Int64
    public let approvedVND: Int64
    public let paidVND: Int64
    public let submittedOn: String

    enum CodingKeys: String, CodingKey {
        case applicationID = "application_id", program, fiscalYear = "fiscal_year", status, requestedVND = "requested_vnd"
        case approvedVND = "approved_vnd", paidVND = "paid_vnd", submittedOn = "submitted_on"
    }
}

/// `ledger beneficiary show ID`.
public struct BeneficiaryDetail: Sendable, Codable, Equatable {
    public let beneficiary: BeneficiaryRow
    public let applications: [BeneficiaryApplicationRow]
    public let behind: [ReadModelBehind]

    enum CodingKeys: String, CodingKey {
        case beneficiary, applications, behind = "read_models_behind"
    }
}

public enum BeneficiaryFind {
    static let columns = """
        b.beneficiary_id, b.kind, b.name, b.unit, b.categories::text, b.bank_account, b.national_id_fingerprint IS NOT NULL,
        b.registered_by, b.registered_at, b.amendments, b.last_amended_on::text, b.last_amended_by, b.registered_on::text
        """

    static func row(_ row: PostgresRow) throws -> BeneficiaryRow {
        BeneficiaryRow(
            beneficiaryID: try row.string(0), kind: try row.string(1), name: try row.string(2), unit: try row.string(3),
            categories: try JSONDecoder().decode([String].self, from: Data(try row.string(4).utf8)), bankAccount: try row.optionalString(5),
            hasNationalID: try row.bool(6), registeredBy: try row.string(7), registeredAt: try row.timestampText(8),
            registeredOn: try row.optionalDateText(12), amendments: try row.int(9), lastAmendedOn: try row.optionalDateText(10),
            lastAmendedBy: try row.optionalString(11)
        )
    }

    /// Beneficiaries matching `filter`, by folded name then id, at most `limit`. The name matches
    /// when the folded name has the folded search text at the start of a word (`van an` finds
    /// Nguyễn Văn An and Nguyễn Văn Anh, not Trần Thị Lan).
    public static func search(
        _ filter: BeneficiaryFilter, limit: Int, _ connection: PostgresConnection
    ) async throws -> FoundRows<BeneficiaryRow> {
        let limit = try Find.checkedLimit(limit)
        let folded = filter.name.map(NameFolding.fold)
        if let folded, folded.isEmpty {
            throw DomainError.invalidInput(field: "--name", problem: "has no letter or digit to search for")
        }
        let parameters: [any PostgresEncodable] = [folded, filter.nationalIDFingerprint, filter.unit]
        let condition = """
            ($1::text IS NULL OR b.name_folded LIKE $1 || '%' OR b.name_folded LIKE '% ' || $1 || '%')
            AND ($2::text IS NULL OR b.national_id_fingerprint = $2) AND ($3::text IS NULL OR b.unit = $3)
            """
        return try await Find.snapshot(connection) { connection in
            let behind = try Find.behind([BeneficiariesProjection.name], connection)
            let rows = try connection.query("""
                SELECT \(columns) FROM ledger_read.beneficiaries b WHERE \(condition)
                ORDER BY b.name_folded, b.beneficiary_id LIMIT $4
                """, parameters + [limit], decode: row)
            let matching = rows.count < limit ? Int64(rows.count) : try connection.queryOne(
                "SELECT count(*) FROM ledger_read.beneficiaries b WHERE \(condition)", parameters
            ) { try $0.int64(0) }
            return FoundRows(rows: rows, matching: matching, limit: limit, behind: behind)
        }
    }

    /// The beneficiary `id` with its applications; nil when the read model has no such beneficiary.
    public static func show(_ id: String, _ connection: PostgresConnection) async throws -> BeneficiaryDetail? {
        try await Find.snapshot(connection) { connection in
            let behind = try Find.behind([BeneficiariesProjection.name, ApplicationsProjection.name], connection)
            guard let beneficiary = try connection.query(
                "SELECT \(columns) FROM ledger_read.beneficiaries b WHERE b.beneficiary_id = $1", [id], decode: row
            ).first else {
                if let warning = behind.compactMap(\.warning).first {
                    throw FindError("no beneficiary \(id) in the read models; \(warning)")
                }
                return nil
            }
            let applications = try connection.query("""
                SELECT application_id, program, fiscal_year, status, requested_vnd, approved_vnd, paid_vnd, submitted_on::text
                FROM ledger_read.applications WHERE beneficiary_id = $1 ORDER BY submitted_on, application_id
                """, [id]) { row in
                BeneficiaryApplicationRow(
                    applicationID: try row.string(0), program: try row.string(1), fiscalYear: try row.int(2), status: try row.string(3),
                    requestedVND: try row.int64(4), approvedVND: try row.int64(5), paidVND: try row.int64(6), submittedOn: try row.string(7)
                )
            }
            return BeneficiaryDetail(beneficiary: beneficiary, applications: applications, behind: behind)
        }
    }
}

/// `ledger payment list` filters, combined with AND.
public struct PaymentFilter: Sendable, Equatable {
    public var applicationID: String?
    public var beneficiaryID: String?
    public var paidFrom: LocalDate?
    public var paidTo: LocalDate?
    public var method: PaymentMethod?

    public init(applicationID: String? = nil, beneficiaryID: String? = nil, paidFrom: LocalDate? = nil, paidTo: LocalDate? = nil,
                method: PaymentMethod? = nil) {
        self.applicationID = applicationID
        self.beneficiaryID = beneficiaryID
        self.paidFrom = paidFrom
        self.paidTo = paidTo
        self.method = method
    }
}

/// A payment as `ledger payment list` shows it.
public struct PaymentRow: Sendable, Codable, Equatable {
    public let paymentID: String
    public let applicationID: String
    public let beneficiaryID: String
    public let program: String
    public let unit: String
    public let amountVND: Int64
    public let paidOn: String
    public let method: String
    public let voucher: String
    public let recordedBy: String
    public let recordedAt: String
    public let reversedOn: String?
    public let reversalReason: String?
    public let reversedBy: String?

    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id", applicationID = "application_id", beneficiaryID = "beneficiary_id", program, unit
        case amountVND = "amount_vnd", paidOn = "paid_on", method, voucher, recordedBy = "recorded_by", recordedAt = "recorded_at"
        case reversedOn = "reversed_on", reversalReason = "reversal_reason", reversedBy = "reversed_by"
    }
}

public enum PaymentFind {
    /// Payments matching `filter`, by business date paid then payment id, at most `limit`.
    public static func list(_ filter: PaymentFilter, limit: Int, _ connection: PostgresConnection) async throws -> FoundRows<PaymentRow> {
        let limit = try Find.checkedLimit(limit)
        let parameters: [any PostgresEncodable] = [
            filter.applicationID, filter.beneficiaryID, filter.paidFrom?.description, filter.paidTo?.description, filter.method?.rawValue,
        ]
        let condition = """
            ($1::text IS NULL OR p.application_id = $1) AND ($2::text IS NULL OR p.beneficiary_id = $2)
            AND ($3::date IS NULL OR p.paid_on >= $3) AND ($4::date IS NULL OR p.paid_on <= $4) AND ($5::text IS NULL OR p.method = $5)
            """
        return try await Find.snapshot(connection) { connection in
            let behind = try Find.behind([PaymentsProjection.name], connection)
            let rows = try connection.query("""
                SELECT p.payment_id, p.application_id, p.beneficiary_id, p.program, p.unit, p.amount_vnd, p.paid_on::text, p.method,
                       p.voucher, p.recorded_by, p.recorded_at, p.reversed_on::text, p.reversal_reason, p.reversed_by
                FROM ledger_read.payments p WHERE \(condition)
                ORDER BY p.paid_on, p.payment_id LIMIT $6
                """, parameters + [limit]) { row in
                PaymentRow(
                    paymentID: try row.string(0), applicationID: try row.string(1), beneficiaryID: try row.string(2), program: try row.string(3),
                    unit: try row.string(4), amountVND: try row.int64(5), paidOn: try row.string(6), method: try row.string(7),
                    voucher: try row.string(8), recordedBy: try row.string(9), recordedAt: try row.timestampText(10),
                    reversedOn: try row.optionalDateText(11), reversalReason: try row.optionalString(12), reversedBy: try row.optionalString(13)
                )
            }
            let matching = rows.count < limit ? Int64(rows.count) : try connection.queryOne(
                "SELECT count(*) FROM ledger_read.payments p WHERE \(condition)", parameters
            ) { try $0.int64(0) }
            return FoundRows(rows: rows, matching: matching, limit: limit, behind: behind)
        }
    }
}

/// A login role of the ledger as `ledger user list` shows it.
public struct UserRow: Sendable, Codable, Equatable {
    public let name: String
    /// officer, approver, auditor, admin (writer for service accounts), each group it is in.
    public let roles: [String]
    /// LOGIN, and not past VALID UNTIL.
    public let mayLogIn: Bool
    public let validUntil: String?

    enum CodingKeys: String, CodingKey {
        case name, roles, mayLogIn = "may_log_in", validUntil = "valid_until"
    }
}

public enum UserFind {
    /// The groups whose members are the ledger's people and service accounts.
    static let groups = ["ledger_officer", "ledger_approver", "ledger_auditor", "ledger_admin", "ledger_writer"]

    /// Every role directly in one of the ledger's groups (the groups themselves left out), by name.
    /// From the catalog (pg_roles, pg_auth_members), which every role may read: never behind.
    public static func list(limit: Int, _ connection: PostgresConnection) async throws -> FoundRows<UserRow> {
        let limit = try Find.checkedLimit(limit)
        return try await Find.snapshot(connection) { connection in
            let all = try connection.query("""
                SELECT r.rolname::text, r.rolcanlogin AND (r.rolvaliduntil IS NULL OR r.rolvaliduntil > now()),
                       r.rolvaliduntil::text,
                       array_to_json(ARRAY(SELECT substring(g.rolname FROM 8) FROM pg_catalog.pg_auth_members m
                                           JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                                           WHERE m.member = r.oid AND g.rolname = ANY($1::text[])
                                           ORDER BY array_position($1::text[], g.rolname::text)))::text
                FROM pg_catalog.pg_roles r
                WHERE NOT (r.rolname = ANY($1::text[])) AND r.rolname <> 'ledger_owner'
                  AND EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                              WHERE m.member = r.oid AND g.rolname = ANY($1::text[]))
                ORDER BY r.rolname
                """, [PostgresValue.textArray(groups)]) { row in
                UserRow(
                    name: try row.string(0), roles: try JSONDecoder().decode([String].self, from: Data(try row.string(3).utf8)),
                    mayLogIn: try row.bool(1), validUntil: try row.optionalString(2)
                )
            }
            return FoundRows(rows: Array(all.prefix(limit)), matching: Int64(all.count), limit: limit, behind: [])
        }
    }
}
