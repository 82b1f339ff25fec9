import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A key file that cannot be read or written, naming the file and the problem.
public struct KeyFileError: Error, Sendable, CustomStringConvertible {
    /// The file, when there is one (nil for PEM text given directly).
    public let path: String?
    public let problem: String

    public init(path: String?, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        path.map { "\($0): \(problem)" } ?? problem
    }

    func at(_ path: String) -> KeyFileError {
        KeyFileError(path: path, problem: problem)
    }
}

/// The Ed25519 key that signs tree heads (`ledger audit keygen`). Its file is PEM PKCS#8
/// (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey -algorithm ed25519` writes it. It is
/// kept by the auditor or the operator, never on the database server or in the database.
public struct TreeSigningKey: Sendable {
    /// The 32-byte seed (swift-crypto's key types are not Sendable; the key is made from it when used).
    let seed: [UInt8]

    var key: Curve25519.Signing.PrivateKey {
        // The seed was checked when this value was made.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    init(key: Curve25519.Signing.PrivateKey) {
        self.seed = Array(key.rawRepresentation)
    }

    /// A new random key.
    public static func generate() -> TreeSigningKey {
        TreeSigningKey(key: Curve25519.Signing.PrivateKey())
    }

    /// A key from its PEM PKCS#8 text; `KeyFileError` when it is not an Ed25519 private key.
    public init(pem: String) throws {
        let der = try PEM.decode(pem, label: "PRIVATE KEY", what: "a private key", hints: [
            "PUBLIC KEY": "this is a public key (KEY.pub); the signing key is the file without .pub",
            "ENCRYPTED PRIVATE KEY": "the key is encrypted; give it unencrypted (openssl pkey -in KEY -out PLAIN)",
            "OPENSSH PRIVATE KEY": "an OpenSSH key is not PKCS#8; make one with `ledger audit keygen`",
            "EC PRIVATE KEY": "an EC (ECDSA) key, not Ed25519",
            "RSA PRIVATE KEY": "an RSA key, not Ed25519",
        ])
        let parsed = try DER.pkcs8Ed25519Seed(der)
        let key: Curve25519.Signing.PrivateKey
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: parsed.seed)
        } catch {
            throw KeyFileError(path: nil, problem: "not a valid Ed25519 private key")
        }
        seed = parsed.seed
        if let embedded = parsed.publicKey, embedded != Array(key.publicKey.rawRepresentation) {
            throw KeyFileError(path: nil, problem: "the public key inside the file does not belong to its private key")
        }
    }

    /// The PEM PKCS#8 text: `-----BEGIN PRIVATE KEY-----`, 64-column base64, final newline.
    public var pem: String {
        PEM.encode(DER.pkcs8Prefix + seed, label: "PRIVATE KEY")
    }

    /// The public key that checks this key's signatures.
    public var publicKey: TreeVerifyingKey {
        TreeVerifyingKey(key: key.publicKey)
    }

    /// The head with its signature (over `signedMessage`) set; any earlier signature is replaced.
    public func sign(_ head: TreeHead) throws -> TreeHead {
        var signed = head
        let value = try key.signature(for: head.signedMessage)
        signed.signature = TreeHead.Signature(algorithm: "Ed25519", keyID: publicKey.keyID, value: Data(value).base64EncodedString())
        return signed
    }

    /// Reads a key file (PEM PKCS#8).
    public static func read(path: String) throws -> TreeSigningKey {
        let text = try KeyFiles.readText(path)
        do {
            return try TreeSigningKey(pem: text)
        } catch let error as KeyFileError {
            throw error.at(path)
        }
    }

    /// Writes the key to `path` (mode 0600) and its public key to `path.pub` (mode 0644). Never
    /// overwrites: if either exists, nothing is written. If the second cannot be written, the
    /// first is removed again.
    public func write(path: String) throws {
        let publicPath = path + ".pub"
        for existing in [path, publicPath] where KeyFiles.exists(existing) {
            throw KeyFileError(path: existing, problem: "already exists; key files are never overwritten")
        }
        try KeyFiles.create(path, contents: pem, mode: 0o600)
        do {
            try KeyFiles.create(publicPath, contents: publicKey.pem, mode: 0o644)
        } catch {
            unlink(path)
            throw error
        }
    }
}

