import Postgres
import TestSupport
import Testing

/// LISTEN/NOTIFY between two connections.
@Suite(.enabled(if: TestDatabase.enabled))
struct NotificationTests {
    /// Waits for one notification, in bounded slices so a lost one fails the test instead of hanging it.
    static func nextNotification(_ listener: PostgresConnection) async throws -> PostgresNotification? {
        for _ in 0..<20 {
            if let notification = try await listener.waitForNotification(timeoutMilliseconds: 500) { return notification }
        }
        return nil
    }

    @Test func aNotificationFromAnotherConnectionArrivesWithChannelAndPayload() async throws {
        try await withConnection { listener, database in
            try await listener.listen("ledger_test")
            let sender = try await database.connect()
            try await sender.execute("SELECT pg_notify($1, $2)", ["ledger_test", "vị trí 42"])
            let notification = try #require(try await Self.nextNotification(listener))
            #expect(notification.channel == "ledger_test")
            #expect(notification.payload == "vị trí 42")
            #expect(notification.senderPID == (await sender.backendPID))
            await sender.close()
        }
    }

    @Test func notificationsOnlyArriveForListenedChannels() async throws {
        try await withConnection { listener, database in
            try await listener.listen("wanted")
            let sender = try await database.connect()
            try await sender.execute("SELECT pg_notify('unwanted', 'no'), pg_notify('wanted', 'yes')")
            let notification = try #require(try await Self.nextNotification(listener))
            #expect(notification.channel == "wanted")
            #expect(notification.payload == "yes")
            await sender.close()
        }
    }

    @Test func waitReturnsNilWhenNothingIsSent() async throws {
        try await withConnection { listener, _ in
            try await listener.listen("quiet")
            #expect(try await listener.waitForNotification(timeoutMilliseconds: 100) == nil)
            #expect(try await listener.waitForNotification(timeoutMilliseconds: 0) == nil)
        }
    }

    @Test func afterUnlistenNothingArrives() async throws {
        try await withConnection { listener, database in
            try await listener.listen("payments")
            try await listener.unlisten("payments")
            let sender = try await database.connect()
            try await sender.execute("SELECT pg_notify('payments', 'ignored')")
            // A round trip on the listener after the sender committed: anything sent is buffered by now.
            _ = try await listener.queryOne("SELECT 1") { try $0.int(0) }
            #expect(try await listener.waitForNotification(timeoutMilliseconds: 100) == nil)
            await sender.close()
        }
    }

    @Test func notificationsSentInARolledBackTransactionNeverArrive() async throws {
        try await withConnection { listener, database in
            try await listener.listen("payments")
            let sender = try await database.connect()
            _ = try? await sender.transaction { connection in
                try connection.execute("SELECT pg_notify('payments', 'rolled back')")
                throw ExpectedFailure(reason: "abort")
            }
            try await sender.execute("SELECT pg_notify('payments', 'committed')")
            let notification = try #require(try await Self.nextNotification(listener))
            #expect(notification.payload == "committed")
            await sender.close()
        }
    }

    @Test func theAsyncSequenceYieldsANotification() async throws {
        try await withConnection { listener, database in
            try await listener.listen("ledger_events")
            let sender = try await database.connect()
            try await sender.execute("SELECT pg_notify('ledger_events', '7')")
            let received = try await withThrowingTaskGroup(of: PostgresNotification?.self) { group in
                group.addTask {
                    for try await notification in listener.notifications(pollMilliseconds: 50) { return notification }
                    return nil
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(15))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            let notification = try #require(received, "no notification within 15 s")
            #expect(notification.channel == "ledger_events")
            #expect(notification.payload == "7")
            await sender.close()
        }
    }

    @Test func theAsyncSequenceEndsWhenItsTaskIsCancelled() async throws {
        try await withConnection { listener, _ in
            try await listener.listen("quiet")
            let reader = Task {
                var received = 0
                for try await _ in listener.notifications(pollMilliseconds: 20) { received += 1 }
                return received
            }
            reader.cancel()
            #expect(try await reader.value == 0)
        }
    }

    @Test(arguments: [
        "", "Ledger", "1channel", "semi;colon", "with space", "dash-ed", "kênh", "x; DROP TABLE y",
        String(repeating: "a", count: 64),
    ])
    func invalidChannelNamesAreRefused(channel: String) async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.listen(channel)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("channel name") == true)
            let unlistenError = await #expect(throws: PostgresError.self) {
                try await connection.unlisten(channel)
            }
            #expect(unlistenError?.code == .invalidArgument)
        }
    }

    @Test(arguments: ["_", "a", "ledger_events", "x9", String(repeating: "a", count: 63)])
    func validChannelNamesAreAccepted(channel: String) async throws {
        try await withConnection { connection, _ in
            try await connection.listen(channel)
            let listening = try await connection.query("SELECT pg_listening_channels()") { try $0.string(0) }
            #expect(listening == [channel])
        }
    }
}
