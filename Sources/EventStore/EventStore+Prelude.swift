import Postgres

extension EventStore {
    /// Appends as `append(_:commandID:)`, in the same statement — so in the same transaction — as
    /// `prelude`, a query that is run first and must return one row (its value is not used). The
    /// prelude's parameters are `$3`, `$4`, …
    ///
    /// For a rule of the database that accepts an event only when something was done in the
    /// appending transaction: e.g. `SELECT ledger.issue_national_id_fingerprints($3::text[])`,
    /// which computes national-id fingerprints with the key held in the database and records that
    /// this transaction was given them (sql/0014_national_ids.sql).
    public func append(_ streams: [StreamAppend], commandID: String, after prelude: String,
                       _ preludeParameters: [any PostgresEncodable]) async throws -> AppendResult {
        let batch = Self.batchJSON(streams)
        let parameters: [any PostgresEncodable] = [commandID, batch] + preludeParameters
        return try await EventStoreError.mapping {
            try await connection.queryOne(
                "WITH prelude AS MATERIALIZED (\(prelude)) SELECT ledger.append($1, $2::jsonb) FROM prelude", parameters
            ) { row in
                try row.withTextBytes(0) { try AppendResult.parse($0) }
            }
        }
    }
}
