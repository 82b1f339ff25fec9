import EventStore
import Foundation
import Ledger
import Postgres
import Testing
import TestSupport

/// The database is the last word on money: each attack here is what a person with psql and
/// their own login (the rights the project grants their role, nothing more) tried against
/// `ledger.append` directly, bypassing every Swift decision. Each must be refused by PostgreSQL,
/// with nothing stored.
@Suite(.enabled(if: TestDatabase.enabled))
struct DatabaseRuleTests {
    // MARK: Budgets

    @Test func aBudgetSnapshotCanNoLongerBeForged() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(10_000_000)
            for service in [scenario.officer, scenario.approver] {
                let error = await sqlError(service) {
                    _ = try await $0.execute(
                        "INSERT INTO ledger.snapshots (stream_id, version, state_type, state_schema, state) VALUES ('x', 1, 'BudgetState', 2, '{}')")
                }
                #expect(error != nil, "people cannot write snapshots (there are none to write)")
            }
            // Approvals are decided from totals only the append keeps: the second one overspends.
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 8_000_000)
            try await scenario.household("HH-2")
            try await scenario.submit("A-2", beneficiary: "HH-2", amount: 8_000_000)
            #expect(await refusal { try await scenario.approve("A-2", amount: 8_000_000) }?.code == .overBudget)
        }
    }

    @Test func anApprovalAppendedDirectlyCannotOverspendTheBudget() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(10_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 8_000_000)
            try await scenario.household("HH-2")
            try await scenario.submit("A-2", beneficiary: "HH-2", amount: 8_000_000)
            let before = try await scenario.headPosition()
            let error = await appendDirectly(scenario.approver, approval("A-2", household: "HH-2", amount: 8_000_000))
            #expect(error?.code.rawValue == "LR001")
            #expect(error?.message.contains("would overspend the budget") == true, "\(String(describing: error))")
            #expect(try await scenario.headPosition() == before)
        }
    }

    @Test func anApprovalWithoutItsReservationIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(10_000_000)
            try await scenario.household("HH-1")
            try await scenario.submit("A-1", beneficiary: "HH-1", amount: 8_000_000)
            let alone = """
                [{"stream_id": "application-A-1", "expected_version": "any", "events": [{"type": "ApplicationApproved",
                  "schema_version": 1, "payload": {"approved_vnd": 8000000, "decision_reference": "QĐ 1", "decided_on": "2024-03-10"}}]}]
                """
            let error = await appendDirectly(scenario.approver, alone)
            #expect(error?.code.rawValue == "LR001")
            #expect(error?.message.contains("reserves 8000000 on budget-NQ12-HOUSING-2024-ninh-kieu") == true, "\(String(describing: error))")
        }
    }

    @Test func aBudgetCannotBeAdjustedBelowWhatApprovalsReserved() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(10_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 8_000_000)
            let cut = """
                [{"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "BudgetAdjusted",
                  "schema_version": 1, "payload": {"program": "NQ12-HOUSING", "fiscal_year": 2024, "district": "ninh-kieu",
                  "delta_vnd": -5000000, "reference": "cut"}}]}]
                """
            let error = await appendDirectly(scenario.admin, cut)
            #expect(error?.code.rawValue == "LR001")
            #expect(error?.message.contains("less than the 8000000 reserved") == true, "\(String(describing: error))")
        }
    }

    // MARK: Releases and commitments

    @Test func forgedReleasesAreRefused() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 40_000_000)
            let before = try await scenario.headPosition()
            let fundsReleased = """
                [{"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "FundsReleased",
                  "schema_version": 1, "payload": {"application_id": "A-1", "amount_vnd": 40000000, "reason": "forged"}}]}]
                """
            let benefitReleased = """
                [{"stream_id": "beneficiary-HH-1", "expected_version": "any", "events": [{"type": "BenefitReleased",
                  "schema_version": 1, "payload": {"application_id": "A-1", "program": "NQ12-HOUSING", "amount_vnd": 40000000}}]}]
                """
            for batch in [fundsReleased, benefitReleased] {
                let error = await appendDirectly(scenario.officer, batch)
                #expect(error?.code.rawValue == "LR001")
                #expect(error?.message.contains("withdrawal or closure of application A-1") == true, "\(String(describing: error))")
            }
            #expect(try await scenario.headPosition() == before)
            // The once-only cap still counts the whole approval: a second one under the programme is refused.
            try await scenario.submit("A-2", beneficiary: "HH-1", amount: 1_000_000)
            #expect(await refusal { try await scenario.approve("A-2", amount: 1_000_000) }?.code == .overCap)
            let error = await appendDirectly(scenario.approver, approval("A-2", household: "HH-1", amount: 1_000_000))
            #expect(error?.message.contains("once-only") == true, "\(String(describing: error))")
        }
    }

    @Test func aClosureMustReleaseExactlyTheUnpaidRemainder() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 30_000_000)
            _ = try await scenario.pay("A-1", "P-1", 10_000_000)
            // Releasing more than the 20,000,000 unpaid would hand budget back twice.
            let greedy = """
                [{"stream_id": "application-A-1", "expected_version": "any", "events": [{"type": "ApplicationClosed", "schema_version": 1,
                   "payload": {"closed_on": "2024-04-01", "paid_vnd": 10000000, "released_vnd": 30000000}}]},
                 {"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "FundsReleased",
                   "schema_version": 1, "payload": {"application_id": "A-1", "amount_vnd": 30000000, "reason": "closed"}}]},
                 {"stream_id": "beneficiary-HH-1", "expected_version": "any", "events": [{"type": "BenefitReleased",
                   "schema_version": 1, "payload": {"application_id": "A-1", "program": "NQ12-HOUSING", "amount_vnd": 30000000}}]}]
                """
            let error = await appendDirectly(scenario.officer, greedy)
            #expect(error?.code.rawValue == "LR001")
            #expect(error?.message.contains("released_vnd must be 20000000") == true, "\(String(describing: error))")
            _ = try await scenario.officer.closeApplication(id: "A-1", on: Scenario.date("2024-04-01"))
            #expect(try await scenario.budget().reserved == VND(10_000_000))
        }
    }

    // MARK: Payments

    @Test func aNegativePaymentCannotMakeRoomForAnOverpayment() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 3_300_000)
            let negative = await appendDirectly(scenario.officer, payment("A-1", "NEG-1", amount: "-10000000"))
            #expect(negative?.code.rawValue == "LS001")
            #expect(negative?.message.contains("payload.amount_vnd: -10000000 is outside 1…") == true, "\(String(describing: negative))")
            let over = await appendDirectly(scenario.officer, payment("A-1", "BIG-1", amount: "11100000"))
            #expect(over?.code.rawValue == "LR001")
            #expect(over?.message.contains("paying 11100000 would exceed the 3300000 approved") == true, "\(String(describing: over))")
            #expect(try await scenario.application("A-1").paid == .zero)
        }
    }

    @Test func aReversalIsOfOneUnreversedPaymentForItsWholeAmount() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 10_000_000)
            _ = try await scenario.pay("A-1", "P-1", 4_000_000)
            let partial = await appendDirectly(scenario.officer, reversal("A-1", "P-1", amount: 9_000_000))
            #expect(partial?.message.contains("was of 4000000") == true, "\(String(describing: partial))")
            let unknown = await appendDirectly(scenario.officer, reversal("A-1", "P-9", amount: 4_000_000))
            #expect(unknown?.message.contains("has no payment P-9") == true, "\(String(describing: unknown))")
            #expect(await appendDirectly(scenario.officer, reversal("A-1", "P-1", amount: 4_000_000)) == nil)
            let twice = await appendDirectly(scenario.officer, reversal("A-1", "P-1", amount: 4_000_000))
            #expect(twice?.message.contains("already reversed") == true, "\(String(describing: twice))")
            #expect(try await scenario.application("A-1").paid == .zero)
        }
    }

    // MARK: Loans

    @Test func aLoanIsNotSettledWithPrincipalOutstandingNorLentOnOtherTerms() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(500_000_000, program: Scenario.loans)
            try await scenario.worker("W-1")
            try await scenario.submit("L-A-1", beneficiary: "W-1", program: Scenario.loans, amount: 41_250_000)
            try await scenario.approve("L-A-1", amount: 41_250_000)
            // A 600-month term, against the programme's 60 in 3-month instalments.
            let longTerm = loanDisbursement(term: 600)
            let terms = await appendDirectly(scenario.officer, longTerm)
            #expect(terms?.code.rawValue == "LR001")
            #expect(terms?.message.contains("not those of NQ11-OVERSEAS-LOAN") == true, "\(String(describing: terms))")
            #expect(await appendDirectly(scenario.officer, loanDisbursement(term: 24)) == nil)
            let settled = """
                [{"stream_id": "loan-LN-1", "expected_version": "any", "events": [{"type": "LoanSettled", "schema_version": 1,
                  "payload": {"settled_on": "2024-05-01"}}]}]
                """
            let error = await appendDirectly(scenario.officer, settled)
            #expect(error?.code.rawValue == "LR001")
            #expect(error?.message.contains("41250000 of principal outstanding") == true, "\(String(describing: error))")
            // A loan stream without its application event is refused too.
            let orphan = """
                [{"stream_id": "loan-LN-2", "expected_version": "no_stream", "events": [{"type": "LoanDisbursed", "schema_version": 1,
                  "payload": {"loan_id": "LN-2", "application_id": "L-A-1", "beneficiary_id": "W-1", "program": "NQ11-OVERSEAS-LOAN",
                  "principal_vnd": 1000000, "disbursed_on": "2024-04-01", "term_months": 12, "instalment_months": 3,
                  "overdue_multiplier_percent": 130}}]}]
                """
            #expect(await appendDirectly(scenario.officer, orphan)?.message.contains("only with its LoanOpened") == true)
        }
    }

    // MARK: People and payloads

    @Test func anUpperCaseFingerprintCannotRegisterTheSamePersonTwice() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.household("HH-1", nationalID: "079123456789")
            let fingerprint = try await scenario.superuser.store.connection.queryOne(
                "SELECT payload ->> 'national_id_fingerprint' FROM ledger.events WHERE stream_id = 'beneficiary-HH-1'"
            ) { try $0.string(0) }
            let forged = registration("HH-2", extra: #", "national_id_fingerprint": "\#(fingerprint.uppercased())""#)
            let error = await appendDirectly(scenario.officer, forged)
            #expect(error?.code.rawValue == "LS001")
            #expect(error?.message.contains("payload.national_id_fingerprint: must be 64 lower-case hexadecimal digits") == true)
        }
    }

    @Test(arguments: [
        ("a payment without amount_vnd", #"{"payment_id": "P-1", "paid_on": "2024-03-15", "method": "bank", "voucher": "PC 1"}"#, 1,
         "payload.amount_vnd: missing"),
        ("a payment of 2^63-1", #"{"payment_id": "P-1", "amount_vnd": 9223372036854775807, "paid_on": "2024-03-15", "method": "bank", "voucher": "PC 1"}"#, 1,
         "is outside 1…1000000000000000"),
        ("a payment on 2024-02-30", #"{"payment_id": "P-1", "amount_vnd": 1000, "paid_on": "2024-02-30", "method": "bank", "voucher": "PC 1"}"#, 1,
         "payload.paid_on: \"2024-02-30\" is not a day of the calendar"),
        ("schema version 99", #"{"payment_id": "P-1", "amount_vnd": 1000, "paid_on": "2024-03-15", "method": "bank", "voucher": "PC 1"}"#, 99,
         "schema_version 99 of PaymentRecorded is unknown"),
        ("a fractional amount", #"{"payment_id": "P-1", "amount_vnd": 1000.5, "paid_on": "2024-03-15", "method": "bank", "voucher": "PC 1"}"#, 1,
         "must be a whole number"),
        ("an unknown field", #"{"payment_id": "P-1", "amount_vnd": 1000, "paid_on": "2024-03-15", "method": "bank", "voucher": "PC 1", "x": 1}"#, 1,
         "payload.x: unknown field"),
        ("a voucher with a right-to-left override", #"{"payment_id": "P-1", "amount_vnd": 1000, "paid_on": "2024-03-15", "method": "bank", "voucher": "PC \u202E1"}"#, 1,
         "found U+202E"),
        ("a voucher of one zero-width space", #"{"payment_id": "P-1", "amount_vnd": 1000, "paid_on": "2024-03-15", "method": "bank", "voucher": "\u200B"}"#, 1,
         "found U+200B"),
        ("a voucher of spaces", #"{"payment_id": "P-1", "amount_vnd": 1000, "paid_on": "2024-03-15", "method": "bank", "voucher": "\u00A0 "}"#, 1,
         "must contain a visible character"),
        ("a voucher of one blank Braille pattern", #"{"payment_id": "P-1", "amount_vnd": 1000, "paid_on": "2024-03-15", "method": "bank", "voucher": "\u2800"}"#, 1,
         "must contain a visible character"),
        ("a voucher with a line separator", #"{"payment_id": "P-1", "amount_vnd": 1000, "paid_on": "2024-03-15", "method": "bank", "voucher": "PC\u20281"}"#, 1,
         "must not contain control characters"),
    ])
    func aPoisonPaymentIsNeverStored(_ what: String, _ payload: String, _ schemaVersion: Int, _ expected: String) async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(100_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 10_000_000)
            let before = try await scenario.headPosition()
            let batch = """
                [{"stream_id": "application-A-1", "expected_version": "any", "events": [{"type": "PaymentRecorded",
                  "schema_version": \(schemaVersion), "payload": \(payload)}]}]
                """
            let error = await appendDirectly(scenario.officer, batch)
            #expect(error?.code.rawValue == "LS001", "\(what)")
            #expect(error?.message.contains(expected) == true, "\(what): \(String(describing: error))")
            #expect(try await scenario.headPosition() == before, "\(what) left nothing behind")
        }
    }

    @Test func aDeeplyNestedOrForeignPayloadIsNeverStored() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            let before = try await scenario.headPosition()
            let nested = String(repeating: #"{"a":"#, count: 12_000) + "1" + String(repeating: "}", count: 12_000)
            let deep = registration("HH-1", extra: #", "k": \#(nested)"#)
            #expect(await appendDirectly(scenario.officer, deep) != nil)
            let foreign = """
                [{"stream_id": "beneficiary-HH-2", "expected_version": "any", "events": [{"type": "BeneficiaryRegistered",
                  "schema_version": 1, "payload": {"a": 2}}]}]
                """
            let error = await appendDirectly(scenario.officer, foreign)
            #expect(error?.code.rawValue == "LS001")
            #expect(error?.message.contains("payload.a: unknown field") == true, "\(String(describing: error))")
            // The generic store keeps its own types, but never on a domain stream.
            let writer = LedgerService(connection: try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_writer")))
            let stray = """
                [{"stream_id": "application-A-9", "expected_version": "any", "events": [{"type": "Note", "schema_version": 1, "payload": {}}]}]
                """
            #expect(await appendDirectly(writer, stray)?.message.contains("is not an event type of the domain") == true)
            #expect(try await scenario.headPosition() == before)
            let elsewhere = """
                [{"stream_id": "notes-1", "expected_version": "any", "events": [{"type": "Note", "schema_version": 1, "payload": {"a": 2}}]}]
                """
            #expect(await appendDirectly(writer, elsewhere) == nil)
        }
    }

    // MARK: Jamming

    @Test func aHeldAppendMakesTheNextWriterWaitOnlyUntilTheLockTimeout() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            let holder = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
            try await holder.simpleQuery("BEGIN")
            _ = try await holder.query("SELECT ledger.append($1, $2::jsonb)", ["held-1", registration("HH-1", extra: "")]) { try $0.string(0) }
            let clock = ContinuousClock()
            let started = clock.now
            let error = await refusal { try await scenario.household("HH-2") }
            let waited = clock.now - started
            #expect(error?.code == .contention)
            #expect(error?.message.contains("another append holds the log; try again") == true, "\(String(describing: error))")
            #expect(waited < .seconds(15), "gave up after the lock timeout, not never (waited \(waited))")
            try await holder.simpleQuery("ROLLBACK")
            await holder.close()
            try await scenario.household("HH-2")
        }
    }

    /// The attack around the role's idle timeout: switch it off in one's own session, append, walk
    /// away. The next append that cannot take its turn ends the idle holder (whose append is rolled
    /// back) and records its own.
    @Test func aSessionThatHoldsTheLogIdleIsEndedByTheNextAppend() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            // An auditor reading the head in a long transaction is no jammer, and is left alone.
            let reader = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor"))
            try await reader.simpleQuery("BEGIN; SELECT * FROM ledger.head")
            let holder = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_officer"))
            try await holder.simpleQuery("SET idle_in_transaction_session_timeout = 0")
            try await holder.simpleQuery("BEGIN")
            _ = try await holder.query("SELECT ledger.append($1, $2::jsonb)", ["walked-away", registration("HH-1", extra: "")]) { try $0.string(0) }
            try await Task.sleep(for: .seconds(6))  // with the next writer's 5 s wait: idle past the 10 s limit
            try await scenario.household("HH-2")
            #expect(try await scenario.superuser.store.streamVersion("beneficiary-HH-2") == 1)
            #expect(try await scenario.superuser.store.streamVersion("beneficiary-HH-1") == 0, "the walked-away append was rolled back")
            await #expect(throws: (any Error).self) { try await holder.simpleQuery("SELECT 1") }
            await holder.close()
            try await reader.simpleQuery("COMMIT")
            await reader.close()
        }
    }

    // MARK: Helpers

    func approval(_ id: String, household: String, amount: Int) -> String {
        """
        [{"stream_id": "application-\(id)", "expected_version": "any", "events": [{"type": "ApplicationApproved", "schema_version": 1,
           "payload": {"approved_vnd": \(amount), "decision_reference": "QĐ \(id)", "decided_on": "2024-03-10"}}]},
         {"stream_id": "budget-NQ12-HOUSING-2024-ninh-kieu", "expected_version": "any", "events": [{"type": "FundsReserved",
           "schema_version": 1, "payload": {"application_id": "\(id)", "amount_vnd": \(amount)}}]},
         {"stream_id": "beneficiary-\(household)", "expected_version": "any", "events": [{"type": "BenefitCommitted",
           "schema_version": 1, "payload": {"application_id": "\(id)", "program": "NQ12-HOUSING", "amount_vnd": \(amount)}}]}]
        """
    }

    func payment(_ application: String, _ id: String, amount: String) -> String {
        """
        [{"stream_id": "application-\(application)", "expected_version": "any", "events": [{"type": "PaymentRecorded",
          "schema_version": 1, "payload": {"payment_id": "\(id)", "amount_vnd": \(amount), "paid_on": "2024-03-15",
          "method": "cash", "voucher": "PC \(id)"}}]}]
        """
    }

    func reversal(_ application: String, _ id: String, amount: Int) -> String {
        """
        [{"stream_id": "application-\(application)", "expected_version": "any", "events": [{"type": "PaymentReversed",
          "schema_version": 1, "payload": {"payment_id": "\(id)", "amount_vnd": \(amount), "reason": "returned",
          "reversed_on": "2024-03-20"}}]}]
        """
    }

    func registration(_ id: String, extra: String) -> String {
        """
        [{"stream_id": "beneficiary-\(id)", "expected_version": "no_stream", "events": [{"type": "BeneficiaryRegistered",
          "schema_version": 1, "payload": {"beneficiary_id": "\(id)", "kind": "household", "name": "Hộ \(id)",
          "district": "ninh-kieu", "categories": ["poor"]\(extra)}}]}]
        """
    }

    func loanDisbursement(term: Int) -> String {
        """
        [{"stream_id": "application-L-A-1", "expected_version": "any", "events": [{"type": "LoanOpened", "schema_version": 1,
           "payload": {"loan_id": "LN-1", "principal_vnd": 41250000, "disbursed_on": "2024-04-01"}}]},
         {"stream_id": "loan-LN-1", "expected_version": "no_stream", "events": [{"type": "LoanDisbursed", "schema_version": 1,
           "payload": {"loan_id": "LN-1", "application_id": "L-A-1", "beneficiary_id": "W-1", "program": "NQ11-OVERSEAS-LOAN",
           "principal_vnd": 41250000, "disbursed_on": "2024-04-01", "term_months": \(term), "instalment_months": 3,
           "overdue_multiplier_percent": 130}}]}]
        """
    }
}

/// `ledger.append` called as `service`'s database role, the way psql would; the error it
/// refused with, or nil when it appended.
func appendDirectly(_ service: LedgerService, _ batch: String, commandID: String = "direct-" + UUID().uuidString) async -> PostgresError? {
    await sqlError(service) { connection in
        _ = try await connection.query("SELECT ledger.append($1, $2::jsonb)", [commandID, batch]) { try $0.string(0) }
    }
}

/// Runs `body` on `service`'s connection and returns the PostgreSQL error it raised, if any.
func sqlError(_ service: LedgerService, _ body: (PostgresConnection) async throws -> Void) async -> PostgresError? {
    do {
        try await body(service.store.connection)
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        return PostgresError(code: .init(rawValue: "XXXXX"), message: "unexpected: \(error)")
    }
}
