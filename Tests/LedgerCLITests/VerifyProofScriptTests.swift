import Foundation
import Testing

/// The independent proof verifier (scripts/verify-proof) checked by its own Python tests
/// (Tests/Proofs/test_verify_proof.py): RFC 9162 test vectors, every inclusion and consistency
/// proof up to 64 leaves built by a reference implementation of the RFC, and tampered proofs,
/// wrong keys and unsigned receipts refused with their reasons. No database: Python 3 and
/// `openssl` only. Under CI (CI=true) a missing `openssl` fails the run instead of skipping the
/// signature cases.
struct VerifyProofScriptTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether `name` is an executable on PATH.
    static func onPath(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    @Test func thePythonTestsOfTheProofVerifierPass() throws {
        if Self.inCI {
            #expect(Self.onPath("openssl"), "openssl is not on PATH: the proof verifier's signature tests cannot run (CI=true); run `make deps` (scripts/install-deps), which installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-B", "Tests/Proofs/test_verify_proof.py"]
        process.currentDirectoryURL = Self.repositoryRoot
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("verify-proof-tests-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            Issue.record("cannot create \(output.path) for the test's output")
            return
        }
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "python3 Tests/Proofs/test_verify_proof.py exited \(process.terminationStatus):\n\(text)")
        #expect(text.contains("OK"), "\(text)")
    }
}
