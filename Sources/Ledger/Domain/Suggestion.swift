/// "Did you mean …": the closest of some names to a word that matched none of them.
public enum Suggestion {
    /// The name nearest to `word` (case-insensitive edit distance), when near enough to be a typo:
    /// at most 2 edits, or a third of the word's length for long words; or the only name `word`
    /// begins. nil when nothing is close, or two names are equally close.
    public static func closest(to word: String, among names: [String]) -> String? {
        let typed = Array(word.lowercased())
        guard !typed.isEmpty else { return nil }
        let limit = max(2, typed.count / 3)
        var best: (name: String, distance: Int)?
        var tie = false
        for name in Set(names).sorted() {
            let distance = editDistance(typed, Array(name.lowercased()))
            guard distance <= limit else { continue }
            if let current = best, distance == current.distance {
                tie = true
            } else if best == nil || distance < best!.distance {
                best = (name, distance)
                tie = false
            }
        }
        if let best, !tie { return best.name }
        let prefixed = Set(names).filter { $0.lowercased().hasPrefix(word.lowercased()) }
        return prefixed.count == 1 ? prefixed.first : nil
    }

    /// Levenshtein distance (insertions, deletions, substitutions; a swap of neighbours counts 1).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousRow = Array(0...b.count)
        var beforePrevious: [Int] = []
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                row[j] = min(previousRow[j] + 1, row[j - 1] + 1, previousRow[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    row[j] = min(row[j], beforePrevious[j - 2] + 1)
                }
            }
            beforePrevious = previousRow
            previousRow = row
        }
        return previousRow[b.count]
    }
}
