import ArgumentParser
import Foundation
import Ledger
import Synchronization

/// `ledger demo seed`: sample data for trying the ledger.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sample data: a realistic 2024 city year, for trying the ledger.",
        subcommands: [Seed.self]
    )

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a deterministic city year through the ledger's own commands (run as an admin or a superuser).",
            discussion: """
                Creates the login roles demo_admin, demo_officer_lan, demo_officer_hung, demo_approver_minh and \
                demo_approver_thu if missing (ledger.add_user), then, each acting as themselves: loads the sample \
                catalog, allocates a budget per programme and district, registers beneficiaries, and works through \
                2024 — submissions, approvals and rejections, withdrawals, payments, bank returns, closures, loans \
                and repayments. Some approvals are refused on purpose (a budget used up, a once-only cap reached) \
                and some registrations too (a national id registered twice): they are counted, not failures. \
                The same seed and size give the same year; running it again records nothing new. \
                National ids are fingerprinted by the database with the ledger's key; a ledger without one gets the demo's published key.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Seed of the pseudo-random city year (the same seed gives the same year).")
        var seed: UInt64 = DemoSeedOptions.defaultSeed
        @Option(help: "Beneficiaries to register (\(DemoSeedOptions.minimumBeneficiaries)–\(DemoSeedOptions.maximumBeneficiaries)).")
        var beneficiaries: Int = DemoSeedOptions.defaultBeneficiaries
        @Option(help: "Concurrent workers, each with its own connections (1–\(DemoSeedOptions.maximumWorkers)).")
        var workers: Int = DemoSeedOptions.defaultWorkers

        func run() async throws {
            try await reportingErrors {
                let options = try DemoSeedOptions(seed: seed, beneficiaries: beneficiaries, workers: workers).validated()
                NationalIDKeyEnvironment.warnIfSet()
                if try await Recording.service(connection).nationalIDKeyStatus() == nil {
                    Output.message("""
                        demo seed: the ledger has no national-id key, so the demo sets its published one \
                        ('\(DemoSeeder.demoNationalIDKey)', never for real people); a real ledger's admin sets theirs first \
                        with `ledger national-id key set --key-file FILE`
                        """)
                }
                let display = SeedProgressDisplay()
                let report = try await DemoSeeder(
                    configuration: connection.configuration, options: options,
                    nationalIDKeyBytes: Array(DemoSeeder.demoNationalIDKey.utf8), progress: display.show
                ).run()
                if report.nothingNew {
                    Output.message("demo seed: nothing new recorded — seed \(report.seed) with \(Output.grouped(Int64(report.beneficiaries))) beneficiaries was already in the ledger")
                }
                switch output.format {
                case .json: Output.data(try Output.json(report))
                case .table: Output.data(Self.table(report))
                }
            }
        }

        static func seconds(_ milliseconds: Int) -> String {
            "\(milliseconds / 1_000).\(milliseconds % 1_000 / 100) s"
        }

        static func count(_ value: Int) -> String { Output.grouped(Int64(value)) }

        static func lines(_ title: String, _ lines: [DemoCensus.Line], amounts: String? = nil) -> String {
            Output.table(
                amounts.map { [title, "count", $0] } ?? [title, "count"],
                lines.map { line in
                    [line.name, count(line.count)] + (amounts == nil ? [] : [line.amountVND.map { Output.amount($0.amount) } ?? ""])
                }
            )
        }

        /// What a refusal the demo expects means, for the summary.
        static func refusalText(_ code: String) -> String {
            switch code {
            case DomainError.Code.overBudget.rawValue: "approval refused: district budget used up (then rejected)"
            case DomainError.Code.overCap.rawValue: "approval refused: once-only cap already granted (then rejected)"
            case DomainError.Code.duplicateNationalID.rawValue: "registration refused: national id already registered"
            default: code
            }
        }

        static func table(_ report: DemoSeedReport) -> String {
            let tally = report.tally
            let created = report.peopleCreated.isEmpty ? "all existed" : "created " + report.peopleCreated.joined(separator: ", ")
            let summary = Output.keyValues([
                ("seed", String(report.seed)),
                ("beneficiaries", count(report.beneficiaries)),
                ("applications planned", "\(count(report.plannedApplications)) (\(count(report.plannedLoans)) loans to disburse)"),
                ("workers", String(report.workers)),
                ("took", seconds(report.elapsedMilliseconds)),
                ("commands", "\(count(tally.commands)): \(count(tally.recorded)) recorded, \(count(tally.alreadyRecorded)) already recorded, "
                    + "\(count(tally.refusalCount)) refused as expected; \(count(tally.skipped)) planned steps skipped after a refusal"),
                ("events appended", report.nothingNew
                    ? "none — nothing new (this seed was already in the ledger)"
                    : "\(count(tally.eventsAppended)) (log head \(Output.grouped(report.headBefore)) → \(Output.grouped(report.headAfter)))"),
                ("people", report.people.map(\.role).joined(separator: ", ") + " (\(created))"),
                ("budgets", report.budgetSizing.map { "\($0.count) \($0.name)" }.joined(separator: ", ")),
            ])
            let phases = Output.table(
                ["phase", "commands", "events", "took"],
                report.phases.map { [$0.phase.rawValue, count($0.commands), count($0.eventsAppended), seconds($0.elapsedMilliseconds)] }
            )
            let refusals = Output.table(
                ["refused as expected", "count"],
                tally.refusals.keys.sorted().map { [refusalText($0), count(tally.refusals[$0] ?? 0)] }
            )
            let census = report.census
            return [
                summary, phases, refusals,
                lines("events by type (\(count(census.events)) in all)", census.eventsByType),
                lines("beneficiaries", census.beneficiaries),
                lines("applications", census.applications, amounts: "approved (₫)"),
                lines("payments", census.payments, amounts: "amount (₫)"),
                lines("loans on \(census.asOf)", census.loans, amounts: "principal (₫)"),
                lines("budgets 2024", census.budgets, amounts: "amount (₫)"),
            ].joined(separator: "\n\n")
        }
    }
}

/// Shows a seed's progress on stderr: a line when each phase ends, and a live count while it
/// runs when stderr is a terminal.
final class SeedProgressDisplay: Sendable {
    private let line = Mutex<ProgressLine?>(nil)

    func show(_ progress: DemoProgress) {
        switch progress {
        case .started(let phase, _):
            line.withLock { $0 = ProgressLine("demo seed: \(phase.rawValue)") }
        case .advanced(_, let done, let total):
            line.withLock { $0 }?.update(Int64(done), of: Int64(total))
        case .finished(let report):
            line.withLock { current in
                current?.finish()
                current = nil
            }
            Output.message(
                "demo seed: \(report.phase.title): \(Output.grouped(Int64(report.commands))) commands, "
                    + "\(Output.grouped(Int64(report.eventsAppended))) events, \(Demo.Seed.seconds(report.elapsedMilliseconds))"
            )
        }
    }
}
