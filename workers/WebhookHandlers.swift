import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ReelCatalog
public import ReelPipeline
import ReelQueue
import ReelThreads

/// How webhook deliveries behave (`reel worker` reads it from the environment).
public struct WebhookDeliverySettings: Sendable {
    /// Seconds one attempt may take, connection and answer included; a slow
    /// endpoint fails the attempt instead of holding the worker.
    public var timeout: Double = 15
    /// Seconds an endpoint may fail every delivery before it is disabled.
    public var disableAfter: Double = 5 * 24 * 3600
    /// Where deliveries may go.
    public var addresses = WebhookAddressPolicy()

    public init(timeout: Double = 15, disableAfter: Double = 5 * 24 * 3600, addresses: WebhookAddressPolicy = WebhookAddressPolicy()) {
        self.timeout = timeout
        self.disableAfter = disableAfter
        self.addresses = addresses
    }
}

/// Standard Webhooks signatures (https://www.standardwebhooks.com): the
/// secret is `whsec_` + base64 key; the signed content is
/// `{webhook-id}.{webhook-timestamp}.{body}`; a signature is `v1,` + base64
/// HMAC-SHA256, several separated by spaces while a rotation keeps two secrets.
public enum WebhookSignature {
    public static func sign(secrets: [String], id: String, timestamp: Int, body: String) -> String {
        secrets.compactMap { secret -> String? in
            let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
            guard let key = Data(base64Encoded: encoded) else { return nil }
            let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: SymmetricKey(data: key))
            return "v1," + Data(mac).base64EncodedString()
        }.joined(separator: " ")
    }
}

/// The `webhook.deliver` handler: one signed POST of one event to one
/// endpoint, each attempt recorded; a failure is retried by the queue with
/// the kind's backoff, and an endpoint failing for longer than
/// `disableAfter` is disabled.
struct WebhookHandlers {
    let catalog: Catalog
    let settings: WebhookDeliverySettings

    func register(into handlers: inout JobHandlers) {
        handlers.register(ReelJobs.deliverWebhook) { job, context in try await deliver(job, context) }
    }

    func deliver(_ job: WebhookJob, _ context: JobContext) async throws -> JobResult {
        guard let delivery = try await Webhooks.delivery(event: job.event, endpoint: job.endpoint, pool: catalog.pool) else {
            return .completed  // The endpoint was removed (or the event pruned): nothing is owed.
        }
        guard !delivery.disabled else {
            throw JobFailure.permanent("endpoint \(job.endpoint) is disabled; enable it (reel webhooks enable \(job.endpoint)) and retry this job")
        }
        let started = ContinuousClock.now
        let outcome = await send(delivery)
        let elapsed = started.duration(to: .now)
        let milliseconds = elapsed.seconds * 1000
        let disabled = try await Webhooks.recordAttempt(
            Webhooks.Attempt(eventID: job.event, endpointID: job.endpoint, attempt: context.job.attempt, status: outcome.status,
                             latencyMilliseconds: milliseconds, response: outcome.excerpt, succeeded: outcome.succeeded),
            disableAfter: settings.disableAfter, pool: catalog.pool)
        if outcome.succeeded { return .completed }
        let why = outcome.status.map { "the endpoint answered \($0)" } ?? outcome.excerpt
        if disabled {
            context.logger.warning("webhook endpoint disabled after failing too long", metadata: ["endpoint": "\(job.endpoint)"])
            throw JobFailure.permanent("\(why); endpoint \(job.endpoint) is now disabled (reel webhooks enable \(job.endpoint))")
        }
        throw WebhookDeliveryError(description: why)
    }

    struct Outcome {
        var status: Int?
        var excerpt: String
        var succeeded: Bool { status.map { (200..<300).contains($0) } ?? false }
    }

    /// The POST, within the timeout, to the address the policy checked. A
    /// redirect is not followed: its 3xx is recorded as a failed attempt.
    func send(_ delivery: Webhooks.Delivery) async -> Outcome {
        let target: WebhookAddressPolicy.Target
        do { target = try await settings.addresses.vet(delivery.url) } catch { return Outcome(status: nil, excerpt: "refused: \(error.description)") }
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Reel-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.eventID)
        request.headers.add(name: "webhook-timestamp", value: "\(timestamp)")
        request.headers.add(name: "webhook-signature",
                            value: WebhookSignature.sign(secrets: delivery.secrets, id: delivery.eventID, timestamp: timestamp, body: delivery.payload))
        request.body = .bytes(ByteBuffer(string: delivery.payload))
        do {
            let client = await WebhookClients.shared.client(for: target, timeout: settings.timeout)
            let deadline = ContinuousClock.now + .milliseconds(Int64(settings.timeout * 1000))
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
            let status = Int(response.status.code)
            if response.headers.first(name: "content-length") == "0" { return Outcome(status: status, excerpt: "") }
            // The answer's first bytes, read within what is left of the timeout: a body that
            // trickles in cannot hold the worker either.
            let excerpt = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    var excerpt = ByteBuffer()
                    for try await part in response.body {
                        var part = part
                        excerpt.writeBuffer(&part)
                        if excerpt.readableBytes >= 500 { break }  // a record, not the whole answer
                    }
                    return String(buffer: excerpt).prefix(500).description
                }
                group.addTask {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            return Outcome(status: status, excerpt: excerpt ?? "(the answer's body did not arrive within \(settings.timeout) s)")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return Outcome(status: nil, excerpt: "no answer within \(settings.timeout) s")
        } catch {
            return Outcome(status: nil, excerpt: "could not deliver: \(String(describing: error).prefix(200))")
        }
    }
}

struct WebhookDeliveryError: Error, CustomStringConvertible {
    let description: String
}

/// HTTP clients for webhook deliveries, one per checked (host, address): each
/// connects only to the address the policy approved (its DNS is overridden)
/// and keeps its connections alive between deliveries to the same endpoint.
/// Process-wide, so clients outlive every handler and are never dropped
/// unclosed; the least recently used is shut down past ``capacity``.
actor WebhookClients {
    static let shared = WebhookClients()
    static let capacity = 64

    private var clients: [String: (client: HTTPClient, used: ContinuousClock.Instant)] = [:]

    func client(for target: WebhookAddressPolicy.Target, timeout: Double) -> HTTPClient {
        let key = "\(target.host)=\(target.address)/\(timeout)"
        if let known = clients[key] {
            clients[key]?.used = .now
            return known.client
        }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .milliseconds(Int64(min(timeout, 5) * 1000)), read: .milliseconds(Int64(timeout * 1000)))
        configuration.decompression = .disabled
        if IPAddress(target.host) == nil { configuration.dnsOverride = [target.host: target.address] }
        let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
        clients[key] = (client, .now)
        if clients.count > Self.capacity, let oldest = clients.min(by: { $0.value.used < $1.value.used }) {
            clients[oldest.key] = nil
            let retired = oldest.value.client
            Task { try? await retired.shutdown() }
        }
        return client
    }
}
