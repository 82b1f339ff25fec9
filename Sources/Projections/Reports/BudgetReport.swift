import Foundation
import Ledger

/// The six figures of a budget (or of a sum of budgets).
///
/// - `allocated`: allocations plus adjustments;
/// - `reserved`: reserved by approvals (gross, as approved);
/// - `paid`: payments net of reversals (the same word as everywhere: docs/domain.md);
/// - `lent`: loan principal disbursed;
/// - `released`: reservations given back by withdrawals and closures;
/// - `available`: what approvals may still reserve, `allocated − reserved + released`.
public struct BudgetFigures: Sendable, Equatable, Encodable {
    public var allocated: VND
    public var reserved: VND
    public var paid: VND
    public var lent: VND
    public var released: VND

    public init(allocated: VND = .zero, reserved: VND = .zero, paid: VND = .zero, lent: VND = .zero, released: VND = .zero) {
        self.allocated = allocated
        self.reserved = reserved
        self.paid = paid
        self.lent = lent
        self.released = released
    }

    public static let zero = BudgetFigures()

    public var available: VND { allocated - reserved + released }

    public static func + (lhs: BudgetFigures, rhs: BudgetFigures) -> BudgetFigures {
        BudgetFigures(
            allocated: lhs.allocated + rhs.allocated, reserved: lhs.reserved + rhs.reserved,
            paid: lhs.paid + rhs.paid, lent: lhs.lent + rhs.lent, released: lhs.released + rhs.released
        )
    }

    /// allocated, reserved, paid, lent, released, available — the column order of every form.
    var amounts: [VND] { [allocated, reserved, paid, lent, released, available] }
    static let columnNames = ["allocated", "reserved", "paid", "lent", "released", "available"]
    static let exactColumnNames = columnNames.map { $0 + "_vnd" }

    enum CodingKeys: String, CodingKey {
        case allocated = "allocated_vnd", reserved = "reserved_vnd", paid = "paid_vnd", lent = "lent_vnd", released = "released_vnd"
        case available = "available_vnd"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(allocated, forKey: .allocated)
        try container.encode(reserved, forKey: .reserved)
        try container.encode(paid, forKey: .paid)
        try container.encode(lent, forKey: .lent)
        try container.encode(released, forKey: .released)
        try container.encode(available, forKey: .available)
    }
}

/// One budget: programme × fiscal year × unit (the field keeps its name `district`: a unit code).
public struct BudgetReportLine: Sendable, Equatable {
    public let program: String
    public let fiscalYear: Int
    public let district: UnitCode
    public let figures: BudgetFigures

    public init(program: String, fiscalYear: Int, district: UnitCode, figures: BudgetFigures) {
        self.program = program
        self.fiscalYear = fiscalYear
        self.district = district
        self.figures = figures
    }

    /// Sorted by programme code, fiscal year, district code (as the read model's key).
    static func ordered(_ lhs: BudgetReportLine, _ rhs: BudgetReportLine) -> Bool {
        (lhs.program, lhs.fiscalYear, lhs.district.code) < (rhs.program, rhs.fiscalYear, rhs.district.code)
    }
}

/// Which budgets a report shows (nil: all).
public struct BudgetReportFilter: Sendable, Equatable {
    public var fiscalYear: Int?
    public var program: String?
    public var district: UnitCode?
    /// Only these units (`--unit NAME`: every unit of that name, `PlaceCatalog.filter`).
    public var units: Set<UnitCode>?

    public init(fiscalYear: Int? = nil, program: String? = nil, district: UnitCode? = nil, units: Set<UnitCode>? = nil) {
        self.fiscalYear = fiscalYear
        self.program = program
        self.district = district
        self.units = units
    }

    /// Programme codes match regardless of case (`--program nq12-housing`).
    public func includes(_ line: BudgetReportLine) -> Bool {
        (fiscalYear.map { $0 == line.fiscalYear } ?? true) && (program.map { $0.lowercased() == line.program.lowercased() } ?? true)
            && (district.map { $0 == line.district } ?? true) && (units.map { $0.contains(line.district) } ?? true)
    }
}

/// `ledger report budget` and `ledger replay`: each budget's figures, with totals per programme,
/// per district and overall. The same document whatever the source (the `budget_usage` read
/// model, a fold of the log up to a position or a recording time, or a fold by business date),
/// so two reports of the same moment print the same bytes.
public struct BudgetReport: Sendable, Equatable {
    /// The budgets shown, in programme, year, district order.
    public let lines: [BudgetReportLine]
    /// The last log position the figures include.
    public let position: Int64
    /// Events the fold could not read, left out (folds of the log only): a warning for the reader.
    public var skipped: [UnreadableEvent] = []
    /// For a business-date view (`report budget --as-of DATE`): the date.
    public let businessDate: LocalDate?
    /// The places loaded: how units are named, and which came from which (empty: the nine districts).
    public var places = PlaceCatalog()
    /// Adds the old units' figures beside their successors' (`--with-successors`).
    public var withSuccessors = false

