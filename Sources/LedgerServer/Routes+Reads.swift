import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Ledger
import Projections

/// The reads: lists and shows, reports, projections status, audit.
extension LedgerServer {
    func addReadRoutes(to router: Router<LedgerRequestContext>) {
    }
}
