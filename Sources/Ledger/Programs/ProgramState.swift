/// A policy programme (stream `program-{code}`): every definition it has had, ordered by the
/// date each takes effect. An amendment never rewrites an earlier definition, so a decision
/// about a past business date reads the rules that were in force on that date.
public struct ProgramState: StreamState, Equatable {
    public let streamID: String
    /// The programme's code, e.g. `NQ12-HOUSING`.
    public let code: String
    public var version: Int64 = 0
    /// Ordered by `effectiveFrom`; among equal dates, in the order recorded.
    public private(set) var definitions: [ProgramDefinition] = []

    public init(streamID: String) {
        self.streamID = streamID
        code = streamID.removingStreamPrefix(Streams.program(""))
    }

    /// True once the programme has been defined.
    public var exists: Bool { !definitions.isEmpty }

    /// The latest definition: the one with the latest `effectiveFrom` (what the catalog says now).
    public var current: ProgramDefinition? { definitions.last }

    /// The definition in force on `date`: the latest one effective on or before it. Before the
    /// first definition's own `effectiveFrom`, the first definition applies — there was no other
    /// rule then, and its validity window still decides whether the date is allowed.
    public func definition(on date: LocalDate) -> ProgramDefinition? {
        definitions.last(where: { $0.effectiveFrom <= date }) ?? definitions.first
    }

    public mutating func apply(_ event: LedgerEvent, context: EventContext) {
        switch event {
        case .programDefined(let definition), .programAmended(let definition):
            // Stable: an equal date goes after the definitions already recorded for it.
            let index = definitions.firstIndex(where: { $0.effectiveFrom > definition.effectiveFrom }) ?? definitions.endIndex
            definitions.insert(definition, at: index)
        default:
            break
        }
    }
}

extension ProgramDefinition {
    /// Whether `date` lies in the validity window `validFrom…validUntil` (both included).
    public func isValid(on date: LocalDate) -> Bool { validFrom <= date && date <= validUntil }

    /// `2024-01-01 to 2025-12-31`, for messages.
    public var validityWindow: String { "\(validFrom) to \(validUntil)" }
    /// The window as a sentence part, dates written for the language.
    public var validityWindowMessage: Message { Message("{0} to {1}", .date(validFrom), .date(validUntil)) }
}

extension String {
    /// The id inside a stream id (`application-A-1` → `A-1`); the whole text when the prefix is absent.
    func removingStreamPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
