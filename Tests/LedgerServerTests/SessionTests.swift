import Foundation
import Postgres
import TestSupport
import Testing

/// Sessions as the people and the operator meet them: retries, expiry, slots, CSRF, limits,
/// metrics and readiness, and a shutdown that lets a request finish.
@Suite(.enabled(if: TestDatabase.enabled))
struct SessionTests {
    static var payment: [String: Any] { [
        "application_id": "A-1", "payment_id": "P-1", "amount_vnd": 4_000_000, "paid_on": "2024-03-15", "method": "bank", "voucher": "PC-001",
    ] }

    /// `People.prepare` plus A-1 approved for 10,000,000 ₫ by an approver.
    static func approved(_ db: FreshDatabase) async throws {
        try await People.prepare(db)
        let approver = try await TestDatabase.loginRole("web", memberOf: ["ledger_approver"])
        try await People.ledger(db, ["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9",
                                     "--decided-on", "2024-03-10"], user: approver)
    }

    static func connections(of user: String, _ db: FreshDatabase) async throws -> Int64 {
        let connection = try await db.connect()
        defer { Task { await connection.close() } }
        return try await connection.queryOne("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", [user]) { try $0.int64(0) }
    }

    /// The person's connection count once it reaches `expected`, or what it is after 5 s: a
    /// backend leaves pg_stat_activity a moment after its client closes the connection.
    static func connections(of user: String, _ db: FreshDatabase, settlingAt expected: Int64) async throws -> Int64 {
        var count = try await connections(of: user, db)
        for _ in 0..<50 where count != expected {
            try await Task.sleep(for: .milliseconds(100))
            count = try await connections(of: user, db)
        }
        return count
    }

