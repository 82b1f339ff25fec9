-- 0014_national_ids.sql — national ids are fingerprinted inside PostgreSQL, under a key no login role can read.
--
-- Until this file, every officer's machine held the HMAC key (LEDGER_NATIONAL_ID_KEY) and sent
-- the fingerprint it computed; a machine with a different key registered the same person twice.
-- From this file on:
--
--   ledger.national_id_key        the key (as its two HMAC pad blocks), one row, set once by an admin
--                                 through ledger.set_national_id_key. No grant to anyone: only the
--                                 owner (ledger_owner, i.e. superusers and the deploy account) reads it.
--   ledger.national_id_fingerprint(digits)     the fingerprint of 9 or 12 ASCII digits: lower-case hex
--   ledger.national_id_fingerprints(digits[])  of HMAC-SHA-256 under the key (RFC 2104), SECURITY DEFINER.
--                                 Officers, approvers, auditors, admins and writers may call them (search).
--   ledger.issue_national_id_fingerprints(digits[])  the same, and records that this transaction was given
--                                 them (ledger.national_id_issued). Officers and writers (who register).
--   rule ledger.rule_national_id_fingerprint_issued   (ledger.event_rules, for BeneficiaryRegistered and
--                                 BeneficiaryAmended): a national_id_fingerprint in an appended event must
--                                 have been issued to the appending transaction. A client cannot write a
--                                 fingerprint of its own making (an old local key, a made-up value): LR001.
--   ledger.set_national_id_key(key, check_digits[])  admins: at least 32 bytes; refused when a different key
--                                 is set (no rotation: the fingerprints in the log cannot be recomputed,
--                                 the ids are not stored); when fingerprints are already in the log, each
--                                 check id must fingerprint under the new key to one of them. Records
--                                 NationalIDKeySet on stream national-id-key (a key id, never the key).
--   ledger.national_id_key_status()  whether a key is set, its key id, when and by whom.
--
-- HMAC-SHA-256 is computed with PostgreSQL's built-in sha256() (PostgreSQL 11+): no extension is
-- needed, so this file runs as the deploy account like the others after 0011 (pgcrypto is a trusted
-- extension, but creating it needs CREATE on the database, which no ledger role has). The key's two
-- pad blocks (K xor ipad, K xor opad; K hashed first when longer than 64 bytes) are stored, so a
-- fingerprint is sha256(opad || sha256(ipad || digits)) — the same value as Swift's
-- HMAC<SHA256>(digits, key), i.e. what LEDGER_NATIONAL_ID_KEY made.
--
-- SQLSTATEs: LN001 a national id that is not 9 or 12 ASCII digits (the message never shows it);
--            LN002 no key is set yet; LN003 the key is refused (too short, another key set, does not
--            reproduce the fingerprints in the log).

SET LOCAL ROLE ledger_owner;

---------------------------------------------------------------------------------------------
-- 1. The key
---------------------------------------------------------------------------------------------
CREATE TABLE ledger.national_id_key (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    inner_pad  bytea       NOT NULL CHECK (length(inner_pad) = 64),
    outer_pad  bytea       NOT NULL CHECK (length(outer_pad) = 64),
    key_id     text        NOT NULL,
    set_at     timestamptz NOT NULL,
    set_by     text        NOT NULL
);
COMMENT ON TABLE ledger.national_id_key IS
    'The national-id HMAC key as its pad blocks; readable by its owner only (0014_national_ids.sql)';
REVOKE ALL ON ledger.national_id_key FROM PUBLIC;
CREATE TRIGGER national_id_key_refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.national_id_key
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change('the national-id key is set once; it cannot be replaced');
CREATE TRIGGER national_id_key_refuse_truncate BEFORE TRUNCATE ON ledger.national_id_key
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change('the national-id key is set once; it cannot be replaced');

-- Fingerprints handed to a transaction by issue_national_id_fingerprints; the rule below accepts
-- an event's fingerprint only when its transaction was given it. Rows of finished transactions
-- are garbage, removed by the next issue.
CREATE TABLE ledger.national_id_issued (
    txid        xid8 NOT NULL,
    fingerprint text NOT NULL,
    PRIMARY KEY (txid, fingerprint)
);
REVOKE ALL ON ledger.national_id_issued FROM PUBLIC;

