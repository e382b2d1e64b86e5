public import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import ReelManifests

/// Ladders made for videos already playing (AV1 for the popular ones): the
/// same ``LadderTranscoder``, on a thread of its own at the lowest CPU
/// priority, so a worker that also publishes uploads gives them its cores
/// first and a new upload turns playable as fast as on an idle machine.
public enum BackgroundLadder {
    /// How the encode shares the cores: `lowest` in a worker; `normal` when
    /// measuring it alone (`reel transcode --codec av1`, the benchmarks).
    public enum Priority: Sendable { case lowest, normal }

    /// Encodes `rungs` with `codec` (video only) into `root`, one folder per rung.
    public static func encode(
        path: String, info: MediaInfo, rungs: [Rung], codec: VideoCodec, to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2,
        limits: MediaLimits = .standard, budget: MediaBudget = .unbounded, priority: Priority = .lowest
    ) async throws -> [RungOutput] {
        try await onOwnThread(name: "reel-background-ladder") {
            if priority == .lowest { lowestPriority() }
            return try LadderTranscoder.transcode(path, info: info, rungs: rungs, to: root, segmentSeconds: segmentSeconds, threads: threads,
                                                  limits: limits, budget: budget, codec: codec)
        }
    }

    /// Lowers the calling thread to nice 19. On Linux the nice value belongs
    /// to the thread and is inherited by the threads it starts: the rungs'
    /// lanes and the encoder's own workers (SVT-AV1 starts its threads when opened).
    static func lowestPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #endif
    }
}
