import Foundation
import Postgres
import TestSupport
import Testing

/// The OpenAPI document: valid OpenAPI 3.1 (openapi-spec-validator), served byte for byte at
/// `/api/v1/openapi.json`, and true of the live service (schemathesis, signed in as an officer:
/// no 5xx, no status, content type or body the document does not allow).
///
/// The Python tools live in a venv outside the work tree that `make deps` fills
/// (scripts/install-deps): `$LEDGER_VENV`, default ~/.cache/ledger/venv. Under CI=true a missing
/// tool fails the test; elsewhere the tests that need it are skipped, saying so.
@Suite struct OpenAPIDocumentTests {
    @Test(.enabled(if: PythonTools.runnable, PythonTools.skipMessage))
    func theDocumentIsValidOpenAPI31() async throws {
        let validator = try PythonTools.require("openapi-spec-validator")
        let run = try await ToolRun.run(validator, ["--schema", "3.1", OpenAPIFile.url.path], timeout: .seconds(120))
        #expect(run.status == 0, "openapi-spec-validator \(OpenAPIFile.url.path):\n\(run.output)")
    }

    @Test func theDocumentDescribesEveryRouteOfTheContract() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIFile.data()) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        // The issue's contract (add freely, rename nothing).
        let contract: [(String, String)] = [
            ("post", "/api/v1/session"), ("delete", "/api/v1/session"),
            ("post", "/api/v1/beneficiaries"), ("get", "/api/v1/beneficiaries/{id}"),
            ("post", "/api/v1/applications"), ("get", "/api/v1/applications"), ("get", "/api/v1/applications/{id}"),
            ("post", "/api/v1/applications/{id}/approval"), ("post", "/api/v1/applications/{id}/rejection"),
            ("post", "/api/v1/applications/{id}/withdrawal"), ("post", "/api/v1/applications/{id}/closure"),
            ("post", "/api/v1/payments"), ("post", "/api/v1/payments/{id}/reversal"), ("post", "/api/v1/payment-imports"),
            ("post", "/api/v1/loans"), ("post", "/api/v1/loans/{id}/repayments"), ("post", "/api/v1/loans/{id}/write-off"),
            ("get", "/api/v1/reports/budget"), ("get", "/api/v1/reports/beneficiaries/{id}"), ("get", "/api/v1/reports/loans"),
            ("get", "/api/v1/audit/verify"), ("get", "/api/v1/audit/digest"), ("get", "/api/v1/openapi.json"),
            ("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"),
        ]
        for (method, path) in contract {
            #expect(paths[path]?[method] != nil, "docs/api/openapi.json has no \(method.uppercased()) \(path)")
        }
    }

    /// Every route the service registers (`router.get("…")` and the like in
    /// Sources/LedgerServer/Routes+*.swift) is in the document, and the document has no other.
    @Test func theDocumentHasEveryRouteOfTheServiceAndNoOther() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: OpenAPIFile.data()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "post", "put", "patch", "delete"]
        let documented = Set(paths.flatMap { path, operations in operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
        let folder = OpenAPIFile.root.appendingPathComponent("Sources/LedgerServer")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("Routes+") && $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        let registration = try NSRegularExpression(pattern: #"router\.(get|post|put|patch|delete)\("([^"]+)""#)
        var served: Set<String> = []
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for match in registration.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let method = String(text[Range(match.range(at: 1), in: text)!]).uppercased()
                served.insert("\(method) \(text[Range(match.range(at: 2), in: text)!])")
            }
        }
        #expect(served.count > 30, "\(served.sorted())")
        #expect(served.subtracting(documented).isEmpty, "served but not in docs/api/openapi.json: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "in docs/api/openapi.json but not served: \(documented.subtracting(served).sorted())")
    }
}

