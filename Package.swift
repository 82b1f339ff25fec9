// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "ledger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ledger", targets: ["LedgerCLI"]),
        .executable(name: "ledger-bench", targets: ["LedgerBench"]),
        .library(name: "EventStore", targets: ["EventStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.0"),
        // `ledger serve`: HTTP (with TLS), lifecycle, metrics. Hummingbird without its
        // swift-configuration trait: the service reads its settings from flags.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The web pages' templates (server-rendered HTML).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // libpq through pkg-config (Debian: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // Small safe wrapper: one PGconn per actor, parameters only, typed rows.
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]
        ),
        // Numbered SQL files from sql/, embedded at build time, applied with checksums.
        .target(
            name: "Migrations",
            dependencies: ["Postgres", .product(name: "Crypto", package: "swift-crypto")],
            plugins: ["EmbedSQL"]
        ),
        // Append / read / subscribe / verify; knows nothing about disbursements.
        .target(
            name: "EventStore",
            dependencies: ["Postgres", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The domain: money, dates, districts, programmes, budgets, applications, payments, loans;
        // pure decisions plus the command handler that loads, decides and appends.
        .target(
            name: "Ledger",
            dependencies: [
                "EventStore", "Postgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),
        // Read models folded from the log: runner, checkpoints, leases, rebuild-and-swap.
        .target(
            name: "Projections",
            dependencies: ["Ledger", "EventStore", "Postgres"]
        ),
        // `ledger serve`: the HTTP API. Every request of a session runs on that person's own
        // PostgreSQL connection, so the database's roles decide, as for the CLI.
        .target(
            name: "LedgerServer",
            dependencies: [
                "Postgres", "Migrations", "EventStore", "Ledger", "Projections",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The pages' templates and stylesheet are embedded by the EmbedWeb plugin, not bundled.
            exclude: ["Web/Templates", "Web/Static"],
            plugins: ["EmbedWeb"]
        ),
        .executableTarget(
            name: "LedgerCLI",
            dependencies: [
                "Postgres", "Migrations", "EventStore", "Ledger", "Projections", "LedgerServer",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "LedgerBench",
            dependencies: [
                "Postgres", "Migrations", "EventStore", "Ledger", "LocalCluster", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Build-time tool: turns files (sql/*.sql; the pages' templates and stylesheet) into a
        // Swift source, so the binary carries them wherever it is installed.
        .executableTarget(name: "EmbedSQLTool"),
        .plugin(
            name: "EmbedSQL",
            capability: .buildTool(),
            dependencies: ["EmbedSQLTool"]
        ),
        .plugin(
            name: "EmbedWeb",
            capability: .buildTool(),
            dependencies: ["EmbedSQLTool"]
        ),
        // Fresh migrated databases and login roles for the test suites (never shipped in a product).
        .target(name: "TestSupport", dependencies: ["CLibPQ", "Postgres", "Migrations", "LocalCluster"]),
        // Private primaries, standbys and restored backups on this machine (initdb, pg_basebackup,
        // pg_ctl) for the replication tests and `ledger-bench replication` (never shipped).
        .target(name: "LocalCluster"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(
            name: "EventStoreTests",
            dependencies: ["EventStore", "Migrations", "Postgres", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "LedgerServiceTests", dependencies: ["Ledger", "EventStore", "Postgres", "TestSupport"]),
        .testTarget(name: "LedgerCLITests", dependencies: ["Ledger", "EventStore", "Migrations", "Postgres", "TestSupport"]),
        .testTarget(name: "LedgerImportTests", dependencies: ["Ledger", "EventStore", "Postgres", "TestSupport"]),
        .testTarget(name: "LedgerDemoTests", dependencies: ["Ledger", "EventStore", "Postgres", "TestSupport"]),
        .testTarget(name: "LedgerLoanTests", dependencies: ["Ledger"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "EventStore", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "LedgerServerTests",
            dependencies: ["LedgerServer", "Ledger", "EventStore", "Postgres", "TestSupport", .product(name: "Mustache", package: "swift-mustache")]
        ),
        .testTarget(name: "ReplicationTests", dependencies: ["Ledger", "EventStore", "Postgres", "TestSupport", "LocalCluster"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "Ledger", "EventStore", "Postgres", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
