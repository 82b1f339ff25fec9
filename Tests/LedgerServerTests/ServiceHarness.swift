import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Postgres
import TestSupport
import Testing

/// `ledger serve` started as a user starts it, on a free port, against a test database; stopped
/// (SIGTERM) at the end. Its log (stderr) is kept for assertions.
final class RunningService: @unchecked Sendable {  // Process and file handles are not Sendable; used from one test at a time.
    let process: Process
    let baseURL: URL
    let logURL: URL
    let folder: URL

    private init(process: Process, baseURL: URL, logURL: URL, folder: URL) {
        self.process = process
        self.baseURL = baseURL
        self.logURL = logURL
        self.folder = folder
    }

    /// Starts the service as the test superuser (its own role) on `db`, with `arguments` added.
    static func start(_ db: FreshDatabase, arguments: [String] = [], asRole role: String? = nil,
                      environment extra: [String: String] = [:]) async throws -> RunningService {
        guard let executable = LedgerBinary.url else { throw ServiceFailed(description: "the ledger binary was not found next to the tests") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let logURL = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
        process.environment = db.environment(user: role).merging(extra) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"listening on https?://[0-9.]+:[0-9]+"#, options: .regularExpression) {
                let address = log[range].replacingOccurrences(of: "listening on ", with: "")
                return RunningService(process: process, baseURL: URL(string: address)!, logURL: logURL, folder: folder)
            }
            if !process.isRunning {
                throw ServiceFailed(description: "ledger serve exited (\(process.terminationStatus)) before listening:\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ServiceFailed(description: "ledger serve did not start listening within 30 s")
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    func stop() async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: folder)
        return process.terminationStatus
    }

    /// Runs `body` with a service, always stopping it afterwards.
    static func with<T>(
        _ db: FreshDatabase, arguments: [String] = [], asRole role: String? = nil, _ body: (RunningService) async throws -> T
    ) async throws -> T {
        let service = try await start(db, arguments: arguments, asRole: role)
        do {
            let value = try await body(service)
            await service.stop()
            return value
        } catch {
            let log = service.log
            await service.stop()
            Issue.record("ledger serve's log:\n\(log.suffix(4000))")
            throw error
        }
    }

    // MARK: HTTP

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    /// One request; `json` is sent as the JSON body, `body` as is.
    func request(
        _ method: String, _ path: String, json: [String: Any]? = nil, body: Data? = nil, token: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)!)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return HTTPResult(status: http.statusCode, headers: fields, body: data)
    }

    /// Signs in; returns the session id (for `Authorization: Bearer`).
    func signIn(_ user: String, _ password: String) async throws -> String {
        let result = try await request("POST", "/api/v1/session", json: ["user": user, "password": password])
        guard result.status == 201, let token = result.json["session"] as? String else {
            throw ServiceFailed(description: "sign-in as \(user) failed: \(result)")
        }
        return token
    }
}

struct ServiceFailed: Error, CustomStringConvertible {
    let description: String
}

/// What the service answered.
struct HTTPResult: Sendable, CustomStringConvertible {
    let status: Int
    /// Lowercased names.
    let headers: [String: String]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    var array: [[String: Any]] { ((try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]]) ?? [] }
    var description: String { "HTTP \(status) \(headers["content-type"] ?? "")\n\(text.prefix(2000))" }
}

/// People who sign in: login roles with passwords, members of `signin_password_required` (the
/// test cluster asks those for a SCRAM password: scripts/with-postgres) and of one ledger group.
enum People {
    /// A new person in `role` (officer, approver, auditor, admin); returns (login, password).
    static func add(_ db: FreshDatabase, role: String, label: String = "p") async throws -> (user: String, password: String) {
        let name = TestDatabase.uniqueName("web_\(role)_\(label)").lowercased()
        let password = "pw-\(UUID().uuidString)"
        let admin = try await db.connect()
        defer { Task { await admin.close() } }
        try await ensurePasswordGroup(admin)
        _ = try await admin.queryOne("SELECT ledger.add_user($1, $2, $3)", [name, role, password]) { try $0.string(0) }
        try await admin.simpleQuery("GRANT signin_password_required TO \(name)")
        return (name, password)
    }

    /// Creates the cluster-wide `signin_password_required` group if no test has yet; each test
    /// that grants it calls this first, whatever order the suites run in.
    static func ensurePasswordGroup(_ admin: PostgresConnection) async throws {
        try await admin.simpleQuery("""
            DO $$ BEGIN CREATE ROLE signin_password_required NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$
            """)
    }

    /// Runs `ledger` as the test superuser on `db`; the run must succeed.
    @discardableResult
    static func ledger(_ db: FreshDatabase, _ arguments: [String], user: String? = nil, stdin: String? = nil) async throws -> LedgerRun {
        let run = try await LedgerBinary.run(arguments, environment: db.environment(user: user), standardInput: stdin)
        #expect(run.status == 0, "\(run)")
        return run
    }

    /// Migrated, sample programmes, a budget of 100,000,000 ₫ for NQ12-HOUSING 2024 in Ninh Kiều,
    /// household HH-1 (bank account on record) and application A-1 for 10,000,000 ₫, submitted
    /// on 2024-03-01 by the test superuser.
    static func prepare(_ db: FreshDatabase) async throws {
        try await withScratchFolder { folder in
            let catalog = folder.appendingPathComponent("programs.json")
            let sample = try await ledger(db, ["program", "sample"])
            try Data(sample.stdout.utf8).write(to: catalog)
            for arguments in [
                ["program", "load", catalog.path],
                ["budget", "allocate", "--program", "NQ12-HOUSING", "--year", "2024", "--district", "Ninh Kiều", "--amount", "100.000.000", "--reference", "QĐ 1"],
                ["beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "Nguyễn Văn A", "--district", "ninh kieu",
                 "--category", "poor", "--bank-account", "Agribank 123"],
                ["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "10000000",
                 "--submitted-on", "2024-03-01"],
            ] {
                try await ledger(db, arguments)
            }
        }
    }

    static func head(_ db: FreshDatabase) async throws -> Int64 {
        let connection = try await db.connect()
        defer { Task { await connection.close() } }
        return try await connection.queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
    }
}
