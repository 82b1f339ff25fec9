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

    @Test(arguments: [
        ("5.000.000đ", Int64(5_000_000)), ("5.000.000 ₫", 5_000_000), ("5000000 VND", 5_000_000), ("5000000vnd", 5_000_000),
        ("5.000.000 đồng", 5_000_000), ("5.000.000 ĐỒNG", 5_000_000), ("5,000,000 VNĐ", 5_000_000), ("5000000 vnđ", 5_000_000),
        ("5.000.000Đ", 5_000_000), ("5 000 000 đ", 5_000_000), ("5.000.000 \u{0111}o\u{0302}\u{0300}ng", 5_000_000),
    ])
    func aTrailingUnitIsAccepted(text: String, amount: Int64) throws {
        #expect(try VND(parsing: text, field: "--amount") == VND(amount))
    }

    @Test func aSignedAmountMayCarryTheUnit() throws {
        #expect(try VND(parsing: "-50.000.000 ₫", field: "--amount", signed: true) == VND(-50_000_000))
    }

    @Test(arguments: ["5.000.000,50", "5000000.00", "5,000,000.5", "12.5", "1.234,5 đ", "5.000.000,00 VND"])
    func aDecimalPartIsRefusedWithTheReason(text: String) throws {
        let error = try #require(refusal { try VND(parsing: text, field: "--amount") })
        #expect(error.field == "--amount")
        #expect(error.message == "\(text.debugDescription): đồng are whole: no decimal part")
    }

    @Test(arguments: ["đ", "VND", "5 USD", "5.000.000 đđ", "đ 5000"])
    func aUnitAloneOrAnotherCurrencyIsRefused(text: String) throws {
        let error = try #require(refusal { try VND(parsing: text, field: "--amount") })
        #expect(error.code == .invalidInput)
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

@Suite struct TextNormalisationTests {
    @Test func typedTextIsComposedToNFC() throws {
        let decomposed = "Nguye\u{0302}\u{0303}n Va\u{0306}n An"
        let stored = try DomainText.validated(decomposed, field: "name", maximumCharacters: 200)
        #expect(Array(stored.unicodeScalars) == Array("Nguy\u{1EC5}n V\u{0103}n An".unicodeScalars))
    }

    @Test func theLimitCountsTheComposedForm() throws {
        // 100 × "ễ" is 300 code points decomposed, 100 composed.
        let decomposed = String(repeating: "e\u{0302}\u{0303}", count: 100)
        #expect(try DomainText.validated(decomposed, field: "name", maximumCharacters: 100).unicodeScalars.count == 100)
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

    @Test(arguments: ["2024-1-05", "005/01/2024", "2024-01-05T00:00", "", "２０２４-01-05", "2024/01/05", "5/1/", "5//2024", "a/b/2024"])
    func malformedDatesAreRefused(text: String) throws {
        let error = try #require(refusal { try LocalDate(parsing: text, field: "paid_on") })
        #expect(error.code == .invalidInput)
        #expect(error.message.contains("YYYY-MM-DD"))
    }

    @Test(arguments: [
        ("21/05/2024", "2024-05-21"), ("1/5/2024", "2024-05-01"), ("01/05/2024", "2024-05-01"), ("29/02/2024", "2024-02-29"),
        (" 31/12/2024 ", "2024-12-31"), ("5/11/2024", "2024-11-05"),
    ])
    func dayMonthYearAsOfficersWriteItIsRead(text: String, expected: String) throws {
        #expect(try LocalDate(parsing: text, field: "--paid-on") == Fixtures.date(expected))
    }

    @Test(arguments: [("21/05/24", "2024"), ("1/5/99", "2099")])
    func aTwoDigitYearIsRefusedAsAmbiguous(text: String, suggested: String) throws {
        let error = try #require(refusal { try LocalDate(parsing: text, field: "--paid-on") })
        #expect(error.code == .invalidInput)
        #expect(error.field == "--paid-on")
        #expect(error.message.contains("a two-digit year is ambiguous: write \(suggested)"))
    }

    @Test(arguments: ["31/02/2024", "29/02/2023", "31/04/2024", "1/13/2024", "0/1/2024"])
    func dayMonthYearNotInTheCalendarIsRefused(text: String) throws {
        let error = try #require(refusal { try LocalDate(parsing: text, field: "--paid-on") })
        #expect(error.field == "--paid-on")
        #expect(error.message == "\(text) is not a day of the calendar")
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
