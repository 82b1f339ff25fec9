import Postgres
import TestSupport
import Testing

/// `copyFrom`: bulk loading in COPY text format.
@Suite(.enabled(if: TestDatabase.enabled))
struct CopyTests {
    static let awkwardNotes: [String?] = [
        "tab\there",
        "line\nbreak and\r\nwindows ending",
        #"back\slash, \N that is not NULL, and \\ two"#,
        nil,
        "",
        "Hỗ trợ hộ nghèo — nhà tiêu hợp vệ sinh",
        "\\.",
        "\tstarts and ends with a tab\t",
        "\r",
        "\\\\\n\t\r",
        "trailing backslash\\",
    ]

    @Test func copiesAwkwardTextAndNullUnchangedAndCountsRows() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE copied (id int PRIMARY KEY, note text)")
            let notes = Self.awkwardNotes
            let count = try await connection.copyFrom("COPY copied (id, note) FROM STDIN") { writer in
                for (index, note) in notes.enumerated() {
                    try writer.writeRow([String(index), note])
                }
            }
            #expect(count == Int64(notes.count))
            let stored = try await connection.query("SELECT note FROM copied ORDER BY id") { try $0.optionalString(0) }
            #expect(stored == notes)
            #expect(try await connection.queryOne("SELECT count(*) FROM copied WHERE note IS NULL") { try $0.int(0) } == 1)
        }
    }

    @Test func aLargeCopySpanningManyChunksArrivesWhole() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE disbursements (id int PRIMARY KEY, amount_vnd bigint, note text)")
            let rows = 20_000
            let count = try await connection.copyFrom("COPY disbursements FROM STDIN") { writer in
                for id in 1...rows {
                    try writer.writeRow([String(id), String(id * 1_000), "Hỗ trợ vay vốn đi làm việc ở nước ngoài theo hợp đồng số \(id)"])
                }
            }
            #expect(count == Int64(rows))
            let (stored, total) = try await connection.queryOne("SELECT count(*), sum(amount_vnd)::bigint FROM disbursements") { row in
                (try row.int(0), try row.int64(1))
            }
            #expect(stored == rows)
            #expect(total == Int64(rows) * Int64(rows + 1) / 2 * 1_000)
        }
    }

    @Test func rawCopyBytesAreSentAsWritten() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE raw (a int, b text)")
            let count = try await connection.copyFrom("COPY raw FROM STDIN") { writer in
                try writer.write(Array("1\tone\n2\t\\N\n".utf8))
            }
            #expect(count == 2)
            #expect(try await connection.query("SELECT b FROM raw ORDER BY a") { try $0.optionalString(0) } == ["one", nil])
        }
    }

    @Test func aThrowInsideTheWriterAbortsWithNothingCopied() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE copied (id int PRIMARY KEY, note text)")
            await #expect(throws: ExpectedFailure(reason: "bank file is truncated")) {
                try await connection.copyFrom("COPY copied FROM STDIN") { writer in
                    try writer.writeRow(["1", "first"])
                    try writer.writeRow(["2", "second"])
                    throw ExpectedFailure(reason: "bank file is truncated")
                }
            }
            #expect(try await connection.queryOne("SELECT count(*) FROM copied") { try $0.int(0) } == 0)
            #expect(try await connection.execute("INSERT INTO copied VALUES (1, 'after')") == 1)
        }
    }

    @Test func aRowTheServerRejectsFailsTheWholeCopy() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE copied (id int PRIMARY KEY, note text)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom("COPY copied FROM STDIN") { writer in
                    try writer.writeRow(["1", "good"])
                    try writer.writeRow(["một", "not a number"])
                }
            }
            #expect(error?.code == .invalidTextRepresentation)
            #expect(error?.message.contains("một") == true)
            #expect(try await connection.queryOne("SELECT count(*) FROM copied") { try $0.int(0) } == 0)
        }
    }

    @Test func aStatementThatIsNotCopyFromStdinIsRefused() async throws {
        try await withConnection { connection, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom("SELECT 1") { _ in }
            }
            #expect(error?.code == .unexpectedResult)
            let missing = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom("COPY no_such_table FROM STDIN") { _ in }
            }
            #expect(missing?.code == .undefinedTable)
            let one = try await connection.queryOne("SELECT 1") { try $0.int(0) }
            #expect(one == 1)
        }
    }

    @Test func copyInsideATransactionRollsBackWithIt() async throws {
        try await withConnection { connection, _ in
            try await connection.execute("CREATE TABLE copied (id int PRIMARY KEY)")
            await #expect(throws: ExpectedFailure(reason: "totals do not match")) {
                try await connection.transaction { connection in
                    let count = try connection.copyFrom("COPY copied FROM STDIN") { writer in
                        try writer.writeRow(["1"])
                        try writer.writeRow(["2"])
                    }
                    #expect(count == 2)
                    throw ExpectedFailure(reason: "totals do not match")
                }
            }
            #expect(try await connection.queryOne("SELECT count(*) FROM copied") { try $0.int(0) } == 0)
        }
    }
}
