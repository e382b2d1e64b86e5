import Foundation
import Logging
public import ReelCatalog
public import ReelQueue
public import ReelPipeline
public import ReelStore

/// `gc` jobs: walk every region's store and remove objects no live video
/// references, in two steps: an unreferenced object is first noted
/// (`gc_candidates`), and removed only when a later run finds it still
/// unreferenced after the grace period. A deleted video's objects go this
/// way; so do objects left by an upload whose transaction never committed.
public struct GarbageCollectionHandler: Sendable {
    public typealias Args = GarbageJob

    public struct Outcome: Sendable, Hashable {
        public var listed = 0
        public var unreferenced = 0
        public var removed = 0
    }

    public let catalog: Catalog
    public let regions: Regions

    public init(catalog: Catalog, regions: Regions) {
        self.catalog = catalog
        self.regions = regions
    }

    public func register(into handlers: inout JobHandlers) {
        let collector = self
        handlers.register(ReelJobs.collectGarbage) { args, context in
            let outcome = try await collector.collect(grace: .seconds(args.graceSeconds ?? 3600))
            context.logger.info("garbage collected", metadata: [
                "listed": "\(outcome.listed)", "unreferenced": "\(outcome.unreferenced)", "removed": "\(outcome.removed)",
            ])
            return .completed
        }
    }

    public func collect(grace: Duration) async throws -> Outcome {
        var outcome = Outcome()
        for region in regions.all {
            var after: ObjectDigest?
            while true {
                try Task.checkCancellation()
                let page = try await region.store.list(after: after, limit: 1000).map(\.digest)
                guard let last = page.last else { break }
                after = last
                outcome.listed += page.count
                let unreferenced = try await catalog.unreferenced(page)
                outcome.unreferenced += unreferenced.count
                let referenced = Set(page).subtracting(unreferenced)
                try await catalog.gcForget(Array(referenced), in: region.name, removed: false)
                let due = try await catalog.gcMark(unreferenced, in: region.name, grace: grace)
                // Checked again just before removal: a video may have claimed the object meanwhile.
                let removable = try await catalog.unreferenced(due)
                for digest in removable { try await region.store.delete(digest) }
                try await catalog.gcForget(removable, in: region.name, removed: true)
                outcome.removed += removable.count
            }
        }
        return outcome
    }
}
