import Foundation
import Ledger
@testable import Projections
import Testing

/// Reports without a database: folding by business date, totals, and the three output forms.
struct ReportUnitTests {
    static func date(_ text: String) -> LocalDate { FoldTests.date(text) }

    static func report(asOf text: String, _ history: FoldTests.History = FoldTests.housingHistory()) -> BudgetReport {
        var fold = BusinessDateBudgetFold(asOf: date(text))
        // These histories stay far inside the ledger's range: a throw here is a bug in the fold.
        for event in history.events { try! fold.apply(event) }
        return BudgetReport(lines: try! fold.lines(), position: history.events.last?.position ?? 0, businessDate: date(text))
    }

    @Test func aBusinessDateCountsOnlyWhatHappenedByThen() {
        // housingHistory: 1,000,000 allocated; approvals of 300,000 and 400,000 on 03-10;
        // payments of 200,000 and 150,000 on 03-15; the 150,000 reversed on 03-20;
        // A-1 closed on 04-01 releasing 100,000.
        let expectations: [(String, BudgetFigures)] = [
            ("2024-03-09", BudgetFigures(allocated: 1_000_000, reserved: 0, paid: 0, released: 0)),
            ("2024-03-10", BudgetFigures(allocated: 1_000_000, reserved: 700_000, paid: 0, released: 0)),
            ("2024-03-15", BudgetFigures(allocated: 1_000_000, reserved: 700_000, paid: 350_000, released: 0)),
            ("2024-03-20", BudgetFigures(allocated: 1_000_000, reserved: 700_000, paid: 200_000, released: 0)),
            ("2024-04-01", BudgetFigures(allocated: 1_000_000, reserved: 700_000, paid: 200_000, released: 100_000)),
        ]
        for (day, figures) in expectations {
            let report = Self.report(asOf: day)
            #expect(report.lines.map(\.figures) == [figures], "as of \(day)")
        }
        #expect(Self.report(asOf: "2024-04-01").total.available == 400_000)
    }

    @Test func aReservationRecordedBeforeItsApprovalIsStillDatedByTheApproval() {
        var history = FoldTests.History()
        history.add(FoldTests.budget, .budgetAllocated(BudgetAllocated(
            program: "NQ12-HOUSING", fiscalYear: 2024, district: .ninhKieu, amountVND: 900, reference: "QĐ 1")))
        history.add(FoldTests.budget, .fundsReserved(FundsReserved(applicationID: "A-9", amountVND: 500)))
        history.add(Streams.application("A-9"), .applicationApproved(ApplicationApproved(
            approvedVND: 500, decisionReference: "QĐ 9", decidedOn: Self.date("2024-05-05"))))
        #expect(Self.report(asOf: "2024-05-04", history).total.reserved == 0)
        #expect(Self.report(asOf: "2024-05-05", history).total.reserved == 500)
    }

    @Test func withADateAfterEverythingTheFoldEqualsTheReadModel() throws {
        let history = FoldTests.housingHistory()
        let projection = try history.fold(BudgetUsageProjection.self)
        let fromReadModel = try BudgetReport.lines(fromBudgetUsageRows: projection.allRows()[0])
        #expect(Self.report(asOf: "9999-12-31").lines == fromReadModel)
        #expect(fromReadModel.map(\.figures) == [BudgetFigures(allocated: 1_000_000, reserved: 700_000, paid: 200_000, released: 100_000)])
    }

    static let sample = BudgetReport(lines: [
        BudgetReportLine(program: "NQ12-WATER", fiscalYear: 2024, district: .ninhKieu,
                         figures: BudgetFigures(allocated: 20_000_000, reserved: 5_000_000, paid: 5_000_000, released: 0)),
        BudgetReportLine(program: "NQ12-HOUSING", fiscalYear: 2024, district: .caiRang,
                         figures: BudgetFigures(allocated: 50_000_000, reserved: 30_000_000, paid: 10_000_000, released: 0)),
        BudgetReportLine(program: "NQ12-HOUSING", fiscalYear: 2024, district: .ninhKieu,
                         figures: BudgetFigures(allocated: 100_000_000, reserved: 40_000_000, paid: 25_000_000, released: 15_000_000)),
        BudgetReportLine(program: "NQ12-HOUSING", fiscalYear: 2025, district: .ninhKieu,
                         figures: BudgetFigures(allocated: 7_000_000, reserved: 0, paid: 0, released: 0)),
    ], position: 42)

