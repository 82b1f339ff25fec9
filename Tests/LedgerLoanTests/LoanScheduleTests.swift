import Testing
@testable import Ledger

@Suite("Loan schedule")
struct LoanScheduleTests {
    @Test(arguments: [
        (VND(120_000_000), 12, 3), (VND(100_000_000), 9, 3), (VND(150_000_000), 36, 1), (VND(99_999_999), 60, 6), (VND(7), 7, 1),
    ])
    func instalmentsSumToThePrincipalExactly(principal: VND, termMonths: Int, instalmentMonths: Int) throws {
        let schedule = try LoanSchedule(
            principalVND: principal, disbursedOn: day("2024-01-31"), termMonths: termMonths, instalmentMonths: instalmentMonths
        )
        #expect(schedule.instalments.count == termMonths / instalmentMonths)
        #expect(schedule.instalments.reduce(VND.zero) { $0 + $1.principalVND } == principal)
        let floor = principal.amount / Int64(schedule.instalments.count)
        #expect(schedule.instalments.dropLast().allSatisfy { $0.principalVND.amount == floor })
    }

    /// 100,000,000 / 3 = 33,333,333 remainder 1: the last instalment takes the remainder.
    @Test func lastInstalmentTakesTheRemainder() throws {
        let schedule = try LoanSchedule(principalVND: 100_000_000, disbursedOn: day("2024-01-31"), termMonths: 9, instalmentMonths: 3)
        #expect(schedule.instalments.map(\.principalVND) == [33_333_333, 33_333_333, 33_333_334])
        #expect(schedule.instalments.map(\.number) == [1, 2, 3])
    }

    /// Due dates count from the disbursement each time, so a clamped month does not drift:
    /// 31 Jan + 1 = 29 Feb (leap), + 2 = 31 Mar, + 3 = 30 Apr.
    @Test func dueDatesClampToMonthEndWithoutDrifting() throws {
        let schedule = try LoanSchedule(principalVND: 3_000_000, disbursedOn: day("2024-01-31"), termMonths: 3, instalmentMonths: 1)
        #expect(schedule.instalments.map(\.dueOn) == [day("2024-02-29"), day("2024-03-31"), day("2024-04-30")])
        #expect(schedule.maturesOn == day("2024-04-30"))
    }

    @Test func unpaidPrincipalFillsInstalmentsFromTheFirst() throws {
        let schedule = try LoanSchedule(principalVND: 100_000_000, disbursedOn: day("2024-01-31"), termMonths: 9, instalmentMonths: 3)
        #expect(schedule.unpaidPrincipal(afterRepaying: 59_204_384) == [0, 7_462_282, 33_333_334])
        #expect(schedule.unpaidPrincipal(afterRepaying: 0) == [33_333_333, 33_333_333, 33_333_334])
        #expect(schedule.unpaidPrincipal(afterRepaying: 100_000_000) == [0, 0, 0])
    }

    @Test func termThatIsNotWholeInstalmentsIsRefused() {
        let error = expectRefusal(.invalidInput) {
            try LoanSchedule(principalVND: 1_000_000, disbursedOn: day("2024-01-01"), termMonths: 10, instalmentMonths: 3)
        }
        #expect(error?.field == "--term-months")
        expectRefusal(.invalidInput) {
            try LoanSchedule(principalVND: 1_000_000, disbursedOn: day("2024-01-01"), termMonths: LoanLimits.maximumTermMonths + 1, instalmentMonths: 1)
        }
        expectRefusal(.invalidInput) {
            try LoanSchedule(principalVND: 2, disbursedOn: day("2024-01-01"), termMonths: 3, instalmentMonths: 1)
        }
    }
}
