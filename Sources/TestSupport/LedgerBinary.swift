import Foundation

/// What a run of the `ledger` binary showed its user.
public struct LedgerRun: Sendable, CustomStringConvertible {
    public let arguments: [String]
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public var description: String {
        "ledger \(arguments.joined(separator: " ")) → exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// The `ledger` binary could not be found next to the tests.
public struct LedgerBinaryMissing: Error, CustomStringConvertible {
    public var description: String {
        "the ledger binary was not found next to the tests; build it with `swift build` or set LEDGER_BINARY"
    }
}

/// Runs the `ledger` executable built next to the test bundle, as a user would.
public enum LedgerBinary {
    /// `LEDGER_BINARY` if set; otherwise `ledger` in the build folder that holds the test bundle
    /// (`swift test` on Linux runs `.build/<triple>/debug/<package>PackageTests.xctest`, so
    /// `CommandLine.arguments[0]`'s folder; on macOS the bundle's parent folder).
    public static let url: URL? = {
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

    /// Runs `ledger arguments…` with exactly `environment`, stdin empty (or `standardInput`); waits
    /// for it to exit. Output goes to files rather than pipes: no risk of a full pipe blocking the child.
    public static func run(
        _ arguments: [String], environment: [String: String], standardInput: String? = nil
    ) async throws -> LedgerRun {
        guard let executable = url else { throw LedgerBinaryMissing() }
        return try await withScratchFolder { folder in
            let stdoutURL = folder.appendingPathComponent("stdout")
            let stderrURL = folder.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
            let stderrHandle = try FileHandle(forWritingTo: stderrURL)

            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.environment = environment
            if let standardInput {
                let stdinURL = folder.appendingPathComponent("stdin")
                try Data(standardInput.utf8).write(to: stdinURL)
                process.standardInput = try FileHandle(forReadingFrom: stdinURL)
            } else {
                process.standardInput = FileHandle.nullDevice
            }
            process.standardOutput = stdoutHandle
            process.standardError = stderrHandle
            let status: Int32 = try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
                do {
                    try process.run()
                    // A watchdog: a command that hangs (say, on a server frozen mid-crash) is killed
                    // after 10 minutes and fails its test, instead of holding the whole run.
                    let pid = process.processIdentifier
                    DispatchQueue.global().asyncAfter(deadline: .now() + 600) {
                        if process.isRunning && process.processIdentifier == pid { kill(pid, SIGKILL) }
                    }
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
}

/// A scratch folder, removed afterwards.
public func withScratchFolder<T>(_ body: (URL) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-scratch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try await body(folder)
}
