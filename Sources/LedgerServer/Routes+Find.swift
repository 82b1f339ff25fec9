import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres
import Projections

/// Lists and shows: `ledger application list|show`, `beneficiary search|show`, `payment list`,
/// `user list` and `projections status` over HTTP. The JSON is the CLI's `--format json` of the
/// same value, with `warnings` (the lines the CLI prints on stderr: read models behind the log,
/// more rows than shown).
extension LedgerServer {
    func addFindRoutes(to router: Router<LedgerRequestContext>) {
        router.get("/api/v1/applications") { request, context in
            try await self.read(
                request, context, allowed: ["status", "program", "unit", "district", "year", "beneficiary_id", "submitted_by", "limit"]
            ) { query, session in
                var filter = ApplicationFilter()
                filter.status = try query.choice("status", ApplicationStatus.allCases.map(\.rawValue)).flatMap(ApplicationStatus.init(rawValue:))
                filter.program = try query.identifier("program")
                filter.fiscalYear = try query.year()
                filter.beneficiaryID = try query.identifier("beneficiary_id")
                filter.submittedBy = try query.string("submitted_by")
                let limit = try query.limit()
                if let unit = try query.unit() {
                    let places = try await session.service.places()
                    filter.unit = try QueryParameters.checked(unit.field) {
                        try places.resolve(unit.text, when: filter.fiscalYear.map(PlaceCatalog.When.inYear) ?? .any, field: unit.field).code
                    }
                }
                let found = try await ApplicationFind.list(filter, limit: limit, session.connection)
                return Annotated(found, warnings: found.warnings(noun: "applications"))
            }
        }
        router.get("/api/v1/applications/{id}") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.read(request, context, allowed: []) { _, session in
                _ = try QueryParameters.checked("id") { try Identifier.validated(id, field: "id") }
                guard let detail = try await ApplicationDetail.load(id, session.connection) else {
                    throw Problem.notFound("no application \(id)", field: "id")
                }
                return Annotated(detail, warnings: detail.behind.compactMap(\.warning))
            }
        }

        router.get("/api/v1/beneficiaries") { request, context in
            try await self.read(request, context, allowed: ["name", "national_id", "unit", "district", "limit"]) { query, session in
                let unit = try query.unit()
                return try await Self.searchBeneficiaries(
                    name: try query.string("name"), nationalID: try query.string("national_id"), unit: unit, limit: try query.limit(), session
                )
            }
        }
        // The same search with the filters in a JSON body, so a national id need not travel in a
        // URL (where proxies' access logs and browsers' histories keep it).
        router.post("/api/v1/beneficiaries/search") { request, context in
            try await self.withSession(request, context) { session in
                _ = try QueryParameters(request, allowed: [])
                let body = try await JSONBody.read(request, allowed: ["name", "national_id", "unit", "district", "limit"])
                let unit = try body.optionalString("unit"), district = try body.optionalString("district")
                if unit != nil, district != nil {
                    throw Problem.badRequest(field: "unit", "unit: give unit or its alias district, not both")
                }
                let limit = try body.optionalInteger("limit") ?? Int64(Find.defaultLimit)
                guard (1...Int64(Find.maximumLimit)).contains(limit) else {
                    throw Problem.badRequest(field: "limit", "limit: \(limit) must be between 1 and \(Find.maximumLimit)")
                }
                let found = try await Self.readProblems {
                    try await Self.searchBeneficiaries(
                        name: try body.optionalString("name"), nationalID: try body.optionalString("national_id"),
                        unit: unit.map { ($0, "unit") } ?? district.map { ($0, "district") }, limit: Int(limit), session
                    )
                }
                return try JSONResponse.make(.ok, found, user: session.user)
            }
        }
        router.get("/api/v1/beneficiaries/{id}") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.read(request, context, allowed: []) { _, session in
                _ = try QueryParameters.checked("id") { try Identifier.validated(id, field: "id") }
                guard let detail = try await BeneficiaryFind.show(id, session.connection) else {
                    throw Problem.notFound("no beneficiary \(id)", field: "id")
                }
                return Annotated(detail, warnings: detail.behind.compactMap(\.warning))
            }
        }

        router.get("/api/v1/payments") { request, context in
            try await self.read(
                request, context, allowed: ["application_id", "beneficiary_id", "paid_from", "paid_to", "method", "limit"]
            ) { query, session in
                let filter = PaymentFilter(
                    applicationID: try query.identifier("application_id"), beneficiaryID: try query.identifier("beneficiary_id"),
                    paidFrom: try query.date("paid_from"), paidTo: try query.date("paid_to"),
                    method: try query.choice("method", PaymentMethod.allCases.map(\.rawValue)).flatMap(PaymentMethod.init(rawValue:))
                )
                if let from = filter.paidFrom, let to = filter.paidTo, to < from {
                    throw Problem.badRequest(field: "paid_to", "paid_to: \(to) is before paid_from \(from)")
                }
                let found = try await PaymentFind.list(filter, limit: try query.limit(), session.connection)
                return Annotated(found, warnings: found.warnings(noun: "payments"))
            }
        }
        router.get("/api/v1/payments/{id}") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.read(request, context, allowed: []) { _, session in
                _ = try QueryParameters.checked("id") { try Identifier.validated(id, field: "id") }
                return try await PaymentShow.load(id, session.connection)
            }
        }

        router.get("/api/v1/users") { request, context in
            try await self.read(request, context, allowed: ["limit"]) { query, session in
                let found = try await UserFind.list(limit: try query.limit(), session.connection)
                return Annotated(found, warnings: found.warnings(noun: "users"))
            }
        }

        router.get("/api/v1/projections") { request, context in
            try await self.read(request, context, allowed: []) { _, session in
                try await ProjectionStatus.all(session.connection).map(ProjectionStatusReport.init)
            }
        }
    }
}

