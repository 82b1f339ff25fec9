import ArgumentParser
import Foundation
import Ledger
import Postgres
import Projections

/// What every find command shares: `--format table|json|csv` and `--limit N`.
struct FindOptions: ParsableArguments {
    @Option(help: "Output format: table (amounts grouped), json (one object: rows, matching, more_rows, read_models_behind) or csv (exact integer đồng).")
    var format: ReportFormatOption = .table

    @Option(help: "Show at most N rows (1–100,000). When more match, a line on stderr says how many (never in the JSON or CSV on stdout; JSON also has more_rows).")
    var limit: Int = Find.defaultLimit

    @OptionGroup var csvStyle: CSVStyleOptions

    func validate() throws { try csvStyle.check(format: format.rawValue) }
}

/// Printing for the find commands. Rows go to stdout in the format asked for; how far the read
/// models are behind the log, and "more rows", go to stderr as one line each, in every format
/// (so CSV and JSON on stdout stay exactly rows; JSON also carries both as fields).
enum FindOutput {
    static func notes(_ behind: [ReadModelBehind], command: String) {
        for lag in behind { if let warning = lag.warning { Output.message("\(command): \(warning)") } }
    }

    /// A list: header and cells for the table (grouped amounts) and the CSV (exact).
    static func list<Row>(
        _ found: FoundRows<Row>, noun: String, command: String, format: ReportFormatOption, bom: Bool = false, header: [String],
        table: (Row) -> [String], csv: (Row) -> [String]
    ) throws {
        notes(found.behind, command: command)
        switch format {
        case .table:
            Output.data(Output.table(header, found.rows.map(table)))
            if found.rows.isEmpty { Output.message("\(command): " + Output.text(Message("no \(noun) match"))) }
        case .json: Output.data(try Output.json(found))
        case .csv: Output.csv(ReportCSV.text(header: header, rows: found.rows.map(csv)), bom: bom)
        }
        if let note = found.moreRowsNote(noun) { Output.message("\(command): \(note)") }
    }

    static func amount(_ value: Int64?) -> String { value.map(Output.amount) ?? "-" }
    static func exact(_ value: Int64?) -> String { value.map(String.init) ?? "" }
    static func text(_ value: String?) -> String { value ?? "-" }

    /// A unit given by name (`--unit`, or its alias `--district`), with or without diacritics and
    /// quận/huyện/phường/xã, or by code: the one unit of that name (in force in `year` when given;
    /// `PlaceCatalog.resolve`), so `ninh kieu` in 2024 is the district and in 2026 the ward.
    static func unit(_ unit: String?, district: String?, connection: ConnectionOptions, year: Int? = nil) async throws -> String? {
        guard let (text, field) = try UnitOption.text(unit: unit, district: district) else { return nil }
        let places = try await Recording.service(connection).places()
        return try places.resolve(text, when: year.map(PlaceCatalog.When.inYear) ?? .any, field: field).code
    }

    /// The places of the ledger, to show units by name in tables (json and csv keep the code).
    static func places(_ connection: ConnectionOptions) async throws -> PlaceCatalog {
        try await Recording.service(connection).places()
    }

    /// `quận Ninh Kiều`, `phường Cái Khế`: a unit's code as people read it.
    static func unitTitle(_ code: String, _ places: PlaceCatalog) -> String {
        UnitCode(rawValue: code).map(places.title(of:)) ?? code
    }

    static func identifier(_ text: String?, field: String) throws -> String? {
        try text.map { try Identifier.validated($0, field: field) }
    }
}

