// swift-tools-version:6.0
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
        .executableTarget(
            name: "LedgerCLI",
            dependencies: [
                "Postgres", "Migrations", "EventStore", "Ledger", "Projections",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "LedgerBench",
            dependencies: [
                "Postgres", "Migrations", "EventStore", "Ledger",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Build-time tool: turns sql/*.sql into a Swift source for the Migrations target.
        .executableTarget(name: "EmbedSQLTool"),
        .plugin(
            name: "EmbedSQL",
            capability: .buildTool(),
            dependencies: ["EmbedSQLTool"]
        ),
        // Fresh migrated databases and login roles for the test suites (never shipped in a product).
        .target(name: "TestSupport", dependencies: ["CLibPQ", "Postgres", "Migrations"]),
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
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "Ledger", "EventStore", "Postgres", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
