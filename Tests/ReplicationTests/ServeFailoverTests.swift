import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LocalCluster
import TestSupport
import Testing

/// `ledger serve` on the multi-host connection string (read-write) across a failover: the primary
/// killed with SIGKILL, the standby promoted; a person signed in before keeps their session.
@Suite(.enabled(if: TestDatabase.enabled), .serialized, .timeLimit(.minutes(5)))
struct ServeFailoverTests {
    @Test func aSignedInSessionReadsAndWritesAgainAfterThePrimaryIsKilledAndTheStandbyPromoted() async throws {
        try await ReplicaSet.with(synchronous: true) { set in
            try await set.approvedApplications(1)
            try await set.ledger(["projections", "run"])  // the application's page reads the read models
            // The service refuses sign-ins the database does not check: this officer gives a password.
            let officer = ReplicaSet.officers[1], password = "secret-one"
            try set.primary.psql("ALTER ROLE \(officer) PASSWORD '\(password)'")
            for server in [set.primary, set.standby] { try server.requireFirst(hba: ["local all \(officer) scram-sha-256"]) }

            let service = try await Service.start(environment: set.multiHostEnvironment())
            defer { service.stop() }
            let token = try await service.signIn(officer, password)
            let before = try await service.request("GET", "/api/v1/applications/A-1", token: token)
            #expect(before.status == 200, "\(before)")
            #expect(try await service.request("GET", "/readyz").status == 200)
            try set.waitForStandbyToCatchUp()

            try set.primary.crash()
            // No server accepts writes: not ready (the first answer may come from the broken connection itself).
            var readiness = try await service.request("GET", "/readyz")
            if readiness.status == 200 { readiness = try await service.request("GET", "/readyz") }
            #expect(readiness.status == 503 && readiness.text.contains("unreachable"), "\(readiness)")
            // The session's read finds its connection lost and no server to reconnect to: 503, still signed in.
            let during = try await service.request("GET", "/api/v1/applications/A-1", token: token)
            #expect(during.status == 503 && during.json["code"] as? String == "database_unavailable"
                        && during.headers["retry-after"] != nil, "\(during)")

            try set.standby.promote()
            // The same session, as a client would: a 503 with Retry-After is tried again after a moment.
            let read = try await service.retrying { try await service.request("GET", "/api/v1/applications/A-1", token: token) }
            #expect(read.status == 200 && read.text.contains("A-1"), "\(read)")
            let payment: [String: Any] = ["application_id": "A-1", "payment_id": "P-after", "amount_vnd": 5_000_000,
                                          "paid_on": "2024-03-05", "method": "bank", "voucher": "PC-after"]
            let write = try await service.retrying { try await service.request("POST", "/api/v1/payments", json: payment, token: token) }
            #expect(write.status == 201, "\(write)")
            #expect(try set.standby.psql("SELECT count(*) FROM ledger.payment_ids WHERE payment_id = 'P-after'",
                                         database: ReplicaSet.database) == "1")
            let ready = try await service.retrying { try await service.request("GET", "/readyz") }
            #expect(ready.status == 200, "\(ready)")
        }
    }

    @Test func aWriteWhoseConnectionWasLostIsRunAgainOnceAndRecordedOnce() async throws {
        try await ReplicaSet.with(synchronous: true) { set in
            try await set.approvedApplications(1)
            let officer = ReplicaSet.officers[1], password = "secret-two"
            try set.primary.psql("ALTER ROLE \(officer) PASSWORD '\(password)'")
            for server in [set.primary, set.standby] { try server.requireFirst(hba: ["local all \(officer) scram-sha-256"]) }
            let service = try await Service.start(environment: set.multiHostEnvironment())
            defer { service.stop() }
            let token = try await service.signIn(officer, password)
            try set.waitForStandbyToCatchUp()
            // The failover completes between two requests: the write is the first to find the connection lost.
            try set.primary.crash()
            try set.standby.promote()
            let payment: [String: Any] = ["application_id": "A-1", "payment_id": "P-1", "amount_vnd": 5_000_000,
                                          "paid_on": "2024-03-05", "method": "bank", "voucher": "PC-1"]
            let first = try await service.request("POST", "/api/v1/payments", json: payment, token: token, key: "pay-P-1")
            #expect(first.status == 201, "reconnected and run again: \(first)\n\(service.log.suffix(2000))")
            #expect(service.log.contains("reconnecting"), "\(service.log)")
            let again = try await service.request("POST", "/api/v1/payments", json: payment, token: token, key: "pay-P-1")
            #expect(again.status == 201 && again.headers["idempotent-replayed"] == "true", "\(again)")
            #expect(try set.standby.psql("SELECT count(*) FROM ledger.events WHERE command_id = 'pay-P-1'",
                                         database: ReplicaSet.database) == "1")
        }
    }
}

/// `ledger serve` started as the real binary on a free port.
final class Service: @unchecked Sendable {  // Process is not Sendable; used from one test at a time.
    let process: Process
    let baseURL: URL
    let logURL: URL

    private init(process: Process, baseURL: URL, logURL: URL) {
        self.process = process
        self.baseURL = baseURL
        self.logURL = logURL
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    static func start(environment: [String: String]) async throws -> Service {
        guard let executable = LedgerBinary.url else { throw LocalClusterError("the ledger binary was not found next to the tests") }
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-serve-failover-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--listen", "127.0.0.1:0"]
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"listening on https?://[0-9.]+:[0-9]+"#, options: .regularExpression) {
                let address = log[range].replacingOccurrences(of: "listening on ", with: "")
                return Service(process: process, baseURL: URL(string: address)!, logURL: logURL)
            }
            if !process.isRunning { throw LocalClusterError("ledger serve exited (\(process.terminationStatus)):\n\(log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw LocalClusterError("ledger serve did not start listening within 30 s")
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }

    struct Answer: CustomStringConvertible {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        var description: String { "HTTP \(status)\n\(text.prefix(1500))" }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    func request(_ method: String, _ path: String, json: [String: Any]? = nil, token: String? = nil, key: String? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)!)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return Answer(status: http.statusCode, headers: headers, body: data)
    }

    func signIn(_ user: String, _ password: String) async throws -> String {
        let answer = try await request("POST", "/api/v1/session", json: ["user": user, "password": password])
        guard answer.status == 201, let token = answer.json["session"] as? String else {
            throw LocalClusterError("sign-in as \(user) failed: \(answer)\n\(log.suffix(2000))")
        }
        return token
    }

    /// As a client does: a 503 is tried again after a moment (up to 10 s).
    func retrying(_ send: () async throws -> Answer) async throws -> Answer {
        let deadline = Date().addingTimeInterval(10)
        var answer = try await send()
        while answer.status == 503, Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            answer = try await send()
        }
        return answer
    }
}
