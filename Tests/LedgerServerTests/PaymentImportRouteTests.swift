import Foundation
import Postgres
import TestSupport
import Testing

/// `POST /api/v1/payment-imports`: a bank's payment file sent over HTTP, as a CSV body or a
/// multipart upload; all or nothing unless skip_invalid; sending it again records nothing new.
@Suite(.enabled(if: TestDatabase.enabled))
struct PaymentImportRouteTests {
    static let header = "payment_id,application_id,amount_vnd,paid_on,method,voucher"

    /// Line 3 has an amount that is not a number.
    static let fileWithABadRow = """
        \(header)
        P-1,A-1,1000000,2024-03-15,bank,PC-001
        P-2,A-1,abc,2024-03-15,bank,PC-002
        P-3,A-1,2000000,2024-03-16,cash,"PC-003, đợt 1"

        """

    /// `People.prepare`, A-1 approved for 10,000,000 ₫, and an officer.
    static func prepare(_ db: FreshDatabase) async throws -> (user: String, password: String) {
        try await People.prepare(db)
        let approver = try await TestDatabase.loginRole("web", memberOf: ["ledger_approver"])
        try await People.ledger(db, ["application", "approve", "--id", "A-1", "--amount", "10000000", "--decision", "QĐ 9",
                                     "--decided-on", "2024-03-10"], user: approver)
        return try await People.add(db, role: "officer")
    }

