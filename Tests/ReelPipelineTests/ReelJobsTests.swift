import ReelPipeline
import ReelQueue
import Testing

/// Reel's kinds, declared once: distinct names, the keys the pipeline relies on.
@Suite struct ReelJobsTests {
    @Test func everyKindHasOneNameAndAQueue() {
        let names = ReelJobs.all.map(\.name)
        #expect(Set(names).count == names.count, "a kind is declared twice: \(names)")
        #expect(ReelJobs.all.allSatisfy { !$0.queue.isEmpty && $0.maxAttempts >= 1 })
        #expect(names.count == 22)
    }

    @Test func av1WorkHasAQueueOfItsOwnAndOneJobPerVideo() {
        #expect(ReelJobs.av1.queue == ReelJobs.Queue.reencode && ReelJobs.av1Select.queue == ReelJobs.Queue.reencode)
        #expect(ReelJobs.av1.uniqueKey(VideoJob(video: "AbCdEfGhIjKl")) == "av1.encode:AbCdEfGhIjKl")
        #expect(!ReelJobs.publishing.map(\.queue).contains(ReelJobs.Queue.reencode))
    }

    @Test func thePublishingChainIsKeyedByVideo() throws {
        let job = VideoJob(video: "AbCdEfGhIjKl")
        #expect(ReelJobs.publishing.map(\.name) == ["video.ingest", "video.transcode", "video.package"])
        #expect(ReelJobs.publishing.compactMap { $0.uniqueKey(job) }
                == ["video.ingest:AbCdEfGhIjKl", "video.transcode:AbCdEfGhIjKl", "video.package:AbCdEfGhIjKl"])
        #expect(ReelJobs.publishing.allSatisfy { $0.queue == ReelJobs.Queue.media })
        let request = try ReelJobs.transcode.request(VideoJob(video: "AbCdEfGhIjKl", segmentSeconds: 1))
        #expect(request.args == #"{"segment_seconds":1,"video":"AbCdEfGhIjKl"}"#)
    }

    @Test func edgeJobsAreKeyedByReasonVideoAndEdge() {
        #expect(ReelJobs.warm.uniqueKey(EdgeVideoJob(video: "v", edge: "eu-1", reason: "ready")) == "edge.warm:ready:v:eu-1")
        #expect(ReelJobs.warm.uniqueKey(EdgeVideoJob(video: "v", edge: "eu-1", reason: "popular")) == "edge.warm:popular:v:eu-1")
        #expect(ReelJobs.purge.uniqueKey(EdgeVideoJob(video: "v", edge: "eu-1", reason: "deleted")) == "edge.purge:deleted:v:eu-1")
    }

    @Test func theEdgesPeriodicJobsNameDeclaredKinds() {
        let kinds = Set(ReelJobs.all.map(\.name))
        #expect(ReelJobs.edgePeriodics.map(\.name) == ["edge-stats", "edge-popular"])
        #expect(ReelJobs.edgePeriodics.allSatisfy { kinds.contains($0.kind) && $0.queue == ReelJobs.Queue.edges })
    }
}
