import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Postgres

/// Tree heads and proofs over HTTP (docs/api.md "Tree heads and proofs"): the files
/// `ledger audit digest`, `audit prove`, `audit consistency` and `audit receipt` write
/// (docs/audit.md "Proofs"), for auditors only. Heads are signed with the service's
/// `--sign-key` when it was started with one; a receipt needs it (409 `signing_key_required`).
///
/// Refusals: a malformed parameter 400 (`invalid_input`); a size or position past the log's end
/// 422 (`beyond_log`); a position after `tree_size`, or `old_size` after `new_size`, 422
/// (`not_in_tree`); an unknown payment or stream version 404; a stored tree that disagrees with
/// the events 409 (`integrity`, the message says what). Each names the parameter.
extension LedgerServer {
    func addProofRoutes(to router: Router<LedgerRequestContext>) {
        // The tree head at tree_size (default: the log now), as `ledger audit digest` writes it.
        router.get("/api/v1/audit/tree-head") { request, context in
            try await self.auditFile(request, context, allowed: ["tree_size"]) { query, store in
                let last = try await store.digest().position
                let size = try Self.size(query, "tree_size", minimum: 0, last: last)
                let head = try await self.treeHead(store, size: size)
                return (try TreeHeadFile.render(head), "ledger-tree-head-\(head.treeSize).json")
            }
        }

        // One event's inclusion proof (ledger-inclusion-proof-v1), as `ledger audit prove`.
        router.get("/api/v1/audit/proofs/inclusion") { request, context in
            try await self.auditFile(request, context, allowed: ["position", "payment_id", "stream_id", "version", "tree_size"]) { query, store in
                let last = try await store.digest().position
                let target = try await Self.proofTarget(query, store, last: last)
                let size = try Self.size(query, "tree_size", minimum: 1, last: last) ?? last
                guard target <= size else {
                    throw Self.notInTree("tree_size", "tree_size: position \(target) is not in the tree of \(size) events; "
                        + "give a tree_size of \(target) or more (or none: the log now)")
                }
                let head = try await self.treeHead(store, size: size)
                let text = try await Self.inclusionFile(store, position: target, head: head, paymentID: nil)
                return (text, "ledger-inclusion-\(target)-in-\(head.treeSize).json")
            }
        }

        // The consistency proof from old_size to new_size (default: the log now), as `ledger audit consistency`.
        router.get("/api/v1/audit/proofs/consistency") { request, context in
            try await self.auditFile(request, context, allowed: ["old_size", "new_size"]) { query, store in
                let last = try await store.digest().position
                guard let old = try Self.size(query, "old_size", minimum: 1, last: last) else {
                    throw Problem.badRequest(field: "old_size", "old_size: required (the size of the older tree, 1 or more)")
                }
                let new = try Self.size(query, "new_size", minimum: 1, last: last) ?? last
                guard old <= new else {
                    throw Self.notInTree("old_size", "old_size: \(old) is more than new_size \(new); give the older tree's size first")
                }
                let oldHead = try await self.treeHead(store, size: old)
                let newHead = try await self.treeHead(store, size: new)
                let path = try await store.consistencyProof(old: old, new: new)
                guard MerkleTree.verifyConsistency(
                    oldSize: old, newSize: new, oldRoot: EventHashing.bytes(hex: oldHead.rootHash) ?? [],
                    newRoot: EventHashing.bytes(hex: newHead.rootHash) ?? [], path: path
                ) else {
                    throw Self.integrity("the stored tree gives no consistency proof from \(old) to \(new) events: the tree was altered "
                        + "(run `ledger audit verify`)")
                }
                return (try ProofFile.consistency(path: path, old: oldHead, new: newHead), "ledger-consistency-\(old)-\(new).json")
            }
        }

        // A payment's receipt (ledger-receipt-v1) in the tree of the log now, its head signed with --sign-key.
        router.get("/api/v1/audit/receipts/{payment_id}") { request, context in
            let raw = try Self.pathID(context, "payment_id")
            return try await self.auditFile(request, context, allowed: []) { _, store in
                let paymentID = try QueryParameters.checked("payment_id") { try Identifier.validated(raw, field: "payment_id") }
                guard self.configuration.signingKey != nil else {
                    throw Problem(
                        .conflict, code: "signing_key_required", title: "The service has no signing key",
                        detail: "a receipt carries a signed tree head: start the service with `ledger serve --sign-key KEY` "
                            + "(or write the receipt with `ledger audit receipt --payment-id \(paymentID) --sign-key KEY --out FILE`)"
                    )
                }
                guard let position = try await store.paymentPosition(paymentID) else {
                    throw Problem.notFound("payment_id: there is no payment \(paymentID)", field: "payment_id")
                }
                let head = try await self.treeHead(store, size: nil)
                let text = try await Self.inclusionFile(store, position: position, head: head, paymentID: paymentID)
                return (text, "ledger-receipt-\(paymentID).json")
            }
        }
    }

    // MARK: The tree head now

    static var nowMicros: Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The tree head of the log now (or at `size`), taken now, signed when the service has a key.
    func treeHead(_ store: EventStore, size: Int64?) async throws -> TreeHead {
        let head = try await store.treeHead(size: size, takenAtMicros: Self.nowMicros)
        return try configuration.signingKey.map { try $0.sign(head) } ?? head
    }

