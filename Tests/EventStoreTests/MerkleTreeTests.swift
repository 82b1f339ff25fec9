import EventStore
import Testing

/// RFC 9162 §2.1 hashing, proofs and their verification, against a plain recursive reading of the
/// RFC written here (MTH, PATH, PROOF as the RFC states them), for every tree up to 64 leaves.
struct MerkleTreeTests {
    /// The test vectors of RFC 9162's reference implementations (certificate-transparency): eight
    /// leaf inputs and the roots of the trees of their first 1 … 8.
    static let vectorLeaves: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        Array(0x50...0x57), Array(0x60...0x6f),
    ]
    static let vectorRoots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    // MARK: The RFC, read literally

    static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    static func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.isEmpty { return MerkleTree.emptyRoot }
        if leaves.count == 1 { return leaves.first! }
        let split = leaves.startIndex + k(leaves.count)
        return MerkleTree.nodeHash(mth(leaves[..<split]), mth(leaves[split...]))
    }

    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        if leaves.count == 1 { return [] }
        let kk = k(leaves.count)
        let split = leaves.startIndex + kk
        if m < kk { return path(m, leaves[..<split]) + [mth(leaves[split...])] }
        return path(m - kk, leaves[split...]) + [mth(leaves[..<split])]
    }

    static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        if m == leaves.count { return b ? [] : [mth(leaves)] }
        let kk = k(leaves.count)
        let split = leaves.startIndex + kk
        if m <= kk { return subproof(m, leaves[..<split], b) + [mth(leaves[split...])] }
        return subproof(m - kk, leaves[split...], false) + [mth(leaves[..<split])]
    }

    /// Leaf hashes of 64 made-up leaves, and every stored node of their tree (as the database keeps them).
    static func tree(_ count: Int) -> (leaves: [[UInt8]], nodes: [MerkleTree.Node: [UInt8]]) {
        var builder = MerkleTree.Builder()
        var nodes: [MerkleTree.Node: [UInt8]] = [:]
        let leaves = (0..<count).map { MerkleTree.leafHash(Array("leaf \($0)".utf8)) }
        for leaf in leaves { builder.add(leafHash: leaf) { nodes[$0] = $1 } }
        return (leaves, nodes)
    }

    // MARK: Tests

    @Test func theRFCTestVectorsGiveTheirRoots() throws {
        for size in 1...8 {
            var builder = MerkleTree.Builder()
            var nodes: [MerkleTree.Node: [UInt8]] = [:]
            for leaf in Self.vectorLeaves.prefix(size) { builder.add(leafHash: MerkleTree.leafHash(leaf)) { nodes[$0] = $1 } }
            #expect(EventHashing.hex(builder.root) == Self.vectorRoots[size - 1], "size \(size)")
            #expect(EventHashing.hex(try MerkleTree.hash(of: 0 ..< Int64(size), nodes: nodes)) == Self.vectorRoots[size - 1])
        }
        #expect(EventHashing.hex(MerkleTree.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(EventHashing.hex(MerkleTree.Builder().root) == EventHashing.hex(MerkleTree.emptyRoot))
    }

    @Test func everyRootFromStoredNodesIsTheRFCsRoot() throws {
        let (leaves, nodes) = Self.tree(64)
        for size in 0...64 {
            #expect(try MerkleTree.hash(of: 0 ..< Int64(size), nodes: nodes) == Self.mth(leaves[0..<size]), "size \(size)")
            // O(log n): at most one stored node per bit of the size.
            #expect(MerkleTree.cover(0 ..< Int64(size)).count == size.nonzeroBitCount)
        }
    }

    @Test func inclusionProofsAtEverySizeUpTo64AreTheRFCsAndVerify() throws {
        let (leaves, nodes) = Self.tree(64)
        for size in 1...64 {
            let root = Self.mth(leaves[0..<size])
            for index in 0..<size {
                let ranges = MerkleTree.inclusionRanges(index: Int64(index), size: Int64(size))
                let proof = try ranges.map { try MerkleTree.hash(of: $0, nodes: nodes) }
                #expect(proof == Self.path(index, leaves[0..<size]), "index \(index) of \(size)")
                #expect(MerkleTree.root(fromInclusion: proof, leafHash: leaves[index], index: Int64(index), size: Int64(size)) == root)
                // Any other leaf, a changed sibling, or another size does not lead to the root.
                let other = leaves[(index + 1) % 64]
                #expect(MerkleTree.root(fromInclusion: proof, leafHash: other, index: Int64(index), size: Int64(size)) != root)
                if !proof.isEmpty {
                    var changed = proof
                    changed[changed.count / 2][0] ^= 1
                    #expect(MerkleTree.root(fromInclusion: changed, leafHash: leaves[index], index: Int64(index), size: Int64(size)) != root)
                }
                if size < 64, index < size {
                    #expect(MerkleTree.root(fromInclusion: proof, leafHash: leaves[index], index: Int64(index), size: Int64(size + 1))
                            != Self.mth(leaves[0...size]))
                }
            }
        }
    }

    @Test func consistencyProofsForEveryPairUpTo64AreTheRFCsAndVerify() throws {
        let (leaves, nodes) = Self.tree(64)
        let roots = (0...64).map { Self.mth(leaves[0..<$0]) }
        for new in 1...64 {
            for old in 1...new {
                let ranges = MerkleTree.consistencyRanges(old: Int64(old), new: Int64(new))
                let proof = try ranges.map { try MerkleTree.hash(of: $0, nodes: nodes) }
                #expect(proof == Self.subproof(old, leaves[0..<new], true), "\(old) → \(new)")
                #expect(MerkleTree.verifyConsistency(oldSize: Int64(old), newSize: Int64(new), oldRoot: roots[old], newRoot: roots[new], path: proof))
                if old < new {
                    // Another old tree (a rewritten history of the same size) is not consistent.
                    var rewritten = Array(leaves[0..<old])
                    rewritten[old - 1] = MerkleTree.leafHash([0xff])
                    #expect(!MerkleTree.verifyConsistency(oldSize: Int64(old), newSize: Int64(new), oldRoot: Self.mth(rewritten[...]),
                                                          newRoot: roots[new], path: proof))
                    var changed = proof
                    changed[0][31] ^= 1
                    #expect(!MerkleTree.verifyConsistency(oldSize: Int64(old), newSize: Int64(new), oldRoot: roots[old], newRoot: roots[new], path: changed))
                    #expect(!MerkleTree.verifyConsistency(oldSize: Int64(old), newSize: Int64(new), oldRoot: roots[old], newRoot: roots[new], path: []))
                }
            }
        }
    }

    @Test func theBuilderReportsEveryCompleteNodeOnce() {
        var builder = MerkleTree.Builder()
        var seen: [MerkleTree.Node] = []
        for index in 0..<13 { builder.add(leafHash: MerkleTree.leafHash([UInt8(index)])) { node, _ in seen.append(node) } }
        // 13 leaves: 13 + 6 + 3 + 1 complete nodes.
        #expect(seen.count == 23)
        #expect(Set(seen).count == 23)
        #expect(seen.contains(MerkleTree.Node(level: 3, index: 0)))
        #expect(!seen.contains(MerkleTree.Node(level: 3, index: 1)))
    }
}
