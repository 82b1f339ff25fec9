import Foundation
import Ledger
import Testing

private let date = Fixtures.date

@Suite struct ApplicationSubmissionTests {
    static func submit(
        id: String = "A-1", existing: ApplicationState = ApplicationState(streamID: "application-A-1"),
        beneficiary: BeneficiaryState = Fixtures.beneficiary(), program: ProgramState = Fixtures.latrine,
        requested: VND = 6_000_000, on submittedOn: String = "2024-03-01", fiscalYear: Int? = nil
    ) throws -> Decision {
        try ApplicationDecisions.submit(
            id: id, existing: existing, beneficiary: beneficiary, program: program, requested: requested,
            submittedOn: date(submittedOn), fiscalYear: fiscalYear
        )
    }

    @Test func anEligibleApplicationIsSubmittedInTheBeneficiarysDistrictAndTheYearOfSubmission() throws {
        let decision = try Self.submit(beneficiary: Fixtures.beneficiary(district: .vinhThanh))
        #expect(decision.streams == [StreamEvents(stream: "application-A-1", expectedVersion: 0, events: [
            .applicationSubmitted(Fixtures.submitted(district: .vinhThanh)),
        ])])
        #expect(decision.summary.contains("6,000,000 ₫"))
    }

    @Test func aFiscalYearGivenOverridesTheYearOfSubmission() throws {
        let decision = try Self.submit(on: "2024-12-20", fiscalYear: 2025)
        guard case .applicationSubmitted(let submitted) = try #require(decision.streams.first?.events.first) else {
            Issue.record("expected a submission")
            return
        }
        #expect(submitted.fiscalYear == 2025)
        #expect(submitted.submittedOn == date("2024-12-20"))
    }

    @Test func submittingTheSameApplicationAgainIsAlreadyDone() throws {
        let decision = try Self.submit(existing: Fixtures.submittedApplication)
        #expect(decision.alreadyDone)
        #expect(decision.streams.isEmpty)
    }

    @Test func aDifferentApplicationUnderAnUsedIdIsRefused() throws {
        let error = try #require(refusal { try Self.submit(existing: Fixtures.submittedApplication, requested: 5_000_000) })
        #expect(error.code == .alreadyExists)
        #expect(error.message.contains("A-1"))
        #expect(error.message.contains("6,000,000 ₫ on 2024-03-01"))
    }

    @Test func anUnregisteredBeneficiaryIsRefused() throws {
        let error = try #require(refusal { try Self.submit(beneficiary: BeneficiaryState(streamID: "beneficiary-HH-9")) })
        #expect(error.code == .unknownBeneficiary)
        #expect(error.message.contains("HH-9"))
    }

    @Test func anUndefinedProgrammeIsRefused() throws {
        let error = try #require(refusal { try Self.submit(program: ProgramState(streamID: "program-NQ12-GARDEN")) })
        #expect(error.code == .unknownProgram)
        #expect(error.message.contains("NQ12-GARDEN"))
    }

    @Test func aPersonCannotApplyToAHouseholdProgramme() throws {
        let error = try #require(refusal { try Self.submit(beneficiary: Fixtures.beneficiary(kind: .person)) })
        #expect(error.code == .notEligible)
        #expect(error.message.contains("supports households"))
        #expect(error.message.contains("registered as a person"))
    }

    @Test func aBeneficiaryWithoutAnEligibleCategoryIsRefused() throws {
        let error = try #require(refusal { try Self.submit(beneficiary: Fixtures.beneficiary(categories: ["near-poor"])) })
        #expect(error.code == .notEligible)
        #expect(error.message.contains("requires one of the categories poor"))
        #expect(error.message.contains("has: near-poor"))
    }

    @Test func aProgrammeListingNoCategoriesServesAnyCategory() throws {
        let open = Fixtures.program(Fixtures.grant(categories: []))
        let decision = try Self.submit(beneficiary: Fixtures.beneficiary(categories: []), program: open)
        #expect(decision.streams.count == 1)
    }

    @Test func aRequestAboveTheCapIsRefusedNamingBothFigures() throws {
        let error = try #require(refusal { try Self.submit(requested: 7_000_000) })
        #expect(error.code == .overCap)
        #expect(error.message.contains("7,000,000 ₫ requested"))
        #expect(error.message.contains("cap of 6,000,000 ₫"))
    }

    @Test(arguments: [VND(0), VND(-6_000_000)])
    func aRequestMustBePositive(requested: VND) throws {
        let error = try #require(refusal { try Self.submit(requested: requested) })
        #expect(error.code == .invalidInput)
        #expect(error.field == "amount")
    }

    @Test func anInvalidIdIsRefused() throws {
        let error = try #require(refusal {
            try Self.submit(id: "A/1", existing: ApplicationState(streamID: "application-A/1"))
        })
        #expect(error.field == "id")
    }
}

