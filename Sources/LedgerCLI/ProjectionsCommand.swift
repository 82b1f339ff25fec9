import ArgumentParser
import Dispatch
import Foundation
import Projections

/// `ledger projections run|rebuild|status`: the read models in `ledger_read`.
struct ProjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Fold the log into the read models (ledger_read): run, follow, rebuild, status.",
        discussion: "Projections: \(ProjectionCatalog.names.joined(separator: ", ")). Run and rebuild as an admin (a member of ledger_admin).",
        subcommands: [Run.self, Rebuild.self, StatusCommand.self]
    )

    /// `ledger projections run [NAME…] [--follow]`.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply new events to the read models, then exit (or keep following with --follow).",
            discussion: """
                Each batch of events is written with the projection's checkpoint in one transaction, so an interrupted \
                run loses and repeats nothing: run it again. Only one runner per projection works at a time: without \
                --follow a second one is refused (exit 1); with --follow it waits as a standby and takes over when the \
                first stops. --follow wakes on each append (NOTIFY ledger_events), re-reads every --poll-ms anyway, and \
                stops cleanly on SIGINT or SIGTERM. A projection that meets an event it cannot fold stops at the event \
                before, named on stderr, while the others go on; the run then exits 1 (see `projections status`).
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Projections to run (default: all).")
        var names: [String] = []
        @Flag(help: "Keep following the log until SIGINT/SIGTERM.")
        var follow = false
        @Option(help: "Events per transaction (1–1000000).")
        var batchEvents = ProjectionRunOptions().batchEvents
        @Option(name: .customLong("poll-ms"), help: "While following, re-read at least this often (milliseconds, 100–60000).")
        var pollMilliseconds = Int(ProjectionRunOptions().pollMilliseconds)

        func validate() throws {
            guard (1...1_000_000).contains(batchEvents) else { throw ValidationError("--batch-events must be 1–1000000") }
            guard (100...60_000).contains(pollMilliseconds) else { throw ValidationError("--poll-ms must be 100–60000") }
            for name in names where !ProjectionCatalog.names.contains(name) {
                throw ValidationError("there is no projection \(name.debugDescription) (one of: \(ProjectionCatalog.names.joined(separator: ", ")))")
            }
        }

        func run() async throws {
            try await reportingErrors {
                try await connection.refuseStandby("projections run writes the read models")
                var options = ProjectionRunOptions()
                options.batchEvents = batchEvents
                options.pollMilliseconds = Int32(pollMilliseconds)
                let stop = StopSignal()
                let signals = follow ? ShutdownSignals(stop) : nil
                defer { signals?.cancel() }
                let started: ProjectionRunner
                do {
                    started = try await ProjectionRunner.start(
                        configuration: connection.configuration, projections: names, options: options,
                        standby: follow ? stop : nil,
                        onWaiting: { name, pid in
                            Output.message("projections: \(name) is run by another runner\(pid.map { " (server process \($0))" } ?? ""); waiting as a standby")
                        }
                    )
                } catch let error as ProjectionError where error.code == .leaseHeld && follow && stop.isStopped {
                    // A standby asked to stop before it took over: a clean stop, not a failure.
                    Output.message("projections: stopped while waiting as a standby")
                    return
                } catch let error as ProjectionError {
                    _ = try await ProjectionsCommand.refusals { throw error }
                    return
                }
                let runner = started
                do {
                    let progress = ProgressLine("projections")
                    var reports = try await runner.catchUp(stop: stop) { position, head in progress.update(position, of: head) }
                    progress.finish()
                    ProjectionsCommand.warn(stalled: reports, skipped: runner.takeSkipped())
                    if follow {
                        Output.message("projections: caught up at position \(reports.map(\.toPosition).min() ?? 0); following (SIGINT or SIGTERM to stop)")
                        var total = Dictionary(uniqueKeysWithValues: reports.map { ($0.projection, $0) })
                        try await runner.follow(configuration: connection.configuration, stop: stop) { batch in
                            for report in batch {
                                let from = total[report.projection]?.fromPosition ?? report.fromPosition
                                total[report.projection] = ProjectionRunReport(projection: report.projection, fromPosition: from, toPosition: report.toPosition)
                            }
                            let applied = batch.map(\.eventsApplied).max() ?? 0
                            Output.message("projections: applied \(Output.grouped(applied)) event\(applied == 1 ? "" : "s"), now at position \(batch.map(\.toPosition).max() ?? 0)")
                        } onStall: { stalled, skipped in
                            ProjectionsCommand.warn(stalled: stalled, skipped: skipped)
                        }
                        reports = runner.names.compactMap { name in
                            total[name].map { report in
                                ProjectionRunReport(projection: name, fromPosition: report.fromPosition, toPosition: report.toPosition,
                                                    stall: runner.stalls.first { $0.projection == name }?.stall)
                            }
                        }
                        Output.message("projections: stopped")
                    }
                    await runner.close()
                    print(reports)
                    let stalled = reports.filter { $0.stall != nil }
                    if !stalled.isEmpty {
                        Output.message(
                            "ledger: error: \(stalled.map(\.projection).joined(separator: ", ")) stopped at an event \(stalled.count == 1 ? "it" : "they") cannot fold; "
                                + "the other projections went on (see `ledger projections status`)"
                        )
                        throw CommandFailure(exitCode: ExitStatus.failure)
                    }
                } catch {
                    await runner.close()
                    throw error
                }
            }
        }

        func print(_ reports: [ProjectionRunReport]) {
            switch output.format {
            case .json: Output.data((try? Output.json(reports)) ?? "[]")
            case .table:
                Output.data(Output.table(
                    ["projection", "from", "to", "events applied", "stalled at"],
                    reports.map {
                        [$0.projection, String($0.fromPosition), String($0.toPosition), Output.grouped($0.eventsApplied),
                         $0.stall.map { String($0.position) } ?? "-"]
                    }
                ))
            }
        }
    }

    /// `ledger projections rebuild [NAME]`.
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild read models from position 0 into new tables, then swap them in.",
            discussion: """
                The live tables keep serving (and their runner keeps running) until the swap, which is one short \
                transaction; it waits for readers at most 2 s at a time and 4 times, then exits 1 naming who holds the \
                tables. A read-model table that was dropped is recreated. A runner that was following picks up from the rebuilt checkpoint by itself. Interrupted \
                before the swap, nothing changed: run it again.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The projection to rebuild (default: all, in one pass over the log).")
        var name: String?

        func validate() throws {
            if let name, !ProjectionCatalog.names.contains(name) {
                throw ValidationError("there is no projection \(name.debugDescription) (one of: \(ProjectionCatalog.names.joined(separator: ", ")))")
            }
        }

        func run() async throws {
            try await reportingErrors {
                try await connection.refuseStandby("projections rebuild writes the read models")
                let progress = ProgressLine("rebuilding \(name ?? "all projections")")
                let reports = try await ProjectionsCommand.refusals {
                    try await ProjectionRebuild.run(
                        configuration: connection.configuration, projections: name.map { [$0] } ?? []
                    ) { done, total in
                        progress.update(done, of: total)
                    }
                }
                progress.finish()
                for report in reports {
                    Output.message(
                        "projections: rebuilt \(report.projection) from \(Output.grouped(report.events)) events in "
                            + "\(Demo.Seed.seconds(Int(report.elapsedMilliseconds))) (\(Output.grouped(report.eventsPerSecond)) events/s); "
                            + "swapped in at position \(report.position)"
                    )
                }
                switch output.format {
                case .json: Output.data(try Output.json(reports))
                case .table:
                    Output.data(Output.table(
                        ["projection", "position", "generation", "events", "rows", "took", "events/s"],
                        reports.map { report in
                            [report.projection, String(report.position), String(report.generation), Output.grouped(report.events),
                             Output.grouped(Int64(report.rows.values.reduce(0, +))), Demo.Seed.seconds(Int(report.elapsedMilliseconds)),
                             Output.grouped(report.eventsPerSecond)]
                        }
                    ))
                }
                let stalled = reports.filter { $0.stall != nil }
                if !stalled.isEmpty {
                    ProjectionsCommand.warn(stalled: stalled.map {
                        ProjectionRunReport(projection: $0.projection, fromPosition: 0, toPosition: $0.position, stall: $0.stall)
                    }, skipped: [])
                    Output.message("ledger: error: \(stalled.map(\.projection).joined(separator: ", ")) swapped in as of the event before one \(stalled.count == 1 ? "it" : "they") cannot fold")
                    throw CommandFailure(exitCode: ExitStatus.failure)
                }
            }
        }
    }

    /// `ledger projections status`.
    struct StatusCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Each projection's checkpoint, lag behind the log (events and time), and its runner if one runs."
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingErrors {
                let database = try await connection.connect()
                let statuses = try await ProjectionStatus.all(database)
                await database.close()
                switch output.format {
                case .json: Output.data(try Output.json(statuses.map(ProjectionStatusReport.init)))
                case .table:
                    Output.data(Output.table(
                        ["projection", "position", "head", "lag (events)", "lag (time)", "generation", "runner", "updated at", "stalled"],
                        statuses.map { status in
                            [status.projection, String(status.position), String(status.headPosition), Output.grouped(status.lagEvents),
                             Self.duration(status.lagMicroseconds), String(status.generation), Self.runner(status),
                             Output.timestamp(status.updatedAtMicroseconds),
                             status.stalledAt.map { "at \($0): \(status.stalledReason ?? "")" } ?? "-"]
                        }
                    ))
                }
            }
        }

        /// `pid 812 (an, since 2024-05-01 15:00:00.000000+07:00)`, or `-` when no runner holds the lease.
        static func runner(_ status: ProjectionStatus) -> String {
            guard let pid = status.runnerPID else { return "-" }
            let details = [status.runnerRole, status.runnerSinceMicroseconds.map { "since \(Output.timestamp($0))" }].compactMap { $0 }
            return "pid \(pid)" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
        }

        /// `0 s`, `4.2 s`, `3 min 5 s`, `2 h 10 min`.
        static func duration(_ microseconds: Int64) -> String {
            let seconds = microseconds / 1_000_000
            switch seconds {
            case ..<60: return "\(seconds).\(microseconds % 1_000_000 / 100_000) s"
            case ..<3_600: return "\(seconds / 60) min \(seconds % 60) s"
            default: return "\(seconds / 3_600) h \(seconds % 3_600 / 60) min"
            }
        }

    }

    /// One line on stderr per projection that stopped at an event it cannot fold, and per
    /// unreadable event no projection reads (skipped).
    static func warn(stalled reports: [ProjectionRunReport], skipped: [UnreadableEvent]) {
        for report in reports {
            guard let stall = report.stall else { continue }
            Output.message(
                "projections: \(report.projection) stopped before position \(stall.position) and stays at position \(report.toPosition): \(stall.reason)"
            )
        }
        for event in skipped {
            Output.message("projections: warning: skipped \(event.description) (no projection reads \(event.type))")
        }
    }

    /// Turns a projection refusal into one line on stderr and the exit code (1; 64 for a name
    /// that is not a projection).
    static func refusals<T>(_ body: () async throws -> T) async throws -> T {
        // ProjectionError → one line on stderr and exit 1 (64 for an unknown name).
        do {
            return try await body()
        } catch let error as ProjectionError {
            Output.message("ledger: error: \(error.message)")
            throw CommandFailure(exitCode: error.code == .unknownProjection ? ExitStatus.usage : ExitStatus.failure)
        }
    }
}

/// SIGINT and SIGTERM set `stop` instead of killing the process, so a follower finishes its batch
/// and closes its connections (ending its leases) before exiting.
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    init(_ stop: StopSignal) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.stop() }
            source.resume()
            return source
        }
    }

    func cancel() {
        sources.forEach { $0.cancel() }
    }
}
