@testable import EventStore
import Crypto
import Foundation
import TestSupport
import Testing

/// Ed25519 signing keys for tree heads: signing and checking, the PEM files, and OpenSSL (the real
/// binary) reading what the ledger writes and the other way round.
struct SigningKeyTests {
    static let head = TreeHead(
        treeSize: 5, rootHash: String(repeating: "1a", count: 32), chainHash: String(repeating: "2b", count: 32),
        takenAtMicros: 1_796_630_645_123_456
    )

    @Test func aSignedHeadChecksValidWithItsKeyAndCarriesItsKeyID() throws {
        let key = TreeSigningKey.generate()
        let signed = try key.sign(Self.head)
        let signature = try #require(signed.signature)
        #expect(signature.algorithm == "Ed25519")
        #expect(signature.keyID == EventHashing.hex(Array(SHA256.hash(data: key.publicKey.rawRepresentation))))
        #expect(signature.keyID == key.publicKey.keyID)
        #expect(Data(base64Encoded: signature.value)?.count == 64)
        #expect(signed.unsigned == Self.head)
        #expect(key.publicKey.check(signed) == .valid)
        // Through the file and back.
        let kept = try TreeHeadFile.parse(Data(try TreeHeadFile.render(signed).utf8))
        #expect(key.publicKey.check(try #require(kept.treeHead)) == .valid)
    }

    static let tamperings: [(String, @Sendable (inout TreeHead) -> Void)] = [
        ("tree size", { $0.treeSize += 1 }),
        ("root hash", { $0.rootHash = "0" + $0.rootHash.dropFirst() }),
        ("chain hash", { $0.chainHash = String($0.chainHash.dropLast()) + "0" }),
        ("time", { $0.takenAtMicros += 1 }),
        ("signature", {
            var bytes = [UInt8](Data(base64Encoded: $0.signature!.value)!)
            bytes[10] ^= 0x01
            $0.signature!.value = Data(bytes).base64EncodedString()
        }),
    ]

    @Test(arguments: tamperings.map(\.0))
    func aChangedHeadIsInvalid(what: String) throws {
        let key = TreeSigningKey.generate()
        var head = try key.sign(Self.head)
        let change = try #require(Self.tamperings.first { $0.0 == what }).1
        change(&head)
        #expect(head != (try key.sign(Self.head)) || what == "signature")
        #expect(key.publicKey.check(head) == .invalid, "\(what)")
    }

    @Test func anotherKeysHeadIsOtherKeyAndAnUnsignedHeadIsUnsigned() throws {
        let signer = TreeSigningKey.generate()
        let other = TreeSigningKey.generate()
        let signed = try signer.sign(Self.head)
        #expect(other.publicKey.check(signed) == .otherKey(keyID: signer.publicKey.keyID))
        #expect(other.publicKey.check(Self.head) == .unsigned)
        #expect(signer.publicKey.check(Self.head) == .unsigned)
        // A head that claims the key's id but was signed by another key does not verify.
        var forged = try other.sign(Self.head)
        forged.signature?.keyID = signer.publicKey.keyID
        #expect(signer.publicKey.check(forged) == .invalid)
    }

