import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// `ledger audit verify` against events that break a rule, planted the way a ledger could hold
/// them from before the database refused them: as the test superuser, in one transaction with
/// `session_replication_role = replica` (so the append's rule triggers do not run), through
/// `ledger.append`, so the hash chain stays intact. Verify must exit 2 naming the position and
/// the rule, and never crash.
@Suite(.enabled(if: TestDatabase.enabled))
struct AuditReplayTests {
    /// `audit verify --format json`, as far as these tests read it.
    struct Report: Decodable {
        struct Violation: Decodable {
            let position: Int64
            let rule: String
            let message: String
        }

        let intact: Bool
        let rulesHold: Bool?
        let violations: [Violation]?
        let problem: VerifyOutput.Problem?

        enum CodingKeys: String, CodingKey {
            case intact, rulesHold = "rules_hold", violations, problem
        }
    }

    /// Appends `appends` in one append (command `commandID`) with the rule triggers off; returns
    /// the positions written.
    static func plant(_ db: FreshDatabase, _ appends: [StreamAppend], commandID: String) async throws -> [Int64] {
        let connection = try await db.connect()
        try await connection.simpleQuery("BEGIN; SET LOCAL session_replication_role = replica")
        let result = try await EventStore(connection: connection).append(appends, commandID: commandID)
        try await connection.simpleQuery("COMMIT")
        await connection.close()
        return Array(result.firstPosition...result.lastPosition)
    }

    static func plant(_ db: FreshDatabase, _ stream: String, _ type: String, schemaVersion: Int = 1, _ payload: String,
                      commandID: String) async throws -> Int64 {
        let event = try NewEvent(type: type, schemaVersion: schemaVersion, payloadJSON: payload)
        return try await Self.plant(db, [StreamAppend(stream: StreamID(stream), expectedVersion: .any, events: [event])], commandID: commandID)[0]
    }

    /// Runs `audit verify` (table and JSON): exit 2, "RULES BROKEN", and the violations found.
    static func brokenRules(_ db: FreshDatabase, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [Report.Violation] {
        let table = try await ledger("audit", "verify", in: db)
        #expect(table.status == 2, "\(table)", sourceLocation: sourceLocation)
        #expect(table.stdout.contains("RULES BROKEN"), "\(table)", sourceLocation: sourceLocation)
        let json = try await ledger("audit", "verify", "--format", "json", in: db)
        #expect(json.status == 2, "\(json)", sourceLocation: sourceLocation)
        let report = try decode(Report.self, from: json)
        #expect(report.intact && report.rulesHold == false, "\(json)", sourceLocation: sourceLocation)
        return report.violations ?? []
    }

    /// `expected` (position, rule) is among `violations`, with `text` in its message.
    static func expectNamed(_ violations: [Report.Violation], _ position: Int64, _ rule: String, _ text: String? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let found = violations.first { $0.position == position && $0.rule == rule && (text.map($0.message.contains) ?? true) }
        #expect(found != nil, "no \(rule) at position \(position)\(text.map { " saying \($0)" } ?? ""): \(violations)",
                sourceLocation: sourceLocation)
    }

    /// The disbursement tests' ledger (programmes, a 100,000,000 ₫ NQ12-HOUSING budget, HH-1,
    /// A-1 submitted) with A-1 approved for 10,000,000 ₫ by an approver. Verify holds.
    static func approvedLedger(_ db: FreshDatabase) async throws {
        try await DisbursementCommandTests.prepared(db)
        let approver = try await TestDatabase.loginRole("replay", memberOf: ["ledger_approver"])
        let run = try await ledger("application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9",
                                   "--decided-on", "2024-03-10", in: db, user: approver)
        #expect(run.status == 0, "\(run)")
        let clean = try await ledger("audit", "verify", in: db)
        #expect(clean.status == 0 && clean.stdout.contains("all hold"), "\(clean)")
    }

