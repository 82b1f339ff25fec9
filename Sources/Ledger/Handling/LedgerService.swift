import Crypto
import EventStore
import Foundation
import Postgres

/// Carries out commands: loads the streams a decision needs, decides (pure), and appends to all
/// of them in one atomic call with the versions it read. If another writer moved one of those
/// streams meanwhile, it reloads and decides again, at most `maximumAttempts` times.
///
/// Acts as the connection's database role: that role is the actor recorded on every event, and
/// the database checks which event types it may append.
public struct LedgerService: Sendable {
    public let store: EventStore

    /// Attempts per command before giving up with `DomainError.Code.contention`.
    public static let maximumAttempts = 30
    /// The longest pause between two attempts.
    public static let maximumBackoffMilliseconds = 50
    /// Events read per round trip when loading a stream.
    public static let streamPageSize = 10_000

    public init(store: EventStore) {
        self.store = store
    }

    public init(connection: PostgresConnection) {
        self.init(store: EventStore(connection: connection))
    }

    var connection: PostgresConnection { store.connection }

    /// The database role this service acts as (`session_user`).
    public func actingRole() async throws -> String {
        try await connection.queryOne("SELECT session_user::text") { try $0.string(0) }
    }

    // MARK: Loading

    /// A recorded event in the domain's terms, with who recorded it and when; nil for event
    /// types this domain does not know.
    static func decoded(_ recorded: RecordedEvent) throws -> (LedgerEvent, EventContext)? {
        guard let event = try LedgerEvent(recorded: recorded) else { return nil }
        return (event, EventContext(
            position: recorded.position, streamVersion: recorded.streamVersion,
            actor: recorded.actor ?? "", recordedAtMicroseconds: recorded.recordedAtMicroseconds
        ))
    }

    /// The events of a stream after `version`, decoded with who recorded them.
    func events(of stream: String, after version: Int64) async throws -> [(LedgerEvent, EventContext)] {
        var decoded: [(LedgerEvent, EventContext)] = []
        var next = version + 1
        while true {
            let page = try await store.readStream(StreamID(stream), from: next, limit: Self.streamPageSize)
            for recorded in page {
                if let event = try Self.decoded(recorded) { decoded.append(event) }
            }
            guard page.count == Self.streamPageSize, let last = page.last else { break }
            next = last.streamVersion + 1
        }
        return decoded
    }

    /// Two small streams' states in one round trip (e.g. the programme and the beneficiary a
    /// payment needs).
    public func load<A: StreamState, B: StreamState>(_ a: A.Type, stream first: String, _ b: B.Type, stream second: String) async throws -> (A, B) {
        let events = try await store.readStreams([StreamID(first), StreamID(second)])
        func decoded(_ stream: String) throws -> [(LedgerEvent, EventContext)] {
            try (events[StreamID(stream)] ?? []).compactMap(Self.decoded)
        }
        return (A(streamID: first).folding(try decoded(first)), B(streamID: second).folding(try decoded(second)))
    }

    /// A stream's state folded from all its events.
    public func load<State: StreamState>(_ type: State.Type, stream: String) async throws -> State {
        State(streamID: stream).folding(try await events(of: stream, after: 0))
    }

    /// A budget's state as the append keeps it in `ledger.budget_totals`: one key lookup however
    /// many approvals drew on the budget, and always at the stream's current version (the row
    /// is written in the same transaction as the budget's events).
    public func loadBudget(stream: String) async throws -> BudgetState {
        let rows = try await connection.query(
            """
            SELECT version, program, fiscal_year, district, allocated_vnd, reserved_vnd - released_vnd
            FROM ledger.budget_totals WHERE stream_id = $1
            """, [stream]
        ) { row in
            (try row.int64(0), try row.string(1), try row.int64(2), try row.string(3), try row.int64(4), try row.int64(5))
        }
        guard let (version, program, year, districtCode, allocated, reserved) = rows.first else {
            return BudgetState(streamID: stream)
        }
        guard let district = UnitCode(rawValue: districtCode) else {
            throw DomainError(.invalidInput, "budget \(stream) names an unknown district \(districtCode)")
        }
        return BudgetState(streamID: stream, version: version, program: program, fiscalYear: Int(year), district: district,
                           allocated: VND(allocated), reserved: VND(reserved))
    }

