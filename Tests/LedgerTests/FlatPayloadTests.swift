import Foundation
import Testing
@testable import Ledger

/// The fast reader of flat payloads gives exactly what JSONDecoder gives, or steps aside.
@Suite struct FlatPayloadTests {
    /// PostgreSQL's jsonb text form of a payload: keys by length then bytes, `", "` and `": "`.
    static func jsonbText(_ json: String) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let keys = object.keys.sorted { ($0.utf8.count, Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) ? 0 : 1) < ($1.utf8.count, 0) }
        let parts = try keys.map { key -> String in
            let value = try #require(object[key])
            let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            return "\"\(key)\": " + String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\",\"", with: "\", \"")
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    @Test(arguments: EventSamples.all)
    func theFastPathAgreesWithJSONDecoder(event: LedgerEvent) throws {
        let stored = try event.newEvent()
        for text in [stored.payloadJSON, try Self.jsonbText(stored.payloadJSON)] {
            let slow = try LedgerEvent.decodeWithJSONDecoder(type: stored.type, schemaVersion: stored.schemaVersion, payloadJSON: text)
            #expect(slow == event)
            let fast = FlatPayload.event(type: stored.type, payloadJSON: text)
            if event.typeName.hasPrefix("Program") {
                #expect(fast == nil, "programme definitions are nested: left to JSONDecoder")
            } else {
                #expect(fast == event, "\(text)")
            }
        }
    }

    @Test func escapedStringsReadTheSameOnBothPaths() throws {
        let cases = [
            // An escaped quote in the voucher.
            #"{"method": "cash", "paid_on": "2024-05-02", "voucher": "PC \"9\"", "payment_id": "P-9", "amount_vnd": 2500000}"#,
            // Unicode escapes in the reason, one of them a surrogate pair.
            #"{"reason": "h\u1ed3 s\u01a1 \ud83d\udcb8", "amount_vnd": 1, "payment_id": "P-1", "reversed_on": "2024-05-03"}"#,
        ]
        let types = ["PaymentRecorded", "PaymentReversed"]
        for (type, text) in zip(types, cases) {
            let slow = try LedgerEvent.decodeWithJSONDecoder(type: type, schemaVersion: 1, payloadJSON: text)
            #expect(slow != nil)
            #expect(FlatPayload.event(type: type, payloadJSON: text) == slow, "\(text)")
        }
    }

    @Test(arguments: [
        #"{"amount_vnd": 1.5, "application_id": "A-1"}"#,      // a fraction
        #"{"amount_vnd": "5", "application_id": "A-1"}"#,      // a string amount
        #"{"application_id": "A-1"}"#,                          // a missing field
        #"{"amount_vnd": 5, "application_id": "A-1"} x"#,      // trailing text
        #"{"amount_vnd": 99999999999999999999, "application_id": "A-1"}"#,  // overflow
    ])
    func malformedPayloadsAreNeverReadByTheFastPath(text: String) throws {
        #expect(FlatPayload.event(type: "FundsReserved", payloadJSON: text) == nil)
        #expect(throws: DomainError.self) { _ = try LedgerEvent.decode(type: "FundsReserved", schemaVersion: 1, payloadJSON: text) }
    }

    @Test func anOlderSchemaVersionIsUpcastNotReadByTheFastPath() throws {
        let v1 = #"{"program": "NQ12-WATER", "district": "o-mon", "submitted_on": "2023-11-02", "requested_vnd": 5000000, "application_id": "A-1", "beneficiary_id": "HH-1"}"#
        guard case .applicationSubmitted(let submitted)? = try LedgerEvent.decode(type: "ApplicationSubmitted", schemaVersion: 1, payloadJSON: v1) else {
            Issue.record("not read")
            return
        }
        #expect(submitted.fiscalYear == 2023)
    }
}
