import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Tree heads, inclusion and consistency proofs and receipts over HTTP (`GET /api/v1/audit/...`),
/// against a running `ledger serve` on a real PostgreSQL: what an auditor gets verifies with the
/// library's RFC 9162 checks and with the independent scripts/verify-proof; a service started with
/// `--sign-key` signs its heads and gives receipts, one without gives unsigned heads and refuses
/// receipts (409 `signing_key_required`); anyone but an auditor gets 403; bad parameters are named.
@Suite(.enabled(if: TestDatabase.enabled))
struct ProofRouteTests {
    @Test func anAuditorGetsSignedHeadsProofsAndReceiptsThatVerify() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let auditor = try await People.add(db, role: "auditor")
            let head = try await People.head(db)
            #expect(head >= 4)
            let store = EventStore(connection: try await db.connect())
            try await withScratchFolder { folder in
                let key = folder.appendingPathComponent("tree.key").path
                try TreeSigningKey.generate().write(path: key)
                let other = folder.appendingPathComponent("other.key").path
                try TreeSigningKey.generate().write(path: other)
                let publicKey = try TreeVerifyingKey.read(path: key + ".pub")
                func save(_ result: HTTPResult, _ name: String) throws -> String {
                    let file = folder.appendingPathComponent(name)
                    try result.body.write(to: file)
                    return file.path
                }

                try await RunningService.with(db, arguments: ["--sign-key", key]) { service in
                    #expect(service.log.contains(publicKey.keyID), "the start says which key signs: \(service.log)")
                    let token = try await service.signIn(auditor.user, auditor.password)

                    // The digest is the tree head now, signed; old readers still find position and hash.
                    let digest = try await service.request("GET", "/api/v1/audit/digest", token: token)
                    #expect(digest.status == 200, "\(digest)")
                    #expect(digest.json["format"] as? String == "ledger-tree-head-v1" && digest.json["position"] as? Int == Int(head), "\(digest)")
                    #expect((digest.json["hash"] as? String)?.count == 64, "\(digest)")
                    let digestHead = try #require(try TreeHeadFile.parse(digest.body).treeHead, "\(digest)")
                    let rootNow = EventHashing.hex(try await store.treeRoot(size: head))
                    #expect(digestHead.rootHash == rootNow, "\(digest)")
                    #expect(publicKey.check(digestHead) == .valid, "\(digest)")
                    #expect(digest.text == (try TreeHeadFile.render(digestHead)), "the file `ledger audit digest` writes")
                    let digestFile = try save(digest, "digest.json")
                    let verified = try await People.ledger(db, ["audit", "verify", "--digest", digestFile, "--public-key", key + ".pub"])
                    #expect(verified.stdout.contains("matches"), "\(verified)")
                    try await Self.verifyProof(digestFile, publicKey: key + ".pub")
                    // The auditor's page downloads the same file, signed too.
                    let page = try await service.request("GET", "/audit/digest", headers: ["Cookie": "ledger_session=\(token)"])
                    #expect(page.status == 200, "\(page)")
                    let pageHead = try #require(try TreeHeadFile.parse(page.body).treeHead, "\(page)")
                    #expect(pageHead.treeSize == head && pageHead.rootHash == rootNow && publicKey.check(pageHead) == .valid, "\(page)")

                    // Heads at every size.
                    for size in 0 ... head {
                        let answer = try await service.request("GET", "/api/v1/audit/tree-head?tree_size=\(size)", token: token)
                        #expect(answer.status == 200, "\(size): \(answer)")
                        let parsed = try #require(try TreeHeadFile.parse(answer.body).treeHead, "\(answer)")
                        let root = EventHashing.hex(try await store.treeRoot(size: size))
                        #expect(parsed.treeSize == size && parsed.rootHash == root, "\(answer)")
                        #expect(publicKey.check(parsed) == .valid, "\(answer)")
                        #expect(answer.headers["content-disposition"] == "attachment; filename=\"ledger-tree-head-\(size).json\"", "\(answer)")
                    }
                    let now = try await service.request("GET", "/api/v1/audit/tree-head", token: token)
                    #expect(now.json["tree_size"] as? Int == Int(head) && now.json["root_hash"] as? String == digestHead.rootHash, "\(now)")

                    // An inclusion proof of every event, in the tree now and in the smallest tree that holds it.
                    for position in 1 ... head {
                        for size in Set([position, head]).sorted() {
                            let answer = try await service.request(
                                "GET", "/api/v1/audit/proofs/inclusion?position=\(position)&tree_size=\(size)", token: token)
                            #expect(answer.status == 200, "\(position) in \(size): \(answer)")
                            try Self.checkInclusion(answer, position: position, size: size, key: publicKey)
                        }
                    }
                    let proof = try await service.request("GET", "/api/v1/audit/proofs/inclusion?position=2", token: token)
                    try Self.checkInclusion(proof, position: 2, size: head, key: publicKey)
                    try await Self.verifyProof(try save(proof, "inclusion.json"), publicKey: key + ".pub")
                    try await Self.verifyProof(try save(proof, "inclusion-other.json"), publicKey: other + ".pub", expecting: 1)

                    // By payment id and by stream and version: the same event.
                    let paymentPosition = try #require(try await store.paymentPosition("P-2"))
                    let byPayment = try await service.request("GET", "/api/v1/audit/proofs/inclusion?payment_id=P-2", token: token)
                    try Self.checkInclusion(byPayment, position: paymentPosition, size: head, key: publicKey)
                    let event = try #require(byPayment.json["event"] as? [String: Any])
                    let stream = try #require(event["stream_id"] as? String), version = try #require(event["stream_version"] as? Int)
                    let byStream = try await service.request(
                        "GET", "/api/v1/audit/proofs/inclusion?stream_id=\(stream)&version=\(version)&tree_size=\(head)", token: token)
                    try Self.checkInclusion(byStream, position: paymentPosition, size: head, key: publicKey)

                    // Consistency from every older size to the tree now (and one between two older sizes).
                    for old in 1 ... head {
                        let answer = try await service.request("GET", "/api/v1/audit/proofs/consistency?old_size=\(old)", token: token)
                        #expect(answer.status == 200, "\(old): \(answer)")
                        try Self.checkConsistency(answer, old: old, new: head, key: publicKey)
                    }
                    let between = try await service.request("GET", "/api/v1/audit/proofs/consistency?old_size=1&new_size=\(head - 1)", token: token)
                    try Self.checkConsistency(between, old: 1, new: head - 1, key: publicKey)
                    #expect(between.headers["content-disposition"] == "attachment; filename=\"ledger-consistency-1-\(head - 1).json\"", "\(between)")
                    try await Self.verifyProof(try save(between, "consistency.json"), publicKey: key + ".pub")

                    // A payment's receipt, signed: an inspector checks it with the public key alone.
                    let receipt = try await service.request("GET", "/api/v1/audit/receipts/P-1", token: token)
                    #expect(receipt.status == 200, "\(receipt)")
                    #expect(receipt.json["format"] as? String == "ledger-receipt-v1" && receipt.json["payment_id"] as? String == "P-1", "\(receipt)")
                    #expect((receipt.json["event"] as? [String: Any])?["event_type"] as? String == "PaymentRecorded", "\(receipt)")
                    #expect(receipt.headers["content-disposition"] == "attachment; filename=\"ledger-receipt-P-1.json\"", "\(receipt)")
                    try Self.checkInclusion(receipt, position: try #require(try await store.paymentPosition("P-1")), size: head, key: publicKey)
                    let receiptFile = try save(receipt, "receipt.json")
                    let checked = try await Self.verifyProof(receiptFile, publicKey: key + ".pub")
                    #expect(checked.contains("signature"), "\(checked)")
                    try await Self.verifyProof(receiptFile, publicKey: other + ".pub", expecting: 1)
                    let unknown = try await service.request("GET", "/api/v1/audit/receipts/P-9", token: token)
                    #expect(unknown.status == 404 && unknown.problemField == "payment_id", "\(unknown)")
                    let malformed = try await service.request("GET", "/api/v1/audit/receipts/P%201", token: token)
                    #expect(malformed.status == 400 && malformed.problemField == "payment_id", "\(malformed)")
                    let withQuery = try await service.request("GET", "/api/v1/audit/receipts/P-1?tree_size=1", token: token)
                    #expect(withQuery.status == 400 && withQuery.problemField == "tree_size", "\(withQuery)")
                }
            }
            await store.connection.close()
        }
    }

    @Test func withoutASigningKeyHeadsAreUnsignedAndReceiptsAreRefused() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let auditor = try await People.add(db, role: "auditor")
            let head = try await People.head(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(auditor.user, auditor.password)
                for path in ["/api/v1/audit/digest", "/api/v1/audit/tree-head"] {
                    let answer = try await service.request("GET", path, token: token)
                    #expect(answer.status == 200 && answer.json["tree_size"] as? Int == Int(head), "\(path): \(answer)")
                    #expect(answer.json["signature"] == nil, "\(path): \(answer)")
                }
                let proof = try await service.request("GET", "/api/v1/audit/proofs/inclusion?payment_id=P-1", token: token)
                #expect(proof.status == 200 && proof.json["tree_head"].map { ($0 as? [String: Any])?["signature"] == nil } == true, "\(proof)")
                try await withScratchFolder { folder in
                    let file = folder.appendingPathComponent("proof.json")
                    try proof.body.write(to: file)
                    try await Self.verifyProof(file.path, publicKey: nil)
                }
                let receipt = try await service.request("GET", "/api/v1/audit/receipts/P-1", token: token)
                #expect(receipt.status == 409 && receipt.json["code"] as? String == "signing_key_required", "\(receipt)")
                #expect((receipt.json["detail"] as? String)?.contains("ledger serve --sign-key") == true, "\(receipt)")
                #expect(receipt.headers["content-type"]?.hasPrefix("application/problem+json") == true, "\(receipt)")
            }
        }
    }

    @Test func onlyAuditorsGetProofsAndBadParametersAreNamed() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let auditor = try await People.add(db, role: "auditor")
            let officer = try await People.add(db, role: "officer")
            let head = try await People.head(db)
            try await RunningService.with(db) { service in
                let officerToken = try await service.signIn(officer.user, officer.password)
                for path in ["/api/v1/audit/tree-head", "/api/v1/audit/proofs/inclusion?position=1", "/api/v1/audit/proofs/consistency?old_size=1",
                             "/api/v1/audit/receipts/P-1"] {
                    let refused = try await service.request("GET", path, token: officerToken)
                    #expect(refused.status == 403 && refused.json["code"] as? String == "permission_denied", "\(path): \(refused)")
                    #expect(!refused.text.contains("PaymentRecorded"), "\(path): \(refused)")
                    let anonymous = try await service.request("GET", path)
                    #expect(anonymous.status == 401, "\(path): \(anonymous)")
                }

                let token = try await service.signIn(auditor.user, auditor.password)
                let beyond = head + 1
                for (path, status, field) in [
                    ("/api/v1/audit/tree-head?tree_size=abc", 400, "tree_size"),
                    ("/api/v1/audit/tree-head?tree_size=-1", 400, "tree_size"),
                    ("/api/v1/audit/tree-head?tree_size=\(beyond)", 422, "tree_size"),
                    ("/api/v1/audit/tree-head?size=3", 400, "size"),
                    ("/api/v1/audit/proofs/inclusion", 400, "position"),
                    ("/api/v1/audit/proofs/inclusion?position=0", 400, "position"),
                    ("/api/v1/audit/proofs/inclusion?position=x", 400, "position"),
                    ("/api/v1/audit/proofs/inclusion?position=\(beyond)", 422, "position"),
                    ("/api/v1/audit/proofs/inclusion?position=3&tree_size=2", 422, "tree_size"),
                    ("/api/v1/audit/proofs/inclusion?position=1&tree_size=\(beyond)", 422, "tree_size"),
                    ("/api/v1/audit/proofs/inclusion?position=1&tree_size=0", 400, "tree_size"),
                    ("/api/v1/audit/proofs/inclusion?position=1&payment_id=P-1", 400, "position"),
                    ("/api/v1/audit/proofs/inclusion?position=1&version=1", 400, "version"),
                    ("/api/v1/audit/proofs/inclusion?payment_id=P-9", 404, "payment_id"),
                    ("/api/v1/audit/proofs/inclusion?payment_id=P%201", 400, "payment_id"),
                    ("/api/v1/audit/proofs/inclusion?stream_id=payment-P-9&version=1", 404, "stream_id"),
                    ("/api/v1/audit/proofs/inclusion?stream_id=application-A-1", 400, "version"),
                    ("/api/v1/audit/proofs/inclusion?stream_id=application-A-1&version=0", 400, "version"),
                    ("/api/v1/audit/proofs/consistency", 400, "old_size"),
                    ("/api/v1/audit/proofs/consistency?old_size=0", 400, "old_size"),
                    ("/api/v1/audit/proofs/consistency?old_size=3&new_size=2", 422, "old_size"),
                    ("/api/v1/audit/proofs/consistency?old_size=1&new_size=\(beyond)", 422, "new_size"),
                    ("/api/v1/audit/proofs/consistency?old_size=\(beyond)", 422, "old_size"),
                    ("/api/v1/audit/proofs/consistency?old_size=1&new_size=z", 400, "new_size"),
                ] {
                    let bad = try await service.request("GET", path, token: token)
                    #expect(bad.status == status && bad.problemField == field, "\(path): \(bad)")
                    #expect(bad.headers["content-type"]?.hasPrefix("application/problem+json") == true, "\(path): \(bad)")
                    #expect(bad.json["detail"].map { ($0 as? String)?.contains(field) == true } == true, "\(path): \(bad)")
                }
                let past = try await service.request("GET", "/api/v1/audit/tree-head?tree_size=\(beyond)", token: token)
                #expect(past.json["code"] as? String == "beyond_log", "\(past)")
                let notIn = try await service.request("GET", "/api/v1/audit/proofs/inclusion?position=3&tree_size=2", token: token)
                #expect(notIn.json["code"] as? String == "not_in_tree", "\(notIn)")
            }
        }
    }

    @Test func anAlteredEventGetsNoProofButAnIntegrityProblem() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let auditor = try await People.add(db, role: "auditor")
            let admin = try await db.connect()
            try await admin.simpleQuery("""
                SET session_replication_role = replica;
                UPDATE ledger.events SET payload = jsonb_set(payload, '{amount_vnd}', '9000000')
                WHERE event_type = 'PaymentRecorded' AND payload->>'payment_id' = 'P-2';
                RESET session_replication_role;
                """)
            await admin.close()
            try await withScratchFolder { folder in
                let key = folder.appendingPathComponent("tree.key").path
                try TreeSigningKey.generate().write(path: key)
                try await RunningService.with(db, arguments: ["--sign-key", key]) { service in
                    let token = try await service.signIn(auditor.user, auditor.password)
                    for path in ["/api/v1/audit/proofs/inclusion?payment_id=P-2", "/api/v1/audit/receipts/P-2"] {
                        let refused = try await service.request("GET", path, token: token)
                        #expect(refused.status == 409 && refused.json["code"] as? String == "integrity", "\(path): \(refused)")
                        #expect((refused.json["detail"] as? String)?.contains("altered") == true, "\(path): \(refused)")
                    }
                    // The other payment's proof is still given (its leaf is its event's).
                    let other = try await service.request("GET", "/api/v1/audit/receipts/P-1", token: token)
                    #expect(other.status == 200, "\(other)")
                }
            }
        }
    }

    @Test func aSigningKeyThatCannotBeReadStopsTheStart() async throws {
        try await TestDatabase.withFresh { db in
            try await withScratchFolder { folder in
                let key = folder.appendingPathComponent("tree.key").path
                try TreeSigningKey.generate().write(path: key)
                for (path, says) in [(folder.appendingPathComponent("missing.key").path, "no such file"), (key + ".pub", "public key")] {
                    let run = try await LedgerBinary.run(["serve", "--listen", "127.0.0.1:0", "--sign-key", path], environment: db.environment())
                    #expect(run.status == 1, "\(run)")
                    #expect(run.stderr.contains("--sign-key: \(path)") && run.stderr.contains(says), "\(run)")
                    #expect(!run.stderr.contains("listening"), "\(run)")
                }
            }
        }
    }

    // MARK: Checks

    /// An inclusion proof (or receipt) of `position` in the tree of `size`: the leaf is its input's
    /// hash, the path leads to the root (RFC 9162 2.1.3.2), and the head is that root, signed by `key`.
    static func checkInclusion(_ answer: HTTPResult, position: Int64, size: Int64, key: TreeVerifyingKey) throws {
        #expect(answer.status == 200, "\(answer)")
        let json = answer.json
        #expect(answer.text.hasPrefix("{\n") && answer.text.hasSuffix("}\n"), "the file as the CLI writes it: \(answer)")
        #expect(json["leaf_index"] as? Int == Int(position - 1) && json["tree_size"] as? Int == Int(size), "\(answer)")
        let leafInput = try #require(json["leaf_input"] as? String, "\(answer)")
        let leafHash = MerkleTree.leafHash(Array(leafInput.utf8))
        #expect(json["leaf_hash"] as? String == EventHashing.hex(leafHash), "\(answer)")
        let path = try #require(json["path"] as? [String], "\(answer)").compactMap(EventHashing.bytes(hex:))
        let root = MerkleTree.root(fromInclusion: path, leafHash: leafHash, index: position - 1, size: size)
        #expect(root.map(EventHashing.hex) == json["root_hash"] as? String, "\(answer)")
        let headObject = try #require(json["tree_head"] as? [String: Any], "\(answer)")
        let head = try #require(try TreeHeadFile.parse(try JSONSerialization.data(withJSONObject: headObject)).treeHead)
        #expect(head.treeSize == size && head.rootHash == json["root_hash"] as? String, "\(answer)")
        #expect(key.check(head) == .valid, "\(answer)")
    }

    /// A consistency proof from `old` to `new` that RFC 9162 2.1.4.2 accepts, both heads signed by `key`.
    static func checkConsistency(_ answer: HTTPResult, old: Int64, new: Int64, key: TreeVerifyingKey) throws {
        #expect(answer.status == 200, "\(answer)")
        let json = answer.json
        #expect(json["format"] as? String == "ledger-consistency-proof-v1", "\(answer)")
        #expect(json["old_size"] as? Int == Int(old) && json["new_size"] as? Int == Int(new), "\(answer)")
        let path = try #require(json["path"] as? [String], "\(answer)").compactMap(EventHashing.bytes(hex:))
        let oldRoot = try #require((json["old_root"] as? String).flatMap(EventHashing.bytes(hex:)), "\(answer)")
        let newRoot = try #require((json["new_root"] as? String).flatMap(EventHashing.bytes(hex:)), "\(answer)")
        #expect(MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, path: path), "\(answer)")
        for label in ["old_tree_head", "new_tree_head"] {
            let object = try #require(json[label] as? [String: Any], "\(answer)")
            let head = try #require(try TreeHeadFile.parse(try JSONSerialization.data(withJSONObject: object)).treeHead)
            #expect(key.check(head) == .valid, "\(label): \(answer)")
        }
    }

    /// `python3 scripts/verify-proof FILE [--public-key PUB]`: its exit status must be `expecting`; returns its output.
    @discardableResult
    static func verifyProof(_ file: String, publicKey: String?, expecting status: Int32 = 0) async throws -> String {
        let script = OpenAPIFile.root.appendingPathComponent("scripts/verify-proof").path
        let run = try await ToolRun.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-B", script, file] + (publicKey.map { ["--public-key", $0] } ?? []),
            timeout: .seconds(60)
        )
        #expect(run.status == status, "scripts/verify-proof \(file) \(publicKey ?? ""): exit \(run.status)\n\(run.output)")
        return run.output
    }
}
