import EventStore
import Foundation
import Ledger
import Postgres
import Testing
import TestSupport

/// sql/0021_compiled_checks.sql compiles the payload schemas into `ledger.payload_problem` and
/// the registered rules into `ledger.apply_event_rules`. The compiled payload check must answer
/// exactly as the general one (`ledger.payload_problem_by_table`) on the same inputs, and a
/// change to either table must take effect in the same transaction, as it did when the tables
/// were read on every event.
@Suite(.enabled(if: TestDatabase.enabled))
struct CompiledChecksTests {
    /// Every event type and schema version: a payload of good values, then each field given each
    /// of many bad values or left out, two bad fields at once, unknown keys, wrong streams,
    /// unknown versions and types, and NULLs.
    static let payloadCases = """
        WITH good(kind, value) AS (VALUES
            ('id', '"A-1"'::jsonb), ('text', '"Hộ Nguyễn Văn A"'), ('bank_account', '"Agribank 7300-1"'), ('amount', '1000'),
            ('amount_or_zero', '0'), ('delta', '-5'), ('date', '"2024-02-29"'), ('year', '2024'), ('months', '12'),
            ('multiplier', '150'), ('boolean', 'false'), ('district', '"ninh-kieu"'), ('program_kind', '"loan"'),
            ('beneficiary_kind', '"person"'), ('beneficiary_kinds', '["person", "household"]'), ('method', '"bank"'),
            ('fingerprint', to_jsonb(repeat('ab', 32))), ('categories', '["poor", "near-poor"]'),
            ('loan_terms', '{"rate_periods": [{"from": "2023-01-01", "annual_rate_basis_points": 660}],
                             "overdue_multiplier_percent": 130, "max_term_months": 60, "instalment_months": 3}'),
            ('unit_kind', '"ward"'), ('units', '["ninh-kieu", "an-binh"]')),
        bad(value) AS (VALUES
            ('null'::jsonb), ('""'), ('"  "'), ('0'), ('-1'), ('1.5'), ('1e20'), ('"2024-02-30"'), ('"2024-13-01"'),
            ('"1999-12-31"'), ('"x"'), ('"A B"'), ('"ninh kieu"'), ('"NINH-KIEU"'), ('"abc-"'), ('[]'), ('["x y"]'), ('[1]'),
            ('["person", "person", "household"]'), ('{}'), ('true'), ('-0'), ('0.0'), ('1.0'), ('1000000000000001'), ('-1000000000000001'), ('99999'), ('2101'), ('601'), ('"-A"'),
            (to_jsonb(repeat('x', 2001))), (to_jsonb(repeat('ễ', 301))), (to_jsonb(E'line\\nbreak'::text)), (to_jsonb(E'x\\u200by'::text)), (to_jsonb(E'\\u00a0'::text)), (to_jsonb(repeat('AB', 32))),
            ('{"rate_periods": []}'),
            ('"2024-02-29"'), ('"2023-02-29"'), ('"2100-12-31"'), ('"2101-01-01"'), ('"2024-04-31"'), ('"2024-1-01"'), ('"2099-12-28"'),
            ('"2000-01-01"'), ('2000'), ('2100'), ('1999'), ('600'), ('100'), ('1000'), ('1001'), ('1'), ('12.0'),
            (to_jsonb(repeat('A', 64))), (to_jsonb(repeat('A', 65))), ('".A"'), ('"A.b_c-1"'), ('"a--b"'), ('"-a"'), ('"a-"'),
            (to_jsonb(repeat('a', 65))), (to_jsonb(repeat('a', 63))), ('"~"'), ('" a "'), ('"-"'), ('" - "'), ('"AB_12"'),
            (to_jsonb(E'a\\tb'::text)), (to_jsonb(E'a\\u007fb'::text)), (to_jsonb(E'a\\u00a0b'::text)), (to_jsonb('Nguyễn'::text)),
            (to_jsonb(repeat('x', 34))), (to_jsonb(repeat('x', 35))), (to_jsonb(repeat('x', 100))), (to_jsonb(repeat('x', 101))),
            (to_jsonb(repeat('x', 200))), (to_jsonb(repeat('x', 201))), (to_jsonb(repeat('x', 300))), (to_jsonb(repeat('x', 301))),
            (to_jsonb(repeat('x', 600))), (to_jsonb(repeat('x', 601))), (to_jsonb(repeat('x', 2000))), (to_jsonb(repeat(' ', 20))),
            (to_jsonb('Đợt 1, PC 48/2024'::text)), (to_jsonb(E'e\\u0301'::text)), (to_jsonb(E'\\u024f'::text)), (to_jsonb(E'\\u0250'::text)),
            (to_jsonb(E'\\u00bf'::text)), (to_jsonb(E'\\u00c0'::text)), (to_jsonb(E'\\u1dff'::text)), (to_jsonb(E'\\u1e00'::text)),
            (to_jsonb(E'\\u1eff'::text)), (to_jsonb(E'\\u1f00'::text)), (to_jsonb(E'\\u00a0\\u00a0'::text)), (to_jsonb(E'a\\u00adb'::text)),
            (to_jsonb(repeat('ễ', 34))), (to_jsonb(repeat('ễ', 35))), (to_jsonb(repeat('ễ', 100))), (to_jsonb(repeat('ễ', 101))),
            (to_jsonb(repeat('ễ', 200))), (to_jsonb(repeat('ễ', 201))), (to_jsonb(repeat('ễ', 600))), (to_jsonb(repeat('ễ', 601))),
            ('"grant"'), ('"loan"'), ('"person"'), ('"household"'), ('"bank"'), ('"cash"'), ('"district"'), ('"ward"'), ('"Ward"'),
            ('{"rate_periods": [{"from": "2023-02-30", "annual_rate_basis_points": 1}], "overdue_multiplier_percent": 130,
               "max_term_months": 60, "instalment_months": 3}'),
            ('{"rate_periods": [{"from": "2023-01-01", "annual_rate_basis_points": 1}], "overdue_multiplier_percent": 130,
               "max_term_months": 60, "instalment_months": 3, "extra": 1}')),
        schemas AS (
            SELECT s.event_type, s.schema_version, s.stream_prefix,
                   (SELECT jsonb_object_agg(f.field, g.value) FROM ledger.event_schema_fields f JOIN good g ON g.kind = f.kind
                    WHERE f.event_type = s.event_type AND f.schema_version = s.schema_version) AS payload,
                   (SELECT array_agg(f.field ORDER BY f.field) FROM ledger.event_schema_fields f
                    WHERE f.event_type = s.event_type AND f.schema_version = s.schema_version) AS fields
            FROM ledger.event_schemas s),
        cases(label, t, v, stream, payload) AS (
            SELECT 'good', event_type, schema_version, stream_prefix || '1', payload FROM schemas
            UNION ALL
            SELECT 'field ' || f || ' = ' || b.value::text, event_type, schema_version, stream_prefix || '1',
                   jsonb_set(payload, ARRAY[f], b.value)
            FROM schemas, unnest(fields) AS f, bad AS b
            UNION ALL
            SELECT 'without ' || f, event_type, schema_version, stream_prefix || '1', payload - f FROM schemas, unnest(fields) AS f
            UNION ALL
            SELECT 'first and last fields bad', event_type, schema_version, stream_prefix || '1',
                   jsonb_set(jsonb_set(payload, ARRAY[fields[1]], '"?? ?"'), ARRAY[fields[cardinality(fields)]], '[[]]')
            FROM schemas
            UNION ALL
            SELECT 'unknown keys', event_type, schema_version, stream_prefix || '1', payload || '{"zz_extra": 1, "Aa_extra": 2}'
            FROM schemas
            UNION ALL
            SELECT 'a stream of no domain', event_type, schema_version, 'misc-1', payload FROM schemas
            UNION ALL
            SELECT 'another domain stream', event_type, schema_version,
                   CASE WHEN stream_prefix = 'loan-' THEN 'unit-1' ELSE 'loan-1' END, payload FROM schemas
            UNION ALL
            SELECT 'prefix alone', event_type, schema_version, stream_prefix, payload FROM schemas
            UNION ALL
            SELECT 'unknown version', event_type, 99, stream_prefix || '1', payload FROM schemas
            UNION ALL
            SELECT 'no version', event_type, NULL, stream_prefix || '1', payload FROM schemas
            UNION ALL
            SELECT 'no payload', event_type, schema_version, stream_prefix || '1', NULL FROM schemas
            UNION ALL
            SELECT 'no stream', event_type, schema_version, NULL, payload FROM schemas
            UNION ALL
            VALUES ('an unknown type on a domain stream', 'Nope', 1, 'application-1', '{}'::jsonb),
                   ('an unknown type on the unit streams', 'Nope', 1, 'unit-x', '{}'::jsonb),
                   ('a generic event', 'MoneyDeposited', 1, 'account-1', '{"amount": 5}'::jsonb),
                   ('no type on a domain stream', NULL, 1, 'budget-x', '{}'::jsonb),
                   ('no type elsewhere', NULL, 1, 'x', '{}'::jsonb))
        SELECT label, coalesce(t, '-'), coalesce(v::text, '-'), coalesce(stream, '-'), coalesce(payload::text, '-'),
               ledger.payload_problem(t, v, stream, payload), ledger.payload_problem_by_table(t, v, stream, payload)
        FROM cases
        """