    @Test func aRetryWithTheSameKeyAnswersTheFirstResultAndAnotherBodyIsAConflict() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approved(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let key = ["Idempotency-Key": "pay-P-1-try"]
                let first = try await service.request("POST", "/api/v1/payments", json: Self.payment, token: token, headers: key)
                #expect(first.status == 201, "\(first)")
                #expect(first.json["command_id"] as? String == "pay-P-1-try", "\(first)")
                let head = try await People.head(db)

                let retry = try await service.request("POST", "/api/v1/payments", json: Self.payment, token: token, headers: key)
                #expect(retry.status == 201, "\(retry)")
                #expect(retry.json["replayed"] as? Bool == true, "\(retry)")
                #expect(retry.headers["idempotent-replayed"] == "true", "\(retry)")
                #expect(retry.json["first_position"] as? Int == first.json["first_position"] as? Int, "\(retry)")
                #expect(try await People.head(db) == head, "a retry records nothing")

                var other = Self.payment
                other["amount_vnd"] = 5_000_000
                let conflict = try await service.request("POST", "/api/v1/payments", json: other, token: token, headers: key)
                #expect(conflict.status == 409, "\(conflict)")
                #expect(conflict.headers["content-type"] == "application/problem+json", "\(conflict)")
                #expect(try await People.head(db) == head, "a conflicting retry records nothing")

                // Without a key, the command id comes from the content: an identical resend is a replay too.
                var second = Self.payment
                second["payment_id"] = "P-2"
                second["amount_vnd"] = 1_000_000
                let once = try await service.request("POST", "/api/v1/payments", json: second, token: token)
                let twice = try await service.request("POST", "/api/v1/payments", json: second, token: token)
                #expect(once.status == 201 && once.json["replayed"] as? Bool == false, "\(once)")
                #expect(twice.status == 201 && twice.json["replayed"] as? Bool == true, "\(twice)")
                #expect(try await People.head(db) == head + 1)
            }
        }
    }

    @Test func anIdleSessionExpiresAndItsConnectionIsClosed() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            // 3 s, not 1: on a loaded machine the first check may come more than a second after the sign-in.
            try await RunningService.with(db, arguments: ["--session-idle-seconds", "3"]) { service in
                let token = try await service.signIn(officer.user, officer.password)
                #expect(try await Self.connections(of: officer.user, db) == 1)
                try await Task.sleep(for: .milliseconds(4_600))
                let later = try await service.request("GET", "/api/v1/session", token: token)
                #expect(later.status == 401, "\(later)")
                #expect((later.json["detail"] as? String ?? "").contains("expired after 3 seconds without use"), "\(later)")
                #expect(try await Self.connections(of: officer.user, db, settlingAt: 0) == 0, "the person's connection is closed")
            }
        }
    }

    @Test func connectionSlotsAreBoundedAndFreedBySigningOut() async throws {
        try await TestDatabase.withFresh { db in
            let people = [
                try await People.add(db, role: "officer", label: "a"), try await People.add(db, role: "officer", label: "b"),
                try await People.add(db, role: "officer", label: "c"),
            ]
            try await RunningService.with(db, arguments: ["--max-connections", "2"]) { service in
                let first = try await service.signIn(people[0].user, people[0].password)
                _ = try await service.signIn(people[1].user, people[1].password)
                let third = try await service.request("POST", "/api/v1/session", json: ["user": people[2].user, "password": people[2].password])
                #expect(third.status == 503, "\(third)")
                #expect(third.headers["retry-after"] != nil, "\(third)")
                #expect(try await Self.connections(of: people[2].user, db) == 0, "over the limit, no connection is opened")

                let out = try await service.request("DELETE", "/api/v1/session", token: first)
                #expect(out.status == 204, "\(out)")
                #expect(try await Self.connections(of: people[0].user, db, settlingAt: 0) == 0, "signing out closes the connection")
                let gone = try await service.request("GET", "/api/v1/session", token: first)
                #expect(gone.status == 401, "\(gone)")
                _ = try await service.signIn(people[2].user, people[2].password)
            }
        }
    }

    @Test func onePersonCannotTakeEverySlot() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            let other = try await People.add(db, role: "officer", label: "o")
            try await RunningService.with(db, arguments: ["--max-connections", "6"]) { service in
                var tokens: [String] = []
                for _ in 1...5 { tokens.append(try await service.signIn(officer.user, officer.password)) }
                let sixth = try await service.request("POST", "/api/v1/session", json: ["user": officer.user, "password": officer.password])
                #expect(sixth.status == 429 && sixth.json["code"] as? String == "too_many_sessions", "\(sixth)")
                #expect(try await Self.connections(of: officer.user, db) == 5)
                _ = try await service.signIn(other.user, other.password)
                _ = try await service.request("DELETE", "/api/v1/session", token: tokens[0])
                _ = try await service.signIn(officer.user, officer.password)
            }
        }
    }

    @Test func aCookieSignedWriteNeedsTheCSRFToken() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approved(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let signIn = try await service.request("POST", "/api/v1/session", json: ["user": officer.user, "password": officer.password])
                let session = try #require(signIn.json["session"] as? String)
                let csrf = try #require(signIn.json["csrf_token"] as? String)
                let cookie = ["Cookie": "ledger_session=\(session)"]
                let head = try await People.head(db)

                let read = try await service.request("GET", "/api/v1/session", headers: cookie)
                #expect(read.status == 200, "a read by cookie needs no token: \(read)")
                let bare = try await service.request("POST", "/api/v1/payments", json: Self.payment, headers: cookie)
                #expect(bare.status == 403 && bare.json["code"] as? String == "csrf", "\(bare)")
                let forged = try await service.request("POST", "/api/v1/payments", json: Self.payment,
                                                       headers: cookie.merging(["X-CSRF-Token": String(repeating: "0", count: 64)]) { $1 })
                #expect(forged.status == 403 && forged.json["code"] as? String == "csrf", "\(forged)")
                let signOut = try await service.request("DELETE", "/api/v1/session", headers: cookie)
                #expect(signOut.status == 403, "signing out by cookie is a write too: \(signOut)")
                #expect(try await People.head(db) == head, "refused writes record nothing")

                let good = try await service.request("POST", "/api/v1/payments", json: Self.payment,
                                                     headers: cookie.merging(["X-CSRF-Token": csrf]) { $1 })
                #expect(good.status == 201, "\(good)")
            }
        }
    }

    @Test func repeatedWrongPasswordsLockTheUserAndSayWhenToRetry() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                var statuses: [Int] = []
                for attempt in 1...5 {
                    let wrong = try await service.request("POST", "/api/v1/session", json: ["user": officer.user, "password": "guess-\(attempt)"])
                    statuses.append(wrong.status)
                }
                #expect(statuses == [401, 401, 401, 401, 401], "\(statuses)")
                let locked = try await service.request("POST", "/api/v1/session", json: ["user": officer.user, "password": officer.password])
                #expect(locked.status == 429, "even the right password waits: \(locked)")
                #expect(locked.headers["retry-after"].flatMap(Int.init).map { (1...60).contains($0) } == true, "\(locked)")
                #expect((locked.json["detail"] as? String ?? "").contains("try again in 1 minute"), "\(locked)")
                #expect(locked.json["field"] as? String == "user", "a locked user name names its field: \(locked)")
                #expect(try await Self.connections(of: officer.user, db, settlingAt: 0) == 0)
            }
        }
    }

    @Test func aSuperuserOrAPasswordTheServerNeverCheckedCannotSignIn() async throws {
        try await TestDatabase.withFresh { db in
            let admin = try await db.connect()
            let superuser = TestDatabase.uniqueName("web_super")
            try await People.ensurePasswordGroup(admin)
            try await admin.simpleQuery("CREATE ROLE \(superuser) LOGIN SUPERUSER PASSWORD 'super-pw' IN ROLE signin_password_required")
            // A person the test cluster trusts (not in signin_password_required): any password would do.
            let trusted = TestDatabase.uniqueName("web_trusted")
            _ = try await admin.queryOne("SELECT ledger.add_user($1, 'officer', 'right-pw')", [trusted]) { try $0.string(0) }
            await admin.close()
            try await RunningService.with(db) { service in
                let root = try await service.request("POST", "/api/v1/session", json: ["user": superuser, "password": "super-pw"])
                #expect(root.status == 403 && root.json["code"] as? String == "superuser", "\(root)")
                for password in ["right-pw", "anything"] {
                    let unchecked = try await service.request("POST", "/api/v1/session", json: ["user": trusted, "password": password])
                    #expect(unchecked.status == 503 && unchecked.json["code"] as? String == "password_not_checked", "\(unchecked)")
                    #expect(unchecked.headers["set-cookie"] == nil)
                }
                #expect(try await Self.connections(of: superuser, db) == 0)
                #expect(try await Self.connections(of: trusted, db) == 0)
            }
        }
    }

    @Test func metricsAndReadinessTellTheOperatorWhatIsGoingOn() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approved(db)
            try await People.ledger(db, ["projections", "run"])
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db) { service in
                let health = try await service.request("GET", "/healthz")
                #expect(health.status == 200, "\(health)")
                let ready = try await service.request("GET", "/readyz")
                #expect(ready.status == 200 && ready.json["status"] as? String == "ready", "\(ready)")
                #expect(ready.json["migrations_applied"] as? Int == ready.json["migrations_carried"] as? Int, "\(ready)")

                _ = try await service.request("GET", "/metrics")  // notes where counting appends starts
                let token = try await service.signIn(officer.user, officer.password)
                let paid = try await service.request("POST", "/api/v1/payments", json: Self.payment, token: token)
                #expect(paid.status == 201, "\(paid)")
                let head = try await People.head(db)
                let metrics = try await service.request("GET", "/metrics")
                #expect(metrics.status == 200)
                #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
                let text = metrics.text
                for line in [
                    #"ledger_http_requests_total{route="/api/v1/payments",method="POST",status="201"} 1"#,
                    "ledger_sessions_open 1.0",
                    "ledger_head_position \(head).0",
                    #"ledger_appends_total{event_type="PaymentRecorded"} 1"#,
                    #"ledger_database_up 1.0"#,
                ] {
                    #expect(text.contains(line), "missing \(line) in:\n\(text)")
                }
                // The payment's events are not folded yet (no follower runs).
                let lag = text.split(separator: "\n").first { $0.hasPrefix(#"ledger_projection_lag_events{projection="budget_usage"}"#) }
                #expect(lag.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 > 0 } == true, "\(text)")
                #expect(text.contains("ledger_http_request_duration_seconds_bucket{route=\"/api/v1/payments\""), "\(text)")

                // A database behind this build's migrations is not ready.
                let admin = try await db.connect()
                try await admin.simpleQuery("DELETE FROM ledger_meta.schema_migrations WHERE version = (SELECT max(version) FROM ledger_meta.schema_migrations)")
                await admin.close()
                let behind = try await service.request("GET", "/readyz")
                #expect(behind.status == 503, "\(behind)")
                #expect((behind.json["detail"] as? String ?? "").contains("ledger migrate"), "\(behind)")
            }
        }
    }

    @Test func shutdownLetsARequestInFlightFinishThenClosesConnections() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.approved(db)
            let officer = try await People.add(db, role: "officer")
            let service = try await RunningService.start(db)
            let token = try await service.signIn(officer.user, officer.password)
            // Hold the log's head so the payment's append waits, in flight.
            let holder = try await db.connect()
            try await holder.simpleQuery("BEGIN; SELECT * FROM ledger.head FOR UPDATE")
            let inFlight = Task { try await service.request("POST", "/api/v1/payments", json: Self.payment, token: token) }
            let waiting = try await db.connect()
            var blocked = false
            for _ in 0..<100 where !blocked {
                blocked = try await waiting.queryOne(
                    "SELECT count(*) > 0 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'", [officer.user]
                ) { try $0.bool(0) }
                if !blocked { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(blocked, "the payment waits on the held head")
            kill(service.process.processIdentifier, SIGTERM)
            try await Task.sleep(for: .milliseconds(500))
            #expect(service.process.isRunning, "still finishing the request in flight")
            try await holder.simpleQuery("COMMIT")
            await holder.close()
            let answer = try await inFlight.value
            #expect(answer.status == 201, "\(answer)")
            let status = await service.stop()
            #expect(status == 0, "\(service.log)")
            #expect(try await Self.connections(of: officer.user, db, settlingAt: 0) == 0, "the session's connection is closed")
            let recorded = try await waiting.queryOne(
                "SELECT count(*) FROM ledger.events WHERE event_type = 'PaymentRecorded' AND payload->>'payment_id' = 'P-1'"
            ) { try $0.int64(0) }
            await waiting.close()
            #expect(recorded == 1)
        }
    }
}