extension LedgerServer {
    /// `ledger beneficiary search`: by name (folded), national id (matched by its fingerprint,
    /// which the database computes; the id is never stored or shown) and unit.
    static func searchBeneficiaries(
        name: String?, nationalID: String?, unit: (text: String, field: String)?, limit: Int, _ session: Session
    ) async throws -> Annotated<FoundRows<BeneficiaryRow>> {
        var filter = BeneficiaryFilter(name: name)
        if let name, NameFolding.fold(name).isEmpty {
            throw Problem.badRequest(field: "name", "name: has no letter or digit to search for")
        }
        let parsedID = try nationalID.map { text in
            try QueryParameters.checked("national_id") { try NationalID(parsing: text, field: "national_id") }
        }
        if let unit {
            let places = try await session.service.places()
            filter.unit = try QueryParameters.checked(unit.field) { try places.resolve(unit.text, when: .any, field: unit.field).code }
        }
        if let parsedID {
            filter.nationalIDFingerprint = try await session.service.fingerprint(parsedID)
        }
        let found = try await BeneficiaryFind.search(filter, limit: limit, session.connection)
        return Annotated(found, warnings: found.warnings(noun: "beneficiaries"))
    }
}

/// One payment: the payments read model's row (as `ledger payment list` shows it), with how far
/// the read model is behind the log.
struct PaymentShow: Encodable, Sendable {
    let payment: PaymentDocument
    let behind: [ReadModelBehind]

    enum CodingKeys: String, CodingKey {
        case payment, behind = "read_models_behind", warnings
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(payment, forKey: .payment)
        try container.encode(behind.filter { $0.events > 0 }, forKey: .behind)
        try container.encode(behind.compactMap(\.warning), forKey: .warnings)
    }

