public import Foundation
import Logging
public import ReelCatalog
import ReelPostgres
public import ReelQueue
public import ReelPipeline
public import ReelStore

/// `replicate` jobs: one per video and destination region. Each copies every
/// object the video references from a region that has it (home first) to the
/// destination, reads the copy back to check its digest, and records it in
/// `object_replicas`. Idempotent: verified copies are skipped, and a copy
/// that exists but no longer hashes right is replaced. A store that cannot be
/// reached fails the job, which retries with backoff; the rows say which
/// objects failed and why.
public struct ReplicationHandlers: Sendable {
    public typealias Args = ReplicateJob

    public let catalog: Catalog
    public let regions: Regions
    /// Where objects too large for memory pass through on their way.
    public let scratch: URL

    public init(catalog: Catalog, regions: Regions, scratch: URL) {
        self.catalog = catalog
        self.regions = regions
        self.scratch = scratch
    }

    public func register(into handlers: inout JobHandlers) {
        let replication = self
        handlers.register(ReelJobs.replicate) { args, context in
            try await replication.replicate(args, logger: context.logger)
            PipelineMetrics.replicated(region: args.region, since: context.job.createdAt)
            return .completed
        }
    }

    func replicate(_ args: Args, logger: Logger) async throws {
        guard let destination = regions[args.region] else {
            throw JobFailure.permanent("region \(args.region) is not configured here (REEL_REGIONS has \(regions.all.map(\.name).joined(separator: ", ")))")
        }
        let digests = try await catalog.unverified(try await catalog.objects(ofVideo: args.video), in: args.region)
        var failed: [(ObjectDigest, StoreError)] = []
        var copied = 0
        copying: for digest in digests {
            try Task.checkCancellation()
            switch await copyFromAnySource(digest, to: destination) {
            case .success(let copy):
                if copy.copied { copied += 1 }
                try await catalog.replicaVerified(digest, in: args.region, bytes: copy.bytes)
            case .failure(let error):
                failed.append((digest, error))
                try await catalog.replicaFailed(digest, in: args.region, error: error.message)
                // A store that cannot be reached fails every object the same way: stop, retry later.
                if error.isTransient { break copying }
            }
        }
        logger.info("replicated", metadata: ["video": "\(args.video)", "region": "\(args.region)", "checked": "\(digests.count)", "copied": "\(copied)"])
        if let (digest, error) = failed.first {
            throw CatalogError("objects of video \(args.video) could not be copied to \(args.region) (\(failed.count) failed, "
                + "\(digests.count - copied - failed.count) left to try); first, \(digest): \(error.message)")
        }
    }

    /// Copies from the home region, or from another region when the home copy is missing or damaged.
    private func copyFromAnySource(_ digest: ObjectDigest, to destination: Region) async -> Result<ObjectCopier.Copy, StoreError> {
        var lastError = StoreError(.notFound, "object \(digest) is in no region")
        for source in regions.readOrder(nearest: regions.home.name) where source.name != destination.name {
            do throws(StoreError) {
                return .success(try await ObjectCopier.copy(digest, from: source.store, to: destination.store, scratch: scratch))
            } catch where error.code == .notFound || error.code == .digestMismatch {
                lastError = error
            } catch {
                return .failure(error)
            }
        }
        return .failure(lastError)
    }
}
