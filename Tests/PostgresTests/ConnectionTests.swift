import Postgres
import TestSupport
import Testing

/// Opening and closing connections.
@Suite struct ConnectionFailureTests {
    @Test func connectingToAServerThatDoesNotExistFailsClearly() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(ConnectionConfiguration(connectionString: "host=/nonexistent port=1"))
        }
        #expect(error?.code == .connectionFailure)
        #expect(error?.message.contains("cannot connect to PostgreSQL") == true)
        // libpq's own reason names the socket it tried.
        #expect(error?.message.contains("/nonexistent/.s.PGSQL.1") == true, "\(error?.message ?? "")")
        #expect(error?.hint?.contains("DATABASE_URL") == true)
    }

    @Test func aMalformedConnectionStringIsAConnectionFailure() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(ConnectionConfiguration(connectionString: "host=/nonexistent port=notaport"))
        }
        #expect(error?.code == .connectionFailure)
        #expect(error?.message.contains("notaport") == true, "\(error?.message ?? "")")
    }
}

@Suite(.enabled(if: TestDatabase.enabled))
struct ConnectionTests {
    @Test func theSessionIsUTCWithISODatesAndUTF8() async throws {
        try await withConnection { connection, _ in
            let settings = try await connection.queryOne(
                "SELECT current_setting('TimeZone'), current_setting('DateStyle'), current_setting('client_encoding')"
            ) { row in [try row.string(0), try row.string(1), try row.string(2)] }
            #expect(settings == ["UTC", "ISO, YMD", "UTF8"])
        }
    }

    @Test func userAndDatabaseOverridesAreUsed() async throws {
        try await TestDatabase.withFresh { database in
            let auditor = try await TestDatabase.loginRole(memberOf: "ledger_auditor")
            let connection = try await PostgresConnection.connect(database.configuration(user: auditor))
            let (user, name) = try await connection.queryOne("SELECT session_user::text, current_database()::text") { row in
                (try row.string(0), try row.string(1))
            }
            #expect(user == auditor)
            #expect(name == database.name)
            await connection.close()
        }
    }

    @Test func aConnectionKnowsItsServer() async throws {
        try await withConnection { connection, _ in
            #expect(await connection.isOpen)
            #expect(await connection.serverVersion >= 130_000)
            let pid = await connection.backendPID
            let serverPID = try await connection.queryOne("SELECT pg_backend_pid()") { try $0.int32(0) }
            #expect(serverPID == pid)
        }
    }

    @Test func aClosedConnectionRefusesQueries() async throws {
        try await withConnection { connection, _ in
            await connection.close()
            #expect(await !connection.isOpen)
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.query("SELECT 1") { try $0.int(0) }
            }
            #expect(error?.code == .connectionFailure)
            #expect(error?.message.contains("closed") == true)
        }
    }
}
