@testable import EventStore
import Foundation
import Testing

/// The tree head file (`ledger-tree-head-v1`, spec in docs/audit.md): the signed message byte for
/// byte, the file's exact text, reading it back, old digest files, and every refusal naming its key.
struct TreeHeadTests {
    static let root = "5d4e7b2ab0b0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9ba"
    static let chain = "42ec415c07c792d37624c92d73bc88aed9913cf4401158b994dbcb2164fd6c1d"
    static let signatureValue = Data([0xfb, 0xff, 0xbf] + (3..<64).map { UInt8($0 * 3 % 256) }).base64EncodedString()
    static let keyID = String(repeating: "ab", count: 32)

    static let head = TreeHead(treeSize: 3, rootHash: root, chainHash: chain, takenAtMicros: 1_796_630_645_123_456)
    static let signedHead = TreeHead(
        treeSize: 3, rootHash: root, chainHash: chain, takenAtMicros: 1_796_630_645_123_456,
        signature: TreeHead.Signature(algorithm: "Ed25519", keyID: keyID, value: signatureValue)
    )

    @Test func theSignedMessageIsFiveLinesWithoutATrailingNewline() {
        let expected = "ledger-tree-head-v1\n3\n\(Self.root)\n\(Self.chain)\n1796630645123456"
        #expect(Self.head.signedMessage == Array(expected.utf8))
        #expect(Self.head.signedMessage.count == 19 + 1 + 1 + 1 + 64 + 1 + 64 + 1 + 16)
        #expect(Self.head.signedMessage.last != 10)
        // The signature is not part of what is signed.
        #expect(Self.signedHead.signedMessage == Self.head.signedMessage)
        let empty = TreeHead(treeSize: 0, rootHash: String(repeating: "e", count: 64), chainHash: String(repeating: "0", count: 64), takenAtMicros: 0)
        #expect(String(decoding: empty.signedMessage, as: UTF8.self)
            == "ledger-tree-head-v1\n0\n\(String(repeating: "e", count: 64))\n\(String(repeating: "0", count: 64))\n0")
        #expect(Self.head.digest == Digest(position: 3, hash: Self.chain))
    }

    @Test func theFileIsTheSpecsJSONWithSortedKeysAndAFinalNewline() throws {
        let text = try TreeHeadFile.render(Self.signedHead)
        #expect(text == """
            {
              "format" : "ledger-tree-head-v1",
              "hash" : "\(Self.chain)",
              "position" : 3,
              "root_hash" : "\(Self.root)",
              "signature" : {
                "algorithm" : "Ed25519",
                "key_id" : "\(Self.keyID)",
                "value" : "\(Self.signatureValue)"
              },
              "taken_at" : "2026-12-07T15:04:05.123456+07:00",
              "taken_at_micros" : 1796630645123456,
              "tree_size" : 3
            }

            """)
        #expect(Self.signatureValue.hasPrefix("+/+/"), "the sample signature shows slashes are not escaped")
        let unsigned = try TreeHeadFile.render(Self.head)
        #expect(!unsigned.contains("signature"))
        #expect(unsigned.hasSuffix("}\n"))
    }

    @Test(arguments: [head, signedHead, TreeHead(treeSize: 0, rootHash: String(repeating: "e", count: 64), chainHash: String(repeating: "0", count: 64), takenAtMicros: 0)])
    func aRenderedHeadReadsBackAsItWas(head: TreeHead) throws {
        let text = try TreeHeadFile.render(head)
        let kept = try TreeHeadFile.parse(Data(text.utf8))
        #expect(kept == .tree(head))
        #expect(kept.treeHead == head)
        #expect(kept.digest == head.digest)
        // Old readers of digest files read the position and hash of a tree head file.
        #expect(try DigestFile.parse(Data(text.utf8)) == head.digest)
    }

    @Test func anOldDigestFileReadsAsAChainOnlyDigest() throws {
        let digest = Digest(position: 42, hash: Self.chain)
        let text = try DigestFile.render(digest)
        #expect(try TreeHeadFile.parse(Data(text.utf8)) == .chainOnly(digest))
        #expect(try TreeHeadFile.parse(Data(text.utf8)).treeHead == nil)
        // As DigestFile always read them: taken_at optional, uppercase hex accepted, other keys ignored.
        let bare = #"{"position": 7, "hash": "\#(Self.chain.uppercased())", "note": "kept in the safe"}"#
        #expect(try TreeHeadFile.parse(Data(bare.utf8)) == .chainOnly(Digest(position: 7, hash: Self.chain)))
        #expect(try TreeHeadFile.parse(Data(bare.utf8)).digest == (try DigestFile.parse(Data(bare.utf8))))
    }

    /// The signed head's file as (key, JSON value) pairs, with some replaced, removed or added.
    static func document(_ changes: [String: String?] = [:], extra: [(String, String)] = []) -> String {
        var pairs: [(String, String)] = [
            ("format", #""ledger-tree-head-v1""#), ("hash", "\"\(chain)\""), ("position", "3"), ("root_hash", "\"\(root)\""),
            ("signature", #"{"algorithm": "Ed25519", "key_id": "\#(keyID)", "value": "\#(signatureValue)"}"#),
            ("taken_at", #""2026-12-07T15:04:05.123456+07:00""#), ("taken_at_micros", "1796630645123456"), ("tree_size", "3"),
        ]
        pairs = pairs.compactMap { key, value in
            guard let change = changes[key] else { return (key, value) }
            return change.map { (key, $0) }
        }
        pairs += extra
        return "{" + pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func signature(_ algorithm: String = #""Ed25519""#, keyID: String = "\"\(keyID)\"", value: String = "\"\(signatureValue)\"") -> String {
        #"{"algorithm": \#(algorithm), "key_id": \#(keyID), "value": \#(value)}"#
    }

    @Test func theTestDocumentIsValidAsItIs() throws {
        #expect(try TreeHeadFile.parse(Data(Self.document().utf8)) == .tree(Self.signedHead))
    }

    static let refusals: [(text: String, key: String)] = [
        (document(["format": #""ledger-tree-head-v2""#]), "format"),
        (document(["format": "1"]), "format"),
        (document(["tree_size": nil]), "tree_size"),
        (document(["tree_size": "-1", "position": "-1"]), "tree_size"),
        (document(["tree_size": #""3""#]), "tree_size"),
        (document(["tree_size": "3.5"]), "tree_size"),
        (document(["tree_size": "3e0"]), "tree_size"),
        (document(["position": "4"]), "position"),
        (document(["position": nil]), "position"),
        (document(["root_hash": #""xyz""#]), "root_hash"),
        (document(["root_hash": "\"\(root.uppercased())\""]), "root_hash"),
        (document(["root_hash": "\"\(root.dropLast())\""]), "root_hash"),
        (document(["root_hash": "\"\(root)00\""]), "root_hash"),
        (document(["root_hash": nil]), "root_hash"),
        (document(["root_hash": "null"]), "root_hash"),
        (document(["hash": "\"\(String(repeating: "g", count: 64))\""]), "hash"),
        (document(["hash": nil]), "hash"),
        (document(["taken_at_micros": nil]), "taken_at_micros"),
        (document(["taken_at_micros": #""1796630645123456""#]), "taken_at_micros"),
        (document(["taken_at_micros": "-5"]), "taken_at_micros"),
        (document(["taken_at": #""2026-12-07T15:04:06.123456+07:00""#]), "taken_at"),
        (document(["taken_at": nil]), "taken_at"),
        (document(["signature": signature(#""RSA""#)]), "signature.algorithm"),
        (document(["signature": signature(#""ed25519""#)]), "signature.algorithm"),
        (document(["signature": signature("7")]), "signature.algorithm"),
        (document(["signature": signature(keyID: #""abc""#)]), "signature.key_id"),
        (document(["signature": signature(keyID: "\"\(keyID.uppercased())\"")]), "signature.key_id"),
        (document(["signature": signature(value: #""not base64!""#)]), "signature.value"),
        (document(["signature": signature(value: "\"\(Data(count: 63).base64EncodedString())\"")]), "signature.value"),
        (document(["signature": signature(value: "\"\(Data(count: 65).base64EncodedString())\"")]), "signature.value"),
        (document(["signature": signature(value: "\"\(signatureValue.dropLast(2))\"")]), "signature.value"),
        (document(["signature": #"{"algorithm": "Ed25519", "key_id": "\#(keyID)"}"#]), "signature.value"),
        (document(["signature": #"{"algorithm": "Ed25519", "key_id": "\#(keyID)", "value": "\#(signatureValue)", "by": "me"}"#]), "signature.by"),
        (document(["signature": #""signed""#]), "signature"),
        (document(["signature": "null"]), "signature"),
        (document(extra: [("comment", #""hello""#)]), "comment"),
        (document(extra: [("root_hash", "\"\(String(repeating: "0", count: 64))\"")]), "root_hash"),
        (document(["format": nil]), "format"),
    ]

    @Test(arguments: refusals)
    func aMalformedTreeHeadIsRefusedNamingTheKey(text: String, key: String) throws {
        do {
            let kept = try TreeHeadFile.parse(Data(text.utf8))
            Issue.record("accepted \(text) as \(kept)")
        } catch let error as DigestFile.Unreadable {
            #expect(error.description.hasPrefix("\(key):"), "\(error.description) — for \(text)")
        }
    }

    static let oldRefusals: [(text: String, mentions: String)] = [
        ("this is not json", "not a digest file"),
        ("", "not a digest file"),
        ("[1, 2]", "not a digest file"),
        (#"{"position": 1}"#, "not a digest file"),
        (#"{"position": -1, "hash": "\#(String(repeating: "0", count: 64))"}"#, "position"),
        (#"{"position": 1, "hash": "xyz"}"#, "hash"),
        (#"{"position": 1, "hash": "\#(String(repeating: "g", count: 64))"}"#, "hash"),
        (#"{"position": 1.5, "hash": "\#(String(repeating: "0", count: 64))"}"#, "position"),
    ]

    /// Old digest files are refused as `DigestFile.parse` refuses them.
    @Test(arguments: oldRefusals)
    func aMalformedOldDigestIsRefusedAsBefore(text: String, mentions: String) throws {
        do {
            let kept = try TreeHeadFile.parse(Data(text.utf8))
            Issue.record("accepted \(text) as \(kept)")
        } catch let error as DigestFile.Unreadable {
            #expect(error.description.contains(mentions), "\(error.description) — for \(text)")
        }
    }

    @Test func renderRefusesAHeadItCouldNotReadBack() {
        var bad = Self.head
        bad.rootHash = "xyz"
        #expect(throws: DigestFile.Unreadable.self) { try TreeHeadFile.render(bad) }
        var unknown = Self.signedHead
        unknown.signature?.algorithm = "RSA"
        #expect(throws: DigestFile.Unreadable.self) { try TreeHeadFile.render(unknown) }
    }
}