    public init(lines: [BudgetReportLine], filter: BudgetReportFilter = .init(), position: Int64, businessDate: LocalDate? = nil) {
        self.lines = lines.filter(filter.includes).sorted(by: BudgetReportLine.ordered)
        self.position = position
        self.businessDate = businessDate
    }

    /// Per programme (across years and districts), in programme order.
    public var programTotals: [(program: String, figures: BudgetFigures)] {
        var totals: [String: BudgetFigures] = [:]
        for line in lines { totals[line.program, default: .zero] = totals[line.program, default: .zero] + line.figures }
        return totals.keys.sorted().map { ($0, totals[$0]!) }
    }

    /// Per district (across programmes and years), in district code order.
    public var districtTotals: [(district: UnitCode, figures: BudgetFigures)] {
        var totals: [UnitCode: BudgetFigures] = [:]
        for line in lines { totals[line.district, default: .zero] = totals[line.district, default: .zero] + line.figures }
        return totals.keys.sorted { $0.code < $1.code }.map { ($0, totals[$0]!) }
    }

    public var total: BudgetFigures { lines.reduce(.zero) { $0 + $1.figures } }

    /// How a unit is named in the report: with no places loaded, a district by its name
    /// (`Ninh Kiều`); with places, every unit with its kind (`quận Ninh Kiều`, `phường Ninh Kiều`).
    public func unitName(_ code: UnitCode) -> String {
        places.isEmpty ? code.name : places.title(of: code)
    }

    /// Each unit of the report that other units came from (an old district), with its figures
    /// and those of each unit made from it (across programmes and years shown; a successor made
    /// from several units appears under each of them).
    public var successions: [Succession] {
        let totals = Dictionary(uniqueKeysWithValues: districtTotals.map { ($0.district, $0.figures) })
        var predecessors: Set<UnitCode> = []
        for unit in places.all() { predecessors.formUnion(unit.predecessors) }
        return predecessors.sorted().compactMap { old in
            let successors = places.successors(of: old).map { ($0.code, totals[$0.code] ?? .zero) }
            guard totals[old] != nil || successors.contains(where: { totals[$0.0] != nil }) else { return nil }
            return Succession(unit: old, figures: totals[old] ?? .zero,
                              successors: successors.map { Succession.Successor(unit: $0.0, figures: $0.1) })
        }
    }

    public struct Succession: Sendable, Equatable {
        public struct Successor: Sendable, Equatable {
            public let unit: UnitCode
            public let figures: BudgetFigures
        }
        public let unit: UnitCode
        public let figures: BudgetFigures
        public let successors: [Successor]
        public var successorsTotal: BudgetFigures { successors.reduce(.zero) { $0 + $1.figures } }
    }

    // MARK: Forms

    /// Two tables: the budgets with a total after each programme and a grand total; then the
    /// totals per district.
    public var tables: [ReportTable] { tables(in: .english) }

    /// The tables for people reading `format`'s language: amounts `1,234,567` or `1.234.567 ₫`,
    /// the totals' words in that language (headers are the renderer's to write).
    public func tables(in format: LocaleFormatter) -> [ReportTable] {
        let grouped: (VND) -> String = format.amountCell
        var rows: [[String]] = []
        let byProgram = Dictionary(grouping: lines, by: \.program)
        for (program, total) in programTotals {
            for line in byProgram[program] ?? [] {
                rows.append([line.program, String(line.fiscalYear), unitName(line.district)] + line.figures.amounts.map(grouped))
            }
            rows.append([program, "", format.label("total")] + total.amounts.map(grouped))
        }
        rows.append([format.label("all programmes"), "", format.label("total")] + total.amounts.map(grouped))
        var districtRows = districtTotals.map { [unitName($0.district)] + $0.figures.amounts.map(grouped) }
        districtRows.append([format.label(places.isEmpty ? "all districts" : "all units")] + total.amounts.map(grouped))
        var tables = [
            ReportTable(header: ["programme", "year", "district"] + BudgetFigures.columnNames, rows: rows),
            ReportTable(header: ["district"] + BudgetFigures.columnNames, rows: districtRows),
        ]
        if withSuccessors {
            var successionRows: [[String]] = []
            for succession in successions {
                successionRows.append([unitName(succession.unit), ""] + succession.figures.amounts.map(grouped))
                for successor in succession.successors {
                    let others = (places.unit(successor.unit)?.predecessors ?? []).filter { $0 != succession.unit }
                    let note = others.isEmpty ? "" : " (" + format.label("also from") + " \(others.map(unitName).joined(separator: ", ")))"
                    successionRows.append(["", "→ " + unitName(successor.unit) + note] + successor.figures.amounts.map(grouped))
                }
                successionRows.append(["", format.label("successors total")] + succession.successorsTotal.amounts.map(grouped))
            }
            tables.append(ReportTable(header: ["old unit", "successor"] + BudgetFigures.columnNames, rows: successionRows))
        }
        return tables
    }

