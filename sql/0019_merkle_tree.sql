-- 0019_merkle_tree.sql — a Merkle tree over the log (RFC 9162 §2.1), kept as events are appended,
-- so that a tree head for any size, an inclusion proof and a consistency proof each read
-- O(log n) stored hashes (docs/audit.md, "Proofs").
--
--   ledger.event_leaf_input(...)  the leaf input of one event: 12 lines, every stored field of the
--                                 event (recording time, command id, the actor inside the metadata,
--                                 and its chain hashes). The single definition; verifiers
--                                 re-implement it from docs/audit.md.
--   ledger.merkle_nodes           every complete perfect subtree: (level, idx) is the hash of leaves
--                                 idx·2^level … (idx+1)·2^level − 1. Level 0 holds the leaves,
--                                 SHA-256(0x00 ‖ leaf input); a node is SHA-256(0x01 ‖ left ‖ right).
--                                 Leaf index = position − 1. Append-only like the events.
--   trigger events_extend_merkle_tree  in the append's own statement and transaction: the new
--                                 leaves, then every parent whose right child is new.
--
-- The root of the tree of size n combines the perfect subtrees of n's binary decomposition from
-- right to left; no stored row depends on n, so a head and proofs exist for every size.
-- The hash chain (0003) is unchanged: digests kept before this file keep verifying.
--
-- Upgrading a ledger: the leaves and nodes of the events already recorded are built once, here,
-- set-based (docs/operations.md, "Upgrading to the Merkle tree", says how long per million).
-- Appends wait for this file's commit.
--
-- SQLSTATE LM001: the tree cannot be extended (a child node is missing): the tree was damaged
-- by someone who bypassed the triggers; `ledger audit verify` says where.

SET LOCAL ROLE ledger_owner;

---------------------------------------------------------------------------------------------
-- 1. The leaf input
---------------------------------------------------------------------------------------------
-- Fields joined by a line feed, in this order; no field holds a raw line feed (ids, types and the
-- command id are validated by ledger.append; jsonb text escapes it; hashes are hex), so the text
-- splits back into its twelve fields in exactly one way.
CREATE FUNCTION ledger.event_leaf_input(
    "position"         bigint,
    stream_id          text,
    stream_version     bigint,
    event_type         text,
    schema_version     int,
    recorded_at_micros bigint,
    command_id         text,
    payload            jsonb,
    metadata           jsonb,
    prev_hash          bytea,
    hash               bytea
) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'ledger-leaf-v1'
    || E'\n' || event_leaf_input."position"::text
    || E'\n' || event_leaf_input.stream_id
    || E'\n' || event_leaf_input.stream_version::text
    || E'\n' || event_leaf_input.event_type
    || E'\n' || event_leaf_input.schema_version::text
    || E'\n' || event_leaf_input.recorded_at_micros::text
    || E'\n' || event_leaf_input.command_id
    || E'\n' || event_leaf_input.payload::text
    || E'\n' || event_leaf_input.metadata::text
    || E'\n' || pg_catalog.encode(event_leaf_input.prev_hash, 'hex')
    || E'\n' || pg_catalog.encode(event_leaf_input.hash, 'hex');
