import Migrations
import Postgres
import TestSupport
import Testing

/// The bundled migrations themselves; no database needed.
@Suite struct MigrationFileTests {
    @Test func bundledMigrationsAreTheSQLFilesInVersionOrder() throws {
        let bundled = try Migration.bundled()
        #expect(bundled.map(\.name).prefix(4) == ["0001_roles.sql", "0002_event_store.sql", "0003_hash_chain.sql", "0004_append.sql"])
        #expect(bundled.map(\.version) == bundled.map(\.version).sorted())
        #expect(Set(bundled.map(\.version)).count == bundled.count)
        #expect(bundled.allSatisfy { $0.checksum.count == 64 && $0.checksum == $0.checksum.lowercased() })
    }

    @Test func theChecksumIsSHA256OfTheFileBytes() throws {
        let migration = try Migration(name: "0042_example.sql", bytes: Array("abc".utf8))
        #expect(migration.version == 42)
        #expect(migration.checksum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test(arguments: ["0000_zero.sql", "abc.sql", "0001_roles.txt", "_0001.sql", "x0001_roles.sql", "-1_negative.sql"])
    func badlyNamedFilesAreRefused(name: String) {
        #expect(throws: MigrationError.invalidFileName(name)) {
            _ = try Migration(name: name, bytes: Array("SELECT 1;".utf8))
        }
    }

    @Test func aFileThatIsNotUTF8IsRefused() {
        #expect(throws: MigrationError.notUTF8("0005_latin1.sql")) {
            _ = try Migration(name: "0005_latin1.sql", bytes: [0x2D, 0x2D, 0x20, 0xE9, 0x0A])
        }
    }

    @Test func twoFilesWithOneNumberAreRefused() throws {
        let first = try Migration(name: "0007_a.sql", bytes: Array("SELECT 1;".utf8))
        let second = try Migration(name: "0007_b.sql", bytes: Array("SELECT 2;".utf8))
        let error = #expect(throws: MigrationError.self) {
            _ = try Migration.ordered([second, first])
        }
        guard case .duplicateVersion(let one, let other) = error else {
            Issue.record("expected .duplicateVersion, got \(String(describing: error))")
            return
        }
        #expect(Set([one, other]) == ["0007_a.sql", "0007_b.sql"])
        #expect(error?.description.contains("have the same number") == true)
    }
}

/// `Migrator` against a real database.
@Suite(.enabled(if: TestDatabase.enabled))
struct MigratorTests {
    @Test func migrateOnAMigratedDatabaseAppliesNothing() async throws {
        try await TestDatabase.withFresh { database in
            let connection = try await database.connect()
            let bundled = try Migration.bundled()
            let before = try await MigrationFixture.records(connection)
            let report = try await Migrator(connection: connection).migrate()
            #expect(report.applied.isEmpty)
            #expect(report.alreadyApplied == bundled.count)
            #expect(try await MigrationFixture.records(connection) == before)
            let applied = try await Migrator(connection: connection).applied()
            #expect(applied.map(\.name) == bundled.map(\.name))
            #expect(applied.map(\.checksum) == bundled.map(\.checksum))
        }
    }

    @Test(arguments: ["0002_event_store.sql", "0004_append.sql"])
    func aChangedAppliedFileIsRefusedAndNothingChanges(name: String) async throws {
        try await TestDatabase.withFresh { database in
            let connection = try await database.connect()
            let fixture = try MigrationFixture.bundled(editing: name)
            let before = try await MigrationFixture.records(connection)
            let migrator = Migrator(connection: connection, migrations: fixture.migrations + [try MigrationFixture.extraTable()])
            let error = await #expect(throws: MigrationError.self) { try await migrator.migrate() }
            #expect(error == .changedSinceApplied(name: name, appliedChecksum: fixture.original.checksum, fileChecksum: fixture.edited.checksum))
            #expect(error?.description.contains("sql/\(name) has changed since it was applied") == true)
            // Refused before anything ran: the new migration in the same list was not applied either.
            #expect(try await MigrationFixture.records(connection) == before)
            #expect(try await !MigrationFixture.tableExists(connection, "public.extra_fixture"))
        }
    }

