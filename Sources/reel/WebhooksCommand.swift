import ArgumentParser
import Foundation
import ReelCatalog
import ReelPipeline
import ReelWorkers

/// `reel webhooks`: endpoints that hear about videos (docs/integrating.md).
/// The API's `/v1/webhooks` does the same for an app's backend.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Register, list, test and remove webhook endpoints; see each one's delivery attempts.",
        subcommands: [List.self, Add.self, Remove.self, Test.self, Enable.self, Rotate.self, Attempts.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every endpoint (never its secret: only its first characters).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this tenant's endpoints.")
        var tenant: String?

        func run() async throws {
            let endpoints = try await database.withPool(size: 1) { try await Webhooks.list(tenant: tenant, pool: $0) }
            if output.json { return try CLI.printJSON(endpoints) }
            CLI.printTable(
                ["id", "tenant", "url", "events", "secret", "state", "created"],
                endpoints.map {
                    let state = $0.disabledAt != nil ? "disabled (\($0.disabledReason ?? ""))" : $0.failingSince.map { "failing since \(CLI.format($0))" } ?? "ok"
                    return [String($0.id), $0.tenant, $0.url, $0.events.joined(separator: ","), $0.secretPrefix + "…", state, CLI.format($0.createdAt)]
                })
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an endpoint and print its signing secret once (whsec_…): the receiver verifies every delivery with it.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Where to POST events (https; plain http only to networks REEL_WEBHOOK_ALLOW_NETWORKS allows).")
        var url: String
        @Option(name: .customLong("event"), parsing: .upToNextOption,
                help: "An event it wants: video.created, video.playable, video.ready, video.failed, video.deleted, upload.expired (repeatable).")
        var events: [String] = []
        @Option(help: "The tenant whose videos it hears about.")
        var tenant = ""
        @Option(help: "A note for the operator.")
        var description = ""

        func run() async throws {
            let types = try events.flatMap { $0.split(separator: ",") }.map { name in
                guard let type = Webhooks.EventType(rawValue: String(name)), type != .test else {
                    throw CLIError("unknown event '\(name)': use \(Webhooks.EventType.subscribable.map(\.rawValue).joined(separator: ", "))")
                }
                return type
            }
            guard !types.isEmpty else {
                throw CLIError("name the events it wants with --event (\(Webhooks.EventType.subscribable.map(\.rawValue).joined(separator: ", ")))")
            }
            do { _ = try await WebhookSettingsEnvironment.addresses().vet(url) } catch let error as WebhookAddressError { throw CLIError(error.description) }
            let secret = Webhooks.makeSecret()
            let endpoint = try await database.withPool(size: 1) {
                try await Webhooks.add(tenant: tenant, url: url, events: types, description: description, secret: secret, pool: $0)
            }
            if output.json { return try CLI.printJSON(["id": "\(endpoint.id)", "secret": secret]) }
            print("endpoint \(endpoint.id): \(endpoint.url) for \(endpoint.events.joined(separator: ", "))")
            print("secret (shown once; the receiver verifies signatures with it): \(secret)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an endpoint; its pending deliveries end.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The endpoint's id.")
        var id: Int64

        func run() async throws {
            guard try await database.withPool(size: 1, { try await Webhooks.remove(id, tenant: nil, pool: $0) }) else {
                throw CLIError("no webhook endpoint \(id): see `reel webhooks list`")
            }
            print("removed endpoint \(id)")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a webhook.test event to an endpoint (a worker serving the webhooks queue delivers it); see it with `reel webhooks attempts`.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The endpoint's id.")
        var id: Int64
        @Option(help: "How many test events (the webhook benchmark sends many).")
        var count = 1
        @Option(help: "Seconds between them, each in its own transaction.")
        var interval = 0.0

        func run() async throws {
            let events = try await database.withPool(size: 1) { pool -> [String] in
                guard let endpoint = try await Webhooks.endpoint(id, tenant: nil, pool: pool) else {
                    throw CLIError("no webhook endpoint \(id): see `reel webhooks list`")
                }
                var sent: [String] = []
                for index in 0..<max(1, count) {
                    if index > 0, interval > 0 { try await Task.sleep(for: .seconds(interval)) }
                    sent.append(try await WebhookEvents.test(endpoint: endpoint, pool: pool))
                }
                return sent
            }
            if events.count == 1 { print("queued test event \(events[0]) for endpoint \(id)") } else {
                print("queued \(events.count) test events for endpoint \(id)")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable an endpoint disabled after failing too long; then `reel jobs retry --kind webhook.deliver --state discarded` resends what it missed.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The endpoint's id.")
        var id: Int64

        func run() async throws {
            guard try await database.withPool(size: 1, { try await Webhooks.enable(id, tenant: nil, pool: $0) }) else {
                throw CLIError("no webhook endpoint \(id): see `reel webhooks list`")
            }
            print("enabled endpoint \(id)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give an endpoint a new secret (printed once); the old one keeps signing too for --overlap-hours, so the receiver switches without a gap.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The endpoint's id.")
        var id: Int64
        @Option(help: "Hours both secrets sign.")
        var overlapHours = 24.0

        func run() async throws {
            let secret = Webhooks.makeSecret()
            guard try await database.withPool(size: 1, {
                try await Webhooks.rotate(id, tenant: nil, secret: secret, overlap: max(0, overlapHours) * 3600, pool: $0)
            }) else {
                throw CLIError("no webhook endpoint \(id): see `reel webhooks list`")
            }
            print("new secret for endpoint \(id) (the old one also signs for \(overlapHours) h): \(secret)")
        }
    }

    struct Attempts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An endpoint's latest delivery attempts: status, latency, the answer's first bytes.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The endpoint's id.")
        var id: Int64
        @Option(help: "How many.")
        var limit = 20

        func run() async throws {
            let attempts = try await database.withPool(size: 1) { try await Webhooks.attempts(endpoint: id, limit: max(1, limit), pool: $0) }
            if output.json { return try CLI.printJSON(attempts) }
            CLI.printTable(["at", "event", "attempt", "status", "ms", "ok", "answer"], attempts.map {
                [CLI.format($0.at), $0.eventID, String($0.attempt), $0.status.map(String.init) ?? "-", String(format: "%.1f", $0.latencyMilliseconds),
                 $0.succeeded ? "yes" : "no", String($0.response.prefix(60)).replacingOccurrences(of: "\n", with: " ")]
            })
        }
    }
}

/// The webhook settings of `reel worker` and `reel api`, from the environment.
enum WebhookSettingsEnvironment {
    static func addresses() throws -> WebhookAddressPolicy {
        do { return try WebhookAddressPolicy.fromEnvironment() } catch { throw CLIError("REEL_WEBHOOK_ALLOW_NETWORKS: \(error.description)") }
    }

    static func delivery() throws -> WebhookDeliverySettings {
        WebhookDeliverySettings(
            timeout: try EnvironmentNumber.read("REEL_WEBHOOK_TIMEOUT_SECONDS", atLeast: 0.1) ?? 15,
            disableAfter: (try EnvironmentNumber.read("REEL_WEBHOOK_DISABLE_AFTER_HOURS", atLeast: 0.0) ?? 120) * 3600,
            addresses: try addresses())
    }
}
