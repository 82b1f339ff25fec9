import Foundation
import Postgres
import TestSupport
import Testing

/// `fetchPage`: keyset pages with the next page sent ahead, and a connection that stays usable
/// whatever happens to the page in flight.
@Suite(.enabled(if: TestDatabase.enabled))
struct PagingTests {
    static func numbers(_ pageSize: Int, upTo last: Int64 = 1_000, format: PostgresResultFormat = .binary) -> PostgresPagedQuery {
        PostgresPagedQuery(
            "SELECT n, 'row ' || n FROM generate_series(1, $3::int8) AS n WHERE n > $1 ORDER BY n LIMIT $2",
            parameters: [last], pageSize: pageSize, resultFormat: format
        )
    }

    static func decode(_ row: PostgresRow) throws -> Int64 {
        let n = try row.int64(0)
        guard try row.string(1) == "row \(n)" else { throw PostgresError(code: .decodingFailed, message: "row \(n) is wrong") }
        return n
    }

    @Test(arguments: [PostgresResultFormat.text, .binary])
    func pagesFollowEachOtherAndTheNextOneIsSentAhead(format: PostgresResultFormat) async throws {
        try await withConnection { connection, _ in
            let pages = Self.numbers(300, format: format)
            var seen: [Int64] = []
            var after: Int64 = 0
            while true {
                let page = try await connection.fetchPage(pages, after: after, decode: Self.decode)
                // A full page leaves the next one in flight; the short last page does not.
                #expect(await connection.hasPrefetchedPage == (page.count == 300))
                guard let last = page.last else { break }
                seen += page
                after = last
            }
            #expect(seen == Array(1...1_000))
            #expect(await connection.hasPrefetchedPage == false)
        }
    }

    @Test func anythingElseOnTheConnectionFirstDiscardsThePageSentAhead() async throws {
        try await withConnection { connection, _ in
            let pages = Self.numbers(100)
            _ = try await connection.fetchPage(pages, after: 0, decode: Self.decode)
            #expect(await connection.hasPrefetchedPage)
            // A plain query, a transaction (a real BEGIN, not a savepoint), LISTEN and COPY all work.
            #expect(try await connection.queryOne("SELECT 41 + 1") { try $0.int(0) } == 42)
            #expect(await connection.hasPrefetchedPage == false)

            _ = try await connection.fetchPage(pages, after: 0, decode: Self.decode)
            #expect(await connection.inTransaction == false)
            let level = try await connection.transaction { connection in
                try connection.queryOne("SELECT current_setting('transaction_isolation')") { try $0.string(0) }
            }
            #expect(level == "read committed")
            #expect(await connection.inTransaction == false)

            _ = try await connection.fetchPage(pages, after: 0, decode: Self.decode)
            try await connection.listen("paging_test")
            try await connection.simpleQuery("CREATE TEMP TABLE t (n int)")
            _ = try await connection.fetchPage(pages, after: 0, decode: Self.decode)
            let copied = try await connection.copyFrom("COPY t FROM STDIN") { writer in try writer.writeRow(["7"]) }
            #expect(copied == 1)

            // Another read, or the same read at another key, starts afresh and is still right.
            _ = try await connection.fetchPage(pages, after: 0, decode: Self.decode)
            let other = try await connection.fetchPage(Self.numbers(100), after: 0, decode: Self.decode)
            #expect(other == Array(1...100))
            let skipped = try await connection.fetchPage(pages, after: 500, decode: Self.decode)
            #expect(skipped == Array(501...600))
            await connection.discardPrefetchedPage()
            #expect(await connection.hasPrefetchedPage == false)
        }
    }

    @Test func anErrorInThePageSentAheadArrivesWithItAndTheConnectionStaysUsable() async throws {
        try await withConnection { connection, _ in
            // Row 150 divides by zero: the first page is fine, the second (sent ahead) fails.
            let pages = PostgresPagedQuery(
                "SELECT n, 1 / (n - 150) FROM generate_series($1::int8 + 1, $1::int8 + $2::int8) AS n ORDER BY n LIMIT $2",
                pageSize: 100, resultFormat: .binary
            )
            let first = try await connection.fetchPage(pages, after: 0) { try $0.int64(0) }
            #expect(first.count == 100)
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.fetchPage(pages, after: 100) { try $0.int64(0) }
            }
            #expect(error?.code == PostgresError.Code("22012"))
            #expect(await connection.hasPrefetchedPage == false)
            #expect(try await connection.queryOne("SELECT 1") { try $0.int(0) } == 1)
        }
    }

    @Test func whenDecodingThrowsThePageSentAheadIsDiscarded() async throws {
        try await withConnection { connection, _ in
            let pages = Self.numbers(100)
            await #expect(throws: ExpectedFailure.self) {
                _ = try await connection.fetchPage(pages, after: 0) { row -> Int64 in
                    let n = try row.int64(0)
                    if n == 50 { throw ExpectedFailure(reason: "stop") }
                    return n
                }
            }
            #expect(await connection.hasPrefetchedPage == false)
            let again = try await connection.fetchPage(pages, after: 0, decode: Self.decode)
            #expect(again == Array(1...100))
        }
    }

    @Test func aStatementThatIsNotASelectIsRefused() async throws {
        try await withConnection { connection, _ in
            try await connection.simpleQuery("CREATE TEMP TABLE p (n int8)")
            let error = await #expect(throws: PostgresError.self) {
                _ = try await connection.fetchPage(
                    PostgresPagedQuery("INSERT INTO p SELECT $1::int8 + $2::int8", pageSize: 10), after: 0
                ) { try $0.int64(0) }
            }
            #expect(error?.code == .unexpectedResult)
            #expect(try await connection.queryOne("SELECT count(*) FROM p") { try $0.int(0) } == 1)
        }
    }
}
