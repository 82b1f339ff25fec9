import Crypto
import Foundation
import Mustache

/// The pages' templates (`Web/Templates/*.mustache`) and stylesheet (`Web/Static/ledger.css`),
/// carried in the binary (the EmbedWeb plugin writes `embeddedWebFiles` at build time).
enum WebFiles {
    /// Each file's bytes by its path under `Web/` (`Templates/layout.mustache`).
    static let files: [String: Data] = Dictionary(uniqueKeysWithValues: embeddedWebFiles.map { file in
        guard let data = Data(base64Encoded: file.base64) else { preconditionFailure("embedded web file \(file.name) is not base64") }
        return (file.name, data)
    })

    /// The templates by name (`layout`, `sign-in`, …). A template that does not parse is a
    /// build mistake (WebPageTests parses every one), so it stops the service at its first page.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (path, data) in files where path.hasPrefix("Templates/") && path.hasSuffix(".mustache") {
            let name = String(path.dropFirst("Templates/".count).dropLast(".mustache".count))
            do {
                try library.register(String(decoding: data, as: UTF8.self), named: name)
            } catch {
                preconditionFailure("the web template \(path) does not parse: \(error)")
            }
        }
        return library
    }()

    /// `values` through the template `name` (HTML-escaped, as Mustache's `{{…}}` does).
    static func render(_ values: Any, _ name: String) -> String {
        guard let html = library.render(values, withTemplate: name) else { preconditionFailure("no web template \(name)") }
        return html
    }

    static let stylesheet: Data = files["Static/ledger.css"] ?? Data()
    /// A strong validator of the stylesheet's bytes, also put in its URL so that a new build's
    /// stylesheet is fetched at once although browsers keep the old one a year.
    static let stylesheetVersion: String = hex(SHA256.hash(data: stylesheet)).prefix(16).description
    static var stylesheetPath: String { "/static/ledger.css?v=\(stylesheetVersion)" }
}
