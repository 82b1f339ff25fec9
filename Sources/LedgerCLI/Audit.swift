import ArgumentParser
import EventStore
import Foundation
import Ledger

/// `ledger audit …`: prove the log is intact.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the hash chain and the Merkle tree, keep signed tree heads, and prove events and consistency.",
        subcommands: [Verify.self, DigestCommand.self, Prove.self, Consistency.self, Receipt.self, Export.self, History.self, Reconcile.self, Schema.self, Keygen.self]
    )

    /// `ledger audit verify [--digest FILE] [--chain-only]`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain, check positions, head and stream versions, and replay every domain invariant.",
            discussion: """
                Two checks run side by side on two connections: the hash chain (and contiguity, the head, stream versions, the \
                digest, and each event's command_id column against its hashed metadata) and a replay of every event that \
                re-checks the domain's rules — no overpayment, no overspent budget, no approval above the cap (once-only caps \
                from commitments less releases), four eyes, no duplicate national id (normalised), reservations, commitments, \
                releases and loans only with the application event that causes them in the same append, payments and \
                reversals, loan terms, repayments, settlements and write-offs, payloads within their schema. Each broken rule \
                is reported with its position; no payload stops the replay. \
                Exit 0 when the chain is intact and every rule holds; 2 otherwise. With --digest, also prove history up to \
                the digest is unchanged. On a hot standby that has not yet replayed the --digest's (or --since's) position, \
                nothing is judged: exit 75 says so (--wait SECONDS waits for replay first).
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "A digest or tree head from `ledger audit digest`, taken earlier: history up to it must be unchanged.", completion: .file())
        var digest: String?

        @Option(name: .customLong("public-key"), help: "The signing key's public half (KEY.pub): the --digest or --since tree head must carry its valid signature.",
                completion: .file())
        var publicKey: String?

        @Option(help: "A tree head kept earlier: prove nothing up to it changed with a consistency proof, and check only the events after it.",
                completion: .file())
        var since: String?

        @Flag(name: .customLong("chain-only"), help: "Check only the hash chain (skip the replay of the domain's rules).")
        var chainOnly = false

        @Option(help: "On a hot standby: wait up to this many seconds for it to replay the --digest's (or --since's) position.")
        var wait: Double?

        func validate() throws {
            if publicKey != nil, digest == nil, since == nil {
                throw ValidationError("--public-key: give the tree head to check with --digest FILE or --since FILE")
            }
            if since != nil, digest != nil { throw ValidationError("--since: give one of --since and --digest") }
            if let wait, !(0...86_400).contains(wait) { throw ValidationError("--wait: \(wait) is not a number of seconds (0 to 86400)") }
        }

        func run() async throws {
            try await reportingErrors {
                let kept = try digest.map { try TreeHeads.read($0, flag: "--digest") }
                let sinceHead = try since.map { try TreeHeads.readTree($0, flag: "--since") }
                let key = try publicKey.map(TreeHeads.publicKey)
                if let key {
                    let flag = since != nil ? "--since" : "--digest"
                    let path = since ?? digest ?? ""
                    guard let head = sinceHead ?? kept?.treeHead else {
                        throw CommandError("--digest: \(path) is a digest from before the Merkle tree: it carries no signature to check")
                    }
                    if let problem = TreeHeads.signatureProblem(key.check(head), key: key) {
                        Output.message("NOT INTACT: \(flag) \(path): \(problem)")
                        throw CommandFailure(exitCode: ExitStatus.integrityProblem)
                    }
                }
                if let sinceHead {
                    try await verifySince(sinceHead, signatureChecked: key != nil)
                    return
                }
                let expected = kept?.digest
                let store = EventStore(connection: try await connection.connect())
                let standby = try await StandbyReading.awaitReplay(of: expected?.position, flag: "--digest", on: store.connection, wait: wait)
                let replayConnection = chainOnly ? nil : try await connection.connect()
                let progress = ProgressLine("verifying")
                // The head read before verifying: the progress line's total (the count of events to check).
                let total = try await store.digest().position
                async let replay: InvariantAudit? = {
                    guard let replayConnection else { return nil }
                    return try await LedgerService(connection: replayConnection).auditInvariants()
                }()
                // The tree and stream checks run on a second connection while the chain is read.
                let alongside = EventStore(connection: try await connection.connect())
                let verification = try await store.verifyChain(digest: expected, treeHead: kept?.treeHead, alongside: alongside) {
                    progress.update($0, of: total)
                }
                let invariants = try await replay
                progress.finish()
                var document = VerifyReport(verification, digest: expected, invariants: invariants,
                                            signature: key.map { _ in "valid" })
                document.standby = standby
                switch output.format {
                case .json: Output.data(try Output.json(document))
                case .table:
                    var text = Self.table(verification, digest: expected, invariants: invariants)
                    if let key, verification.problem == nil { text += "\n" + Output.keyValues([("signature", "valid (key \(key.keyID))")]) }
                    Output.data(text)
                }
                if verification.problem != nil || (invariants?.violationCount ?? 0) > 0 {
                    throw CommandFailure(exitCode: ExitStatus.integrityProblem)
                }
            }
        }

        /// `--since OLD`: the consistency proof for what OLD covers, a full check of what came after.
        func verifySince(_ old: TreeHead, signatureChecked: Bool) async throws {
            let store = EventStore(connection: try await connection.connect())
            let standby = try await StandbyReading.awaitReplay(of: old.treeSize, flag: "--since", on: store.connection, wait: wait)
            let progress = ProgressLine("verifying")
            let total = try await store.digest().position - old.treeSize
            let result = try await store.verifySince(old) { progress.update($0, of: total) }
            progress.finish()
            var document = VerifyReport(result.chain, digest: old.digest, invariants: nil,
                                        signature: signatureChecked ? "valid" : nil, since: result)
            document.standby = standby
            switch output.format {
            case .json: Output.data(try Output.json(document))
            case .table:
                var text = Self.table(result.chain, digest: nil, invariants: nil, rulesNote: "not replayed (--since)")
                if let path = result.consistencyPath, result.chain.isIntact {
                    var pairs = [("since", "the tree of \(result.newSize) events extends the tree head's \(old.treeSize) "
                                  + "(consistency proof of \(path.count) hashes holds; root \(EventHashing.hex(result.newRoot)))")]
                    if let signature = old.signature, signatureChecked { pairs.append(("signature", "valid (key \(signature.keyID))")) }
                    text += "\n" + Output.keyValues(pairs)
                }
                Output.data(text)
            }
            if !result.chain.isIntact { throw CommandFailure(exitCode: ExitStatus.integrityProblem) }
        }

        static func table(_ verification: ChainVerification, digest expected: Digest?, invariants: InvariantAudit?,
                          rulesNote: String = "not replayed (--chain-only)") -> String {
            var pairs: [(String, String)]
            if let problem = verification.problem {
                pairs = [
                    ("result", Output.label("NOT INTACT")),
                    ("first bad position", String(problem.position)),
                    ("problem", problem.kind.rawValue),
                    ("detail", problem.message),
                    ("events checked", Output.grouped(verification.eventsChecked)),
                ]
            } else {
                pairs = [
                    ("result", Output.label((invariants?.violationCount ?? 0) > 0 ? "RULES BROKEN" : "intact")),
                    ("events checked", Output.grouped(verification.eventsChecked)),
                    ("head position", String(verification.head.position)),
                    ("head hash", verification.head.hash),
                ]
                if let expected { pairs.append(("digest", Output.text(Message("position {0} matches", .text(String(expected.position)))))) }
            }
            guard let invariants else {
                pairs.append(("domain rules", Output.label(rulesNote)))
                return Output.keyValues(pairs)
            }
            if invariants.violationCount == 0 {
                pairs.append(("domain rules", Output.text(Message("all hold ({0} events replayed)", .number(invariants.eventsChecked)))))
                return Output.keyValues(pairs)
            }
            pairs.append(("domain rules", Output.text(Message(
                "{0} broken ({1} events replayed)", .number(Int64(invariants.violationCount)), .number(invariants.eventsChecked)
            ))))
            var text = Output.keyValues(pairs) + "\n\n"
            text += Output.table(["position", "rule", "stream", "what"], invariants.violations.map {
                [String($0.position), $0.rule.rawValue, $0.streamID, $0.message]
            })
            if invariants.violationCount > invariants.violations.count {
                text += "\n(first \(invariants.violations.count) of \(invariants.violationCount) shown)"
            }
            return text
        }
    }

    /// `ledger audit digest [--out FILE] [--sign-key KEY]`.
    struct DigestCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "digest",
            abstract: "Print (or write) the tree head — size, Merkle root, chain hash, time — for an auditor to keep; signed with --sign-key.",
            discussion: """
                The file (format ledger-tree-head-v1, docs/audit.md "Proofs") keeps `position` and `hash`, so it is also a \
                digest for `ledger audit verify --digest` and scripts/verify-export --digest. With --sign-key, an Ed25519 \
                signature over the head is added (`ledger audit keygen` makes the key; the key never enters the database).
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "Write the tree head to this file instead of stdout (refuses to overwrite).", completion: .file())
        var out: String?

        @Option(name: .customLong("sign-key"), help: "Sign the tree head with this private key (from `ledger audit keygen`).", completion: .file())
        var signKey: String?

        func run() async throws {
            try await reportingErrors {
                let key = try signKey.map(TreeHeads.signingKey)
                let database = try await connection.connect()
                let head = try await TreeHeads.now(EventStore(connection: database), signedWith: key)
                let text = try TreeHeadFile.render(head)
                let signed = head.signature.map { ", signed by key \($0.keyID)" } ?? ""
                try TreeHeads.emit(text, to: out, saying: "digest of position \(head.treeSize)",
                                   detail: " (Merkle root \(head.rootHash)\(signed))")
            }
        }
    }
}

