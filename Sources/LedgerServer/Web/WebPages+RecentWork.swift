import Foundation
import Ledger
import Postgres

/// The home page's "your recent work": the last things the signed-in person recorded (the log's
/// events whose actor is their login, `LedgerService.recentWork`), newest first.
extension LedgerServer {
    struct RecentWorkView {
        let heading: String
        let caption: String
        let columns: [String]
        let rows: [Row]
        let hasRows: Bool
        let none: String

        struct Row {
            let when: String
            let what: String
            let beneficiary: String?
            let href: String?
        }
    }

    /// How many recorded things the home page lists.
    static let recentWorkLimit = 10

    func recentWorkView(_ web: WebRequest, _ session: Session) async throws -> RecentWorkView {
        let entries = try await session.service.recentWork(limit: Self.recentWorkLimit)
        let rows = entries.map { entry in
            RecentWorkView.Row(
                when: Self.recentTime(entry.recordedAtMicroseconds), what: Self.recentWhat(entry.type, web),
                beneficiary: entry.beneficiaryID, href: entry.beneficiaryID.map { "/beneficiaries/\(Self.escaped($0))" }
            )
        }
        return RecentWorkView(
            heading: web.text(.recentHeading), caption: web.text(.recentCaption),
            columns: [web.text(.recentWhen), web.text(.recentWhat), web.text(.recentBeneficiary)],
            rows: rows, hasRows: !rows.isEmpty, none: web.text(.recentNone)
        )
    }

    /// `21/05/2024 14:03`, in Vietnam time.
    static func recentTime(_ microseconds: Int64) -> String {
        let text = Array(VietnamTime.display(microsecondsSinceEpoch: microseconds, fractionalSeconds: false))
        guard text.count >= 16 else { return String(text) }
        return "\(String(text[8..<10]))/\(String(text[5..<7]))/\(String(text[0..<4])) \(String(text[11..<16]))"
    }

    static func recentWhat(_ type: String, _ web: WebRequest) -> String {
        switch type {
        case "BeneficiaryRegistered": web.text(.recentBeneficiaryRegistered)
        case "BeneficiaryAmended": web.text(.recentBeneficiaryAmended)
        case "ApplicationSubmitted": web.text(.recentApplicationSubmitted)
        case "ApplicationApproved": web.text(.recentApplicationApproved)
        case "ApplicationRejected": web.text(.recentApplicationRejected)
        case "ApplicationWithdrawn": web.text(.recentApplicationWithdrawn)
        case "ApplicationClosed": web.text(.recentApplicationClosed)
        case "PaymentRecorded": web.text(.recentPaymentRecorded)
        case "PaymentReversed": web.text(.recentPaymentReversed)
        case "LoanOpened": web.text(.recentLoanOpened)
        case "LoanDisbursed": web.text(.recentLoanDisbursed)
        case "LoanRepaid": web.text(.recentLoanRepaid)
        case "LoanSettled": web.text(.recentLoanSettled)
        case "LoanWrittenOff": web.text(.recentLoanWrittenOff)
        default: web.text(.recentOther, type)
        }
    }
}
