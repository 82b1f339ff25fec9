import ArgumentParser

/// `ledger-bench`: throughput measurements of the ledger against raw PostgreSQL on the same server.
/// One file per subcommand (`Store.swift` is `ledger-bench store`); shared helpers live beside them.
@main
struct LedgerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-bench",
        abstract: "Benchmarks for the ledger, each figure beside a raw PostgreSQL baseline from the same run.",
        discussion: """
            Connects with DATABASE_URL or the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD)
            as a role that may CREATE DATABASE, works in a scratch database of its own and drops it at the end.
            Figures go to stdout; progress to stderr. `make bench` runs `store` against a private server.
            """,
        subcommands: [Store.self, Reads.self, Disbursements.self, PaymentImportBench.self, ReadSide.self, Serve.self, Tree.self, Replication.self]
    )
}
