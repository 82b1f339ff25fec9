import Foundation
import Postgres
import TestSupport
import Testing

/// Signing in: PostgreSQL checks the password; the session runs as that role.
@Suite(.enabled(if: TestDatabase.enabled))
struct SignInTests {
    @Test func aRightPasswordOpensASessionAndAWrongOneIsRefused() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let wrong = try await service.request("POST", "/api/v1/session", json: ["user": officer.user, "password": "not-it"])
                #expect(wrong.status == 401, "\(wrong)")
                #expect(wrong.headers["content-type"] == "application/problem+json", "\(wrong)")
                #expect(wrong.json["code"] as? String == "wrong_password", "\(wrong)")
                #expect(wrong.headers["set-cookie"] == nil, "\(wrong)")

                let right = try await service.request("POST", "/api/v1/session", json: ["user": officer.user, "password": officer.password])
                #expect(right.status == 201, "\(right)")
                #expect(right.json["user"] as? String == officer.user)
                #expect(right.json["roles"] as? [String] == ["officer"], "\(right)")
                let token = try #require(right.json["session"] as? String)
                #expect(token.count == 64 && token.allSatisfy(\.isHexDigit), "256 random bits: \(token)")
                let cookie = try #require(right.headers["set-cookie"])
                #expect(cookie.contains("ledger_session=\(token)") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
                #expect(!cookie.contains("Secure"), "plain HTTP with no trusted proxy: \(cookie)")

                // A role that does not exist is told nothing more than a wrong password.
                let nobody = try await service.request("POST", "/api/v1/session", json: ["user": "no_such_person", "password": "x"])
                #expect(nobody.status == 401 && nobody.json["code"] as? String == "wrong_password", "\(nobody)")

                let me = try await service.request("GET", "/api/v1/session", token: token)
                #expect(me.status == 200 && me.json["user"] as? String == officer.user, "\(me)")
                // The password is never written to the log, right or wrong.
                #expect(!service.log.contains(officer.password) && !service.log.contains("not-it"), "\(service.log)")
            }
        }
    }

    @Test func theRecordedActorIsTheSignedInPerson() async throws {
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            let approver = try await TestDatabase.loginRole("web", memberOf: ["ledger_approver"])
            try await People.ledger(db, ["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9",
                                         "--decided-on", "2024-03-10"], user: approver)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let paid = try await service.request("POST", "/api/v1/payments", json: [
                    "application_id": "A-1", "payment_id": "P-1", "amount_vnd": 4_000_000, "paid_on": "2024-03-15",
                    "method": "bank", "voucher": "PC-001",
                ], token: token)
                #expect(paid.status == 201, "\(paid)")
                #expect(paid.headers["location"] == "/api/v1/payments/P-1", "\(paid)")
                #expect(paid.json["replayed"] as? Bool == false, "\(paid)")
                let connection = try await db.connect()
                let actor = try await connection.queryOne(
                    """
                    SELECT c.actor FROM ledger.events e JOIN ledger.commands c USING (command_id)
                    WHERE e.event_type = 'PaymentRecorded' AND e.payload->>'payment_id' = 'P-1'
                    """
                ) { try $0.string(0) }
                await connection.close()
                #expect(actor == officer.user)
            }
        }
    }
}
