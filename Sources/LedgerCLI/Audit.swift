import ArgumentParser
import EventStore
import Foundation

/// `ledger audit …`: prove the log is intact.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the hash chain and keep digests of the log.",
        subcommands: [Verify.self, DigestCommand.self]
    )

    /// `ledger audit verify [--digest FILE]`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain and check positions, head and stream versions.",
            discussion: "Exit 0 when intact; 2 and the first bad position otherwise. With --digest, also prove history up to the digest is unchanged."
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "A digest file from `ledger audit digest`, taken earlier.")
        var digest: String?

        func run() async throws {
            try await reportingErrors {
                let expected = try digest.map(DigestFile.read)
                let store = EventStore(connection: try await connection.connect())
                let progress = ProgressLine("verifying")
                let verification = try await store.verifyChain(digest: expected) { progress.update($0) }
                progress.finish()
                let document = VerifyDocument(verification, digest: expected)
                switch output.format {
                case .json: Output.data(try Output.json(document))
                case .table:
                    if let problem = verification.problem {
                        Output.data(Output.keyValues([
                            ("result", "NOT INTACT"),
                            ("first bad position", String(problem.position)),
                            ("problem", problem.kind.rawValue),
                            ("detail", problem.message),
                            ("events checked", Output.grouped(verification.eventsChecked)),
                        ]))
                    } else {
                        var pairs = [
                            ("result", "intact"),
                            ("events checked", Output.grouped(verification.eventsChecked)),
                            ("head position", String(verification.head.position)),
                            ("head hash", verification.head.hash),
                        ]
                        if let expected { pairs.append(("digest", "position \(expected.position) matches")) }
                        Output.data(Output.keyValues(pairs))
                    }
                }
                if verification.problem != nil { throw CommandFailure(exitCode: ExitStatus.integrityProblem) }
            }
        }
    }

    /// `ledger audit digest [--out FILE]`.
    struct DigestCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "digest",
            abstract: "Print (or write) the head position and hash, for an auditor to keep."
        )

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "Write the digest to this file instead of stdout (refuses to overwrite).")
        var out: String?

        func run() async throws {
            try await reportingErrors {
                let database = try await connection.connect()
                let digest = try await EventStore(connection: database).digest()
                let text = try DigestFile.render(digest)
                if let out {
                    try DigestFile.write(text, to: out)
                    Output.message("digest of position \(digest.position) written to \(out)")
                } else {
                    Output.data(text)
                }
            }
        }
    }
}

/// The digest file: `{"hash": "<64 hex>", "position": N, "taken_at": "…"}`. Only position and hash are checked.
enum DigestFile {
    struct Document: Codable {
        let position: Int64
        let hash: String
        let takenAt: String?

        enum CodingKeys: String, CodingKey {
            case position, hash, takenAt = "taken_at"
        }
    }

    static func render(_ digest: Digest) throws -> String {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        return try Output.json(Document(position: digest.position, hash: digest.hash, takenAt: Output.timestamp(now)))
    }

    static func write(_ text: String, to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandError("--out: \(path) already exists; digests are never overwritten")
        }
        guard FileManager.default.createFile(atPath: path, contents: Data((text + "\n").utf8)) else {
            throw CommandError("--out: cannot write \(path)")
        }
    }

    static func read(_ path: String) throws -> Digest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("--digest: cannot read \(path)")
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw CommandError("--digest: \(path) is not a digest file (expected JSON with position and hash)")
        }
        guard document.position >= 0 else { throw CommandError("--digest: position must be ≥ 0") }
        guard document.hash.count == 64, EventHashing.bytes(hex: document.hash) != nil else {
            throw CommandError("--digest: hash must be 64 hexadecimal characters")
        }
        return Digest(position: document.position, hash: document.hash)
    }
}

/// `audit verify --format json`.
struct VerifyDocument: Encodable {
    struct Problem: Encodable {
        let position: Int64
        let kind: String
        let message: String
    }

    let intact: Bool
    let eventsChecked: Int64
    let fromPosition: Int64
    let throughPosition: Int64
    let head: Digest
    let digest: Digest?
    let problem: Problem?

    init(_ verification: ChainVerification, digest: Digest?) {
        intact = verification.isIntact
        eventsChecked = verification.eventsChecked
        fromPosition = verification.fromPosition
        throughPosition = verification.throughPosition
        head = verification.head
        self.digest = digest
        problem = verification.problem.map { Problem(position: $0.position, kind: $0.kind.rawValue, message: $0.message) }
    }

    enum CodingKeys: String, CodingKey {
        case intact, eventsChecked = "events_checked", fromPosition = "from_position", throughPosition = "through_position"
        case head, digest, problem
    }
}
