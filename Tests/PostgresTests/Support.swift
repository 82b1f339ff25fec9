import Postgres
import TestSupport

/// Runs `body` with a superuser connection to a fresh migrated database.
func withConnection(_ body: (PostgresConnection, FreshDatabase) async throws -> Void) async throws {
    try await TestDatabase.withFresh { database in
        let connection = try await database.connect()
        try await body(connection, database)
        await connection.close()
    }
}

/// The error a test body is expected to throw, for assertions on code, message and detail.
struct ExpectedFailure: Error, Equatable {
    let reason: String
}
