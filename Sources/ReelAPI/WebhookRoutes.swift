import Foundation
import Hummingbird
import ReelCatalog
import ReelPipeline

/// What registering an endpoint takes.
struct WebhookAsk: Decodable {
    var url: String
    var events: [String]
    var description: String?
    var tenant: String?

    static let fields = ["url", "events", "description", "tenant"]
}

/// A new endpoint, or a rotated one: the secret is shown this once.
struct WebhookSecretAnswer: Encodable {
    let endpoint: Webhooks.Endpoint
    let secret: String
    /// Until when the previous secret still signs (a rotation).
    let previousValidUntil: Date?

    enum CodingKeys: String, CodingKey { case endpoint, secret, previousValidUntil = "previous_valid_until" }
}

/// An endpoint with its latest attempts.
struct WebhookDetail: Encodable {
    let endpoint: Webhooks.Endpoint
    let attempts: [Webhooks.Attempt]
}

/// Webhook endpoints under `/v1/webhooks` (docs/integrating.md): an app's
/// backend registers where Reel tells it about its videos. A tenant's token
/// (scope `upload`) manages that tenant's endpoints; an `admin` token
/// manages every tenant's (naming one with `tenant`).
extension ReelAPI {
    func addWebhookRoutes(to router: Router<BasicRequestContext>) {
        let hooks = router.group("v1/webhooks")
        hooks.post("") { request, _ -> Response in
            let reach = try await webhookReach(request)
            let body = try await request.body.collect(upTo: configuration.maxFormBytes)
            let ask = try StrictJSON.decode(WebhookAsk.self, from: Data(body.readableBytesView), fields: WebhookAsk.fields,
                                            shape: "url (text), events (a list of event types), and optionally description and tenant")
            let tenant = try reach.tenant(asking: ask.tenant)
            let events = try Self.eventTypes(ask.events)
            guard (ask.description ?? "").count <= 500 else { throw APIError.badRequest("the description is over 500 characters") }
            do throws(WebhookAddressError) {
                _ = try await configuration.webhookAddresses.vet(ask.url)
            } catch {
                throw APIError(.unprocessableContent, "refused_url", error.description)
            }
            let secret = Webhooks.makeSecret()
            let endpoint = try await Webhooks.add(tenant: tenant, url: ask.url, events: events, description: ask.description ?? "",
                                                  secret: secret, pool: catalog.pool)
            return try JSONBody(WebhookSecretAnswer(endpoint: endpoint, secret: secret, previousValidUntil: nil), status: .created).response()
        }
        hooks.get("") { request, _ -> Response in
            let reach = try await webhookReach(request)
            let tenant = try reach.tenant(filtering: request.uri.queryParameters.get("tenant"))
            return try JSONBody(try await Webhooks.list(tenant: tenant, pool: catalog.pool)).response()
        }
        hooks.get(":hook") { request, context -> Response in
            let (endpoint, _) = try await webhookEndpoint(request, context)
            let attempts = try await Webhooks.attempts(endpoint: endpoint.id, limit: 50, pool: catalog.pool)
            return try JSONBody(WebhookDetail(endpoint: endpoint, attempts: attempts)).response()
        }
        hooks.delete(":hook") { request, context -> Response in
            let (endpoint, reach) = try await webhookEndpoint(request, context)
            guard try await Webhooks.remove(endpoint.id, tenant: reach.only, pool: catalog.pool) else { throw Self.noEndpoint(endpoint.id) }
            return try JSONBody(["deleted": endpoint.id]).response()
        }
        hooks.post(":hook/test") { request, context -> Response in
            let (endpoint, _) = try await webhookEndpoint(request, context)
            let event = try await WebhookEvents.test(endpoint: endpoint, pool: catalog.pool)
            return try JSONBody(["event": event], status: .accepted).response()
        }
        hooks.post(":hook/enable") { request, context -> Response in
            let (endpoint, reach) = try await webhookEndpoint(request, context)
            guard try await Webhooks.enable(endpoint.id, tenant: reach.only, pool: catalog.pool),
                  let enabled = try await Webhooks.endpoint(endpoint.id, tenant: reach.only, pool: catalog.pool) else { throw Self.noEndpoint(endpoint.id) }
            return try JSONBody(enabled).response()
        }
        hooks.post(":hook/rotate") { request, context -> Response in
            let (endpoint, reach) = try await webhookEndpoint(request, context)
            var hours = 24.0
            if let text = request.uri.queryParameters.get("overlap_hours") {
                guard let asked = Double(text), (0...168).contains(asked) else {
                    throw APIError.badRequest("overlap_hours must be a number of hours from 0 to 168, not '\(text)'")
                }
                hours = asked
            }
            let secret = Webhooks.makeSecret()
            guard try await Webhooks.rotate(endpoint.id, tenant: reach.only, secret: secret, overlap: hours * 3600, pool: catalog.pool),
                  let rotated = try await Webhooks.endpoint(endpoint.id, tenant: reach.only, pool: catalog.pool) else { throw Self.noEndpoint(endpoint.id) }
            return try JSONBody(WebhookSecretAnswer(endpoint: rotated, secret: secret, previousValidUntil: Date().addingTimeInterval(hours * 3600)))
                .response()
        }
    }

    /// Which tenants' endpoints a caller reaches.
    struct WebhookReach {
        /// nil: every tenant's (an admin token).
        let only: String?

        func tenant(asking: String?) throws -> String {
            guard let only else { return asking ?? "" }
            if let asking, asking != only {
                throw APIError(.forbidden, "forbidden", "this token manages the webhooks of tenant '\(only)' only: leave out tenant")
            }
            return only
        }

        func tenant(filtering: String?) throws -> String? {
            guard only != nil else { return filtering }
            return try tenant(asking: filtering)
        }
    }

    /// Webhooks always need a token, open uploads or not.
    func webhookReach(_ request: Request) async throws -> WebhookReach {
        if let given = Access.token(of: request, cookie: false), let caller = try await access.identify(given), caller.allows(.admin) {
            return WebhookReach(only: nil)
        }
        let caller = try await access.require(.upload, request)
        return WebhookReach(only: caller.tenant)
    }

    func webhookEndpoint(_ request: Request, _ context: BasicRequestContext) async throws -> (Webhooks.Endpoint, WebhookReach) {
        let reach = try await webhookReach(request)
        let text = context.parameters.get("hook") ?? ""
        guard let id = Int64(text), id > 0 else { throw APIError.badRequest("'\(text.prefix(40))' is not a webhook endpoint id (a positive number)") }
        guard let endpoint = try await Webhooks.endpoint(id, tenant: reach.only, pool: catalog.pool) else { throw Self.noEndpoint(id) }
        return (endpoint, reach)
    }

    static func noEndpoint(_ id: Int64) -> APIError {
        APIError.notFound("no webhook endpoint \(id) (for this token's tenant): list them with GET /v1/webhooks")
    }

    /// Event names as a client sent them, checked against the ones Reel sends.
    static func eventTypes(_ names: [String]) throws -> [Webhooks.EventType] {
        let known = Webhooks.EventType.subscribable.map(\.rawValue).joined(separator: ", ")
        guard !names.isEmpty, names.count <= 20 else { throw APIError.badRequest("events must name one or more of: \(known)") }
        return try names.map { name -> Webhooks.EventType in
            guard let type = Webhooks.EventType(rawValue: name), type != .test else {
                throw APIError.badRequest("unknown event '\(name.prefix(64))': use \(known)")
            }
            return type
        }
    }
}
