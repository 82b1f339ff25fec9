/// Texts that recur across many records (a budget's stream, an officer's role, a programme's
/// code): each is kept once, and a record holds the pool's copy, which shares its storage, rather
/// than a copy of its own (a text longer than 15 bytes is a heap allocation per copy). For folds
/// that keep a record per application, payment or beneficiary of the log.
public struct TextPool: Sendable {
    private var members: Set<String> = []

    public init() {}

    public mutating func callAsFunction(_ text: String) -> String { members.insert(text).memberAfterInsert }
}