/// `--follow-projections`: the read models follow the log inside the service's process.
@Suite(.enabled(if: TestDatabase.enabled))
struct FollowProjectionsTests {
    @Test func aPaymentOverHTTPReachesTheReadModelsWithoutAnotherProcess() async throws {
        try await TestDatabase.withFresh { db in
            try await SessionTests.approved(db)
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db, arguments: ["--follow-projections"]) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let paid = try await service.request("POST", "/api/v1/payments", json: SessionTests.payment, token: token)
                #expect(paid.status == 201, "\(paid)")
                let connection = try await db.connect()
                var folded: Int64 = 0
                for _ in 0..<250 where folded == 0 {
                    folded = try await connection.queryOne(
                        "SELECT count(*) FROM ledger_read.payments WHERE payment_id = 'P-1'"
                    ) { try $0.int64(0) }
                    if folded == 0 { try await Task.sleep(for: .milliseconds(20)) }
                }
                await connection.close()
                #expect(folded == 1, "the follower folded the payment")
                let metrics = try await service.request("GET", "/metrics")
                #expect(metrics.text.contains(#"ledger_projection_lag_events{projection="payments"} 0.0"#), "\(metrics.text)")
            }
        }
    }
}

extension FollowProjectionsTests {
    @Test func aFollowerThatCannotRunMakesTheServiceNotReady() async throws {
        try await TestDatabase.withFresh { db in
            // The service's own role reads as an auditor does, but only an admin may run projections.
            let auditor = try await TestDatabase.loginRole("svc", memberOf: ["ledger_auditor"])
            try await RunningService.with(db, arguments: ["--follow-projections"], asRole: auditor) { service in
                var ready = try await service.request("GET", "/readyz")
                for _ in 0..<250 where ready.status == 200 || ready.json["projection_follower"] as? String == "starting" {
                    try await Task.sleep(for: .milliseconds(20))
                    ready = try await service.request("GET", "/readyz")
                }
                #expect(ready.status == 503, "\(ready)")
                #expect(ready.json["projection_follower"] as? String == "failing", "\(ready)")
                #expect((ready.json["detail"] as? String ?? "").contains("projection follower fails"), "\(ready)")
            }
        }
    }
}