    /// The tree head file of the log now (`GET /api/v1/audit/digest`, `/audit/digest`): exactly
    /// what `ledger audit digest` writes, signed when the service has a key.
    func treeHeadFileNow(_ session: Session) async throws -> (text: String, head: TreeHead) {
        let head = try await Self.proofProblems { try await self.treeHead(EventStore(connection: session.connection), size: nil) }
        return (try TreeHeadFile.render(head), head)
    }

    // MARK: Helpers

    /// An auditor's file: the session, the auditor check, the query, then `body`'s text as
    /// `application/json`, to be saved as `filename`.
    func auditFile(
        _ request: Request, _ context: LedgerRequestContext, allowed: Set<String>,
        _ body: @Sendable (QueryParameters, EventStore) async throws -> (text: String, filename: String)
    ) async throws -> Response {
        try await withSession(request, context) { session in
            guard try await self.roles(of: session).contains("auditor") else {
                throw Problem(
                    .forbidden, code: "permission_denied", title: "Refused by the database's roles",
                    detail: "tree heads, proofs and receipts are for auditors (members of ledger_auditor); \(session.user) is not one"
                )
            }
            let query = try QueryParameters(request, allowed: allowed)
            let file = try await Self.proofProblems { try await body(query, EventStore(connection: session.connection)) }
            return Self.fileResponse(file.text, filename: file.filename, user: session.user)
        }
    }

    static func fileResponse(_ text: String, filename: String, user: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers[.contentDisposition] = "attachment; filename=\"\(filename)\""
        headers[SessionHeaders.user] = user
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// What the stored tree says that the events do not, as a 409 `integrity` problem.
    static func proofProblems<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as TreeDisagreement {
            throw integrity(error.description)
        } catch let error as MerkleTree.MissingNode {
            throw integrity("\(error.description): the tree was altered (run `ledger audit verify`)")
        } catch let error as ProofFile.Mismatch {
            throw integrity(error.description)
        }
    }

    static func integrity(_ detail: String) -> Problem {
        Problem(.conflict, code: "integrity", title: "The stored tree disagrees with the events", detail: detail)
    }

    static func notInTree(_ field: String, _ detail: String) -> Problem {
        Problem(.unprocessableContent, code: "not_in_tree", title: "Not in that tree", detail: detail, field: field)
    }

    static func beyondLog(_ field: String, _ detail: String) -> Problem {
        Problem(.unprocessableContent, code: "beyond_log", title: "Past the end of the log", detail: detail, field: field)
    }

    /// A whole number ≥ `minimum` (400 otherwise) no larger than the log's `last` position (422).
    static func size(_ query: QueryParameters, _ name: String, minimum: Int64, last: Int64) throws -> Int64? {
        guard let text = try query.string(name) else { return nil }
        guard let number = Int64(text), number >= minimum else {
            throw Problem.badRequest(field: name, "\(name): \(text.debugDescription) must be a whole number, \(minimum) or more")
        }
        guard number <= last else {
            throw beyondLog(name, "\(name): the log has \(last) events; there is no tree of \(number)")
        }
        return number
    }

    /// The position the query names: `position`, `payment_id`, or `stream_id` with `version`.
    static func proofTarget(_ query: QueryParameters, _ store: EventStore, last: Int64) async throws -> Int64 {
        let positionText = try query.string("position"), paymentText = try query.string("payment_id")
        let streamText = try query.string("stream_id"), versionText = try query.string("version")
        let given = [positionText, paymentText, streamText].compactMap { $0 }.count
        guard given == 1 else {
            let field = given == 0 ? (versionText != nil ? "stream_id" : "position") : (positionText != nil ? "position" : "payment_id")
            throw Problem.badRequest(field: field, "give exactly one of position, payment_id, and stream_id with version")
        }
        if let positionText {
            if versionText != nil { throw Problem.badRequest(field: "version", "version: give it with stream_id, not with position") }
            guard let position = Int64(positionText), position >= 1 else {
                throw Problem.badRequest(field: "position", "position: \(positionText.debugDescription) must be a whole number, 1 or more")
            }
            guard position <= last else {
                throw beyondLog("position", "position: the log has \(last) events; there is no position \(position)")
            }
            return position
        }
        if paymentText != nil {
            if versionText != nil { throw Problem.badRequest(field: "version", "version: give it with stream_id, not with payment_id") }
            let paymentID = try query.identifier("payment_id") ?? ""
            guard let position = try await store.paymentPosition(paymentID) else {
                throw Problem.notFound("payment_id: there is no payment \(paymentID)", field: "payment_id")
            }
            return position
        }
        let stream = streamText ?? ""
        guard let versionText else { throw Problem.badRequest(field: "version", "version: required with stream_id (the event's version in the stream)") }
        guard let version = Int64(versionText), version >= 1 else {
            throw Problem.badRequest(field: "version", "version: \(versionText.debugDescription) must be a whole number, 1 or more")
        }
        guard let position = try await store.position(stream: StreamID(stream), version: version) else {
            throw Problem.notFound("stream_id: stream \(stream) has no version \(version)", field: "stream_id")
        }
        return position
    }

    /// The inclusion proof (or, with `paymentID`, the receipt) of `position` in `head`'s tree, its
    /// path checked against the head's root before it is given (a `TreeDisagreement` otherwise).
    static func inclusionFile(_ store: EventStore, position: Int64, head: TreeHead, paymentID: String?) async throws -> String {
        try await store.inclusionProofFile(position: position, head: head, paymentID: paymentID)
    }
}