    @Test func thePEMFilesAreAsTheSpecSays() throws {
        let key = TreeSigningKey.generate()
        let privateLines = key.pem.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(privateLines.first == "-----BEGIN PRIVATE KEY-----")
        #expect(privateLines.dropLast().last == "-----END PRIVATE KEY-----")
        #expect(key.pem.hasSuffix("-----\n") && !key.pem.contains("\r"))
        let privateDER = [UInt8](try #require(Data(base64Encoded: privateLines[1...].dropLast(2).joined())))
        #expect(privateDER.count == 48)
        #expect(Array(privateDER.prefix(16)) == [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
        #expect(privateLines.allSatisfy { $0.count <= 64 })

        let publicPEM = key.publicKey.pem
        let publicLines = publicPEM.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(publicLines.first == "-----BEGIN PUBLIC KEY-----")
        #expect(publicLines.dropLast().last == "-----END PUBLIC KEY-----")
        let publicDER = [UInt8](try #require(Data(base64Encoded: publicLines[1...].dropLast(2).joined())))
        #expect(Array(publicDER.prefix(12)) == [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
        #expect(Array(publicDER.dropFirst(12)) == key.publicKey.rawRepresentation)

        // Read back.
        let again = try TreeSigningKey(pem: key.pem)
        #expect(again.pem == key.pem)
        #expect(again.publicKey == key.publicKey)
        #expect(try TreeVerifyingKey(pem: publicPEM) == key.publicKey)
        #expect(try TreeVerifyingKey(pem: publicPEM).pem == publicPEM)

        // Windows line ends and text around the block (as `openssl pkey -text` writes) are read too.
        let crlf = "Ed25519 Private-Key:\r\n" + key.pem.replacingOccurrences(of: "\n", with: "\r\n") + "trailing words\r\n"
        #expect(try TreeSigningKey(pem: crlf).pem == key.pem)
        #expect(try TreeVerifyingKey(pem: publicPEM.replacingOccurrences(of: "\n", with: "\r\n")) == key.publicKey)
    }

    static let wrongPrivateKeys: [(pem: String, mentions: String)] = [
        ("", "not a PEM file"),
        ("hello\n", "not a PEM file"),
        (TreeSigningKey.generate().publicKey.pem, "public key"),
        ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n", "-----END PRIVATE KEY-----"),
        ("-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----\n", "not base64"),
        ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n", "not an Ed25519 private key"),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "OpenSSH"),
    ]

    @Test(arguments: wrongPrivateKeys)
    func whatIsNotAnEd25519PrivateKeyIsAClearError(pem: String, mentions: String) {
        do {
            _ = try TreeSigningKey(pem: pem)
            Issue.record("accepted \(pem)")
        } catch let error as KeyFileError {
            #expect(error.description.contains(mentions), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func aPrivateKeyIsNotAPublicKey() throws {
        let key = TreeSigningKey.generate()
        let error = try #require(throws: KeyFileError.self) { try TreeVerifyingKey(pem: key.pem) }
        #expect(error.description.contains("private key"), "\(error)")
    }

    // MARK: - Files

    @Test func writeMakesKeyAndPubWithTheirModesAndNeverOverwrites() async throws {
        try await withScratchFolder { folder in
            let path = folder.appendingPathComponent("tree.key").path
            let key = TreeSigningKey.generate()
            try key.write(path: path)
            #expect(try Self.mode(path) == 0o600)
            #expect(try Self.mode(path + ".pub") == 0o644)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == key.pem)
            #expect(try String(contentsOfFile: path + ".pub", encoding: .utf8) == key.publicKey.pem)
            #expect(try TreeSigningKey.read(path: path).pem == key.pem)
            #expect(try TreeVerifyingKey.read(path: path + ".pub") == key.publicKey)

            // A second key to the same place: refused, the first untouched.
            let error = try #require(throws: KeyFileError.self) { try TreeSigningKey.generate().write(path: path) }
            #expect(error.path == path, "\(error)")
            #expect(error.description.contains("already exists"), "\(error)")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == key.pem)
            #expect(try String(contentsOfFile: path + ".pub", encoding: .utf8) == key.publicKey.pem)

            // Only KEY.pub there: refused before anything is written.
            let lonely = folder.appendingPathComponent("lonely.key").path
            try Data("kept\n".utf8).write(to: URL(fileURLWithPath: lonely + ".pub"))
            let pubError = try #require(throws: KeyFileError.self) { try TreeSigningKey.generate().write(path: lonely) }
            #expect(pubError.path == lonely + ".pub", "\(pubError)")
            #expect(!FileManager.default.fileExists(atPath: lonely))
            #expect(try String(contentsOfFile: lonely + ".pub", encoding: .utf8) == "kept\n")

            // A folder that does not exist.
            let nowhere = folder.appendingPathComponent("no/such/folder/key").path
            let nowhereError = try #require(throws: KeyFileError.self) { try TreeSigningKey.generate().write(path: nowhere) }
            #expect(nowhereError.description.hasPrefix(nowhere + ": cannot write"), "\(nowhereError)")
        }
    }

    @Test func readingAMissingOrWrongFileNamesIt() async throws {
        try await withScratchFolder { folder in
            let missing = folder.appendingPathComponent("missing.key").path
            let error = try #require(throws: KeyFileError.self) { try TreeSigningKey.read(path: missing) }
            #expect(error.description == "\(missing): no such file")
            let publicError = try #require(throws: KeyFileError.self) { try TreeVerifyingKey.read(path: missing) }
            #expect(publicError.description.hasPrefix(missing))

            let key = TreeSigningKey.generate()
            let pub = folder.appendingPathComponent("k.pub").path
            try Data(key.publicKey.pem.utf8).write(to: URL(fileURLWithPath: pub))
            let swapped = try #require(throws: KeyFileError.self) { try TreeSigningKey.read(path: pub) }
            #expect(swapped.description.hasPrefix("\(pub): "), "\(swapped)")
            #expect(swapped.description.contains("public key"), "\(swapped)")
        }
    }

    // MARK: - OpenSSL

    @Test func openSSLReadsTheKeysAndVerifiesTheSignatures() async throws {
        try await withScratchFolder { folder in
            let path = folder.appendingPathComponent("tree.key").path
            let key = TreeSigningKey.generate()
            try key.write(path: path)
            // openssl pkey -in KEY -pubout prints KEY.pub.
            let pubout = try Self.openssl(["pkey", "-in", path, "-pubout"])
            #expect(pubout.status == 0, "\(pubout)")
            #expect(pubout.stdout == (try String(contentsOfFile: path + ".pub", encoding: .utf8)))

            let signed = try key.sign(Self.head)
            let message = folder.appendingPathComponent("message").path
            let signature = folder.appendingPathComponent("signature").path
            try Data(signed.signedMessage).write(to: URL(fileURLWithPath: message))
            try Data(base64Encoded: signed.signature!.value)!.write(to: URL(fileURLWithPath: signature))
            let verify = ["pkeyutl", "-verify", "-pubin", "-inkey", path + ".pub", "-rawin", "-in", message, "-sigfile", signature]
            let verified = try Self.openssl(verify)
            #expect(verified.status == 0, "\(verified)")
            #expect(verified.stdout.contains("Signature Verified Successfully"), "\(verified)")

            // The message of a changed head does not verify.
            var changed = signed
            changed.treeSize += 1
            try Data(changed.signedMessage).write(to: URL(fileURLWithPath: message))
            let refused = try Self.openssl(verify)
            #expect(refused.status != 0, "\(refused)")
        }
    }

    @Test func aKeyMadeByOpenSSLSignsAndItsSignaturesCheckInSwift() async throws {
        try await withScratchFolder { folder in
            let path = folder.appendingPathComponent("openssl.key").path
            let made = try Self.openssl(["genpkey", "-algorithm", "ed25519", "-out", path])
            #expect(made.status == 0, "\(made)")
            let key = try TreeSigningKey.read(path: path)
            #expect(key.pem == (try String(contentsOfFile: path, encoding: .utf8)))
            let pubout = try Self.openssl(["pkey", "-in", path, "-pubout"])
            #expect(try TreeVerifyingKey(pem: pubout.stdout) == key.publicKey)

            // Signed in Swift with OpenSSL's key.
            #expect(key.publicKey.check(try key.sign(Self.head)) == .valid)

            // Signed by OpenSSL, checked in Swift.
            let message = folder.appendingPathComponent("message").path
            let signature = folder.appendingPathComponent("signature").path
            try Data(Self.head.signedMessage).write(to: URL(fileURLWithPath: message))
            let signing = try Self.openssl(["pkeyutl", "-sign", "-inkey", path, "-rawin", "-in", message, "-out", signature])
            #expect(signing.status == 0, "\(signing)")
            var head = Self.head
            head.signature = TreeHead.Signature(
                keyID: key.publicKey.keyID, value: try Data(contentsOf: URL(fileURLWithPath: signature)).base64EncodedString()
            )
            #expect(key.publicKey.check(head) == .valid)
            head.takenAtMicros += 1
            #expect(key.publicKey.check(head) == .invalid)
        }
    }

    static let otherAlgorithms: [(arguments: [String], mentions: String)] = [
        (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "EC (ECDSA) key, not Ed25519"),
        (["-algorithm", "x25519"], "X25519 key"),
        (["-algorithm", "ed448"], "Ed448 key"),
    ]

    @Test(arguments: otherAlgorithms)
    func aKeyOfAnotherAlgorithmIsRefusedNamingIt(arguments: [String], mentions: String) async throws {
        try await withScratchFolder { folder in
            let path = folder.appendingPathComponent("other.key").path
            let made = try Self.openssl(["genpkey"] + arguments + ["-out", path])
            #expect(made.status == 0, "\(made)")
            let error = try #require(throws: KeyFileError.self) { try TreeSigningKey.read(path: path) }
            #expect(error.description.hasPrefix("\(path): "), "\(error)")
            #expect(error.description.contains(mentions), "\(error)")
            let pubout = try Self.openssl(["pkey", "-in", path, "-pubout"])
            let publicError = try #require(throws: KeyFileError.self) { try TreeVerifyingKey(pem: pubout.stdout) }
            #expect(publicError.description.contains(mentions), "\(publicError)")
        }
    }

    // MARK: - Helpers

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    struct Run: CustomStringConvertible {
        let status: Int32
        let stdout: String
        let stderr: String
        var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// The real `openssl` binary (on PATH, else /usr/bin/openssl).
    static func openssl(_ arguments: [String]) throws -> Run {
        let searched = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/openssl" }
        let executable = (searched + ["/usr/bin/openssl"]).first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/openssl"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
