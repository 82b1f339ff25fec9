/// Events a decision wants appended to one stream, with the version the decision read it at
/// (0: the stream must not exist yet). The handler appends every stream of a decision in one
/// atomic call, so a decision holds only if none of the streams it read has moved.
public struct StreamEvents: Sendable, Equatable {
    public let stream: String
    public let expectedVersion: Int64
    public let events: [LedgerEvent]

    public init(stream: String, expectedVersion: Int64, events: [LedgerEvent]) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
    }
}

/// The outcome of a pure decision: what to append, and a one-line account for the person who asked.
public struct Decision: Sendable, Equatable {
    public var streams: [StreamEvents]
    public var summary: String
    /// True when the command had already been carried out with the same content (nothing to append).
    public var alreadyDone: Bool
    /// The summary as a template, when it was given as one (written in Vietnamese with `--locale vi`).
    public var summaryMessage: Message?

    public init(streams: [StreamEvents], summary: String, alreadyDone: Bool = false) {
        self.streams = streams
        self.summary = summary
        self.alreadyDone = alreadyDone
        self.summaryMessage = nil
    }

    public init(streams: [StreamEvents], summary: Message, alreadyDone: Bool = false) {
        self.streams = streams
        self.summary = summary.rendered(.en)
        self.alreadyDone = alreadyDone
        self.summaryMessage = summary
    }

    /// Nothing to append: the same command was recorded before.
    public static func alreadyDone(_ summary: String) -> Decision {
        Decision(streams: [], summary: summary, alreadyDone: true)
    }

    public static func alreadyDone(_ summary: Message) -> Decision {
        Decision(streams: [], summary: summary, alreadyDone: true)
    }
}

/// Who recorded an event and where it sits, as the database wrote it (never client-supplied).
public struct EventContext: Sendable, Equatable, Codable {
    public let position: Int64
    public let streamVersion: Int64
    /// The PostgreSQL role that appended it.
    public let actor: String
    public let recordedAtMicroseconds: Int64

    public init(position: Int64, streamVersion: Int64, actor: String, recordedAtMicroseconds: Int64) {
        self.position = position
        self.streamVersion = streamVersion
        self.actor = actor
        self.recordedAtMicroseconds = recordedAtMicroseconds
    }
}

/// The state of one stream, folded from its events in order.
public protocol StreamState: Sendable, Codable {
    /// The state of a stream with no events.
    init(streamID: String)
    /// The stream this state folds.
    var streamID: String { get }
    /// The stream version folded so far (0 = no events); set by the loader.
    var version: Int64 { get set }
    /// Applies one event of this stream. Events of unrelated types are ignored.
    mutating func apply(_ event: LedgerEvent, context: EventContext)
}

extension StreamState {
    /// Folds events (with their contexts) onto this state.
    public func folding(_ events: [(LedgerEvent, EventContext)]) -> Self {
        var state = self
        for (event, context) in events {
            state.apply(event, context: context)
            state.version = context.streamVersion
        }
        return state
    }
}