extension Application {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List applications; an approver's queue is --status submitted.",
            discussion: """
                From the applications and budget_usage read models (a line on stderr says how far they are behind the log). \
                Filters combine (AND). Ordered by the business date submitted, then application id. Each row shows the budget \
                still available for its programme, fiscal year and unit, and — for a submitted application — whether you (the \
                role you connect as) may decide it: not if you submitted it (four eyes), not unless you are an approver.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var find: FindOptions
        @Option(help: "submitted, approved, rejected, withdrawn or closed.", completion: Completions.applicationStatus) var status: String?
        @Option(help: "Programme code.", completion: Completions.program) var program: String?
        @Option(help: "Unit, with or without diacritics.", completion: Completions.unit) var unit: String?
        @Option(help: "Alias of --unit.", completion: Completions.unit) var district: String?
        @Option(help: "Fiscal year.") var year: Int?
        @Option(help: "Beneficiary id.") var beneficiary: String?
        @Option(help: "The login role that submitted.") var submittedBy: String?

        func run() async throws {
            try await reportingErrors {
                var filter = ApplicationFilter()
                if let status {
                    guard let parsed = ApplicationStatus(rawValue: status) else {
                        throw DomainError.invalidInput(
                            field: "--status",
                            problem: Message(
                                "{0} is not one of {1}", .text(status.debugDescription),
                                .text(ApplicationStatus.allCases.map(\.rawValue).joined(separator: ", "))
                            )
                        )
                    }
                    filter.status = parsed
                }
                filter.program = try await program.asyncMap { try await Recording.service(connection).programFilter($0) }
                filter.fiscalYear = try year.map { try Recording.year($0) }
                filter.unit = try await FindOutput.unit(unit, district: district, connection: connection, year: filter.fiscalYear)
                filter.beneficiaryID = try FindOutput.identifier(beneficiary, field: "--beneficiary")
                filter.submittedBy = submittedBy
                let limit = try Find.checkedLimit(find.limit)
                let found = try await Report.withDatabase(connection) { try await ApplicationFind.list(filter, limit: limit, $0) }
                let places = try await FindOutput.places(connection)
                try FindOutput.list(
                    found, noun: "applications", command: "application list", format: find.format, bom: find.csvStyle.bom,
                    header: ["application", "beneficiary", "program", "unit", "year", "status", "requested", "approved", "paid",
                             "submitted by", "submitted on", "budget available", "you may decide"],
                    table: { row in
                        [row.applicationID, row.beneficiaryID, row.program, FindOutput.unitTitle(row.unit, places), String(row.fiscalYear),
                         Output.label(row.status), FindOutput.amount(row.requestedVND), FindOutput.amount(row.approvedVND),
                         FindOutput.amount(row.paidVND), row.submittedBy, Output.date(row.submittedOn), FindOutput.amount(row.budgetAvailableVND),
                         Self.decide(row, for: .people)]
                    },
                    csv: { row in
                        [row.applicationID, row.beneficiaryID, row.program, row.unit, String(row.fiscalYear), row.status,
                         String(row.requestedVND), String(row.approvedVND), String(row.paidVND), row.submittedBy, row.submittedOn,
                         FindOutput.exact(row.budgetAvailableVND), Self.decide(row)]
                    }
                )
            }
        }

        /// "yes", "no: you submitted it (four eyes: …)", or "-" when not submitted.
        static func decide(_ row: ApplicationListRow, for reader: Reader = .machines) -> String {
            func label(_ key: String) -> String { reader == .people ? Output.label(key) : key }
            switch row.youMayDecide {
            case true?: return label("yes")
            case false?: return label("no") + ": " + ((reader == .people ? row.whyNotMessage.map(Output.text) : nil) ?? row.whyNot ?? "")
            case nil: return "-"
            }
        }

        /// A cell for a table (the language chosen) or for CSV (always English).
        enum Reader { case people, machines }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An application with its decisions, payments, reversals, releases and loans: who recorded each, and when.",
            discussion: """
                From the applications, application_steps, loan_book and budget_usage read models (a line on stderr says how far \
                they are behind the log). Each step has its business date and its recording time (UTC) and role; steps are in \
                the order recorded.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Output format: table, json or csv (csv: the steps).") var format: ReportFormatOption = .table
        @OptionGroup var csvStyle: CSVStyleOptions
        func validate() throws { try csvStyle.check(format: format.rawValue) }
        @Argument(help: "The application id.") var id: String

