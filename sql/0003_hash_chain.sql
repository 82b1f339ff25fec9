-- 0003_hash_chain.sql — the one definition of an event's canonical text and chained hash
-- (documented in docs/audit.md, "The hash chain"), and the digest handed to auditors.
--
-- ledger.append computes every hash with these two functions; the Swift verifier and independent
-- scripts re-implement them from the documentation, so change them only with a new version tag.

SET LOCAL ROLE ledger_admin;

-- Canonical text of one event: a version tag, then the fields in a fixed order, one per line.
-- Fields cannot contain a raw newline (ids and types are validated; jsonb text escapes it as \n).
-- recorded_at_micros = microseconds since 1970-01-01T00:00:00Z; jsonb is PostgreSQL's text output.
CREATE FUNCTION ledger.event_canonical_text(
    "position"         bigint,   -- quoted: POSITION is a keyword
    stream_id          text,
    stream_version     bigint,
    event_type         text,
    schema_version     int,
    recorded_at_micros bigint,
    payload            jsonb,
    metadata           jsonb
) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN 'ledger-event-v1'
    || E'\n' || event_canonical_text."position"::text
    || E'\n' || event_canonical_text.stream_id
    || E'\n' || event_canonical_text.stream_version::text
    || E'\n' || event_canonical_text.event_type
    || E'\n' || event_canonical_text.schema_version::text
    || E'\n' || event_canonical_text.recorded_at_micros::text
    || E'\n' || event_canonical_text.payload::text
    || E'\n' || event_canonical_text.metadata::text;
REVOKE ALL ON FUNCTION ledger.event_canonical_text(bigint, text, bigint, text, int, bigint, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.event_canonical_text(bigint, text, bigint, text, int, bigint, jsonb, jsonb)
    TO ledger_writer, ledger_auditor;

-- hash = sha256(prev_hash ‖ UTF-8 bytes of the canonical text); prev_hash of position 1 is 32 zero bytes.
-- STABLE like convert_to (the database is UTF8, so it is the identity), which lets it be inlined.
CREATE FUNCTION ledger.event_hash(prev_hash bytea, canonical text) RETURNS bytea
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN pg_catalog.sha256(event_hash.prev_hash || pg_catalog.convert_to(event_hash.canonical, 'UTF8'));
REVOKE ALL ON FUNCTION ledger.event_hash(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.event_hash(bytea, text) TO ledger_writer, ledger_auditor;

-- A digest for an auditor to keep: the last position and the chain's hash at it. A later verify
-- that finds the same hash at that position proves history up to it was not rewritten.
CREATE FUNCTION ledger.digest() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, ledger, pg_temp
RETURN (SELECT jsonb_build_object('position', h.last_position, 'hash', encode(h.last_hash, 'hex'))
        FROM ledger.head h);
REVOKE ALL ON FUNCTION ledger.digest() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger.digest() TO ledger_writer, ledger_auditor;
