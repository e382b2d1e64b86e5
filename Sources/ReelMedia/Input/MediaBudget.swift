import Foundation
public import ReelManifests

/// How far one piece of media work may go: a wall-clock deadline and the
/// latest presentation time it may decode to. Checked by the decoders for
/// every frame, on the threads doing the work, so a decompression bomb stops
/// with a readable error instead of holding a worker for hours.
public struct MediaBudget: Sendable, Hashable {
    /// The wall-clock seconds the work may take (nil: unbounded).
    public let seconds: Double?
    /// The latest presentation time, in seconds, a frame may have.
    public let mediaSeconds: Double
    let deadline: ContinuousClock.Instant?

    public init(seconds: Double?, mediaSeconds: Double) {
        self.seconds = seconds
        self.mediaSeconds = mediaSeconds
        deadline = seconds.map { ContinuousClock.now + .milliseconds(Int64(($0 * 1000).rounded())) }
    }

    /// No deadline and no limit on the media's length: for trusted local files (benchmarks, tests).
    public static var unbounded: MediaBudget { MediaBudget(seconds: nil, mediaSeconds: .infinity) }

    /// The budget of one media job on a probed source, started now.
    public static func job(_ info: MediaInfo, limits: MediaLimits) -> MediaBudget {
        MediaBudget(seconds: limits.budgetSeconds(forDuration: info.duration), mediaSeconds: limits.mediaSeconds(forDuration: info.duration))
    }

    /// Throws when the deadline has passed or a frame lies past the media limit.
    func check(presentation seconds: Double) throws(MediaError) {
        if seconds > mediaSeconds {
            throw MediaError(.tooLarge, String(format: "the video goes on past %.0f s, longer than it declares; re-encode it or upload a shorter one", mediaSeconds))
        }
        if let deadline, ContinuousClock.now > deadline {
            throw MediaError(.overBudget, String(format: "stopped after %.1f s, the time budget for a video of this length; the file decodes far more slowly than normal video (re-encode it)", self.seconds ?? 0))
        }
    }
}