        func run() async throws {
            try await reportingErrors {
                _ = try Identifier.validated(id, field: "ID")
                guard let detail = try await Report.withDatabase(connection, { try await ApplicationDetail.load(id, $0) }) else {
                    throw CommandError(Message("no application {0}", .text(id)))
                }
                FindOutput.notes(detail.behind, command: "application show")
                let header = ["position", "step", "business date", "amount", "released", "reference", "detail", "recorded by", "recorded at"]
                switch format {
                case .json: Output.data(try Output.json(detail))
                case .csv:
                    Output.csv(ReportCSV.text(header: header, rows: detail.steps.map { step in
                        [String(step.position), step.step, step.businessDate, FindOutput.exact(step.amountVND), FindOutput.exact(step.releasedVND),
                         step.reference ?? "", step.detail ?? "", step.recordedBy, step.recordedAt]
                    }), bom: csvStyle.bom)
                case .table:
                    let a = detail.application
                    let places = try await FindOutput.places(connection)
                    var pairs: [(String, String)] = [
                        ("application", a.applicationID), ("beneficiary", a.beneficiaryID), ("program", a.program), ("unit", FindOutput.unitTitle(a.unit, places)),
                        ("fiscal year", String(a.fiscalYear)), ("status", Output.label(a.status)), ("requested", FindOutput.amount(a.requestedVND)),
                        ("approved", FindOutput.amount(a.approvedVND)), ("paid (net)", FindOutput.amount(a.paidVND)),
                        ("reversed", FindOutput.amount(detail.reversedVND)), ("loan principal", FindOutput.amount(detail.loanPrincipalVND)),
                        ("released", FindOutput.amount(detail.releasedVND)), ("still payable", FindOutput.amount(a.remainingPayableVND)),
                        ("submitted", Output.text(Message(
                            "{0} by {1} (recorded {2})", .text(Output.date(a.submittedOn)), .text(a.submittedBy), .text(Output.timestamp(rfc3339: a.submittedAt))
                        ))),
                    ]
                    if let by = a.decidedBy { pairs.append(("decided", Output.text(Message("{0} by {1}", .text(Output.date(a.decidedOn ?? "-")), .text(by))))) }
                    if let reference = detail.decisionReference { pairs.append(("decision", reference)) }
                    if let reason = detail.rejectionReason { pairs.append(("rejected because", reason)) }
                    pairs.append(("budget available", FindOutput.amount(a.budgetAvailableVND)))
                    if a.status == ApplicationStatus.submitted.rawValue { pairs.append(("you may decide", List.decide(a, for: .people))) }
                    var text = Output.keyValues(pairs) + "\n\n" + Output.table(header, detail.steps.map { step in
                        [String(step.position), Output.label(step.step), Output.date(step.businessDate), FindOutput.amount(step.amountVND),
                         FindOutput.amount(step.releasedVND), FindOutput.text(step.reference), FindOutput.text(step.detail), step.recordedBy, Output.timestamp(rfc3339: step.recordedAt)]
                    })
                    if !detail.loans.isEmpty {
                        text += "\n\n" + Output.table(
                            ["loan", "status", "principal", "disbursed on", "term (months)", "matures on", "principal repaid", "outstanding"],
                            detail.loans.map { loan in
                                [loan.loanID, Output.label(loan.status), FindOutput.amount(loan.principalVND), Output.date(loan.disbursedOn),
                                 String(loan.termMonths), Output.date(FindOutput.text(loan.maturesOn)), FindOutput.amount(loan.principalRepaidVND),
                                 FindOutput.amount(loan.outstandingPrincipalVND)]
                            }
                        )
                    }
                    Output.data(text)
                }
            }
        }
    }
}

