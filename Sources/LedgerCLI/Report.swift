import ArgumentParser
import EventStore
import Ledger
import Postgres
import Projections

/// `--format table|json|csv` of the report and replay commands.
enum ReportFormatOption: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

struct ReportOutputOptions: ParsableArguments {
    @Option(help: "Output format: table (amounts grouped), json or csv (exact integer đồng).")
    var format: ReportFormatOption = .table

    @OptionGroup var csvStyle: CSVStyleOptions

    func validate() throws { try csvStyle.check(format: format.rawValue) }
}

/// `ledger report budget|beneficiary|loans`: thin over `Projections/Reports`.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reports: budget usage, a beneficiary's statement, the loan book.",
        subcommands: [BudgetReportCommand.self, BeneficiaryReportCommand.self, LoansReportCommand.self]
    )

    /// Budget filters shared with `ledger replay`.
    struct BudgetFilterOptions: ParsableArguments {
        @Option(help: "Only this fiscal year.") var year: Int?
        @Option(help: "Only this programme code.", completion: Completions.program) var program: String?
        @Option(help: "Only the units of this name or code (in force in --year when given): \(UnitOption.help).", completion: Completions.unit) var unit: String?
        @Option(help: "Alias of --unit.", completion: Completions.unit) var district: String?

        /// The filter; an unknown programme or unit is refused (never an empty table).
        func filter(places: PlaceCatalog, service: LedgerService) async throws -> BudgetReportFilter {
            let year = try year.map { try Recording.year($0) }
            let program = try await program.asyncMap { try await service.programFilter($0) }
            return BudgetReportFilter(
                fiscalYear: year,
                program: program,
                units: try UnitOption.text(unit: unit, district: district).map { try places.filter($0.text, year: year, field: $0.field) }
            )
        }
    }

    static func print(_ report: BudgetReport, format: ReportFormatOption, bom: Bool = false) throws {
        switch format {
        case .table: Output.data(report.tables(in: Output.format).map { Output.table($0.header, $0.rows) }.joined(separator: "\n\n"))
        case .json: Output.data(try Output.json(report.document))
        case .csv: Output.csv(report.csv, bom: bom)
        }
    }

    /// Runs `body` with a connection, closed afterwards.
    static func withDatabase<T>(_ options: ConnectionOptions, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let database = try await options.connect()
        do {
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    static func businessDate(_ text: String?, field: String) throws -> LocalDate? {
        try text.map { try LocalDate(parsing: $0, field: field) }
    }
}

struct BudgetReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Allocated, reserved, paid, released and available per programme × year × district, with totals.",
        discussion: """
            Without --as-of: the budget_usage read model (a line on stderr says how far it is behind the log). \
            With --as-of DATE: the log folded by business date — allocations and adjustments in full (they carry no date), \
            reservations by the approval's decided_on, payments by paid_on less reversals by reversed_on, loan principal by \
            disbursed_on, releases by the withdrawal's or closure's date. For the figures as they were recorded at a \
            past moment, use `ledger replay`.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: ReportOutputOptions
    @OptionGroup var filters: Report.BudgetFilterOptions
    @Option(name: .customLong("as-of"), help: "Business date, YYYY-MM-DD or DD/MM/YYYY: count only what happened by then.")
    var asOf: String?
    @Flag(help: "Add a table of each old district's figures beside those of the wards and communes made from it.")
    var withSuccessors = false

    func run() async throws {
        try await reportingErrors {
            let date = try Report.businessDate(asOf, field: "--as-of")
            try await Report.withDatabase(connection) { database in
                let service = LedgerService(connection: database)
                let places = try await service.places()
                var filter = try await filters.filter(places: places, service: service)
                if withSuccessors, let units = filter.units {
                    // An old district's successors are shown beside it, so they pass the unit filter too.
                    filter.units = units.union(units.flatMap { places.successors(of: $0).map(\.code) })
                }
                var report: BudgetReport
                if let date {
                    report = try await BudgetReport.asOfBusinessDate(date, EventStore(connection: database), filter: filter)
                    Output.message("report budget: " + Output.text(Message(
                        "business dates up to {0}, log folded to position {1}", .date(date), .text(String(report.position))
                    )))
                    for event in report.skipped { Output.message("report budget: warning: left out \(event.description)") }
                } else {
                    let (fromTable, lag) = try await BudgetReport.fromReadModel(database, filter: filter)
                    report = fromTable
                    if let warning = lag.warning { Output.message("report budget: \(warning)") }
                }
                report.places = places
                report.withSuccessors = withSuccessors
                try Report.print(report, format: output.format, bom: output.csvStyle.bom)
            }
        }
    }
}

struct BeneficiaryReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beneficiary",
        abstract: "A beneficiary's statement: every application, decision, payment, reversal, loan and repayment, with running balances.",
        discussion: """
            In the order recorded; each line has its business date and recording time (UTC), and the balances after its \
            command: payable (approved and not yet paid on open applications) and outstanding (loan principal not repaid).
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: ReportOutputOptions
    @Argument(help: "The beneficiary id.") var id: String

    func run() async throws {
        try await reportingErrors {
            _ = try Identifier.validated(id, field: "ID")
            try await Report.withDatabase(connection) { database in
                let statement = try await BeneficiaryStatement.load(id, database, places: try await LedgerService(connection: database).places())
                for event in statement.skipped { Output.message("report beneficiary: warning: left out \(event.description)") }
                switch output.format {
                case .table:
                    let table = statement.table(in: Output.format)
                    Output.data(Output.keyValues(statement.summary(in: Output.format)) + "\n\n" + Output.table(table.header, table.rows))
                case .json: Output.data(try Output.json(statement.document))
                case .csv: Output.csv(statement.csv, bom: output.csvStyle.bom)
                }
            }
        }
    }
}

struct LoansReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loans",
        abstract: "Each loan on a business date: outstanding principal, accrued interest, days past due, arrears bucket.",
        discussion: """
            From the loan_book read model through the domain's LoanPosition. A loan with a repayment, settlement or \
            write-off dated after --as-of is folded again from its stream up to that date; loans disbursed after it \
            are not listed.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: ReportOutputOptions
    @Option(name: .customLong("as-of"), help: "Business date, YYYY-MM-DD or DD/MM/YYYY (default: today in Vietnam).")
    var asOf: String?
    @Flag(help: "Only loans past due on that date.") var overdue = false

    func run() async throws {
        try await reportingErrors {
            let given = try Report.businessDate(asOf, field: "--as-of")
            let date = given ?? Recording.today(for: "--as-of", context: "report loans")
            let dateText = given == nil ? Output.text(Message("{0} (today)", .date(date))) : Output.format.date(date)
            try await Report.withDatabase(connection) { database in
                var (report, lag) = try await LoanReport.load(asOf: date, overdueOnly: overdue, database)
                report.asOfIsToday = given == nil
                if let warning = lag.warning { Output.message("report loans: \(warning)") }
                for loan in report.skipped { Output.message("report loans: warning: left out \(loan)") }
                switch output.format {
                case .table:
                    let table = report.table(in: Output.format)
                    Output.data(Output.text(Message("loans as of {0}", .text(dateText))) + "\n\n" + Output.table(table.header, table.rows))
                case .json: Output.data(try Output.json(report.document))
                case .csv: Output.csv(report.csv, bom: output.csvStyle.bom)
                }
            }
        }
    }
}
