import EventStore
import Foundation
import Postgres
import TestSupport
import Testing

/// Guarantee 7: who did it comes from the database session, and which roles may append is
/// decided by the database.
@Suite(.enabled(if: TestDatabase.enabled))
struct PermissionTests {
    @Test func theActorIsTheSessionUserWhateverTheClientSays() async throws {
        try await TestDatabase.withFresh { db in
            let writerName = try await TestDatabase.loginRole(memberOf: "ledger_writer")
            let writer = EventStore(connection: try await db.connect(user: writerName))
            let forged = try NewEvent(type: "TransferRecorded", payloadJSON: #"{"amount_vnd": 1}"#,
                                      metadataJSON: #"{"actor": "someone_else", "command_id": "forged", "channel": "cli"}"#)
            _ = try await writer.append([forged], to: "payment-1", expectedVersion: .any, commandID: "real-command")
            let event = try #require(try await writer.readStream("payment-1").first)
            #expect(event.actor == writerName)
            #expect(event.commandID == "real-command")
            #expect(event.metadataJSON.contains(#""command_id": "real-command""#))
            #expect(event.metadataJSON.contains(#""channel": "cli""#), "other client metadata is kept")
            #expect(!event.metadataJSON.contains("someone_else"))
            #expect(try await writer.verifyChain().isIntact)
        }
    }

    @Test func anAuditorCanReadAndVerifyButNotAppend() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await EventStore(connection: try await db.connect())
                .append([try Fixture.event()], to: "note-1", expectedVersion: .any, commandID: "c-1")
            let auditor = EventStore(connection: try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_auditor")))
            #expect(try await auditor.readPage(after: 0).count == 1)
            #expect(try await auditor.verifyChain().isIntact)
            #expect(try await auditor.digest().position == 1)
            do {
                _ = try await auditor.append([try Fixture.event()], to: "note-1", expectedVersion: .any, commandID: "c-2")
                Issue.record("the auditor appended")
            } catch let error as EventStoreError {
                #expect(error.code == .permissionDenied)
            }
            #expect(try await auditor.status().events == 1)
        }
    }

    @Test func aWriterCannotUpdateOrInsertDirectly() async throws {
        try await TestDatabase.withFresh { db in
            let store = EventStore(connection: try await db.connect(user: try await TestDatabase.loginRole(memberOf: "ledger_writer")))
            _ = try await store.append([try Fixture.event()], to: "note-1", expectedVersion: .any, commandID: "c-1")
            for statement in [
                "UPDATE ledger.events SET payload = '{}'",
                "INSERT INTO ledger.commands VALUES ('x', '\\x00', '{}', 'x', now())",
                "UPDATE ledger.head SET last_position = last_position",
            ] {
                await #expect(throws: PostgresError.self, "\(statement)") { try await store.connection.simpleQuery(statement) }
                do {
                    try await store.connection.simpleQuery(statement)
                } catch let error as PostgresError {
                    #expect(error.code == .insufficientPrivilege, "\(statement): \(error)")
                }
            }
        }
    }

    @Test func aRoleWithoutAnAppendGrantIsRefusedByEventType() async throws {
        try await TestDatabase.withFresh { db in
            // EXECUTE alone is not enough: the event type must be granted to one of the caller's roles.
            let outsider = try await TestDatabase.loginRole(memberOf: nil)
            let superuser = try await db.connect()
            try await superuser.simpleQuery("""
                GRANT USAGE ON SCHEMA ledger TO \(outsider);
                GRANT EXECUTE ON FUNCTION ledger.append(text, jsonb) TO \(outsider);
                """)
            // The superuser's GRANTs on the ledger's schema are themselves recorded (SchemaChanged, 0011).
            let before = try await Fixture.snapshot(superuser)
            let store = EventStore(connection: try await db.connect(user: outsider))
            do {
                _ = try await store.append([try Fixture.event("ApplicationApproved")], to: "application-1", expectedVersion: .any, commandID: "c")
                Issue.record("an ungranted event type was appended")
            } catch let error as EventStoreError {
                #expect(error.code == .permissionDenied)
                #expect(error.message.contains("ApplicationApproved"))
                #expect(error.message.contains(outsider))
            }
            #expect(try await Fixture.snapshot(superuser) == before)
        }
    }
}
