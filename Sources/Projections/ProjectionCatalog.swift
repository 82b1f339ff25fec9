/// Every projection the runner knows, by name.
public enum ProjectionCatalog {
    /// In the order they are run and listed.
    public static let all: [any Projection.Type] = [
        ApplicationsProjection.self, BudgetUsageProjection.self, BeneficiaryBalancesProjection.self, LoanBookProjection.self,
        BeneficiariesProjection.self, PaymentsProjection.self, ApplicationStepsProjection.self,
    ]

    public static var names: [String] { all.map { $0.name } }

    /// The projection called `name`, or an error listing the names there are.
    public static func projection(named name: String) throws -> any Projection.Type {
        guard let type = all.first(where: { $0.name == name }) else {
            throw ProjectionError(
                .unknownProjection, "there is no projection \(name.debugDescription) (one of: \(names.joined(separator: ", ")))"
            )
        }
        return type
    }

    /// The projections called `names` (every one when empty), without repeats, in catalog order.
    public static func projections(named names: [String]) throws -> [any Projection.Type] {
        guard !names.isEmpty else { return all }
        let wanted = Set(try names.map { try projection(named: $0).name })
        return all.filter { wanted.contains($0.name) }
    }
}

/// Why a projection command could not do its work.
public struct ProjectionError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// No projection by that name.
        case unknownProjection
        /// Another runner holds the projection's lease (or another rebuild is running).
        case leaseHeld
        /// The checkpoint moved under us (a rebuild swapped the tables, or a runner without the
        /// lease wrote): the batch was rolled back; reload and go on.
        case checkpointMoved
        /// The connecting role cannot act as ledger_admin.
        case notAdmin
        /// The runner reloaded too often in a row without making progress.
        case contention
        /// The database lacks a migration the read side needs.
        case notMigrated
        /// A rebuild could not swap its tables in: readers held the live ones past every retry.
        case swapBlocked
    }

    public let code: Code
    public let message: String
    /// The server process holding the lease, for `leaseHeld`.
    public let holderPID: Int32?

    public init(_ code: Code, _ message: String, holderPID: Int32? = nil) {
        self.code = code
        self.message = message
        self.holderPID = holderPID
    }

    public var description: String { message }
}