    /// One CSV: `level` is `budget` for a budget, `programme` / `district` for their totals,
    /// `total` for the grand total; columns that do not apply are empty.
    public var csv: String {
        var rows: [[String]] = lines.map {
            ["budget", $0.program, String($0.fiscalYear), $0.district.code, unitName($0.district)] + $0.figures.amounts.map(Cell.exact)
        }
        rows += programTotals.map { ["programme", $0.program, "", "", ""] + $0.figures.amounts.map(Cell.exact) }
        rows += districtTotals.map { ["district", "", "", $0.district.code, unitName($0.district)] + $0.figures.amounts.map(Cell.exact) }
        if withSuccessors {
            // `successor` rows: the program column names the old unit they came from.
            for succession in successions {
                rows += succession.successors.map {
                    ["successor", succession.unit.code, "", $0.unit.code, unitName($0.unit)] + $0.figures.amounts.map(Cell.exact)
                }
            }
        }
        rows.append(["total", "", "", "", ""] + total.amounts.map(Cell.exact))
        return ReportCSV.text(
            header: ["level", "program", "fiscal_year", "district", "district_name"] + BudgetFigures.exactColumnNames, rows: rows
        )
    }

    /// The JSON document: amounts as exact integers.
    public var document: Document { Document(self) }

    public struct Document: Encodable, Sendable {
        struct Line: Encodable {
            let program: String?
            let fiscalYear: Int?
            let district: String?
            let districtName: String?
            let figures: BudgetFigures

            enum CodingKeys: String, CodingKey {
                case program, fiscalYear = "fiscal_year", district, districtName = "district_name"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encodeIfPresent(program, forKey: .program)
                try container.encodeIfPresent(fiscalYear, forKey: .fiscalYear)
                try container.encodeIfPresent(district, forKey: .district)
                try container.encodeIfPresent(districtName, forKey: .districtName)
                try figures.encode(to: encoder)
            }
        }

        let position: Int64
        let businessDate: String?
        let budgets: [Line]
        let programTotals: [Line]
        let districtTotals: [Line]
        let successions: [SuccessionLine]?
        let total: BudgetFigures

        struct SuccessionLine: Encodable {
            let district: String
            let districtName: String
            let figures: BudgetFigures
            let successors: [Line]
            let successorsTotal: BudgetFigures

            enum CodingKeys: String, CodingKey {
                case district, districtName = "district_name", successors, successorsTotal = "successors_total"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(district, forKey: .district)
                try container.encode(districtName, forKey: .districtName)
                try figures.encode(to: encoder)
                try container.encode(successors, forKey: .successors)
                try container.encode(successorsTotal, forKey: .successorsTotal)
            }
        }

        init(_ report: BudgetReport) {
            position = report.position
            businessDate = report.businessDate?.description
            budgets = report.lines.map {
                Line(program: $0.program, fiscalYear: $0.fiscalYear, district: $0.district.code, districtName: report.unitName($0.district), figures: $0.figures)
            }
            programTotals = report.programTotals.map { Line(program: $0.program, fiscalYear: nil, district: nil, districtName: nil, figures: $0.figures) }
            districtTotals = report.districtTotals.map {
                Line(program: nil, fiscalYear: nil, district: $0.district.code, districtName: report.unitName($0.district), figures: $0.figures)
            }
            successions = !report.withSuccessors ? nil : report.successions.map { succession in
                SuccessionLine(
                    district: succession.unit.code, districtName: report.unitName(succession.unit), figures: succession.figures,
                    successors: succession.successors.map {
                        Line(program: nil, fiscalYear: nil, district: $0.unit.code, districtName: report.unitName($0.unit), figures: $0.figures)
                    },
                    successorsTotal: succession.successorsTotal
                )
            }
            total = report.total
        }

        enum CodingKeys: String, CodingKey {
            case position, businessDate = "business_date_as_of", budgets, programTotals = "program_totals"
            case districtTotals = "district_totals", successions, total
        }
    }
}
