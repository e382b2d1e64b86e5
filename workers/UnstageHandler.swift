import Foundation
import ReelPipeline
import ReelQueue
import ReelStore

/// `upload.unstage` jobs: what an expired upload left staged in the home
/// region's store (an S3 multipart upload and its tail) is removed, so
/// abandoned uploads do not keep bytes in the bucket. Idempotent: what is
/// already gone counts as removed.
struct UnstageHandler: Sendable {
    let regions: Regions

    func register(into handlers: inout JobHandlers) {
        let regions = regions
        handlers.register(ReelJobs.unstage) { job, _ in
            guard let staged = StagedUpload(json: job.staging) else {
                throw JobFailure.permanent("upload \(job.upload)'s staging record is not readable: \(job.staging.prefix(200))")
            }
            guard let staging = regions.home.store.staging else {
                throw JobFailure.permanent("the home region (\(regions.home.name)) stages no uploads here: nothing to remove")
            }
            try await staging.abort(staged)
            return .completed
        }
    }
}
