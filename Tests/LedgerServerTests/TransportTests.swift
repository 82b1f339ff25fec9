import Foundation
import TestSupport
import Testing

/// HTTPS served directly, and behind a proxy the operator trusts: the session cookie is `Secure`
/// exactly when the person's browser reached the service over TLS.
@Suite(.enabled(if: TestDatabase.enabled))
struct TransportTests {
    /// Runs a program; returns (status, stdout, stderr).
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String, String) {
        try await withScratchFolder { folder in
            let out = folder.appendingPathComponent("out"), err = folder.appendingPathComponent("err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
        }
    }

    static func tool(_ name: String) throws -> String {
        for folder in ["/usr/bin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
        throw ServiceFailed(description: "\(name) is not installed (make deps installs it)")
    }

    @Test func directTLSMakesTheCookieSecure() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            try await withScratchFolder { folder in
                let key = folder.appendingPathComponent("key.pem").path, certificate = folder.appendingPathComponent("cert.pem").path
                let made = try await Self.run(try Self.tool("openssl"), [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
                ])
                #expect(made.0 == 0, "\(made.2)")
                try await RunningService.with(db, arguments: ["--tls-certificate", certificate, "--tls-key", key]) { service in
                    #expect(service.baseURL.scheme == "https")
                    let url = service.baseURL.appendingPathComponent("api/v1/session").absoluteString
                    let body = #"{"user":"\#(officer.user)","password":"\#(officer.password)"}"#
                    let answer = try await Self.run(try Self.tool("curl"), [
                        "-sS", "-i", "--cacert", certificate, "-X", "POST", "-H", "Content-Type: application/json", "--data", body, url,
                    ])
                    #expect(answer.0 == 0, "\(answer.2)")
                    #expect(answer.1.hasPrefix("HTTP/1.1 201"), "\(answer.1)")
                    let cookie = answer.1.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") }
                    #expect(cookie?.contains("; Secure") == true, "\(answer.1)")
                    let plain = try await Self.run(try Self.tool("curl"), ["-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                                                          url.replacingOccurrences(of: "https://", with: "http://")])
                    #expect(plain.1 != "201", "plain HTTP is not served on the TLS port")
                }
            }
        }
    }

    @Test func onlyATrustedProxySaysTheClientUsedTLS() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await People.add(db, role: "officer")
            let forwarded = ["X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"]
            let credentials: [String: Any] = ["user": officer.user, "password": officer.password]
            try await RunningService.with(db) { service in
                let untrusted = try await service.request("POST", "/api/v1/session", json: credentials, headers: forwarded)
                #expect(untrusted.status == 201 && untrusted.headers["set-cookie"]?.contains("Secure") == false, "\(untrusted)")
            }
            try await RunningService.with(db, arguments: ["--trusted-proxy", "127.0.0.1"]) { service in
                let trusted = try await service.request("POST", "/api/v1/session", json: credentials, headers: forwarded)
                #expect(trusted.status == 201 && trusted.headers["set-cookie"]?.contains("; Secure") == true, "\(trusted)")
                // Failed sign-ins count against the address the proxy names, not the proxy's own.
                for attempt in 1...3 {
                    _ = try await service.request("POST", "/api/v1/session", json: ["user": officer.user, "password": "bad-\(attempt)"], headers: forwarded)
                }
                #expect(service.log.contains("address=203.0.113.7"), "\(service.log)")
            }
        }
    }
}