    struct Answer: Sendable {
        let label: String, type: String, version: String, stream: String, payload: String
        let compiled: String?, general: String?
    }

    static func answers(_ connection: PostgresConnection) async throws -> [Answer] {
        try await connection.query(payloadCases) {
            Answer(label: try $0.string(0), type: try $0.string(1), version: try $0.string(2), stream: try $0.string(3),
                   payload: try $0.string(4), compiled: try $0.optionalString(5), general: try $0.optionalString(6))
        }
    }

    @Test func theCompiledPayloadCheckAnswersAsTheSchemaTablesDo() async throws {
        try await TestDatabase.withFresh { db in
            let connection = try await db.connect()
            let answers = try await Self.answers(connection)
            let differing = answers.filter { $0.compiled != $0.general }
            #expect(differing.isEmpty, "\(differing.prefix(5).map { "\($0.label) \($0.type) v\($0.version) on \($0.stream): compiled \($0.compiled ?? "nil"), general \($0.general ?? "nil")" })")

            // The cases reach both answers and many different problems, so agreement means something.
            let schemas = try await connection.queryOne("SELECT count(*) FROM ledger.event_schemas") { try $0.int64(0) }
            let good = answers.filter { $0.label == "good" }
            #expect(good.count == Int(schemas) && schemas >= 20)
            #expect(good.allSatisfy { $0.compiled == nil }, "\(good.filter { $0.compiled != nil }.map { "\($0.type) v\($0.version): \($0.compiled!)" })")
            let problems = Set(answers.compactMap(\.compiled))
            #expect(answers.count > 10_000 && problems.count > 2_000, "\(answers.count) cases, \(problems.count) distinct problems")
            for expected in ["payload.amount_vnd: missing", "payload.Aa_extra: unknown field of PaymentRecorded v1",
                             "PaymentRecorded belongs on a application-… stream, not on misc-1",
                             "schema_version 99 of ApplicationSubmitted is unknown (this ledger reads 1, 2)",
                             "Nope is not an event type of the domain, and unit-x is a domain stream"] {
                #expect(problems.contains { $0.contains(expected) }, "no answer says \(expected)")
            }
            // Two bad fields: the first in byte order is named.
            let twice = try #require(answers.first { $0.label == "first and last fields bad" && $0.type == "PaymentRecorded" })
            #expect(twice.compiled?.hasPrefix("payload.amount_vnd: ") == true, "\(twice)")
        }
    }

