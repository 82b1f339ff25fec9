/// Decisions about programmes: loading the catalog an admin provides.
public enum ProgramDecisions {
    /// Compares each programme of `catalog` with its stream (`existing`, keyed by code; a code
    /// missing from it is a new stream): a new programme gets `ProgramDefined`, an unchanged one
    /// nothing, a changed one `ProgramAmended` — which must take effect after the definition it
    /// replaces, and must not turn a grant into a loan or back (applications already paid one way
    /// could not be paid the other). Loading the same catalog twice therefore appends nothing.
    ///
    /// Each declared category new to the ledger, or with other labels than recorded
    /// (`existingCategories`: the last `CategoryDefined` of each, with its stream version), gets
    /// `CategoryDefined`, before the programmes.
    public static func load(catalog: ProgramCatalog, existing: [String: ProgramState],
                            existingCategories: [String: (CategoryDefined, version: Int64)] = [:]) throws -> Decision {
        var streams: [StreamEvents] = []
        var declared: [String] = []
        for category in catalog.categories {
            let recorded = existingCategories[category.name]
            if recorded?.0 == category { continue }
            streams.append(StreamEvents(
                stream: Streams.category(category.name), expectedVersion: recorded?.version ?? 0, events: [.categoryDefined(category)]
            ))
            declared.append(category.name)
        }
        var defined: [String] = []
        var amended: [String] = []
        for (index, definition) in catalog.programs.enumerated() {
            let streamID = Streams.program(definition.code)
            let state = existing[definition.code] ?? ProgramState(streamID: streamID)
            precondition(state.streamID == streamID, "the state given for \(definition.code) is of stream \(state.streamID)")
            guard let current = state.current else {
                streams.append(StreamEvents(stream: streamID, expectedVersion: state.version, events: [.programDefined(definition)]))
                defined.append(definition.code)
                continue
            }
            if current == definition { continue }
            guard definition.effectiveFrom > current.effectiveFrom else {
                throw DomainError.invalidInput(
                    field: "programs[\(index)].effective_from",
                    problem: "programme \(definition.code) differs from its definition effective from \(current.effectiveFrom), "
                        + "but its effective_from is \(definition.effectiveFrom); an amendment must take effect on a later date"
                )
            }
            guard definition.kind == current.kind else {
                throw DomainError.invalidInput(
                    field: "programs[\(index)].kind",
                    problem: "programme \(definition.code) is a \(current.kind.rawValue) programme and cannot become a \(definition.kind.rawValue) one; define a new code"
                )
            }
            streams.append(StreamEvents(stream: streamID, expectedVersion: state.version, events: [.programAmended(definition)]))
            amended.append(definition.code)
        }
        let unchanged = catalog.programs.count - defined.count - amended.count
        guard !streams.isEmpty else {
            return .alreadyDone("catalog unchanged: all \(unchanged) programmes are already defined as given")
        }
        var parts: [String] = []
        if !declared.isEmpty { parts.append("categories \(declared.joined(separator: ", "))") }
        if !defined.isEmpty { parts.append("defined \(defined.joined(separator: ", "))") }
        if !amended.isEmpty { parts.append("amended \(amended.joined(separator: ", "))") }
        if unchanged > 0 { parts.append("\(unchanged) unchanged") }
        return Decision(streams: streams, summary: "catalog loaded: " + parts.joined(separator: "; "))
    }
}
