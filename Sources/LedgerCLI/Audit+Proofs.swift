import ArgumentParser
import EventStore
import Foundation
import Ledger

/// Tree heads, keys and proof files as the audit commands read and write them.
enum TreeHeads {
    static func read(_ path: String, flag: String) throws -> KeptDigest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("\(flag): cannot read \(path)")
        }
        do {
            return try TreeHeadFile.parse(data)
        } catch let error as DigestFile.Unreadable {
            throw CommandError("\(flag): \(path): \(error.description)")
        }
    }

    /// A kept file that must be a tree head (not a digest from before the tree).
    static func readTree(_ path: String, flag: String) throws -> TreeHead {
        guard let head = try read(path, flag: flag).treeHead else {
            throw CommandError("\(flag): \(path) is a digest from before the Merkle tree (no root_hash); "
                + "take a tree head with `ledger audit digest --out FILE`")
        }
        return head
    }

    static func signingKey(_ path: String) throws -> TreeSigningKey {
        do { return try TreeSigningKey.read(path: path) } catch let error as KeyFileError {
            throw CommandError("--sign-key: \(error.description)")
        }
    }

    static func publicKey(_ path: String) throws -> TreeVerifyingKey {
        do { return try TreeVerifyingKey.read(path: path) } catch let error as KeyFileError {
            throw CommandError("--public-key: \(error.description)")
        }
    }

    static var nowMicros: Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The head of the log now, signed when a key is given.
    static func now(_ store: EventStore, signedWith key: TreeSigningKey?) async throws -> TreeHead {
        let head = try await store.treeHead(takenAtMicros: nowMicros)
        return try key.map { try $0.sign(head) } ?? head
    }

    /// A kept head checked against the database: exit 2 with the reason when the tree or chain
    /// no longer has what it says.
    static func check(_ head: TreeHead, in store: EventStore, flag: String, path: String) async throws {
        if let problem = try await store.treeHeadProblem(head) {
            Output.message("NOT INTACT: \(flag) \(path): \(problem.message)")
            throw CommandFailure(exitCode: ExitStatus.integrityProblem)
        }
    }

    /// What a signature check found, in words; nil when it holds.
    static func signatureProblem(_ check: SignatureCheck, key: TreeVerifyingKey) -> String? {
        switch check {
        case .valid: nil
        case .unsigned: "it is not signed"
        case .otherKey(let keyID): "it is signed by key \(keyID), not by the public key given (\(key.keyID))"
        case .invalid: "its signature does not verify: the tree head was changed after it was signed"
        }
    }

    /// Writes `text` to `out` (never overwriting) or prints it; says "`message` written to `out``detail`".
    static func emit(_ text: String, to out: String?, saying message: String, detail: String = "") throws {
        if let out {
            try DigestFiles.write(text, to: out)
            Output.message(message + " written to \(out)" + detail)
        } else {
            Output.data(text)
        }
    }
}

