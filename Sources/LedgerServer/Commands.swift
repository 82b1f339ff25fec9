import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// What a write answers: the command's outcome as the CLI's `--format json` shows it, plus
/// `replayed` (the same `Idempotency-Key` and body came before: nothing new was recorded, this
/// is the first result) and the ids of what the command named.
struct CommandDocument: Encodable {
    let outcome: CommandOutcome
    let ids: [String: String]

    func encode(to encoder: any Encoder) throws {
        try outcome.encode(to: encoder)
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(outcome.alreadyRecorded, forKey: DynamicKey("replayed"))
        for (key, value) in ids { try container.encode(value, forKey: DynamicKey(key)) }
    }
}

struct DynamicKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// How a write route answers.
struct WriteResult: Sendable {
    let outcome: CommandOutcome
    /// 201 with this `Location` for a command that creates something; 200 otherwise.
    var location: String?
    var ids: [String: String] = [:]
}

extension LedgerServer {
    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    /// The command id a client chose (`Idempotency-Key`), checked; nil lets the service derive
    /// one from the command's content, as the CLI does, so an identical retry records nothing twice.
    static func commandID(_ request: Request) throws -> String? {
        guard let key = request.headers[idempotencyHeader] else { return nil }
        let valid = (1...200).contains(key.utf8.count)
            && key.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7f }
        guard valid else {
            throw Problem.badRequest(field: "Idempotency-Key", "Idempotency-Key: 1–200 visible ASCII characters")
        }
        return key
    }

    /// A write: the request's session, its JSON body (only `allowed` fields; with `emptyBody`, a
    /// body left out is an empty object, for commands whose fields are all optional), the command
    /// id, then `body` runs the service as the signed-in person.
    func write(
        _ request: Request, _ context: LedgerRequestContext, allowed: Set<String>, emptyBody: Bool = false,
        _ body: @Sendable (JSONBody, Session, String?) async throws -> WriteResult
    ) async throws -> Response {
        try await withSession(request, context) { session in
            let commandID = try Self.commandID(request)
            let json = try await JSONBody.read(request, allowed: allowed, emptyBody: emptyBody)
            // Safe to run again after a lost connection: the command id makes a repeat a replay.
            let result = try await reconnecting(session, retry: true) { try await body(json, session, commandID) }
            return try Self.respond(result, user: session.user)
        }
    }

    static func respond(_ result: WriteResult, user: String) throws -> Response {
        var response = try JSONResponse.make(
            result.location == nil ? .ok : .created, CommandDocument(outcome: result.outcome, ids: result.ids),
            user: user, location: result.location
        )
        if result.outcome.alreadyRecorded { response.headers[replayedHeader] = "true" }
        return response
    }

    /// A path parameter, checked as an id.
    static func pathID(_ context: LedgerRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name), !value.isEmpty, value.utf8.count <= 200 else {
            throw Problem.badRequest(field: name, "\(name): missing in the path")
        }
        return value
    }

    static func escaped(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id
    }
}
