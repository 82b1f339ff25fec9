import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres
import Projections

/// The budget (`/budget`) and the loans (`/loans`): `GET /api/v1/reports/budget` and
/// `/api/v1/reports/loans` as pages, from the same library calls (`BudgetReport.fromReadModel`,
/// `BudgetReport.asOfBusinessDate`, `LoanReport.load`). Filters are a GET form; the budget's bar
/// chart is inline SVG drawn here, so it needs no script.
extension LedgerServer {
    func addBudgetRoutes(to router: Router<LedgerRequestContext>) {
        router.get("/budget") { request, context in
            try await self.page(request, context, allowedQuery: ["program", "year", "unit", "as_of"]) { web in
                try await self.withSession(request, context) { session in
                    try await self.budgetPage(web, session)
                }
            }
        }
        router.get("/loans") { request, context in
            try await self.page(request, context, allowedQuery: ["as_of"]) { web in
                try await self.withSession(request, context) { session in
                    try await self.loansPage(web, session)
                }
            }
        }
    }

    struct FilterField {
        let id: String
        let label: String
        let value: String
        let hint: String?
        let error: String?
        let inputmode: String?
    }

    struct Option {
        let value: String
        let label: String
        let selected: Bool
    }

    struct BudgetView {
        let heading: String
        let intro: String
        let filterLegend: String
        let programLabel: String
        let allProgrammes: String
        let programError: String?
        let options: [Option]
        let fields: [FilterField]
        let submit: String
        let asOf: String
        let behind: String?
        let hasLines: Bool
        let empty: String
        let chart: String
        let caption: String
        let columns: [String]
        let lines: [Line]
        let total: Line

        struct Line {
            let programme: String
            let year: String
            let unit: String
            let allocated: String
            let reserved: String
            let paid: String
            let released: String
            let available: String
        }
    }

    func budgetPage(_ web: WebRequest, _ session: Session) async throws -> Response {
        let query = web.query.values
        var errors: [String: String] = [:]
        let places = try await session.service.places()
        let programs = try await session.service.programs().map(\.code)
        var filter = BudgetReportFilter()
        if let program = query["program"] {
            if let code = programs.first(where: { $0.lowercased() == program.lowercased() }) { filter.program = code } else { errors["program"] = web.text(.budgetUnknownProgramme) }
        }
        if let year = query["year"] {
            if let number = Int(year.trimmingCharacters(in: .whitespaces)), (2000...2100).contains(number) { filter.fiscalYear = number } else { errors["year"] = web.text(.budgetYearInvalid) }
        }
        if let unit = query["unit"] {
            do { filter.units = try places.filter(unit, year: filter.fiscalYear, field: "unit") } catch let error as DomainError { errors["unit"] = error.message(in: web.language) }
        }
        var asOf: LocalDate?
        if let text = query["as_of"] {
            do { asOf = try LocalDate(parsing: text, field: "as_of") } catch { errors["as_of"] = web.text(.queueDateInvalid) }
        }
        var report: BudgetReport?
        var behind: String?
        if errors.isEmpty {
            if let asOf {
                report = try await Self.readProblems { try await BudgetReport.asOfBusinessDate(asOf, EventStore(connection: session.connection), filter: filter) }
            } else {
                let (fromTable, lag) = try await Self.readProblems { try await BudgetReport.fromReadModel(session.connection, filter: filter) }
                report = fromTable
                if lag.events > 0 { behind = web.text(.readModelsBehind) }
            }
            report?.places = places
        }
        let formatter = web.formatter
        func line(_ programme: String, _ year: String, _ unit: String, _ figures: BudgetFigures) -> BudgetView.Line {
            BudgetView.Line(programme: programme, year: year, unit: unit, allocated: formatter.amount(figures.allocated),
                            reserved: formatter.amount(figures.reserved), paid: formatter.amount(figures.paid),
                            released: formatter.amount(figures.released), available: formatter.amount(figures.available))
        }
        let lines = (report?.lines ?? []).map { line($0.program, String($0.fiscalYear), places.name(of: $0.district), $0.figures) }
        let field = { (id: String, label: WebString, hint: WebString?, inputmode: String?) in
            FilterField(id: id, label: web.text(label), value: query[id] ?? "", hint: hint.map { web.text($0) }, error: errors[id], inputmode: inputmode)
        }
        let view = BudgetView(
            heading: web.text(.budget), intro: web.text(.budgetIntro), filterLegend: web.text(.budgetFilters),
            programLabel: web.text(.programme), allProgrammes: web.text(.budgetAllProgrammes), programError: errors["program"],
            options: programs.map { Option(value: $0, label: $0, selected: $0 == filter.program) },
            fields: [field("year", .fiscalYear, nil, "numeric"), field("unit", .unit, nil, nil), field("as_of", .budgetAsOfDate, .budgetAsOfHint, nil)],
            submit: web.text(.budgetShow),
            asOf: asOf.map { web.text(.budgetAsOf, formatter.date($0)) } ?? web.text(.budgetLatest),
            behind: behind, hasLines: !lines.isEmpty, empty: web.text(errors.isEmpty ? .budgetEmpty : .budgetFix),
            chart: report.map { Self.budgetChart($0, web, places: places) } ?? "",
            caption: web.text(.budgetCaption),
            columns: [web.text(.programme), web.text(.fiscalYear), web.text(.unit), web.text(.budgetAllocated), web.text(.budgetReserved),
                      web.text(.paid), web.text(.budgetReleased), web.text(.budgetAvailable)],
            lines: lines, total: line(web.text(.budgetTotal), "", "", report?.total ?? .zero)
        )
        let layout = WebLayout(web, title: web.text(.budget), content: WebFiles.render(view, "budget"), session: await layoutSession(session))
        return WebResponse.html(errors.isEmpty ? .ok : .badRequest, layout.html, user: session.user)
    }

