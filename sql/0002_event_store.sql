-- 0002_event_store.sql — schema ledger: the event log, stream versions, the head counter,
-- recorded commands, append grants; and the triggers that keep the log append-only for everyone.
--
-- Objects are created as ledger_admin so that it owns them (the migrator RESETs ROLE afterwards).
-- Nothing here grants UPDATE, DELETE or TRUNCATE to anyone; the triggers refuse them even to the
-- owner and to superusers. Writes happen only through ledger.append (0004_append.sql).

SET LOCAL ROLE ledger_admin;

-- The hash chain (0003) hashes UTF-8 text; refuse a database that could not store it faithfully.
DO $encoding$
BEGIN
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'the ledger needs a UTF8 database, % has encoding %',
            current_database(), pg_catalog.getdatabaseencoding();
    END IF;
END
$encoding$;

CREATE SCHEMA ledger AUTHORIZATION ledger_admin;
REVOKE ALL ON SCHEMA ledger FROM PUBLIC;
GRANT USAGE ON SCHEMA ledger TO ledger_writer, ledger_auditor;

-- The log. position is the gapless, commit-ordered global order (assigned under ledger.head's
-- lock, never by a sequence); hash chains every event to the one before it.
CREATE TABLE ledger.events (
    position        bigint      PRIMARY KEY CHECK (position > 0),
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    event_type      text        NOT NULL,
    schema_version  int         NOT NULL CHECK (schema_version > 0),
    payload         jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    metadata        jsonb       NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
    command_id      text        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    prev_hash       bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash            bytea       NOT NULL CHECK (octet_length(hash) = 32),
    -- Backstop for optimistic concurrency: a stale writer can never add a second version N.
    UNIQUE (stream_id, stream_version)
);
-- "Which events did command X produce?" (idempotency investigations, audit trails).
CREATE INDEX events_command_id_idx ON ledger.events (command_id);
REVOKE ALL ON ledger.events FROM PUBLIC;
GRANT SELECT ON ledger.events TO ledger_writer, ledger_auditor;

-- Current version of each stream, so a version check is one index lookup, not a max() over events.
CREATE TABLE ledger.streams (
    stream_id        text   PRIMARY KEY,
    version          bigint NOT NULL CHECK (version > 0),
    created_position bigint NOT NULL CHECK (created_position > 0),
    updated_position bigint NOT NULL CHECK (updated_position >= created_position)
);
REVOKE ALL ON ledger.streams FROM PUBLIC;
GRANT SELECT ON ledger.streams TO ledger_writer, ledger_auditor;

-- The single row every append locks FOR UPDATE first: it serialises appenders, so position N+1
-- is assigned only after N's transaction has committed. It also carries the chain's head hash.
CREATE TABLE ledger.head (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_position bigint  NOT NULL CHECK (last_position >= 0),
    last_hash     bytea   NOT NULL CHECK (octet_length(last_hash) = 32)
);
-- Genesis: no events yet, and the hash before position 1 is 32 zero bytes.
INSERT INTO ledger.head (singleton, last_position, last_hash)
VALUES (true, 0, decode(repeat('00', 32), 'hex'));
REVOKE ALL ON ledger.head FROM PUBLIC;
GRANT SELECT ON ledger.head TO ledger_writer, ledger_auditor;

-- Idempotency: one row per command id, with a hash of what was asked and what was answered.
CREATE TABLE ledger.commands (
    command_id   text        PRIMARY KEY,
    request_hash bytea       NOT NULL CHECK (octet_length(request_hash) = 32),
    result       jsonb       NOT NULL,
    actor        text        NOT NULL,
    recorded_at  timestamptz NOT NULL
);
REVOKE ALL ON ledger.commands FROM PUBLIC;
GRANT SELECT ON ledger.commands TO ledger_writer, ledger_auditor;

