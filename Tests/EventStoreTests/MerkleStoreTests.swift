@testable import EventStore
import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

/// The tree the database keeps (0019): maintained by every append in its own transaction, equal
/// to the tree recomputed from the events, append-only, built for a ledger that had events
/// before the migration, and proofs read from it at every size.
@Suite(.enabled(if: TestDatabase.enabled))
struct MerkleStoreTests {
    /// Appends `total` events in batches of 1, 2, 3, … (the tree grows by single leaves and runs).
    static func fill(_ store: EventStore, total: Int) async throws {
        var written = 0
        var batch = 1
        while written < total {
            let count = min(batch, total - written)
            _ = try await store.append(
                try (0..<count).map { try NewEvent(type: "NoteWritten", payloadJSON: #"{"n": \#(written + $0), "text": "Cần Thơ"}"#) },
                to: "notes-\(batch % 5)", expectedVersion: .any, commandID: Fixture.commandID()
            )
            written += count
            batch += 1
        }
    }

    /// The leaf hashes recomputed from the events alone (Swift, from docs/audit.md).
    static func leaves(_ store: EventStore) async throws -> [[UInt8]] {
        var leaves: [[UInt8]] = []
        for try await event in store.readAll() { leaves.append(EventLeaf.hash(of: event)) }
        return leaves
    }

    static func roots(of leaves: [[UInt8]]) -> [[UInt8]] {
        var builder = MerkleTree.Builder()
        var roots = [builder.root]
        for leaf in leaves {
            builder.add(leafHash: leaf)
            roots.append(builder.root)
        }
        return roots
    }

    @Test func theStoredTreeIsTheTreeOfTheEventsAtEverySizeWithProofsThatVerify() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            #expect(try await store.treeRoot(size: 0) == MerkleTree.emptyRoot)
            try await Self.fill(store, total: 70)
            let leaves = try await Self.leaves(store)
            let roots = Self.roots(of: leaves)
            for size in 0...70 {
                #expect(try await store.treeRoot(size: Int64(size)) == roots[size], "size \(size)")
            }
            let head = try await store.treeState()
            #expect(head.size == 70 && head.root == roots[70])
            #expect(EventHashing.hex(head.chainHash) == (try await store.digest()).hash)

            for size in 1...64 {
                for position in 1...size {
                    let proof = try await store.inclusionProof(position: Int64(position), treeSize: Int64(size))
                    #expect(proof.leafHash == leaves[position - 1])
                    #expect(proof.root == roots[size])
                    #expect(MerkleTree.root(fromInclusion: proof.path, leafHash: proof.leafHash, index: Int64(position - 1),
                                            size: Int64(size)) == roots[size], "\(position) in \(size)")
                }
                for old in 1...size {
                    let path = try await store.consistencyProof(old: Int64(old), new: Int64(size))
                    #expect(MerkleTree.verifyConsistency(oldSize: Int64(old), newSize: Int64(size), oldRoot: roots[old],
                                                         newRoot: roots[size], path: path), "\(old) → \(size)")
                }
            }
        }
    }

    /// The database's leaf input (`ledger.event_leaf_input`) is the one docs/audit.md defines
    /// (re-implemented in Swift), byte for byte, for every stored event.
    @Test func theDatabasesLeafInputIsTheDocumentedOne() async throws {
        try await TestDatabase.withFresh { db in
            let connection = try await db.connect()
            let store = EventStore(connection: connection)
            _ = try await store.append(
                [try NewEvent(type: "NoteWritten", payloadJSON: #"{"b": "x\ny", "aa": 1.50, "text": "Nguyễn Văn A"}"#,
                              metadataJSON: #"{"correlation_id": "c-1"}"#)],
                to: "notes-1", expectedVersion: .any, commandID: "cmd-1.a:b"
            )
            try await Self.fill(store, total: 5)
            let fromDatabase = try await connection.query("""
                SELECT ledger.event_leaf_input(position, stream_id, stream_version, event_type, schema_version,
                           (extract(epoch FROM recorded_at) * 1000000)::bigint, command_id, payload, metadata, prev_hash, hash)
                FROM ledger.events ORDER BY position
                """) { try $0.string(0) }
            var fromSwift: [String] = []
            for try await event in store.readAll() { fromSwift.append(EventLeaf.input(of: event)) }
            #expect(fromDatabase == fromSwift)
            #expect(fromSwift[0].split(separator: "\n", omittingEmptySubsequences: false).count == 12)
            #expect(fromSwift[0].hasPrefix("ledger-leaf-v1\n1\nnotes-1\n1\nNoteWritten\n1\n"))
        }
    }

    /// Nobody changes the tree: people are refused by grants, the owner and a superuser by the
    /// same triggers as the events.
    @Test(arguments: [
        "UPDATE ledger.merkle_nodes SET hash = sha256('x') WHERE level = 0 AND idx = 0",
        "DELETE FROM ledger.merkle_nodes WHERE level = 1",
        "TRUNCATE ledger.merkle_nodes",
    ])
    func theTreeCannotBeChangedByAnyRole(statement: String) async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            try await Self.fill(EventStore(connection: superuser), total: 4)
            let before = try await superuser.query("SELECT level, idx, encode(hash, 'hex') FROM ledger.merkle_nodes ORDER BY 1, 2") {
                "\(try $0.int64(0)) \(try $0.int64(1)) \(try $0.string(2))"
            }
            let writer = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_writer"))
            let auditor = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor"))
            let admin = try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_admin"))
            try await admin.simpleQuery("SET ROLE ledger_admin")
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
            // People cannot add a node either (only the append's trigger, as the owner, writes),
            // nor run the migration's builder.
            for (name, connection) in [("writer", writer), ("auditor", auditor), ("admin", admin)] {
                for sql in ["INSERT INTO ledger.merkle_nodes VALUES (0, 100, sha256('x'))", "SELECT ledger.merkle_add_parents(0, 3)"] {
                    do {
                        try await connection.simpleQuery(sql)
                        Issue.record("\(name) was allowed: \(sql)")
                    } catch let error as PostgresError {
                        #expect(error.code == .insufficientPrivilege, "\(name): \(error)")
                    }
                }
            }
            let after = try await superuser.query("SELECT level, idx, encode(hash, 'hex') FROM ledger.merkle_nodes ORDER BY 1, 2") {
                "\(try $0.int64(0)) \(try $0.int64(1)) \(try $0.string(2))"
            }
            #expect(after == before)
        }
    }

    /// A failed append leaves no node behind: the tree is written in the append's transaction.
    @Test func aRefusedAppendAddsNoNode() async throws {
        try await TestDatabase.withFresh { db in
            let connection = try await db.connect()
            let store = EventStore(connection: connection)
            try await Self.fill(store, total: 3)
            await #expect(throws: EventStoreError.self) {
                _ = try await store.append([try Fixture.event()], to: "notes-1", expectedVersion: .exactly(99), commandID: Fixture.commandID())
            }
            let nodes = try await connection.queryOne("SELECT count(*) FROM ledger.merkle_nodes") { try $0.int64(0) }
            #expect(nodes == 3 + 1)  // three leaves and the node over the first two
            try await Self.fill(store, total: 1)
            #expect(try await store.treeRoot(size: 4) == Self.roots(of: try await Self.leaves(store))[4])
        }
    }

    /// A ledger with events before 0019: the migration builds the tree of what is recorded, and
    /// appends extend it.
    @Test func aLedgerMigratedWithEventsGetsItsTree() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            // Back to the release before 0019 (a fresh cluster per test would change the shared roles).
            try await superuser.simpleQuery(Rewind.beforeMerkleTree)
            let store = EventStore(connection: superuser)
            try await Self.fill(store, total: 37)
            let report = try await Migrator(connection: superuser, migrations: try Migration.bundled()).migrate()
            #expect(report.applied.map(\.version) == [19, 20], "\(report)")
            try await Self.fill(store, total: 6)
            let roots = Self.roots(of: try await Self.leaves(store))
            for size in [1, 2, 36, 37, 38, 43] {
                #expect(try await store.treeRoot(size: Int64(size)) == roots[size], "size \(size)")
            }
            let proof = try await store.inclusionProof(position: 20, treeSize: 43)
            #expect(MerkleTree.root(fromInclusion: proof.path, leafHash: proof.leafHash, index: 19, size: 43) == roots[43])
            let path = try await store.consistencyProof(old: 37, new: 43)
            #expect(MerkleTree.verifyConsistency(oldSize: 37, newSize: 43, oldRoot: roots[37], newRoot: roots[43], path: path))
        }
    }

    /// What a superuser changes behind the triggers is found by verify, named by position: a
    /// node, a leaf, a recording time, a missing node, an extra one.
    @Test(arguments: [
        ("UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 1 AND idx = 2", 5, "level 1, index 2"),
        ("UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 0 AND idx = 6", 7, "leaf"),
        ("UPDATE ledger.events SET recorded_at = recorded_at - interval '1 day' WHERE position = 4", 4, "does not hash"),
        ("DELETE FROM ledger.merkle_nodes WHERE level = 3", 1, "is missing"),
        ("INSERT INTO ledger.merkle_nodes VALUES (0, 9, sha256('extra'))", 10, "should not exist"),
    ])
    func whatASuperuserChangesInTheTreeIsFound(statement: String, position: Int64, mentions: String) async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.fill(store, total: 9)
            #expect(try await store.verifyChain().isIntact)
            try await superuser.simpleQuery("SET session_replication_role = replica; \(statement); RESET session_replication_role")
            let problem = try #require(try await store.verifyChain().problem, "\(statement)")
            #expect(problem.position == position, "\(problem)")
            #expect(problem.description.contains(mentions), "\(problem)")
            #expect(problem.kind == (mentions == "does not hash" ? .hashMismatch : .treeMismatch), "\(problem)")
        }
    }

    /// `verifyChain(alongside:)` runs the stream and tree checks on a second connection while
    /// the chain is read, and the tree check pairs each page of parents with its children read
    /// as ranges: on the same damage, with pages that split the levels, it reports exactly what
    /// the one-connection check reports (damage in the chain before damage in the tree).
    @Test(arguments: [
        (["UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 1 AND idx = 3"], "level 1, index 3"),  // first of a page of 3
        (["UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 1 AND idx = 5"], "level 1, index 5"),  // last of a page
        (["UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 1 AND idx = 20"], "level 1, index 20"),  // the level's last
        (["UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 0 AND idx = 41"], "position 42: its leaf"),
        (["UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 4 AND idx = 0",
          "UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 2 AND idx = 7"], "level 2, index 7"),  // the lower level first
        (["DELETE FROM ledger.merkle_nodes WHERE level = 1 AND idx = 9"], "is missing"),
        (["UPDATE ledger.streams SET version = version + 1 WHERE stream_id = 'notes-3'"], "stream notes-3"),
        (["UPDATE ledger.streams SET version = version + 1 WHERE stream_id = 'notes-3'",
          "UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 2 AND idx = 1"], "stream notes-3"),  // the streams' first
        (["UPDATE ledger.events SET payload = '{\"n\": 0}' WHERE position = 30",
          "UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 1 AND idx = 2"], "position 30: its content"),  // the chain's first
        ([], nil),
    ] as [([String], String?)])
    func checksAlongsideReportWhatOneConnectionReports(statements: [String], mentions: String?) async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            let alongside = EventStore(connection: try await db.connect())
            try await Self.fill(store, total: 43)
            for statement in statements {
                try await superuser.simpleQuery("SET session_replication_role = replica; \(statement); RESET session_replication_role")
            }
            for pageSize in [3, 1000] {
                let alone = try await store.verifyChain(pageSize: pageSize)
                let both = try await store.verifyChain(pageSize: pageSize, alongside: alongside)
                #expect(both == alone, "page size \(pageSize): \(statements)")
                #expect(alone.problem.map { $0.description.contains(mentions ?? "intact") } ?? (mentions == nil), "\(alone)")
            }
        }
    }

    /// `audit verify` while officers write: appends that commit after verify read the head have
    /// added their nodes by the time the tree is counted; the tree of every earlier head is intact.
    @Test func nodesOfAppendsCommittedAfterTheHeadWasReadAreNotExtra() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect())
            try await Self.fill(store, total: 9)
            for size in 1...9 {
                #expect(try await store.treeProblem(size: Int64(size), pageSize: 3) == nil, "head read at \(size) of 9")
            }
        }
    }

    /// A tree damaged behind the triggers stops the next append (LM001, naming verify) instead of
    /// growing a tree that no proof could trust; nothing of that append is recorded.
    @Test func anAppendOnADamagedTreeIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let superuser = try await db.connect()
            let store = EventStore(connection: superuser)
            try await Self.fill(store, total: 6)
            // The frontier of 6 events is (level 2, index 0) and (level 1, index 2).
            try await superuser.simpleQuery("""
                SET session_replication_role = replica;
                DELETE FROM ledger.merkle_nodes WHERE level = 1 AND idx = 2;
                RESET session_replication_role
                """)
            do {
                _ = try await store.append([try Fixture.event()], to: "notes-9", expectedVersion: .any, commandID: Fixture.commandID())
                Issue.record("an append extended a damaged tree")
            } catch let error as EventStoreError {
                #expect(error.message.contains("the Merkle tree cannot be extended"), "\(error)")
                #expect(error.message.contains("ledger audit verify"), "\(error)")
            }
            #expect(try await store.digest().position == 6)
        }
    }
}
