import Foundation

/// One side of a comparison (the ledger, or its raw baseline), summed over rounds.
struct Side: Encodable, Sendable {
    var events = 0
    var seconds = 0.0
    /// Each round's own rate, to show how stable the figure is.
    var roundEventsPerSecond: [Double] = []
    /// CPU seconds of this process while the side ran.
    var clientCPUSeconds = 0.0
    /// CPU seconds of the side's server backends (nil when the server is not on this machine).
    var serverCPUSeconds: Double? = 0

    /// CPU microseconds per event.
    var clientMicrosecondsPerEvent: Double { events > 0 ? clientCPUSeconds * 1e6 / Double(events) : 0 }
    var serverMicrosecondsPerEvent: Double? { serverCPUSeconds.map { events > 0 ? $0 * 1e6 / Double(events) : 0 } }
    var wallMicrosecondsPerEvent: Double { events > 0 ? seconds * 1e6 / Double(events) : 0 }

    /// Total events over total time.
    var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }

    mutating func add(events: Int, seconds: Double, before: CPUMeter.Sample, after: CPUMeter.Sample) {
        self.events += events
        self.seconds += seconds
        clientCPUSeconds += after.client - before.client
        if let start = before.server, let end = after.server, let total = serverCPUSeconds {
            serverCPUSeconds = total + (end - start)
        } else {
            serverCPUSeconds = nil
        }
        roundEventsPerSecond.append(seconds > 0 ? (Double(events) / seconds).rounded() : 0)
    }

    /// Largest deviation of a round from the overall rate, as a fraction of it.
    var spread: Double {
        let rate = eventsPerSecond
        guard rate > 0 else { return 0 }
        return roundEventsPerSecond.map { abs($0 - rate) / rate }.max() ?? 0
    }

    enum CodingKeys: String, CodingKey {
        case events, seconds, eventsPerSecond, roundEventsPerSecond, spread
        case clientCPUSeconds = "client_cpu_seconds", serverCPUSeconds = "server_cpu_seconds"
        case wallMicrosecondsPerEvent = "wall_us_per_event", clientMicrosecondsPerEvent = "client_cpu_us_per_event"
        case serverMicrosecondsPerEvent = "server_cpu_us_per_event"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(events, forKey: .events)
        try container.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try container.encode(Int64(eventsPerSecond.rounded()), forKey: .eventsPerSecond)
        try container.encode(roundEventsPerSecond.map { Int64($0) }, forKey: .roundEventsPerSecond)
        try container.encode((spread * 1000).rounded() / 1000, forKey: .spread)
        func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
        try container.encode(rounded(clientCPUSeconds), forKey: .clientCPUSeconds)
        try container.encode(serverCPUSeconds.map(rounded), forKey: .serverCPUSeconds)
        try container.encode(rounded(wallMicrosecondsPerEvent), forKey: .wallMicrosecondsPerEvent)
        try container.encode(rounded(clientMicrosecondsPerEvent), forKey: .clientMicrosecondsPerEvent)
        try container.encode(serverMicrosecondsPerEvent.map(rounded), forKey: .serverMicrosecondsPerEvent)
    }
}

/// What the issue asks of a figure.
enum Target: Sendable {
    /// ledger / baseline must be at least this.
    case ratio(Double)
    /// ledger events per second must be at least this.
    case rate(Double)

    var text: String {
        switch self {
        case .ratio(let minimum): "≥ \(Format.fixed(minimum, 2)) × raw"
        case .rate(let minimum): "≥ \(Format.rate(minimum)) ev/s"
        }
    }
}

/// A ledger figure beside its baseline, with the target and whether it was met.
struct Figure: Encodable, Sendable {
    let key: String
    let label: String
    let baselineLabel: String
    let ledger: Side
    let baseline: Side
    let target: Target

    var ratio: Double { baseline.eventsPerSecond > 0 ? ledger.eventsPerSecond / baseline.eventsPerSecond : 0 }

    var pass: Bool {
        switch target {
        case .ratio(let minimum): ratio >= minimum
        case .rate(let minimum): ledger.eventsPerSecond >= minimum
        }
    }

    enum CodingKeys: String, CodingKey {
        case key, label, baselineLabel, ledger, baseline, ratio, target, pass
    }

