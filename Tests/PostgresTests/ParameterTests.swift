import Postgres
import TestSupport
import Testing

/// Values reach SQL only as parameters, never spliced into the statement text.
@Suite(.enabled(if: TestDatabase.enabled))
struct ParameterTests {
    static let hostileStrings = [
        "'); DROP TABLE x; --",
        "Robert'); DROP TABLE x;--",
        "' OR '1'='1",
        "$1",
        #"\'; DROP TABLE x; --"#,
        "E'\\x00'",
        "\"x\"",
        "-- just a comment",
    ]

    @Test(arguments: hostileStrings)
    func hostileTextIsStoredUnchangedAndExecutesNothing(text: String) async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE x (id int PRIMARY KEY, note text NOT NULL)")
            #expect(try await connection.execute("INSERT INTO x VALUES (1, $1)", [text]) == 1)
            let stored = try await connection.query("SELECT note FROM x") { try $0.string(0) }
            #expect(stored == [text])
            let matched = try await connection.queryOne("SELECT count(*) FROM x WHERE note = $1", [text]) { try $0.int(0) }
            #expect(matched == 1)
        }
    }

    @Test func aNULCharacterInATextParameterIsRefusedBeforeSending() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE notes (note text)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO notes VALUES ($1), ($2)", ["fine", "trước\u{0}sau"])
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("$2") == true)
            #expect(error?.message.contains("NUL") == true)
            // Nothing was sent, and the connection still works.
            #expect(try await connection.queryOne("SELECT count(*) FROM notes") { try $0.int(0) } == 0)
        }
    }

    @Test func theSameParameterMayBeUsedTwiceWithDifferentCasts() async throws {
        try await withConnection { connection, _ in
            let (asInt, asText) = try await connection.queryOne("SELECT $1::int + 1, $1::text || '!'", ["41"]) { row in
                (try row.int(0), try row.string(1))
            }
            #expect(asInt == 42)
            #expect(asText == "41!")
        }
    }

    @Test func aParameterThatIsNotTheDeclaredTypeIsTheServersError() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT $1::bigint", ["mười"]) { try $0.int64(0) }
            }
            #expect(error?.code == .invalidTextRepresentation)
            #expect(error?.message.contains("mười") == true)
        }
    }
}
