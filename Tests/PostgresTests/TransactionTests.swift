import Postgres
import TestSupport
import Testing

/// `transaction { … }`: all of it or none of it.
@Suite(.enabled(if: TestDatabase.enabled))
struct TransactionTests {
    @Test func commitsWhenTheBodySucceeds() async throws {
        try await withConnection { connection, database in
            try await connection.execute("CREATE TABLE payments (id int PRIMARY KEY, amount_vnd bigint NOT NULL)")
            let inserted = try await connection.transaction { connection in
                try connection.execute("INSERT INTO payments VALUES (1, 2000000)")
                    + connection.execute("INSERT INTO payments VALUES (2, 3000000)")
            }
            #expect(inserted == 2)
            let other = try await database.connect()
            #expect(try await other.queryOne("SELECT sum(amount_vnd)::bigint FROM payments") { try $0.int64(0) } == 5_000_000)
            await other.close()
        }
    }

    @Test func rollsBackWhenTheBodyThrows() async throws {
        try await withConnection { connection, database in
            try await connection.execute("CREATE TABLE payments (id int PRIMARY KEY)")
            await #expect(throws: ExpectedFailure(reason: "approver is the submitter")) {
                try await connection.transaction { connection in
                    try connection.execute("INSERT INTO payments VALUES (1)")
                    throw ExpectedFailure(reason: "approver is the submitter")
                }
            }
            #expect(try await connection.queryOne("SELECT count(*) FROM payments") { try $0.int(0) } == 0)

            // Back in autocommit: a plain insert is visible to another session at once.
            try await connection.execute("INSERT INTO payments VALUES (2)")
            let other = try await database.connect()
            #expect(try await other.query("SELECT id FROM payments") { try $0.int(0) } == [2])
            await other.close()
        }
    }

    @Test func rollsBackWhenAStatementInTheBodyFails() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE payments (id int PRIMARY KEY)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.transaction { connection in
                    try connection.execute("INSERT INTO payments VALUES (1)")
                    try connection.execute("INSERT INTO payments VALUES (1)")
                }
            }
            #expect(error?.code == .uniqueViolation)
            #expect(try await connection.queryOne("SELECT count(*) FROM payments") { try $0.int(0) } == 0)
            // A second transaction on the same connection works normally.
            try await connection.transaction { connection in
                _ = try connection.execute("INSERT INTO payments VALUES (1)")
            }
            #expect(try await connection.queryOne("SELECT count(*) FROM payments") { try $0.int(0) } == 1)
        }
    }

    @Test(arguments: [
        (PostgresConnection.IsolationLevel.readCommitted, "read committed"),
        (.repeatableRead, "repeatable read"),
        (.serializable, "serializable"),
    ])
    func runsAtTheRequestedIsolationLevel(level: PostgresConnection.IsolationLevel, name: String) async throws {
        try await withConnection { connection, _ in
            let seen = try await connection.transaction(isolation: level) { connection in
                try connection.queryOne("SELECT current_setting('transaction_isolation')") { try $0.string(0) }
            }
            #expect(seen == name)
        }
    }

    @Test func aNestedTransactionNeverCommitsTheOuterOnesWork() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE payments (id int PRIMARY KEY)")
            // Refusing the inner call or making it a savepoint are both fine; committing early is not.
            await #expect(throws: (any Error).self) {
                try await connection.transaction { connection in
                    try connection.execute("INSERT INTO payments VALUES (1)")
                    try connection.transaction { inner in
                        _ = try inner.execute("INSERT INTO payments VALUES (2)")
                    }
                    throw ExpectedFailure(reason: "the outer step fails after the inner one")
                }
            }
            let committed = try await connection.query("SELECT id FROM payments ORDER BY id") { try $0.int(0) }
            #expect(committed == [], "the outer transaction failed, yet rows \(committed) were committed")
        }
    }

    @Test func copyToStdoutThroughExecuteIsRefusedAndTheConnectionStaysUsable() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("COPY (SELECT 1) TO STDOUT")
            }
            #expect(error?.code == .unexpectedResult)
            let answer = try await connection.queryOne("SELECT 42") { try $0.int(0) }
            #expect(answer == 42)
        }
    }
}
