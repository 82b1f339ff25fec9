import Migrations

/// `ledger --version`: the release and the newest migration this build carries.
enum LedgerVersion {
    static let release = "0.9.0"

    static let text: String = {
        let newest = (try? Migration.bundled().max { $0.version < $1.version }) ?? nil
        let migration = newest.map { "\($0.version) (\($0.name))" } ?? "none"
        return "ledger \(release) (newest migration \(migration))"
    }()
}