-- The pad blocks of a key (RFC 2104): K (sha256(K) when longer than the 64-byte block) padded with
-- zeros to 64 bytes, xor 0x36 and xor 0x5c. Owner only.
CREATE FUNCTION ledger.national_id_key_pads(p_key bytea, OUT inner_pad bytea, OUT outer_pad bytea)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_block bytea;
BEGIN
    v_block := CASE WHEN length(p_key) > 64 THEN sha256(p_key) ELSE p_key END;
    v_block := v_block || decode(repeat('00', 64 - length(v_block)), 'hex');
    inner_pad := v_block;
    outer_pad := v_block;
    FOR i IN 0..63 LOOP
        inner_pad := set_byte(inner_pad, i, get_byte(v_block, i) # 54);   -- 0x36
        outer_pad := set_byte(outer_pad, i, get_byte(v_block, i) # 92);   -- 0x5c
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION ledger.national_id_key_pads(bytea) FROM PUBLIC;

-- HMAC-SHA-256 of a message under pad blocks, as lower-case hex. Owner only.
CREATE FUNCTION ledger.national_id_hmac(p_inner bytea, p_outer bytea, p_message text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN encode(sha256(p_outer || sha256(p_inner || convert_to(p_message, 'UTF8'))), 'hex');
REVOKE ALL ON FUNCTION ledger.national_id_hmac(bytea, bytea, text) FROM PUBLIC;

-- The key's id: the first 16 hex digits of the HMAC of a fixed label. Names the key (the same key
-- has the same id) without revealing it.
CREATE FUNCTION ledger.national_id_key_id(p_inner bytea, p_outer bytea) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, ledger, pg_temp
RETURN left(ledger.national_id_hmac(p_inner, p_outer, 'ledger national-id key id'), 16);
REVOKE ALL ON FUNCTION ledger.national_id_key_id(bytea, bytea) FROM PUBLIC;

---------------------------------------------------------------------------------------------
-- 2. Fingerprints
---------------------------------------------------------------------------------------------

-- The fingerprints of a list of national ids, in order; refuses a malformed id (LN001, naming its
-- place in the list, never its digits) and a ledger without a key (LN002). Owner only.
CREATE FUNCTION ledger.national_id_fingerprints_under_key(p_digits text[]) RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_key    ledger.national_id_key;
    v_bad    bigint;
    v_result text[];
BEGIN
    SELECT u.n INTO v_bad
    FROM unnest(p_digits) WITH ORDINALITY AS u(digits, n)
    WHERE u.digits IS NULL OR u.digits !~ '^([0-9]{9}|[0-9]{12})$'
    ORDER BY u.n LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LN001', MESSAGE = CASE WHEN cardinality(p_digits) = 1
            THEN 'national id: a national id is 9 or 12 ASCII digits and nothing else'
            ELSE format('national id number %s of %s: a national id is 9 or 12 ASCII digits and nothing else',
                        v_bad, cardinality(p_digits)) END;
    END IF;
    SELECT * INTO v_key FROM ledger.national_id_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'LN002', MESSAGE =
            'no national-id key is set in this ledger, so national ids cannot be fingerprinted: '
            'an admin sets it once with `ledger national-id key set --key-file FILE`';
    END IF;
    SELECT coalesce(array_agg(ledger.national_id_hmac(v_key.inner_pad, v_key.outer_pad, u.digits) ORDER BY u.n), '{}')
    INTO v_result
    FROM unnest(p_digits) WITH ORDINALITY AS u(digits, n);
    RETURN v_result;
END
$$;
REVOKE ALL ON FUNCTION ledger.national_id_fingerprints_under_key(text[]) FROM PUBLIC;

-- For look-ups (search by national id) and for a client that wants to know a fingerprint before
-- it decides. Does not make the fingerprint appendable.
CREATE FUNCTION ledger.national_id_fingerprints(p_digits text[]) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
RETURN ledger.national_id_fingerprints_under_key(p_digits);

CREATE FUNCTION ledger.national_id_fingerprint(p_digits text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
RETURN (ledger.national_id_fingerprints_under_key(ARRAY[p_digits]))[1];

REVOKE ALL ON FUNCTION ledger.national_id_fingerprints(text[]), ledger.national_id_fingerprint(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.national_id_fingerprints(text[]), ledger.national_id_fingerprint(text)
    TO ledger_officer, ledger_approver, ledger_auditor, ledger_admin, ledger_writer;

-- The fingerprints, recorded as issued to this transaction: an append in the same transaction may
-- carry them (the rule below). Call it in the statement that appends, e.g.
--   WITH issued AS MATERIALIZED (SELECT ledger.issue_national_id_fingerprints($3::text[]))
--   SELECT ledger.append($1, $2::jsonb) FROM issued
CREATE FUNCTION ledger.issue_national_id_fingerprints(p_digits text[]) RETURNS text[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_result text[];
BEGIN
    v_result := ledger.national_id_fingerprints_under_key(p_digits);
    -- Every transaction older than the oldest one still running has finished: its rows are garbage.
    -- Rows another issuer is removing right now are left to it (no waiting, no deadlock).
    DELETE FROM ledger.national_id_issued
    WHERE (txid, fingerprint) IN (SELECT g.txid, g.fingerprint FROM ledger.national_id_issued g
                                  WHERE g.txid < pg_snapshot_xmin(pg_current_snapshot())
                                  FOR UPDATE SKIP LOCKED);
    INSERT INTO ledger.national_id_issued (txid, fingerprint)
    SELECT pg_current_xact_id(), f FROM unnest(v_result) AS f
    ON CONFLICT DO NOTHING;
    RETURN v_result;
END
$$;
REVOKE ALL ON FUNCTION ledger.issue_national_id_fingerprints(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.issue_national_id_fingerprints(text[]) TO ledger_officer, ledger_writer;

-- Rule (0013): a national_id_fingerprint in BeneficiaryRegistered or BeneficiaryAmended was issued
-- to this transaction by the key in the database.
CREATE FUNCTION ledger.rule_national_id_fingerprint_issued(e ledger.events, p_batch ledger.events[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_fingerprint text;
BEGIN
    IF jsonb_typeof(e.payload -> 'national_id_fingerprint') IS DISTINCT FROM 'string' THEN
        RETURN NULL;
    END IF;
    v_fingerprint := e.payload ->> 'national_id_fingerprint';
    IF NOT EXISTS (SELECT 1 FROM ledger.national_id_issued i
                   WHERE i.txid = pg_current_xact_id() AND i.fingerprint = v_fingerprint) THEN
        RETURN format('%s: national_id_fingerprint was not computed by the database in this transaction; '
                      'fingerprints are made with the ledger''s key by ledger.issue_national_id_fingerprints '
                      '(`ledger beneficiary register --national-id`), never by the client', e.event_type);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.rule_national_id_fingerprint_issued(ledger.events, ledger.events[]) FROM PUBLIC;
INSERT INTO ledger.event_rules (event_type, rule) VALUES
    ('BeneficiaryRegistered', 'ledger.rule_national_id_fingerprint_issued(ledger.events, ledger.events[])'),
    ('BeneficiaryAmended', 'ledger.rule_national_id_fingerprint_issued(ledger.events, ledger.events[])');

---------------------------------------------------------------------------------------------
-- 3. Setting the key (admins), recorded as NationalIDKeySet
---------------------------------------------------------------------------------------------
INSERT INTO ledger.append_grants (role_name, event_type) VALUES ('ledger_admin', 'NationalIDKeySet');

-- Only ledger.set_national_id_key appends NationalIDKeySet (it marks the append through
-- ledger.append_internal); a direct ledger.append of it is refused (LP002).
CREATE FUNCTION ledger.refuse_unmarked_national_id_key_event() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger.internal_appends m
                   WHERE m.txid = pg_current_xact_id() AND m.event_type = NEW.event_type
                     AND m.stream_id = NEW.stream_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'LP002', MESSAGE = format(
            'permission refused: %s is recorded only by `ledger national-id key set` (ledger.set_national_id_key), '
            'not appended directly', NEW.event_type);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.refuse_unmarked_national_id_key_event() FROM PUBLIC;
CREATE TRIGGER events_national_id_key_set
    AFTER INSERT ON ledger.events
    FOR EACH ROW WHEN (NEW.event_type = 'NationalIDKeySet')
    EXECUTE FUNCTION ledger.refuse_unmarked_national_id_key_event();

-- Sets the key. p_check_digits: national ids of registered beneficiaries, required when the log
-- already holds fingerprints (made with the key used before); each must fingerprint under p_key to
-- one of them. Setting the key that is already set again does nothing ("already_set": true).
CREATE FUNCTION ledger.set_national_id_key(p_key bytea, p_check_digits text[] DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    c_minimum constant int := 32;
    v_pads     record;
    v_key_id   text;
    v_existing ledger.national_id_key;
    v_count    bigint;
    v_bad      bigint;
    v_checks   int := coalesce(cardinality(p_check_digits), 0);
    v_result   jsonb;
BEGIN
    IF p_key IS NULL OR length(p_key) < c_minimum THEN
        RAISE EXCEPTION USING ERRCODE = 'LN003', MESSAGE = format(
            'key: is %s bytes; the national-id key must be at least %s bytes', coalesce(length(p_key), 0), c_minimum);
    END IF;
    SELECT * INTO v_pads FROM ledger.national_id_key_pads(p_key);
    v_key_id := ledger.national_id_key_id(v_pads.inner_pad, v_pads.outer_pad);

    -- One setter at a time.
    LOCK TABLE ledger.national_id_key IN EXCLUSIVE MODE;
    SELECT * INTO v_existing FROM ledger.national_id_key;
    IF FOUND THEN
        IF v_existing.inner_pad = v_pads.inner_pad AND v_existing.outer_pad = v_pads.outer_pad THEN
            RETURN jsonb_build_object('key_id', v_existing.key_id, 'set_at', v_existing.set_at,
                                      'set_by', v_existing.set_by, 'already_set', true);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'LN003', MESSAGE = format(
            'key: a different national-id key (key id %s) was set at %s by %s; it cannot be replaced '
            '(the fingerprints in the log were made with it and the national ids are not stored to remake them)',
            v_existing.key_id, v_existing.set_at, v_existing.set_by);
    END IF;

    SELECT count(*) INTO v_count FROM ledger.national_ids;
    IF v_count > 0 AND v_checks = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'LN003', MESSAGE = format(
            'key: the log already holds %s national-id fingerprints made with the key used before '
            '(LEDGER_NATIONAL_ID_KEY); give the national ids of one or more registered beneficiaries '
            '(--check-national-id-stdin) so the ledger can check that this key reproduces them', v_count);
    END IF;
    IF v_checks > 0 THEN
        SELECT u.n INTO v_bad
        FROM unnest(p_check_digits) WITH ORDINALITY AS u(digits, n)
        WHERE u.digits IS NULL OR u.digits !~ '^([0-9]{9}|[0-9]{12})$'
        ORDER BY u.n LIMIT 1;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'LN001', MESSAGE = format(
                'check national id number %s of %s: a national id is 9 or 12 ASCII digits and nothing else', v_bad, v_checks);
        END IF;
        SELECT u.n INTO v_bad
        FROM unnest(p_check_digits) WITH ORDINALITY AS u(digits, n)
        WHERE NOT EXISTS (SELECT 1 FROM ledger.national_ids i
                          WHERE i.fingerprint = ledger.national_id_hmac(v_pads.inner_pad, v_pads.outer_pad, u.digits))
        ORDER BY u.n LIMIT 1;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'LN003', MESSAGE = format(
                'key: check national id number %s of %s does not fingerprint, under this key, to any registered '
                'beneficiary''s; this is not the key the %s fingerprints in the log were made with '
                '(or that person was never registered with a national id)', v_bad, v_checks, v_count);
        END IF;
    END IF;

    INSERT INTO ledger.national_id_key (inner_pad, outer_pad, key_id, set_at, set_by)
    VALUES (v_pads.inner_pad, v_pads.outer_pad, v_key_id, clock_timestamp(), session_user);
    v_result := ledger.append_internal('national-id-key', 'NationalIDKeySet', jsonb_build_object(
        'key_id', v_key_id, 'fingerprints_in_log', v_count, 'checked_national_ids', v_checks));
    RETURN jsonb_build_object('key_id', v_key_id, 'set_at', (SELECT set_at FROM ledger.national_id_key),
                              'set_by', session_user, 'already_set', false,
                              'fingerprints_in_log', v_count, 'checked_national_ids', v_checks,
                              'position', v_result -> 'first_position');
END
$$;
REVOKE ALL ON FUNCTION ledger.set_national_id_key(bytea, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.set_national_id_key(bytea, text[]) TO ledger_admin;

-- Whether a key is set: its id, when and by whom (never the key). No row when none is set.
CREATE FUNCTION ledger.national_id_key_status() RETURNS TABLE (key_id text, set_at timestamptz, set_by text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
BEGIN ATOMIC
    SELECT k.key_id, k.set_at, k.set_by FROM ledger.national_id_key k;
END;
REVOKE ALL ON FUNCTION ledger.national_id_key_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.national_id_key_status()
    TO ledger_officer, ledger_approver, ledger_auditor, ledger_admin, ledger_writer;
