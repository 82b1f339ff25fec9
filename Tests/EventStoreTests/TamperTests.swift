import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Guarantees 1 and 6: history cannot be changed through the database, and what a superuser
/// changes anyway is found by `verifyChain`, or by a digest taken before.
@Suite(.enabled(if: TestDatabase.enabled))
struct TamperTests {
    static func seed(_ store: EventStore, streams: Int = 3) async throws {
        for index in 0..<streams {
            _ = try await store.append(
                [try NewEvent(type: "TransferRecorded", payloadJSON: #"{"amount_vnd": \#(1_000_000 * (index + 1)), "voucher": "PC-\#(index)"}"#)],
                to: "payment-\(index)", expectedVersion: .noStream, commandID: "pay-\(index)"
            )
        }
    }

    @Test(arguments: [
        "UPDATE ledger.events SET payload = '{}' WHERE position = 1",
        "DELETE FROM ledger.events WHERE position = 3",
        "TRUNCATE ledger.events CASCADE",
        "UPDATE ledger.head SET last_position = 1",
        "DELETE FROM ledger.head",
        "UPDATE ledger.streams SET version = 0 WHERE stream_id = 'payment-0'",
        "DELETE FROM ledger.streams",
        "TRUNCATE ledger.streams CASCADE",
        "UPDATE ledger.commands SET result = '{}'",
        "DELETE FROM ledger.commands",
    ])
    func historyCannotBeChangedByAnyRoleIncludingTheOwnerAndSuperuser(statement: String) async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            try await Self.seed(EventStore(connection: superuser))
            let before = try await Fixture.snapshot(superuser)
            let writer = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_writer"))
            let auditor = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor"))
            // Admins are not owners (0011): they are refused like everyone else, as themselves or as ledger_admin.
            let admin = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))
            try await admin.simpleQuery("SET ROLE ledger_admin")
            // The owner is ledger_owner, which nobody logs in as; a superuser can act as it.
            let owner = try await db.connect()
            try await owner.simpleQuery("SET ROLE ledger_owner")

            for (name, connection) in [("writer", writer), ("auditor", auditor), ("admin", admin), ("owner", owner), ("superuser", superuser)] {
                do {
                    try await connection.simpleQuery(statement)
                    Issue.record("\(name) was allowed: \(statement)")
                } catch let error as PostgresError {
                    let expected: Set<PostgresError.Code> = name == "writer" || name == "auditor" || name == "admin"
                        ? [.insufficientPrivilege] : [PostgresError.Code("LT001")]
                    #expect(expected.contains(error.code), "\(name): \(error)")
                }
            }
            #expect(try await Fixture.snapshot(superuser) == before)
        }
    }

    @Test func aPayloadEditedWithTriggersDisabledIsNamedByPosition() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.seed(store)
            #expect(try await store.verifyChain().isIntact)
            try await superuser.simpleQuery("""
                SET session_replication_role = replica;
                UPDATE ledger.events SET payload = '{"amount_vnd": 9000000, "voucher": "PC-1"}' WHERE position = 2;
                RESET session_replication_role;
                """)
            let verification = try await store.verifyChain()
            let problem = try #require(verification.problem)
            #expect(problem.position == 2)
            #expect(problem.kind == .hashMismatch)
            #expect(problem.message.contains("payment-1"))
        }
    }

    @Test func aRewrittenChainPassesAloneButFailsAgainstAnEarlierDigest() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.seed(store, streams: 4)
            let digest = try await store.digest()
            #expect(try await store.verifyChain(digest: digest).isIntact)
            // A careful superuser edits event 2 and recomputes every hash after it, and the head.
            try await superuser.simpleQuery("""
                SET session_replication_role = replica;
                UPDATE ledger.events SET payload = '{"amount_vnd": 1, "voucher": "PC-1"}' WHERE position = 2;
                DO $$
                DECLARE r record; prev bytea;
                BEGIN
                    SELECT hash INTO prev FROM ledger.events WHERE position = 1;
                    FOR r IN SELECT * FROM ledger.events WHERE position >= 2 ORDER BY position LOOP
                        prev := ledger.event_hash(prev, ledger.event_canonical_text(r.position, r.stream_id, r.stream_version,
                            r.event_type, r.schema_version, (extract(epoch from r.recorded_at) * 1000000)::bigint, r.payload, r.metadata));
                        UPDATE ledger.events SET prev_hash = (SELECT hash FROM ledger.events WHERE position = r.position - 1), hash = prev
                            WHERE position = r.position;
                    END LOOP;
                    UPDATE ledger.head SET last_hash = prev;
                END $$;
                \(TestDatabase.rebuildMerkleTreeSQL)
                RESET session_replication_role;
                """)
            #expect(try await store.verifyChain().isIntact, "the rewrite is self-consistent")
            let problem = try #require(try await store.verifyChain(digest: digest).problem)
            #expect(problem.kind == .digestMismatch)
            #expect(problem.position == digest.position)
        }
    }

    @Test func deletingTheNewestEventIsCaughtByADigestTakenBefore() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.seed(store, streams: 3)
            let digest = try await store.digest()
            try await superuser.simpleQuery("""
                SET session_replication_role = replica;
                DELETE FROM ledger.events WHERE position = 3;
                DELETE FROM ledger.streams WHERE stream_id = 'payment-2';
                UPDATE ledger.head SET last_position = 2, last_hash = (SELECT hash FROM ledger.events WHERE position = 2);
                \(TestDatabase.rebuildMerkleTreeSQL)
                RESET session_replication_role;
                """)
            #expect(try await store.verifyChain().isIntact, "without a digest the shortened log looks whole")
            let problem = try #require(try await store.verifyChain(digest: digest).problem)
            #expect(problem.kind == .digestBeyondHead)
            #expect(problem.message.contains("events were removed"))
        }
    }

    @Test func deletingAnEventInTheMiddleIsAGapAtItsPosition() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.seed(store, streams: 4)
            try await superuser.simpleQuery("""
                SET session_replication_role = replica;
                DELETE FROM ledger.events WHERE position = 2;
                RESET session_replication_role;
                """)
            let problem = try #require(try await store.verifyChain().problem)
            #expect(problem.position == 2)
            #expect(problem.kind == .gap)
        }
    }

    @Test func anEventInsertedAroundTheAppendFunctionIsFound() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.seed(store, streams: 2)
            try await superuser.simpleQuery("""
                INSERT INTO ledger.events (position, stream_id, stream_version, event_type, schema_version, payload, metadata,
                                           command_id, recorded_at, prev_hash, hash)
                SELECT 3, 'payment-9', 1, 'TransferRecorded', 1, '{}', '{}', 'forged', now(), hash, hash FROM ledger.events WHERE position = 2;
                """)
            let problem = try #require(try await store.verifyChain().problem)
            #expect(problem.kind == .eventsBeyondHead)
            #expect(problem.position == 3)
        }
    }
}