    struct TargetDocument: Encodable {
        let kind: String
        let minimum: Double
        let text: String
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(label, forKey: .label)
        try container.encode(baselineLabel, forKey: .baselineLabel)
        try container.encode(ledger, forKey: .ledger)
        try container.encode(baseline, forKey: .baseline)
        try container.encode((ratio * 1000).rounded() / 1000, forKey: .ratio)
        switch target {
        case .ratio(let minimum): try container.encode(TargetDocument(kind: "ratio", minimum: minimum, text: target.text), forKey: .target)
        case .rate(let minimum): try container.encode(TargetDocument(kind: "events_per_second", minimum: minimum, text: target.text), forKey: .target)
        }
        try container.encode(pass, forKey: .pass)
    }
}

/// Everything one `ledger-bench store` run measured.
struct StoreReport: Encodable, Sendable {
    struct Parameters: Encodable, Sendable {
        let singleEvents: Int
        let batchedEvents: Int
        let batchSize: Int
        let rounds: Int
        let readRounds: Int
        let streamsPerWorkload: Int
        let payloadBytesTarget: Int
        let payloadBytesAverage: Int
        let pageSize: Int
    }

    let benchmark = "ledger-bench store"
    let startedAt: String
    let parameters: Parameters
    let machine: MachineInfo
    /// The migrations the scratch database ran (file name → SHA-256), so figures name the append function they measured.
    let migrations: [String: String]
    let figures: [Figure]
    /// Events in the ledger at the end (what readAll and verifyChain went through).
    let logEvents: Int
    let peakRSSKiB: Int64
    let wallSeconds: Double

    func table() -> String {
        let rows = figures.map { figure in
            [
                figure.label, Format.grouped(figure.ledger.events),
                Format.rate(figure.ledger.eventsPerSecond), figure.baselineLabel, Format.rate(figure.baseline.eventsPerSecond),
                // Truncated, not rounded, so a 0.497 that misses 0.50 never shows as "0.50".
                Format.fixed((figure.ratio * 100).rounded(.down) / 100, 2), figure.target.text, figure.pass ? "PASS" : "MISS",
            ]
        }
        let figuresTable = Format.table(
            ["measurement", "events", "ledger ev/s", "baseline", "raw ev/s", "ledger/raw", "target", "result"], rows
        )
        var costRows: [[String]] = []
        for figure in figures {
            let sides = figure.key == "verify_chain" ? [("ledger", figure.ledger)] : [("ledger", figure.ledger), ("raw", figure.baseline)]
            for (index, (name, side)) in sides.enumerated() {
                costRows.append([
                    index == 0 ? figure.label : "", name, Format.fixed(side.wallMicrosecondsPerEvent, 1),
                    Format.fixed(side.clientMicrosecondsPerEvent, 1), side.serverMicrosecondsPerEvent.map { Format.fixed($0, 1) } ?? "-",
                ])
            }
        }
        let costTable = Format.table(["cost per event, µs", "side", "wall", "client CPU", "server CPU"], costRows)
        let settings = MachineInfo.settingNames.map { name in "\(name)=\(machine.settings[name] ?? "-")" }
        let machineLines = Format.keyValues([
            ("machine", "\(machine.processors) CPUs, \(machine.cpuModel), \(Format.grouped(machine.memoryMiB)) MiB, Linux \(machine.kernel)"),
            ("postgresql", machine.serverVersion + (machine.privateCluster ? " (private cluster of scripts/with-postgres)" : "")),
            ("server settings", settings.joined(separator: " ")),
            ("workload", "\(Format.grouped(parameters.singleEvents)) single appends, \(Format.grouped(parameters.batchedEvents)) events "
                + "in appends of \(parameters.batchSize) (1 client, then 2 clients), \(parameters.rounds) rounds alternating ledger/raw"),
            ("payload", "\(parameters.payloadBytesAverage) bytes on average (target \(parameters.payloadBytesTarget)), "
                + "\(parameters.streamsPerWorkload) streams per workload, exact expected versions"),
            ("migrations", migrations.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.prefix(12))" }.joined(separator: ", ")),
            ("log at the end", "\(Format.grouped(logEvents)) events (read \(parameters.readRounds)× each, pages of \(Format.grouped(parameters.pageSize)))"),
            ("client peak RSS", "\(Format.grouped(peakRSSKiB / 1024)) MiB (VmHWM)"),
            ("wall time", "\(Format.fixed(wallSeconds, 1)) s"),
        ])
        let note = "events: measured on each side, all rounds together; rates: total events / total time; "
            + "ratios and PASS/MISS are a report, not an assertion."
        let costNote = "CPU: this process (getrusage) and the side's server backends (/proc, local server only); "
            + "2 clients: summed over both."
        return [figuresTable, "", note, "", costTable, "", costNote, "", machineLines].joined(separator: "\n")
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
