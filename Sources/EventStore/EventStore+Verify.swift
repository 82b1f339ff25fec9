import Postgres

/// The first thing found wrong with the log, and where.
public struct ChainProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// A position is missing or out of order.
        case gap
        /// An event's stored previous hash is not the hash of the event before it.
        case previousHashMismatch
        /// An event's stored hash is not what its content hashes to: the content was altered.
        case hashMismatch
        /// The head row does not match the last event.
        case headMismatch
        /// Events exist past the head (written around the append function).
        case eventsBeyondHead
        /// A stream's versions are not 1…n, or the streams table disagrees with the events.
        case streamVersionMismatch
        /// The digest's position holds a different hash now: history up to it was rewritten.
        case digestMismatch
        /// The digest names a position the log no longer reaches: events were removed.
        case digestBeyondHead
        /// An event's `command_id` column is not the `command_id` in its metadata (which the hash
        /// covers): the column, outside the hash, was altered.
        case commandIDMismatch
        /// The Merkle tree (`ledger.merkle_nodes`) is not the tree of the events: a leaf is not the
        /// hash of its event's fields, a node not the hash of its children, or nodes are missing
        /// or extra. Proofs read from it would not hold.
        case treeMismatch
    }

    public let position: Int64
    public let kind: Kind
    public let message: String

    public var description: String { "position \(position): \(message)" }
}

/// The outcome of `verifyChain`.
public struct ChainVerification: Sendable, Equatable {
    public let fromPosition: Int64
    public let throughPosition: Int64
    public let eventsChecked: Int64
    public let head: Digest
    /// nil when everything checked holds.
    public let problem: ChainProblem?

    public var isIntact: Bool { problem == nil }
}

