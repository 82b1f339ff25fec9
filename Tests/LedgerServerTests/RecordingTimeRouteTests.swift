import Foundation
import Postgres
import TestSupport
import Testing

/// The API's recording times (issue 12): RFC 3339 in Vietnam's time, `…T21:14:39.228030+07:00`,
/// the same instant PostgreSQL stores in UTC.
@Suite(.enabled(if: TestDatabase.enabled))
struct RecordingTimeRouteTests {
    static let keys: Set<String> = ["recorded_at", "submitted_at", "registered_at", "updated_at", "runner_since", "taken_at"]

    static func isRFC3339(_ text: String) -> Bool {
        text.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+07:00/#) != nil
    }

    /// Every recording time in a JSON document, by key.
    static func times(in value: Any?) -> [(String, Any)] {
        switch value {
        case let object as [String: Any]:
            return object.flatMap { key, value in (keys.contains(key) && !(value is NSNull) ? [(key, value)] : []) + times(in: value) }
        case let array as [Any]:
            return array.flatMap { times(in: $0) }
        default:
            return []
        }
    }

    @Test func everyRecordingTimeIsRFC3339WithVietnamsOffset() async throws {
        try await TestDatabase.withFresh { db in
            try await ReadFixture.paidLedger(db)
            try await ReadFixture.catchUp(db)
            let auditor = try await People.add(db, role: "auditor")
            let stored = try await db.connect().queryOne("""
                SELECT to_char(recorded_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+07:00'
                FROM ledger_read.payments WHERE payment_id = 'P-1'
                """) { try $0.string(0) }
            try await RunningService.with(db) { service in
                let token = try await service.signIn(auditor.user, auditor.password)
                let payment = try await service.request("GET", "/api/v1/payments/P-1", token: token)
                #expect((payment.json["payment"] as? [String: Any])?["recorded_at"] as? String == stored, "\(payment)")

                for path in ["/api/v1/payments/P-1", "/api/v1/payments", "/api/v1/applications/A-1", "/api/v1/beneficiaries/HH-1",
                             "/api/v1/projections", "/api/v1/audit/digest", "/api/v1/reports/beneficiaries/HH-1"] {
                    let answer = try await service.request("GET", path, token: token)
                    #expect(answer.status == 200, "\(path): \(answer)")
                    let found = Self.times(in: try JSONSerialization.jsonObject(with: answer.body))
                    #expect(!found.isEmpty, "\(path) has recording times: \(answer)")
                    for (key, value) in found {
                        #expect((value as? String).map(Self.isRFC3339) == true, "\(path) \(key): \(value)")
                    }
                }
            }
        }
    }
}