extension Audit {
    /// `ledger audit prove --position N | --payment-id ID | --event-stream ID --version V [--digest FILE]`.
    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An inclusion proof of one event in the tree a tree head commits to (RFC 9162).",
            discussion: """
                Writes a ledger-inclusion-proof-v1 file (docs/audit.md, "Proofs"): the event's fields, its leaf input, the \
                O(log n) hashes of its inclusion path, the root and the tree head. With --digest, the proof is in the tree \
                that kept head commits to, and the head is first checked against the database; without it, in the tree \
                of the log now (signed with --sign-key). Check it offline: scripts/verify-proof FILE --public-key KEY.pub.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The event's position.")
        var position: Int64?

        @Option(name: .customLong("payment-id"), help: "A payment's id: its PaymentRecorded event.")
        var paymentID: String?

        @Option(name: .customLong("event-stream"), help: "A stream id (with --version).")
        var eventStream: String?

        @Option(help: "The event's version in --event-stream.")
        var version: Int64?

        @Option(help: "A tree head from `ledger audit digest`: prove inclusion in the tree it commits to.", completion: .file())
        var digest: String?

        @Option(name: .customLong("sign-key"), help: "Without --digest: sign the head of the log now with this key.", completion: .file())
        var signKey: String?

        @Option(help: "Write the proof to this file (refuses to overwrite) instead of stdout.", completion: .file())
        var out: String?

        func validate() throws {
            let given = [position != nil, paymentID != nil, eventStream != nil].filter { $0 }.count
            guard given == 1 else { throw ValidationError("give exactly one of --position N, --payment-id ID and --event-stream ID --version V") }
            if eventStream != nil, version == nil { throw ValidationError("--event-stream: give the event's --version too") }
            if version != nil, eventStream == nil { throw ValidationError("--version: give it with --event-stream ID") }
            if let position, position < 1 { throw ValidationError("--position: must be 1 or more, not \(position)") }
            if let version, version < 1 { throw ValidationError("--version: must be 1 or more, not \(version)") }
            if digest != nil, signKey != nil { throw ValidationError("--sign-key: a kept --digest is already signed (or not); give one of them") }
        }

        func run() async throws {
            try await reportingErrors {
                let kept = try digest.map { try TreeHeads.readTree($0, flag: "--digest") }
                let key = try signKey.map(TreeHeads.signingKey)
                let store = EventStore(connection: try await connection.connect())
                // A standby that has not replayed the kept head yet says so, rather than "no such event".
                try await StandbyReading.awaitReplay(of: kept?.treeSize, flag: "--digest", on: store.connection, wait: nil, canWait: false)
                let target = try await Self.position(store, position: position, paymentID: paymentID, stream: eventStream, version: version)
                let head: TreeHead
                if let kept, let digest {
                    try await TreeHeads.check(kept, in: store, flag: "--digest", path: digest)
                    head = kept
                } else {
                    head = try await TreeHeads.now(store, signedWith: key)
                }
                guard target <= head.treeSize else {
                    throw CommandError("position \(target) is after the tree head's \(head.treeSize) events; take a newer tree head")
                }
                let text = try await Self.proof(store, position: target, head: head, paymentID: nil)
                try TreeHeads.emit(text, to: out, saying: "inclusion proof of position \(target) in the tree of \(head.treeSize) events")
            }
        }

        /// The position the options name; a clear error when there is no such event.
        static func position(_ store: EventStore, position: Int64?, paymentID: String?, stream: String?, version: Int64?) async throws -> Int64 {
            if let paymentID {
                guard let found = try await store.paymentPosition(paymentID) else {
                    throw CommandError("--payment-id: there is no payment \(paymentID)")
                }
                return found
            }
            if let stream, let version {
                guard let found = try await store.position(stream: StreamID(stream), version: version) else {
                    throw CommandError("--event-stream: stream \(stream) has no version \(version)")
                }
                return found
            }
            let last = try await store.digest().position
            guard let position, position <= last else {
                throw CommandError("--position: the log has \(last) events; there is no position \(position ?? 0)")
            }
            return position
        }

        /// The proof file's text; NOT INTACT (exit 2) when the event or the tree disagrees with the head.
        static func proof(_ store: EventStore, position: Int64, head: TreeHead, paymentID: String?) async throws -> String {
            do {
                return try await store.inclusionProofFile(position: position, head: head, paymentID: paymentID)
            } catch let error as TreeDisagreement {
                Output.message("NOT INTACT: \(error.description)")
                throw CommandFailure(exitCode: ExitStatus.integrityProblem)
            }
        }
    }

    /// `ledger audit receipt --payment-id ID --out FILE (--sign-key KEY | --digest FILE)`.
    struct Receipt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A payment's receipt: its event, leaf input, inclusion proof and a signed tree head, in one file.",
            discussion: """
                Writes a ledger-receipt-v1 file (docs/audit.md, "Proofs") for a beneficiary's file or an inspector: \
                anyone with the ledger's public key checks it offline with scripts/verify-proof FILE --public-key KEY.pub. \
                The tree head is the log's now, signed with --sign-key, or a kept signed head (--digest) that includes \
                the payment.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Option(name: .customLong("payment-id"), help: "The payment's id.")
        var paymentID: String

        @Option(help: "The receipt's file (refuses to overwrite).", completion: .file())
        var out: String

        @Option(name: .customLong("sign-key"), help: "Sign the head of the log now with this key (from `ledger audit keygen`).", completion: .file())
        var signKey: String?

        @Option(help: "A signed tree head kept from `ledger audit digest --sign-key`, instead of signing now.", completion: .file())
        var digest: String?

