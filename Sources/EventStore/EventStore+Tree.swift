import Postgres

/// The leaf input of one event (`ledger-leaf-v1`, docs/audit.md "Proofs"): every stored field,
/// the chain hashes included, one per line. Re-implemented here from the documentation, apart
/// from the database's `ledger.event_leaf_input`, so that a proof or verify does not trust it.
public enum EventLeaf {
    public static func input(of event: RecordedEvent) -> String {
        "ledger-leaf-v1\n\(event.position)\n\(event.streamID.rawValue)\n\(event.streamVersion)\n\(event.type)\n"
            + "\(event.schemaVersion)\n\(event.recordedAtMicroseconds)\n\(event.commandID)\n\(event.payloadJSON)\n"
            + "\(event.metadataJSON)\n\(EventHashing.hex(event.previousHash))\n\(EventHashing.hex(event.hash))"
    }

    public static func hash(of event: RecordedEvent) -> [UInt8] {
        MerkleTree.leafHash(Array(input(of: event).utf8))
    }
}

/// A tree head as the database holds it now or at a size: the size, the tree's root and the
/// chain's hash at that position (what `ledger audit digest` writes, before any signature).
public struct TreeState: Sendable, Equatable {
    public let size: Int64
    public let root: [UInt8]
    public let chainHash: [UInt8]

    public init(size: Int64, root: [UInt8], chainHash: [UInt8]) {
        self.size = size
        self.root = root
        self.chainHash = chainHash
    }
}

/// One event's inclusion proof in the tree of `treeSize` events.
public struct InclusionProof: Sendable, Equatable {
    public let event: RecordedEvent
    public let leafInput: String
    public let leafHash: [UInt8]
    public let treeSize: Int64
    public let path: [[UInt8]]
    public let root: [UInt8]

    public var leafIndex: Int64 { event.position - 1 }
}

