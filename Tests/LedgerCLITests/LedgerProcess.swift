import Foundation
import Testing

/// What a run of the `ledger` binary showed its user.
struct LedgerRun: Sendable, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stdout: String
    let stderr: String

    var description: String {
        "ledger \(arguments.joined(separator: " ")) → exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Runs the `ledger` executable built next to the test bundle, as a user would.
enum LedgerBinary {
    /// `LEDGER_BINARY` if set; otherwise `ledger` in the build folder that holds the test bundle
    /// (`swift test` on Linux runs `.build/<triple>/debug/<package>PackageTests.xctest`, so
    /// `CommandLine.arguments[0]`'s folder; on macOS the bundle's parent folder).
    static let url: URL? = {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [URL] = []
        if let explicit = environment["LEDGER_BINARY"], !explicit.isEmpty { candidates.append(URL(fileURLWithPath: explicit)) }
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("ledger"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("ledger"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ledger"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs `ledger arguments…` with exactly `environment`, stdin empty; waits for it to exit.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> LedgerRun {
        let executable = try #require(url, "the ledger binary was not found next to the tests; build it with `swift build` or set LEDGER_BINARY")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // Files rather than pipes: no risk of a full pipe blocking the child.
        let stdoutURL = folder.appendingPathComponent("stdout")
        let stderrURL = folder.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try stdoutHandle.close()
        try stderrHandle.close()
        return LedgerRun(
            arguments: arguments, status: status,
            stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self)
        )
    }
}

/// A scratch folder for digest files, removed afterwards.
func withScratchFolder<T>(_ body: (URL) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-digests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try await body(folder)
}
