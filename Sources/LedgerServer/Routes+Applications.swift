import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// `POST /api/v1/applications` (`ledger application submit`) and the decisions on one:
/// `/approval`, `/rejection`, `/withdrawal`, `/closure`, as the signed-in person.
extension LedgerServer {
    func addApplicationRoutes(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/applications") { request, context in
            try await self.write(request, context, allowed: [
                "application_id", "beneficiary_id", "program", "amount_vnd", "submitted_on", "year", "unit", "district",
            ]) { body, session, commandID in
                let id = try body.string("application_id")
                let beneficiary = try body.string("beneficiary_id")
                let program = try body.string("program")
                let amount = try body.amount("amount_vnd")
                let submittedOn = try body.optionalDate("submitted_on") ?? LocalDate.today()
                let year = try Self.fiscalYear(body)
                let unit = try Self.unitText(body, required: false)
                return try await Self.renaming(["--id": "application_id", "id": "application_id", "amount": "amount_vnd", "--unit": unit?.field ?? "unit"]) {
                    let outcome = try await session.service.submitApplication(
                        id: id, beneficiary: beneficiary, program: program, amount: amount, submittedOn: submittedOn, year: year,
                        unit: unit?.text, commandID: commandID
                    )
                    return WriteResult(
                        outcome: outcome, location: "/api/v1/applications/\(Self.escaped(id))",
                        ids: ["application_id": id, "beneficiary_id": beneficiary]
                    )
                }
            }
        }

        router.post("/api/v1/applications/{id}/approval") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.write(request, context, allowed: ["amount_vnd", "decision", "decided_on"]) { body, session, commandID in
                let amount = try body.amount("amount_vnd")
                let decision = try body.string("decision")
                let decidedOn = try body.optionalDate("decided_on") ?? LocalDate.today()
                return try await Self.renaming(["amount": "amount_vnd"]) {
                    let outcome = try await session.service.approveApplication(
                        id: id, amount: amount, decision: decision, decidedOn: decidedOn, commandID: commandID
                    )
                    return WriteResult(outcome: outcome, ids: ["application_id": id])
                }
            }
        }

        router.post("/api/v1/applications/{id}/rejection") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.write(request, context, allowed: ["reason", "decided_on"]) { body, session, commandID in
                let reason = try body.string("reason")
                let decidedOn = try body.optionalDate("decided_on") ?? LocalDate.today()
                let outcome = try await session.service.rejectApplication(id: id, reason: reason, decidedOn: decidedOn, commandID: commandID)
                return WriteResult(outcome: outcome, ids: ["application_id": id])
            }
        }

        router.post("/api/v1/applications/{id}/withdrawal") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.write(request, context, allowed: ["reason", "withdrawn_on"]) { body, session, commandID in
                let reason = try body.string("reason")
                let withdrawnOn = try body.optionalDate("withdrawn_on") ?? LocalDate.today()
                let outcome = try await session.service.withdrawApplication(id: id, reason: reason, on: withdrawnOn, commandID: commandID)
                return WriteResult(outcome: outcome, ids: ["application_id": id])
            }
        }

        router.post("/api/v1/applications/{id}/closure") { request, context in
            let id = try Self.pathID(context, "id")
            return try await self.write(request, context, allowed: ["closed_on"], emptyBody: true) { body, session, commandID in
                let closedOn = try body.optionalDate("closed_on") ?? LocalDate.today()
                let outcome = try await session.service.closeApplication(id: id, on: closedOn, commandID: commandID)
                return WriteResult(outcome: outcome, ids: ["application_id": id])
            }
        }
    }
}