@Suite(.enabled(if: TestDatabase.enabled))
struct OpenAPIServiceTests {
    @Test func theServiceServesTheFileByteForByte() async throws {
        let file = try OpenAPIFile.data()
        try await TestDatabase.withFresh { db in
            try await RunningService.with(db) { service in
                let served = try await service.request("GET", "/api/v1/openapi.json")
                #expect(served.status == 200, "\(served)")
                #expect(served.headers["content-type"]?.hasPrefix("application/json") == true, "\(served)")
                #expect(
                    served.body == file,
                    "GET /api/v1/openapi.json differs from docs/api/openapi.json (\(served.body.count) vs \(file.count) bytes): run `make openapi`"
                )
            }
        }
    }

    /// Schemathesis against the live service, signed in as an officer, over every operation of
    /// the document, with a fixed seed: sign-out on a session of its own, sign-in last (its
    /// failures slow down and lock further sign-ins from this address).
    @Test(.enabled(if: PythonTools.runnable, PythonTools.skipMessage), .timeLimit(.minutes(10)))
    func schemathesisFindsNothingTheDocumentDoesNotAllow() async throws {
        let schemathesis = try PythonTools.require("schemathesis")
        try await TestDatabase.withFresh { db in
            try await People.prepare(db)
            // Something to read: A-1 approved and paid in part (P-1); the read models caught up.
            let approver = try await TestDatabase.loginRole("web", memberOf: ["ledger_approver"])
            try await People.ledger(db, ["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9",
                                         "--decided-on", "2024-03-10"], user: approver)
            try await People.ledger(db, ["payment", "record", "--application", "A-1", "--payment-id", "P-1", "--amount", "4000000",
                                         "--paid-on", "2024-03-15", "--method", "bank", "--voucher", "PC-001"])
            try await People.ledger(db, ["projections", "run"])
            let officer = try await People.add(db, role: "officer")
            // The follower in the service keeps the read models current (and shows in /readyz).
            try await RunningService.with(db, arguments: ["--follow-projections"]) { service in
                // Both sessions first: the sign-in run below may lock this address's sign-ins.
                let token = try await service.signIn(officer.user, officer.password)
                let signOutToken = try await service.signIn(officer.user, officer.password)
                let everything = try await Schemathesis.run(
                    schemathesis, service: service, token: token,
                    arguments: ["--exclude-method", "DELETE", "--exclude-operation-id", "signIn"], maxExamples: 40
                )
                #expect(everything.status == 0, "schemathesis (every operation but sign-in and sign-out) found problems:\n\(everything.output)")
                let signOut = try await Schemathesis.run(
                    schemathesis, service: service, token: signOutToken, arguments: ["--include-operation-id", "signOut"], maxExamples: 5
                )
                #expect(signOut.status == 0, "schemathesis (sign-out) found problems:\n\(signOut.output)")
                // Last: failed sign-ins are answered slowly, then locked (429), which the document allows.
                let signIn = try await Schemathesis.run(
                    schemathesis, service: service, token: token, arguments: ["--include-operation-id", "signIn"], maxExamples: 10
                )
                #expect(signIn.status == 0, "schemathesis (sign-in) found problems:\n\(signIn.output)")
            }
        }
    }
}

/// docs/api/openapi.json in this work tree.
enum OpenAPIFile {
    /// The work tree (this file is Tests/LedgerServerTests/OpenAPITests.swift).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let url = root.appendingPathComponent("docs/api/openapi.json")

    static func data() throws -> Data { try Data(contentsOf: url) }
}

/// The venv of the API tests' Python tools.
enum PythonTools {
    static var venv: URL {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["LEDGER_VENV"], !given.isEmpty { return URL(fileURLWithPath: given) }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".cache/ledger/venv")
    }

    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static func tool(_ name: String) -> URL? {
        let url = venv.appendingPathComponent("bin").appendingPathComponent(name)
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }

    /// Run the tests that need the tools: always under CI (a missing tool is then a failure).
    static var runnable: Bool {
        inCI || (tool("openapi-spec-validator") != nil && tool("schemathesis") != nil)
    }

    static var skipMessage: Comment {
        "openapi-spec-validator and schemathesis are not in \(venv.path) (LEDGER_VENV): run `make deps` (scripts/install-deps) to install them"
    }

    static func require(_ name: String) throws -> URL {
        guard let url = tool(name) else {
            throw ServiceFailed(description: "\(name) is not in \(venv.path)/bin (LEDGER_VENV): run `make deps` (scripts/install-deps), which installs it")
        }
        return url
    }
}

/// A tool run to its end (or killed at `timeout`), its stdout and stderr together.
struct ToolRun {
    let status: Int32
    let output: String

    static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: Duration) async throws -> ToolRun {
        try await withScratchFolder { folder in
            let outputURL = folder.appendingPathComponent("output")
            _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
            let handle = try FileHandle(forWritingTo: outputURL)
            defer { try? handle.close() }
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.currentDirectoryURL = folder
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            let deadline = ContinuousClock.now + timeout
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            var timedOut = false
            if process.isRunning {
                timedOut = true
                process.terminate()
                process.waitUntilExit()
            }
            let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
            return ToolRun(status: timedOut ? -1 : process.terminationStatus, output: (timedOut ? "(killed after \(timeout))\n" : "") + output)
        }
    }
}

enum Schemathesis {
    /// The checks that must find nothing.
    static let checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
    static let seed = "20240315"

    static func run(_ executable: URL, service: RunningService, token: String, arguments: [String], maxExamples: Int) async throws -> ToolRun {
        try await ToolRun.run(
            executable,
            [
                "--no-color", "run", OpenAPIFile.url.path, "--url", service.baseURL.absoluteString,
                "-H", "Authorization: Bearer \(token)",
                "--checks", checks, "--max-examples", String(maxExamples), "--seed", seed,
                // One request at a time: a session runs at most a few at once (more are 503).
                "--workers", "1", "--request-timeout", "60", "--output-truncate", "false", "--generation-database", "none",
                "--generation-with-security-parameters", "false",
            ] + arguments,
            environment: ["NO_COLOR": "1"],
            timeout: .seconds(300)
        )
    }
}
