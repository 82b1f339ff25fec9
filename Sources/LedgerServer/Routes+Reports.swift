import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres
import Projections

/// `ledger report budget|beneficiary|loans` over HTTP: the same library calls, the same JSON
/// (`--format json`), with `read_models_behind` and `warnings` (what the CLI prints on stderr).
extension LedgerServer {
    func addReportRoutes(to router: Router<LedgerRequestContext>) {
        // Without as_of: the budget_usage read model. With as_of: the log folded by business date.
        router.get("/api/v1/reports/budget") { request, context in
            try await self.read(
                request, context, allowed: ["program", "year", "unit", "district", "as_of", "with_successors"]
            ) { query, session in
                let asOf = try query.date("as_of")
                let year = try query.year()
                let program = try query.identifier("program")
                let withSuccessors = try query.bool("with_successors")
                let unit = try query.unit()
                let places = try await session.service.places()
                var filter = BudgetReportFilter(
                    fiscalYear: year, program: program,
                    units: try unit.map { unit in try QueryParameters.checked(unit.field) { try places.filter(unit.text, year: year, field: unit.field) } }
                )
                if withSuccessors, let units = filter.units {
                    // An old district's successors are shown beside it, so they pass the unit filter too.
                    filter.units = units.union(units.flatMap { places.successors(of: $0).map(\.code) })
                }
                var report: BudgetReport
                var behind: [ReadModelBehind]? = nil
                var warnings: [String] = []
                if let asOf {
                    report = try await BudgetReport.asOfBusinessDate(asOf, EventStore(connection: session.connection), filter: filter)
                    warnings += report.skipped.map { "left out \($0.description)" }
                } else {
                    let (fromTable, lag) = try await BudgetReport.fromReadModel(session.connection, filter: filter)
                    report = fromTable
                    behind = [try await ReadSnapshot.behind(lag, session.connection)]
                    warnings += [lag.warning].compactMap { $0 }
                }
                report.places = places
                report.withSuccessors = withSuccessors
                return Annotated(report.document, behind: behind, warnings: warnings)
            }
        }

        // The statement: the beneficiary's streams folded; with as_of, only commands dated by then.
        router.get("/api/v1/reports/beneficiaries/{id}") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.read(request, context, allowed: ["as_of"]) { query, session in
                let asOf = try query.date("as_of")
                let beneficiaryID = try QueryParameters.checked("id") { try Identifier.validated(id, field: "id") }
                let places = try await session.service.places()
                let statement: BeneficiaryStatement
                do {
                    if let asOf {
                        statement = try await Self.statement(beneficiaryID, asOf: asOf, session.connection, places: places)
                    } else {
                        statement = try await BeneficiaryStatement.load(beneficiaryID, session.connection, places: places)
                    }
                } catch let error as DomainError where error.code == .unknownBeneficiary {
                    throw Problem(.notFound, code: "unknown_beneficiary", title: "Not found", detail: error.message, field: "id")
                }
                return Annotated(
                    StatementDocument(statement: statement, asOf: asOf),
                    warnings: statement.skipped.map { "left out \($0.description)" }
                )
            }
        }

        // The loan book as of a date (default today), through the domain's LoanPosition.
        router.get("/api/v1/reports/loans") { request, context in
            try await self.read(request, context, allowed: ["as_of", "overdue"]) { query, session in
                let given = try query.date("as_of")
                let overdue = try query.bool("overdue")
                var (report, lag) = try await LoanReport.load(asOf: given ?? LocalDate.today(), overdueOnly: overdue, session.connection)
                report.asOfIsToday = given == nil
                let behind = try await ReadSnapshot.behind(lag, session.connection)
                return Annotated(
                    report.document, behind: [behind],
                    warnings: [lag.warning].compactMap { $0 } + report.skipped.map { "left out \($0)" }
                )
            }
        }
    }

    /// The statement as of `asOf`: the beneficiary's events as `BeneficiaryStatement.load` reads
    /// them, without the commands dated after `asOf` (a command's date is the latest business
    /// date its events state: `paid_on`, `decided_on`, …; a registration is always kept).
    static func statement(
        _ beneficiaryID: String, asOf: LocalDate, _ connection: PostgresConnection, places: PlaceCatalog
    ) async throws -> BeneficiaryStatement {
        let streams = try await connection.query("""
            SELECT DISTINCT stream_id FROM ledger.events
            WHERE event_type IN ('ApplicationSubmitted', 'LoanDisbursed') AND payload ->> 'beneficiary_id' = $1
            """, [beneficiaryID]) { try $0.string(0) }
        let events = try await EventStore(connection: connection).readEvents(
            ofStreams: ([Streams.beneficiary(beneficiaryID)] + streams).map { StreamID($0) }
        )
        guard !events.isEmpty else {
            throw DomainError(.unknownBeneficiary, "there is no beneficiary \(beneficiaryID)", field: "id")
        }
        var commandDates: [String: String] = [:]
        for event in events {
            guard let date = businessDate(event.payloadJSON) else { continue }
            if let known = commandDates[event.commandID], known >= date { continue }
            commandDates[event.commandID] = date
        }
        let cutoff = asOf.description
        let kept = events.filter { event in commandDates[event.commandID].map { $0 <= cutoff } ?? true }
        return try BeneficiaryStatement(beneficiaryID: beneficiaryID, events: kept, places: places)
    }

    /// Business-date fields of the domain's events (`YYYY-MM-DD` compares as text). A registration
    /// counts as dateless, as on the statement's own lines: it is kept whatever `as_of` says.
    static let businessDateFields = [
        "paid_on", "reversed_on", "disbursed_on", "decided_on", "withdrawn_on", "closed_on", "written_off_on",
        "settled_on", "submitted_on", "amended_on",
    ]

    static func businessDate(_ payloadJSON: String) -> String? {
        guard let payload = (try? JSONSerialization.jsonObject(with: Data(payloadJSON.utf8))) as? [String: Any] else { return nil }
        return businessDateFields.compactMap { payload[$0] as? String }.max()
    }
}

/// `report beneficiary --format json`, with the date it was taken as of (`as_of`, null for all).
struct StatementDocument: Encodable, Sendable {
    let statement: BeneficiaryStatement
    let asOf: LocalDate?

    func encode(to encoder: any Encoder) throws {
        try statement.document.encode(to: encoder)
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(asOf?.description, forKey: DynamicKey("as_of"))
    }
}