@Suite struct ApplicationApprovalTests {
    static func approve(
        application: ApplicationState = Fixtures.submittedApplication, program: ProgramState = Fixtures.latrine,
        budget: BudgetState = Fixtures.budget(), beneficiary: BeneficiaryState = Fixtures.beneficiary(),
        approver: String = Fixtures.approver, amount: VND = 6_000_000, reference: String = "QĐ 15/2024", on decidedOn: String = "2024-03-10"
    ) throws -> Decision {
        try ApplicationDecisions.approve(
            application: application, program: program, budget: budget, beneficiary: beneficiary, approver: approver,
            amount: amount, decisionReference: reference, decidedOn: date(decidedOn)
        )
    }

    @Test func anApprovalReservesTheBudgetAndCommitsTheBenefitAtomically() throws {
        let budget = Fixtures.budget(reservations: [("A-0", 6_000_000)])
        let beneficiary = Fixtures.beneficiary(committed: [("A-X", "NQ12-WATER", 10_000_000)])
        let decision = try Self.approve(budget: budget, beneficiary: beneficiary, amount: 5_000_000)
        #expect(decision.streams == [
            StreamEvents(stream: "application-A-1", expectedVersion: 1, events: [
                .applicationApproved(ApplicationApproved(approvedVND: 5_000_000, decisionReference: "QĐ 15/2024", decidedOn: date("2024-03-10"))),
            ]),
            StreamEvents(stream: "budget-NQ12-LATRINE-2024-ninh-kieu", expectedVersion: 2, events: [
                .fundsReserved(FundsReserved(applicationID: "A-1", amountVND: 5_000_000)),
            ]),
            StreamEvents(stream: "beneficiary-HH-1", expectedVersion: 2, events: [
                .benefitCommitted(BenefitCommitted(applicationID: "A-1", program: "NQ12-LATRINE", amountVND: 5_000_000)),
            ]),
        ])
        #expect(decision.summary.contains("89,000,000 ₫ left"))
    }

    @Test func approvingTheWholeAvailableBudgetIsAllowed() throws {
        let decision = try Self.approve(budget: Fixtures.budget(allocated: 6_000_000))
        #expect(decision.streams.count == 3)
    }

    @Test func approvalAboveTheBudgetStillAvailableIsRefused() throws {
        let budget = Fixtures.budget(allocated: 10_000_000, reservations: [("A-0", 5_000_000)])
        let error = try #require(refusal { try Self.approve(budget: budget) })
        #expect(error.code == .overBudget)
        #expect(error.message.contains("approving 6,000,000 ₫"))
        #expect(error.message.contains("5,000,000 ₫ still available"))
        #expect(error.message.contains("NQ12-LATRINE 2024 Ninh Kiều"))
    }

    @Test func approvalWithoutAnAllocatedBudgetIsRefused() throws {
        let error = try #require(refusal { try Self.approve(budget: Fixtures.budget(allocated: nil)) })
        #expect(error.code == .overBudget)
        #expect(error.message.contains("no budget allocated for NQ12-LATRINE 2024 Ninh Kiều"))
    }

    @Test(arguments: [true, false])
    func approvalAboveTheCapIsRefused(onceOnly: Bool) throws {
        let program = Fixtures.program(Fixtures.grant(onceOnly: onceOnly))
        let error = try #require(refusal { try Self.approve(program: program, amount: 6_000_001) })
        #expect(error.code == .overCap)
        #expect(error.message.contains("approving 6,000,001 ₫ is above the cap of 6,000,000 ₫"))
    }

    @Test func aOnceOnlyProgrammeCountsWhatTheBeneficiaryWasAlreadyGranted() throws {
        let beneficiary = Fixtures.beneficiary(committed: [("A-0", "NQ12-LATRINE", 4_000_000)])
        let error = try #require(refusal { try Self.approve(beneficiary: beneficiary, amount: 3_000_000) })
        #expect(error.code == .overCap)
        #expect(error.message.contains("already granted 4,000,000 ₫"))
        #expect(error.message.contains("at most 2,000,000 ₫ can be approved"))
        #expect(try Self.approve(beneficiary: beneficiary, amount: 2_000_000).streams.count == 3)
    }

    @Test func aRepeatableProgrammeDoesNotCountEarlierGrants() throws {
        let repeatable = Fixtures.program(Fixtures.grant(onceOnly: false))
        let beneficiary = Fixtures.beneficiary(committed: [("A-0", "NQ12-LATRINE", 6_000_000)])
        #expect(try Self.approve(program: repeatable, beneficiary: beneficiary).streams.count == 3)
    }

    @Test func aSubmitterCannotApproveTheirOwnApplication() throws {
        let error = try #require(refusal { try Self.approve(approver: Fixtures.officer) })
        #expect(error.code == .fourEyes)
        #expect(error.message.contains("submitted by officer_lan"))
    }

    @Test(arguments: ["2023-12-31", "2026-01-05"])
    func approvalOutsideTheProgrammesWindowIsRefused(decidedOn: String) throws {
        let early = Fixtures.application("A-1", [.applicationSubmitted(Fixtures.submitted(on: "2023-12-01"))])
        let error = try #require(refusal { try Self.approve(application: early, on: decidedOn) })
        #expect(error.code == .outsideProgramWindow)
        #expect(error.message.contains("valid from 2024-01-01 to 2025-12-31"))
        #expect(error.message.contains(decidedOn))
    }

    @Test func theWindowAndCapAreThoseOfTheDefinitionInForceOnTheDecisionDate() throws {
        let extended = Fixtures.program(
            Fixtures.grant(cap: 6_000_000),
            Fixtures.grant(cap: 8_000_000, validUntil: "2026-12-31", effectiveFrom: "2026-01-01")
        )
        #expect(try Self.approve(program: extended, amount: 8_000_000, on: "2026-03-01").streams.count == 3)
        let error = try #require(refusal { try Self.approve(program: extended, amount: 8_000_000, on: "2025-06-01") })
        #expect(error.code == .overCap)
        #expect(error.message.contains("cap of 6,000,000 ₫"))
    }

    @Test(arguments: [ApplicationStatus.approved, .rejected, .withdrawn, .closed])
    func onlyASubmittedApplicationCanBeApproved(status: ApplicationStatus) throws {
        let error = try #require(refusal { try Self.approve(application: ApplicationFixtures.application(in: status)) })
        #expect(error.code == .wrongStatus)
        #expect(error.message.contains("application A-1 is \(status.rawValue)"))
        #expect(error.message.contains("only a submitted application can be approved"))
    }

    @Test func approvingAnApplicationNeverSubmittedIsRefused() throws {
        let error = try #require(refusal { try Self.approve(application: ApplicationState(streamID: "application-A-1")) })
        #expect(error.code == .unknownApplication)
    }

    @Test func aDecisionDatedBeforeTheSubmissionIsRefused() throws {
        let error = try #require(refusal { try Self.approve(on: "2024-02-28") })
        #expect(error.code == .outOfOrder)
        #expect(error.field == "decided_on")
        #expect(error.message.contains("2024-02-28 is before 2024-03-01"))
    }

    @Test func aDecisionNeedsAReferenceAndAPositiveAmount() throws {
        #expect(refusal { try Self.approve(reference: " ") }?.field == "decision")
        #expect(refusal { try Self.approve(amount: .zero) }?.field == "amount")
    }
}

