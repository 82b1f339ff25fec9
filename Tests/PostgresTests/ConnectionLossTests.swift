import Postgres
import TestSupport
import Testing

/// A connection whose server session ends (as when the server crashes or a failover happens) is
/// reported as lost, and `reset()` opens it again with the same parameters.
@Suite(.enabled(if: TestDatabase.enabled))
struct ConnectionLossTests {
    @Test func aTerminatedSessionIsALostConnectionAndResetOpensItAgain() async throws {
        try await withConnection { connection, database in
            let pid = await connection.backendPID
            let other = try await database.connect()
            _ = try await other.query("SELECT pg_terminate_backend($1)", [Int64(pid)]) { try $0.bool(0) }
            await other.close()
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.queryOne("SELECT 1::int8") { try $0.int64(0) }
            }
            #expect(error?.isConnectionLost == true, "\(String(describing: error))")
            #expect(await !connection.isOpen)

            try await connection.reset()
            #expect(await connection.isOpen)
            #expect(await connection.backendPID != pid)
            // The session is set up again as at connect: UTC.
            #expect(try await connection.queryOne("SHOW TimeZone") { try $0.string(0) } == "UTC")
        }
    }

    @Test func aServerThatRefusesIsNotALostConnection() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(ConnectionConfiguration(connectionString: "host=/nonexistent port=1"))
        }
        #expect(error?.isConnectionLost == false)
        try await withConnection { connection, _ in
            let refusal = await #expect(throws: PostgresError.self) {
                try await connection.execute("SELECT 1/0")
            }
            #expect(refusal?.isConnectionLost == false)
        }
    }
}