/// The public half of a `TreeSigningKey`: PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`),
/// as `openssl pkey -in KEY -pubout` prints it. What inspectors are given to check tree heads.
public struct TreeVerifyingKey: Sendable, Equatable {
    /// The 32 bytes of the key.
    public let rawRepresentation: [UInt8]

    var key: Curve25519.Signing.PublicKey {
        // The bytes were checked when this value was made.
        try! Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
    }

    init(key: Curve25519.Signing.PublicKey) {
        rawRepresentation = Array(key.rawRepresentation)
    }

    /// A key from its PEM SubjectPublicKeyInfo text; `KeyFileError` when it is not an Ed25519 public key.
    public init(pem: String) throws {
        let der = try PEM.decode(pem, label: "PUBLIC KEY", what: "a public key", hints: [
            "PRIVATE KEY": "this is a private key; give its public key (KEY.pub)",
            "ENCRYPTED PRIVATE KEY": "this is a private key; give its public key (KEY.pub)",
            "CERTIFICATE": "a certificate, not a public key",
            "RSA PUBLIC KEY": "an RSA key, not Ed25519",
        ])
        let raw = try DER.spkiEd25519PublicKey(der)
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw KeyFileError(path: nil, problem: "not a valid Ed25519 public key")
        }
        rawRepresentation = raw
    }

    /// The PEM text: `-----BEGIN PUBLIC KEY-----`, base64, final newline.
    public var pem: String {
        PEM.encode(DER.spkiPrefix + rawRepresentation, label: "PUBLIC KEY")
    }

    /// Lowercase hex of SHA-256 of the 32-byte raw key: a head's `signature.key_id`.
    public var keyID: String {
        EventHashing.hex(Array(SHA256.hash(data: rawRepresentation)))
    }

    /// Reads a public key file (PEM SubjectPublicKeyInfo).
    public static func read(path: String) throws -> TreeVerifyingKey {
        let text = try KeyFiles.readText(path)
        do {
            return try TreeVerifyingKey(pem: text)
        } catch let error as KeyFileError {
            throw error.at(path)
        }
    }

    /// Whether the head's signature is this key's and holds for what the head says.
    public func check(_ head: TreeHead) -> SignatureCheck {
        guard let signature = head.signature else { return .unsigned }
        guard signature.keyID.lowercased() == keyID else { return .otherKey(keyID: signature.keyID) }
        guard signature.algorithm == "Ed25519", let value = Data(base64Encoded: signature.value), value.count == 64,
              key.isValidSignature(value, for: head.signedMessage) else { return .invalid }
        return .valid
    }
}

/// What `TreeVerifyingKey.check` found.
public enum SignatureCheck: Sendable, Equatable {
    /// Signed by this key, and the signature holds.
    case valid
    /// The head carries no signature.
    case unsigned
    /// Signed (it says) by another key: the head's key_id.
    case otherKey(keyID: String)
    /// Signed with this key's id, but the signature does not hold: the head or the signature was changed.
    case invalid
}

// MARK: - PEM and the two DER forms