@Suite struct ApplicationRejectionTests {
    @Test func anApproverRejectsASubmittedApplicationWithAReason() throws {
        let decision = try ApplicationDecisions.reject(
            application: Fixtures.submittedApplication, approver: Fixtures.approver, reason: " không đủ điều kiện ", decidedOn: date("2024-03-05")
        )
        #expect(decision.streams == [StreamEvents(stream: "application-A-1", expectedVersion: 1, events: [
            .applicationRejected(ApplicationRejected(reason: "không đủ điều kiện", decidedOn: date("2024-03-05"))),
        ])])
    }

    @Test func aSubmitterCannotRejectTheirOwnApplication() throws {
        let error = try #require(refusal {
            try ApplicationDecisions.reject(application: Fixtures.submittedApplication, approver: Fixtures.officer, reason: "x", decidedOn: date("2024-03-05"))
        })
        #expect(error.code == .fourEyes)
    }

    @Test func anApprovedApplicationCannotBeRejected() throws {
        let error = try #require(refusal {
            try ApplicationDecisions.reject(application: Fixtures.approvedApplication(), approver: Fixtures.approver, reason: "x", decidedOn: date("2024-03-15"))
        })
        #expect(error.code == .wrongStatus)
        #expect(error.message.contains("is approved"))
    }

    @Test(arguments: ["", String(repeating: "r", count: 501)])
    func aReasonIsRequiredAndBounded(reason: String) throws {
        let error = try #require(refusal {
            try ApplicationDecisions.reject(application: Fixtures.submittedApplication, approver: Fixtures.approver, reason: reason, decidedOn: date("2024-03-05"))
        })
        #expect(error.field == "reason")
    }
}

