import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The dashboard's Mustache templates (Sources/ReelAPI/Dashboard/Templates),
/// read once when the API starts, and the page frame every page shares.
struct Dashboard: Sendable {
    let library: MustacheLibrary

    /// The templates shipped with the API, or an error naming the folder.
    static func load() throws -> Dashboard {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw APIError(.internalServerError, "no_templates", "the dashboard's templates are missing from the API's resource bundle")
        }
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }
        for name in names.sorted() {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        return Dashboard(library: library)
    }

    enum Section: String { case queues, jobs, videos, edges, webhooks, none }

    /// A page: the template filled with `values`, the header's title,
    /// navigation, who is signed in and any message.
    func page(_ template: String, title: String, section: Section, caller: Caller?, values: [String: Any] = [:],
              flash: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        var context = values
        context["title"] = title
        context["nav"] = [section.rawValue: true]
        context["who"] = caller.map { "\($0.name) (\($0.scopes.sorted().map(\.rawValue).joined(separator: ", ")))" }
        context["flash"] = flash
        context["problem"] = problem
        context["canAct"] = caller?.allows(.admin) ?? false
        let html = library.render(context, withTemplate: template) ?? "<!doctype html><p>template \(template) is missing</p>"
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .contentSecurityPolicy: Dashboard.policy,
                      .xFrameOptions: "DENY"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// No scripts at all, styles only inline, forms only to this site, never framed.
    static let policy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options") ?? .via
}