    static func payments(_ db: FreshDatabase) async throws -> [String: String] {
        let connection = try await db.connect()
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            """
            SELECT e.payload->>'payment_id', c.actor FROM ledger.events e JOIN ledger.commands c USING (command_id)
            WHERE e.event_type = 'PaymentRecorded'
            """
        ) { (try $0.string(0), try $0.string(1)) }
        return Dictionary(uniqueKeysWithValues: rows)
    }

    static func multipart(_ parts: [(name: String, filename: String?, content: Data)], boundary: String) -> Data {
        var body = Data()
        for part in parts {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"".utf8)
            if let filename = part.filename { body += Data("; filename=\"\(filename)\"\r\nContent-Type: text/csv".utf8) }
            body += Data("\r\n\r\n".utf8) + part.content + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return body
    }

    @Test func aBadRowRecordsNothingThenSkipInvalidRecordsTheRestAndAgainRecordsNothingNew() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await Self.prepare(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let csv = Data(Self.fileWithABadRow.utf8)
                let before = try await People.head(db)

                let refused = try await service.request("POST", "/api/v1/payment-imports", body: csv, token: token,
                                                        headers: ["Content-Type": "text/csv; charset=utf-8"])
                #expect(refused.status == 422, "\(refused)")
                #expect(refused.headers["content-type"] == "application/problem+json", "\(refused)")
                #expect(refused.json["code"] as? String == "invalid_rows", "\(refused)")
                #expect(refused.json["outcome"] as? String == "refused" && refused.json["recorded"] as? Int == 0, "\(refused)")
                #expect(refused.json["not_recorded"] as? Int == 2 && refused.json["invalid"] as? Int == 1, "\(refused)")
                let rows = try #require(refused.json["rows"] as? [[String: Any]], "\(refused)")
                #expect(rows.count == 1, "\(refused)")
                #expect(rows.first?["line"] as? Int == 3 && rows.first?["column"] as? String == "amount_vnd", "\(refused)")
                #expect((refused.json["detail"] as? String)?.contains("line 3, amount_vnd") == true, "\(refused)")
                #expect(try await People.head(db) == before, "nothing was recorded")

                let skipping = try await service.request("POST", "/api/v1/payment-imports?skip_invalid=true", body: csv, token: token,
                                                         headers: ["Content-Type": "text/csv"])
                #expect(skipping.status == 200, "\(skipping)")
                #expect(skipping.json["outcome"] as? String == "recorded_skipping_invalid", "\(skipping)")
                #expect(skipping.json["recorded"] as? Int == 2 && skipping.json["invalid"] as? Int == 1, "\(skipping)")
                #expect((skipping.json["problems"] as? [[String: Any]])?.first?["line"] as? Int == 3, "\(skipping)")
                #expect(try await Self.payments(db) == ["P-1": officer.user, "P-3": officer.user])

                let head = try await People.head(db)
                let again = try await service.request("POST", "/api/v1/payment-imports?skip_invalid=true", body: csv, token: token,
                                                      headers: ["Content-Type": "text/csv"])
                #expect(again.status == 200, "\(again)")
                #expect(again.json["recorded"] as? Int == 0 && again.json["already_recorded"] as? Int == 2, "\(again)")
                #expect(try await People.head(db) == head, "sending the file again records nothing new")
            }
        }
    }

    @Test func aMultipartUploadAsABrowserSendsIt() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await Self.prepare(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
                // With a byte-order mark and CRLF line ends, as a spreadsheet saves it.
                let clean = Data([0xEF, 0xBB, 0xBF]) + Data("\(Self.header)\r\nP-4,A-1,500000,2024-03-17,cash,PC-004\r\nP-5,A-1,600000,2024-03-18,bank,PC-005\r\n".utf8)
                let form = Self.multipart([("file", "thang3.csv", clean), ("skip_invalid", nil, Data("false".utf8))], boundary: boundary)
                let uploaded = try await service.request("POST", "/api/v1/payment-imports", body: form, token: token,
                                                         headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
                #expect(uploaded.status == 200, "\(uploaded)")
                #expect(uploaded.json["outcome"] as? String == "recorded" && uploaded.json["recorded"] as? Int == 2, "\(uploaded)")
                #expect(try await Self.payments(db) == ["P-4": officer.user, "P-5": officer.user])

                // skip_invalid as a form part.
                let skipping = Self.multipart([("skip_invalid", nil, Data("true".utf8)), ("file", "bad.csv", Data(Self.fileWithABadRow.utf8))],
                                              boundary: boundary)
                let skipped = try await service.request("POST", "/api/v1/payment-imports", body: skipping, token: token,
                                                        headers: ["Content-Type": "multipart/form-data; boundary=\"\(boundary)\""])
                #expect(skipped.status == 200 && skipped.json["recorded"] as? Int == 2, "\(skipped)")

                // A form without the file, or with a part the service does not know.
                let head = try await People.head(db)
                for (parts, field) in [
                    ([(name: "skip_invalid", filename: String?.none, content: Data("true".utf8))], "file"),
                    ([(name: "file", filename: "a.csv", content: clean), (name: "dry_run", filename: nil, content: Data("1".utf8))], "dry_run"),
                ] {
                    let answer = try await service.request("POST", "/api/v1/payment-imports", body: Self.multipart(parts, boundary: boundary),
                                                           token: token, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
                    #expect(answer.status == 400 && answer.json["field"] as? String == field, "\(answer)")
                }
                // A body that does not match its boundary.
                let mangled = try await service.request("POST", "/api/v1/payment-imports", body: clean, token: token,
                                                        headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
                #expect(mangled.status == 400 && mangled.json["field"] as? String == "file", "\(mangled)")
                #expect(try await People.head(db) == head)
            }
        }
    }

    @Test func aSemicolonFileWithABanksExtraColumnIsRecordedWithAWarningUnlessStrictColumns() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await Self.prepare(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                let csv = Data("payment_id;application_id;amount_vnd;paid_on;method;voucher;ghi_chu\r\nP-1;A-1;1000000;2024-03-15;bank;PC-001;\"đợt 1; tháng 3\"\r\n".utf8)
                let head = try await People.head(db)
                let strict = try await service.request("POST", "/api/v1/payment-imports?strict_columns=true", body: csv, token: token,
                                                       headers: ["Content-Type": "text/csv"])
                #expect(strict.status == 400 && strict.json["code"] as? String == "invalid_file", "\(strict)")
                #expect((strict.json["detail"] as? String)?.contains("unknown \"ghi_chu\"") == true, "\(strict)")
                #expect(try await People.head(db) == head)

                let answer = try await service.request("POST", "/api/v1/payment-imports", body: csv, token: token,
                                                       headers: ["Content-Type": "text/csv"])
                #expect(answer.status == 200 && answer.json["recorded"] as? Int == 1, "\(answer)")
                let warnings = try #require(answer.json["warnings"] as? [String], "\(answer)")
                #expect(warnings.count == 1 && warnings[0].hasPrefix("ignored the column \"ghi_chu\": not a column of a payment file"), "\(answer)")
                #expect(try await Self.payments(db) == ["P-1": officer.user])
            }
        }
    }

    @Test func aFileThatIsNotAPaymentFileIsA400AndRecordsNothing() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await Self.prepare(db)
            let before = try await People.head(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                for body in [
                    Data("payment,application\nP-1,A-1\n".utf8),  // wrong header
                    Data(),  // empty
                    Data("\(Self.header)\nP-1,A-1,1000000,2024-03-15,bank,\"PC-001\n".utf8),  // unbalanced quote
                    Data(Self.header.utf8) + Data([0x0A, 0x50, 0xFF, 0x2C, 0x0A]),  // not UTF-8
                ] {
                    let answer = try await service.request("POST", "/api/v1/payment-imports", body: body, token: token,
                                                           headers: ["Content-Type": "text/csv"])
                    #expect(answer.status == 400, "\(answer)")
                    #expect(answer.json["code"] as? String == "invalid_file" && answer.json["field"] as? String == "file", "\(answer)")
                }
                let json = try await service.request("POST", "/api/v1/payment-imports", json: ["file": "x"], token: token)
                #expect(json.status == 415, "\(json)")
                let flag = try await service.request("POST", "/api/v1/payment-imports?skip_invalid=maybe", body: Data(Self.fileWithABadRow.utf8),
                                                     token: token, headers: ["Content-Type": "text/csv"])
                #expect(flag.status == 400 && flag.json["field"] as? String == "skip_invalid", "\(flag)")
            }
            #expect(try await People.head(db) == before)
        }
    }

    @Test func anUploadOverTheLimitIs413() async throws {
        try await TestDatabase.withFresh { db in
            let officer = try await Self.prepare(db)
            try await RunningService.with(db) { service in
                let token = try await service.signIn(officer.user, officer.password)
                var big = Data("\(Self.header)\n".utf8)
                big.append(Data(repeating: 0x0A, count: 64 * 1024 * 1024))
                let answer = try await service.request("POST", "/api/v1/payment-imports", body: big, token: token,
                                                       headers: ["Content-Type": "text/csv"])
                #expect(answer.status == 413, "\(answer)")
                #expect(answer.json["code"] as? String == "too_large", "\(answer)")
            }
        }
    }
}