        func validate() throws {
            guard (signKey == nil) != (digest == nil) else {
                throw ValidationError("a receipt carries a signed tree head: give --sign-key KEY or --digest FILE (one of them)")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let key = try signKey.map(TreeHeads.signingKey)
                let kept = try digest.map { try TreeHeads.readTree($0, flag: "--digest") }
                if let kept, kept.signature == nil {
                    throw CommandError("--digest: \(digest ?? "") is not signed; a receipt needs a signed tree head (`ledger audit digest --sign-key KEY`)")
                }
                let store = EventStore(connection: try await connection.connect())
                try await StandbyReading.awaitReplay(of: kept?.treeSize, flag: "--digest", on: store.connection, wait: nil, canWait: false)
                guard let position = try await store.paymentPosition(paymentID) else {
                    throw CommandError("--payment-id: there is no payment \(paymentID)")
                }
                let head: TreeHead
                if let kept, let digest {
                    try await TreeHeads.check(kept, in: store, flag: "--digest", path: digest)
                    guard position <= kept.treeSize else {
                        throw CommandError("--digest: the payment is at position \(position), after the tree head's \(kept.treeSize) events; "
                            + "sign a newer head")
                    }
                    head = kept
                } else {
                    head = try await TreeHeads.now(store, signedWith: key)
                }
                let text = try await Prove.proof(store, position: position, head: head, paymentID: paymentID)
                try DigestFiles.write(text, to: out)
                Output.message("receipt of payment \(paymentID) (position \(position), tree of \(head.treeSize) events, "
                    + "key \(head.signature?.keyID ?? "-")) written to \(out)")
            }
        }
    }

    /// `ledger audit consistency OLD NEW [--out FILE]`.
    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A proof that the newer tree head's tree extends the older one's, rewriting nothing (RFC 9162).",
            discussion: """
                Both files are tree heads from `ledger audit digest`. Each is first checked against the database; the \
                ledger-consistency-proof-v1 file (docs/audit.md, "Proofs") holds both heads and the O(log n) hashes \
                between them. Check it offline: scripts/verify-proof FILE --public-key KEY.pub.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The older tree head.", completion: .file())
        var old: String

        @Argument(help: "The newer tree head.", completion: .file())
        var new: String

        @Option(help: "Write the proof to this file (refuses to overwrite) instead of stdout.", completion: .file())
        var out: String?

        func run() async throws {
            try await reportingErrors {
                let oldHead = try TreeHeads.readTree(old, flag: "OLD")
                let newHead = try TreeHeads.readTree(new, flag: "NEW")
                guard oldHead.treeSize >= 1 else { throw CommandError("OLD: \(old) is the empty tree; every tree extends it") }
                guard oldHead.treeSize <= newHead.treeSize else {
                    throw CommandError("OLD: \(old) is of \(oldHead.treeSize) events, more than NEW's \(newHead.treeSize); give the older head first")
                }
                let store = EventStore(connection: try await connection.connect())
                try await StandbyReading.awaitReplay(of: newHead.treeSize, flag: "NEW", on: store.connection, wait: nil, canWait: false)
                try await TreeHeads.check(oldHead, in: store, flag: "OLD", path: old)
                try await TreeHeads.check(newHead, in: store, flag: "NEW", path: new)
                let path = try await store.consistencyProof(old: oldHead.treeSize, new: newHead.treeSize)
                guard MerkleTree.verifyConsistency(
                    oldSize: oldHead.treeSize, newSize: newHead.treeSize, oldRoot: EventHashing.bytes(hex: oldHead.rootHash) ?? [],
                    newRoot: EventHashing.bytes(hex: newHead.rootHash) ?? [], path: path
                ) else {
                    Output.message("NOT INTACT: the stored tree gives no consistency proof from \(oldHead.treeSize) to \(newHead.treeSize) events: the tree was altered")
                    throw CommandFailure(exitCode: ExitStatus.integrityProblem)
                }
                let text = try ProofFile.consistency(path: path, old: oldHead, new: newHead)
                try TreeHeads.emit(text, to: out, saying: "consistency proof from \(oldHead.treeSize) to \(newHead.treeSize) events (\(path.count) hashes)")
            }
        }
    }
}