    /// `approvedLedger` plus a person P-1 with loan application A-L approved for 100,000,000 ₫ and
    /// loan L-1 of 50,000,000 ₫ disbursed on it (12 months). Verify holds.
    static func loanLedger(_ db: FreshDatabase) async throws {
        try await Self.approvedLedger(db)
        let approver = try await TestDatabase.loginRole("replay", memberOf: ["ledger_approver"])
        let steps: [([String], String?)] = [
            (["budget", "allocate", "--program", "NQ11-OVERSEAS-LOAN", "--year", "2024", "--district", "ninh-kieu", "--amount", "500000000",
              "--reference", "QĐ 2"], nil),
            (["beneficiary", "register", "--id", "P-1", "--kind", "person", "--name", "Trần Thị B", "--district", "ninh-kieu",
              "--category", "rural-worker"], nil),
            (["application", "submit", "--id", "A-L", "--beneficiary", "P-1", "--program", "NQ11-OVERSEAS-LOAN", "--amount", "100000000",
              "--submitted-on", "2024-03-01"], nil),
            (["application", "approve", "--id", "A-L", "--amount", "100000000", "--decision", "QĐ 10", "--decided-on", "2024-03-10"], approver),
            (["loan", "disburse", "--application", "A-L", "--loan-id", "L-1", "--principal", "50000000", "--disbursed-on", "2024-04-01",
              "--term-months", "12"], nil),
        ]
        for (arguments, user) in steps {
            let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db, user: user))
            #expect(run.status == 0, "\(run)")
        }
        let clean = try await ledger("audit", "verify", in: db)
        #expect(clean.status == 0 && clean.stdout.contains("all hold"), "\(clean)")
    }

    @Test func aCleanDemoLedgerHolds() async throws {
        try await TestDatabase.withFresh { db in
            let seed = try await ledger("demo", "seed", "--beneficiaries", "60", "--seed", "7", in: db)
            #expect(seed.status == 0, "\(seed)")
            let run = try await ledger("audit", "verify", in: db)
            #expect(run.status == 0, "\(run)")
            #expect(value(of: "result", in: run.stdout) == "intact", "\(run)")
            #expect(value(of: "domain rules", in: run.stdout)?.hasPrefix("all hold") == true, "\(run)")
        }
    }

    @Test func forgedReleasesWithoutTheApplicationEventAreNamedAndFreeNothing() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approvedLedger(db)
            // A-1 released nothing; the forged releases claim it gave back its 10,000,000 ₫.
            let released = try await Self.plant(db, "budget-NQ12-HOUSING-2024-ninh-kieu", "FundsReleased",
                                           #"{"application_id": "A-1", "amount_vnd": 10000000, "reason": "forged"}"#, commandID: "forged-1")
            let benefit = try await Self.plant(db, "beneficiary-HH-1", "BenefitReleased",
                                          #"{"application_id": "A-1", "program": "NQ12-HOUSING", "amount_vnd": 10000000}"#, commandID: "forged-2")
            let violations = try await Self.brokenRules(db)
            Self.expectNamed(violations, released, "unpaired", "FundsReleased of 10,000,000 ₫ for application A-1 without the application's withdrawal or closure")
            Self.expectNamed(violations, benefit, "unpaired", "BenefitReleased")
            #expect(violations.count == 2, "\(violations)")
        }
    }

    @Test func aNegativePaymentThenAnOverpaymentAreNamed() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approvedLedger(db)
            let negative = try await Self.plant(db, "application-A-1", "PaymentRecorded",
                                           #"{"payment_id": "P-NEG", "amount_vnd": -10000000, "paid_on": "2024-03-15", "method": "cash", "voucher": "PC-1"}"#,
                                           commandID: "negative")
            let over = try await Self.plant(db, "application-A-1", "PaymentRecorded",
                                       #"{"payment_id": "P-BIG", "amount_vnd": 11100000, "paid_on": "2024-03-16", "method": "cash", "voucher": "PC-2"}"#,
                                       commandID: "overpaid")
            let violations = try await Self.brokenRules(db)
            Self.expectNamed(violations, negative, "payloadSchema", "amount_vnd is -10000000")
            Self.expectNamed(violations, over, "overpayment", "11,100,000 ₫ paid out against 10,000,000 ₫ approved")
        }
    }

    @Test func aLoanSettledWithPrincipalOutstandingIsNamed() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.loanLedger(db)
            let settled = try await Self.plant(db, "loan-L-1", "LoanSettled", #"{"settled_on": "2024-05-01"}"#, commandID: "settle")
            let violations = try await Self.brokenRules(db)
            Self.expectNamed(violations, settled, "lifecycle", "settled with 50,000,000 ₫ principal outstanding")
            #expect(violations.count == 1, "\(violations)")
        }
    }

    @Test func aLoanDisbursedForLongerThanTheProgrammeAllowsIsNamed() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.loanLedger(db)
            let positions = try await Self.plant(db, [
                StreamAppend(stream: "loan-L-2", expectedVersion: .noStream, events: [try NewEvent(type: "LoanDisbursed", payloadJSON: """
                    {"loan_id": "L-2", "application_id": "A-L", "beneficiary_id": "P-1", "program": "NQ11-OVERSEAS-LOAN",
                     "principal_vnd": 40000000, "disbursed_on": "2024-04-02", "term_months": 600, "instalment_months": 3,
                     "overdue_multiplier_percent": 100}
                    """)]),
                StreamAppend(stream: "application-A-L", expectedVersion: .any, events: [try NewEvent(type: "LoanOpened", payloadJSON: """
                    {"loan_id": "L-2", "principal_vnd": 40000000, "disbursed_on": "2024-04-02"}
                    """)]),
            ], commandID: "long-loan")
            let violations = try await Self.brokenRules(db)
            Self.expectNamed(violations, positions[0], "loanTerms", "a term of 600 months (the programme lends for 1…60)")
            Self.expectNamed(violations, positions[0], "loanTerms", "an overdue multiplier of 100% (the programme's: 130%)")
            #expect(violations.count == 1, "\(violations)")
        }
    }

    @Test func anUpperCaseDuplicateFingerprintIsTheSamePerson() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approvedLedger(db)
            let fingerprint = String(repeating: "3f", count: 32)
            func registration(_ id: String, _ fingerprint: String) -> String {
                #"{"beneficiary_id": "\#(id)", "kind": "person", "name": "Lê Văn \#(id)", "district": "ninh-kieu", "categories": ["poor"], "#
                    + #""bank_account": null, "national_id_fingerprint": "\#(fingerprint)"}"#
            }
            _ = try await Self.plant(db, "beneficiary-P-7", "BeneficiaryRegistered", registration("P-7", fingerprint), commandID: "first")
            let second = try await Self.plant(db, "beneficiary-P-8", "BeneficiaryRegistered", registration("P-8", fingerprint.uppercased()),
                                         commandID: "second")
            let violations = try await Self.brokenRules(db)
            Self.expectNamed(violations, second, "duplicateNationalID", "national id of beneficiary P-7")
            Self.expectNamed(violations, second, "payloadSchema", "not 64 lower-case hexadecimal digits")
        }
    }

    @Test(arguments: [
        ("amount 2^63-1", 1, #"{"payment_id": "P-MAX", "amount_vnd": 9223372036854775807, "paid_on": "2024-03-15", "method": "cash", "voucher": "PC-1"}"#,
         "payloadSchema", "amount_vnd is 9223372036854775807"),
        ("no such day", 1, #"{"payment_id": "P-D", "amount_vnd": 1000, "paid_on": "2024-02-30", "method": "cash", "voucher": "PC-1"}"#,
         "unreadable", "PaymentRecorded v1 cannot be read"),
        ("schema version 99", 99, #"{"payment_id": "P-V", "amount_vnd": 1000, "paid_on": "2024-03-15", "method": "cash", "voucher": "PC-1"}"#,
         "unreadable", "schema version 99"),
        ("no amount", 1, #"{"payment_id": "P-N", "paid_on": "2024-03-15", "method": "cash", "voucher": "PC-1"}"#,
         "unreadable", "amount_vnd"),
    ])
    func aPoisonPaymentIsNamedNeverCrashes(label: String, schemaVersion: Int, payload: String, rule: String, text: String) async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approvedLedger(db)
            // Twice: a second 2^63-1 on top of the first is where unchecked sums trapped.
            let first = try await Self.plant(db, "application-A-1", "PaymentRecorded", schemaVersion: schemaVersion, payload, commandID: "poison-1")
            let second = try await Self.plant(db, "application-A-1", "PaymentRecorded", schemaVersion: schemaVersion,
                                         payload.replacingOccurrences(of: #""P-"#, with: #""Q-"#), commandID: "poison-2")
            let violations = try await Self.brokenRules(db)
            Self.expectNamed(violations, first, rule, text)
            Self.expectNamed(violations, second, rule, text)
            #expect(violations.count == 2, "\(label): \(violations)")
        }
    }

    @Test func aBeneficiaryRegisteredWithAPayloadOfAnotherShapeIsNamed() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approvedLedger(db)
            let position = try await Self.plant(db, "beneficiary-HH-9", "BeneficiaryRegistered", #"{"a": 2}"#, commandID: "shape")
            let violations = try await Self.brokenRules(db)
            Self.expectNamed(violations, position, "unreadable", "BeneficiaryRegistered v1 cannot be read")
            #expect(violations.count == 1, "\(violations)")
        }
    }

    @Test func aChangedCommandIDColumnIsAnIntegrityProblem() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approvedLedger(db)
            let connection = try await db.connect()
            let position = try await connection.queryOne(
                "SELECT position FROM ledger.events WHERE event_type = 'ApplicationApproved'"
            ) { try $0.int64(0) }
            let digest = try await EventStore(connection: connection).digest()
            try await connection.simpleQuery("""
                SET session_replication_role = replica;
                UPDATE ledger.events SET command_id = 'someone-else' WHERE position = \(position);
                RESET session_replication_role;
                """)
            await connection.close()
            try await withScratchFolder { folder in
                let file = folder.appendingPathComponent("digest.json").path
                try Data(#"{"position": \#(digest.position), "hash": "\#(digest.hash)"}"#.utf8).write(to: URL(fileURLWithPath: file))
                for arguments in [["audit", "verify", "--format", "json"], ["audit", "verify", "--digest", file, "--format", "json"],
                                  ["audit", "verify", "--chain-only", "--format", "json"]] {
                    let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db))
                    #expect(run.status == 2, "\(run)")
                    let report = try decode(Report.self, from: run)
                    #expect(!report.intact && report.problem?.position == position, "\(run)")
                    #expect(report.problem?.kind == "commandIDMismatch", "\(run)")
                    #expect(report.problem?.message.contains("someone-else") == true, "\(run)")
                }
            }
        }
    }
}
