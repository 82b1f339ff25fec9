-- 0009_domain_rules.sql — the database is the last word on money.
--
-- People act as their own database roles, so whoever may run `ledger` may also run psql with
-- the same login and call ledger.append directly. Every money rule is therefore checked here,
-- inside the append's transaction, for every writer; Swift's decisions stay the friendly front
-- (they refuse first, with better messages), this is the backstop.
--
-- 1. Payload schemas: each domain event type and schema version has its fields listed in
--    ledger.event_schema_fields (kind, required, length limit); an event whose payload does not
--    match, of an unknown version, or on the wrong kind of stream is refused (LS001). So no
--    event the code cannot read can be stored.
-- 2. State tables (ledger.program_definitions, budget_totals, benefit_totals, beneficiary_facts,
--    application_facts, payment_facts, loan_facts, loan_repayments), kept by one statement-level
--    trigger on ledger.events in the same transaction as the events, so every check is a key
--    lookup (LR001 when a rule is broken). They are derived from the log: audit verify replays
--    the same rules from the events alone.
-- 3. Snapshots are dropped: the budget totals they cached are now a state table that only the
--    append keeps, and people could write snapshots.
-- 4. The append gives up after ledger.append's lock_timeout when another transaction holds
--    the log ("another append holds the log; try again", LL001) instead of waiting for ever,
--    after ending any holder that sits idle in its transaction past ledger.limits_stale_turn().
--
-- The rules, their messages and their replay in audit verify are listed side by side in
-- docs/architecture.md ("Where each rule is enforced").

SET LOCAL ROLE ledger_admin;

---------------------------------------------------------------------------------------------
-- 1. Payload schemas
---------------------------------------------------------------------------------------------

-- Which stream kind each domain event type lives on, per schema version.
CREATE TABLE ledger.event_schemas (
    event_type     text NOT NULL,
    schema_version int  NOT NULL CHECK (schema_version > 0),
    stream_prefix  text NOT NULL CHECK (stream_prefix IN ('program-', 'budget-', 'beneficiary-', 'application-', 'loan-')),
    PRIMARY KEY (event_type, schema_version)
);

-- The fields of each payload. kind says how a value is checked (ledger.value_problem);
-- max_chars bounds text (and 4 × max_chars bounds its UTF-8 bytes).
CREATE TABLE ledger.event_schema_fields (
    event_type     text    NOT NULL,
    schema_version int     NOT NULL,
    field          text    NOT NULL,
    kind           text    NOT NULL CHECK (kind IN (
        'id', 'text', 'bank_account', 'amount', 'amount_or_zero', 'delta', 'date', 'year', 'months',
        'multiplier', 'boolean', 'district', 'program_kind', 'beneficiary_kind', 'beneficiary_kinds',
        'method', 'fingerprint', 'categories', 'loan_terms')),
    required       boolean NOT NULL,
    max_chars      int     CHECK (max_chars > 0),
    PRIMARY KEY (event_type, schema_version, field),
    FOREIGN KEY (event_type, schema_version) REFERENCES ledger.event_schemas
);

INSERT INTO ledger.event_schemas (event_type, schema_version, stream_prefix) VALUES
    ('ProgramDefined', 1, 'program-'), ('ProgramAmended', 1, 'program-'),
    ('BudgetAllocated', 1, 'budget-'), ('BudgetAdjusted', 1, 'budget-'),
    ('FundsReserved', 1, 'budget-'), ('FundsReleased', 1, 'budget-'),
    ('BeneficiaryRegistered', 1, 'beneficiary-'), ('BenefitCommitted', 1, 'beneficiary-'),
    ('BenefitReleased', 1, 'beneficiary-'),
    ('ApplicationSubmitted', 1, 'application-'), ('ApplicationSubmitted', 2, 'application-'),
    ('ApplicationApproved', 1, 'application-'), ('ApplicationRejected', 1, 'application-'),
    ('ApplicationWithdrawn', 1, 'application-'), ('PaymentRecorded', 1, 'application-'),
    ('PaymentReversed', 1, 'application-'), ('LoanOpened', 1, 'application-'),
    ('ApplicationClosed', 1, 'application-'),
    ('LoanDisbursed', 1, 'loan-'), ('LoanRepaid', 1, 'loan-'), ('LoanSettled', 1, 'loan-'),
    ('LoanWrittenOff', 1, 'loan-');

-- Limits follow Sources/Ledger/Applications/DomainLimits.swift and LoanLimits.swift.
INSERT INTO ledger.event_schema_fields (event_type, schema_version, field, kind, required, max_chars)
SELECT d.event_type, 1, f.field, f.kind, f.required, f.max_chars
FROM (VALUES ('ProgramDefined'), ('ProgramAmended')) AS d(event_type)
CROSS JOIN (VALUES
    ('code', 'id', true, NULL::int), ('name_vi', 'text', true, 300), ('name_en', 'text', true, 300),
    ('legal_basis', 'text', true, 2000), ('kind', 'program_kind', true, NULL),
    ('beneficiary_kinds', 'beneficiary_kinds', true, NULL), ('eligible_categories', 'categories', true, NULL),
    ('cap_per_beneficiary_vnd', 'amount', true, NULL), ('valid_from', 'date', true, NULL),
    ('valid_until', 'date', true, NULL), ('once_only', 'boolean', true, NULL),
    ('effective_from', 'date', true, NULL), ('illustrative', 'boolean', true, NULL),
    ('loan_terms', 'loan_terms', false, NULL)
) AS f(field, kind, required, max_chars);