    /// One horizontal bar per budget, against the largest allocation shown: paid, reserved and
    /// not yet paid, available, stacked (what is left of the bar was released or over-reserved).
    static func budgetChart(_ report: BudgetReport, _ web: WebRequest, places: PlaceCatalog) -> String {
        guard !report.lines.isEmpty else { return "" }
        let formatter = web.formatter
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let width = 600.0, barWidth = 580.0, left = 10.0, rowHeight = 78.0, legendHeight = 30.0
        let largest = Double(max(1, report.lines.map { max($0.figures.allocated.amount, $0.figures.reserved.amount) }.max() ?? 1))
        let height = legendHeight + rowHeight * Double(report.lines.count) + 10
        let ink = (outline: "#333333", text: "#111111", empty: "#ffffff")
        let colours = (paid: "#1b5e20", reserved: "#b45309", available: "#a7d3b0")
        let title = web.text(.budgetChartTitle)
        var svg = #"<svg class="chart" role="img" aria-labelledby="budget-chart-title budget-chart-desc" viewBox="0 0 \#(Int(width)) \#(Int(height))" width="100%" xmlns="http://www.w3.org/2000/svg">"#
        svg += #"<title id="budget-chart-title">\#(escaped(title))</title>"#
        var description: [String] = []
        var legendX = left
        for (label, colour) in [(web.text(.paid), colours.paid), (web.text(.budgetReservedNotPaid), colours.reserved), (web.text(.budgetAvailable), colours.available)] {
            svg += #"<rect x="\#(legendX)" y="6" width="14" height="14" fill="\#(colour)" stroke="\#(ink.outline)"/>"#
            svg += #"<text x="\#(legendX + 20)" y="18" font-size="14" fill="\#(ink.text)">\#(escaped(label))</text>"#
            legendX += 24 + Double(label.count) * 8 + 20
        }
        for (index, line) in report.lines.enumerated() {
            let figures = line.figures
            let y = legendHeight + rowHeight * Double(index)
            let paid = max(0, figures.paid.amount)
            let reservedNotPaid = max(0, (figures.reserved - figures.released).amount - paid)
            let available = max(0, figures.available.amount)
            let name = "\(line.program) \(line.fiscalYear) · \(places.name(of: line.district))"
            let text = web.text(.budgetChartLine, name, formatter.amount(figures.allocated), formatter.amount(figures.paid),
                                formatter.amount(figures.reserved), formatter.amount(figures.available))
            let amounts = web.text(.budgetChartLine, "", formatter.amount(figures.allocated), formatter.amount(figures.paid),
                                   formatter.amount(figures.reserved), formatter.amount(figures.available)).dropFirst(2)
            description.append(text)
            // The budget's name, then its figures, then its bar.
            svg += #"<text x="\#(left)" y="\#(y + 16)" font-size="15" font-weight="bold" fill="\#(ink.text)">\#(escaped(name))</text>"#
            svg += #"<text x="\#(left)" y="\#(y + 36)" font-size="13" fill="\#(ink.text)">\#(escaped(String(amounts)))</text>"#
            // The allocation's outline, then the parts inside it.
            let allocatedWidth = barWidth * Double(max(0, figures.allocated.amount)) / largest
            svg += #"<rect x="\#(left)" y="\#(y + 46)" width="\#(allocatedWidth)" height="20" fill="\#(ink.empty)" stroke="\#(ink.outline)"/>"#
            var x = left
            for (amount, colour) in [(paid, colours.paid), (reservedNotPaid, colours.reserved), (available, colours.available)] where amount > 0 {
                let part = barWidth * Double(amount) / largest
                svg += #"<rect x="\#(x)" y="\#(y + 46)" width="\#(part)" height="20" fill="\#(colour)"/>"#
                x += part
            }
        }
        svg += #"<desc id="budget-chart-desc">\#(escaped(description.joined(separator: "; ")))</desc>"#
        svg += "</svg>"
        return svg
    }

