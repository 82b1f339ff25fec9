-- 0020_lean_append.sql — a one-event append in a few statements, and a Merkle tree trigger that
-- plans nothing per call (docs/performance.md, "The single append").
--
-- ledger.append keeps its signature, its answers, its SQLSTATEs and every check. What changes
-- is how a batch of exactly one stream entry with exactly one event — the common case: an
-- officer records a payment — is carried out:
--
--   * the general function (0004) becomes ledger.append_batch, unchanged; ledger.append hands it
--     every batch that is not one valid event, and every batch whose first check fails, so that
--     each error keeps its exact message;
--   * the one event is checked with plain expressions instead of set-based passes over the batch
--     (the same conditions as 0004's quick check, in the same order);
--   * the turn is first tried without waiting (FOR UPDATE SKIP LOCKED): when nobody holds the
--     log, no subtransaction is opened for 0009's stale-turn handling, which runs only when the
--     turn must be waited for;
--   * the command's earlier record and the stream's version are read in one statement after the
--     turn, as before; the position, the chain hash, the command's answer and the leaf are
--     computed in expressions; four writes follow (event, stream, head, command);
--   * the Merkle tree trigger finds the frontier with one statement whose plan is fixed (one
--     primary-key probe per set bit of the size), not with a query planned on every call.
--
-- The request hash, the canonical text, the chain, the leaf and the stored rows are the same as
-- the general path's for the same input (tests compare both paths on the same batches).

SET LOCAL ROLE ledger_owner;

---------------------------------------------------------------------------------------------
-- 1. The tree trigger: the frontier in one statement with a fixed plan
---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION ledger.extend_merkle_tree() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
-- Every read here is a primary-key probe. A session caches its plans; one made while the tree
-- was nearly empty (a new ledger, before autovacuum's first ANALYZE) would scan the whole table
-- on every append for as long as the session lives. Never a sequential scan, whatever the
-- statistics say.
SET enable_seqscan = off
AS $$
DECLARE
    v_size       bigint;   -- leaves before this append
    v_leaves     bytea[];  -- the new leaves' hashes, in position order
    v_levels     int[];    -- the stack: levels (strictly decreasing from the bottom)
    v_hashes     bytea[];  --            and hashes
    v_out_levels smallint[] := '{}';
    v_out_idx    bigint[] := '{}';
    v_out_hashes bytea[] := '{}';
    v_level      int;
    v_idx        bigint;
    v_hash       bytea;
    v_top        int;
BEGIN
    SELECT min(n.position) - 1 INTO v_size FROM new_events AS n;
    IF v_size IS NULL THEN
        RETURN NULL;
    END IF;
    -- The lean path of ledger.append (section 3) adds its one event's leaf and parents itself,
    -- before inserting the event: the tree is already extended. A leaf is never written twice
    -- (the primary key), so this skips nothing that another path left undone.
    IF EXISTS (SELECT 1 FROM ledger.merkle_nodes m WHERE m.level = 0 AND m.idx = v_size) THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(ledger.event_leaf_hash(n) ORDER BY n.position) INTO v_leaves FROM new_events AS n;

    -- The perfect subtrees of the size's binary decomposition, largest first: node
    -- (l, (size >> l) − 1) for each set bit l. Each is a correlated primary-key probe, so the
    -- plan is the same for every size (a join here was planned per call, or read far more of
    -- the table under a generic plan). A missing node leaves a NULL.
    SELECT coalesce(array_agg(b.l ORDER BY b.l DESC), '{}'),
           coalesce(array_agg((SELECT m.hash FROM ledger.merkle_nodes m
                               WHERE m.level = b.l AND m.idx = (v_size >> b.l) - 1) ORDER BY b.l DESC), '{}')
    INTO v_levels, v_hashes
    FROM pg_catalog.generate_series(0, 62) AS b(l)
    WHERE (v_size >> b.l) & 1 = 1;
    IF pg_catalog.array_position(v_hashes, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LM001', MESSAGE = format(
            'the Merkle tree cannot be extended: a node of the tree of %s events is missing '
            '(the tree was damaged; run `ledger audit verify`)', v_size);
    END IF;

    FOR k IN 1 .. pg_catalog.cardinality(v_leaves) LOOP
        v_level := 0;
        v_idx := v_size;
        v_hash := v_leaves[k];
        v_out_levels := v_out_levels || v_level::smallint;
        v_out_idx := v_out_idx || v_idx;
        v_out_hashes := v_out_hashes || v_hash;
        v_top := pg_catalog.cardinality(v_levels);
        WHILE v_top > 0 AND v_levels[v_top] = v_level LOOP
            v_hash := pg_catalog.sha256('\x01'::bytea || v_hashes[v_top] || v_hash);
            v_level := v_level + 1;
            v_idx := v_idx >> 1;
            v_out_levels := v_out_levels || v_level::smallint;
            v_out_idx := v_out_idx || v_idx;
            v_out_hashes := v_out_hashes || v_hash;
            v_levels := v_levels[1 : v_top - 1];
            v_hashes := v_hashes[1 : v_top - 1];
            v_top := v_top - 1;
        END LOOP;
        v_levels := v_levels || v_level;
        v_hashes := v_hashes || v_hash;
        v_size := v_size + 1;
    END LOOP;

    INSERT INTO ledger.merkle_nodes (level, idx, hash)
    SELECT u.level, u.idx, u.hash FROM unnest(v_out_levels, v_out_idx, v_out_hashes) AS u(level, idx, hash);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.extend_merkle_tree() FROM PUBLIC;

---------------------------------------------------------------------------------------------
-- 1b. The rule trigger: an append with no domain event has nothing to fold
---------------------------------------------------------------------------------------------
-- ledger.apply_domain_event returns at once for a type without a schema (and so without rules:
-- 0013 runs registered rules only for types with a schema). The trigger no longer gathers the
-- batch and calls it per event when no event of the append has a schema; any other append is
-- folded exactly as before (0009).
CREATE OR REPLACE FUNCTION ledger.enforce_domain_rules() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
AS $$
DECLARE
    v_batch ledger.events[];
    v_event ledger.events;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_events AS n
                   WHERE EXISTS (SELECT 1 FROM ledger.event_schemas s WHERE s.event_type = n.event_type)) THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(n ORDER BY n.position) INTO v_batch FROM new_events AS n;
    FOREACH v_event IN ARRAY coalesce(v_batch, '{}') LOOP
        PERFORM ledger.apply_domain_event(v_event, v_batch);
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION ledger.enforce_domain_rules() FROM PUBLIC;

---------------------------------------------------------------------------------------------
-- 2. The general path keeps its body under another name
---------------------------------------------------------------------------------------------
-- Same owner, same SECURITY DEFINER; session_user (the actor) is the caller's in a nested call
-- as well. Only ledger.append (its owner) calls it: no role gains a function to call.
ALTER FUNCTION ledger.append(text, jsonb) RENAME TO append_batch;
REVOKE ALL ON FUNCTION ledger.append_batch(text, jsonb) FROM PUBLIC, ledger_writer, ledger_officer, ledger_approver, ledger_admin;
COMMENT ON FUNCTION ledger.append_batch(text, jsonb) IS
    'The general append (0004_append.sql): any batch; ledger.append hands it every batch that is not one valid event';

---------------------------------------------------------------------------------------------
-- 3. ledger.append: one valid event takes the lean path, anything else the general one
---------------------------------------------------------------------------------------------
CREATE FUNCTION ledger.append(p_command_id text, p_batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
SET plan_cache_mode = force_generic_plan
-- How long an append waits for the log, as 0009 set it on the general function.
SET lock_timeout = '5s'
-- Every read of the append is by key (the head, the command, the stream, the tree's frontier),
-- and the plans are generic and cached by the session: a plan made on a new, nearly empty
-- ledger must not become a scan of a table that grows with every append (seen: the tree's
-- frontier read 67 million rows over 3,000 appends of a fresh ledger before autovacuum's first
-- ANALYZE). This also holds for the triggers and ledger.append_batch called from here.
SET enable_seqscan = off
AS $append$
DECLARE
    c_actor              constant text := session_user::text;
    c_id_pattern         constant text := '^[A-Za-z0-9][A-Za-z0-9._:-]*$';
    c_event_type_pattern constant text := '^[A-Za-z][A-Za-z0-9_.]*$';
    v_entry              jsonb;
    v_event              jsonb;
    v_stream_id          text;
    v_expected           jsonb;
    v_type               text;
    v_schema_version     int;
    v_payload            jsonb;
    v_payload_text       text;
    v_client_metadata    jsonb;
    v_metadata           jsonb;
    v_request_hash       bytea;
    v_prior_request_hash bytea;
    v_prior_result       jsonb;
    v_prior_actor        text;
    v_actual             bigint;
    v_last_position      bigint;
    v_last_hash          bytea;
    v_position           bigint;
    v_hash               bytea;
    v_recorded_at        timestamptz;
    v_recorded_at_micros bigint;
    v_result             jsonb;
    v_frontier           bytea[];
    v_node               bytea;
    v_node_levels        smallint[];
    v_node_idx           bigint[];
    v_node_hashes        bytea[];
    v_level              int;
BEGIN
    -- The lean path's conditions (IS NOT TRUE: a missing key makes a condition NULL, and such a
    -- batch goes to the general path too): exactly 0004's quick check for one stream entry holding one
    -- event, with the limits of ledger.limits() (200, 200, 100, 65536, 8192). Anything else —
    -- including every invalid batch, so that its error names the problem exactly as before —
    -- goes to the general path.
    IF (p_command_id IS NOT NULL AND length(p_command_id) <= 200 AND p_command_id ~ c_id_pattern
            AND jsonb_typeof(p_batch) = 'array' AND jsonb_array_length(p_batch) = 1) IS NOT TRUE THEN
        RETURN ledger.append_batch(p_command_id, p_batch);
    END IF;
    v_entry := p_batch -> 0;
    IF (jsonb_typeof(v_entry) = 'object'
            AND (v_entry - ARRAY['stream_id', 'expected_version', 'events']) = '{}'::jsonb
            AND jsonb_typeof(v_entry -> 'stream_id') = 'string'
            AND jsonb_typeof(v_entry -> 'events') = 'array'
            AND jsonb_array_length(v_entry -> 'events') = 1) IS NOT TRUE THEN
        RETURN ledger.append_batch(p_command_id, p_batch);
    END IF;
    v_stream_id := v_entry ->> 'stream_id';
    v_expected := v_entry -> 'expected_version';
    v_event := v_entry -> 'events' -> 0;
    IF (length(v_stream_id) <= 200 AND v_stream_id ~ c_id_pattern
            AND CASE jsonb_typeof(v_expected)
                    WHEN 'string' THEN (v_expected #>> '{}') IN ('any', 'no_stream', 'stream_exists')
                    WHEN 'number' THEN v_expected::numeric = trunc(v_expected::numeric)
                                   AND v_expected::numeric BETWEEN 0 AND 9223372036854775807
                    ELSE false
                END
            AND jsonb_typeof(v_event) = 'object'
            AND (v_event - ARRAY['type', 'schema_version', 'payload', 'metadata']) = '{}'::jsonb
            AND jsonb_typeof(v_event -> 'type') = 'string'
            AND length(v_event ->> 'type') <= 100 AND (v_event ->> 'type') ~ c_event_type_pattern
            AND jsonb_typeof(v_event -> 'schema_version') = 'number'
            AND (v_event -> 'schema_version')::numeric = trunc((v_event -> 'schema_version')::numeric)
            AND (v_event -> 'schema_version')::numeric BETWEEN 1 AND 2147483647
            AND jsonb_typeof(v_event -> 'payload') = 'object'
            AND coalesce(jsonb_typeof(v_event -> 'metadata') = 'object', true)) IS NOT TRUE THEN
        RETURN ledger.append_batch(p_command_id, p_batch);
    END IF;
    v_payload := v_event -> 'payload';
    v_payload_text := v_payload::text;
    v_client_metadata := v_event -> 'metadata';
    IF octet_length(v_payload_text) > 65536 OR coalesce(octet_length(v_client_metadata::text) > 8192, false) THEN
        RETURN ledger.append_batch(p_command_id, p_batch);
    END IF;
    v_type := v_event ->> 'type';
    v_schema_version := (v_event -> 'schema_version')::numeric::int;

    -- Permission, before the turn: a grant of '*' or of the type to a role session_user is in.
    IF NOT EXISTS (SELECT 1 FROM ledger.append_grants g
                   WHERE g.event_type IN ('*', v_type)
                     AND pg_has_role(session_user, to_regrole(quote_ident(g.role_name)), 'MEMBER')) THEN
        RAISE EXCEPTION USING ERRCODE = 'LP001', MESSAGE = format(
            'permission refused: role %s may not append %s', to_jsonb(c_actor), v_type);
    END IF;

    -- The command's content, as 0004 hashes it (one event: one group of five lines).
    v_request_hash := sha256(convert_to('ledger-command-v2' || E'\n' || v_stream_id || E'\n' || v_type
        || E'\n' || (v_event ->> 'schema_version') || E'\n' || v_payload_text
        || E'\n' || coalesce(v_client_metadata::text, ''), 'UTF8'));
    v_metadata := CASE WHEN v_client_metadata IS NOT NULL
                       THEN (v_client_metadata - ARRAY['actor', 'command_id'])
                            || jsonb_build_object('actor', c_actor, 'command_id', p_command_id)
                       ELSE jsonb_build_object('actor', c_actor, 'command_id', p_command_id)
                  END;

    -- The turn (0004 step 3, with 0009's handling of a holder that sits idle in its transaction:
    -- ended after ledger.limits_stale_turn(), else LL001 after the lock timeout), then the
    -- command's record and the stream's version.
    -- First without waiting: when nobody holds the log, the turn is taken in this transaction
    -- itself (no subtransaction, so the head row's lock is not a multixact). Otherwise, wait for it.
    SELECT h.last_position, h.last_hash INTO v_last_position, v_last_hash
    FROM ledger.head h
    WHERE h.singleton
    FOR UPDATE SKIP LOCKED;
    IF v_last_position IS NULL THEN
        BEGIN
            SELECT h.last_position, h.last_hash INTO v_last_position, v_last_hash
            FROM ledger.head h
            WHERE h.singleton
            FOR UPDATE;
        EXCEPTION WHEN lock_not_available THEN
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
        END;
    END IF;

    -- With them, the tree's frontier for the size before this event, as the trigger (section 1)
    -- reads it: node (l, (size >> l) − 1) for each set bit l, largest first.
    SELECT c.request_hash, c.result, c.actor,
           coalesce((SELECT s.version FROM ledger.streams s WHERE s.stream_id = v_stream_id), 0),
           (SELECT coalesce(array_agg((SELECT m.hash FROM ledger.merkle_nodes m
                                       WHERE m.level = b.l AND m.idx = (v_last_position >> b.l) - 1) ORDER BY b.l DESC), '{}')
            FROM pg_catalog.generate_series(0, 62) AS b(l)
            WHERE (v_last_position >> b.l) & 1 = 1)
    INTO v_prior_request_hash, v_prior_result, v_prior_actor, v_actual, v_frontier
    FROM (VALUES (1)) AS one
    LEFT JOIN ledger.commands c ON c.command_id = p_command_id;
    IF v_prior_request_hash IS NOT NULL THEN
        IF v_prior_request_hash <> v_request_hash THEN
            RAISE EXCEPTION USING ERRCODE = 'LI001', MESSAGE = format(
                'command %s was already recorded with different content', p_command_id);
        END IF;
        IF v_prior_actor <> c_actor THEN
            RAISE EXCEPTION USING ERRCODE = 'LI001', MESSAGE = format(
                'command %s was already recorded by a different role', p_command_id);
        END IF;
        RETURN v_prior_result || '{"replayed": true}'::jsonb;
    END IF;

    IF NOT (CASE jsonb_typeof(v_expected)
                WHEN 'number' THEN v_actual = v_expected::numeric
                ELSE CASE v_expected #>> '{}'
                         WHEN 'any' THEN true
                         WHEN 'no_stream' THEN v_actual = 0
                         ELSE v_actual > 0
                     END
            END) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'LV001',
            MESSAGE = format('version conflict on stream %s: expected %s, actual %s',
                             v_stream_id,
                             CASE jsonb_typeof(v_expected) WHEN 'number' THEN (v_expected::numeric::bigint)::text
                                                           ELSE v_expected #>> '{}' END,
                             CASE WHEN v_actual = 0 THEN 'no_stream' ELSE v_actual::text END),
            DETAIL = jsonb_build_object(
                'stream_id', v_stream_id,
                'expected', CASE jsonb_typeof(v_expected) WHEN 'number' THEN to_jsonb(v_expected::numeric::bigint)
                                                          ELSE v_expected END,
                'actual', v_actual)::text;
    END IF;

    -- Position, time and hash exactly as 0004 steps 6-7 make them.
    v_position := v_last_position + 1;
    v_recorded_at := clock_timestamp();
    v_recorded_at_micros := (extract(epoch FROM v_recorded_at) * 1000000)::bigint;
    v_hash := ledger.event_hash(v_last_hash, ledger.event_canonical_text(
        v_position, v_stream_id, v_actual + 1, v_type, v_schema_version, v_recorded_at_micros, v_payload, v_metadata));

    -- The new leaf (idx = size) and its parents: one per trailing set bit of the size, each
    -- combining the frontier's node of that level (on the left) with the node made so far. The
    -- frontier is ordered largest level first, so level l is its element count − l.
    IF array_position(v_frontier, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LM001', MESSAGE = format(
            'the Merkle tree cannot be extended: a node of the tree of %s events is missing '
            '(the tree was damaged; run `ledger audit verify`)', v_last_position);
    END IF;
    v_node := sha256('\x00'::bytea || convert_to(ledger.event_leaf_input(
        v_position, v_stream_id, v_actual + 1, v_type, v_schema_version, v_recorded_at_micros, p_command_id,
        v_payload, v_metadata, v_last_hash, v_hash), 'UTF8'));
    v_node_levels := ARRAY[0::smallint];
    v_node_idx := ARRAY[v_last_position];
    v_node_hashes := ARRAY[v_node];
    v_level := 0;
    WHILE (v_last_position >> v_level) & 1 = 1 LOOP
        v_node := sha256('\x01'::bytea || v_frontier[cardinality(v_frontier) - v_level] || v_node);
        v_level := v_level + 1;
        v_node_levels := v_node_levels || v_level::smallint;
        v_node_idx := v_node_idx || (v_last_position >> v_level);
        v_node_hashes := v_node_hashes || v_node;
    END LOOP;
    INSERT INTO ledger.merkle_nodes (level, idx, hash)
    SELECT u.level, u.idx, u.hash FROM unnest(v_node_levels, v_node_idx, v_node_hashes) AS u(level, idx, hash);

    INSERT INTO ledger.events (position, stream_id, stream_version, event_type, schema_version,
                               payload, metadata, command_id, recorded_at, prev_hash, hash)
    VALUES (v_position, v_stream_id, v_actual + 1, v_type, v_schema_version,
            v_payload, v_metadata, p_command_id, v_recorded_at, v_last_hash, v_hash);

    IF v_actual = 0 THEN
        INSERT INTO ledger.streams (stream_id, version, created_position, updated_position)
        VALUES (v_stream_id, 1, v_position, v_position);
    ELSE
        -- The streams_advance_only trigger admits it because the event now exists.
        UPDATE ledger.streams SET version = v_actual + 1, updated_position = v_position
        WHERE stream_id = v_stream_id;
    END IF;

    UPDATE ledger.head SET last_position = v_position, last_hash = v_hash WHERE singleton;

    v_result := jsonb_build_object(
        'command_id', p_command_id,
        'first_position', v_position,
        'last_position', v_position,
        'recorded_at_micros', v_recorded_at_micros,
        'streams', jsonb_build_array(jsonb_build_object('stream_id', v_stream_id, 'version', v_actual + 1,
                                                        'first_position', v_position)),
        'replayed', false);
    INSERT INTO ledger.commands (command_id, request_hash, result, actor, recorded_at)
    VALUES (p_command_id, v_request_hash, v_result, c_actor, v_recorded_at);

    PERFORM pg_notify('ledger_events', v_position::text);
    RETURN v_result;
END
$append$;
REVOKE ALL ON FUNCTION ledger.append(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.append(text, jsonb) TO ledger_writer, ledger_officer, ledger_approver, ledger_admin;