/// What the operator reads: the version, and one log line per request in the format asked for.
@Suite(.enabled(if: TestDatabase.enabled))
struct OperatorOutputTests {
    @Test func versionNamesTheReleaseAndTheNewestMigration() async throws {
        let run = try await LedgerBinary.run(["--version"], environment: [:])
        #expect(run.status == 0, "\(run)")
        let newest = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sql").path)
            .filter { $0.hasSuffix(".sql") }.sorted().last ?? "?"
        #expect(run.stdout.hasPrefix("ledger ") && run.stdout.contains(newest), "\(run)")
    }

    @Test func jsonLogLinesCarryTheRequestAndNeverTheQuery() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await RunningService.with(db, arguments: ["--log-format", "json"]) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let answer = try await service.request("GET", "/api/v1/session?name=Nguy%E1%BB%85n%20V%C4%83n%20A", token: token,
                                                       headers: ["X-Request-ID": "trace-42"])
                #expect(answer.headers["x-request-id"] == "trace-42")
                let lines = service.log.split(separator: "\n").compactMap { line in
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
                }
                #expect(lines.count == service.log.split(separator: "\n").count, "every line is JSON:\n\(service.log)")
                let request = lines.first { $0["request_id"] == "trace-42" }
                #expect(request?["route"] == "/api/v1/session" && request?["status"] == "200" && request?["user"] == officer.user,
                        "\(service.log)")
                #expect(request?["duration_ms"] != nil)
                #expect(!service.log.contains("Nguy") && !service.log.contains(officer.password), "\(service.log)")
                // A refused request's line names the person too.
                let refused = try await service.request("POST", "/api/v1/payments/P-404/reversal", json: ["reason": "x"], token: token,
                                                        headers: ["X-Request-ID": "refused-1"])
                #expect(refused.status == 404, "\(refused)")
                let line = service.log.split(separator: "\n").compactMap { line in
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
                }.first { $0["request_id"] == "refused-1" }
                #expect(line?["user"] == officer.user && line?["status"] == "404", "\(service.log)")
            }
        }
    }
}
