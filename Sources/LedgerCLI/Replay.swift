import ArgumentParser
import EventStore
import Ledger
import Postgres
import Projections

/// `ledger replay --as-of TIMESTAMP | --until-position N`: the budget report as it stood at a
/// past moment of recording, folded from the log in memory.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fold the log up to a recording time or a position and print the budget report as it stood then.",
        discussion: """
            --as-of is recording time (recorded_at, set by the database), not a business date: `2024-03-01` or `01/03/2024` \
            means through the end of that day in Vietnam (23:59:59.999999+07:00); `2024-03-01T09:30:00` is Vietnam time, \
            `2024-03-01T02:30:00Z` or `…+07:00` name the offset (fractions of a second allowed); inclusive to the microsecond. \
            Recording times are shown in Vietnam time with the offset (`2024-03-01 09:30:00.000000+07:00`). Same columns and formats as `ledger report budget`; for business-date views use \
            `ledger report budget --as-of DATE`. Reads the log a page at a time (memory does not grow with the log).
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: ReportOutputOptions
    @OptionGroup var filters: Report.BudgetFilterOptions
    @Option(name: .customLong("as-of"), help: "Recording time: YYYY-MM-DD or DD/MM/YYYY (end of that day in Vietnam), or with a time: YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM] (Vietnam time without an offset).")
    var asOf: String?
    @Option(name: .customLong("until-position"), help: "Fold positions 1…N.")
    var untilPosition: String?

    func run() async throws {
        try await reportingErrors {
            let limit: ReplayLimit
            switch (asOf, untilPosition) {
            case (let text?, nil):
                limit = .recordedAt(microseconds: try RecordingInstant.parse(text, field: "--as-of"))
            case (nil, let text?):
                guard let position = Int64(text), position >= 0 else {
                    throw DomainError.invalidInput(field: "--until-position", problem: "\(text.debugDescription) is not a log position (0 or more)")
                }
                limit = .position(position)
            case (nil, nil):
                throw DomainError.invalidInput(field: "--as-of", problem: "give --as-of TIMESTAMP or --until-position N")
            case (_?, _?):
                throw DomainError.invalidInput(field: "--until-position", problem: "give either --as-of or --until-position, not both")
            }
            do {
                try await Report.withDatabase(connection) { database in
                    let places = try await LedgerService(connection: database).places()
                    let filter = try await filters.filter(places: places, service: LedgerService(connection: database))
                    var (report, point) = try await BudgetReport.replay(EventStore(connection: database), until: limit, filter: filter)
                    report.places = places
                    let when = point.recordedAtMicroseconds.map { ", recorded \(Output.timestamp($0))" } ?? ""
                    Output.message("replay: log folded to position \(point.position)\(when); head is \(point.headPosition)")
                    for event in point.skipped { Output.message("replay: warning: left out \(event.description)") }
                    try Report.print(report, format: output.format, bom: output.csvStyle.bom)
                }
            } catch let error as ReportError {
                throw CommandError(error.description)
            }
        }
    }
}
