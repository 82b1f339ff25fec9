/// The named bounds of a bulk payment import (`ledger payment import`). Field lengths are the
/// domain's own (`Identifier.maximumLength`, `DomainLimits.maximumVoucherCharacters`).
public enum PaymentImportLimits {
    /// Payment rows in one file: far more than a city pays in a year; split anything larger.
    public static let maximumRows = 1_000_000
    /// Size of one file in bytes (256 MiB: a million rows of about 250 bytes), checked before reading it.
    public static let maximumFileBytes = 268_435_456
    /// Events in one append. The store takes up to 1,000 (`ledger.limits()`); 500 keeps each
    /// append's turn on the head lock short, so other officers' commands are not held up.
    public static let maximumEventsPerAppend = 500
    /// Streams in one append: the store's `max_streams_per_append` (`ledger.limits()`).
    public static let maximumStreamsPerAppend = 100
    /// Payment ids looked up in `ledger.payment_ids` per round trip.
    public static let paymentIDsPerLookup = 5_000
}
