import Crypto

/// RFC 9162 §2.1 Merkle tree hashing over the log (docs/audit.md, "Proofs"): the pure part —
/// hashes, which stored nodes a head or proof needs, and the RFC's verification algorithms.
///
/// The database keeps every complete perfect subtree (`ledger.merkle_nodes`, level 0 = leaves):
/// node (level, index) is the hash of leaves index·2^level ..< (index+1)·2^level. The hash of any
/// range that RFC 9162's recursion produces is a right-to-left fold of the perfect subtrees that
/// cover it, so a root or a proof needs O(log n) stored nodes, whatever n.
public enum MerkleTree {
    /// SHA-256 of nothing: the root of the empty tree.
    public static let emptyRoot: [UInt8] = Array(SHA256.hash(data: [UInt8]()))

    /// SHA-256(0x00 ‖ leaf input).
    public static func leafHash(_ input: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: input)
        return Array(hasher.finalize())
    }

    /// SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// A stored node: the perfect subtree over leaves index·2^level ..< (index+1)·2^level.
    public struct Node: Hashable, Sendable, CustomStringConvertible {
        public let level: Int
        public let index: Int64

        public init(level: Int, index: Int64) {
            self.level = level
            self.index = index
        }

        /// The leaves it covers.
        public var leaves: Range<Int64> { (index << level) ..< ((index + 1) << level) }

        public var description: String { "level \(level), index \(index)" }
    }

    /// The perfect subtrees that cover `range`, largest first: from the start, each time the
    /// largest aligned block that fits. For the ranges of RFC 9162's recursion (a range that
    /// starts on a multiple of a power of two at least its length) the blocks shrink left to
    /// right, and the range's hash is their right-to-left fold.
    public static func cover(_ range: Range<Int64>) -> [Node] {
        var nodes: [Node] = []
        var start = range.lowerBound
        while start < range.upperBound {
            var level = 0
            while level < 62 {
                let size = Int64(1) << (level + 1)
                if start % size != 0 || start + size > range.upperBound { break }
                level += 1
            }
            nodes.append(Node(level: level, index: start >> level))
            start += Int64(1) << level
        }
        return nodes
    }

    /// MTH of `range` from the hashes of `cover(range)`.
    public static func hash(of range: Range<Int64>, nodes: [Node: [UInt8]]) throws -> [UInt8] {
        guard !range.isEmpty else { return emptyRoot }
        let blocks = cover(range)
        guard var hash = nodes[blocks[blocks.count - 1]] else { throw MissingNode(node: blocks[blocks.count - 1]) }
        for block in blocks.dropLast().reversed() {
            guard let left = nodes[block] else { throw MissingNode(node: block) }
            hash = nodeHash(left, hash)
        }
        return hash
    }

    /// A node a computation needed and the store did not have.
    public struct MissingNode: Error, Sendable, CustomStringConvertible {
        public let node: Node
        public var description: String { "the Merkle tree has no node at \(node) (leaves \(node.leaves.lowerBound)–\(node.leaves.upperBound - 1))" }
    }

    /// The largest power of two smaller than `n` (n ≥ 2): RFC 9162's split point.
    static func split(_ n: Int64) -> Int64 {
        var k: Int64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// The ranges whose hashes form the inclusion path of leaf `index` in the tree of `size`
    /// leaves, in RFC 9162 §2.1.3.1's order (the deepest sibling first).
    public static func inclusionRanges(index: Int64, size: Int64) -> [Range<Int64>] {
        precondition(index >= 0 && index < size, "leaf index outside the tree")
        var ranges: [Range<Int64>] = []
        var low: Int64 = 0
        var high = size
        while high - low > 1 {
            let k = split(high - low)
            if index < low + k {
                ranges.append((low + k) ..< high)
                high = low + k
            } else {
                ranges.append(low ..< (low + k))
                low += k
            }
        }
        return ranges.reversed()
    }

    /// The ranges whose hashes form the consistency proof from the tree of `old` leaves to the tree
    /// of `new` leaves, in RFC 9162 §2.1.4.1's order (0 < old ≤ new).
    public static func consistencyRanges(old: Int64, new: Int64) -> [Range<Int64>] {
        precondition(old > 0 && old <= new, "a consistency proof needs 0 < old ≤ new")
        // SUBPROOF(m, D[low:high], b), written as a loop: each step adds one range, and the
        // recursion's results come out deepest first.
        var ranges: [Range<Int64>] = []
        var m = old
        var low: Int64 = 0
        var high = new
        var complete = true
        while true {
            let n = high - low
            if m == n {
                if !complete { ranges.append(low ..< high) }
                break
            }
            let k = split(n)
            if m <= k {
                ranges.append((low + k) ..< high)
                high = low + k
            } else {
                ranges.append(low ..< (low + k))
                low += k
                m -= k
                complete = false
            }
        }
        return ranges.reversed()
    }

    /// RFC 9162 §2.1.3.2: the root an inclusion path leads to from `leafHash` at `index` in a tree
    /// of `size` leaves; nil when the path has the wrong length for that index and size.
    public static func root(fromInclusion path: [[UInt8]], leafHash: [UInt8], index: Int64, size: Int64) -> [UInt8]? {
        guard index >= 0, index < size else { return nil }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in path {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// RFC 9162 §2.1.4.2: whether `path` proves that the tree of `oldSize` leaves with `oldRoot` is
    /// a prefix of the tree of `newSize` leaves with `newRoot`.
    public static func verifyConsistency(
        oldSize: Int64, newSize: Int64, oldRoot: [UInt8], newRoot: [UInt8], path: [[UInt8]]
    ) -> Bool {
        guard oldSize > 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return path.isEmpty && oldRoot == newRoot }
        guard !path.isEmpty else { return false }
        var proof = path
        // A power of two: the old root is the proof's implicit first element.
        if oldSize & (oldSize - 1) == 0 { proof.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = proof[0]
        var sr = proof[0]
        for c in proof.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }

    /// Builds the tree from leaf hashes in order, keeping one hash per level (O(log n) memory):
    /// every complete node as it is completed, and the root of what was added so far.
    public struct Builder: Sendable {
        /// stack[i]: the pending perfect subtree of level levels[i].
        private var stack: [(level: Int, hash: [UInt8])] = []
        public private(set) var size: Int64 = 0

        public init() {}

        /// A builder that continues the tree of `size` leaves from its frontier: the hashes of
        /// `cover(0 ..< size)`, largest first (what a kept tree head's size needs).
        public init(size: Int64, frontier: [[UInt8]]) {
            let nodes = MerkleTree.cover(0 ..< size)
            precondition(nodes.count == frontier.count, "the frontier of \(size) leaves has \(nodes.count) nodes")
            stack = zip(nodes, frontier).map { ($0.level, $1) }
            self.size = size
        }

        /// Adds the next leaf; `completed` sees every node finished by it (the leaf first, then
        /// its parents upwards).
        public mutating func add(leafHash: [UInt8], completed: (Node, [UInt8]) -> Void = { _, _ in }) {
            var node = Node(level: 0, index: size)
            var hash = leafHash
            completed(node, hash)
            while let last = stack.last, last.level == node.level {
                stack.removeLast()
                hash = MerkleTree.nodeHash(last.hash, hash)
                node = Node(level: node.level + 1, index: node.index >> 1)
                completed(node, hash)
            }
            stack.append((node.level, hash))
            size += 1
        }

        /// The root of the tree of every leaf added so far.
        public var root: [UInt8] {
            guard var hash = stack.last?.hash else { return MerkleTree.emptyRoot }
            for pending in stack.dropLast().reversed() { hash = MerkleTree.nodeHash(pending.hash, hash) }
            return hash
        }
    }
}
