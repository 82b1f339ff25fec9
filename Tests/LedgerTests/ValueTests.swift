import Foundation
import Ledger
import Testing

@Suite struct VNDParsingTests {
    @Test(arguments: [
        ("5000000", Int64(5_000_000)), ("5.000.000", 5_000_000), ("5,000,000", 5_000_000), ("5_000_000", 5_000_000),
        ("5 000 000", 5_000_000), (" 40000000 ", 40_000_000), ("0", 0), ("999", 999), ("1.000", 1_000),
    ])
    func wholeAmountsInEveryGroupingAreRead(text: String, amount: Int64) throws {
        #expect(try VND(parsing: text, field: "--amount") == VND(amount))
    }

    @Test(arguments: ["-5", "+5"])
    func aSignIsRefusedUnlessTheAmountIsSigned(text: String) throws {
        let error = try #require(refusal { try VND(parsing: text, field: "--amount") })
        #expect(error.code == .invalidInput)
        #expect(error.field == "--amount")
        #expect(error.message.contains("without a sign"))
    }

    @Test(arguments: [("-5", Int64(-5)), ("+5.000", 5_000), ("-1,000,000", -1_000_000)])
    func signedAmountsAcceptASign(text: String, amount: Int64) throws {
        #expect(try VND(parsing: text, field: "--amount", signed: true) == VND(amount))
    }

    @Test(arguments: ["5.5", "5,50", "5.000,000", "1.0000", "12.34.567", "abc", "5e6", "", " ", "5 000,000", "٥"])
    func decimalsMixedSeparatorsAndNonDigitsAreRefused(text: String) throws {
        let error = try #require(refusal { try VND(parsing: text, field: "amount") })
        #expect(error.code == .invalidInput)
        #expect(error.field == "amount")
    }

    @Test(arguments: ["1000000000000000001", "99999999999999999999", "9.223.372.036.854.775.808"])
    func amountsAboveTheLedgersLimitAreRefused(text: String) throws {
        let error = try #require(refusal { try VND(parsing: text, field: "amount") })
        #expect(error.code == .invalidInput)
        #expect(error.message.contains("larger than the ledger accepts"))
    }

    @Test func arithmeticThatWouldOverflowThrowsInsteadOfWrapping() throws {
        let largest = VND(VND.maximumMagnitude)
        let error = try #require(refusal { try largest.adding(1) })
        #expect(error.code == .amountOverflow)
        #expect(try largest.subtracting(largest) == .zero)
        #expect(refusal { try VND(-VND.maximumMagnitude).subtracting(1) }?.code == .amountOverflow)
    }

    @Test func amountsAreFormattedWithThousandsSeparatorsAndTheUnit() {
        #expect(VND(5_000_000).formatted == "5,000,000 ₫")
        #expect(VND(-1_234).formatted == "-1,234 ₫")
        #expect(VND(999).formatted == "999 ₫")
        #expect(VND(5_000_000).description == "5000000")
    }
}

@Suite struct DistrictParsingTests {
    @Test(arguments: [
        ("Ninh Kiều", District.ninhKieu), ("ninh kieu", .ninhKieu), ("NINH-KIEU", .ninhKieu), ("Quận Ninh Kiều", .ninhKieu),
        ("quan ninh kieu", .ninhKieu), ("  ninh_kieu ", .ninhKieu), ("Thốt Nốt", .thotNot), ("Cờ Đỏ", .coDo), ("co do", .coDo),
        ("Huyện Phong Điền", .phongDien), ("Ô Môn", .oMon), ("Bình Thủy", .binhThuy), ("Cái Răng", .caiRang),
        ("Thới Lai", .thoiLai), ("Vĩnh Thạnh", .vinhThanh),
    ])
    func namesWithOrWithoutDiacriticsAndPrefixesAreRead(text: String, district: District) throws {
        #expect(try District(parsing: text) == district)
    }

    @Test func coDoIsStoredInItsCanonicalASCIIForm() throws {
        #expect(try District(parsing: "Cờ Đỏ").code == "co-do")
        #expect(District.coDo.name == "Cờ Đỏ")
    }

    @Test(arguments: ["Hà Nội", "", "Ninh", "Quận", "ninhkieu"])
    func placesOutsideCanThoAreRefused(text: String) throws {
        let error = try #require(refusal { try District(parsing: text, field: "--district") })
        #expect(error.code == .invalidInput)
        #expect(error.field == "--district")
        #expect(error.message.contains("Ninh Kiều"))
    }

    @Test func thereAreNineDistrictsFourOfThemRural() {
        #expect(District.allCases.count == 9)
        #expect(District.allCases.filter(\.isRural).count == 4)
    }
}

@Suite struct LocalDateTests {
    @Test func aDateIsParsedAndPrintedAsYearMonthDay() throws {
        let date = try LocalDate(parsing: "2024-02-29", field: "paid_on")
        #expect((date.year, date.month, date.day) == (2024, 2, 29))
        #expect(date.description == "2024-02-29")
    }

    @Test(arguments: ["2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00"])
    func daysThatAreNotInTheCalendarAreRefused(text: String) throws {
        let error = try #require(refusal { try LocalDate(parsing: text, field: "paid_on") })
        #expect(error.code == .invalidInput)
        #expect(error.field == "paid_on")
        #expect(error.message.contains("not a day of the calendar"))
    }

    @Test(arguments: ["2024-1-05", "05/01/2024", "2024-01-05T00:00", "", "２０２４-01-05", "2024/01/05"])
    func malformedDatesAreRefused(text: String) throws {
        let error = try #require(refusal { try LocalDate(parsing: text, field: "paid_on") })
        #expect(error.code == .invalidInput)
        #expect(error.message.contains("YYYY-MM-DD"))
    }

    @Test(arguments: [
        ("2024-01-31", 1, "2024-02-29"), ("2023-01-31", 1, "2023-02-28"), ("2024-03-31", 1, "2024-04-30"),
        ("2024-01-15", 3, "2024-04-15"), ("2024-11-30", 3, "2025-02-28"), ("2024-01-31", 13, "2025-02-28"),
        ("2024-03-31", -1, "2024-02-29"), ("2024-01-01", 60, "2029-01-01"),
    ])
    func addingMonthsClampsToTheLastDayOfTheMonth(start: String, months: Int, expected: String) {
        #expect(Fixtures.date(start).adding(months: months) == Fixtures.date(expected))
    }

    @Test(arguments: [
        ("2024-01-01", "2024-12-31", 365), ("2023-01-01", "2024-01-01", 365), ("2024-01-01", "2025-01-01", 366),
        ("2024-03-01", "2024-02-28", -2), ("1970-01-01", "1970-01-01", 0),
    ])
    func daysBetweenTwoDatesCountLeapDays(from: String, until: String, days: Int) {
        #expect(Fixtures.date(from).days(until: Fixtures.date(until)) == days)
    }

    @Test func daysSinceTheEpochRoundTrip() {
        #expect(Fixtures.date("1970-01-01").daysSinceEpoch == 0)
        for days in stride(from: -1_000, through: 40_000, by: 37) {
            #expect(LocalDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        #expect(Fixtures.date("2024-02-28").adding(days: 1) == Fixtures.date("2024-02-29"))
    }

    @Test func todayIsTakenInVietnamsTimeZone() {
        // 2024-03-01 17:30 UTC is 2024-03-02 00:30 in Vietnam (UTC+7).
        let instant = Foundation.Date(timeIntervalSince1970: 1_709_314_200)
        #expect(LocalDate.today(now: instant) == Fixtures.date("2024-03-02"))
    }
}
