public import Foundation
public import ReelCatalog
import ReelEdge
public import ReelQueue
public import ReelStore
public import ReelMedia
public import ReelManifests

/// Every handler Reel ships, by kind: what `reel worker` runs and what
/// `reel submit` accepts.
public enum ReelHandlers {
    public static var all: JobHandlers { all() }

    /// Every handler; with the catalog and regions also those that publish
    /// uploads (`video.*`), replicate them (`replicate`) and drive the edges
    /// (`edge.*`, whose PURGE and BAN carry `edgeToken`: REEL_EDGE_TOKEN).
    /// With signed playback, `playbackSignature` signs the edges' warm fetches.
    /// `perTitle` gives uploads their own bit rates (nil: the fixed ladder; REEL_PER_TITLE);
    /// `av1` says how popular videos get AV1 renditions (`av1.*`; REEL_AV1_*).
    /// `objects.scrub` re-hashes `scrubRate` stored copies a second (REEL_SCRUB_RATE).
    /// With the catalog, `webhook.deliver` posts events as `webhooks` says;
    /// with the regions too, `upload.unstage` removes expired uploads' staged bytes.
    /// The demonstration handlers (`DemoHandlers`: `crash` exits the process)
    /// only with `demo`, which production workers never set.
    public static func all(
        catalog: Catalog? = nil, regions: Regions? = nil, scratch: URL? = nil, edgeToken: String = "", warmSegments: Int = 3,
        limits: MediaLimits = .standard, perTitle: PerTitleConfiguration? = nil, av1: AV1Configuration = .standard, demo: Bool = false,
        scrubRate: Double = 2,
        playbackSignature: (@Sendable (_ video: String) -> String)? = nil, webhooks: WebhookDeliverySettings = WebhookDeliverySettings()
    ) -> JobHandlers {
        var handlers = JobHandlers()
        if demo { DemoHandlers.register(into: &handlers) }
        MediaHandlers.register(into: &handlers, limits: limits)
        if let catalog, let regions, let scratch {
            PublishingHandlers(catalog: catalog, regions: regions, scratch: scratch, limits: limits, perTitle: perTitle)
                .register(into: &handlers)
            AV1Handlers(catalog: catalog, regions: regions, scratch: scratch, limits: limits, configuration: av1).register(into: &handlers)
            ReplicationHandlers(catalog: catalog, regions: regions, scratch: scratch).register(into: &handlers)
            UnstageHandler(regions: regions).register(into: &handlers)
            GarbageCollectionHandler(catalog: catalog, regions: regions).register(into: &handlers)
            ObjectScrubber(catalog: catalog, regions: regions, scratch: scratch).register(into: &handlers, rate: scrubRate)
            EdgeHandlers(catalog: catalog, client: EdgeClient(token: edgeToken), firstSegments: warmSegments, signature: playbackSignature)
                .register(into: &handlers)
        }
        if let catalog { WebhookHandlers(catalog: catalog, settings: webhooks).register(into: &handlers) }
        return handlers
    }
}
