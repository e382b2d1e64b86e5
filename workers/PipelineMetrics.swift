import CoreMetrics
import Foundation
import ReelThreads

/// What the pipeline's handlers record for `/metrics`, through swift-metrics.
enum PipelineMetrics {
    /// `reel_transcode_speed`: seconds of video transcoded per second of
    /// wall time, per transcode job (a histogram: 4 means four times real time).
    static func transcoded(videoSeconds: Double, took: Duration) {
        let seconds = took.seconds
        guard videoSeconds > 0, seconds > 0 else { return }
        Recorder(label: "reel_transcode_speed", aggregate: true).record(videoSeconds / seconds)
    }

    /// `reel_replication_lag_seconds{region}`: from the replicate job's
    /// creation (the video's objects existed at home) to every copy verified
    /// in `region`; includes time spent waiting and retrying.
    static func replicated(region: String, since created: Date) {
        Timer(label: "reel_replication_lag_seconds", dimensions: [("region", region)])
            .recordSeconds(max(0, Date().timeIntervalSince(created)))
    }
}
