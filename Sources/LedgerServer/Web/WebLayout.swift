import Foundation
import Ledger

/// What every page shows around its own content: the department's header, the navigation for
/// the signed-in person's roles, the language switch, the footer. All values are ready to print;
/// the templates decide nothing.
struct WebLayout {
    let lang: String
    let title: String
    let department: String
    let applicationName: String
    let skipToContent: String
    let stylesheet: String
    let navigationLabel: String
    let navigation: [Link]
    let hasNavigation: Bool
    let person: Person?
    let languageLabel: String
    let languages: [Link]
    let footer: String
    /// The page's own HTML, rendered from its template.
    let content: String

    struct Link {
        let href: String
        let label: String
        /// `aria-current="page"` on the link to the page shown.
        let current: Bool
        let lang: String?
    }

    /// The signed-in person and the sign-out form (a POST carrying the session's CSRF token).
    struct Person {
        let signedInAs: String
        let signOut: String
        let csrfToken: String
    }

    /// Pages in the navigation, with the roles that see them (`nil`: everyone signed in).
    static let pages: [(path: String, label: WebString, roles: Set<String>?)] = [
        ("/", .home, nil),
        ("/imports", .importNav, ["officer"]),
        ("/audit", .auditNav, ["auditor"]),
        ("/queue", .queue, ["approver"]),
        ("/budget", .budget, nil),
        ("/loans", .loans, nil),
    ]

    static func roleLabel(_ role: String) -> WebString? {
        switch role {
        case "officer": .roleOfficer
        case "approver": .roleApprover
        case "auditor": .roleAuditor
        case "admin": .roleAdmin
        default: nil
        }
    }

    init(_ web: WebRequest, title: String, content: String, session: (user: String, roles: [String], csrfToken: String)?) {
        lang = web.language.rawValue
        self.title = title
        department = web.text(.department)
        applicationName = web.text(.applicationName)
        skipToContent = web.text(.skipToContent)
        stylesheet = WebFiles.stylesheetPath
        navigationLabel = web.text(.mainNavigation)
        if let session {
            navigation = Self.pages
                .filter { $0.roles == nil || !$0.roles!.isDisjoint(with: session.roles) }
                .map { Link(href: $0.path, label: web.text($0.label), current: $0.path == web.path, lang: nil) }
            let roles = session.roles.compactMap(Self.roleLabel).map { web.text($0) }
            let who = roles.isEmpty ? session.user : "\(session.user) (\(roles.joined(separator: ", ")))"
            person = Person(signedInAs: web.text(.signedInAs, who), signOut: web.text(.signOut), csrfToken: session.csrfToken)
        } else {
            navigation = []
            person = nil
        }
        hasNavigation = !navigation.isEmpty
        languageLabel = web.text(.languageSwitch)
        languages = [(Language.vi, "Tiếng Việt"), (Language.en, "English")].map { language, name in
            Link(href: "\(web.path)?lang=\(language.rawValue)", label: name, current: language == web.language, lang: language.rawValue)
        }
        footer = web.text(.footer)
        self.content = content
    }

    var html: String { WebFiles.render(self, "layout") }
}
