import Foundation
import Postgres
import TestSupport
import Testing

/// Text as people (or their tools) hand it to `ledger`: bytes that are not UTF-8, characters
/// that cannot be seen or that turn the text around, and text over its limit in bytes. Each is
/// refused with exit 64, naming the field, and nothing is recorded.
@Suite(.enabled(if: TestDatabase.enabled))
struct TextInputTests {
    /// Migrated, the sample programmes, one household and one submitted application.
    static func prepared(_ db: FreshDatabase) async throws {
        try await withScratchFolder { folder in
            let catalog = folder.appendingPathComponent("programs.json")
            let sample = try await LedgerBinary.run(["program", "sample"], environment: childEnvironment(db))
            try Data(sample.stdout.utf8).write(to: catalog)
            for arguments in [
                ["migrate"], ["program", "load", catalog.path],
                ["beneficiary", "register", "--id", "HH-1", "--kind", "household", "--name", "Nguyễn Văn A", "--district", "ninh kieu",
                 "--category", "poor", "--bank-account", "Agribank 123"],
                ["application", "submit", "--id", "A-1", "--beneficiary", "HH-1", "--program", "NQ12-HOUSING", "--amount", "10000000",
                 "--submitted-on", "2024-03-01"],
            ] {
                let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db))
                try #require(run.status == 0, "\(run)")
            }
        }
    }

    static func head(_ db: FreshDatabase) async throws -> Int64 {
        try await db.connect().queryOne("SELECT last_position FROM ledger.head") { try $0.int64(0) }
    }

    /// Runs `ledger` through /bin/sh so that arguments can carry raw bytes: `shellArguments` is
    /// shell text (e.g. `--name "$(printf 'Ng\377uyen')"`).
    static func ledgerRaw(_ shellArguments: String, _ db: FreshDatabase, before: String = "") async throws -> WithPostgresTests.ScriptRun {
        var environment = childEnvironment(db)
        environment["LEDGER"] = try #require(LedgerBinary.url).path
        return try await WithPostgresTests.bash("\(before)exec \"$LEDGER\" \(shellArguments)", environment: environment)
    }

    /// LEDGER_NATIONAL_ID_KEY is no longer read (the key is in the database, sql/0014), whatever its bytes.
    @Test func aNationalIDKeyInTheEnvironmentIsNotReadWhateverItsBytes() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let before = try await Self.head(db)
            let run = try await Self.ledgerRaw(
                "beneficiary register --id HH-2 --kind person --name 'Lê Văn B' --district 'Cái Răng' --national-id 092080001234", db,
                before: "export LEDGER_NATIONAL_ID_KEY=\"$(printf 'abc\\377defghijklmnopqrstuvwxyz0123456789')\"; "
            )
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("ledger: warning: LEDGER_NATIONAL_ID_KEY is set but no longer read"), "\(run)")
            #expect(run.stderr.hasSuffix("ledger: error: no national-id key is set in this ledger, so national ids cannot be fingerprinted: "
                + "an admin sets it once with `ledger national-id key set --key-file FILE`\n"), "\(run)")
            #expect(try await Self.head(db) == before, "\(run)")
        }
    }

    static let register = "beneficiary register --id HH-2 --kind household --district 'Cái Răng' --category poor"

    @Test(arguments: [
        // Latin-1 "é" (0xE9) where UTF-8 was expected, a lone continuation byte, a cut-off sequence.
        (register + " --name \"$(printf 'Nguy\\351n')\"", "ledger: error: --name: is not valid UTF-8 (byte 5)"),
        (register + " \"--name=$(printf 'Ng\\377uyen')\"", "ledger: error: --name: is not valid UTF-8 (byte 3)"),
        (register + " --name \"$(printf 'L\\303')\"", "ledger: error: --name: is not valid UTF-8 (byte 2)"),
        ("payment record --application A-1 --payment-id P-9 --amount 5 --method cash --voucher \"$(printf 'PC\\2001')\"",
         "ledger: error: --voucher: is not valid UTF-8 (byte 3)"),
        ("events append --stream x-1 --type Note --payload \"$(printf '{\"a\":\"\\355\\240\\200\"}')\"",
         "ledger: error: --payload: is not valid UTF-8 (byte 7)"),
        ("program load \"$(printf 'catalog-\\351.json')\"", "ledger: error: argument 3: is not valid UTF-8 (byte 9)"),
    ])
    func invalidUTF8OnTheCommandLineIsRefusedNamingTheOption(arguments: String, message: String) async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let before = try await Self.head(db)
            let run = try await Self.ledgerRaw(arguments, db)
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr == message + "\n", "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(try await Self.head(db) == before, "\(run)")
        }
    }

    @Test func aCatalogFileThatIsNotUTF8IsRefusedNamingTheByte() async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let before = try await Self.head(db)
            try await withScratchFolder { folder in
                let file = folder.appendingPathComponent("latin1.json")
                try Data([0x7B, 0x22, 0x6E, 0xE9, 0x22, 0x7D]).write(to: file)  // {"né"} in Latin-1
                let run = try await LedgerBinary.run(["program", "load", file.path], environment: childEnvironment(db))
                #expect(run.status == 64, "\(run)")
                #expect(run.stderr.contains("\(file.path): is not valid UTF-8 (byte 4)"), "\(run)")
            }
            #expect(try await Self.head(db) == before)
        }
    }

    @Test(arguments: [
        // A name of one zero-width space: nothing to see.
        (["beneficiary", "register", "--id", "HH-2", "--kind", "person", "--name", "\u{200B}", "--district", "Cái Răng"],
         "name: contains U+200B ZERO WIDTH SPACE, a format character; type the text without it"),
        // A voucher that displays as "UNC-2024-01" backwards from the override on.
        (["payment", "record", "--application", "A-1", "--payment-id", "P-9", "--amount", "5", "--method", "cash",
          "--voucher", "UNC-\u{202E}10-4202"],
         "--voucher: contains U+202E RIGHT-TO-LEFT OVERRIDE, a format character; type the text without it"),
        // 20 letters as displayed, 320 code points and 920 bytes (15 combining marks of 3 bytes on each).
        (["beneficiary", "register", "--id", "HH-2", "--kind", "person", "--district", "Cái Răng",
          "--name", String(repeating: "a" + String(repeating: "\u{20D0}", count: 15), count: 20)],
         "name: is 920 bytes of UTF-8; at most 800"),
        (["beneficiary", "register", "--id", "HH\u{2066}-2", "--kind", "person", "--name", "Lê Văn B", "--district", "Cái Răng"],
         "--id: contains U+2066 LEFT-TO-RIGHT ISOLATE, a format character"),
        (["application", "withdraw", "--id", "A-1", "--reason", "\u{2800}"],
         "--reason: contains U+2800 BRAILLE PATTERN BLANK, an invisible character"),
    ])
    func invisibleAndDirectionChangingTextIsRefusedNamingTheField(arguments: [String], mentions: String) async throws {
        try await TestDatabase.withFresh { db in
            try await Self.prepared(db)
            let before = try await Self.head(db)
            let run = try await LedgerBinary.run(arguments, environment: childEnvironment(db))
            #expect(run.status == 64, "\(run)")
            #expect(run.stderr.contains("ledger: error: " + mentions), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
            #expect(try await Self.head(db) == before, "\(run)")
        }
    }
}
