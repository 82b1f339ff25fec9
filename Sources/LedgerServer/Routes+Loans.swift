import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// `POST /api/v1/loans` (`ledger loan disburse`), `/api/v1/loans/{id}/repayments` (`ledger loan
/// repay`) and `/api/v1/loans/{id}/write-off` (`ledger loan write-off`).
extension LedgerServer {
    func addLoanRoutes(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/loans") { request, context in
            try await self.write(request, context, allowed: [
                "application_id", "loan_id", "principal_vnd", "disbursed_on", "term_months",
            ]) { body, session, commandID in
                let application = try body.string("application_id")
                let loanID = try body.string("loan_id")
                let principal = try body.amount("principal_vnd")
                let disbursedOn = try body.optionalDate("disbursed_on") ?? LocalDate.today()
                let termMonths = Int(try body.integer("term_months"))
                let outcome = try await session.service.disburseLoan(
                    application: application, loanID: loanID, principal: principal, disbursedOn: disbursedOn,
                    termMonths: termMonths, commandID: commandID
                )
                return WriteResult(
                    outcome: outcome, location: "/api/v1/loans/\(Self.escaped(loanID))",
                    ids: ["loan_id": loanID, "application_id": application]
                )
            }
        }

        router.post("/api/v1/loans/{id}/repayments") { request, context in
            let loanID = try Self.pathID(context, "id")
            return try await self.write(request, context, allowed: ["repayment_id", "amount_vnd", "paid_on"]) { body, session, commandID in
                let repaymentID = try body.string("repayment_id")
                let amount = try body.amount("amount_vnd")
                let paidOn = try body.optionalDate("paid_on") ?? LocalDate.today()
                return try await Self.renaming(["--loan-id": "id"]) {
                    let outcome = try await session.service.repayLoan(
                        loanID: loanID, repaymentID: repaymentID, amount: amount, paidOn: paidOn, commandID: commandID
                    )
                    return WriteResult(
                        outcome: outcome,
                        location: "/api/v1/loans/\(Self.escaped(loanID))/repayments/\(Self.escaped(repaymentID))",
                        ids: ["loan_id": loanID, "repayment_id": repaymentID]
                    )
                }
            }
        }

        router.post("/api/v1/loans/{id}/write-off") { request, context in
            let loanID = try Self.pathID(context, "id")
            return try await self.write(request, context, allowed: ["reason", "written_off_on"]) { body, session, commandID in
                let reason = try body.string("reason")
                let on = try body.optionalDate("written_off_on") ?? LocalDate.today()
                return try await Self.renaming(["--loan-id": "id"]) {
                    let outcome = try await session.service.writeOffLoan(loanID: loanID, reason: reason, on: on, commandID: commandID)
                    return WriteResult(outcome: outcome, ids: ["loan_id": loanID])
                }
            }
        }
    }
}
