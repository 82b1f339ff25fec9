import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger

/// The other writes of the CLI contract: beneficiaries, applications, loans, budgets,
/// programmes, payment imports.
extension LedgerServer {
    func addWriteRoutes(to router: Router<LedgerRequestContext>) {
    }
}
