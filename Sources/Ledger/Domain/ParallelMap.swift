import Foundation

/// `items.map(transform)` on every core, in order: the slices are cut evenly and each runs as a
/// child task. For CPU-bound work on a page of events (decoding JSON is most of a fold's cost);
/// below `minimumSlice` items per slice it does not split.
public func parallelMap<T: Sendable, R: Sendable>(
    _ items: [T], minimumSlice: Int = 256, _ transform: @escaping @Sendable (T) -> R
) async -> [R] {
    let slices = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count / minimumSlice))
    guard slices > 1 else { return items.map(transform) }
    let size = (items.count + slices - 1) / slices
    return await withTaskGroup(of: (Int, [R]).self) { group in
        for slice in 0..<slices {
            let part = items[min(slice * size, items.count)..<min((slice + 1) * size, items.count)]
            group.addTask { (slice, part.map(transform)) }
        }
        var parts = Array(repeating: [R](), count: slices)
        for await (slice, results) in group { parts[slice] = results }
        return parts.flatMap { $0 }
    }
}
