import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Issue 11 end to end, through the real binary on PostgreSQL: signed tree heads, a payment's
/// receipt, inclusion and consistency proofs checked offline by scripts/verify-proof (none of the
/// ledger's code), tampered copies refused with their reason, and what a superuser rewrites found
/// by verify, verify --since and the proof commands.
@Suite(.enabled(if: TestDatabase.enabled))
struct AuditProofTests {
    /// `scripts/verify-proof arguments…` with python3: exit status and everything it printed.
    static func verifyProof(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try AuditTrailTests.script("verify-proof", arguments)
    }

    /// A copy of the JSON file `path` with `change` applied, written beside it as `name`.
    static func tampered(_ path: String, _ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        change(&object)
        let copy = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: copy))
        return copy
    }

    /// `hex` with its first digit changed.
    static func flipped(_ hex: String) -> String {
        (hex.first == "0" ? "1" : "0") + hex.dropFirst()
    }

    @Test func aPaymentsReceiptIsCheckedOfflineAndEveryTamperedCopyIsRefused() async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { db in
                _ = try await AuditTrailTests.paidLedger(db)
                let auditor = try await TestDatabase.loginRole("proofs", memberOf: ["ledger_auditor"])
                let key = folder.appendingPathComponent("ledger-key").path
                #expect(try await ledger("audit", "keygen", "--out", key, in: db).status == 0)

                let receipt = folder.appendingPathComponent("P-1.receipt.json").path
                let made = try await ledger("audit", "receipt", "--payment-id", "P-1", "--out", receipt, "--sign-key", key, in: db, user: auditor)
                #expect(made.status == 0, "\(made)")
                #expect(made.stderr.contains("receipt of payment P-1"), "\(made)")

                let valid = try Self.verifyProof([receipt, "--public-key", key + ".pub"])
                #expect(valid.status == 0, "\(valid.output)")
                #expect(valid.output.contains("receipt: payment P-1"), "\(valid.output)")
                #expect(valid.output.contains("included: position"), "\(valid.output)")

                // One byte of the event, of a sibling hash, of the root; a proof relabelled for
                // another size; a changed recording time; another key: each refused with its reason.
                let cases: [(String, (inout [String: Any]) -> Void, String)] = [
                    ("amount", { file in
                        var event = file["event"] as! [String: Any]
                        event["payload_text"] = (event["payload_text"] as! String).replacingOccurrences(of: "4000000", with: "4000001")
                        file["event"] = event
                    }, "NOT VALID"),
                    ("sibling", { file in
                        var path = file["path"] as! [String]
                        path[0] = Self.flipped(path[0])
                        file["path"] = path
                    }, "root"),
                    ("root", { file in file["root_hash"] = Self.flipped(file["root_hash"] as! String) }, "NOT VALID"),
                    ("size", { file in file["tree_size"] = (file["tree_size"] as! Int) + 1 }, "size"),
                    ("time", { file in
                        var event = file["event"] as! [String: Any]
                        event["recorded_at_micros"] = (event["recorded_at_micros"] as! Int) - 86_400_000_000
                        file["event"] = event
                    }, "NOT VALID"),
                ]
                for (name, change, reason) in cases {
                    let copy = try Self.tampered(receipt, "receipt-\(name).json", change)
                    let refused = try Self.verifyProof([copy, "--public-key", key + ".pub"])
                    #expect(refused.status == 1, "\(name): \(refused.output)")
                    #expect(refused.output.contains("NOT VALID") && refused.output.contains(reason), "\(name): \(refused.output)")
                }
                let otherKey = folder.appendingPathComponent("other-key").path
                #expect(try await ledger("audit", "keygen", "--out", otherKey, in: db).status == 0)
                let wrongKey = try Self.verifyProof([receipt, "--public-key", otherKey + ".pub"])
                #expect(wrongKey.status == 1, "\(wrongKey.output)")
                #expect(wrongKey.output.contains("NOT VALID") && wrongKey.output.contains("signed by key"), "\(wrongKey.output)")
            }
        }
    }

    @Test func signedHeadsProofsAndConsistencyFromTheCLIVerifyOfflineAndInTheLedger() async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { db in
                _ = try await AuditTrailTests.paidLedger(db)
                let auditor = try await TestDatabase.loginRole("heads", memberOf: ["ledger_auditor"])
                let key = folder.appendingPathComponent("key").path
                #expect(try await ledger("audit", "keygen", "--out", key, in: db).status == 0)
                let q1 = folder.appendingPathComponent("q1.json").path
                let first = try await ledger("audit", "digest", "--out", q1, "--sign-key", key, in: db, user: auditor)
                #expect(first.status == 0, "\(first)")
                #expect(first.stderr.contains("signed by key"), "\(first)")
                let head1 = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: q1))) as? [String: Any])
                #expect(head1["format"] as? String == "ledger-tree-head-v1")
                let size1 = try #require(head1["tree_size"] as? Int)
                #expect(head1["position"] as? Int == size1)

                // More history, then a second head.
                let more = try await LedgerBinary.run(
                    ["payment", "record", "--application", "A-1", "--payment-id", "P-3", "--amount", "1000000", "--paid-on", "2024-05-02",
                     "--method", "cash", "--voucher", "PC-3"], environment: childEnvironment(db))
                #expect(more.status == 0, "\(more)")
                let q2 = folder.appendingPathComponent("q2.json").path
                #expect(try await ledger("audit", "digest", "--out", q2, "--sign-key", key, in: db, user: auditor).status == 0)

                // The ledger's own checks: signature, root, the consistency from q1.
                let verify = try await ledger("audit", "verify", "--digest", q2, "--public-key", key + ".pub", in: db, user: auditor)
                #expect(verify.status == 0, "\(verify)")
                #expect(value(of: "signature", in: verify.stdout)?.hasPrefix("valid") == true, "\(verify)")
                let since = try await ledger("audit", "verify", "--since", q1, "--public-key", key + ".pub", in: db, user: auditor)
                #expect(since.status == 0, "\(since)")
                #expect(value(of: "since", in: since.stdout)?.contains("extends the tree head's \(size1)") == true, "\(since)")
                #expect(value(of: "events checked", in: since.stdout) == "1", "only what came after q1 is read: \(since)")

                // Every kind of proof, checked offline.
                let proof = folder.appendingPathComponent("p2.json").path
                #expect(try await ledger("audit", "prove", "--position", "2", "--digest", q1, "--out", proof, in: db, user: auditor).status == 0)
                let checked = try Self.verifyProof([proof, "--public-key", key + ".pub", "--digest", q1])
                #expect(checked.status == 0, "\(checked.output)")
                #expect(checked.output.contains("included: position 2"), "\(checked.output)")
                let otherHead = try Self.verifyProof([proof, "--digest", q2])
                #expect(otherHead.status == 1, "a proof in q1's tree is not one in q2's: \(otherHead.output)")
                let byStream = try await ledger("audit", "prove", "--event-stream", "application-A-1", "--version", "1", "--digest", q2, in: db, user: auditor)
                #expect(byStream.status == 0, "\(byStream)")
                #expect(byStream.stdout.contains("\"stream_id\" : \"application-A-1\""), "\(byStream)")
                let consistency = folder.appendingPathComponent("q1-q2.json").path
                #expect(try await ledger("audit", "consistency", q1, q2, "--out", consistency, in: db, user: auditor).status == 0)
                let extends = try Self.verifyProof([consistency, "--public-key", key + ".pub"])
                #expect(extends.status == 0, "\(extends.output)")
                #expect(extends.output.contains("consistent"), "\(extends.output)")

                // A forged signature: the head's root changed after signing.
                let forged = try Self.tampered(q1, "q1-forged.json") { $0["root_hash"] = Self.flipped($0["root_hash"] as! String) }
                let refused = try await ledger("audit", "verify", "--digest", forged, "--public-key", key + ".pub", in: db, user: auditor)
                #expect(refused.status == 2, "\(refused)")
                #expect(refused.stderr.contains("signature does not verify"), "\(refused)")
                let otherKey = folder.appendingPathComponent("other").path
                #expect(try await ledger("audit", "keygen", "--out", otherKey, in: db).status == 0)
                let wrongKey = try await ledger("audit", "verify", "--since", q1, "--public-key", otherKey + ".pub", in: db, user: auditor)
                #expect(wrongKey.status == 2, "\(wrongKey)")
                #expect(wrongKey.stderr.contains("signed by key"), "\(wrongKey)")

                // A careful superuser rewrites a payment before q1 and builds chain and tree again:
                // the log is self-consistent, but not with what q1 committed to.
                try await tamper(db, """
                    UPDATE ledger.events SET payload = jsonb_set(payload, '{amount_vnd}', '4000001') WHERE position = (
                        SELECT position FROM ledger.payment_ids WHERE payment_id = 'P-1');
                    DO $$
                    DECLARE r record; prev bytea := '\\x0000000000000000000000000000000000000000000000000000000000000000';
                    BEGIN
                        FOR r IN SELECT * FROM ledger.events ORDER BY position LOOP
                            UPDATE ledger.events SET prev_hash = prev, hash = ledger.event_hash(prev, ledger.event_canonical_text(
                                r.position, r.stream_id, r.stream_version, r.event_type, r.schema_version,
                                (extract(epoch FROM r.recorded_at) * 1000000)::bigint, r.payload, r.metadata)) WHERE position = r.position
                            RETURNING hash INTO prev;
                        END LOOP;
                        UPDATE ledger.head SET last_hash = prev;
                    END $$;
                    \(TestDatabase.rebuildMerkleTreeSQL)
                    """)
                let plain = try await ledger("audit", "verify", "--chain-only", in: db, user: auditor)
                #expect(plain.status == 0, "the rewrite is self-consistent: \(plain)")
                let sinceAfter = try await ledger("audit", "verify", "--since", q1, in: db, user: auditor)
                #expect(sinceAfter.status == 2, "\(sinceAfter)")
                #expect(sinceAfter.stdout.contains("rewritten"), "\(sinceAfter)")
                let digestAfter = try await ledger("audit", "verify", "--digest", q1, "--chain-only", in: db, user: auditor)
                #expect(digestAfter.status == 2, "\(digestAfter)")
                let proveAfter = try await ledger("audit", "prove", "--position", "1", "--digest", q1, in: db, user: auditor)
                #expect(proveAfter.status == 2, "\(proveAfter)")
                #expect(proveAfter.stderr.contains("NOT INTACT"), "\(proveAfter)")
                let q3 = folder.appendingPathComponent("q3.json").path
                #expect(try await ledger("audit", "digest", "--out", q3, in: db, user: auditor).status == 0)
                let consistencyAfter = try await ledger("audit", "consistency", q1, q3, in: db, user: auditor)
                #expect(consistencyAfter.status == 2, "\(consistencyAfter)")
            }
        }
    }

    @Test func proofCommandsRefuseBadInputClearly() async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { db in
                _ = try await AuditTrailTests.paidLedger(db)
                let none = try await ledger("audit", "prove", in: db)
                #expect(none.status == 64)
                #expect(none.stderr.contains("give exactly one of --position"), "\(none)")
                let beyond = try await ledger("audit", "prove", "--position", "9999", in: db)
                #expect(beyond.status == 1)
                #expect(beyond.stderr.contains("--position: the log has"), "\(beyond)")
                let noPayment = try await ledger("audit", "prove", "--payment-id", "P-404", in: db)
                #expect(noPayment.status == 1)
                #expect(noPayment.stderr.contains("--payment-id: there is no payment P-404"), "\(noPayment)")
                let noKey = try await ledger("audit", "receipt", "--payment-id", "P-1", "--out", folder.appendingPathComponent("r").path, in: db)
                #expect(noKey.status == 64)
                #expect(noKey.stderr.contains("--sign-key KEY or --digest FILE"), "\(noKey)")

                let unsigned = folder.appendingPathComponent("unsigned.json").path
                #expect(try await ledger("audit", "digest", "--out", unsigned, in: db).status == 0)
                let unsignedReceipt = try await ledger("audit", "receipt", "--payment-id", "P-1", "--digest", unsigned,
                                                       "--out", folder.appendingPathComponent("r2").path, in: db)
                #expect(unsignedReceipt.status == 1)
                #expect(unsignedReceipt.stderr.contains("is not signed"), "\(unsignedReceipt)")
                #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("r2").path))

                let old = folder.appendingPathComponent("old-digest.json").path
                try Data(#"{"hash": "\#(genesisHash)", "position": 0, "taken_at": "2024-01-01T00:00:00+07:00"}"#.utf8)
                    .write(to: URL(fileURLWithPath: old))
                let oldProve = try await ledger("audit", "prove", "--position", "1", "--digest", old, in: db)
                #expect(oldProve.status == 1)
                #expect(oldProve.stderr.contains("from before the Merkle tree"), "\(oldProve)")
                let oldKey = try await ledger("audit", "verify", "--digest", old, "--public-key", old, in: db)
                #expect(oldKey.status == 1, "\(oldKey)")
                let keyAlone = try await ledger("audit", "verify", "--public-key", old, in: db)
                #expect(keyAlone.status == 64)
                #expect(keyAlone.stderr.contains("--public-key: give the tree head"), "\(keyAlone)")
                // An old digest still verifies as a digest (the chain is unchanged by the tree).
                let oldVerify = try await ledger("audit", "verify", "--digest", old, "--chain-only", in: db)
                #expect(oldVerify.status == 0, "\(oldVerify)")
                let backwards = try await ledger("audit", "consistency", unsigned, unsigned, in: db)
                #expect(backwards.status == 0, "a head is consistent with itself: \(backwards)")
            }
        }
    }

    /// A superuser changes one node of the tree (not the events): verify names it, and no proof
    /// whose path crosses it is given, with or without a kept head. A proof handed out before
    /// stays what it was: scripts/verify-proof checks it against the kept head, from the file alone.
    @Test func aNodeChangedByASuperuserIsFoundAndProofsAcrossItAreRefused() async throws {
        try await withScratchFolder { folder in
            try await TestDatabase.withFresh { db in
                _ = try await AuditTrailTests.paidLedger(db)
                let kept = folder.appendingPathComponent("kept.json").path
                #expect(try await ledger("audit", "digest", "--out", kept, in: db).status == 0)
                let size = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: kept))) as? [String: Any])["tree_size"] as? Int
                #expect((size ?? 0) >= 5)
                let before = folder.appendingPathComponent("p3-before.json").path
                #expect(try await ledger("audit", "prove", "--position", "3", "--digest", kept, "--out", before, in: db).status == 0)

                // The node over positions 1–2 (level 1, index 0): on the path of positions 3 and 4.
                try await tamper(db, "UPDATE ledger.merkle_nodes SET hash = sha256('forged') WHERE level = 1 AND idx = 0")

                let verify = try await ledger("audit", "verify", "--chain-only", "--format", "json", in: db)
                #expect(verify.status == 2, "\(verify)")
                let report = try decode(VerifyOutput.self, from: verify)
                #expect(report.problem?.kind == "treeMismatch", "\(verify)")
                #expect(report.problem?.message.contains("level 1, index 0") == true, "\(verify)")
                for arguments in [["audit", "prove", "--position", "3"], ["audit", "prove", "--position", "4", "--digest", kept]] {
                    let refused = try await LedgerBinary.run(arguments, environment: childEnvironment(db))
                    #expect(refused.status == 2, "\(refused)")
                    #expect(refused.stderr.contains("NOT INTACT") && refused.stderr.contains("does not lead to the tree head's root"), "\(refused)")
                }
                let offline = try Self.verifyProof([before, "--digest", kept])
                #expect(offline.status == 0, "\(offline.output)")
            }
        }
    }
}