extension Audit {
    /// `ledger audit export --out FILE [--from-position N]`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the events as NDJSON with everything needed to re-verify the hash chain offline.",
            discussion: """
                One JSON object per line (format ledger-export-v1, described in docs/audit.md), in position order. \
                Check it without this program: scripts/verify-export FILE [--digest DIGEST]. \
                The file is written whole or not at all, and never overwritten.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The file to write (refused if it exists).")
        var out: String

        @Option(name: .customLong("from-position"), help: "The first position to export.")
        var fromPosition: Int64 = 1

        func validate() throws {
            guard fromPosition >= 1 else { throw ValidationError("--from-position: must be 1 or more, not \(fromPosition)") }
        }

        func run() async throws {
            try await reportingErrors {
                guard !FileManager.default.fileExists(atPath: out) else {
                    throw CommandError("--out: \(out) already exists; exports are never overwritten")
                }
                let partial = out + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
                guard FileManager.default.createFile(atPath: partial, contents: nil), let handle = FileHandle(forWritingAtPath: partial) else {
                    throw CommandError("--out: cannot write \(out)")
                }
                let store = EventStore(connection: try await connection.connect())
                let progress = ProgressLine("exporting")
                let result: (events: Int64, last: Digest?)
                do {
                    result = try await store.export(after: fromPosition - 1, write: { try handle.write(contentsOf: Data($0.utf8)) }) {
                        progress.update($0)
                    }
                    progress.finish()
                    try handle.close()
                    try FileManager.default.moveItem(atPath: partial, toPath: out)
                } catch {
                    progress.finish()
                    try? handle.close()
                    try? FileManager.default.removeItem(atPath: partial)
                    throw error
                }
                if let last = result.last {
                    Output.message("exported \(Output.grouped(result.events)) events, positions \(fromPosition)–\(last.position), to \(out); "
                        + "hash at \(last.position): \(last.hash)")
                } else {
                    Output.message("no events from position \(fromPosition); \(out) is empty")
                }
            }
        }
    }
}

extension Audit {
    /// `ledger audit history --stream ID | --beneficiary ID`.
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Who did what, when: the events of a stream or of a beneficiary, in order.",
            discussion: """
                Each event with its position, when it was recorded (database time), the role that recorded it, the \
                command it came from, the business date it states (paid_on, decided_on, …) and its payload.
                --beneficiary gathers the beneficiary's own stream, their applications and the loans opened on them.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "A stream id, e.g. application-A-1 or budget-NQ12-HOUSING-2024-ninh-kieu.")
        var stream: String?