    struct LoansView {
        let heading: String
        let intro: String
        let filterLegend: String
        let fields: [FilterField]
        let submit: String
        let asOf: String
        let behind: String?
        let bookHeading: String
        let bookCaption: String
        let bookColumns: [String]
        let book: [Loan]
        let hasBook: Bool
        let noLoans: String
        let overdueHeading: String
        let bucketCaption: String
        let bucketColumns: [String]
        let buckets: [Bucket]
        let overdueCaption: String
        let overdue: [Loan]
        let hasOverdue: Bool
        let noOverdue: String

        struct Loan {
            let id: String
            let beneficiaryHref: String
            let beneficiaryID: String
            let programme: String
            let status: String
            let principal: String
            let disbursedOn: String
            let outstanding: String
            let interest: String
            let overduePrincipal: String
            let daysPastDue: String
            let arrears: String
        }

        struct Bucket {
            let label: String
            let count: String
            let overduePrincipal: String
            let outstanding: String
        }
    }

    func loansPage(_ web: WebRequest, _ session: Session) async throws -> Response {
        var dateError: String?
        var asOf = LocalDate.today()
        if let text = web.query.values["as_of"] {
            do { asOf = try LocalDate(parsing: text, field: "as_of") } catch { dateError = web.text(.queueDateInvalid) }
        }
        let formatter = web.formatter
        var report: LoanReport?
        var behind: String?
        if dateError == nil {
            let (loaded, lag) = try await Self.readProblems { try await LoanReport.load(asOf: asOf, overdueOnly: false, session.connection) }
            report = loaded
            if lag.events > 0 { behind = web.text(.readModelsBehind) }
        }
        let lines = report?.lines ?? []
        let loan = { (line: LoanReport.Line) in
            LoansView.Loan(
                id: line.loanID, beneficiaryHref: "/beneficiaries/\(Self.escaped(line.beneficiaryID))", beneficiaryID: line.beneficiaryID,
                programme: line.program, status: formatter.label(line.status.rawValue), principal: formatter.amount(line.principal),
                disbursedOn: formatter.date(line.disbursedOn), outstanding: formatter.amount(line.outstandingPrincipal),
                interest: formatter.amount(line.accruedInterest), overduePrincipal: formatter.amount(line.overduePrincipal),
                daysPastDue: line.daysPastDue.map { formatter.number(Int64($0)) } ?? "–", arrears: formatter.label(line.arrears)
            )
        }
        let overdue = lines.filter { ($0.daysPastDue ?? 0) > 0 }
        let buckets = ArrearsBucket.allCases.filter { $0 != .current }.map { bucket in
            let inBucket = overdue.filter { $0.arrearsBucket == bucket }
            return LoansView.Bucket(
                label: formatter.label(bucket.rawValue), count: formatter.number(Int64(inBucket.count)),
                overduePrincipal: formatter.amount(inBucket.reduce(VND.zero) { $0 + $1.overduePrincipal }),
                outstanding: formatter.amount(inBucket.reduce(VND.zero) { $0 + $1.outstandingPrincipal })
            )
        }
        let loanColumns = [web.text(.loansLoan), web.text(.beneficiaryID), web.text(.programme), web.text(.status), web.text(.loansPrincipal),
                           web.text(.loansDisbursedOn), web.text(.loansOutstanding), web.text(.loansInterest), web.text(.loansOverduePrincipal),
                           web.text(.loansDaysPastDue), web.text(.loansArrears)]
        let view = LoansView(
            heading: web.text(.loans), intro: web.text(.loansIntro), filterLegend: web.text(.budgetFilters),
            fields: [FilterField(id: "as_of", label: web.text(.budgetAsOfDate), value: web.query.values["as_of"] ?? "", hint: web.text(.loansAsOfHint),
                                 error: dateError, inputmode: nil)],
            submit: web.text(.budgetShow), asOf: web.text(.loansAsOf, formatter.date(asOf)), behind: behind,
            bookHeading: web.text(.loansBook), bookCaption: web.text(.loansBookCaption, formatter.date(asOf)), bookColumns: loanColumns,
            book: lines.map(loan), hasBook: !lines.isEmpty, noLoans: web.text(.loansNone),
            overdueHeading: web.text(.loansOverdue), bucketCaption: web.text(.loansBucketCaption),
            bucketColumns: [web.text(.loansArrears), web.text(.loansCount), web.text(.loansOverduePrincipal), web.text(.loansOutstanding)],
            buckets: buckets, overdueCaption: web.text(.loansOverdueCaption), overdue: overdue.map(loan), hasOverdue: !overdue.isEmpty,
            noOverdue: web.text(.loansNoneOverdue)
        )
        let layout = WebLayout(web, title: web.text(.loans), content: WebFiles.render(view, "loans"), session: await layoutSession(session))
        return WebResponse.html(dateError == nil ? .ok : .badRequest, layout.html, user: session.user)
    }
}