enum PEM {
    /// The DER inside the one `-----BEGIN label-----` block of `text`.
    static func decode(_ text: String, label: String, what: String, hints: [String: String]) throws -> [UInt8] {
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else {
            throw KeyFileError(path: nil, problem: "not a PEM file (no -----BEGIN \(label)----- line); expected \(what)")
        }
        let found = String(lines[begin].dropFirst("-----BEGIN ".count).dropLast("-----".count))
        guard found == label else {
            let hint = hints[found] ?? "expected -----BEGIN \(label)-----"
            throw KeyFileError(path: nil, problem: "found -----BEGIN \(found)-----: \(hint)")
        }
        guard let end = lines[begin...].firstIndex(of: "-----END \(label)-----") else {
            throw KeyFileError(path: nil, problem: "no -----END \(label)----- line (the file is cut short?)")
        }
        let body = lines[(begin + 1)..<end]
        if body.contains(where: { $0.contains(":") }) {
            throw KeyFileError(path: nil, problem: "the key is encrypted (PEM headers); give it unencrypted")
        }
        guard let der = Data(base64Encoded: body.joined()) else {
            throw KeyFileError(path: nil, problem: "the text between the BEGIN and END lines is not base64")
        }
        return Array(der)
    }

    /// `-----BEGIN label-----`, base64 in lines of 64 characters, `-----END label-----`, final newline.
    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Array(Data(der).base64EncodedString())
        var lines = ["-----BEGIN \(label)-----"]
        var start = 0
        while start < base64.count {
            lines.append(String(base64[start..<min(start + 64, base64.count)]))
            start += 64
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

enum DER {
    /// PKCS#8 v1 of an Ed25519 key (RFC 8410): SEQUENCE { 0, SEQUENCE { 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    /// SubjectPublicKeyInfo of an Ed25519 key: SEQUENCE { SEQUENCE { 1.3.101.112 }, BIT STRING key }.
    static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
    static let ed25519: [UInt8] = [0x2b, 0x65, 0x70]

    /// Names of the algorithms a key file is most likely to hold instead.
    static let otherAlgorithms: [[UInt8]: String] = [
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]: "an RSA key",
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]: "an EC (ECDSA) key",
        [0x2b, 0x65, 0x6e]: "an X25519 key (for key agreement)",
        [0x2b, 0x65, 0x6f]: "an X448 key",
        [0x2b, 0x65, 0x71]: "an Ed448 key",
    ]

    struct Element {
        let tag: UInt8
        let content: ArraySlice<UInt8>
    }