extension Beneficiary {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A beneficiary as registered and amended since, with its applications.",
            discussion: "From the beneficiaries and applications read models (a line on stderr says how far they are behind the log). The national id is never shown: only whether one is on record."
        )
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Output format: table, json or csv (csv: the applications).") var format: ReportFormatOption = .table
        @OptionGroup var csvStyle: CSVStyleOptions
        func validate() throws { try csvStyle.check(format: format.rawValue) }
        @Argument(help: "The beneficiary id.") var id: String

        func run() async throws {
            try await reportingErrors {
                _ = try Identifier.validated(id, field: "ID")
                guard let detail = try await Report.withDatabase(connection, { try await BeneficiaryFind.show(id, $0) }) else {
                    throw CommandError(Message("no beneficiary {0}", .text(id)))
                }
                FindOutput.notes(detail.behind, command: "beneficiary show")
                let header = ["application", "program", "year", "status", "requested", "approved", "paid", "submitted on"]
                switch format {
                case .json: Output.data(try Output.json(detail))
                case .csv:
                    Output.csv(ReportCSV.text(header: header, rows: detail.applications.map { a in
                        [a.applicationID, a.program, String(a.fiscalYear), a.status, String(a.requestedVND), String(a.approvedVND),
                         String(a.paidVND), a.submittedOn]
                    }), bom: csvStyle.bom)
                case .table:
                    let b = detail.beneficiary
                    let places = try await FindOutput.places(connection)
                    var pairs: [(String, String)] = [
                        ("beneficiary", b.beneficiaryID), ("kind", Output.label(b.kind)), ("name", b.name), ("unit", FindOutput.unitTitle(b.unit, places)),
                        ("categories", b.categories.isEmpty ? "-" : b.categories.joined(separator: ", ")),
                        ("bank account", b.bankAccount ?? "-"), ("national id", b.hasNationalID ? Output.label("on record") : "-"),
                        ("registered", (b.registeredOn.map { Output.date($0) + " " } ?? "")
                            + Output.text(Message("by {0} (recorded {1})", .text(b.registeredBy), .text(Output.timestamp(rfc3339: b.registeredAt))))),
                    ]
                    if b.amendments > 0 {
                        pairs.append(("amendments", "\(b.amendments), the last on \(b.lastAmendedOn ?? "-") by \(b.lastAmendedBy ?? "-") (`ledger audit history --beneficiary \(b.beneficiaryID)`)"))
                    }
                    Output.data(Output.keyValues(pairs) + "\n\n" + Output.table(header, detail.applications.map { a in
                        [a.applicationID, a.program, String(a.fiscalYear), Output.label(a.status), FindOutput.amount(a.requestedVND),
                         FindOutput.amount(a.approvedVND), FindOutput.amount(a.paidVND), Output.date(a.submittedOn)]
                    }))
                }
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find beneficiaries by name, national id or unit.",
            discussion: """
                From the beneficiaries read model (as amended; a line on stderr says how far it is behind the log). Filters \
                combine (AND); with none, every beneficiary. --name ignores case and diacritics (nguyen van an finds Nguyễn \
                Văn An; đ is d) and matches at the start of a word: "van an" finds Nguyễn Văn An and Nguyễn Văn Anh. \
                --national-id is fingerprinted by the database (the ledger's key) and matched by fingerprint; the id is never \
                stored or shown. Ordered by name without diacritics, then id.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var find: FindOptions
        @Option(help: "Part of the name: whole words, or the start of the last one.") var name: String?
        @Option(help: "National id (CMND 9 or CCCD 12 digits).") var nationalId: String?
        @Option(help: "Unit, with or without diacritics.", completion: Completions.unit) var unit: String?
        @Option(help: "Alias of --unit.", completion: Completions.unit) var district: String?

        func run() async throws {
            try await reportingErrors {
                var filter = BeneficiaryFilter(name: name, unit: try await FindOutput.unit(unit, district: district, connection: connection))
                let nationalID = try nationalId.map { try NationalID(parsing: $0, field: "--national-id") }
                let limit = try Find.checkedLimit(find.limit)
                let found = try await Report.withDatabase(connection) { database in
                    if let nationalID {
                        filter.nationalIDFingerprint = try await LedgerService(connection: database).fingerprint(nationalID)
                    }
                    return try await BeneficiaryFind.search(filter, limit: limit, database)
                }
                let places = try await FindOutput.places(connection)
                let header = ["beneficiary", "kind", "name", "unit", "categories", "bank account", "national id", "amendments"]
                try FindOutput.list(
                    found, noun: "beneficiaries", command: "beneficiary search", format: find.format, bom: find.csvStyle.bom, header: header,
                    table: { b in
                        [b.beneficiaryID, Output.label(b.kind), b.name, FindOutput.unitTitle(b.unit, places), b.categories.joined(separator: " "),
                         b.bankAccount == nil ? "-" : Output.label("yes"), b.hasNationalID ? Output.label("on record") : "-", Output.grouped(Int64(b.amendments))]
                    },
                    csv: { b in
                        [b.beneficiaryID, b.kind, b.name, b.unit, b.categories.joined(separator: " "), b.bankAccount ?? "",
                         b.hasNationalID ? "on record" : "", String(b.amendments)]
                    }
                )
            }
        }
    }
}

extension Payment {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List payments, with their reversals.",
            discussion: """
                From the payments read model (a line on stderr says how far it is behind the log). Filters combine (AND); dates \
                are business dates paid, both ends included. Ordered by the date paid, then payment id. A reversed payment \
                shows when and why it was reversed (it no longer counts as paid).
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var find: FindOptions
        @Option(help: "Application id.") var application: String?
        @Option(help: "Beneficiary id.") var beneficiary: String?
        @Option(help: "Paid on or after this business date (YYYY-MM-DD or DD/MM/YYYY).") var paidFrom: String?
        @Option(help: "Paid on or before this business date (YYYY-MM-DD or DD/MM/YYYY).") var paidTo: String?
        @Option(help: "bank or cash.", completion: Completions.method) var method: String?

        func run() async throws {
            try await reportingErrors {
                var filter = PaymentFilter(
                    applicationID: try FindOutput.identifier(application, field: "--application"),
                    beneficiaryID: try FindOutput.identifier(beneficiary, field: "--beneficiary"),
                    paidFrom: try Report.businessDate(paidFrom, field: "--paid-from"), paidTo: try Report.businessDate(paidTo, field: "--paid-to")
                )
                if let method {
                    guard let parsed = PaymentMethod(rawValue: method) else {
                        throw DomainError.invalidInput(field: "--method", problem: Message("{0} must be bank or cash", .text(method.debugDescription)))
                    }
                    filter.method = parsed
                }
                if let from = filter.paidFrom, let to = filter.paidTo, to < from {
                    throw DomainError.invalidInput(field: "--paid-to", problem: Message("{0} is before --paid-from {1}", .date(to), .date(from)))
                }
                let limit = try Find.checkedLimit(find.limit)
                let found = try await Report.withDatabase(connection) { try await PaymentFind.list(filter, limit: limit, $0) }
                let places = try await FindOutput.places(connection)
                let header = ["payment", "application", "beneficiary", "program", "unit", "amount", "paid on", "method", "voucher",
                              "recorded by", "recorded at", "reversed on", "reversal reason"]
                try FindOutput.list(
                    found, noun: "payments", command: "payment list", format: find.format, bom: find.csvStyle.bom, header: header,
                    table: { p in
                        [p.paymentID, p.applicationID, p.beneficiaryID, p.program, FindOutput.unitTitle(p.unit, places), Output.amount(p.amountVND), Output.date(p.paidOn), Output.label(p.method),
                         p.voucher, p.recordedBy, Output.timestamp(rfc3339: p.recordedAt), Output.date(FindOutput.text(p.reversedOn)), FindOutput.text(p.reversalReason)]
                    },
                    csv: { p in
                        [p.paymentID, p.applicationID, p.beneficiaryID, p.program, p.unit, String(p.amountVND), p.paidOn, p.method,
                         p.voucher, p.recordedBy, p.recordedAt, p.reversedOn ?? "", p.reversalReason ?? ""]
                    }
                )
            }
        }
    }
}

extension User {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The ledger's login roles: their roles and whether they may log in.",
            discussion: """
                Every role directly in ledger_officer, ledger_approver, ledger_auditor, ledger_admin or ledger_writer (service \
                accounts), by name, from PostgreSQL's catalog (any ledger role may run it). "may log in" is LOGIN and not past \
                VALID UNTIL; a disabled person keeps their role (and history) without it.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var find: FindOptions

        func run() async throws {
            try await reportingErrors {
                let limit = try Find.checkedLimit(find.limit)
                let found = try await Report.withDatabase(connection) { try await UserFind.list(limit: limit, $0) }
                let header = ["user", "role", "may log in", "valid until"]
                let cells: (UserRow) -> [String] = { u in
                    [u.name, u.roles.joined(separator: " "), u.mayLogIn ? "yes" : "no", u.validUntil ?? ""]
                }
                try FindOutput.list(found, noun: "users", command: "user list", format: find.format, bom: find.csvStyle.bom, header: header,
                                    table: { u in cells(u).enumerated().map { $0 == 2 ? Output.label($1) : $1 } }, csv: cells)
            }
        }
    }
}
