/// Decisions about places: loading a places file.
public enum PlaceDecisions {
    /// Defines every unit of `file` not defined yet (in the file's order, so came_from may name
    /// a unit listed earlier). A unit already defined the same way is nothing to do (loading the
    /// same file again records nothing); one defined differently is refused — a unit is defined
    /// once, and a changed unit gets a new code.
    public static func load(file: PlaceFile, known: PlaceCatalog) throws -> Decision {
        var catalog = known
        var streams: [StreamEvents] = []
        for unit in file.units {
            if known.unit(unit.code) == unit { continue }
            if let problem = catalog.definitionProblem(unit) {
                throw DomainError(.alreadyExists, problem, field: "units")
            }
            catalog.add(unit)
            streams.append(StreamEvents(stream: Streams.unit(unit.code), expectedVersion: 0, events: [.unitDefined(unit)]))
        }
        let unchanged = file.units.count - streams.count
        if streams.isEmpty {
            return .alreadyDone("all \(file.units.count) units are already defined as in the file; nothing to record")
        }
        return Decision(
            streams: streams,
            summary: "defined \(streams.count) unit\(streams.count == 1 ? "" : "s")"
                + (unchanged > 0 ? " (\(unchanged) already defined as in the file)" : "")
        )
    }
}
