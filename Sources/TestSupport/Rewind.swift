/// SQL that takes a migrated ledger back to an earlier release, for the tests and the benchmarks
/// that measure a migration on a ledger that already holds events. Superuser only; never shipped.
public enum Rewind {
    /// Back to the release before 0019 (the Merkle tree): first 0020 is undone (its one-event
    /// append writes the tree itself), then 0019. Migrating again applies [19, 20].
    public static let beforeMerkleTree = """
        SET session_replication_role = replica;  -- no SchemaChanged event while ledger.append is away
        DROP FUNCTION ledger.append(text, jsonb);
        ALTER FUNCTION ledger.append_batch(text, jsonb) RENAME TO append;
        GRANT EXECUTE ON FUNCTION ledger.append(text, jsonb) TO ledger_writer, ledger_officer, ledger_approver, ledger_admin;
        RESET session_replication_role;
        DELETE FROM ledger_meta.schema_migrations WHERE version = 20;
        DROP TRIGGER events_extend_merkle_tree ON ledger.events;
        DROP FUNCTION ledger.extend_merkle_tree();
        DROP FUNCTION ledger.merkle_add_parents(bigint, bigint);
        DROP TABLE ledger.merkle_nodes;
        DROP FUNCTION ledger.event_leaf_hash(ledger.events);
        DROP FUNCTION ledger.event_leaf_input(bigint, text, bigint, text, int, bigint, text, jsonb, jsonb, bytea, bytea);
        DELETE FROM ledger_meta.schema_migrations WHERE version = 19
        """
}