    // MARK: Running a command

    /// Decides and appends, retrying on version conflicts. `commandID` defaults to
    /// `kind-<SHA-256 of the command's content>`, so the same command sent twice is recorded once.
    ///
    /// Every event carries `command` (the kind) and `command_digest` (SHA-256 of the content) in
    /// its metadata. When the decision refuses, or the store finds the id used for other events,
    /// and the id was already recorded for this same content, the command has simply been done
    /// before (a retry after a lost reply): the original result comes back, nothing is appended.
    ///
    /// The first event of a command also carries `summary`, the line its user was shown; a retry
    /// shows that recorded line (`earlierOutcome`), never one recomputed on today's state (which
    /// may describe figures that never existed, e.g. an allocated total counting the allocation twice).
    ///
    /// `issuing`: national ids whose fingerprints (from `fingerprint(_:)`) the decided events carry;
    /// the database issues them to the appending transaction, and refuses a fingerprint it did not
    /// issue (sql/0014_national_ids.sql). The ids never enter the command's digest: hash the
    /// fingerprint into `command` instead.
    public func run<Command: Encodable & Sendable>(
        _ kind: String, _ command: Command, commandID: String? = nil, issuing nationalIDs: [NationalID] = [],
        decide: @Sendable () async throws -> Decision
    ) async throws -> CommandOutcome {
        let digest = try Self.contentDigest(command)
        let id = commandID ?? Self.defaultCommandID(kind: kind, digest: digest)
        let metadata = ["command": kind, "command_digest": digest]
        // Permission before business rules: someone who may not do this is told so first.
        if let eventType = Self.eventTypeOfKind[kind] { try await requireMayAppend(eventType) }
        var attempt = 0
        while true {
            attempt += 1
            let decision: Decision
            do {
                decision = try await decide()
            } catch let refusal as DomainError {
                if let earlier = try await earlierOutcome(commandID: id, digest: digest, attempts: attempt) { return earlier }
                throw refusal
            }
            if decision.alreadyDone, let earlier = try await earlierOutcome(commandID: id, digest: digest, attempts: attempt) {
                return earlier
            }
            if decision.alreadyDone || decision.streams.isEmpty {
                return CommandOutcome(commandID: id, summary: decision.summary, firstPosition: nil, lastPosition: nil,
                                      eventsAppended: 0, alreadyRecorded: decision.alreadyDone, attempts: attempt,
                                      summaryMessage: decision.summaryMessage)
            }
            var firstMetadata = metadata
            firstMetadata[Self.summaryKey] = Self.recordedSummary(decision.summary)
            var first = true
            let appends = try decision.streams.map { entry in
                StreamAppend(
                    stream: StreamID(entry.stream),
                    expectedVersion: entry.expectedVersion == 0 ? .noStream : .exactly(entry.expectedVersion),
                    events: try entry.events.map { event in
                        defer { first = false }
                        return try event.newEvent(metadata: first ? firstMetadata : metadata)
                    }
                )
            }
            do {
                let result: AppendResult
                if nationalIDs.isEmpty {
                    result = try await store.append(appends, commandID: id)
                } else {
                    let prelude = Self.issuingPrelude(nationalIDs)
                    result = try await store.append(appends, commandID: id, after: prelude.sql, prelude.parameters)
                }
                if result.replayed, let earlier = try await earlierOutcome(commandID: id, digest: digest, attempts: attempt) {
                    return earlier
                }
                return CommandOutcome(
                    commandID: id, summary: decision.summary, firstPosition: result.firstPosition,
                    lastPosition: result.lastPosition,
                    eventsAppended: result.replayed ? 0 : Int(result.lastPosition - result.firstPosition + 1),
                    alreadyRecorded: result.replayed, attempts: attempt, summaryMessage: result.replayed ? nil : decision.summaryMessage
                )
            } catch let error as EventStoreError where error.code == .versionConflict {
                guard attempt < Self.maximumAttempts else {
                    throw DomainError(.contention, "gave up after \(attempt) attempts: others kept changing the same records (\(error.message)); try again")
                }
                // Back off a random while, longer each time, so racing writers spread out.
                let ceiling = min(Self.maximumBackoffMilliseconds, 2 * attempt)
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...ceiling)))
            } catch let error as EventStoreError {
                if error.code == .idempotencyMismatch,
                   let earlier = try await earlierOutcome(commandID: id, digest: digest, attempts: attempt) {
                    return earlier
                }
                if let lost = error.underlying, lost.isConnectionLost { throw CommandConnectionLost(commandID: id, underlying: lost) }
                throw Self.domainError(from: error, commandID: id)
            }
        }
    }

    /// The outcome of this very command recorded earlier under `commandID`, if it was; a refusal
    /// (`conflictingDuplicate`) if the id was recorded for something else; nil if never used.
    func earlierOutcome(commandID: String, digest: String, attempts: Int) async throws -> CommandOutcome? {
        guard let earlier = try await store.recordedCommand(commandID) else { return nil }
        let metadata = try? JSONDecoder().decode([String: String].self, from: Data(earlier.firstEventMetadataJSON.utf8))
        guard metadata?["command_digest"] == digest else {
            throw DomainError(.conflictingDuplicate, Message("command id {0} was already used for a different command", .text(commandID)))
        }
        let result = earlier.result
        let positions = result.firstPosition == result.lastPosition
            ? "position \(result.firstPosition)" : "positions \(result.firstPosition)–\(result.lastPosition)"
        let recorded: String
        if let summary = metadata?[Self.summaryKey] {
            recorded = summary
        } else {
            recorded = try await describeRecorded(from: result.firstPosition, through: result.lastPosition)
        }
        return CommandOutcome(
            commandID: commandID,
            summary: "\(recorded) (already recorded by \(earlier.actor) at \(positions), command \(commandID); nothing new appended)",
            firstPosition: result.firstPosition, lastPosition: result.lastPosition,
            eventsAppended: 0, alreadyRecorded: true, attempts: attempts
        )
    }

    /// The metadata key of the line a command's user was shown (on its first event).
    static let summaryKey = "summary"
    /// At most this many characters of a summary are recorded (metadata is limited to 8 KiB).
    static let maximumRecordedSummaryCharacters = 1_000

    static func recordedSummary(_ summary: String) -> String {
        summary.count > maximumRecordedSummaryCharacters ? String(summary.prefix(maximumRecordedSummaryCharacters)) + "…" : summary
    }

    /// What a command recorded before summaries were kept with it: its events, by type and stream.
    func describeRecorded(from first: Int64, through last: Int64) async throws -> String {
        let shown = 20
        let events = try await store.readPage(after: first - 1, limit: Int(min(last - first + 1, Int64(shown))))
        let listed = events.map { "\($0.type) on \($0.streamID.rawValue)" }.joined(separator: ", ")
        let more = last - first + 1 > Int64(shown) ? " and \(last - first + 1 - Int64(shown)) more" : ""
        return "recorded \(last - first + 1) event\(last == first ? "" : "s"): \(listed)\(more)"
    }

    /// 64 hex digits of SHA-256 over the command encoded as sorted JSON.
    public static func contentDigest<Command: Encodable>(_ command: Command) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hash(data: try encoder.encode(command)).map { String(format: "%02x", $0) }.joined()
    }

    /// `kind-` and 40 hex digits of SHA-256 over the command encoded as sorted JSON.
    public static func defaultCommandID<Command: Encodable>(kind: String, command: Command) throws -> String {
        defaultCommandID(kind: kind, digest: try contentDigest(command))
    }

    static func defaultCommandID(kind: String, digest: String) -> String {
        kind + "-" + digest.prefix(40)
    }

    /// The event type each command kind appends first: what the connecting role needs a grant
    /// for (`ledger.append_grants`) before the command is decided.
    static let eventTypeOfKind: [String: String] = [
        "load-catalog": "ProgramDefined", "allocate": "BudgetAllocated", "adjust": "BudgetAdjusted",
        "register": "BeneficiaryRegistered", "amend": "BeneficiaryAmended", "submit": "ApplicationSubmitted",
        "approve": "ApplicationApproved", "reject": "ApplicationRejected", "withdraw": "ApplicationWithdrawn",
        "close": "ApplicationClosed", "payment": "PaymentRecorded", "reverse": "PaymentReversed",
        "disburse": "LoanDisbursed", "repay": "LoanRepaid", "write-off": "LoanWrittenOff", "load-places": "UnitDefined",
    ]

    /// Refuses (`.permissionDenied`) unless the connecting role may append `eventType`, checked as
    /// `ledger.append` checks it (a grant of the type or of `*` to a role session_user is a member
    /// of) — before anything is read or decided, so permission is told before any business rule.
    public func requireMayAppend(_ eventType: String) async throws {
        let row = try await connection.queryOne(
            """
            SELECT session_user::text,
                   EXISTS (SELECT 1 FROM ledger.append_grants g
                           WHERE g.event_type IN ($1, '*')
                             AND pg_catalog.pg_has_role(session_user, pg_catalog.to_regrole(pg_catalog.quote_ident(g.role_name)), 'MEMBER'))
            """,
            [eventType]
        ) { (try $0.string(0), try $0.bool(1)) }
        guard !row.1 else { return }
        throw DomainError(
            .permissionDenied,
            Message(
                "permission refused: role {0} may not append {1} (officers record; approvers decide; admins load programmes and budgets)",
                .text(row.0.debugDescription), .text(eventType)
            )
        )
    }

    /// What the database refused, in the words of the domain.
    static func domainError(from error: EventStoreError, commandID: String) -> any Error {
        switch (error.code, error.underlying?.code.rawValue) {
        case (.permissionDenied, _):
            return DomainError(.permissionDenied, Message("{0} (officers record; approvers decide; admins load programmes and budgets)", .text(error.message)))
        case (.idempotencyMismatch, _):
            return DomainError(.conflictingDuplicate, Message("command id {0} was already used for a different command", .text(commandID)))
        case (_, "LD001"):
            return DomainError(.conflictingDuplicate, error.message)
        case (_, "LD002"):
            return DomainError(.duplicateNationalID, error.message)
        case (_, "LN001"), (_, "LN002"), (_, "LN003"):
            return nationalIDError(code: error.underlying?.code.rawValue, message: error.message) ?? error
        case (_, "LD003"):
            return DomainError(.fourEyes, error.message)
        case (.ruleBroken, _):
            return DomainError(.refusedByDatabase, "the database refused it: \(error.message)")
        case (.logBusy, _):
            return DomainError(.contention, error.message)
        default:
            return error
        }
    }
}

/// What a command did.
public struct CommandOutcome: Sendable, Equatable, Codable {
    public let commandID: String
    /// One line for the person who asked, e.g. "payment P-1 of 5,000,000 ₫ recorded on application A-1".
    public let summary: String
    public let firstPosition: Int64?
    public let lastPosition: Int64?
    public let eventsAppended: Int
    /// The same command had been recorded before; nothing was appended this time.
    public let alreadyRecorded: Bool
    public let attempts: Int
    /// The summary as a template, when the decision gave one (`--locale vi`); not in the JSON.
    public var summaryMessage: Message? = nil

    /// The summary in `language` (English when there is no template).
    public func summary(in language: Language) -> String {
        summaryMessage?.rendered(language) ?? summary
    }

    enum CodingKeys: String, CodingKey {
        case commandID = "command_id", summary, firstPosition = "first_position", lastPosition = "last_position"
        case eventsAppended = "events_appended", alreadyRecorded = "already_recorded", attempts
    }
}
