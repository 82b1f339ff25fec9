import EventStore
import Ledger

/// One projection folding on an executor of its own, so that several fold side by side.
actor ConcurrentFold {
    private var projection: any Projection

    init(_ type: any Projection.Type) {
        projection = type.init()
    }

    func apply(_ events: [ProjectedEvent]) {
        for event in events { projection.apply(event) }
    }

    func takeChangedRows() -> [[ReadModelRow]] { projection.takeChangedRows() }

    func allRows() -> [[ReadModelRow]] { projection.allRows() }

    /// Folds the log after `after` into `folds`, a page at a time, in three overlapping stages:
    /// the next page is read while this one is decoded (on every core) and the one before is
    /// folded (each projection on its own executor). Returns the last position folded and the
    /// number of events read.
    static func foldLog(
        into folds: [ConcurrentFold], from reader: EventStore, after start: Int64, pageSize: Int,
        progress: ((Int64) -> Void)? = nil
    ) async throws -> (position: Int64, events: Int64) {
        var position = start
        var events: Int64 = 0
        var reading: Task<[RecordedEvent], any Error>? = Task { try await reader.readPage(after: start, limit: pageSize) }
        var folding: Task<Void, Never>?
        defer { reading?.cancel() }
        while let current = reading {
            let page = try await current.value
            guard let last = page.last else { break }
            position = last.position
            events += Int64(page.count)
            reading = page.count < pageSize ? nil : Task { [position] in try await reader.readPage(after: position, limit: pageSize) }
            let decoded = try await parallelMap(page) { event in Result { try ProjectedEvent(recorded: event) } }.compactMap { try $0.get() }
            await folding?.value
            folding = Task {
                await withTaskGroup(of: Void.self) { group in
                    for fold in folds { group.addTask { await fold.apply(decoded) } }
                }
            }
            progress?(position)
        }
        await folding?.value
        return (position, events)
    }
}
