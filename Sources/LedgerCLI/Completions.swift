import ArgumentParser
import Foundation
import Ledger

/// What shell completion offers for option values (`ledger --generate-completion-script bash|zsh|fish`).
/// Written into the script when it is generated, so completing never connects to a database:
/// programme codes are the sample catalog's (`ledger program sample`) and units the sample places'
/// codes (`ledger place sample`), which every ledger loaded from those samples knows; other codes
/// are typed as usual. Methods, kinds and statuses are the domain's own lists; `--format` values
/// come from each command's format type.
enum Completions {
    static let method = CompletionKind.list(PaymentMethod.allCases.map(\.rawValue))
    static let kind = CompletionKind.list(BeneficiaryKind.allCases.map(\.rawValue))
    static let applicationStatus = CompletionKind.list(ApplicationStatus.allCases.map(\.rawValue))
    static let program = CompletionKind.list(sampleCodes(SampleCatalog.json, list: "programs"))
    static let unit = CompletionKind.list(sampleCodes(SamplePlaces.json, list: "units"))
    /// A payment file: `.csv` files and folders (`-`, standard input, is typed).
    static let paymentFile = CompletionKind.file(extensions: ["csv", "CSV"])

    /// The `code` of each object in the list `list` of a sample file, in file order.
    static func sampleCodes(_ json: String, list: String) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let items = object[list] as? [[String: Any]] else { return [] }
        return items.compactMap { $0["code"] as? String }
    }
}