extension EventStore {
    /// Recomputes the hash chain from `from` through `through` (default: the head), streaming in pages,
    /// and checks contiguity, the head, stream versions and the Merkle tree (on a full check) and,
    /// if given, a digest and a kept tree head's root.
    /// Returns the first problem found; never throws for a damaged log, only for database errors.
    ///
    /// `alongside`, a store on a second connection to the same database, runs a full check's
    /// stream-version and tree checks while this connection reads the chain: the server works on
    /// both at once. The result is the same as without it: problems are still reported in the
    /// same order (the chain's first, then the streams', then the tree's).
    public func verifyChain(
        from: Int64 = 1, through: Int64? = nil, digest: Digest? = nil, treeHead: TreeHead? = nil,
        pageSize: Int = EventStore.defaultPageSize, alongside: EventStore? = nil,
        progress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> ChainVerification {
        precondition(from >= 1, "positions start at 1")
        let snapshot = try await headSnapshot()
        let head = Digest(position: snapshot.headPosition, hash: snapshot.headHash)
        let last = min(through ?? snapshot.headPosition, snapshot.headPosition)

        func result(_ checked: Int64, _ problem: ChainProblem?) -> ChainVerification {
            ChainVerification(fromPosition: from, throughPosition: last, eventsChecked: checked, head: head, problem: problem)
        }

        if let digest, digest.position > snapshot.headPosition {
            return result(0, ChainProblem(
                position: snapshot.headPosition + 1, kind: .digestBeyondHead,
                message: "the digest names position \(digest.position) but the log ends at \(snapshot.headPosition): events were removed"
            ))
        }

        // A full check's stream and tree checks, on the second connection while the chain is read.
        let fullCheck = from == 1 && last == snapshot.headPosition
        async let laterChecks: (streams: ChainProblem?, tree: ChainProblem?)? = {
            guard fullCheck, let alongside else { return nil }
            let streams = try await alongside.streamVersionProblem()
            return (streams, try await alongside.treeProblem(size: last, pageSize: pageSize))
        }()

        // nil: the hash before `from` is not 32 bytes, so no previous hash can match it.
        var previousHash: Hash256? = .zero
        if from > 1 {
            guard let anchor = try await hashAt(from - 1) else {
                return result(0, ChainProblem(position: from - 1, kind: .gap, message: "position \(from - 1) is missing"))
            }
            previousHash = Hash256(anchor)
        }

        // The chain is read in pages; while one page is checked, the server already computes the
        // next (fetchPage). Each row is hashed from its own bytes as it is decoded.
        let pages = PostgresPagedQuery(
            "SELECT e.position, e.stream_id, e.stream_version, e.event_type, e.schema_version, e.recorded_at, e.payload, e.metadata, "
                + "e.prev_hash, e.hash, e.command_id IS NOT DISTINCT FROM e.metadata ->> 'command_id', e.command_id, m.hash "
                + "FROM ledger.events e LEFT JOIN ledger.merkle_nodes m ON m.level = 0 AND m.idx = e.position - 1 "
                + "WHERE e.position > $1 AND e.position <= $3 ORDER BY e.position LIMIT $2",
            parameters: [last], keyColumn: 0, pageSize: pageSize, resultFormat: .binary
        )
        var expected = from
        var checked: Int64 = 0
        var digestHashSeen: [UInt8]? = digest?.position == 0 ? EventHashing.genesisHash : nil
        var chainProblem: ChainProblem?
        pageLoop: while expected <= last {
            let after = expected - 1
            let links = try await EventStoreError.mapping {
                try await connection.fetchPage(pages, after: after, decode: Self.chainLink)
            }
            if links.isEmpty { break }
            for link in links {
                if link.position != expected {
                    chainProblem = ChainProblem(
                        position: expected, kind: .gap,
                        message: "position \(expected) is missing (the next event is at \(link.position))"
                    )
                    break pageLoop
                }
                guard let storedPrevious = link.previousHash, storedPrevious == previousHash else {
                    chainProblem = ChainProblem(
                        position: link.position, kind: .previousHashMismatch,
                        message: "its previous hash is not the hash of position \(link.position - 1)"
                    )
                    break pageLoop
                }
                guard link.contentMatches, let hash = link.hash else {
                    await connection.discardPrefetchedPage()
                    let event = try await event(at: link.position)
                    chainProblem = ChainProblem(
                        position: link.position, kind: .hashMismatch,
                        message: "its content does not hash to its stored hash: the event was altered "
                            + "(stream \(event?.streamID.rawValue ?? "?"), version \(event.map { String($0.streamVersion) } ?? "?"), \(event?.type ?? "?"))"
                    )
                    break pageLoop
                }
                guard link.commandIDMatches else {
                    await connection.discardPrefetchedPage()
                    let ids = try await commandIDs(at: link.position)
                    chainProblem = ChainProblem(
                        position: link.position, kind: .commandIDMismatch,
                        message: "its command_id column (\(ids?.column ?? "?")) is not the command_id its hashed metadata records "
                            + "(\(ids?.metadata ?? "none")): the column was altered"
                    )
                    break pageLoop
                }
                guard link.leafMatches else {
                    await connection.discardPrefetchedPage()
                    chainProblem = ChainProblem(
                        position: link.position, kind: .treeMismatch,
                        message: "its leaf in the Merkle tree is missing or is not the hash of its fields: the tree was altered"
                    )
                    break pageLoop
                }
                if link.position == digest?.position { digestHashSeen = hash.bytes }
                previousHash = hash
                expected += 1
                checked += 1
            }
            progress?(checked)
        }
        // Leave the connection idle (a page may have been sent ahead).
        await connection.discardPrefetchedPage()
        if let chainProblem { return result(checked, chainProblem) }
        if expected <= last {
            return result(checked, ChainProblem(
                position: expected, kind: .gap, message: "positions \(expected)…\(last) are missing: the log ends early"
            ))
        }
        if last == snapshot.headPosition {
            if snapshot.maxPosition > snapshot.headPosition {
                return result(checked, ChainProblem(
                    position: snapshot.headPosition + 1, kind: .eventsBeyondHead,
                    message: "events exist past the head (up to \(snapshot.maxPosition)); they were not written by the append function"
                ))
            }
            if previousHash.map({ EventHashing.hex($0.bytes) }) != snapshot.headHash {
                return result(checked, ChainProblem(
                    position: last, kind: .headMismatch, message: "the head's hash is not the hash of the last event"
                ))
            }
        }
        if let digest, let seen = digestHashSeen, EventHashing.hex(seen) != digest.hash {
            return result(checked, ChainProblem(
                position: digest.position, kind: .digestMismatch,
                message: "the hash at position \(digest.position) is not the digest's: history up to it was rewritten"
            ))
        }
        if fullCheck {
            let done = try await laterChecks
            let streams = if let done { done.streams } else { try await streamVersionProblem() }
            if let streams { return result(checked, streams) }
            let tree = if let done { done.tree } else { try await treeProblem(size: last, pageSize: pageSize) }
            if let tree { return result(checked, tree) }
        }
        // A kept tree head: the (now checked) tree of its size must still have its root.
        if let treeHead, let problem = try await treeHeadProblem(treeHead) {
            return result(checked, problem)
        }
        return result(checked, nil)
    }

    struct HeadSnapshot {
        let headPosition: Int64
        let headHash: String
        let maxPosition: Int64
    }

    /// Head and highest position read in one statement, so they come from one snapshot.
    func headSnapshot() async throws -> HeadSnapshot {
        try await EventStoreError.mapping {
            try await connection.queryOne(
                "SELECT h.last_position, encode(h.last_hash, 'hex'), coalesce((SELECT max(position) FROM ledger.events), 0) FROM ledger.head h"
            ) { row in
                HeadSnapshot(headPosition: try row.int64(0), headHash: try row.string(1), maxPosition: try row.int64(2))
            }
        }
    }

    /// One row of the chain as `verifyChain` checks it.
    struct ChainLink: Sendable {
        let position: Int64
        /// The stored previous hash; nil when it is not 32 bytes (it then matches nothing).
        let previousHash: Hash256?
        /// The stored hash; nil when it is not 32 bytes.
        let hash: Hash256?
        /// Whether SHA-256(stored previous hash ‖ canonical text of the stored fields) is the stored hash.
        /// With `previousHash` equal to the hash recomputed for the event before, this is the
        /// chain's definition (docs/audit.md) checked for this event.
        let contentMatches: Bool
        /// Whether the `command_id` column (outside the hash) equals the metadata's `command_id` (inside it).
        let commandIDMatches: Bool
        /// Whether the stored Merkle leaf is SHA-256(0x00 ‖ leaf input of the stored fields).
        let leafMatches: Bool
    }

    /// Hashes a row of the verify query (binary format) from the bytes the server sent: no
    /// Strings, no arrays.
    static func chainLink(_ row: PostgresRow) throws -> ChainLink {
        let position = try row.int64(0)
        let streamVersion = try row.int64(2)
        let schemaVersion = try row.int64(4)
        let recordedAt = try row.timestampMicroseconds(5)
        let stored = try row.withByteaBytes(9) { Hash256(UnsafeRawBufferPointer($0)) }
        let commandIDMatches = try row.bool(10)
        let storedLeaf = row.isNull(12) ? nil : try row.withByteaBytes(12) { Hash256(UnsafeRawBufferPointer($0)) }
        return try row.withByteaBytes(8) { previous in
            try row.withByteaBytes(9) { storedHash in
                try row.withTextBytes(1) { streamID in
                    try row.withTextBytes(3) { type in
                        try row.withTextBytes(6) { payload in
                            try row.withTextBytes(7) { metadata in
                                try row.withTextBytes(11) { commandID in
                                    let digest = EventHashing.digest(
                                        previous: UnsafeRawBufferPointer(previous), position: position, streamID: streamID,
                                        streamVersion: streamVersion, type: type, schemaVersion: schemaVersion,
                                        recordedAtMicroseconds: recordedAt, payload: payload, metadata: metadata
                                    )
                                    let leaf = EventHashing.leafDigest(
                                        position: position, streamID: streamID, streamVersion: streamVersion, type: type,
                                        schemaVersion: schemaVersion, recordedAtMicroseconds: recordedAt, commandID: commandID,
                                        payload: payload, metadata: metadata, previous: UnsafeRawBufferPointer(previous),
                                        hash: UnsafeRawBufferPointer(storedHash)
                                    )
                                    return ChainLink(
                                        position: position, previousHash: Hash256(UnsafeRawBufferPointer(previous)), hash: stored,
                                        contentMatches: stored.map { Hash256(digest) == $0 } ?? false, commandIDMatches: commandIDMatches,
                                        leafMatches: storedLeaf.map { Hash256(leaf) == $0 } ?? false
                                    )
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The event at `position`, if there is one.
    func event(at position: Int64) async throws -> RecordedEvent? {
        try await EventStoreError.mapping {
            try await connection.query(
                "SELECT \(Self.eventColumns) FROM ledger.events WHERE position = $1", [position],
                resultFormat: .binary, decode: Self.decodeEvent
            ).first
        }
    }

    /// The `command_id` column of the event at `position` and the `command_id` of its metadata.
    func commandIDs(at position: Int64) async throws -> (column: String, metadata: String?)? {
        try await EventStoreError.mapping {
            try await connection.query(
                "SELECT command_id, metadata ->> 'command_id' FROM ledger.events WHERE position = $1", [position]
            ) { (try $0.string(0), try $0.optionalString(1)) }.first
        }
    }

    func hashAt(_ position: Int64) async throws -> [UInt8]? {
        try await EventStoreError.mapping {
            try await connection.query("SELECT hash FROM ledger.events WHERE position = $1", [position]) {
                try $0.byteArray(0)
            }.first
        }
    }

    /// A stream whose versions are not exactly 1…n, or whose `streams` row disagrees.
    func streamVersionProblem() async throws -> ChainProblem? {
        try await EventStoreError.mapping {
            try await connection.query("""
                SELECT coalesce(e.stream_id, s.stream_id), e.events, e.max_version, s.version, coalesce(e.first_position, 0)
                FROM (SELECT stream_id, count(*) AS events, max(stream_version) AS max_version, min(position) AS first_position
                      FROM ledger.events GROUP BY stream_id) e
                FULL JOIN ledger.streams s ON s.stream_id = e.stream_id
                WHERE e.events IS DISTINCT FROM e.max_version OR s.version IS DISTINCT FROM e.max_version
                ORDER BY 5 LIMIT 1
                """) { row in
                let stream = try row.string(0)
                let events = try row.optionalInt64(1) ?? 0
                let maxVersion = try row.optionalInt64(2) ?? 0
                let recorded = try row.optionalInt64(3).map(String.init) ?? "none"
                return ChainProblem(
                    position: try row.int64(4), kind: .streamVersionMismatch,
                    message: "stream \(stream) has \(events) events up to version \(maxVersion), but its recorded version is \(recorded)"
                )
            }.first
        }
    }
}