@Suite struct ApplicationWithdrawalTests {
    @Test func aSubmittedApplicationIsSimplyWithdrawn() throws {
        let decision = try ApplicationDecisions.withdraw(
            application: Fixtures.submittedApplication, budget: nil, beneficiary: nil, reason: "moved away", on: date("2024-03-05")
        )
        #expect(decision.streams == [StreamEvents(stream: "application-A-1", expectedVersion: 1, events: [
            .applicationWithdrawn(ApplicationWithdrawn(reason: "moved away", withdrawnOn: date("2024-03-05"), releasedVND: .zero)),
        ])])
    }

    @Test func anApprovedUnpaidApplicationIsWithdrawnReleasingItsWholeReservation() throws {
        let budget = Fixtures.budget(reservations: [("A-1", 6_000_000)])
        let beneficiary = Fixtures.beneficiary(committed: [("A-1", "NQ12-LATRINE", 6_000_000)])
        let decision = try ApplicationDecisions.withdraw(
            application: Fixtures.approvedApplication(), budget: budget, beneficiary: beneficiary, reason: "moved away", on: date("2024-03-12")
        )
        #expect(decision.streams == [
            StreamEvents(stream: "application-A-1", expectedVersion: 2, events: [
                .applicationWithdrawn(ApplicationWithdrawn(reason: "moved away", withdrawnOn: date("2024-03-12"), releasedVND: 6_000_000)),
            ]),
            StreamEvents(stream: "budget-NQ12-LATRINE-2024-ninh-kieu", expectedVersion: 2, events: [
                .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 6_000_000, reason: "withdrawn: moved away")),
            ]),
            StreamEvents(stream: "beneficiary-HH-1", expectedVersion: 2, events: [
                .benefitReleased(BenefitReleased(applicationID: "A-1", program: "NQ12-LATRINE", amountVND: 6_000_000)),
            ]),
        ])
        #expect(decision.summary.contains("6,000,000 ₫ released"))
    }

    @Test func anApprovedApplicationWhoseOnlyPaymentWasReversedCanBeWithdrawn() throws {
        var application = Fixtures.approvedApplication(payments: [Fixtures.payment("P-1", 2_000_000)])
        application = Fixtures.after(application, application.streamID, try ApplicationDecisions.reversePayment(
            application: application, paymentID: "P-1", reason: "returned", reversedOn: date("2024-03-20")
        ), actor: Fixtures.officer)
        let decision = try ApplicationDecisions.withdraw(
            application: application, budget: Fixtures.budget(reservations: [("A-1", 6_000_000)]),
            beneficiary: Fixtures.beneficiary(committed: [("A-1", "NQ12-LATRINE", 6_000_000)]), reason: "moved away", on: date("2024-03-21")
        )
        #expect(decision.streams.count == 3)
    }

    @Test func anApplicationWithMoneyPaidOutCannotBeWithdrawn() throws {
        let error = try #require(refusal {
            try ApplicationDecisions.withdraw(
                application: Fixtures.approvedApplication(payments: [Fixtures.payment("P-1", 2_000_000)]),
                budget: Fixtures.budget(), beneficiary: Fixtures.beneficiary(), reason: "moved", on: date("2024-03-20")
            )
        })
        #expect(error.code == .wrongStatus)
        #expect(error.message.contains("2,000,000 ₫ paid out"))
        #expect(error.message.contains("close it"))
    }

    @Test(arguments: [ApplicationStatus.rejected, .withdrawn, .closed])
    func aDecidedOrClosedApplicationCannotBeWithdrawn(status: ApplicationStatus) throws {
        let error = try #require(refusal {
            try ApplicationDecisions.withdraw(
                application: ApplicationFixtures.application(in: status), budget: Fixtures.budget(), beneficiary: Fixtures.beneficiary(),
                reason: "moved", on: date("2024-12-31")
            )
        })
        #expect(error.code == .wrongStatus)
        #expect(error.message.contains("is \(status.rawValue)"))
    }
}