    /// The elements of `bytes`, in order; nil if the encoding is broken.
    static func elements(_ bytes: ArraySlice<UInt8>) -> [Element]? {
        var result: [Element] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let tag = bytes[index]
            index += 1
            guard index < bytes.endIndex else { return nil }
            var length = Int(bytes[index])
            index += 1
            if length & 0x80 != 0 {
                let count = length & 0x7f
                guard count >= 1, count <= 2, index + count <= bytes.endIndex else { return nil }
                length = 0
                for _ in 0..<count {
                    length = length << 8 | Int(bytes[index])
                    index += 1
                }
            }
            guard length <= bytes.endIndex - index else { return nil }
            result.append(Element(tag: tag, content: bytes[index..<(index + length)]))
            index += length
        }
        return result
    }

    /// The one SEQUENCE that is the whole of `der`, as its elements.
    static func sequence(_ der: ArraySlice<UInt8>) -> [Element]? {
        guard let outer = elements(der), outer.count == 1, outer[0].tag == 0x30 else { return nil }
        return elements(outer[0].content)
    }

    /// The algorithm's OID in an AlgorithmIdentifier, checked to be Ed25519 (no parameters).
    static func checkEd25519(_ identifier: Element, kind: String) throws {
        guard identifier.tag == 0x30, let parts = elements(identifier.content), let oid = parts.first, oid.tag == 0x06 else {
            throw KeyFileError(path: nil, problem: "not \(kind) (no algorithm identifier)")
        }
        guard Array(oid.content) == ed25519 else {
            let name = otherAlgorithms[Array(oid.content)] ?? "a key of another algorithm"
            throw KeyFileError(path: nil, problem: "\(name), not Ed25519")
        }
        guard parts.count == 1 else { throw KeyFileError(path: nil, problem: "not \(kind) (Ed25519 takes no parameters)") }
    }

    /// The 32-byte seed of a PKCS#8 (v1, or v2 with the public key) Ed25519 private key.
    static func pkcs8Ed25519Seed(_ der: [UInt8]) throws -> (seed: [UInt8], publicKey: [UInt8]?) {
        let kind = "an Ed25519 private key (PKCS#8)"
        guard let parts = sequence(der[...]), parts.count >= 3,
              parts[0].tag == 0x02, parts[0].content.count == 1, parts[0].content.first! <= 1 else {
            throw KeyFileError(path: nil, problem: "not \(kind)")
        }
        try checkEd25519(parts[1], kind: kind)
        guard parts[2].tag == 0x04, let inner = elements(parts[2].content), inner.count == 1,
              inner[0].tag == 0x04, inner[0].content.count == 32 else {
            throw KeyFileError(path: nil, problem: "not \(kind) (the private key is not 32 bytes)")
        }
        var publicKey: [UInt8]?
        for part in parts.dropFirst(3) {
            switch part.tag {
            case 0xa0: continue // attributes
            case 0x81, 0xa1:
                // [1] publicKey, a BIT STRING with no unused bits (implicit or, from some tools, explicit).
                var content = part.content
                if part.tag == 0xa1 {
                    guard let bits = elements(content), bits.count == 1, bits[0].tag == 0x03 else {
                        throw KeyFileError(path: nil, problem: "not \(kind) (malformed public key)")
                    }
                    content = bits[0].content
                }
                guard content.count == 33, content.first == 0 else {
                    throw KeyFileError(path: nil, problem: "not \(kind) (malformed public key)")
                }
                publicKey = Array(content.dropFirst())
            default:
                throw KeyFileError(path: nil, problem: "not \(kind) (unexpected field)")
            }
        }
        return (Array(inner[0].content), publicKey)
    }

    /// The 32 raw bytes of an Ed25519 SubjectPublicKeyInfo.
    static func spkiEd25519PublicKey(_ der: [UInt8]) throws -> [UInt8] {
        let kind = "an Ed25519 public key (SubjectPublicKeyInfo)"
        guard let parts = sequence(der[...]), parts.count == 2 else {
            throw KeyFileError(path: nil, problem: "not \(kind)")
        }
        try checkEd25519(parts[0], kind: kind)
        guard parts[1].tag == 0x03, parts[1].content.count == 33, parts[1].content.first == 0 else {
            throw KeyFileError(path: nil, problem: "not \(kind) (the key is not 32 bytes)")
        }
        return Array(parts[1].content.dropFirst())
    }
}

// MARK: - Files

enum KeyFiles {
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func readText(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KeyFileError(path: path, problem: "no such file")
        }
        guard !isDirectory.boolValue else { throw KeyFileError(path: path, problem: "is a folder, not a key file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyFileError(path: path, problem: "cannot be read (permissions?)")
        }
        guard data.count <= 64 * 1024, let text = String(data: data, encoding: .utf8) else {
            throw KeyFileError(path: path, problem: "not a PEM key file")
        }
        return text
    }

    /// Creates `path` (O_EXCL: never an existing file) with `mode`, writes all of `contents` and
    /// syncs it; on any failure the file is removed again.
    static func create(_ path: String, contents: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw KeyFileError(path: path, problem: "already exists; key files are never overwritten") }
            throw KeyFileError(path: path, problem: "cannot write: \(String(cString: strerror(code)))")
        }
        var failure: Int32?
        if fchmod(descriptor, mode) != 0 { failure = errno }
        if failure == nil {
            let bytes = Array(contents.utf8)
            var written = 0
            while written < bytes.count {
                let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                written += result
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0, failure == nil { failure = errno }
        if let failure {
            unlink(path)
            throw KeyFileError(path: path, problem: "cannot write: \(String(cString: strerror(failure)))")
        }
    }
}
