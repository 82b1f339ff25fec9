-- 0004_append.sql — ledger.limits() and ledger.append(): the only way events enter the log.
--
-- One call appends a whole multi-stream batch in one round trip and one transaction: validate,
-- check permission, take the head lock, check idempotency and versions, assign positions, chain
-- hashes, insert, advance streams and head, record the command, notify. Any error rolls it all back.

SET LOCAL ROLE ledger_admin;

-- Every limit of an append, in one place (TigerStyle: named, stated, enforced). Sizes in bytes of
-- the jsonb text output, lengths in characters. Callers may read them to validate early.
CREATE FUNCTION ledger.limits() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{
    "max_events_per_append": 1000,
    "max_streams_per_append": 100,
    "max_payload_bytes": 65536,
    "max_metadata_bytes": 8192,
    "max_stream_id_length": 200,
    "max_event_type_length": 100,
    "max_command_id_length": 200
}'::jsonb;
REVOKE ALL ON FUNCTION ledger.limits() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.limits() TO ledger_writer, ledger_auditor;

-- p_batch: [{"stream_id": "application-A1",
--            "expected_version": "any" | "no_stream" | "stream_exists" | N,
--            "events": [{"type": "ApplicationSubmitted", "schema_version": 1,
--                        "payload": {...}, "metadata": {... optional ...}}, ...]}, ...]
-- Returns {"command_id", "first_position", "last_position", "recorded_at_micros",
--          "streams": [{"stream_id", "version", "first_position"}, ...] (batch order), "replayed"}.
-- SQLSTATEs: LB001..LB009 bad input, LP001 permission, LI001 command id reused with other
-- content, LV001 version conflict (DETAIL is JSON), 40001 under REPEATABLE READ/SERIALIZABLE
-- if another append committed after this transaction's snapshot.
--
-- Cost (docs/performance.md): the work is set-based, a fixed number of statements per call
-- whatever the batch size, and each statement's executor start-up is a large part of a
-- one-event append. So a valid batch is checked and taken apart in the same pass (two
-- statements, one over stream entries and one over events); the detailed checks that name the
-- first problem run only when that pass says something is wrong.
CREATE FUNCTION ledger.append(p_command_id text, p_batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
-- Pinned so that no caller-controlled schema can shadow anything; pg_temp last, per the docs.
SET search_path = pg_catalog, ledger, pg_temp
-- Re-planning each query for every batch value costs more than the append itself; the plans
-- here (unnest, primary-key lookups) do not depend on the values.
SET plan_cache_mode = force_generic_plan
AS $append$
DECLARE
    c_limits                 constant jsonb := ledger.limits();
    c_max_events             constant int := (c_limits ->> 'max_events_per_append')::int;
    c_max_streams            constant int := (c_limits ->> 'max_streams_per_append')::int;
    c_max_payload_bytes      constant int := (c_limits ->> 'max_payload_bytes')::int;
    c_max_metadata_bytes     constant int := (c_limits ->> 'max_metadata_bytes')::int;
    c_max_stream_id_length   constant int := (c_limits ->> 'max_stream_id_length')::int;
    c_max_event_type_length  constant int := (c_limits ->> 'max_event_type_length')::int;
    c_max_command_id_length  constant int := (c_limits ->> 'max_command_id_length')::int;
    c_id_pattern             constant text := '^[A-Za-z0-9][A-Za-z0-9._:-]*$';
    c_event_type_pattern     constant text := '^[A-Za-z][A-Za-z0-9_.]*$';
    c_stream_keys            constant text[] := ARRAY['stream_id', 'expected_version', 'events'];
    c_event_keys             constant text[] := ARRAY['type', 'schema_version', 'payload', 'metadata'];
    -- Who did it comes from the connection, never from the client's metadata.
    c_actor                  constant text := session_user::text;
    -- Merged over each event's client metadata (replacing any client-sent actor or command_id).
    c_server_metadata        constant jsonb := jsonb_build_object('actor', c_actor, 'command_id', p_command_id);

    v_valid                  boolean;          -- the quick check: nothing in the batch is wrong
    v_error                  text[];           -- {sqlstate, message} of the first bad input

    -- Per stream entry, in batch order (index k = 1, 2, ...).
    v_stream_ids             text[];
    v_expected               text[];           -- 'any' | 'no_stream' | 'stream_exists' | decimal N
    v_stream_event_counts    int[];            -- events in the entry
    v_versions               bigint[];         -- version under the lock (0 = no stream)
    v_new_versions           bigint[];         -- version after this append
    v_stream_first_positions bigint[];
    v_stream_count           int;

    -- Per event, in batch order (index n = 1, 2, ...); an entry's events are consecutive.
    v_event_stream_index     int[];            -- k of the event's stream entry
    v_event_ordinals         int[];            -- 1, 2, ... within its stream entry
    v_types                  text[];
    v_schema_versions        int[];
    v_payloads               jsonb[];
    v_metadata               jsonb[];          -- as stored: client metadata + c_server_metadata
    v_canonical_texts        text[];
    v_hashes                 bytea[];          -- v_hashes[n] = hash of event n
    v_event_count            int;

    v_request_hash           bytea;
    v_refused_type           text;
    v_prior_request_hash     bytea;            -- of the command id's earlier record, if any
    v_prior_result           jsonb;
    v_prior_actor            text;
    v_actual                 bigint;
    v_next_position          bigint;
    v_last_position          bigint;
    v_last_hash              bytea;
    v_hash                   bytea;
    v_recorded_at            timestamptz;
    v_recorded_at_micros     bigint;
    v_result                 jsonb;
    k                        int;
    n                        int;
BEGIN
    ---------------------------------------------------------------- 1. validate (before the lock)
    IF p_command_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LB008', MESSAGE = 'command_id: missing';
    END IF;
    IF length(p_command_id) > c_max_command_id_length THEN
        RAISE EXCEPTION USING ERRCODE = 'LB008', MESSAGE = format(
            'command_id: is %s characters, the limit is %s', length(p_command_id), c_max_command_id_length);
    END IF;
    IF p_command_id !~ c_id_pattern THEN
        RAISE EXCEPTION USING ERRCODE = 'LB008', MESSAGE = format(
            'command_id: %s does not match %s', to_jsonb(p_command_id), c_id_pattern);
    END IF;

    IF p_batch IS NULL OR jsonb_typeof(p_batch) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'LB009', MESSAGE = 'batch: must be a JSON array of stream entries';
    END IF;
    v_stream_count := jsonb_array_length(p_batch);
    IF v_stream_count = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'LB001', MESSAGE = 'batch: must contain at least one stream entry';
    END IF;
    IF v_stream_count > c_max_streams THEN
        RAISE EXCEPTION USING ERRCODE = 'LB002', MESSAGE = format(
            'batch: has %s stream entries, the limit is %s (max_streams_per_append)', v_stream_count, c_max_streams);
    END IF;

    -- The quick check and the take-apart, in one pass each over stream entries and over events.
    -- `ok` is true exactly when no WHEN of the detailed checks further down would fire for that
    -- entry or event (same conditions, same order, no messages); values that could fail to
    -- convert are taken only from rows that are ok. OFFSET 0 computes each column once per row.
    SELECT bool_and(s.ok)
               AND count(DISTINCT s.entry ->> 'stream_id') = count(*)   -- no stream listed twice
               AND sum(s.events) <= c_max_events,
           array_agg(s.entry ->> 'stream_id' ORDER BY s.k),
           array_agg(CASE WHEN s.ok THEN
                         CASE jsonb_typeof(s.entry -> 'expected_version')
                             WHEN 'string' THEN s.entry ->> 'expected_version'
                             ELSE ((s.entry -> 'expected_version')::numeric::bigint)::text
                         END
                     END ORDER BY s.k),
           array_agg(s.events ORDER BY s.k)
    INTO v_valid, v_stream_ids, v_expected, v_stream_event_counts
    FROM (
        SELECT e.k, e.entry, e.ok,
               CASE WHEN e.ok THEN jsonb_array_length(e.entry -> 'events') ELSE 0 END AS events
        FROM (
            SELECT b.ord::int AS k, b.entry, CASE
                WHEN jsonb_typeof(b.entry) <> 'object' THEN false
                WHEN (b.entry - c_stream_keys) <> '{}'::jsonb THEN false
                WHEN jsonb_typeof(b.entry -> 'stream_id') IS DISTINCT FROM 'string' THEN false
                WHEN length(b.entry ->> 'stream_id') > c_max_stream_id_length THEN false
                WHEN (b.entry ->> 'stream_id') !~ c_id_pattern THEN false
                WHEN NOT (CASE jsonb_typeof(b.entry -> 'expected_version')
                              WHEN 'string' THEN (b.entry ->> 'expected_version') IN ('any', 'no_stream', 'stream_exists')
                              WHEN 'number' THEN (b.entry -> 'expected_version')::numeric
                                                 = trunc((b.entry -> 'expected_version')::numeric)
                                             AND (b.entry -> 'expected_version')::numeric BETWEEN 0 AND 9223372036854775807
                              ELSE false
                          END) THEN false
                WHEN jsonb_typeof(b.entry -> 'events') IS DISTINCT FROM 'array' THEN false
                WHEN jsonb_array_length(b.entry -> 'events') = 0 THEN false
                ELSE true
            END AS ok
            FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS b(entry, ord)
            OFFSET 0
        ) AS e
    ) AS s;

    -- request_hash identifies the command's content: sha256 of 'ledger-command-v2', then per
    -- event, in batch order, a newline and five lines: its stream_id, type, schema_version,
    -- payload (jsonb text) and client metadata (jsonb text, empty when absent). No field holds a
    -- raw newline. Not expected_version: a retry may carry a fresher one. Each payload is turned
    -- into text once here, for its size check and this hash.
    IF v_valid THEN
        SELECT bool_and(x.ok),
               array_agg(x.k ORDER BY x.k, x.m),
               array_agg(x.m ORDER BY x.k, x.m),
               array_agg(x.event ->> 'type' ORDER BY x.k, x.m),
               array_agg(CASE WHEN x.ok THEN (x.event -> 'schema_version')::numeric::int END ORDER BY x.k, x.m),
               array_agg(x.payload ORDER BY x.k, x.m),
               array_agg(CASE WHEN NOT x.ok THEN NULL
                              WHEN x.metadata IS NOT NULL
                              THEN (x.metadata - ARRAY['actor', 'command_id']) || c_server_metadata
                              ELSE c_server_metadata
                         END ORDER BY x.k, x.m),
               count(*),
               sha256(convert_to('ledger-command-v2' || string_agg(
                      E'\n' || x.stream_id || E'\n' || (x.event ->> 'type') || E'\n' || (x.event ->> 'schema_version')
                          || E'\n' || x.payload_text || E'\n' || coalesce(x.metadata_text, ''),
                      '' ORDER BY x.k, x.m), 'UTF8'))
        INTO v_valid, v_event_stream_index, v_event_ordinals, v_types, v_schema_versions, v_payloads, v_metadata,
             v_event_count, v_request_hash
        FROM (
            SELECT e.k, e.m, e.stream_id, e.event, e.payload, e.metadata, e.payload_text, e.metadata_text, CASE
                WHEN jsonb_typeof(e.event) <> 'object' THEN false
                WHEN (e.event - c_event_keys) <> '{}'::jsonb THEN false
                WHEN jsonb_typeof(e.event -> 'type') IS DISTINCT FROM 'string' THEN false
                WHEN length(e.event ->> 'type') > c_max_event_type_length THEN false
                WHEN (e.event ->> 'type') !~ c_event_type_pattern THEN false
                WHEN jsonb_typeof(e.event -> 'schema_version') IS DISTINCT FROM 'number' THEN false
                WHEN NOT ((e.event -> 'schema_version')::numeric = trunc((e.event -> 'schema_version')::numeric)
                          AND (e.event -> 'schema_version')::numeric BETWEEN 1 AND 2147483647) THEN false
                WHEN jsonb_typeof(e.payload) IS DISTINCT FROM 'object' THEN false
                WHEN octet_length(e.payload_text) > c_max_payload_bytes THEN false
                WHEN e.metadata IS NOT NULL AND jsonb_typeof(e.metadata) <> 'object' THEN false
                WHEN octet_length(e.metadata_text) > c_max_metadata_bytes THEN false
                ELSE true
            END AS ok
            FROM (
                SELECT b.ord::int AS k, ev.ord::int AS m, b.entry ->> 'stream_id' AS stream_id, ev.event,
                       ev.event -> 'payload' AS payload, ev.event -> 'metadata' AS metadata,
                       (ev.event -> 'payload')::text AS payload_text, (ev.event -> 'metadata')::text AS metadata_text
                FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS b(entry, ord)
                CROSS JOIN LATERAL jsonb_array_elements(b.entry -> 'events') WITH ORDINALITY AS ev(event, ord)
                OFFSET 0
            ) AS e
            OFFSET 0
        ) AS x;
    END IF;

    IF v_valid IS NOT TRUE THEN
        -- Something is wrong: name the first problem, in batch order (each WHEN relies on the
        -- ones above it). Stream entries first; their events only once every entry is sound.
        SELECT x.error INTO v_error
        FROM (
            SELECT s.i, CASE
                WHEN jsonb_typeof(s.entry) <> 'object' THEN
                    ARRAY['LB009', format('batch[%s]: must be a JSON object', s.i)]
                WHEN (s.entry - c_stream_keys) <> '{}'::jsonb THEN
                    ARRAY['LB009', format('batch[%s]: unknown key %s (allowed: %s)', s.i,
                          (SELECT min(to_jsonb(key)::text) FROM jsonb_object_keys(s.entry - c_stream_keys) AS key),
                          array_to_string(c_stream_keys, ', '))]
                WHEN NOT s.entry ? 'stream_id' THEN
                    ARRAY['LB009', format('batch[%s].stream_id: missing', s.i)]
                WHEN jsonb_typeof(s.entry -> 'stream_id') <> 'string' THEN
                    ARRAY['LB003', format('batch[%s].stream_id: must be a string, got %s', s.i, s.entry -> 'stream_id')]
                WHEN length(s.entry ->> 'stream_id') > c_max_stream_id_length THEN
                    ARRAY['LB003', format('batch[%s].stream_id: is %s characters, the limit is %s',
                                          s.i, length(s.entry ->> 'stream_id'), c_max_stream_id_length)]
                WHEN (s.entry ->> 'stream_id') !~ c_id_pattern THEN
                    ARRAY['LB003', format('batch[%s].stream_id: %s does not match %s', s.i, s.entry -> 'stream_id', c_id_pattern)]
                WHEN s.first_i <> s.i THEN
                    ARRAY['LB009', format('batch[%s].stream_id: stream %s is listed twice (also batch[%s]); put all its events in one entry',
                                          s.i, s.entry -> 'stream_id', s.first_i)]
                WHEN NOT s.entry ? 'expected_version' THEN
                    ARRAY['LB009', format('batch[%s].expected_version: missing', s.i)]
                WHEN NOT (CASE jsonb_typeof(s.entry -> 'expected_version')
                              WHEN 'string' THEN (s.entry ->> 'expected_version') IN ('any', 'no_stream', 'stream_exists')
                              WHEN 'number' THEN (s.entry -> 'expected_version')::numeric
                                                 = trunc((s.entry -> 'expected_version')::numeric)
                                             AND (s.entry -> 'expected_version')::numeric BETWEEN 0 AND 9223372036854775807
                              ELSE false
                          END) THEN
                    ARRAY['LB007', format('batch[%s].expected_version: must be "any", "no_stream", "stream_exists" or an integer >= 0, got %s',
                                          s.i, s.entry -> 'expected_version')]
                WHEN NOT s.entry ? 'events' THEN
                    ARRAY['LB009', format('batch[%s].events: missing', s.i)]
                WHEN jsonb_typeof(s.entry -> 'events') <> 'array' THEN
                    ARRAY['LB009', format('batch[%s].events: must be a JSON array', s.i)]
                WHEN jsonb_array_length(s.entry -> 'events') = 0 THEN
                    ARRAY['LB001', format('batch[%s].events: must contain at least one event', s.i)]
                WHEN s.events_so_far > c_max_events THEN
                    ARRAY['LB002', format('batch[%s].events: brings the batch to %s events, the limit is %s (max_events_per_append)',
                                          s.i, s.events_so_far, c_max_events)]
            END AS error
            FROM (
                SELECT e.ord - 1 AS i, e.entry,
                       min(e.ord - 1) OVER (PARTITION BY e.entry ->> 'stream_id') AS first_i,
                       sum(CASE WHEN jsonb_typeof(e.entry -> 'events') = 'array'
                                THEN jsonb_array_length(e.entry -> 'events') ELSE 0 END)
                           OVER (ORDER BY e.ord) AS events_so_far
                FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS e(entry, ord)
            ) AS s
        ) AS x
        WHERE x.error IS NOT NULL
        ORDER BY x.i
        LIMIT 1;
        IF v_error IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = v_error[1], MESSAGE = v_error[2];
        END IF;

        SELECT x.error INTO v_error
        FROM (
            SELECT e.i, e.j, CASE
                WHEN jsonb_typeof(e.event) <> 'object' THEN
                    ARRAY['LB009', format('batch[%s].events[%s]: must be a JSON object', e.i, e.j)]
                WHEN (e.event - c_event_keys) <> '{}'::jsonb THEN
                    ARRAY['LB009', format('batch[%s].events[%s]: unknown key %s (allowed: %s)', e.i, e.j,
                          (SELECT min(to_jsonb(key)::text) FROM jsonb_object_keys(e.event - c_event_keys) AS key),
                          array_to_string(c_event_keys, ', '))]
                WHEN NOT e.event ? 'type' THEN
                    ARRAY['LB009', format('batch[%s].events[%s].type: missing', e.i, e.j)]
                WHEN jsonb_typeof(e.event -> 'type') <> 'string' THEN
                    ARRAY['LB004', format('batch[%s].events[%s].type: must be a string, got %s', e.i, e.j, e.event -> 'type')]
                WHEN length(e.event ->> 'type') > c_max_event_type_length THEN
                    ARRAY['LB004', format('batch[%s].events[%s].type: is %s characters, the limit is %s',
                                          e.i, e.j, length(e.event ->> 'type'), c_max_event_type_length)]
                WHEN (e.event ->> 'type') !~ c_event_type_pattern THEN
                    ARRAY['LB004', format('batch[%s].events[%s].type: %s does not match %s',
                                          e.i, e.j, e.event -> 'type', c_event_type_pattern)]
                WHEN NOT e.event ? 'schema_version' THEN
                    ARRAY['LB009', format('batch[%s].events[%s].schema_version: missing', e.i, e.j)]
                WHEN NOT (CASE jsonb_typeof(e.event -> 'schema_version')
                              WHEN 'number' THEN (e.event -> 'schema_version')::numeric
                                                 = trunc((e.event -> 'schema_version')::numeric)
                                             AND (e.event -> 'schema_version')::numeric BETWEEN 1 AND 2147483647
                              ELSE false
                          END) THEN
                    ARRAY['LB009', format('batch[%s].events[%s].schema_version: must be a positive integer, got %s',
                                          e.i, e.j, e.event -> 'schema_version')]
                WHEN NOT e.event ? 'payload' THEN
                    ARRAY['LB009', format('batch[%s].events[%s].payload: missing', e.i, e.j)]
                WHEN jsonb_typeof(e.event -> 'payload') <> 'object' THEN
                    ARRAY['LB005', format('batch[%s].events[%s].payload: must be a JSON object, got %s',
                                          e.i, e.j, jsonb_typeof(e.event -> 'payload'))]
                WHEN octet_length((e.event -> 'payload')::text) > c_max_payload_bytes THEN
                    ARRAY['LB005', format('batch[%s].events[%s].payload: is %s bytes, the limit is %s (max_payload_bytes)',
                                          e.i, e.j, octet_length((e.event -> 'payload')::text), c_max_payload_bytes)]
                -- metadata is optional; when present it must be an object (JSON null included).
                WHEN e.event ? 'metadata' AND jsonb_typeof(e.event -> 'metadata') <> 'object' THEN
                    ARRAY['LB006', format('batch[%s].events[%s].metadata: must be a JSON object, got %s',
                                          e.i, e.j, jsonb_typeof(e.event -> 'metadata'))]
                WHEN octet_length((e.event -> 'metadata')::text) > c_max_metadata_bytes THEN
                    ARRAY['LB006', format('batch[%s].events[%s].metadata: is %s bytes, the limit is %s (max_metadata_bytes)',
                                          e.i, e.j, octet_length((e.event -> 'metadata')::text), c_max_metadata_bytes)]
            END AS error
            FROM (
                SELECT b.ord - 1 AS i, ev.ord - 1 AS j, ev.event
                FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS b(entry, ord)
                CROSS JOIN LATERAL jsonb_array_elements(b.entry -> 'events') WITH ORDINALITY AS ev(event, ord)
            ) AS e
        ) AS x
        WHERE x.error IS NOT NULL
        ORDER BY x.i, x.j
        LIMIT 1;
        IF v_error IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = v_error[1], MESSAGE = v_error[2];
        END IF;

        -- The quick check and the detailed checks disagree: a bug here, never the caller's.
        RAISE EXCEPTION USING ERRCODE = 'XX000',
            MESSAGE = 'ledger.append: the batch failed the quick check but no detailed check names a problem';
    END IF;

    ---------------------------------------------------------------- 2. permission (before the lock)
    -- Each type needs a grant ('*' or the type) to a role session_user is a member of. The set of
    -- granted types is read once (a hashed subplan); a '*' grant skips the scan altogether.
    -- to_regrole skips grants to roles that no longer exist instead of failing.
    SELECT u.event_type INTO v_refused_type
    FROM unnest(v_types) WITH ORDINALITY AS u(event_type, n)
    WHERE NOT EXISTS (SELECT 1 FROM ledger.append_grants g
                      WHERE g.event_type = '*'
                        AND pg_has_role(session_user, to_regrole(quote_ident(g.role_name)), 'MEMBER'))
      AND u.event_type NOT IN (SELECT g.event_type FROM ledger.append_grants g
                               WHERE pg_has_role(session_user, to_regrole(quote_ident(g.role_name)), 'MEMBER'))
    ORDER BY u.n
    LIMIT 1;
    IF v_refused_type IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LP001', MESSAGE = format(
            'permission refused: role %s may not append %s', to_jsonb(c_actor), v_refused_type);
    END IF;

    ---------------------------------------------------------------- 3. the turn
    -- Serialises appenders until commit: positions are gapless and commit-ordered. Keep it short.
    -- Everything below reads in statements that start after this one, so (in READ COMMITTED)
    -- it sees the previous appender's commit.
    SELECT h.last_position, h.last_hash INTO v_last_position, v_last_hash
    FROM ledger.head h
    WHERE h.singleton
    FOR UPDATE;

    ---------------------------------------------------------------- 4-5. idempotency and versions
    -- The recorded command, if any, and each stream's version: one primary-key lookup per
    -- stream entry (a missing row is version 0). The lookup is a correlated subquery so that the
    -- generic plan cannot become a join that scans the whole streams table (as a LEFT JOIN it
    -- did, up to a few thousand streams).
    SELECT c.request_hash, c.result, c.actor,
           (SELECT array_agg(coalesce((SELECT s.version FROM ledger.streams s WHERE s.stream_id = u.stream_id), 0)
                             ORDER BY u.k)
            FROM unnest(v_stream_ids) WITH ORDINALITY AS u(stream_id, k))
    INTO v_prior_request_hash, v_prior_result, v_prior_actor, v_versions
    FROM (VALUES (1)) AS one
    LEFT JOIN ledger.commands c ON c.command_id = p_command_id;
    IF v_prior_request_hash IS NOT NULL THEN
        IF v_prior_request_hash <> v_request_hash THEN
            RAISE EXCEPTION USING ERRCODE = 'LI001', MESSAGE = format(
                'command %s was already recorded with different content', p_command_id);
        END IF;
        -- A replay must not let one role claim another's recorded command as its own.
        IF v_prior_actor <> c_actor THEN
            RAISE EXCEPTION USING ERRCODE = 'LI001', MESSAGE = format(
                'command %s was already recorded by a different role', p_command_id);
        END IF;
        RETURN v_prior_result || '{"replayed": true}'::jsonb;
    END IF;

    -- Check each expectation; each entry's events take the next positions, in batch order.
    v_next_position := v_last_position + 1;
    FOR k IN 1 .. v_stream_count LOOP
        v_actual := v_versions[k];
        IF NOT (CASE v_expected[k]
                    WHEN 'any' THEN true
                    WHEN 'no_stream' THEN v_actual = 0
                    WHEN 'stream_exists' THEN v_actual > 0
                    ELSE v_actual = v_expected[k]::bigint
                END) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'LV001',
                MESSAGE = format('version conflict on stream %s: expected %s, actual %s',
                                 v_stream_ids[k], v_expected[k],
                                 CASE WHEN v_actual = 0 THEN 'no_stream' ELSE v_actual::text END),
                -- actual is the stream's version, 0 when it does not exist.
                DETAIL = jsonb_build_object(
                    'stream_id', v_stream_ids[k],
                    'expected', CASE WHEN v_expected[k] ~ '^[0-9]+$' THEN to_jsonb(v_expected[k]::bigint)
                                     ELSE to_jsonb(v_expected[k]) END,
                    'actual', v_actual)::text;
        END IF;
        v_stream_first_positions[k] := v_next_position;
        v_new_versions[k] := v_actual + v_stream_event_counts[k];
        v_next_position := v_next_position + v_stream_event_counts[k];
    END LOOP;

    ---------------------------------------------------------------- 6-7. positions and hash chain
    -- One timestamp after the lock, so recorded_at never decreases as position increases.
    v_recorded_at := clock_timestamp();
    v_recorded_at_micros := (extract(epoch FROM v_recorded_at) * 1000000)::bigint;

    -- Event n takes position last + n; its stream version continues from the version under the lock.
    SELECT array_agg(ledger.event_canonical_text(v_last_position + u.n, v_stream_ids[u.k], v_versions[u.k] + u.m,
                                                 u.event_type, u.schema_version, v_recorded_at_micros,
                                                 u.payload, u.metadata) ORDER BY u.n)
    INTO v_canonical_texts
    FROM unnest(v_event_stream_index, v_event_ordinals, v_types, v_schema_versions, v_payloads, v_metadata)
         WITH ORDINALITY AS u(k, m, event_type, schema_version, payload, metadata, n);

    -- The chain is a fold: each hash covers the previous one.
    v_hash := v_last_hash;
    v_hashes := array_fill(NULL::bytea, ARRAY[v_event_count]);
    FOR n IN 1 .. v_event_count LOOP
        v_hash := ledger.event_hash(v_hash, v_canonical_texts[n]);
        v_hashes[n] := v_hash;
    END LOOP;

    ---------------------------------------------------------------- 8. write
    -- One set-based INSERT for the whole batch; never ON CONFLICT on events.
    INSERT INTO ledger.events (position, stream_id, stream_version, event_type, schema_version,
                               payload, metadata, command_id, recorded_at, prev_hash, hash)
    SELECT v_last_position + e.n, v_stream_ids[e.k], v_versions[e.k] + e.m, e.event_type, e.schema_version,
           e.payload, e.metadata, p_command_id, v_recorded_at,
           CASE WHEN e.n = 1 THEN v_last_hash ELSE v_hashes[e.n - 1] END, v_hashes[e.n]
    FROM unnest(v_event_stream_index, v_event_ordinals, v_types, v_schema_versions, v_payloads, v_metadata)
         WITH ORDINALITY AS e(k, m, event_type, schema_version, payload, metadata, n);

    -- The streams_advance_only trigger admits these updates because the events now exist.
    INSERT INTO ledger.streams (stream_id, version, created_position, updated_position)
    SELECT u.stream_id, u.version, u.first_position, u.first_position + u.events - 1
    FROM unnest(v_stream_ids, v_new_versions, v_stream_first_positions, v_stream_event_counts)
         AS u(stream_id, version, first_position, events)
    ON CONFLICT (stream_id) DO UPDATE
        SET version = EXCLUDED.version, updated_position = EXCLUDED.updated_position;

    UPDATE ledger.head
    SET last_position = v_last_position + v_event_count, last_hash = v_hash
    WHERE singleton;

    INSERT INTO ledger.commands (command_id, request_hash, result, actor, recorded_at)
    VALUES (p_command_id, v_request_hash,
            jsonb_build_object(
                'command_id', p_command_id,
                'first_position', v_last_position + 1,
                'last_position', v_last_position + v_event_count,
                'recorded_at_micros', v_recorded_at_micros,
                'streams', (SELECT jsonb_agg(jsonb_build_object('stream_id', u.stream_id, 'version', u.version,
                                                                'first_position', u.first_position) ORDER BY u.k)
                            FROM unnest(v_stream_ids, v_new_versions, v_stream_first_positions)
                                 WITH ORDINALITY AS u(stream_id, version, first_position, k)),
                'replayed', false),
            c_actor, v_recorded_at)
    RETURNING result INTO v_result;

    ---------------------------------------------------------------- 9-10. wake readers, answer
    -- Only a wake-up (delivered at commit); readers read the table for the truth.
    PERFORM pg_notify('ledger_events', (v_last_position + v_event_count)::text);
    RETURN v_result;
END
$append$;
REVOKE ALL ON FUNCTION ledger.append(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.append(text, jsonb) TO ledger_writer;