@Suite struct ApplicationClosureTests {
    @Test func closingReleasesTheUnpaidRemainder() throws {
        let application = Fixtures.approvedApplication(payments: [Fixtures.payment("P-1", 4_000_000)])
        let decision = try ApplicationDecisions.close(
            application: application, budget: Fixtures.budget(reservations: [("A-1", 6_000_000)]),
            beneficiary: Fixtures.beneficiary(committed: [("A-1", "NQ12-LATRINE", 6_000_000)]), on: date("2024-06-30")
        )
        #expect(decision.streams == [
            StreamEvents(stream: "application-A-1", expectedVersion: 3, events: [
                .applicationClosed(ApplicationClosed(closedOn: date("2024-06-30"), paidVND: 4_000_000, releasedVND: 2_000_000)),
            ]),
            StreamEvents(stream: "budget-NQ12-LATRINE-2024-ninh-kieu", expectedVersion: 2, events: [
                .fundsReleased(FundsReleased(applicationID: "A-1", amountVND: 2_000_000, reason: "closed: unpaid remainder")),
            ]),
            StreamEvents(stream: "beneficiary-HH-1", expectedVersion: 2, events: [
                .benefitReleased(BenefitReleased(applicationID: "A-1", program: "NQ12-LATRINE", amountVND: 2_000_000)),
            ]),
        ])
    }

    @Test func closingAFullyPaidApplicationReleasesNothing() throws {
        let application = Fixtures.approvedApplication(payments: [Fixtures.payment("P-1", 6_000_000)])
        let decision = try ApplicationDecisions.close(application: application, budget: Fixtures.budget(), beneficiary: Fixtures.beneficiary(), on: date("2024-06-30"))
        #expect(decision.streams == [StreamEvents(stream: "application-A-1", expectedVersion: 3, events: [
            .applicationClosed(ApplicationClosed(closedOn: date("2024-06-30"), paidVND: 6_000_000, releasedVND: .zero)),
        ])])
    }

    @Test func aLoanApplicationCountsThePrincipalDisbursedAsPaid() throws {
        let application = Fixtures.application("A-1", [
            .applicationSubmitted(Fixtures.submitted(beneficiary: "P-1", program: "NQ11-OVERSEAS-LOAN", requested: 150_000_000)),
            .applicationApproved(ApplicationApproved(approvedVND: 150_000_000, decisionReference: "QĐ 7", decidedOn: date("2024-03-10"))),
            .loanOpened(LoanOpened(loanID: "L-1", principalVND: 100_000_000, disbursedOn: date("2024-04-01"))),
        ])
        #expect(application.loanIDs == ["L-1"])
        #expect(application.remainingPayable == 50_000_000)
        let decision = try ApplicationDecisions.close(
            application: application,
            budget: Fixtures.budget(program: "NQ11-OVERSEAS-LOAN", allocated: 1_000_000_000, reservations: [("A-1", 150_000_000)]),
            beneficiary: Fixtures.beneficiary(id: "P-1", kind: .person), on: date("2024-04-02")
        )
        guard case .applicationClosed(let closed) = try #require(decision.streams.first?.events.first) else {
            Issue.record("expected a closure")
            return
        }
        #expect(closed.paidVND == 100_000_000)
        #expect(closed.releasedVND == 50_000_000)
        #expect(decision.streams.map(\.stream) == ["application-A-1", "budget-NQ11-OVERSEAS-LOAN-2024-ninh-kieu", "beneficiary-P-1"])
    }

    @Test(arguments: [ApplicationStatus.submitted, .rejected, .withdrawn, .closed])
    func onlyAnApprovedApplicationCanBeClosed(status: ApplicationStatus) throws {
        let error = try #require(refusal {
            try ApplicationDecisions.close(
                application: ApplicationFixtures.application(in: status), budget: Fixtures.budget(), beneficiary: Fixtures.beneficiary(), on: date("2024-12-31")
            )
        })
        #expect(error.code == .wrongStatus)
        #expect(error.message.contains("only an approved application can be closed"))
    }
}

