import Postgres
import TestSupport
import Testing

/// Server errors reach the caller with SQLSTATE, message, detail and constraint.
@Suite(.enabled(if: TestDatabase.enabled))
struct ErrorTests {
    @Test func aUniqueViolationCarriesItsSQLStateDetailAndConstraint() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE beneficiaries (national_id text PRIMARY KEY)")
            try await connection.execute("INSERT INTO beneficiaries VALUES ($1)", ["079123456789"])
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO beneficiaries VALUES ($1)", ["079123456789"])
            }
            #expect(error?.code == .uniqueViolation)
            #expect(error?.code.rawValue == "23505")
            #expect(error?.message == #"duplicate key value violates unique constraint "beneficiaries_pkey""#)
            #expect(error?.detail == "Key (national_id)=(079123456789) already exists.")
            #expect(error?.constraint == "beneficiaries_pkey")
            #expect(error?.description.contains("[SQLSTATE 23505]") == true)
            #expect(error?.description.contains("already exists") == true)
        }
    }

    @Test func aSyntaxErrorCarries42601() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.query("SELEC 1") { try $0.int(0) }
            }
            #expect(error?.code.rawValue == "42601")
            #expect(error?.message.contains("syntax error") == true)
            #expect(error?.message.contains("SELEC") == true)
        }
    }

    @Test func simpleQueryReportsTheFailingStatementsError() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.simpleQuery("SELECT 1; SELECT * FROM no_such_table; SELECT 2")
            }
            #expect(error?.code == .undefinedTable)
            #expect(error?.message.contains("no_such_table") == true)
        }
    }

    @Test func anArithmeticErrorCarriesItsSQLState() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT $1::bigint + 1", [Int64.max]) { try $0.int64(0) }
            }
            #expect(error?.code.rawValue == "22003")
            #expect(error?.message.contains("out of range") == true)
        }
    }

    @Test func theLedgersOwnSQLStateFromATriggerReachesTheCaller() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute("TRUNCATE ledger.events")
            }
            #expect(error?.code.rawValue == "LT001")
            #expect(error?.message.contains("append-only") == true)
        }
    }

    @Test func aHintFromTheServerIsKept() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.query("SELECT no_such_function(1)") { try $0.int(0) }
            }
            #expect(error?.code == .undefinedFunction)
            #expect(error?.hint?.isEmpty == false)
        }
    }

    @Test func theConnectionIsUsableAfterAnError() async throws {
        try await withConnection { connection, _ in
            _ = try? await connection.query("SELEC 1") { try $0.int(0) }
            _ = try? await connection.execute("INSERT INTO nowhere VALUES (1)")
            let answer = try await connection.queryOne("SELECT 40 + 2") { try $0.int(0) }
            #expect(answer == 42)
        }
    }

    @Test func copyThroughTheQueryMethodsIsRefusedAndLeavesTheConnectionUsable() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE t (n int)")
            let viaExecute = await #expect(throws: PostgresError.self) {
                try await connection.execute("COPY t FROM STDIN")
            }
            #expect(viaExecute?.code == .unexpectedResult)
            #expect(viaExecute?.message.contains("copyFrom") == true)
            let viaSimpleQuery = await #expect(throws: PostgresError.self) {
                try await connection.simpleQuery("COPY t FROM STDIN")
            }
            #expect(viaSimpleQuery?.code == .unexpectedResult)
            #expect(try await connection.execute("INSERT INTO t VALUES (1)") == 1)
            #expect(try await connection.queryOne("SELECT count(*) FROM t") { try $0.int(0) } == 1)
        }
    }
}
