import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// `POST /api/v1/payments` and `POST /api/v1/payments/{id}/reversal`: `ledger payment record`
/// and `ledger payment reverse` over HTTP, as the signed-in officer.
extension LedgerServer {
    func addPaymentRoutes(to router: Router<LedgerRequestContext>) {
        router.post("/api/v1/payments") { request, context in
            try await self.write(request, context, allowed: ["application_id", "payment_id", "amount_vnd", "paid_on", "method", "voucher"]) {
                body, session, commandID in
                let methodText = try body.string("method")
                guard let method = PaymentMethod(rawValue: methodText) else {
                    throw Problem.badRequest(field: "method", "method: \(methodText.debugDescription) must be bank or cash")
                }
                let order = LedgerService.PaymentOrder(
                    applicationID: try body.string("application_id"), paymentID: try body.string("payment_id"),
                    amount: try body.amount("amount_vnd"), paidOn: try body.optionalDate("paid_on") ?? LocalDate.today(),
                    method: method, voucher: try body.string("voucher")
                )
                let outcome = try await session.service.recordPayment(order, commandID: commandID)
                return WriteResult(
                    outcome: outcome, location: "/api/v1/payments/\(Self.escaped(order.paymentID))",
                    ids: ["payment_id": order.paymentID, "application_id": order.applicationID]
                )
            }
        }
        router.post("/api/v1/payments/{id}/reversal") { request, context in
            let paymentID = try Self.pathID(context, "id")
            return try await self.write(request, context, allowed: ["reason", "reversed_on"]) { body, session, commandID in
                let outcome = try await session.service.reversePayment(
                    paymentID: paymentID, reason: try body.string("reason"),
                    reversedOn: try body.optionalDate("reversed_on") ?? LocalDate.today(), commandID: commandID
                )
                return WriteResult(outcome: outcome, ids: ["payment_id": paymentID])
            }
        }
    }
}