@Suite struct ApplicationStateTests {
    @Test func theStateFollowsTheLifecycle() {
        let state = ApplicationFixtures.application(in: .closed)
        #expect(state.status == .closed)
        #expect(state.submittedBy == Fixtures.officer)
        #expect(state.decidedBy == Fixtures.approver)
        #expect(state.approved == 6_000_000)
        #expect(state.decisionReference == "QĐ 15/2024")
        #expect(state.paid == 4_000_000)
        #expect(state.remainingPayable == .zero)
        #expect(state.budgetStreamID == "budget-NQ12-LATRINE-2024-ninh-kieu")
        #expect(state.beneficiaryStreamID == "beneficiary-HH-1")
        #expect(state.programStreamID == "program-NQ12-LATRINE")
    }

    @Test func reversalsAreNetOffAndKeptBesideTheirPayment() {
        let state = Fixtures.application("A-1", [
            .applicationSubmitted(Fixtures.submitted()),
            .applicationApproved(ApplicationApproved(approvedVND: 6_000_000, decisionReference: "QĐ", decidedOn: date("2024-03-10"))),
            .paymentRecorded(Fixtures.payment("P-1", 2_000_000)),
            .paymentRecorded(Fixtures.payment("P-2", 3_000_000)),
            .paymentReversed(PaymentReversed(paymentID: "P-1", amountVND: 2_000_000, reason: "returned", reversedOn: date("2024-03-20"))),
        ])
        #expect(state.paid == 3_000_000)
        #expect(state.remainingPayable == 3_000_000)
        #expect(state.paymentIDs == ["P-1", "P-2"])
        #expect(state.payments["P-1"]?.isReversed == true)
        #expect(state.payments["P-2"]?.isReversed == false)
        #expect(state.version == 5)
    }

    @Test func theStateSurvivesASnapshotRoundTrip() throws {
        let state = ApplicationFixtures.application(in: .closed)
        #expect(try JSONDecoder().decode(ApplicationState.self, from: try JSONEncoder().encode(state)) == state)
    }
}

/// Applications in each status.
enum ApplicationFixtures {
    static func application(in status: ApplicationStatus) -> ApplicationState {
        let submitted = LedgerEvent.applicationSubmitted(Fixtures.submitted())
        let approved = LedgerEvent.applicationApproved(ApplicationApproved(approvedVND: 6_000_000, decisionReference: "QĐ 15/2024", decidedOn: date("2024-03-10")))
        switch status {
        case .submitted:
            return Fixtures.application("A-1", [submitted])
        case .approved:
            return Fixtures.application("A-1", [submitted, approved])
        case .rejected:
            return Fixtures.application("A-1", [submitted, .applicationRejected(ApplicationRejected(reason: "no", decidedOn: date("2024-03-10")))])
        case .withdrawn:
            return Fixtures.application("A-1", [submitted, .applicationWithdrawn(ApplicationWithdrawn(reason: "moved", withdrawnOn: date("2024-03-10"), releasedVND: .zero))])
        case .closed:
            return Fixtures.application("A-1", [
                submitted, approved, .paymentRecorded(Fixtures.payment("P-1", 4_000_000)),
                .applicationClosed(ApplicationClosed(closedOn: date("2024-06-30"), paidVND: 4_000_000, releasedVND: 2_000_000)),
            ])
        }
    }
}
