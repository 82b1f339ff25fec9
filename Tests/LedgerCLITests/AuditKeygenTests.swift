import EventStore
import Foundation
import TestSupport
import Testing

/// `ledger audit keygen --out KEY` through the real binary. It needs no database: every run here
/// points libpq at a server that does not exist, so a command that tried to connect would fail.
struct AuditKeygenTests {
    /// The environment with no reachable PostgreSQL.
    static func noDatabase(_ folder: URL) -> [String: String] {
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": folder.path]
        environment["PGHOST"] = folder.appendingPathComponent("no-server").path
        environment["PGPORT"] = "1"
        environment["PGDATABASE"] = "no_such_database"
        environment["PGCONNECT_TIMEOUT"] = "1"
        return environment
    }

    static func keygen(_ arguments: [String], in folder: URL) async throws -> LedgerRun {
        try await LedgerBinary.run(["audit", "keygen"] + arguments, environment: noDatabase(folder))
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    static func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test func keygenWritesTheKeyAndItsPublicKeyAndPrintsWhereAndTheKeyID() async throws {
        try await withScratchFolder { folder in
            let key = folder.appendingPathComponent("tree-heads.key").path
            let run = try await Self.keygen(["--out", key], in: folder)
            #expect(run.status == 0, "\(run)")
            #expect(run.stderr.isEmpty, "\(run)")
            #expect(try Self.mode(key) == 0o600)
            #expect(try Self.mode(key + ".pub") == 0o644)
            #expect(try Self.contents(key).hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
            #expect(try Self.contents(key + ".pub").hasPrefix("-----BEGIN PUBLIC KEY-----\n"))

            let signing = try TreeSigningKey.read(path: key)
            let verifying = try TreeVerifyingKey.read(path: key + ".pub")
            #expect(signing.publicKey == verifying)
            #expect(value(of: "signing key", in: run.stdout)?.hasPrefix(key + " ") == true, "\(run)")
            #expect(value(of: "public key", in: run.stdout)?.hasPrefix(key + ".pub ") == true, "\(run)")
            #expect(value(of: "key id", in: run.stdout) == verifying.keyID, "\(run)")
            #expect(run.stdout.contains("off the database server"), "\(run)")

            // What it signs checks with the public key it wrote.
            let head = TreeHead(treeSize: 1, rootHash: String(repeating: "a", count: 64), chainHash: String(repeating: "b", count: 64), takenAtMicros: 1)
            #expect(verifying.check(try signing.sign(head)) == .valid)
        }
    }

    @Test func anExistingKeyIsNeverOverwritten() async throws {
        try await withScratchFolder { folder in
            let key = folder.appendingPathComponent("tree.key").path
            #expect(try await Self.keygen(["--out", key], in: folder).status == 0)
            let before = (try Self.contents(key), try Self.contents(key + ".pub"))

            let again = try await Self.keygen(["--out", key], in: folder)
            #expect(again.status == 1, "\(again)")
            #expect(again.stderr.contains("--out"), "\(again)")
            #expect(again.stderr.contains(key), "\(again)")
            #expect(again.stderr.contains("already exists"), "\(again)")
            #expect(again.stdout.isEmpty, "\(again)")
            #expect(try Self.contents(key) == before.0)
            #expect(try Self.contents(key + ".pub") == before.1)
            #expect(try Self.mode(key) == 0o600)
        }
    }

    @Test func anExistingPublicKeyStopsItBeforeAnythingIsWritten() async throws {
        try await withScratchFolder { folder in
            let key = folder.appendingPathComponent("tree.key").path
            try Data("someone's public key\n".utf8).write(to: URL(fileURLWithPath: key + ".pub"))
            let run = try await Self.keygen(["--out", key], in: folder)
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains(key + ".pub"), "\(run)")
            #expect(run.stderr.contains("already exists"), "\(run)")
            #expect(!FileManager.default.fileExists(atPath: key), "no half-written key pair")
            #expect(try Self.contents(key + ".pub") == "someone's public key\n")
        }
    }

    @Test func aFolderThatDoesNotExistIsAClearErrorAndNothingIsWritten() async throws {
        try await withScratchFolder { folder in
            let key = folder.appendingPathComponent("missing/tree.key").path
            let run = try await Self.keygen(["--out", key], in: folder)
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("--out: \(key): cannot write"), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).allSatisfy { !$0.contains("tree") })

            // A folder where the key should go: nothing written either.
            let taken = folder.appendingPathComponent("a-folder").path
            try FileManager.default.createDirectory(atPath: taken, withIntermediateDirectories: false)
            let onFolder = try await Self.keygen(["--out", taken], in: folder)
            #expect(onFolder.status == 1, "\(onFolder)")
            #expect(onFolder.stderr.contains(taken), "\(onFolder)")
            #expect(!FileManager.default.fileExists(atPath: taken + ".pub"))
        }
    }

    @Test(arguments: [[], ["--out", ""], ["--out"]])
    func withoutAFileItIsAUsageError(arguments: [String]) async throws {
        try await withScratchFolder { folder in
            let run = try await Self.keygen(arguments, in: folder)
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("--out"), "\(run)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }
    }

    @Test func auditHelpListsKeygen() async throws {
        try await withScratchFolder { folder in
            let run = try await LedgerBinary.run(["audit", "--help"], environment: Self.noDatabase(folder))
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("keygen"), "\(run)")
            let own = try await Self.keygen(["--help"], in: folder)
            #expect(own.stdout.contains("off the database server"), "\(own)")
        }
    }
}
