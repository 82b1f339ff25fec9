import ArgumentParser
import EventStore
import Foundation

extension Audit {
    /// `ledger audit keygen --out KEY`: a new Ed25519 key pair for signing tree heads.
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Make an Ed25519 key pair for signing tree heads (KEY and KEY.pub); needs no database.",
            discussion: """
                Writes the private key to KEY (PEM PKCS#8, mode 0600) and its public key to KEY.pub (PEM \
                SubjectPublicKeyInfo, mode 0644); OpenSSL reads both. Give KEY to `ledger audit digest --sign-key KEY`; \
                give KEY.pub to inspectors and auditors (`ledger audit verify --public-key KEY.pub`, \
                scripts/verify-proof --public-key KEY.pub). Keep KEY off the database server: the private key never \
                enters the database. An existing KEY or KEY.pub is never overwritten. Prints the key id, the \
                key_id every head it signs carries (hex SHA-256 of the raw public key).
                """
        )

        @Option(help: ArgumentHelp("The private key's file; the public key goes to KEY.pub (neither may exist).", valueName: "KEY"), completion: .file())
        var out: String

        func validate() throws {
            guard !out.isEmpty else { throw ValidationError("--out: give a file name for the key") }
        }

        func run() async throws {
            try await reportingErrors {
                let key = TreeSigningKey.generate()
                do {
                    try key.write(path: out)
                } catch let error as KeyFileError {
                    throw CommandError("--out: \(error.description)")
                }
                Output.data(Output.keyValues([
                    ("signing key", "\(out) (mode 0600: keep it off the database server, with a backup)"),
                    ("public key", "\(out).pub (for inspectors and auditors)"),
                    ("key id", key.publicKey.keyID),
                ]))
            }
        }
    }
}