    @Test func aChangeToTheSchemaTablesIsCompiledInTheSameTransaction() async throws {
        try await TestDatabase.withFresh { db in
            let connection = try await db.connect()
            let payment = #"{"payment_id": "P-1", "amount_vnd": 5, "paid_on": "2024-03-15", "method": "cash", "voucher": "PC 1", "note": "a long note"}"#
            let ask = "SELECT ledger.payload_problem('PaymentRecorded', 1, 'application-A-1', $1::jsonb)"
            #expect(try await connection.queryOne(ask, [payment]) { try $0.optionalString(0) } == "payload.note: unknown field of PaymentRecorded v1")

            try await connection.simpleQuery("BEGIN")
            try await connection.simpleQuery("""
                INSERT INTO ledger.event_schema_fields (event_type, schema_version, field, kind, required, max_chars)
                VALUES ('PaymentRecorded', 1, 'note', 'text', false, 5)
                """)
            #expect(try await connection.queryOne(ask, [payment]) { try $0.optionalString(0) } == "payload.note: is 11 characters; at most 5")
            let answers = try await Self.answers(connection)
            #expect(answers.allSatisfy { $0.compiled == $0.general })
            try await connection.simpleQuery("ROLLBACK")

            #expect(try await connection.queryOne(ask, [payment]) { try $0.optionalString(0) } == "payload.note: unknown field of PaymentRecorded v1")
            try await connection.simpleQuery("BEGIN; DELETE FROM ledger.event_schema_fields WHERE event_type = 'PaymentRecorded' AND field = 'voucher'")
            #expect(try await connection.queryOne(ask, [payment]) { try $0.optionalString(0) } == "payload.note: unknown field of PaymentRecorded v1")
            #expect(try await connection.queryOne(ask, [payment.replacingOccurrences(of: #", "note": "a long note""#, with: "")]) {
                try $0.optionalString(0) } == "payload.voucher: unknown field of PaymentRecorded v1")
            try await connection.simpleQuery("ROLLBACK")
        }
    }

    @Test func aRuleRegisteredOrDeletedTakesEffectAtOnceInNameOrder() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            try await scenario.allocate(10_000_000)
            try await scenario.approvedApplication("A-1", household: "HH-1", amount: 8_000_000)
            let superuser = scenario.superuser.store.connection
            try await superuser.simpleQuery("""
                CREATE FUNCTION ledger.zz_test_voucher_rule(e ledger.events, p_batch ledger.events[]) RETURNS text
                LANGUAGE sql AS $$ SELECT CASE WHEN e.payload ->> 'voucher' IN ('PC NO', 'PC BOTH') THEN 'zz says no' END $$;
                CREATE FUNCTION ledger.aa_test_voucher_rule(e ledger.events, p_batch ledger.events[]) RETURNS text
                LANGUAGE sql AS $$ SELECT CASE WHEN e.payload ->> 'voucher' = 'PC BOTH' THEN 'aa says no' END $$;
                INSERT INTO ledger.event_rules (event_type, rule) VALUES
                    ('PaymentRecorded', 'ledger.zz_test_voucher_rule(ledger.events, ledger.events[])'),
                    ('PaymentRecorded', 'ledger.aa_test_voucher_rule(ledger.events, ledger.events[])')
                """)
            let before = try await scenario.headPosition()
            let refused = await appendDirectly(scenario.officer, payment("NO"))
            #expect(refused?.code.rawValue == "LR001" && refused?.message.contains("zz says no") == true, "\(String(describing: refused))")
            let both = await appendDirectly(scenario.officer, payment("BOTH"))
            #expect(both?.message.contains("aa says no") == true, "the rules run in the order of their names: \(String(describing: both))")
            #expect(try await scenario.headPosition() == before)
            #expect(await appendDirectly(scenario.officer, payment("OK-1")) == nil)

            try await superuser.simpleQuery("DELETE FROM ledger.event_rules WHERE rule = 'ledger.zz_test_voucher_rule(ledger.events, ledger.events[])'::regprocedure")
            #expect(await appendDirectly(scenario.officer, payment("NO")) == nil)
            #expect(await appendDirectly(scenario.officer, payment("BOTH"))?.message.contains("aa says no") == true)

            // A rule's function dropped without its row: appends of its type are refused, as they
            // were when each rule ran through EXECUTE, and the rules are not compiled again
            // without it (it would silently stop running).
            try await superuser.simpleQuery("DROP FUNCTION ledger.aa_test_voucher_rule(ledger.events, ledger.events[])")
            let dangling = await appendDirectly(scenario.officer, payment("AFTER-DROP"))
            #expect(dangling?.message.contains("aa_test_voucher_rule") == true, "\(String(describing: dangling))")
            let recompile = await sqlError(scenario.superuser) {
                try await $0.simpleQuery("DELETE FROM ledger.event_rules WHERE event_type = 'NoSuchType'")
            }
            #expect(recompile?.message.contains("ledger.event_rules names functions that do not exist") == true,
                    "\(String(describing: recompile))")
            #expect(await appendDirectly(scenario.officer, payment("AFTER-DROP")) != nil)
            try await superuser.simpleQuery(
                "DELETE FROM ledger.event_rules r WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.oid = r.rule)")
            #expect(await appendDirectly(scenario.officer, payment("AFTER-DROP")) == nil)

            // Outside a migration, compiling the rules again is a schema change, recorded in the log.
            let recorded = try await superuser.queryOne("""
                SELECT count(*) FROM ledger.events
                WHERE event_type = 'SchemaChanged' AND payload::text LIKE '%ledger.apply_event_rules%'
                """) { try $0.int64(0) }
            #expect(recorded == 3, "one for the INSERT and one for each of the two DELETEs that compiled")
        }
    }

    /// What a person with psql and their own login might try: write the tables the checks are
    /// compiled from, call the compilers, or replace a compiled function. Every one is refused.
    @Test func noPersonCanChangeOrRecompileTheChecks() async throws {
        try await TestDatabase.withFresh { db in
            let scenario = try await Scenario.make(db)
            let before = try await scenario.superuser.store.connection.queryOne("""
                SELECT md5(pg_get_functiondef('ledger.payload_problem(text, int, text, jsonb)'::regprocedure))
                    || md5(pg_get_functiondef('ledger.apply_event_rules(ledger.events, ledger.events[])'::regprocedure))
                """) { try $0.string(0) }
            let attempts = [
                "INSERT INTO ledger.event_rules (event_type, rule) VALUES ('PaymentRecorded', 'ledger.payload_problem_by_table(text, int, text, jsonb)'::regprocedure)",
                "DELETE FROM ledger.event_rules",
                "TRUNCATE ledger.event_rules",
                "DELETE FROM ledger.event_schema_fields WHERE event_type = 'PaymentRecorded' AND field = 'amount_vnd'",
                "UPDATE ledger.event_schema_fields SET required = false",
                "INSERT INTO ledger.event_schemas (event_type, schema_version, stream_prefix) VALUES ('PaymentRecorded', 9, 'application-')",
                "SELECT ledger.compile_payload_problem()",
                "SELECT ledger.compile_event_rules()",
                "SELECT ledger.quick_value_check('id', 'x', NULL)",
                """
                CREATE OR REPLACE FUNCTION ledger.apply_event_rules(e ledger.events, p_batch ledger.events[]) RETURNS text
                LANGUAGE sql AS $$ SELECT NULL::text $$
                """,
            ]
            for service in [scenario.officer, scenario.approver, scenario.admin] {
                for attempt in attempts {
                    let error = await sqlError(service) { try await $0.simpleQuery(attempt) }
                    #expect(error?.code.rawValue == "42501", "\(attempt): \(String(describing: error))")
                }
            }
            let after = try await scenario.superuser.store.connection.queryOne("""
                SELECT md5(pg_get_functiondef('ledger.payload_problem(text, int, text, jsonb)'::regprocedure))
                    || md5(pg_get_functiondef('ledger.apply_event_rules(ledger.events, ledger.events[])'::regprocedure))
                """) { try $0.string(0) }
            #expect(after == before)
        }
    }

    func payment(_ id: String) -> String {
        """
        [{"stream_id": "application-A-1", "expected_version": "any", "events": [{"type": "PaymentRecorded",
          "schema_version": 1, "payload": {"payment_id": "\(id)", "amount_vnd": 1000, "paid_on": "2024-03-15",
          "method": "cash", "voucher": "PC \(id)"}}]}]
        """
    }
}