INSERT INTO ledger.event_schema_fields (event_type, schema_version, field, kind, required, max_chars) VALUES
    ('BudgetAllocated', 1, 'program', 'id', true, NULL), ('BudgetAllocated', 1, 'fiscal_year', 'year', true, NULL),
    ('BudgetAllocated', 1, 'district', 'district', true, NULL), ('BudgetAllocated', 1, 'amount_vnd', 'amount', true, NULL),
    ('BudgetAllocated', 1, 'reference', 'text', true, 200),
    ('BudgetAdjusted', 1, 'program', 'id', true, NULL), ('BudgetAdjusted', 1, 'fiscal_year', 'year', true, NULL),
    ('BudgetAdjusted', 1, 'district', 'district', true, NULL), ('BudgetAdjusted', 1, 'delta_vnd', 'delta', true, NULL),
    ('BudgetAdjusted', 1, 'reference', 'text', true, 200),
    ('FundsReserved', 1, 'application_id', 'id', true, NULL), ('FundsReserved', 1, 'amount_vnd', 'amount', true, NULL),
    ('FundsReleased', 1, 'application_id', 'id', true, NULL), ('FundsReleased', 1, 'amount_vnd', 'amount', true, NULL),
    ('FundsReleased', 1, 'reason', 'text', true, 600),
    ('BeneficiaryRegistered', 1, 'beneficiary_id', 'id', true, NULL),
    ('BeneficiaryRegistered', 1, 'kind', 'beneficiary_kind', true, NULL),
    ('BeneficiaryRegistered', 1, 'name', 'text', true, 200),
    ('BeneficiaryRegistered', 1, 'district', 'district', true, NULL),
    ('BeneficiaryRegistered', 1, 'categories', 'categories', true, NULL),
    ('BeneficiaryRegistered', 1, 'bank_account', 'bank_account', false, 34),
    ('BeneficiaryRegistered', 1, 'national_id_fingerprint', 'fingerprint', false, NULL),
    ('BenefitCommitted', 1, 'application_id', 'id', true, NULL), ('BenefitCommitted', 1, 'program', 'id', true, NULL),
    ('BenefitCommitted', 1, 'amount_vnd', 'amount', true, NULL),
    ('BenefitReleased', 1, 'application_id', 'id', true, NULL), ('BenefitReleased', 1, 'program', 'id', true, NULL),
    ('BenefitReleased', 1, 'amount_vnd', 'amount', true, NULL),
    ('ApplicationSubmitted', 1, 'application_id', 'id', true, NULL),
    ('ApplicationSubmitted', 1, 'beneficiary_id', 'id', true, NULL),
    ('ApplicationSubmitted', 1, 'program', 'id', true, NULL),
    ('ApplicationSubmitted', 1, 'district', 'district', true, NULL),
    ('ApplicationSubmitted', 1, 'requested_vnd', 'amount', true, NULL),
    ('ApplicationSubmitted', 1, 'submitted_on', 'date', true, NULL),
    ('ApplicationSubmitted', 2, 'application_id', 'id', true, NULL),
    ('ApplicationSubmitted', 2, 'beneficiary_id', 'id', true, NULL),
    ('ApplicationSubmitted', 2, 'program', 'id', true, NULL),
    ('ApplicationSubmitted', 2, 'district', 'district', true, NULL),
    ('ApplicationSubmitted', 2, 'fiscal_year', 'year', true, NULL),
    ('ApplicationSubmitted', 2, 'requested_vnd', 'amount', true, NULL),
    ('ApplicationSubmitted', 2, 'submitted_on', 'date', true, NULL),
    ('ApplicationApproved', 1, 'approved_vnd', 'amount', true, NULL),
    ('ApplicationApproved', 1, 'decision_reference', 'text', true, 200),
    ('ApplicationApproved', 1, 'decided_on', 'date', true, NULL),
    ('ApplicationRejected', 1, 'reason', 'text', true, 500), ('ApplicationRejected', 1, 'decided_on', 'date', true, NULL),
    ('ApplicationWithdrawn', 1, 'reason', 'text', true, 500),
    ('ApplicationWithdrawn', 1, 'withdrawn_on', 'date', true, NULL),
    ('ApplicationWithdrawn', 1, 'released_vnd', 'amount_or_zero', true, NULL),
    ('PaymentRecorded', 1, 'payment_id', 'id', true, NULL), ('PaymentRecorded', 1, 'amount_vnd', 'amount', true, NULL),
    ('PaymentRecorded', 1, 'paid_on', 'date', true, NULL), ('PaymentRecorded', 1, 'method', 'method', true, NULL),
    ('PaymentRecorded', 1, 'voucher', 'text', true, 100),
    ('PaymentRecorded', 1, 'bank_account', 'bank_account', false, 34),
    ('PaymentReversed', 1, 'payment_id', 'id', true, NULL), ('PaymentReversed', 1, 'amount_vnd', 'amount', true, NULL),
    ('PaymentReversed', 1, 'reason', 'text', true, 500), ('PaymentReversed', 1, 'reversed_on', 'date', true, NULL),
    ('LoanOpened', 1, 'loan_id', 'id', true, NULL), ('LoanOpened', 1, 'principal_vnd', 'amount', true, NULL),
    ('LoanOpened', 1, 'disbursed_on', 'date', true, NULL),
    ('ApplicationClosed', 1, 'closed_on', 'date', true, NULL),
    ('ApplicationClosed', 1, 'paid_vnd', 'amount_or_zero', true, NULL),
    ('ApplicationClosed', 1, 'released_vnd', 'amount_or_zero', true, NULL),
    ('LoanDisbursed', 1, 'loan_id', 'id', true, NULL), ('LoanDisbursed', 1, 'application_id', 'id', true, NULL),
    ('LoanDisbursed', 1, 'beneficiary_id', 'id', true, NULL), ('LoanDisbursed', 1, 'program', 'id', true, NULL),
    ('LoanDisbursed', 1, 'principal_vnd', 'amount', true, NULL), ('LoanDisbursed', 1, 'disbursed_on', 'date', true, NULL),
    ('LoanDisbursed', 1, 'term_months', 'months', true, NULL),
    ('LoanDisbursed', 1, 'instalment_months', 'months', true, NULL),
    ('LoanDisbursed', 1, 'overdue_multiplier_percent', 'multiplier', true, NULL),
    ('LoanRepaid', 1, 'repayment_id', 'id', true, NULL), ('LoanRepaid', 1, 'amount_vnd', 'amount', true, NULL),
    ('LoanRepaid', 1, 'paid_on', 'date', true, NULL),
    ('LoanRepaid', 1, 'overdue_interest_vnd', 'amount_or_zero', true, NULL),
    ('LoanRepaid', 1, 'interest_vnd', 'amount_or_zero', true, NULL),
    ('LoanRepaid', 1, 'overdue_principal_vnd', 'amount_or_zero', true, NULL),
    ('LoanRepaid', 1, 'principal_due_vnd', 'amount_or_zero', true, NULL),
    ('LoanRepaid', 1, 'prepaid_principal_vnd', 'amount_or_zero', true, NULL),
    ('LoanRepaid', 1, 'outstanding_principal_after_vnd', 'amount_or_zero', true, NULL),
    ('LoanRepaid', 1, 'unpaid_overdue_interest_after_vnd', 'amount_or_zero', false, NULL),
    ('LoanRepaid', 1, 'unpaid_interest_after_vnd', 'amount_or_zero', false, NULL),
    ('LoanSettled', 1, 'settled_on', 'date', true, NULL),
    ('LoanWrittenOff', 1, 'reason', 'text', true, 500), ('LoanWrittenOff', 1, 'written_off_on', 'date', true, NULL),
    ('LoanWrittenOff', 1, 'outstanding_principal_vnd', 'amount_or_zero', true, NULL),
    ('LoanWrittenOff', 1, 'unpaid_interest_vnd', 'amount_or_zero', true, NULL);

REVOKE ALL ON ledger.event_schemas, ledger.event_schema_fields FROM PUBLIC;
GRANT SELECT ON ledger.event_schemas, ledger.event_schema_fields
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

