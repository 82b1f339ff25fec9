import Foundation
import Postgres
import TestSupport
import Testing

/// `GET /api/v1/audit/verify` and `/audit/digest`, as an auditor.
@Suite(.enabled(if: TestDatabase.enabled))
struct AuditRouteTests {
    @Test func anAuditorVerifiesTheLogAndKeepsADigestTheCLIAccepts() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            try await ReadFixture.catchUp(db)
            let auditor = try await People.add(db, role: "auditor")
            let head = try await People.head(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(auditor.user, auditor.password)
                let verified = try await service.request("GET", "/api/v1/audit/verify", token: token)
                #expect(verified.status == 200, "\(verified)")
                #expect(verified.json["intact"] as? Bool == true && verified.json["result"] as? String == "intact", "\(verified)")
                #expect(verified.json["rules_hold"] as? Bool == true && verified.json["problems_found"] as? Int == 0, "\(verified)")
                #expect(verified.json["events_checked"] as? Int == Int(head), "\(verified)")
                #expect(verified.json["events_replayed"] as? Int == Int(head), "\(verified)")
                let verifiedHead = try #require(verified.json["head"] as? [String: Any], "\(verified)")
                #expect(verifiedHead["position"] as? Int == Int(head) && (verifiedHead["hash"] as? String)?.count == 64, "\(verified)")
                #expect(verified.json["duration_ms"] is Int, "\(verified)")

                let chainOnly = try await service.request("GET", "/api/v1/audit/verify?chain_only=true", token: token)
                #expect(chainOnly.status == 200 && chainOnly.json["intact"] as? Bool == true && chainOnly.json["rules_hold"] == nil, "\(chainOnly)")

                // The digest, exactly as `ledger audit digest` writes it; the CLI verifies against it.
                let digest = try await service.request("GET", "/api/v1/audit/digest", token: token)
                #expect(digest.status == 200, "\(digest)")
                #expect(digest.text.hasPrefix("{\n") && digest.text.hasSuffix("}\n"), "\(digest)")
                #expect(digest.json["position"] as? Int == Int(head), "\(digest)")
                #expect(digest.json["hash"] as? String == verifiedHead["hash"] as? String, "\(digest)")
                #expect(digest.json["taken_at"] is String, "\(digest)")
                #expect(digest.headers["content-disposition"]?.contains("attachment") == true, "\(digest)")
                let cli = try await People.ledger(db, ["audit", "digest"])
                let cliKeys = ((try? JSONSerialization.jsonObject(with: Data(cli.stdout.utf8))) as? [String: Any]).map { Set($0.keys) }
                #expect(cliKeys == Set(digest.json.keys), "same document as the CLI's: \(cli.stdout) / \(digest.text)")
                try await withScratchFolder { folder in
                    let file = folder.appendingPathComponent("digest.json")
                    try digest.body.write(to: file)
                    let check = try await People.ledger(db, ["audit", "verify", "--digest", file.path])
                    #expect(check.stdout.contains("matches"), "\(check)")
                }

                // …and so does the service.
                let hash = try #require(digest.json["hash"] as? String)
                let against = try await service.request("GET", "/api/v1/audit/verify?digest_position=\(head)&digest_hash=\(hash)", token: token)
                #expect(against.status == 200 && against.json["intact"] as? Bool == true, "\(against)")
                #expect((against.json["digest"] as? [String: Any])?["position"] as? Int == Int(head), "\(against)")
                let wrong = String(repeating: "0", count: 64)
                let altered = try await service.request("GET", "/api/v1/audit/verify?digest_position=\(head)&digest_hash=\(wrong)", token: token)
                #expect(altered.status == 200 && altered.json["intact"] as? Bool == false, "\(altered)")
                #expect(altered.json["result"] as? String == "not intact" && altered.json["problems_found"] as? Int == 1, "\(altered)")
                #expect((altered.json["problem"] as? [String: Any])?["kind"] is String, "\(altered)")
                // The tree head's root too: the tree of that size must still have it.
                let root = try #require(digest.json["root_hash"] as? String)
                let withRoot = try await service.request(
                    "GET", "/api/v1/audit/verify?digest_position=\(head)&digest_hash=\(hash)&digest_root_hash=\(root)", token: token)
                #expect(withRoot.status == 200 && withRoot.json["intact"] as? Bool == true, "\(withRoot)")
                let otherRoot = try await service.request(
                    "GET", "/api/v1/audit/verify?digest_position=\(head)&digest_hash=\(hash)&digest_root_hash=\(wrong)&chain_only=true", token: token)
                #expect(otherRoot.status == 200 && otherRoot.json["intact"] as? Bool == false, "\(otherRoot)")
                #expect((otherRoot.json["problem"] as? [String: Any])?["kind"] as? String == "digestMismatch", "\(otherRoot)")

                for (query, field) in [
                    ("digest_position=3", "digest_hash"), ("digest_hash=\(hash)", "digest_position"),
                    ("digest_position=-1&digest_hash=\(hash)", "digest_position"), ("digest_position=1&digest_hash=xyz", "digest_hash"),
                    ("chain_only=perhaps", "chain_only"), ("through=3", "through"),
                    ("digest_root_hash=\(hash)", "digest_root_hash"),
                    ("digest_position=1&digest_hash=\(hash)&digest_root_hash=xyz", "digest_root_hash"),
                ] {
                    let bad = try await service.request("GET", "/api/v1/audit/verify?\(query)", token: token)
                    #expect(bad.status == 400 && bad.problemField == field, "\(query): \(bad)")
                }
                let badDigest = try await service.request("GET", "/api/v1/audit/digest?out=x", token: token)
                #expect(badDigest.status == 400 && badDigest.problemField == "out", "\(badDigest)")

                // An auditor reads the read models and reports too.
                for path in ["/api/v1/applications?status=approved", "/api/v1/reports/budget", "/api/v1/payments/P-1",
                             "/api/v1/reports/beneficiaries/HH-1"] {
                    let read = try await service.request("GET", path, token: token)
                    #expect(read.status == 200, "\(path): \(read)")
                }
            }
        }
    }

    @Test func aTamperedEventIsFoundOverHTTP() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            let auditor = try await People.add(db, role: "auditor")
            // Alter a payment's amount behind the ledger's back (as the superuser, append-only triggers not run).
            let admin = try await db.connect()
            try await admin.simpleQuery("""
                SET session_replication_role = replica;
                UPDATE ledger.events SET payload = jsonb_set(payload, '{amount_vnd}', '9000000')
                WHERE event_type = 'PaymentRecorded' AND payload->>'payment_id' = 'P-2';
                RESET session_replication_role;
                """)
            let position = try await admin.queryOne(
                "SELECT position FROM ledger.events WHERE event_type = 'PaymentRecorded' AND payload->>'payment_id' = 'P-2'"
            ) { try $0.int64(0) }
            await admin.close()
            try await RunningService.with(db) { service in
                let token = try await service.signIn(auditor.user, auditor.password)
                let verified = try await service.request("GET", "/api/v1/audit/verify", token: token)
                #expect(verified.status == 200, "\(verified)")
                #expect(verified.json["intact"] as? Bool == false && verified.json["result"] as? String == "not intact", "\(verified)")
                let problem = try #require(verified.json["problem"] as? [String: Any], "\(verified)")
                #expect(problem["position"] as? Int == Int(position), "\(verified)")
                #expect((verified.json["problems_found"] as? Int ?? 0) >= 1, "\(verified)")
            }
        }
    }
}