        @Option(help: "A beneficiary id.")
        var beneficiary: String?

        func validate() throws {
            guard (stream == nil) != (beneficiary == nil) else {
                throw ValidationError("give exactly one of --stream ID and --beneficiary ID")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let service = LedgerService(connection: try await connection.connect())
                let entries: [HistoryEntry]
                if let stream {
                    entries = try await service.history(stream: stream)
                } else {
                    entries = try await service.history(beneficiary: beneficiary ?? "")
                }
                guard !entries.isEmpty else {
                    throw CommandError(stream.map { "--stream: there are no events in stream \($0)" }
                        ?? "--beneficiary: there is no beneficiary \(beneficiary ?? "") and nothing names them")
                }
                switch output.format {
                case .json: Output.data(try Output.json(entries))
                case .table:
                    Output.data(Output.table(
                        ["position", "recorded at", "actor", "command", "stream", "event", "business date", "payload"],
                        entries.map { entry in
                            [String(entry.position), Output.timestamp(entry.recordedAtMicroseconds), entry.actor, entry.command ?? entry.commandID,
                             entry.streamID, entry.type, entry.businessDate.map { "\(Output.date($0)) (\(entry.businessDateField ?? ""))" } ?? "-",
                             Self.abbreviated(entry.payloadJSON)]
                        }
                    ))
                }
            }
        }

        static func abbreviated(_ text: String, limit: Int = 90) -> String {
            text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
        }
    }
}

/// Reading and writing digest files (the format is `DigestFile`'s, in the EventStore library).
enum DigestFiles {
    static func write(_ text: String, to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandError("--out: \(path) already exists; digests are never overwritten")
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw CommandError("--out: cannot write \(path)")
        }
    }

    static func read(_ path: String) throws -> Digest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("--digest: cannot read \(path)")
        }
        do {
            return try DigestFile.parse(data)
        } catch let error as DigestFile.Unreadable {
            throw CommandError("--digest: \(path): \(error.description)")
        }
    }
}