-- Free text: a string of 1..p_max characters and at most 4 × p_max UTF-8 bytes, with a visible
-- character, without control characters (line breaks, tabs) and without format characters
-- (bidirectional overrides and isolates, zero-width characters, the byte-order mark, soft
-- hyphen, ...: Unicode category Cf, and the other default-ignorable variation selectors and
-- joiners), which could make a name or voucher read other than it is. Blank look-alikes (Hangul
-- fillers, the blank Braille pattern) do not count as visible.
CREATE FUNCTION ledger.text_problem(p_value jsonb, p_max int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE
    WHEN jsonb_typeof(p_value) <> 'string' THEN format('must be a string, got %s', jsonb_typeof(p_value))
    WHEN length(p_value #>> '{}') > p_max THEN format('is %s characters; at most %s', length(p_value #>> '{}'), p_max)
    WHEN octet_length(p_value #>> '{}') > 4 * p_max THEN
        format('is %s bytes of UTF-8; at most %s', octet_length(p_value #>> '{}'), 4 * p_max)
    WHEN (p_value #>> '{}') ~ '[\u0001-\u001f\u007f-\u009f\u2028\u2029]' THEN 'must not contain control characters (line breaks, tabs)'
    WHEN (p_value #>> '{}') ~ '[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef]'
        THEN format('must not contain format characters (found U+%s: bidirectional overrides, zero-width characters and the like)',
                    upper(lpad(to_hex(ascii(substring(p_value #>> '{}' FROM '[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufe00-\ufe0f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef]'))), 4, '0')))
    WHEN (p_value #>> '{}') !~ '[^ \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u3164\u115f\u1160\uffa0\u2800]'
        THEN 'must contain a visible character'
    ELSE NULL
END;

-- An integer within bounds, written as a JSON number without a fraction.
CREATE FUNCTION ledger.integer_problem(p_value jsonb, p_low numeric, p_high numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE
    WHEN jsonb_typeof(p_value) <> 'number' THEN format('must be a whole number, got %s', jsonb_typeof(p_value))
    WHEN p_value::numeric <> trunc(p_value::numeric) THEN format('must be a whole number, got %s', p_value)
    WHEN p_value::numeric NOT BETWEEN p_low AND p_high THEN format('%s is outside %s…%s', p_value, p_low, p_high)
    ELSE NULL
END;

-- A business date: YYYY-MM-DD, a real day of the calendar, 2000-01-01…2100-12-31.
CREATE FUNCTION ledger.date_problem(p_value jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_text  text;
    v_year  int;
    v_month int;
    v_day   int;
BEGIN
    IF jsonb_typeof(p_value) <> 'string' THEN
        RETURN format('must be a date YYYY-MM-DD, got %s', jsonb_typeof(p_value));
    END IF;
    v_text := p_value #>> '{}';
    IF v_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
        RETURN format('%s is not a date YYYY-MM-DD', p_value);
    END IF;
    v_year := substr(v_text, 1, 4)::int;
    v_month := substr(v_text, 6, 2)::int;
    v_day := substr(v_text, 9, 2)::int;
    IF v_year NOT BETWEEN 2000 AND 2100 THEN
        RETURN format('%s is outside the years 2000…2100', p_value);
    END IF;
    IF v_month NOT BETWEEN 1 AND 12
       OR v_day < 1
       OR v_day > extract(day FROM make_date(v_year, v_month, 1) + interval '1 month - 1 day') THEN
        RETURN format('%s is not a day of the calendar', p_value);
    END IF;
    RETURN NULL;
END
$$;

-- The problem with one field's value of the given kind, or NULL.
CREATE FUNCTION ledger.value_problem(p_kind text, p_value jsonb, p_max int) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    c_id_pattern   constant text := '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
    c_max_vnd      constant numeric := 1000000000000000;  -- VND.maximumMagnitude
    v_problem      text;
    v_element      jsonb;
    v_index        int := 0;
BEGIN
    CASE p_kind
    WHEN 'id' THEN
        IF jsonb_typeof(p_value) <> 'string' OR (p_value #>> '{}') !~ c_id_pattern THEN
            RETURN format('%s is not an identifier (1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit)', p_value);
        END IF;
    WHEN 'text' THEN
        RETURN ledger.text_problem(p_value, p_max);
    WHEN 'bank_account' THEN
        v_problem := ledger.text_problem(p_value, p_max);
        IF v_problem IS NULL AND (p_value #>> '{}') !~ '^[[:alnum:] -]+$' THEN
            v_problem := 'may use only letters, digits, spaces and -';
        END IF;
        RETURN v_problem;
    WHEN 'amount' THEN RETURN ledger.integer_problem(p_value, 1, c_max_vnd);
    WHEN 'amount_or_zero' THEN RETURN ledger.integer_problem(p_value, 0, c_max_vnd);
    WHEN 'delta' THEN
        v_problem := ledger.integer_problem(p_value, -c_max_vnd, c_max_vnd);
        IF v_problem IS NULL AND p_value::numeric = 0 THEN v_problem := 'must not be 0'; END IF;
        RETURN v_problem;
    WHEN 'date' THEN RETURN ledger.date_problem(p_value);
    WHEN 'year' THEN RETURN ledger.integer_problem(p_value, 2000, 2100);
    WHEN 'months' THEN RETURN ledger.integer_problem(p_value, 1, 600);
    WHEN 'multiplier' THEN RETURN ledger.integer_problem(p_value, 100, 1000);
    WHEN 'boolean' THEN
        IF jsonb_typeof(p_value) <> 'boolean' THEN RETURN format('must be true or false, got %s', p_value); END IF;
    WHEN 'district' THEN
        IF jsonb_typeof(p_value) <> 'string' OR (p_value #>> '{}') NOT IN (
            'ninh-kieu', 'binh-thuy', 'cai-rang', 'o-mon', 'thot-not', 'phong-dien', 'co-do', 'thoi-lai', 'vinh-thanh') THEN
            RETURN format('%s is not a district code', p_value);
        END IF;
    WHEN 'program_kind' THEN
        IF jsonb_typeof(p_value) <> 'string' OR (p_value #>> '{}') NOT IN ('grant', 'loan') THEN
            RETURN format('%s is not grant or loan', p_value);
        END IF;
    WHEN 'beneficiary_kind' THEN
        IF jsonb_typeof(p_value) <> 'string' OR (p_value #>> '{}') NOT IN ('person', 'household') THEN
            RETURN format('%s is not person or household', p_value);
        END IF;
    WHEN 'method' THEN
        IF jsonb_typeof(p_value) <> 'string' OR (p_value #>> '{}') NOT IN ('bank', 'cash') THEN
            RETURN format('%s is not bank or cash', p_value);
        END IF;
    WHEN 'fingerprint' THEN
        -- Lower-case hex only: the same fingerprint cannot be written a second way.
        IF jsonb_typeof(p_value) <> 'string' OR (p_value #>> '{}') !~ '^[0-9a-f]{64}$' THEN
            RETURN 'must be 64 lower-case hexadecimal digits (an HMAC-SHA-256 fingerprint)';
        END IF;
    WHEN 'beneficiary_kinds' THEN
        IF jsonb_typeof(p_value) <> 'array' OR jsonb_array_length(p_value) NOT BETWEEN 1 AND 2 THEN
            RETURN 'must be a list of person and/or household';
        END IF;
        FOR v_element IN SELECT value FROM jsonb_array_elements(p_value) LOOP
            v_problem := ledger.value_problem('beneficiary_kind', v_element, NULL);
            IF v_problem IS NOT NULL THEN RETURN v_problem; END IF;
        END LOOP;
    WHEN 'categories' THEN
        IF jsonb_typeof(p_value) <> 'array' OR jsonb_array_length(p_value) > 20 THEN
            RETURN 'must be a list of at most 20 categories';
        END IF;
        FOR v_element IN SELECT value FROM jsonb_array_elements(p_value) LOOP
            v_problem := ledger.text_problem(v_element, 64);
            IF v_problem IS NOT NULL THEN RETURN format('[%s] %s', v_index, v_problem); END IF;
            v_index := v_index + 1;
        END LOOP;
    WHEN 'loan_terms' THEN
        IF jsonb_typeof(p_value) = 'null' THEN RETURN NULL; END IF;
        IF jsonb_typeof(p_value) <> 'object' THEN RETURN 'must be an object'; END IF;
        IF (p_value - ARRAY['rate_periods', 'overdue_multiplier_percent', 'max_term_months', 'instalment_months']) <> '{}' THEN
            RETURN format('unknown key %s', (SELECT min(k) FROM jsonb_object_keys(p_value - ARRAY['rate_periods',
                'overdue_multiplier_percent', 'max_term_months', 'instalment_months']) AS k));
        END IF;
        v_problem := coalesce(
            '.overdue_multiplier_percent: ' || ledger.integer_problem(coalesce(p_value -> 'overdue_multiplier_percent', 'null'), 100, 1000),
            '.max_term_months: ' || ledger.integer_problem(coalesce(p_value -> 'max_term_months', 'null'), 1, 600),
            '.instalment_months: ' || ledger.integer_problem(coalesce(p_value -> 'instalment_months', 'null'), 1, 600));
        IF v_problem IS NOT NULL THEN RETURN v_problem; END IF;
        IF jsonb_typeof(p_value -> 'rate_periods') IS DISTINCT FROM 'array'
           OR jsonb_array_length(p_value -> 'rate_periods') NOT BETWEEN 1 AND 1000 THEN
            RETURN '.rate_periods: must be a list of 1…1000 periods';
        END IF;
        FOR v_element IN SELECT value FROM jsonb_array_elements(p_value -> 'rate_periods') LOOP
            IF jsonb_typeof(v_element) <> 'object' OR (v_element - ARRAY['from', 'annual_rate_basis_points']) <> '{}' THEN
                RETURN format('.rate_periods[%s]: must be {"from", "annual_rate_basis_points"}', v_index);
            END IF;
            v_problem := coalesce(
                '.from: ' || ledger.date_problem(coalesce(v_element -> 'from', 'null')),
                '.annual_rate_basis_points: ' || ledger.integer_problem(coalesce(v_element -> 'annual_rate_basis_points', 'null'), 0, 10000));
            IF v_problem IS NOT NULL THEN RETURN format('.rate_periods[%s]%s', v_index, v_problem); END IF;
            v_index := v_index + 1;
        END LOOP;
    END CASE;
    RETURN NULL;
END
$$;

-- The first problem with an event's type, version, stream and payload, or NULL when it is one
-- the domain can read. Types the domain does not know are the generic store's business, but
-- never on a domain stream.
CREATE FUNCTION ledger.payload_problem(p_type text, p_version int, p_stream text, p_payload jsonb) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_prefix   text;
    v_versions text;
    v_unknown  text;
    v_field    record;
    v_problem  text;
BEGIN
    SELECT s.stream_prefix INTO v_prefix
    FROM ledger.event_schemas s WHERE s.event_type = p_type AND s.schema_version = p_version;
    IF NOT FOUND THEN
        SELECT string_agg(s.schema_version::text, ', ' ORDER BY s.schema_version) INTO v_versions
        FROM ledger.event_schemas s WHERE s.event_type = p_type;
        IF v_versions IS NOT NULL THEN
            RETURN format('schema_version %s of %s is unknown (this ledger reads %s)', p_version, p_type, v_versions);
        END IF;
        IF p_stream ~ '^(program|budget|beneficiary|application|loan)-' THEN
            RETURN format('%s is not an event type of the domain, and %s is a domain stream', p_type, p_stream);
        END IF;
        RETURN NULL;
    END IF;
    IF left(p_stream, length(v_prefix)) <> v_prefix THEN
        RETURN format('%s belongs on a %s… stream, not on %s', p_type, v_prefix, p_stream);
    END IF;
    SELECT min(k) INTO v_unknown
    FROM jsonb_object_keys(p_payload) AS k
    WHERE NOT EXISTS (SELECT 1 FROM ledger.event_schema_fields f
                      WHERE f.event_type = p_type AND f.schema_version = p_version AND f.field = k);
    IF v_unknown IS NOT NULL THEN
        RETURN format('payload.%s: unknown field of %s v%s', v_unknown, p_type, p_version);
    END IF;
    FOR v_field IN
        SELECT f.field, f.kind, f.required, f.max_chars FROM ledger.event_schema_fields f
        WHERE f.event_type = p_type AND f.schema_version = p_version ORDER BY f.field
    LOOP
        IF jsonb_typeof(p_payload -> v_field.field) IS NULL
           OR (jsonb_typeof(p_payload -> v_field.field) = 'null' AND v_field.kind <> 'loan_terms') THEN
            IF v_field.required THEN
                RETURN format('payload.%s: missing', v_field.field);
            END IF;
            CONTINUE;
        END IF;
        v_problem := ledger.value_problem(v_field.kind, p_payload -> v_field.field, v_field.max_chars);
        IF v_problem IS NOT NULL THEN
            RETURN format('payload.%s: %s', v_field.field, v_problem);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION ledger.text_problem(jsonb, int), ledger.integer_problem(jsonb, numeric, numeric),
    ledger.date_problem(jsonb), ledger.value_problem(text, jsonb, int),
    ledger.payload_problem(text, int, text, jsonb) FROM PUBLIC;
-- Anyone who may append may ask in advance whether a payload would be accepted.
GRANT EXECUTE ON FUNCTION ledger.text_problem(jsonb, int), ledger.integer_problem(jsonb, numeric, numeric),
    ledger.date_problem(jsonb), ledger.value_problem(text, jsonb, int),
    ledger.payload_problem(text, int, text, jsonb)
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

---------------------------------------------------------------------------------------------
-- 2. State tables: what the rules need, one key lookup each
---------------------------------------------------------------------------------------------

-- Every definition of every programme (ProgramDefined, ProgramAmended), with the figures the
-- rules need. The definition in force on a date is the latest effective on or before it (the
-- latest recorded among equal dates); before the first one's date, the first one.
CREATE TABLE ledger.program_definitions (
    program                    text    NOT NULL,
    position                   bigint  NOT NULL,
    effective_from             date    NOT NULL,
    kind                       text    NOT NULL,
    cap_vnd                    bigint  NOT NULL,
    once_only                  boolean NOT NULL,
    valid_from                 date    NOT NULL,
    valid_until                date    NOT NULL,
    max_term_months            int,
    instalment_months          int,
    overdue_multiplier_percent int,
    PRIMARY KEY (program, position)
);

-- Per budget stream: allocations and adjustments, reservations, releases, and the stream
-- version they were folded at (the command handler decides approvals from this row).
CREATE TABLE ledger.budget_totals (
    stream_id     text   PRIMARY KEY,
    program       text   NOT NULL,
    fiscal_year   int    NOT NULL,
    district      text   NOT NULL,
    allocated_vnd bigint NOT NULL,
    reserved_vnd  bigint NOT NULL,
    released_vnd  bigint NOT NULL,
    version       bigint NOT NULL,
    CHECK (reserved_vnd - released_vnd <= allocated_vnd)
);

CREATE TABLE ledger.beneficiary_facts (
    beneficiary_id text   PRIMARY KEY,
    position       bigint NOT NULL
);

-- What a beneficiary was granted under a programme (for once-only caps).
CREATE TABLE ledger.benefit_totals (
    beneficiary_id text   NOT NULL,
    program        text   NOT NULL,
    committed_vnd  bigint NOT NULL,
    released_vnd   bigint NOT NULL,
    PRIMARY KEY (beneficiary_id, program)
);

CREATE TABLE ledger.application_facts (
    application_id     text   PRIMARY KEY,
    beneficiary_id     text   NOT NULL,
    program            text   NOT NULL,
    budget_stream      text   NOT NULL,
    status             text   NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'withdrawn', 'closed')),
    submitted_by       text   NOT NULL,
    approved_vnd       bigint NOT NULL DEFAULT 0,
    paid_vnd           bigint NOT NULL DEFAULT 0,   -- net of reversals
    loan_principal_vnd bigint NOT NULL DEFAULT 0,
    CHECK (paid_vnd >= 0 AND paid_vnd + loan_principal_vnd <= approved_vnd OR status IN ('submitted', 'rejected', 'withdrawn'))
);

CREATE TABLE ledger.payment_facts (
    payment_id        text    PRIMARY KEY,
    application_id    text    NOT NULL,
    amount_vnd        bigint  NOT NULL,
    reversed_position bigint
);

CREATE TABLE ledger.loan_facts (
    loan_id                   text   PRIMARY KEY,
    application_id            text   NOT NULL,
    principal_vnd             bigint NOT NULL,
    outstanding_principal_vnd bigint NOT NULL CHECK (outstanding_principal_vnd >= 0),
    status                    text   NOT NULL CHECK (status IN ('active', 'settled', 'written_off'))
);

CREATE TABLE ledger.loan_repayments (
    loan_id      text   NOT NULL,
    repayment_id text   NOT NULL,
    position     bigint NOT NULL,
    PRIMARY KEY (loan_id, repayment_id)
);

REVOKE ALL ON ledger.program_definitions, ledger.budget_totals, ledger.beneficiary_facts, ledger.benefit_totals,
    ledger.application_facts, ledger.payment_facts, ledger.loan_facts, ledger.loan_repayments FROM PUBLIC;
GRANT SELECT ON ledger.program_definitions, ledger.budget_totals, ledger.beneficiary_facts, ledger.benefit_totals,
    ledger.application_facts, ledger.payment_facts, ledger.loan_facts, ledger.loan_repayments
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

---------------------------------------------------------------------------------------------
-- 3. The rules
---------------------------------------------------------------------------------------------

-- The definition of p_program in force on p_date (NULL row when the programme is unknown).
CREATE FUNCTION ledger.definition_in_force(p_program text, p_date date) RETURNS ledger.program_definitions
LANGUAGE sql STABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN coalesce(
    (SELECT d FROM ledger.program_definitions d
     WHERE d.program = p_program AND d.effective_from <= p_date
     ORDER BY d.effective_from DESC, d.position DESC LIMIT 1),
    (SELECT d FROM ledger.program_definitions d
     WHERE d.program = p_program
     ORDER BY d.effective_from, d.position LIMIT 1));

-- Whether the batch holds an event of p_type on p_stream whose payload contains p_fields.
CREATE FUNCTION ledger.batch_has(p_batch ledger.events[], p_type text, p_stream text, p_fields jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN EXISTS (SELECT 1 FROM unnest(p_batch) AS b
               WHERE b.event_type = p_type AND b.stream_id = p_stream AND b.payload @> p_fields);

-- Why a reservation or commitment (caused by an approval) or a release (caused by a withdrawal or
-- a closure) of p_amount for application p_application has no cause in the batch; NULL if it has.
CREATE FUNCTION ledger.missing_cause(p_batch ledger.events[], p_type text, p_application text, p_amount bigint) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN CASE
    WHEN p_type IN ('FundsReserved', 'BenefitCommitted') THEN
        CASE WHEN ledger.batch_has(p_batch, 'ApplicationApproved', 'application-' || p_application,
                                   jsonb_build_object('approved_vnd', p_amount)) THEN NULL
             ELSE format('a %s is made only by the approval of application %s for the same amount, in the same append',
                         CASE p_type WHEN 'FundsReserved' THEN 'reservation' ELSE 'commitment' END, p_application)
        END
    WHEN ledger.batch_has(p_batch, 'ApplicationWithdrawn', 'application-' || p_application, jsonb_build_object('released_vnd', p_amount))
      OR ledger.batch_has(p_batch, 'ApplicationClosed', 'application-' || p_application, jsonb_build_object('released_vnd', p_amount))
        THEN NULL
    ELSE format('a release is made only by the withdrawal or closure of application %s releasing the same amount, in the same append',
                p_application)
END;

-- Refuses an event whose payload the code cannot read (LS001), before any other trigger reads
-- its fields. The message starts with the event type and stream, then names the field.
CREATE FUNCTION ledger.check_event_payload() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_problem text;
BEGIN
    v_problem := ledger.payload_problem(NEW.event_type, NEW.schema_version, NEW.stream_id, NEW.payload);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LS001', MESSAGE = format('%s on %s: %s', NEW.event_type, NEW.stream_id, v_problem);
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION ledger.check_event_payload() FROM PUBLIC;

-- Checks one event, whose payload passed its schema, against the rules and folds it into the
-- state tables. p_batch is every event of the same append (for the rules that pair events).
-- Raises LR001 when a rule is broken; the message starts with the event type and stream.
CREATE FUNCTION ledger.apply_domain_event(e ledger.events, p_batch ledger.events[]) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    p              constant jsonb := e.payload;
    c_actor        constant text := e.metadata ->> 'actor';
    v_problem      text;
    v_where        text;
    v_suffix       text;
    v_definition   ledger.program_definitions;
    v_application  ledger.application_facts;
    v_budget       ledger.budget_totals;
    v_payment      ledger.payment_facts;
    v_loan         ledger.loan_facts;
    v_benefit      ledger.benefit_totals;
    v_amount       bigint;
    v_released     bigint;
    v_date         date;
    v_year         int;
    v_principal    bigint;
    v_rows         int;
BEGIN
    v_where := format('%s on %s', e.event_type, e.stream_id);
    IF NOT EXISTS (SELECT 1 FROM ledger.event_schemas s WHERE s.event_type = e.event_type) THEN
        RETURN;  -- not a domain event, not on a domain stream: the generic store's business
    END IF;
    v_suffix := substr(e.stream_id, strpos(e.stream_id, '-') + 1);

    CASE e.event_type
    ------------------------------------------------------------------------------ programmes
    WHEN 'ProgramDefined', 'ProgramAmended' THEN
        IF p ->> 'code' <> v_suffix THEN
            v_problem := format('payload.code %s does not match the stream', p -> 'code');
        ELSIF e.event_type = 'ProgramDefined' AND e.stream_version <> 1 THEN
            v_problem := format('programme %s is already defined; amend it', v_suffix);
        ELSIF e.event_type = 'ProgramAmended' AND e.stream_version = 1 THEN
            v_problem := format('programme %s is not defined yet', v_suffix);
        ELSIF (p ->> 'valid_from')::date > (p ->> 'valid_until')::date THEN
            v_problem := 'valid_from is after valid_until';
        ELSIF (p ->> 'kind' = 'loan') <> (jsonb_typeof(p -> 'loan_terms') = 'object') THEN
            v_problem := 'a loan programme has loan_terms, a grant programme none';
        ELSE
            INSERT INTO ledger.program_definitions VALUES (
                v_suffix, e.position, (p ->> 'effective_from')::date, p ->> 'kind',
                (p ->> 'cap_per_beneficiary_vnd')::bigint, (p ->> 'once_only')::boolean,
                (p ->> 'valid_from')::date, (p ->> 'valid_until')::date,
                (p #>> '{loan_terms,max_term_months}')::int, (p #>> '{loan_terms,instalment_months}')::int,
                (p #>> '{loan_terms,overdue_multiplier_percent}')::int);
        END IF;

    ------------------------------------------------------------------------------ budgets
    WHEN 'BudgetAllocated', 'BudgetAdjusted' THEN
        IF e.stream_id <> format('budget-%s-%s-%s', p ->> 'program', p ->> 'fiscal_year', p ->> 'district') THEN
            v_problem := 'program, fiscal_year and district do not match the stream';
        ELSIF NOT EXISTS (SELECT 1 FROM ledger.program_definitions d WHERE d.program = p ->> 'program') THEN
            v_problem := format('there is no programme %s', p ->> 'program');
        ELSE
            v_amount := coalesce((p ->> 'amount_vnd')::bigint, (p ->> 'delta_vnd')::bigint);
            INSERT INTO ledger.budget_totals AS b VALUES (
                e.stream_id, p ->> 'program', (p ->> 'fiscal_year')::int, p ->> 'district', 0, 0, 0, e.stream_version)
            ON CONFLICT (stream_id) DO NOTHING;
            SELECT * INTO v_budget FROM ledger.budget_totals WHERE stream_id = e.stream_id;
            IF v_budget.reserved_vnd - v_budget.released_vnd > v_budget.allocated_vnd + v_amount THEN
                v_problem := format('the budget would hold %s, less than the %s reserved by approvals',
                                    v_budget.allocated_vnd + v_amount, v_budget.reserved_vnd - v_budget.released_vnd);
            ELSE
                UPDATE ledger.budget_totals
                SET allocated_vnd = allocated_vnd + v_amount, version = e.stream_version
                WHERE stream_id = e.stream_id;
            END IF;
        END IF;

    WHEN 'FundsReserved', 'FundsReleased' THEN
        v_amount := (p ->> 'amount_vnd')::bigint;
        SELECT * INTO v_application FROM ledger.application_facts WHERE application_id = p ->> 'application_id';
        SELECT * INTO v_budget FROM ledger.budget_totals WHERE stream_id = e.stream_id;
        IF v_application.application_id IS NULL THEN
            v_problem := format('there is no application %s', p ->> 'application_id');
        ELSIF v_application.budget_stream <> e.stream_id THEN
            v_problem := format('application %s draws on %s', v_application.application_id, v_application.budget_stream);
        ELSIF v_budget.stream_id IS NULL THEN
            v_problem := 'no budget is allocated on this stream';
        ELSIF ledger.missing_cause(p_batch, e.event_type, v_application.application_id, v_amount) IS NOT NULL THEN
            v_problem := ledger.missing_cause(p_batch, e.event_type, v_application.application_id, v_amount);
        ELSIF e.event_type = 'FundsReserved'
              AND v_budget.reserved_vnd + v_amount - v_budget.released_vnd > v_budget.allocated_vnd THEN
            v_problem := format('reserving %s would overspend the budget: %s allocated, %s reserved, %s released',
                                v_amount, v_budget.allocated_vnd, v_budget.reserved_vnd, v_budget.released_vnd);
        ELSIF e.event_type = 'FundsReserved' THEN
            UPDATE ledger.budget_totals SET reserved_vnd = reserved_vnd + v_amount, version = e.stream_version
            WHERE stream_id = e.stream_id;
        ELSE
            UPDATE ledger.budget_totals SET released_vnd = released_vnd + v_amount, version = e.stream_version
            WHERE stream_id = e.stream_id;
        END IF;

    ------------------------------------------------------------------------------ beneficiaries
    WHEN 'BeneficiaryRegistered' THEN
        IF p ->> 'beneficiary_id' <> v_suffix THEN
            v_problem := format('payload.beneficiary_id %s does not match the stream', p -> 'beneficiary_id');
        ELSIF e.stream_version <> 1 THEN
            v_problem := format('beneficiary %s is already registered', v_suffix);
        ELSE
            INSERT INTO ledger.beneficiary_facts VALUES (v_suffix, e.position);
        END IF;

    WHEN 'BenefitCommitted', 'BenefitReleased' THEN
        v_amount := (p ->> 'amount_vnd')::bigint;
        SELECT * INTO v_application FROM ledger.application_facts WHERE application_id = p ->> 'application_id';
        IF v_application.application_id IS NULL THEN
            v_problem := format('there is no application %s', p ->> 'application_id');
        ELSIF e.stream_id <> 'beneficiary-' || v_application.beneficiary_id OR p ->> 'program' <> v_application.program THEN
            v_problem := format('application %s is of beneficiary %s under %s',
                                v_application.application_id, v_application.beneficiary_id, v_application.program);
        ELSIF ledger.missing_cause(p_batch, e.event_type, v_application.application_id, v_amount) IS NOT NULL THEN
            v_problem := ledger.missing_cause(p_batch, e.event_type, v_application.application_id, v_amount);
        ELSE
            INSERT INTO ledger.benefit_totals AS t VALUES (
                v_application.beneficiary_id, v_application.program,
                CASE WHEN e.event_type = 'BenefitCommitted' THEN v_amount ELSE 0 END,
                CASE WHEN e.event_type = 'BenefitReleased' THEN v_amount ELSE 0 END)
            ON CONFLICT (beneficiary_id, program) DO UPDATE
                SET committed_vnd = t.committed_vnd + EXCLUDED.committed_vnd,
                    released_vnd = t.released_vnd + EXCLUDED.released_vnd
            RETURNING * INTO v_benefit;
            IF e.event_type = 'BenefitCommitted' THEN
                -- The approval in this batch says on which date (and so under which definition).
                SELECT (b.payload ->> 'decided_on')::date INTO v_date
                FROM unnest(p_batch) AS b
                WHERE b.event_type = 'ApplicationApproved' AND b.stream_id = 'application-' || v_application.application_id;
                v_definition := ledger.definition_in_force(v_application.program, v_date);
                IF v_definition.once_only AND v_benefit.committed_vnd - v_benefit.released_vnd > v_definition.cap_vnd THEN
                    v_problem := format('programme %s is once-only with a cap of %s; beneficiary %s would hold %s under it',
                                        v_application.program, v_definition.cap_vnd, v_application.beneficiary_id,
                                        v_benefit.committed_vnd - v_benefit.released_vnd);
                END IF;
            END IF;
        END IF;

    ------------------------------------------------------------------------------ applications
    WHEN 'ApplicationSubmitted' THEN
        v_year := coalesce((p ->> 'fiscal_year')::int, extract(year FROM (p ->> 'submitted_on')::date)::int);
        IF p ->> 'application_id' <> v_suffix THEN
            v_problem := format('payload.application_id %s does not match the stream', p -> 'application_id');
        ELSIF e.stream_version <> 1 THEN
            v_problem := format('application %s was already submitted', v_suffix);
        ELSIF NOT EXISTS (SELECT 1 FROM ledger.beneficiary_facts b WHERE b.beneficiary_id = p ->> 'beneficiary_id') THEN
            v_problem := format('there is no beneficiary %s', p ->> 'beneficiary_id');
        ELSIF NOT EXISTS (SELECT 1 FROM ledger.program_definitions d WHERE d.program = p ->> 'program') THEN
            v_problem := format('there is no programme %s', p ->> 'program');
        ELSE
            INSERT INTO ledger.application_facts (application_id, beneficiary_id, program, budget_stream, status, submitted_by)
            VALUES (v_suffix, p ->> 'beneficiary_id', p ->> 'program',
                    format('budget-%s-%s-%s', p ->> 'program', v_year, p ->> 'district'), 'submitted', c_actor);
        END IF;

    WHEN 'ApplicationApproved', 'ApplicationRejected', 'ApplicationWithdrawn', 'PaymentRecorded', 'PaymentReversed',
         'LoanOpened', 'ApplicationClosed' THEN
        SELECT * INTO v_application FROM ledger.application_facts WHERE application_id = v_suffix;
        IF v_application.application_id IS NULL THEN
            v_problem := format('there is no application %s', v_suffix);
        ELSIF e.event_type IN ('ApplicationApproved', 'ApplicationRejected') THEN
            v_date := (p ->> 'decided_on')::date;
            v_definition := ledger.definition_in_force(v_application.program, v_date);
            v_amount := (p ->> 'approved_vnd')::bigint;
            IF v_application.status <> 'submitted' THEN
                v_problem := format('application %s is %s; only a submitted one can be decided', v_suffix, v_application.status);
            ELSIF c_actor = v_application.submitted_by THEN
                v_problem := format('four eyes: %s submitted application %s and may not decide it', c_actor, v_suffix);
            ELSIF e.event_type = 'ApplicationRejected' THEN
                UPDATE ledger.application_facts SET status = 'rejected' WHERE application_id = v_suffix;
            ELSIF v_definition.program IS NULL THEN
                v_problem := format('there is no programme %s', v_application.program);
            ELSIF v_date NOT BETWEEN v_definition.valid_from AND v_definition.valid_until THEN
                v_problem := format('programme %s is valid from %s to %s, not on %s',
                                    v_application.program, v_definition.valid_from, v_definition.valid_until, v_date);
            ELSIF v_amount > v_definition.cap_vnd THEN
                v_problem := format('approving %s is above the cap of %s of programme %s', v_amount, v_definition.cap_vnd, v_application.program);
            ELSIF NOT ledger.batch_has(p_batch, 'FundsReserved', v_application.budget_stream,
                                       jsonb_build_object('application_id', v_suffix, 'amount_vnd', v_amount))
               OR NOT ledger.batch_has(p_batch, 'BenefitCommitted', 'beneficiary-' || v_application.beneficiary_id,
                                       jsonb_build_object('application_id', v_suffix, 'program', v_application.program, 'amount_vnd', v_amount)) THEN
                v_problem := format('an approval reserves %s on %s and commits it to beneficiary-%s in the same append',
                                    v_amount, v_application.budget_stream, v_application.beneficiary_id);
            ELSE
                UPDATE ledger.application_facts SET status = 'approved', approved_vnd = v_amount WHERE application_id = v_suffix;
            END IF;

        ELSIF e.event_type IN ('ApplicationWithdrawn', 'ApplicationClosed') THEN
            v_released := (p ->> 'released_vnd')::bigint;
            IF e.event_type = 'ApplicationWithdrawn' AND v_application.status = 'submitted' THEN
                v_amount := 0;  -- what must be released
            ELSIF e.event_type = 'ApplicationWithdrawn' AND v_application.status = 'approved'
                  AND v_application.paid_vnd = 0 AND v_application.loan_principal_vnd = 0 THEN
                v_amount := v_application.approved_vnd;
            ELSIF e.event_type = 'ApplicationClosed' AND v_application.status = 'approved' THEN
                v_amount := v_application.approved_vnd - v_application.paid_vnd - v_application.loan_principal_vnd;
                IF (p ->> 'paid_vnd')::bigint <> v_application.paid_vnd + v_application.loan_principal_vnd THEN
                    v_problem := format('paid_vnd must be %s, what was paid out', v_application.paid_vnd + v_application.loan_principal_vnd);
                END IF;
            ELSE
                v_problem := format('application %s is %s (%s paid); it cannot be %s', v_suffix, v_application.status,
                                    v_application.paid_vnd + v_application.loan_principal_vnd,
                                    CASE e.event_type WHEN 'ApplicationWithdrawn' THEN 'withdrawn' ELSE 'closed' END);
            END IF;
            IF v_problem IS NULL AND v_released <> v_amount THEN
                v_problem := format('released_vnd must be %s, the approved amount not paid out', v_amount);
            ELSIF v_problem IS NULL AND v_released > 0
                  AND (NOT ledger.batch_has(p_batch, 'FundsReleased', v_application.budget_stream,
                                            jsonb_build_object('application_id', v_suffix, 'amount_vnd', v_released))
                       OR NOT ledger.batch_has(p_batch, 'BenefitReleased', 'beneficiary-' || v_application.beneficiary_id,
                                               jsonb_build_object('application_id', v_suffix, 'program', v_application.program,
                                                                  'amount_vnd', v_released))) THEN
                v_problem := format('releasing %s needs FundsReleased on %s and BenefitReleased on beneficiary-%s in the same append',
                                    v_released, v_application.budget_stream, v_application.beneficiary_id);
            ELSIF v_problem IS NULL THEN
                UPDATE ledger.application_facts
                SET status = CASE e.event_type WHEN 'ApplicationWithdrawn' THEN 'withdrawn' ELSE 'closed' END
                WHERE application_id = v_suffix;
            END IF;

        ELSIF e.event_type = 'PaymentRecorded' THEN
            v_amount := (p ->> 'amount_vnd')::bigint;
            v_definition := ledger.definition_in_force(v_application.program, (p ->> 'paid_on')::date);
            IF v_application.status <> 'approved' THEN
                v_problem := format('application %s is %s; only an approved one is paid', v_suffix, v_application.status);
            ELSIF v_definition.kind <> 'grant' THEN
                v_problem := format('%s is a loan programme: disburse a loan, not a payment', v_application.program);
            ELSIF v_application.paid_vnd + v_amount > v_application.approved_vnd THEN
                v_problem := format('paying %s would exceed the %s approved: %s already paid', v_amount,
                                    v_application.approved_vnd, v_application.paid_vnd);
            ELSE
                INSERT INTO ledger.payment_facts VALUES (p ->> 'payment_id', v_suffix, v_amount, NULL)
                ON CONFLICT (payment_id) DO NOTHING;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
                IF v_rows = 0 THEN
                    v_problem := format('payment id %s is already recorded', p ->> 'payment_id');
                ELSE
                    UPDATE ledger.application_facts SET paid_vnd = paid_vnd + v_amount WHERE application_id = v_suffix;
                END IF;
            END IF;

        ELSIF e.event_type = 'PaymentReversed' THEN
            v_amount := (p ->> 'amount_vnd')::bigint;
            SELECT * INTO v_payment FROM ledger.payment_facts WHERE payment_id = p ->> 'payment_id';
            IF v_payment.payment_id IS NULL OR v_payment.application_id <> v_suffix THEN
                v_problem := format('application %s has no payment %s', v_suffix, p ->> 'payment_id');
            ELSIF v_payment.reversed_position IS NOT NULL THEN
                v_problem := format('payment %s was already reversed at position %s', v_payment.payment_id, v_payment.reversed_position);
            ELSIF v_payment.amount_vnd <> v_amount THEN
                v_problem := format('payment %s was of %s; a reversal is of the whole amount', v_payment.payment_id, v_payment.amount_vnd);
            ELSE
                UPDATE ledger.payment_facts SET reversed_position = e.position WHERE payment_id = v_payment.payment_id;
                UPDATE ledger.application_facts SET paid_vnd = paid_vnd - v_amount WHERE application_id = v_suffix;
            END IF;

        ELSE  -- LoanOpened
            v_amount := (p ->> 'principal_vnd')::bigint;
            v_definition := ledger.definition_in_force(v_application.program, (p ->> 'disbursed_on')::date);
            IF v_application.status <> 'approved' THEN
                v_problem := format('application %s is %s; only an approved one is lent on', v_suffix, v_application.status);
            ELSIF v_definition.kind <> 'loan' THEN
                v_problem := format('%s is a grant programme: record payments, not loans', v_application.program);
            ELSIF v_application.loan_principal_vnd + v_amount > v_application.approved_vnd THEN
                v_problem := format('lending %s would exceed the %s approved: %s already lent', v_amount,
                                    v_application.approved_vnd, v_application.loan_principal_vnd);
            ELSIF NOT ledger.batch_has(p_batch, 'LoanDisbursed', 'loan-' || (p ->> 'loan_id'),
                                       jsonb_build_object('application_id', v_suffix, 'principal_vnd', v_amount,
                                                          'disbursed_on', p ->> 'disbursed_on')) THEN
                v_problem := format('a loan is opened only with its LoanDisbursed on loan-%s, in the same append', p ->> 'loan_id');
            ELSE
                UPDATE ledger.application_facts SET loan_principal_vnd = loan_principal_vnd + v_amount WHERE application_id = v_suffix;
            END IF;
        END IF;

    ------------------------------------------------------------------------------ loans
    WHEN 'LoanDisbursed' THEN
        v_amount := (p ->> 'principal_vnd')::bigint;
        SELECT * INTO v_application FROM ledger.application_facts WHERE application_id = p ->> 'application_id';
        v_definition := ledger.definition_in_force(v_application.program, (p ->> 'disbursed_on')::date);
        IF p ->> 'loan_id' <> v_suffix THEN
            v_problem := format('payload.loan_id %s does not match the stream', p -> 'loan_id');
        ELSIF e.stream_version <> 1 THEN
            v_problem := format('loan %s was already disbursed', v_suffix);
        ELSIF v_application.application_id IS NULL THEN
            v_problem := format('there is no application %s', p ->> 'application_id');
        ELSIF p ->> 'beneficiary_id' <> v_application.beneficiary_id OR p ->> 'program' <> v_application.program THEN
            v_problem := format('application %s is of beneficiary %s under %s',
                                v_application.application_id, v_application.beneficiary_id, v_application.program);
        ELSIF NOT ledger.batch_has(p_batch, 'LoanOpened', 'application-' || v_application.application_id,
                                   jsonb_build_object('loan_id', v_suffix, 'principal_vnd', v_amount,
                                                      'disbursed_on', p ->> 'disbursed_on')) THEN
            v_problem := format('a loan is disbursed only with its LoanOpened on application-%s, in the same append',
                                v_application.application_id);
        ELSIF v_definition.max_term_months IS NULL THEN
            v_problem := format('%s has no loan terms', v_application.program);
        ELSIF (p ->> 'term_months')::int > v_definition.max_term_months
              OR (p ->> 'term_months')::int % v_definition.instalment_months <> 0
              OR (p ->> 'instalment_months')::int <> v_definition.instalment_months
              OR (p ->> 'overdue_multiplier_percent')::int <> v_definition.overdue_multiplier_percent THEN
            v_problem := format('the terms are not those of %s in force on %s: at most %s months in whole %s-month instalments, '
                                'overdue multiplier %s%%', v_application.program, p ->> 'disbursed_on',
                                v_definition.max_term_months, v_definition.instalment_months,
                                v_definition.overdue_multiplier_percent);
        ELSE
            INSERT INTO ledger.loan_facts VALUES (v_suffix, v_application.application_id, v_amount, v_amount, 'active');
        END IF;

    WHEN 'LoanRepaid', 'LoanSettled', 'LoanWrittenOff' THEN
        SELECT * INTO v_loan FROM ledger.loan_facts WHERE loan_id = v_suffix;
        IF v_loan.loan_id IS NULL THEN
            v_problem := format('loan %s was not disbursed', v_suffix);
        ELSIF v_loan.status <> 'active' THEN
            v_problem := format('loan %s is %s', v_suffix, replace(v_loan.status, '_', ' '));
        ELSIF e.event_type = 'LoanRepaid' THEN
            v_principal := (p ->> 'overdue_principal_vnd')::bigint + (p ->> 'principal_due_vnd')::bigint
                           + (p ->> 'prepaid_principal_vnd')::bigint;
            IF (p ->> 'amount_vnd')::bigint <> (p ->> 'overdue_interest_vnd')::bigint + (p ->> 'interest_vnd')::bigint + v_principal THEN
                v_problem := 'amount_vnd must equal the sum of its allocation (interest and principal parts)';
            ELSIF v_principal > v_loan.outstanding_principal_vnd THEN
                v_problem := format('repaying %s of principal is more than the %s outstanding', v_principal, v_loan.outstanding_principal_vnd);
            ELSIF (p ->> 'outstanding_principal_after_vnd')::bigint <> v_loan.outstanding_principal_vnd - v_principal THEN
                v_problem := format('outstanding_principal_after_vnd must be %s', v_loan.outstanding_principal_vnd - v_principal);
            ELSE
                INSERT INTO ledger.loan_repayments VALUES (v_suffix, p ->> 'repayment_id', e.position)
                ON CONFLICT DO NOTHING;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
                IF v_rows = 0 THEN
                    v_problem := format('repayment %s is already recorded on loan %s', p ->> 'repayment_id', v_suffix);
                ELSE
                    UPDATE ledger.loan_facts SET outstanding_principal_vnd = outstanding_principal_vnd - v_principal
                    WHERE loan_id = v_suffix;
                END IF;
            END IF;
        ELSIF e.event_type = 'LoanSettled' THEN
            IF v_loan.outstanding_principal_vnd <> 0 THEN
                v_problem := format('loan %s has %s of principal outstanding; it is settled only at 0', v_suffix, v_loan.outstanding_principal_vnd);
            ELSE
                UPDATE ledger.loan_facts SET status = 'settled' WHERE loan_id = v_suffix;
            END IF;
        ELSE  -- LoanWrittenOff
            IF (p ->> 'outstanding_principal_vnd')::bigint <> v_loan.outstanding_principal_vnd THEN
                v_problem := format('outstanding_principal_vnd must be %s, the principal outstanding', v_loan.outstanding_principal_vnd);
            ELSE
                UPDATE ledger.loan_facts SET status = 'written_off' WHERE loan_id = v_suffix;
            END IF;
        END IF;
    END CASE;

    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = format('%s: %s', v_where, v_problem);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION ledger.definition_in_force(text, date), ledger.batch_has(ledger.events[], text, text, jsonb),
    ledger.missing_cause(ledger.events[], text, text, bigint),
    ledger.apply_domain_event(ledger.events, ledger.events[]) FROM PUBLIC;

-- The statement trigger: every event of one append, in position order, with the whole append
-- at hand for the rules that pair events. SECURITY DEFINER: it writes the state tables, which
-- no person may write.
CREATE FUNCTION ledger.enforce_domain_rules() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_batch ledger.events[];
    v_event ledger.events;
BEGIN
    SELECT array_agg(n ORDER BY n.position) INTO v_batch FROM new_events AS n;
    FOREACH v_event IN ARRAY coalesce(v_batch, '{}') LOOP
        PERFORM ledger.apply_domain_event(v_event, v_batch);
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.enforce_domain_rules() FROM PUBLIC;

-- No append may commit between the fold below and the trigger that follows it (its events would
-- be in neither): appends wait for this migration's commit.
LOCK TABLE ledger.events IN SHARE ROW EXCLUSIVE MODE;

-- Existing ledgers: fold what is already recorded into the state tables, one append at a time.
-- An event recorded before these rules that breaks one is skipped (its append's effects on the
-- state tables are undone); `ledger audit verify` names it.
DO $backfill$
DECLARE
    v_first   bigint;
    v_last    bigint;
    v_batch   ledger.events[];
    v_event   ledger.events;
    v_skipped int := 0;
BEGIN
    FOR v_first, v_last IN
        SELECT min(e.position), max(e.position) FROM ledger.events e GROUP BY e.command_id ORDER BY 1
    LOOP
        SELECT array_agg(e ORDER BY e.position) INTO v_batch
        FROM ledger.events e WHERE e.position BETWEEN v_first AND v_last;
        FOREACH v_event IN ARRAY v_batch LOOP
            BEGIN
                IF ledger.payload_problem(v_event.event_type, v_event.schema_version, v_event.stream_id, v_event.payload) IS NOT NULL THEN
                    RAISE EXCEPTION USING ERRCODE = 'LS001', MESSAGE = ledger.payload_problem(
                        v_event.event_type, v_event.schema_version, v_event.stream_id, v_event.payload);
                END IF;
                PERFORM ledger.apply_domain_event(v_event, v_batch);
            EXCEPTION WHEN SQLSTATE 'LR001' OR SQLSTATE 'LS001' THEN
                v_skipped := v_skipped + 1;
                RAISE NOTICE 'position %: %', v_event.position, SQLERRM;
            END;
        END LOOP;
    END LOOP;
    IF v_skipped > 0 THEN
        RAISE NOTICE '% recorded events break a rule; `ledger audit verify` names them', v_skipped;
    END IF;
END
$backfill$;

-- BEFORE each row, so that no other trigger reads a payload the code cannot read.
CREATE TRIGGER events_check_payload
    BEFORE INSERT ON ledger.events
    FOR EACH ROW EXECUTE FUNCTION ledger.check_event_payload();
CREATE TRIGGER events_enforce_domain_rules
    AFTER INSERT ON ledger.events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.enforce_domain_rules();

---------------------------------------------------------------------------------------------
-- 4. Snapshots: gone. People could write them, and the budget totals they cached are kept by
-- the append now (ledger.budget_totals).
---------------------------------------------------------------------------------------------
DROP TABLE ledger.snapshots;

---------------------------------------------------------------------------------------------
-- 5. The turn: an append waits at most lock_timeout for the log, then says so (LL001).
---------------------------------------------------------------------------------------------
-- A person's login role ends an idle transaction after idle_in_transaction_session_timeout
-- (0011), but that is only a default: a person can switch it off in their own session, append,
-- and walk away. So an append that cannot take its turn within its lock timeout ends the
-- sessions that hold the log while idle in a transaction for longer than
-- ledger.limits_stale_turn() (their uncommitted appends roll back) and tries once more. A
-- working transaction (a long import's append) is never ended, nor a reader, nor a superuser's
-- session. Ending another role's session needs pg_signal_backend and seeing its state
-- pg_read_all_stats, which 0012 grants to the function's owner (ledger_owner, from 0011).

-- How long a transaction may sit idle while it holds the log before the next append ends it.
CREATE FUNCTION ledger.limits_stale_turn() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN interval '10 seconds';
REVOKE ALL ON FUNCTION ledger.limits_stale_turn() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.limits_stale_turn()
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

-- Ends every other session that has taken its turn on ledger.head (an append's row lock; a
-- reader's SELECT does not count) and sits idle in a transaction for longer than the limit;
-- returns what it ended, as "pid (role, idle since …)".
CREATE FUNCTION ledger.end_stale_turns() RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_ended text[] := '{}';
    v_holder record;
BEGIN
    FOR v_holder IN
        SELECT DISTINCT a.pid, a.usename, a.state_change
        FROM pg_catalog.pg_locks l
        JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.relation = 'ledger.head'::regclass AND l.granted
          -- Taken by an append (FOR UPDATE, then UPDATE), never by a reader's SELECT.
          AND l.mode IN ('RowShareLock', 'RowExclusiveLock')
          AND l.pid <> pg_backend_pid()
          AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
          AND a.state_change < clock_timestamp() - ledger.limits_stale_turn()
    LOOP
        IF pg_terminate_backend(v_holder.pid) THEN
            v_ended := v_ended || format('%s (%s, idle since %s)', v_holder.pid, v_holder.usename, v_holder.state_change);
        END IF;
    END LOOP;
    RETURN v_ended;
END
$$;
REVOKE ALL ON FUNCTION ledger.end_stale_turns() FROM PUBLIC;

-- 0004's ledger.append takes ledger.head FOR UPDATE and would wait for ever behind a
-- transaction that appended and never ended. Only that statement changes: it is wrapped in a
-- block that ends stale holders, then turns the lock timeout into a message a person understands.
DO $turn$
DECLARE
    c_old constant text := $old$    SELECT h.last_position, h.last_hash INTO v_last_position, v_last_hash
    FROM ledger.head h
    WHERE h.singleton
    FOR UPDATE;$old$;
    c_new constant text := $new$    BEGIN
        SELECT h.last_position, h.last_hash INTO v_last_position, v_last_hash
        FROM ledger.head h
        WHERE h.singleton
        FOR UPDATE;
    EXCEPTION WHEN lock_not_available THEN
        -- A holder idle in its transaction past the limit is ended, and the turn tried once more.
        IF cardinality(ledger.end_stale_turns()) = 0 THEN
            RAISE EXCEPTION USING
                ERRCODE = 'LL001',
                MESSAGE = format('another append holds the log; try again (waited %s)', current_setting('lock_timeout')),
                HINT = 'a transaction that called ledger.append has not ended; pg_stat_activity shows it';
        END IF;
        BEGIN
            SELECT h.last_position, h.last_hash INTO v_last_position, v_last_hash
            FROM ledger.head h
            WHERE h.singleton
            FOR UPDATE;
        EXCEPTION WHEN lock_not_available THEN
            RAISE EXCEPTION USING
                ERRCODE = 'LL001',
                MESSAGE = format('another append holds the log; try again (waited %s twice)', current_setting('lock_timeout')),
                HINT = 'a transaction that called ledger.append has not ended; pg_stat_activity shows it';
        END;
    END;$new$;
    v_definition text;
BEGIN
    v_definition := pg_get_functiondef('ledger.append(text, jsonb)'::regprocedure);
    IF (length(v_definition) - length(replace(v_definition, c_old, ''))) / length(c_old) <> 1 THEN
        RAISE EXCEPTION 'ledger.append does not have the head lock of 0004_append.sql exactly once';
    END IF;
    EXECUTE replace(v_definition, c_old, c_new);
END
$turn$;
-- How long an append waits for the log (docs/operations.md, "Timeouts").
ALTER FUNCTION ledger.append(text, jsonb) SET lock_timeout = '5s';
