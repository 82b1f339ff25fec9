/// A small seeded pseudo-random generator (SplitMix64, Steele, Lea and Flood 2014): the demo's
/// only source of chance, so a seed always gives the same city year on every machine and Swift
/// version. Every draw below is integer arithmetic of our own (no `Int.random(in:using:)`, whose
/// algorithm the standard library may change, and no floating point).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (rejection sampling, so no value is favoured).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "a bound must be positive")
        let range = UInt64(bound)
        let limit = UInt64.max - UInt64.max % range
        while true {
            let value = next()
            if value < limit { return Int(value % range) }
        }
    }

    /// A uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `percent`/100.
    public mutating func chance(percent: Int) -> Bool {
        below(100) < percent
    }

    /// True with probability `perMille`/1000.
    public mutating func chance(perMille: Int) -> Bool {
        below(1_000) < perMille
    }

    /// One element, uniformly.
    public mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[below(elements.count)]
    }

    /// One element, with probability proportional to its (positive) weight.
    public mutating func weighted<Element>(_ choices: [(Element, Int)]) -> Element {
        let total = choices.reduce(0) { $0 + $1.1 }
        precondition(total > 0, "weights must add up to something")
        var draw = below(total)
        for (element, weight) in choices {
            if draw < weight { return element }
            draw -= weight
        }
        preconditionFailure("unreachable: the draw is below the total")
    }

    /// The elements in a random order (Fisher–Yates with our own draws).
    public mutating func shuffled<Element>(_ elements: [Element]) -> [Element] {
        var result = elements
        guard result.count > 1 else { return result }
        for index in stride(from: result.count - 1, to: 0, by: -1) {
            result.swapAt(index, below(index + 1))
        }
        return result
    }

    /// An amount in `range`, in whole steps of `step` đồng (e.g. 100,000 ₫).
    public mutating func amount(in range: ClosedRange<Int64>, step: Int64) -> VND {
        let low = (range.lowerBound + step - 1) / step, high = range.upperBound / step
        precondition(low <= high, "no multiple of \(step) in \(range)")
        return VND(Int64(int(in: Int(low)...Int(high))) * step)
    }
}