    /// The payment `id`, read with the read model's checkpoint in one snapshot; 404 when the read
    /// model has no such payment (saying so when it is behind the log).
    static func load(_ id: String, _ connection: PostgresConnection) async throws -> PaymentShow {
        let (rows, behind) = try await ReadSnapshot.run(connection, projections: [PaymentsProjection.name]) { connection in
            try connection.query("""
                SELECT p.payment_id, p.application_id, p.beneficiary_id, p.program, p.unit, p.amount_vnd, p.paid_on::text, p.method,
                       p.voucher, p.recorded_by, p.recorded_at, p.reversed_on::text, p.reversal_reason, p.reversed_by
                FROM ledger_read.payments p WHERE p.payment_id = $1
                """, [id]) { row in
                PaymentDocument(
                    paymentID: try row.string(0), applicationID: try row.string(1), beneficiaryID: try row.string(2), program: try row.string(3),
                    unit: try row.string(4), amountVND: try row.int64(5), paidOn: try row.string(6), method: try row.string(7),
                    voucher: try row.string(8), recordedBy: try row.string(9),
                    recordedAt: VietnamTime.rfc3339(microsecondsSinceEpoch: try row.timestampMicroseconds(10)),
                    reversedOn: row.isNull(11) ? nil : try row.string(11), reversalReason: try row.optionalString(12),
                    reversedBy: try row.optionalString(13)
                )
            }
        }
        guard let payment = rows.first else {
            if let warning = behind.compactMap(\.warning).first {
                throw Problem.notFound("no payment \(id) in the read models; \(warning)", field: "id")
            }
            throw Problem.notFound("no payment \(id)", field: "id")
        }
        return PaymentShow(payment: payment, behind: behind)
    }
}

/// A payment as `ledger payment list --format json` shows each row (`PaymentRow`'s JSON).
struct PaymentDocument: Encodable, Sendable {
    let paymentID: String
    let applicationID: String
    let beneficiaryID: String
    let program: String
    let unit: String
    let amountVND: Int64
    let paidOn: String
    let method: String
    let voucher: String
    let recordedBy: String
    let recordedAt: String
    let reversedOn: String?
    let reversalReason: String?
    let reversedBy: String?

    enum CodingKeys: String, CodingKey {
        case paymentID = "payment_id", applicationID = "application_id", beneficiaryID = "beneficiary_id", program, unit
        case amountVND = "amount_vnd", paidOn = "paid_on", method, voucher, recordedBy = "recorded_by", recordedAt = "recorded_at"
        case reversedOn = "reversed_on", reversalReason = "reversal_reason", reversedBy = "reversed_by"
    }
}

/// Reads of the read models in one read-only snapshot with the checkpoints they reflect (as the
/// find commands read them).
enum ReadSnapshot {
    static func run<T: Sendable>(
        _ connection: PostgresConnection, projections: [String], _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> (T, [ReadModelBehind]) {
        do {
            return try await connection.transaction(isolation: .repeatableRead) { connection in
                try connection.simpleQuery("SET TRANSACTION READ ONLY")
                let behind = try Find.behind(projections, connection)
                return (try body(connection), behind)
            }
        } catch let error as PostgresError where error.code == .undefinedTable {
            let advice = ReadModelAdvice.run(
                "`ledger migrate`, then `ledger projections run`", readerIsAdmin: await ReadModelAdvice.readerIsAdmin(connection)
            )
            throw Problem(.serviceUnavailable, code: "read_model_unavailable", title: "The read models are not ready",
                          detail: "a read model is missing: \(advice)", retryAfter: 60)
        }
    }

    /// A report's `ReadModelLag` with the time the oldest event not yet folded waits and where the
    /// projection stalled, if it did.
    static func behind(_ lag: ReadModelLag, _ connection: PostgresConnection) async throws -> ReadModelBehind {
        guard lag.events > 0 else {
            return ReadModelBehind(projection: lag.projection, position: lag.position, headPosition: lag.headPosition, lagMicroseconds: 0, stalledAt: nil,
                                   readerIsAdmin: lag.readerIsAdmin)
        }
        let (micros, stalled) = try await connection.queryOne("""
            SELECT coalesce((SELECT (extract(epoch FROM now() - e.recorded_at) * 1000000)::bigint
                             FROM ledger.events e WHERE e.position = $2 + 1), 0),
                   (SELECT stalled_at FROM ledger_read.checkpoints WHERE projection = $1)
            """, [lag.projection, lag.position]) { row in (try row.int64(0), row.isNull(1) ? nil : try row.int64(1)) }
        return ReadModelBehind(projection: lag.projection, position: lag.position, headPosition: lag.headPosition,
                               lagMicroseconds: max(0, micros), stalledAt: stalled, readerIsAdmin: lag.readerIsAdmin)
    }
}