    @Test func totalsPerProgrammeAndDistrictAddUp() {
        let report = Self.sample
        #expect(report.lines.map { "\($0.program) \($0.fiscalYear) \($0.district.code)" } == [
            "NQ12-HOUSING 2024 cai-rang", "NQ12-HOUSING 2024 ninh-kieu", "NQ12-HOUSING 2025 ninh-kieu", "NQ12-WATER 2024 ninh-kieu",
        ])
        #expect(report.programTotals.map(\.program) == ["NQ12-HOUSING", "NQ12-WATER"])
        #expect(report.programTotals[0].figures == BudgetFigures(allocated: 157_000_000, reserved: 70_000_000, paid: 35_000_000, released: 15_000_000))
        #expect(report.programTotals[0].figures.available == 102_000_000)
        #expect(report.districtTotals.map(\.district) == [.caiRang, .ninhKieu])
        #expect(report.districtTotals[1].figures == BudgetFigures(allocated: 127_000_000, reserved: 45_000_000, paid: 30_000_000, released: 15_000_000))
        #expect(report.total == BudgetFigures(allocated: 177_000_000, reserved: 75_000_000, paid: 40_000_000, released: 15_000_000))
        #expect(report.programTotals.map(\.figures).reduce(.zero, +) == report.total)
        #expect(report.districtTotals.map(\.figures).reduce(.zero, +) == report.total)
    }

    @Test func filtersKeepTheMatchingBudgets() {
        let filtered = BudgetReport(lines: Self.sample.lines, filter: BudgetReportFilter(fiscalYear: 2024, district: .ninhKieu), position: 42)
        #expect(filtered.lines.map(\.program) == ["NQ12-HOUSING", "NQ12-WATER"])
        #expect(filtered.total.allocated == 120_000_000)
        let none = BudgetReport(lines: Self.sample.lines, filter: BudgetReportFilter(program: "NQ12-LATRINE"), position: 42)
        #expect(none.lines.isEmpty && none.total == .zero)
    }

    @Test func theTableGroupsThousandsWithATotalAfterEachProgramme() {
        let tables = Self.sample.tables
        #expect(tables[0].header == ["programme", "year", "district", "allocated", "reserved", "paid", "lent", "released", "available"])
        #expect(tables[0].rows[0] == ["NQ12-HOUSING", "2024", "Cái Răng", "50,000,000", "30,000,000", "10,000,000", "0", "0", "20,000,000"])
        #expect(tables[0].rows[3] == ["NQ12-HOUSING", "", "total", "157,000,000", "70,000,000", "35,000,000", "0", "15,000,000", "102,000,000"])
        #expect(tables[0].rows.last == ["all programmes", "", "total", "177,000,000", "75,000,000", "40,000,000", "0", "15,000,000", "117,000,000"])
        #expect(tables[1].rows.map(\.first) == ["Cái Răng", "Ninh Kiều", "all districts"])
    }

    @Test func csvAndJSONCarryExactIntegers() throws {
        let csv = Self.sample.csv
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines[0] == "level,program,fiscal_year,district,district_name,allocated_vnd,reserved_vnd,paid_vnd,lent_vnd,released_vnd,available_vnd")
        #expect(lines[1] == "budget,NQ12-HOUSING,2024,cai-rang,Cái Răng,50000000,30000000,10000000,0,0,20000000")
        #expect(lines.last == "total,,,,,177000000,75000000,40000000,0,15000000,117000000")
        #expect(lines.count == 1 + 4 + 2 + 2 + 1)

        let data = try JSONEncoder().encode(Self.sample.document)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["position"] as? Int == 42)
        #expect(object["business_date_as_of"] == nil)
        let total = try #require(object["total"] as? [String: Any])
        #expect(total["available_vnd"] as? Int == 117_000_000)
        let budgets = try #require(object["budgets"] as? [[String: Any]])
        #expect(budgets.first?["district"] as? String == "cai-rang")
        #expect(budgets.first?["district_name"] as? String == "Cái Răng")
        #expect(budgets.first?["reserved_vnd"] as? Int == 30_000_000)
        #expect((object["program_totals"] as? [[String: Any]])?.count == 2)
    }

    @Test func csvFieldsAreQuotedOnlyWhenNeeded() {
        #expect(ReportCSV.field("plain") == "plain")
        #expect(ReportCSV.field("PC 01/2024, \"đợt 1\"") == "\"PC 01/2024, \"\"đợt 1\"\"\"")
        #expect(ReportCSV.field("two\nlines") == "\"two\nlines\"")
        #expect(ReportCSV.text(header: ["a", "b"], rows: [["1", "x,y"]]) == "a,b\n1,\"x,y\"\n")
    }

    @Test func recordingInstantsParseToTheMicrosecond() throws {
        let noon = try RecordingInstant.parse("2024-03-01T12:00:00Z", field: "--as-of")
        #expect(noon == 1_709_294_400_000_000)
        // Without an offset: Vietnam time (UTC+07:00).
        #expect(try RecordingInstant.parse("2024-03-01T19:00:00", field: "--as-of") == noon)
        #expect(try RecordingInstant.parse("2024-03-01 19:00:00", field: "--as-of") == noon)
        #expect(try RecordingInstant.parse("01/03/2024 19:00:00", field: "--as-of") == noon)
        #expect(try RecordingInstant.parse("2024-03-01T12:00:00", field: "--as-of") == noon - 7 * 3_600_000_000)
        #expect(try RecordingInstant.parse("2024-03-01 12:00:00+00", field: "--as-of") == noon)
        #expect(try RecordingInstant.parse("2024-03-01t12:00:00z", field: "--as-of") == noon)
        #expect(try RecordingInstant.parse("2024-03-01T19:00:00+07:00", field: "--as-of") == noon)
        #expect(try RecordingInstant.parse("2024-03-01T07:30:00-04:30", field: "--as-of") == noon)
        #expect(try RecordingInstant.parse("2024-03-01T12:00:00.000250Z", field: "--as-of") == noon + 250)
        #expect(try RecordingInstant.parse("2024-03-01T12:00:00.5Z", field: "--as-of") == noon + 500_000)
        // A date alone means through the end of that day in Vietnam: 23:59:59.999999+07:00,
        // 16:59:59.999999 UTC — not the end of the UTC day, seven hours later.
        let endOfDay = try RecordingInstant.parse("2024-03-01", field: "--as-of")
        #expect(endOfDay == 1_709_337_600_000_000 - 7 * 3_600_000_000 - 1)
        #expect(endOfDay == (try RecordingInstant.parse("2024-03-01T23:59:59.999999+07:00", field: "--as-of")))
        #expect(endOfDay == (try RecordingInstant.parse("2024-03-01T16:59:59.999999Z", field: "--as-of")))
        #expect(try RecordingInstant.parse("01/03/2024", field: "--as-of") == endOfDay)
        #expect(try RecordingInstant.parse("1/3/2024", field: "--as-of") == endOfDay)
    }

    /// 21 May 2024 in Vietnam: an event at 2024-05-21T18:00:00Z (01:00 on the 22nd in Vietnam) is
    /// after it though still the 21st in UTC; one at 16:59:59Z is inside it.
    @Test func aDateAloneEndsAtVietnamMidnight() throws {
        let asOf = try RecordingInstant.parse("21/05/2024", field: "--as-of")
        #expect(asOf == (try RecordingInstant.parse("2024-05-21T23:59:59.999999+07:00", field: "--as-of")))
        let eveningUTC: Int64 = 1_716_314_400_000_000  // 2024-05-21T18:00:00Z
        let afternoonUTC: Int64 = 1_716_310_799_000_000  // 2024-05-21T16:59:59Z
        #expect(eveningUTC > asOf, "after the end of 21 May in Vietnam")
        #expect(eveningUTC <= (try RecordingInstant.parse("2024-05-21T23:59:59.999999Z", field: "--as-of")), "though within the UTC day")
        #expect(afternoonUTC <= asOf)
        #expect(try RecordingInstant.parse("22/05/2024", field: "--as-of") - asOf == 86_400_000_000)
    }

    @Test func malformedRecordingInstantsNameTheAcceptedForms() {
        let error = #expect(throws: DomainError.self) { try RecordingInstant.parse("yesterday", field: "--as-of") }
        #expect(error?.message.contains("YYYY-MM-DD or DD/MM/YYYY") == true, "\(String(describing: error))")
        let twoDigits = #expect(throws: DomainError.self) { try RecordingInstant.parse("21/05/24", field: "--as-of") }
        #expect(twoDigits?.message.contains("two-digit year") == true, "\(String(describing: twoDigits))")
    }

    @Test(arguments: ["", "yesterday", "2024-3-1", "2024-13-01", "2024-02-30", "01/03/24", "2024-03-01T25:00:00Z",
                      "2024-03-01T12:00Z", "2024-03-01T12:00:00+7", "2024-03-01T12:00:00 UTC", "2024-03-01T12:00:00.Z",
                      "2024-03-01T12:00:00.1234567Z", "2024-03-01T12:00:00ZZ", "21/05/24", "31/02/2024", "21/5/2024T", "21.05.2024",
                      " 2024-03-01", "2024-03-01 "])
    func malformedRecordingInstantsAreRefusedNamingTheFlag(text: String) {
        let error = #expect(throws: DomainError.self) { try RecordingInstant.parse(text, field: "--as-of") }
        #expect(error?.code == .invalidInput)
        #expect(error?.field == "--as-of")
    }
}