    @Test func aRecordedVersionThisBinaryDoesNotKnowIsRefused() async throws {
        try await TestDatabase.withFresh { database in
            let connection = try await database.connect()
            try await connection.execute(
                "INSERT INTO ledger_meta.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                [9999, "9999_from_a_newer_binary.sql", String(repeating: "ab", count: 32)]
            )
            let migrator = Migrator(connection: connection, migrations: try Migration.bundled() + [try MigrationFixture.extraTable()])
            let error = await #expect(throws: MigrationError.self) { try await migrator.migrate() }
            #expect(error == .unknownAppliedVersion(version: 9999, name: "9999_from_a_newer_binary.sql"))
            #expect(error?.description.contains("use a newer binary") == true)
            #expect(try await !MigrationFixture.tableExists(connection, "public.extra_fixture"))
        }
    }

    @Test func aBinaryMissingAnAppliedMigrationIsRefused() async throws {
        try await TestDatabase.withFresh { database in
            let connection = try await database.connect()
            let withoutAppend = try Migration.bundled().filter { $0.name != "0004_append.sql" }
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(connection: connection, migrations: withoutAppend).migrate()
            }
            #expect(error == .unknownAppliedVersion(version: 4, name: "0004_append.sql"))
        }
    }

    @Test func aNewMigrationIsAppliedOnceAndRecordedWithItsChecksum() async throws {
        try await TestDatabase.withFresh { database in
            let connection = try await database.connect()
            let extra = try MigrationFixture.extraTable()
            let migrator = Migrator(connection: connection, migrations: try Migration.bundled() + [extra])

            let first = try await migrator.migrate()
            #expect(first.applied == [extra])
            #expect(try await connection.query("SELECT note FROM public.extra_fixture") { try $0.string(0) } == ["đã áp dụng"])
            let record = try #require(try await migrator.applied().last)
            #expect(record.version == 9000)
            #expect(record.name == "9000_extra_fixture_table.sql")
            #expect(record.checksum == extra.checksum)
            #expect(record.appliedBy == (try await connection.queryOne("SELECT session_user::text") { try $0.string(0) }))

            let second = try await migrator.migrate()
            #expect(second.applied.isEmpty)
            #expect(try await connection.queryOne("SELECT count(*) FROM public.extra_fixture") { try $0.int(0) } == 1)
            // The session is left as it was found: no role switched by a migration leaks out.
            #expect(try await connection.queryOne("SELECT current_user = session_user") { try $0.bool(0) })
        }
    }

    @Test func aFailingMigrationIsRolledBackEntirely() async throws {
        try await TestDatabase.withFresh { database in
            let connection = try await database.connect()
            let extra = try MigrationFixture.extraTable()
            let failing = try MigrationFixture.failing()
            let migrator = Migrator(connection: connection, migrations: try Migration.bundled() + [extra, failing])

            let error = await #expect(throws: MigrationError.self) { try await migrator.migrate() }
            guard case .failed(let name, let reason) = error else {
                Issue.record("expected .failed, got \(String(describing: error))")
                return
            }
            #expect(name == "9001_fails_halfway.sql")
            #expect(reason.contains("division by zero"))
            #expect(error?.description.contains("sql/9001_fails_halfway.sql failed and was rolled back") == true)

            // Each migration is its own transaction: the good one stays, the failing one left nothing.
            #expect(try await MigrationFixture.tableExists(connection, "public.extra_fixture"))
            #expect(try await !MigrationFixture.tableExists(connection, "public.half_done"))
            let lastBundled = try #require(try Migration.bundled().last).version
            #expect(try await migrator.applied().map(\.version).suffix(2) == [lastBundled, 9000])

            // Fixing the file lets the next run apply it.
            let fixed = try Migration(name: "9001_fails_halfway.sql", bytes: Array("CREATE TABLE public.half_done (id int);\n".utf8))
            let report = try await Migrator(connection: connection, migrations: try Migration.bundled() + [extra, fixed]).migrate()
            #expect(report.applied == [fixed])
            #expect(try await MigrationFixture.tableExists(connection, "public.half_done"))
        }
    }

    @Test func concurrentRunsApplyANewMigrationOnce() async throws {
        try await TestDatabase.withFresh { database in
            let extra = try MigrationFixture.extraTable()
            let migrations = try Migration.bundled() + [extra]
            let reports = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let connection = try await database.connect()
                        let report = try await Migrator(connection: connection, migrations: migrations).migrate()
                        await connection.close()
                        return report.applied.count
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(reports.sorted() == [0, 0, 0, 1])
            let connection = try await database.connect()
            #expect(try await MigrationFixture.records(connection).last == ["9000", extra.name, extra.checksum])
        }
    }
}
