/// A record kept behind one reference. A dictionary of records stores each inline in its buckets,
/// which number up to 2.7 × its records (and twice that while it grows): for records of a few
/// hundred bytes (an application, a payment, a beneficiary) most of a fold's memory. Boxed, a
/// bucket holds a pointer and the record is allocated once at its own size. Immutable: a change
/// stores a new box, so a fold keeps its value semantics. For folds that keep a record per
/// application, payment or beneficiary of the log (the projections, the audit's replay).
public final class Boxed<Value: Sendable>: Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
