import Ledger
import Testing

private let date = Fixtures.date

/// A grant from catalog to closure, each decision applied to the states it wrote, as the
/// handler would: the figures of every stream must agree at each step.
@Suite struct GrantLifecycleTests {
    @Test func aGrantIsSubmittedApprovedPaidReversedRepaidAndClosedWithEveryFigureInStep() throws {
        let catalog = try ProgramCatalog(parsing: SampleCatalog.json)
        let load = try ProgramDecisions.load(catalog: catalog, existing: [:])
        let water = Fixtures.after(ProgramState(streamID: "program-NQ12-WATER"), "program-NQ12-WATER", load, actor: "admin")
        #expect(water.current?.capPerBeneficiaryVND == 10_000_000)

        let budgetStream = Streams.budget(program: "NQ12-WATER", year: 2024, district: .coDo)
        var budget = BudgetState(streamID: budgetStream)
        budget = Fixtures.after(budget, budgetStream, try BudgetDecisions.allocate(
            program: water, year: 2024, district: try District(parsing: "Cờ Đỏ"), amount: 50_000_000, reference: "QĐ 12/QĐ-UBND", budget: budget
        ), actor: "admin")

        var household = BeneficiaryState(streamID: "beneficiary-HH-7")
        household = Fixtures.after(household, "beneficiary-HH-7", try BeneficiaryDecisions.register(
            RegisterBeneficiary(id: "HH-7", kind: .household, name: "Thạch Thị Sương", district: .coDo, categories: ["Poor", "ethnic minority"], bankAccount: "7100 2045 8891"),
            existing: household, fingerprint: try NationalID(parsing: "092184000123").fingerprint(keyBytes: Array(repeating: 42, count: 32))
        ), actor: Fixtures.officer)

        var application = ApplicationState(streamID: "application-A-7")
        application = Fixtures.after(application, "application-A-7", try ApplicationDecisions.submit(
            id: "A-7", existing: application, beneficiary: household, program: water, requested: 10_000_000, submittedOn: date("2024-04-01")
        ), actor: Fixtures.officer)
        #expect(application.budgetStreamID == budgetStream)

        let approval = try ApplicationDecisions.approve(
            application: application, program: water, budget: budget, beneficiary: household, approver: Fixtures.approver,
            amount: 8_000_000, decisionReference: "QĐ 88/QĐ-UBND", decidedOn: date("2024-04-15")
        )
        #expect(approval.streams.map(\.expectedVersion) == [1, 1, 1])
        application = Fixtures.after(application, application.streamID, approval, actor: Fixtures.approver)
        budget = Fixtures.after(budget, budgetStream, approval, actor: Fixtures.approver)
        household = Fixtures.after(household, household.streamID, approval, actor: Fixtures.approver)
        #expect(budget.available == 42_000_000)
        #expect(household.committed(program: "NQ12-WATER") == 8_000_000)

        // A second approval for the same household would exceed the once-only cap.
        let secondApplication = Fixtures.after(ApplicationState(streamID: "application-A-8"), "application-A-8", try ApplicationDecisions.submit(
            id: "A-8", existing: ApplicationState(streamID: "application-A-8"), beneficiary: household, program: water, requested: 5_000_000, submittedOn: date("2024-05-01")
        ), actor: Fixtures.officer)
        let error = try #require(refusal {
            try ApplicationDecisions.approve(
                application: secondApplication, program: water, budget: budget, beneficiary: household, approver: Fixtures.approver,
                amount: 5_000_000, decisionReference: "QĐ 90", decidedOn: date("2024-05-02")
            )
        })
        #expect(error.code == .overCap)
        #expect(error.message.contains("already granted 8,000,000 ₫"))

        application = Fixtures.after(application, application.streamID, try ApplicationDecisions.recordPayment(
            application: application, program: water, beneficiary: household, paymentID: "P-71", amount: 5_000_000, paidOn: date("2024-04-20"), method: .bank, voucher: "UNC 71"
        ), actor: Fixtures.officer)
        #expect(application.payments["P-71"]?.bankAccount == "7100 2045 8891")
        application = Fixtures.after(application, application.streamID, try ApplicationDecisions.reversePayment(
            application: application, paymentID: "P-71", reason: "tài khoản bị khóa", reversedOn: date("2024-04-22")
        ), actor: Fixtures.officer)
        application = Fixtures.after(application, application.streamID, try ApplicationDecisions.recordPayment(
            application: application, program: water, beneficiary: household, paymentID: "P-72", amount: 5_000_000, paidOn: date("2024-04-25"), method: .cash, voucher: "PC 72"
        ), actor: Fixtures.officer)
        #expect(application.paid == 5_000_000)
        #expect(application.remainingPayable == 3_000_000)

        let closure = try ApplicationDecisions.close(application: application, budget: budget, beneficiary: household, on: date("2024-06-30"))
        application = Fixtures.after(application, application.streamID, closure, actor: Fixtures.officer)
        budget = Fixtures.after(budget, budgetStream, closure, actor: Fixtures.officer)
        household = Fixtures.after(household, household.streamID, closure, actor: Fixtures.officer)
        #expect(application.status == .closed)
        #expect(budget.reserved == 5_000_000)
        #expect(budget.available == 45_000_000)
        #expect(household.committed(program: "NQ12-WATER") == 5_000_000)
        #expect(application.version == 6 && budget.version == 3 && household.version == 3)
    }
}