/// What the stored tree says that the events do not: a proof would not match the events.
public struct TreeDisagreement: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension EventStore {
    /// The stored hashes of `nodes`, in one round trip; a node the tree lacks is absent.
    func storedNodes(_ nodes: Set<MerkleTree.Node>) async throws -> [MerkleTree.Node: [UInt8]] {
        guard !nodes.isEmpty else { return [:] }
        let list = Array(nodes)
        let rows = try await EventStoreError.mapping {
            try await connection.query(
                """
                SELECT n.level, n.idx, n.hash
                FROM unnest($1::smallint[], $2::bigint[]) AS w(level, idx)
                JOIN ledger.merkle_nodes n ON n.level = w.level AND n.idx = w.idx
                """,
                ["{" + list.map { String($0.level) }.joined(separator: ",") + "}",
                 "{" + list.map { String($0.index) }.joined(separator: ",") + "}"],
                resultFormat: .binary
            ) { (MerkleTree.Node(level: Int(try $0.int64(0)), index: try $0.int64(1)), try $0.byteArray(2)) }
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    /// The hashes of `ranges` (each a range of RFC 9162's recursion), reading every node they need at once.
    func rangeHashes(_ ranges: [Range<Int64>]) async throws -> [[UInt8]] {
        let nodes = try await storedNodes(Set(ranges.flatMap { MerkleTree.cover($0) }))
        return try ranges.map { try MerkleTree.hash(of: $0, nodes: nodes) }
    }

    /// The root of the tree of the first `size` events, from O(log size) stored nodes.
    public func treeRoot(size: Int64) async throws -> [UInt8] {
        try await rangeHashes([0 ..< size])[0]
    }

    /// The tree head at `size` (default: the head now): its root and the chain's hash there.
    /// Throws `TreeDisagreement` when the log does not reach `size`.
    public func treeState(size: Int64? = nil) async throws -> TreeState {
        let head = try await digest()
        let size = size ?? head.position
        guard size >= 0, size <= head.position else {
            throw TreeDisagreement(description: "the log has \(head.position) events; there is no tree of \(size)")
        }
        let chainHash: [UInt8]
        if size == head.position {
            chainHash = EventHashing.bytes(hex: head.hash) ?? []
        } else if size == 0 {
            chainHash = EventHashing.genesisHash
        } else {
            chainHash = try await hashAt(size) ?? []
        }
        return TreeState(size: size, root: try await treeRoot(size: size), chainHash: chainHash)
    }

    /// The inclusion proof of the event at `position` in the tree of `treeSize` events. The leaf
    /// input is made here from the event's stored fields and must hash to the stored leaf:
    /// otherwise the event or the tree was altered, and no proof is given (`TreeDisagreement`).
    public func inclusionProof(position: Int64, treeSize: Int64) async throws -> InclusionProof {
        guard position >= 1, position <= treeSize else {
            throw TreeDisagreement(description: "position \(position) is not in the tree of \(treeSize) events")
        }
        guard let event = try await event(at: position) else {
            throw TreeDisagreement(description: "there is no event at position \(position)")
        }
        let leafInput = EventLeaf.input(of: event)
        let leafHash = MerkleTree.leafHash(Array(leafInput.utf8))
        let ranges = MerkleTree.inclusionRanges(index: position - 1, size: treeSize)
        let leaf = MerkleTree.Node(level: 0, index: position - 1)
        let nodes = try await storedNodes(Set(ranges.flatMap { MerkleTree.cover($0) } + [leaf] + MerkleTree.cover(0 ..< treeSize)))
        guard nodes[leaf] == leafHash else {
            throw TreeDisagreement(description: "the stored leaf of position \(position) is not the hash of the event's fields: "
                + "the event or the tree was altered (run `ledger audit verify`)")
        }
        let path = try ranges.map { try MerkleTree.hash(of: $0, nodes: nodes) }
        let root = try MerkleTree.hash(of: 0 ..< treeSize, nodes: nodes)
        return InclusionProof(event: event, leafInput: leafInput, leafHash: leafHash, treeSize: treeSize, path: path, root: root)
    }

    /// The proof file of the event at `position` in the tree `head` commits to (with `paymentID`, a
    /// receipt), given only when the leaf is the hash of the event's fields and the path leads to
    /// the head's root; `TreeDisagreement` otherwise (the event or the tree was altered).
    public func inclusionProofFile(position: Int64, head: TreeHead, paymentID: String? = nil) async throws -> String {
        let proof = try await inclusionProof(position: position, treeSize: head.treeSize)
        guard MerkleTree.root(fromInclusion: proof.path, leafHash: proof.leafHash, index: proof.leafIndex, size: proof.treeSize)
                .map(EventHashing.hex) == head.rootHash else {
            throw TreeDisagreement(description: "the inclusion path of position \(position) does not lead to the tree head's root: "
                + "the tree was altered (run `ledger audit verify`)")
        }
        return try ProofFile.inclusion(proof, head: head, paymentID: paymentID)
    }

    /// The consistency proof from the tree of `old` events to the tree of `new` (0 < old ≤ new ≤ head).
    public func consistencyProof(old: Int64, new: Int64) async throws -> [[UInt8]] {
        try await rangeHashes(MerkleTree.consistencyRanges(old: old, new: new))
    }

    /// The position of the payment's `PaymentRecorded` event (nil: no such payment). Found through
    /// `ledger.payment_ids` and checked against the event itself.
    public func paymentPosition(_ paymentID: String) async throws -> Int64? {
        try await EventStoreError.mapping {
            try await connection.query(
                """
                SELECT e.position FROM ledger.payment_ids p
                JOIN ledger.events e ON e.position = p.position
                WHERE p.payment_id = $1 AND e.event_type = 'PaymentRecorded' AND e.payload ->> 'payment_id' = $1
                """, [paymentID]
            ) { try $0.int64(0) }.first
        }
    }

    /// The position of version `version` of `stream` (nil: no such event).
    public func position(stream: StreamID, version: Int64) async throws -> Int64? {
        try await EventStoreError.mapping {
            try await connection.query(
                "SELECT position FROM ledger.events WHERE stream_id = $1 AND stream_version = $2", [stream.rawValue, version]
            ) { try $0.int64(0) }.first
        }
    }
}

extension EventStore {
    /// What is wrong with the stored tree above its leaves (the leaves are checked against the
    /// events by `verifyChain`'s pass): each level must hold exactly ⌊size / 2^level⌋ nodes,
    /// indices 0 …, and every node must be the hash of its two children. Reads every node once,
    /// a page at a time; nil when the tree of `size` events is what it must be.
    ///
    /// Appends committed after the caller read the head (`size`) add their nodes meanwhile: the
    /// node counts are compared with the head read by the same statement (one snapshot, and an
    /// append writes its nodes and the head in one transaction), so a verify while officers
    /// write sees no extra node; the nodes' hashes are checked for the tree of `size`.
    func treeProblem(size: Int64, pageSize: Int) async throws -> ChainProblem? {
        let rows = try await EventStoreError.mapping {
            try await connection.query(
                "SELECT level, count(*), min(idx), max(idx), (SELECT last_position FROM ledger.head) FROM ledger.merkle_nodes GROUP BY level ORDER BY level"
            ) { (level: Int(try $0.int64(0)), count: try $0.int64(1), first: try $0.int64(2), last: try $0.int64(3), head: try $0.int64(4)) }
        }
        let levels = rows.map { (level: $0.level, count: $0.count, first: $0.first, last: $0.last) }
        // The size whose tree the counts are of: the head of the counting statement's snapshot,
        // never less than `size` (a head that went back is the chain pass's problem to report).
        let countedSize = max(size, rows.first?.head ?? size)
        func problem(_ node: MerkleTree.Node, _ what: String) -> ChainProblem {
            let leaves = node.leaves
            return ChainProblem(
                position: leaves.lowerBound + 1, kind: .treeMismatch,
                message: "the Merkle tree's node at \(node) (positions \(leaves.lowerBound + 1)–\(leaves.upperBound)) \(what): the tree was altered"
            )
        }
        var stored = Dictionary(uniqueKeysWithValues: levels.map { ($0.level, $0) })
        var level = 0
        while countedSize >> level > 0 || !stored.isEmpty {
            let expected = countedSize >> level
            let found = stored.removeValue(forKey: level)
            let count = found?.count ?? 0
            if count != expected || (count > 0 && (found?.first != 0 || found?.last != expected - 1)) {
                let index = count < expected ? count : expected
                let what = count < expected ? "is missing (\(count) of \(expected) nodes at this level)"
                    : "should not exist (\(count) nodes at this level, the log of \(countedSize) events needs \(expected))"
                return problem(MerkleTree.Node(level: level, index: found.map { $0.first != 0 ? 0 : index } ?? 0), what)
            }
            level += 1
        }
        // Every node against its children, a page of parents at a time: one statement reads the
        // page's parents and their children as two primary-key range scans (no probe per node),
        // and the hashes are paired here. The level counts above hold every index 0 … count − 1
        // present, so a child missing from a range is damage too. The rows come in no particular
        // order (they are placed by index). The LIMITs cut nothing (a range holds no more rows
        // than that); they keep the planner from starting parallel workers for every page, which
        // cost more than the page's reading.
        for level in stride(from: 1, to: levels.count, by: 1) {
            let count = size >> level
            var first: Int64 = 0
            while first < count {
                let last = min(first + Int64(pageSize), count) - 1
                let rows = try await EventStoreError.mapping {
                    try await connection.query(
                        """
                        (SELECT 1 AS parent, idx, hash FROM ledger.merkle_nodes
                         WHERE level = $1 AND idx BETWEEN $2 AND $3 LIMIT $3 - $2 + 1)
                        UNION ALL
                        (SELECT 0, idx, hash FROM ledger.merkle_nodes
                         WHERE level = $1 - 1 AND idx BETWEEN 2 * $2 AND 2 * $3 + 1 LIMIT 2 * ($3 - $2 + 1))
                        """, [level, first, last], resultFormat: .binary
                    ) { (parent: try $0.int32(0) == 1, index: try $0.int64(1), hash: try $0.byteArray(2)) }
                }
                var parents: [(index: Int64, hash: [UInt8])] = []
                parents.reserveCapacity(Int(last - first + 1))
                // children[k] is the node at index 2 × first + k of the level below.
                var children = [[UInt8]?](repeating: nil, count: 2 * Int(last - first + 1))
                for row in rows {
                    if row.parent { parents.append((row.index, row.hash)) } else { children[Int(row.index - 2 * first)] = row.hash }
                }
                parents.sort { $0.index < $1.index }
                for parent in parents {
                    let left = Int(2 * (parent.index - first))
                    guard let leftHash = children[left], let rightHash = children[left + 1],
                          MerkleTree.nodeHash(leftHash, rightHash) == parent.hash
                    else {
                        return problem(MerkleTree.Node(level: level, index: parent.index), "is not the hash of its two children")
                    }
                }
                first = last + 1
            }
        }
        return nil
    }
}

/// The outcome of `verifySince`: the events after the kept head checked like `verifyChain`, and
/// the consistency proof from the kept head's tree to the tree now.
public struct SinceVerification: Sendable, Equatable {
    public let chain: ChainVerification
    public let old: TreeHead
    public let newSize: Int64
    public let newRoot: [UInt8]
    /// The RFC 9162 consistency proof from the old tree to the new one (nil when a problem came first).
    public let consistencyPath: [[UInt8]]?
}

extension EventStore {
    /// An unsigned tree head of the log now (or at `size`), taken at `now`.
    public func treeHead(size: Int64? = nil, takenAtMicros: Int64) async throws -> TreeHead {
        let state = try await treeState(size: size)
        return TreeHead(treeSize: state.size, rootHash: EventHashing.hex(state.root), chainHash: EventHashing.hex(state.chainHash),
                        takenAtMicros: takenAtMicros)
    }

    /// What the database says against a kept tree head: nil when the stored tree of its size has
    /// its root and the chain its hash. Reads O(log n) nodes (no event).
    public func treeHeadProblem(_ head: TreeHead) async throws -> ChainProblem? {
        let last = try await digest().position
        guard head.treeSize <= last else {
            return ChainProblem(position: last + 1, kind: .digestBeyondHead,
                                message: "the tree head is of \(head.treeSize) events but the log ends at \(last): events were removed")
        }
        let state = try await treeState(size: head.treeSize)
        if EventHashing.hex(state.root) != head.rootHash {
            return ChainProblem(position: max(head.treeSize, 1), kind: .digestMismatch,
                                message: "the tree of the first \(head.treeSize) events no longer has the tree head's root: history up to it was rewritten")
        }
        if EventHashing.hex(state.chainHash) != head.chainHash {
            return ChainProblem(position: max(head.treeSize, 1), kind: .digestMismatch,
                                message: "the hash at position \(head.treeSize) is not the tree head's: history up to it was rewritten")
        }
        return nil
    }

    /// Checks that nothing up to a kept tree head changed without re-reading those events: the
    /// stored nodes that make the old tree must still give its root (its "frontier"), the chain's
    /// hash at its size must be its hash, the events after it are verified as `verifyChain` does
    /// (chain, command ids, leaves), the new tree's root is recomputed from the frontier and those
    /// leaves, and the consistency proof between the two trees must hold.
    public func verifySince(
        _ old: TreeHead, pageSize: Int = EventStore.defaultPageSize, progress: (@Sendable (Int64) -> Void)? = nil
    ) async throws -> SinceVerification {
        let size = old.treeSize
        func failed(_ chain: ChainVerification, _ newSize: Int64 = 0) -> SinceVerification {
            SinceVerification(chain: chain, old: old, newSize: newSize, newRoot: [], consistencyPath: nil)
        }
        let snapshot = try await headSnapshot()
        let head = Digest(position: snapshot.headPosition, hash: snapshot.headHash)
        func problem(_ problem: ChainProblem) -> SinceVerification {
            failed(ChainVerification(fromPosition: size + 1, throughPosition: head.position, eventsChecked: 0, head: head, problem: problem),
                   head.position)
        }
        if let mismatch = try await treeHeadProblem(old) { return problem(mismatch) }
        let frontierNodes = MerkleTree.cover(0 ..< size)
        let stored = try await storedNodes(Set(frontierNodes))
        let frontier = frontierNodes.compactMap { stored[$0] }
        guard frontier.count == frontierNodes.count else {
            return problem(ChainProblem(position: max(size, 1), kind: .treeMismatch, message: "the tree of \(size) events lacks a node"))
        }

        let chain = try await verifyChain(from: size + 1, pageSize: pageSize, progress: progress)
        guard chain.isIntact else { return failed(chain, chain.throughPosition) }
        let newSize = chain.throughPosition

        // The new root from the old frontier and the leaves after it (each just checked against its event).
        var builder = MerkleTree.Builder(size: size, frontier: frontier)
        var after = size - 1
        while builder.size < newSize {
            let leaves = try await EventStoreError.mapping {
                try await connection.query(
                    "SELECT idx, hash FROM ledger.merkle_nodes WHERE level = 0 AND idx > $1 AND idx < $2 ORDER BY idx LIMIT $3",
                    [after, newSize, pageSize], resultFormat: .binary
                ) { (index: try $0.int64(0), hash: try $0.byteArray(1)) }
            }
            guard let last = leaves.last else { break }
            for leaf in leaves where leaf.index == builder.size { builder.add(leafHash: leaf.hash) }
            after = last.index
        }
        let storedRoot = try await treeRoot(size: newSize)
        guard builder.size == newSize, builder.root == storedRoot else {
            return failed(ChainVerification(
                fromPosition: size + 1, throughPosition: newSize, eventsChecked: chain.eventsChecked, head: chain.head,
                problem: ChainProblem(position: size + 1, kind: .treeMismatch,
                                      message: "the stored tree of \(newSize) events is not the tree head's tree extended by the events after it: the tree was altered")
            ), newSize)
        }
        guard size > 0 else {
            return SinceVerification(chain: chain, old: old, newSize: newSize, newRoot: storedRoot, consistencyPath: [])
        }
        let path = try await consistencyProof(old: size, new: newSize)
        let oldRoot = EventHashing.bytes(hex: old.rootHash) ?? []
        guard MerkleTree.verifyConsistency(oldSize: size, newSize: newSize, oldRoot: oldRoot, newRoot: storedRoot, path: path) else {
            return failed(ChainVerification(
                fromPosition: size + 1, throughPosition: newSize, eventsChecked: chain.eventsChecked, head: chain.head,
                problem: ChainProblem(position: size, kind: .treeMismatch,
                                      message: "the consistency proof from \(size) to \(newSize) events does not hold: the tree was altered")
            ), newSize)
        }
        return SinceVerification(chain: chain, old: old, newSize: newSize, newRoot: storedRoot, consistencyPath: path)
    }
}
