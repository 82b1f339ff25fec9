extension LedgerService {
    /// The code of the programme a report or list filter (`--program`) names, in the catalog's
    /// spelling whatever the case typed (`nq12-housing` is `NQ12-HOUSING`). An unknown code is
    /// malformed input naming `field`, with the nearest code as a suggestion — never an empty table.
    public func programFilter(_ text: String, field: String = "--program") async throws -> String {
        let code = try Identifier.validated(text, field: field)
        let prefix = Streams.program("")
        let codes = try await connection.query(
            "SELECT stream_id FROM ledger.streams WHERE stream_id LIKE 'program-%' ORDER BY stream_id"
        ) { String(try $0.string(0).dropFirst(prefix.count)) }
        if codes.contains(code) { return code }
        let sameLetters = codes.filter { $0.lowercased() == code.lowercased() }
        if sameLetters.count == 1 { return sameLetters[0] }
        guard !codes.isEmpty else {
            throw DomainError.invalidInput(field: field, problem: "unknown programme \(code.debugDescription): no programme is defined yet")
        }
        let guess = Suggestion.closest(to: code, among: codes).map { " (did you mean \($0)?)" } ?? ""
        throw DomainError.invalidInput(
            field: field, problem: "unknown programme \(code.debugDescription)\(guess); `ledger program list` shows them"
        )
    }
}
