import EventStore
import Ledger

/// One projection folding on an executor of its own, so that several fold side by side; it
/// applies events up to `through` and ignores later ones.
actor ConcurrentFold {
    private var projection: any Projection
    private let through: Int64

    init(_ type: any Projection.Type, through: Int64 = .max) {
        projection = type.init()
        self.through = through
    }

    func apply(_ events: [ProjectedEvent]) {
        for event in events {
            guard event.position <= through else { return }
            projection.apply(event)
        }
    }

    func takeChangedRows() -> [[ReadModelRow]] { projection.takeChangedRows() }

    func allRows() -> [[ReadModelRow]] { projection.allRows() }

    /// The projection as folded so far.
    func folded() -> any Projection { projection }

    /// Folds the log after `after`, through `last`, into `folds`, a page at a time, in three
    /// overlapping stages: the next page is read while this one is decoded (on every core) and
    /// the one before is folded (each projection on its own executor). Returns the last position
    /// folded and the number of events read.
    static func foldLog(
        into folds: [ConcurrentFold], from reader: EventStore, after start: Int64, through last: Int64 = .max, pageSize: Int,
        progress: ((Int64) -> Void)? = nil
    ) async throws -> (position: Int64, events: Int64) {
        var position = start
        var events: Int64 = 0
        guard last > start else { return (position, events) }
        var reading: Task<[RecordedEvent], any Error>? = Task { try await reader.readPage(after: start, limit: pageSize) }
        var folding: Task<Void, Never>?
        defer { reading?.cancel() }
        while let current = reading {
            var page = try await current.value
            if let tail = page.last, tail.position > last { page = page.filter { $0.position <= last } }
            guard let tail = page.last else { break }
            position = tail.position
            events += Int64(page.count)
            let more = page.count == pageSize && position < last
            reading = more ? Task { [position] in try await reader.readPage(after: position, limit: pageSize) } : nil
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
