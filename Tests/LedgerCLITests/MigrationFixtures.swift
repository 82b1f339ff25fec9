import Migrations
import Postgres

/// Test-only migrations, numbered far above the real ones so they never collide with `sql/`.
enum MigrationFixture {
    /// A well-behaved new migration: one table.
    static func extraTable() throws -> Migration {
        try Migration(name: "9000_extra_fixture_table.sql", bytes: Array("""
            -- Test fixture: a new table, to prove a new migration is applied once and recorded.
            CREATE TABLE public.extra_fixture (id int PRIMARY KEY, note text NOT NULL);
            INSERT INTO public.extra_fixture VALUES (1, 'đã áp dụng');

            """.utf8))
    }

    /// Creates a table, then fails: nothing of it may remain.
    static func failing() throws -> Migration {
        try Migration(name: "9001_fails_halfway.sql", bytes: Array("""
            -- Test fixture: the first statement succeeds, the second fails.
            CREATE TABLE public.half_done (id int);
            INSERT INTO public.half_done VALUES (1);
            SELECT 1 / 0;

            """.utf8))
    }

    /// The bundled migrations with one file's content edited after it was applied.
    static func bundled(editing name: String) throws -> (migrations: [Migration], original: Migration, edited: Migration) {
        let bundled = try Migration.bundled()
        guard let original = bundled.first(where: { $0.name == name }) else {
            throw ExpectedFailure(reason: "no bundled migration named \(name)")
        }
        let edited = try Migration(name: name, bytes: Array((original.sql + "\n-- an innocent-looking edit\n").utf8))
        return (bundled.map { $0.name == name ? edited : $0 }, original, edited)
    }

    static func tableExists(_ connection: PostgresConnection, _ qualifiedName: String) async throws -> Bool {
        try await connection.queryOne("SELECT to_regclass($1) IS NOT NULL", [qualifiedName]) { try $0.bool(0) }
    }

    /// Version, name and checksum of every recorded migration, in order.
    static func records(_ connection: PostgresConnection) async throws -> [[String]] {
        try await connection.query("SELECT version::text, name, checksum FROM ledger_meta.schema_migrations ORDER BY version") { row in
            [try row.string(0), try row.string(1), try row.string(2)]
        }
    }
}

/// An error a test throws on purpose.
struct ExpectedFailure: Error, Equatable {
    let reason: String
}