-- Which roles may append which event types ('*' = any); checked by ledger.append against
-- session_user's role memberships. Admin-managed configuration, so no append-only triggers.
CREATE TABLE ledger.append_grants (
    role_name  name NOT NULL,
    event_type text NOT NULL,
    PRIMARY KEY (role_name, event_type)
);
-- Until per-type grants for officer/approver roles arrive, any writer may append any type.
INSERT INTO ledger.append_grants (role_name, event_type) VALUES ('ledger_writer', '*');
REVOKE ALL ON ledger.append_grants FROM PUBLIC;
GRANT SELECT ON ledger.append_grants TO ledger_writer, ledger_auditor;

-- Refuses a change to a protected table: TG_ARGV[0] says what the table allows, TG_ARGV[1] why
-- (or what to do instead).
CREATE FUNCTION ledger.refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'LT001',
        MESSAGE = format('%s.%s %s: %s refused (%s)',
                         TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0], TG_OP, TG_ARGV[1]);
END
$$;
REVOKE ALL ON FUNCTION ledger.refuse_change() FROM PUBLIC;

CREATE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON ledger.events
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change('is append-only', 'a correction is a new event');
CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change('is append-only', 'a correction is a new event');

CREATE TRIGGER commands_refuse_update_delete
    BEFORE UPDATE OR DELETE ON ledger.commands
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change('is append-only', 'a command id is recorded once');
CREATE TRIGGER commands_refuse_truncate
    BEFORE TRUNCATE ON ledger.commands
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change('is append-only', 'a command id is recorded once');

-- A stream row may only move forward to a version the log already holds (ledger.append's upsert);
-- any rewind, rename or edit is refused.
CREATE FUNCTION ledger.streams_advance_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF NEW.stream_id = OLD.stream_id
       AND NEW.version > OLD.version
       AND NEW.created_position = OLD.created_position
       AND EXISTS (SELECT 1 FROM ledger.events e
                   WHERE e.stream_id = NEW.stream_id
                     AND e.stream_version = NEW.version
                     AND e.position = NEW.updated_position)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'LT001',
        MESSAGE = format('ledger.streams only advances with the log: UPDATE refused '
                         '(stream %s: version %s to %s, updated_position %s to %s)',
                         OLD.stream_id, OLD.version, NEW.version,
                         OLD.updated_position, NEW.updated_position);
END
$$;
REVOKE ALL ON FUNCTION ledger.streams_advance_only() FROM PUBLIC;

CREATE TRIGGER streams_advance_only
    BEFORE UPDATE ON ledger.streams
    FOR EACH ROW EXECUTE FUNCTION ledger.streams_advance_only();
CREATE TRIGGER streams_refuse_delete
    BEFORE DELETE ON ledger.streams
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change('only advances with the log', 'a stream version is never reused');
CREATE TRIGGER streams_refuse_truncate
    BEFORE TRUNCATE ON ledger.streams
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change('only advances with the log', 'a stream version is never reused');

-- The head may only move forward to an event that exists with exactly that hash; a rewind
-- (which would let positions be handed out twice) is refused.
CREATE FUNCTION ledger.head_advance_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, ledger, pg_temp
AS $$
BEGIN
    IF NEW.singleton = OLD.singleton
       AND NEW.last_position > OLD.last_position
       AND EXISTS (SELECT 1 FROM ledger.events e
                   WHERE e.position = NEW.last_position
                     AND e.hash = NEW.last_hash)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'LT001',
        MESSAGE = format('ledger.head only advances with the log: UPDATE refused '
                         '(last_position %s to %s)', OLD.last_position, NEW.last_position);
END
$$;
REVOKE ALL ON FUNCTION ledger.head_advance_only() FROM PUBLIC;

CREATE TRIGGER head_advance_only
    BEFORE UPDATE ON ledger.head
    FOR EACH ROW EXECUTE FUNCTION ledger.head_advance_only();
CREATE TRIGGER head_refuse_delete
    BEFORE DELETE ON ledger.head
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change('only advances with the log', 'a position is never handed out twice');
CREATE TRIGGER head_refuse_truncate
    BEFORE TRUNCATE ON ledger.head
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change('only advances with the log', 'a position is never handed out twice');
