import ArgumentParser
import Foundation
import Ledger

/// `ledger national-id key set|status`: the key national ids are fingerprinted with lives in the
/// database (sql/0014_national_ids.sql), where no login role can read it.
struct NationalIDCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "national-id",
        abstract: "National ids: the key they are fingerprinted with, held by the database.",
        subcommands: [Key.self]
    )

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the national-id key once, or see whether it is set.",
            subcommands: [SetKey.self, KeyStatus.self]
        )
    }

    struct SetKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set the ledger's national-id key (run as an admin; once).",
            discussion: """
                The key is the raw bytes of FILE, at least \(DomainLimits.minimumNationalIDKeyBytes) bytes; one trailing newline \
                (LF or CR LF, as `echo` or an editor leaves) is not part of the key, every other byte is. It is stored in the \
                database where no login role can read it (only the schema's owner: superusers and the deploy account), and \
                officers' machines hold no secret. Recorded as NationalIDKeySet on stream national-id-key with the key's id \
                (16 hex digits naming it), never the key. \
                A key cannot be replaced (national ids are not stored, so fingerprints could not be remade); setting the same \
                key again changes nothing. When the log already holds fingerprints (made with LEDGER_NATIONAL_ID_KEY before \
                the key moved into the database), give the national ids of one or more registered beneficiaries on standard \
                input with --check-national-id-stdin: the key is refused unless it fingerprints each to a registered one. \
                To load the old key: printf '%s' "$LEDGER_NATIONAL_ID_KEY" > FILE.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "File holding the key (raw bytes; one trailing newline is dropped).") var keyFile: String
        @Flag(help: "Read national ids of registered beneficiaries from standard input, one per line, to check the key against the fingerprints in the log.")
        var checkNationalIdStdin = false

        func run() async throws {
            try await reportingErrors {
                let key = try Self.readKey(keyFile)
                let checks = checkNationalIdStdin ? try Self.readNationalIDs() : []
                let service = try await Recording.service(connection)
                let setting = try await service.setNationalIDKey(key, checking: checks)
                switch output.format {
                case .json:
                    Output.data(try Output.json(setting))
                case .table:
                    var pairs = [("key id", setting.keyID)]
                    if setting.alreadySet {
                        pairs.append(("recorded", "nothing new: this key was already set"))
                    } else {
                        pairs.append(("fingerprints in the log", String(setting.fingerprintsInLog)))
                        pairs.append(("national ids checked", String(setting.checkedNationalIDs)))
                        pairs.append(("recorded", "NationalIDKeySet at position \(setting.position.map(String.init) ?? "?")"))
                    }
                    Output.data(Output.keyValues(pairs))
                }
            }
        }

        /// The key: the file's bytes without one trailing LF or CR LF.
        static func readKey(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandError("--key-file: cannot read \(path)")
            }
            var bytes = [UInt8](data)
            if bytes.last == UInt8(ascii: "\n") {
                bytes.removeLast()
                if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            }
            let minimum = DomainLimits.minimumNationalIDKeyBytes
            guard bytes.count >= minimum else {
                throw DomainError.invalidInput(
                    field: "--key-file", problem: "the key is \(bytes.count) bytes (one trailing newline not counted); it must be at least \(minimum)"
                )
            }
            return bytes
        }

        /// National ids, one per line of standard input (blank lines skipped); never echoed.
        static func readNationalIDs() throws -> [NationalID] {
            var ids: [NationalID] = []
            var line = 0
            while let text = readLine(strippingNewline: true) {
                line += 1
                if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                ids.append(try NationalID(parsing: text, field: "--check-national-id-stdin line \(line)"))
            }
            guard !ids.isEmpty else {
                throw CommandError("--check-national-id-stdin: no national id on standard input")
            }
            return ids
        }
    }

    struct KeyStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Whether the ledger's national-id key is set: its id, when and by whom (never the key)."
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors {
                let status = try await Recording.service(connection).nationalIDKeyStatus()
                switch (output.format, status) {
                case (.json, let status?):
                    Output.data(try Output.json(KeyStatusJSON(set: true, keyID: status.keyID, setAt: status.setAt, setBy: status.setBy)))
                case (.json, nil):
                    Output.data(try Output.json(KeyStatusJSON(set: false, keyID: nil, setAt: nil, setBy: nil)))
                case (.table, let status?):
                    Output.data(Output.keyValues([("key", "set"), ("key id", status.keyID), ("set at", status.setAt), ("set by", status.setBy)]))
                case (.table, nil):
                    Output.data(Output.keyValues([("key", "not set")]))
                    Output.message("no national-id key is set: registering with --national-id is refused until an admin runs `ledger national-id key set --key-file FILE`")
                }
            }
        }

        struct KeyStatusJSON: Encodable {
            let set: Bool, keyID: String?, setAt: String?, setBy: String?
            enum CodingKeys: String, CodingKey { case set, keyID = "key_id", setAt = "set_at", setBy = "set_by" }
        }
    }
}