REVOKE ALL ON FUNCTION ledger.event_leaf_input(bigint, text, bigint, text, int, bigint, text, jsonb, jsonb, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.event_leaf_input(bigint, text, bigint, text, int, bigint, text, jsonb, jsonb, bytea, bytea)
    TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

-- SHA-256(0x00 ‖ UTF-8 leaf input) of a stored event (the database is UTF8: convert_to is the identity).
CREATE FUNCTION ledger.event_leaf_hash(e ledger.events) RETURNS bytea
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN pg_catalog.sha256('\x00'::bytea || pg_catalog.convert_to(ledger.event_leaf_input(
    e.position, e.stream_id, e.stream_version, e.event_type, e.schema_version,
    (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.command_id, e.payload, e.metadata,
    e.prev_hash, e.hash), 'UTF8'));
REVOKE ALL ON FUNCTION ledger.event_leaf_hash(ledger.events) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.event_leaf_hash(ledger.events) TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;

---------------------------------------------------------------------------------------------
-- 2. The nodes
---------------------------------------------------------------------------------------------
CREATE TABLE ledger.merkle_nodes (
    level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx   bigint   NOT NULL CHECK (idx >= 0),
    hash  bytea    NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);
COMMENT ON TABLE ledger.merkle_nodes IS
    'RFC 9162 Merkle tree over ledger.events: every complete perfect subtree (0019_merkle_tree.sql)';
REVOKE ALL ON ledger.merkle_nodes FROM PUBLIC;
GRANT SELECT ON ledger.merkle_nodes TO ledger_writer, ledger_auditor, ledger_officer, ledger_approver;
CREATE TRIGGER merkle_nodes_refuse_update_delete BEFORE UPDATE OR DELETE ON ledger.merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change('is append-only', 'the tree only grows with the log');
CREATE TRIGGER merkle_nodes_refuse_truncate BEFORE TRUNCATE ON ledger.merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change('is append-only', 'the tree only grows with the log');

-- Adds, level by level, every parent whose right child is among the nodes idx p_lo … p_hi of
-- level 0: at each level the parents of the range, then the range moves up. Set-based, for
-- building the tree of a whole log at once (section 3); appends use the trigger below.
CREATE FUNCTION ledger.merkle_add_parents(p_lo bigint, p_hi bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
-- Each level's range is different: a plan made for it (a generic plan would scan the table).
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_level smallint := 0;
    v_lo    bigint := p_lo;
    v_hi    bigint := p_hi;
    v_made  bigint;
BEGIN
    -- Parents p with right child 2p+1 in [lo, hi]: p from lo/2 through (hi−1)/2.
    WHILE v_hi >= 1 AND v_lo / 2 <= (v_hi - 1) / 2 LOOP
        INSERT INTO ledger.merkle_nodes (level, idx, hash)
        SELECT v_level + 1, p.idx, pg_catalog.sha256('\x01'::bytea || l.hash || r.hash)
        FROM pg_catalog.generate_series(v_lo / 2, (v_hi - 1) / 2) AS p(idx)
        JOIN ledger.merkle_nodes l ON l.level = v_level AND l.idx = 2 * p.idx
        JOIN ledger.merkle_nodes r ON r.level = v_level AND r.idx = 2 * p.idx + 1;
        GET DIAGNOSTICS v_made = ROW_COUNT;
        IF v_made <> (v_hi - 1) / 2 - v_lo / 2 + 1 THEN
            RAISE EXCEPTION USING ERRCODE = 'LM001', MESSAGE = format(
                'the Merkle tree cannot be extended: a node of level %s under idx %s…%s is missing '
                '(the tree was damaged; run `ledger audit verify`)', v_level, v_lo, v_hi);
        END IF;
        v_lo := v_lo / 2;
        v_hi := (v_hi - 1) / 2;
        v_level := v_level + 1;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION ledger.merkle_add_parents(bigint, bigint) FROM PUBLIC;

-- The statement trigger: the append's new events become leaves, then their parents. SECURITY
-- DEFINER: nobody but the owner may write the tree; it runs as the append's statement does.
--
-- Three statements per append, whatever its size: the frontier of the tree before it (the
-- perfect subtrees of the binary decomposition of its size, one per set bit: node (l, (n >> l) − 1)
-- for each bit l of n), the new leaves' hashes, and one INSERT of every new node. In between, the
-- parents are computed in memory as a stack, largest subtree at the bottom: each new leaf is
-- pushed, and while the top two are of the same level they merge into their parent. (One
-- INSERT … JOIN per level, planned per call, cost a third of the append; docs/performance.md.)
CREATE FUNCTION ledger.extend_merkle_tree() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, ledger, pg_temp
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
    SELECT min(n.position) - 1, array_agg(ledger.event_leaf_hash(n) ORDER BY n.position)
    INTO v_size, v_leaves
    FROM new_events AS n;
    IF v_size IS NULL THEN
        RETURN NULL;
    END IF;

    -- One primary-key probe per set bit of the size. EXECUTE: planned for this size each time. A
    -- generic plan (which a session caches for a static statement) read far more of the table
    -- than the few nodes it needs, and appends slowed down as the tree grew.
    EXECUTE 'SELECT coalesce(array_agg(m.level ORDER BY m.level DESC), ''{}''), coalesce(array_agg(m.hash ORDER BY m.level DESC), ''{}'')
             FROM pg_catalog.generate_series(0, 62) AS b(l)
             JOIN ledger.merkle_nodes m ON m.level = b.l AND m.idx = ($1 >> b.l) - 1
             WHERE ($1 >> b.l) & 1 = 1'
    INTO v_levels, v_hashes
    USING v_size;
    IF pg_catalog.cardinality(v_levels) <> pg_catalog.length(replace(v_size::bit(64)::text, '0', '')) THEN
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
-- 3. Existing ledgers: the tree of what is already recorded, built once
---------------------------------------------------------------------------------------------
-- No append may commit between the build and the trigger (its events would be in neither).
LOCK TABLE ledger.events IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO ledger.merkle_nodes (level, idx, hash)
SELECT 0, e.position - 1, ledger.event_leaf_hash(e) FROM ledger.events AS e ORDER BY e.position;
ANALYZE ledger.merkle_nodes;  -- so that the joins below are planned on the real size

DO $build$
DECLARE
    v_count bigint;
BEGIN
    SELECT count(*) INTO v_count FROM ledger.merkle_nodes WHERE level = 0;
    IF v_count > 0 THEN
        PERFORM ledger.merkle_add_parents(0, v_count - 1);
    END IF;
END
$build$;

CREATE TRIGGER events_extend_merkle_tree
    AFTER INSERT ON ledger.events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.extend_merkle_tree();
-- ALWAYS: also under session_replication_role = replica, which a superuser may set to append
-- around the rules' triggers. Such events then still get their leaves, so the tree always
-- covers the log, and verify names the rules they break (not a damaged tree).
ALTER TABLE ledger.events ENABLE ALWAYS TRIGGER events_extend_merkle_tree;
