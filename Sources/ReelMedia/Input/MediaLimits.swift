import ReelManifests
/// What Reel agrees to open and how much work one upload may cost.
///
/// An upload is hostile until proven otherwise: these bounds are checked
/// before the first frame is decoded (containers, sizes, duration, streams) and
/// while decoding (frames bigger or later than the probe said, a job's time
/// budget), so a tiny file that claims or decodes to hours of huge frames is
/// refused or stopped, and the worker stays up. The defaults fit short video
/// from phones and browsers; every field is configurable (`REEL_MEDIA_*`,
/// docs/configuration.md).
public struct MediaLimits: Sendable, Hashable, Codable {
    /// Demuxers an upload may be opened with, by FFmpeg's short name (a name
    /// matches a demuxer when it is one of the demuxer's comma-separated
    /// names: "mp4" and "mov" both name `mov,mp4,m4a,3gp,3g2,mj2`). Formats
    /// that name other files (HLS, DASH, concat, SDP, image sequences) must not
    /// be listed: Reel never opens what an upload names, so they could not play.
    public var formats: [String] = ["mov", "matroska", "mpegts"]
    /// Largest coded width and height, in pixels.
    public var maxWidth = 4096
    public var maxHeight = 4096
    /// Largest picture, width × height (4096 × 2304 by default: any 4K frame).
    public var maxPixels = 4096 * 2304
    /// Longest source, in seconds.
    public var maxDuration = 600.0
    /// Highest frame rate, in frames per second.
    public var maxFrameRate = 120.0
    /// Most streams in the container (a phone's MOV has four or five).
    public var maxStreams = 16
    /// Largest source file, in bytes.
    public var maxSourceBytes: Int64 = 4 << 30
    /// A media job may run this many times the source's duration …
    public var budgetMultiple = 20.0
    /// … but never less than this many seconds.
    public var budgetFloor = 300.0

    public init() {}

    public static let standard = MediaLimits()

    /// The seconds one media job of a source this long may run.
    public func budgetSeconds(forDuration duration: Double) -> Double {
        max(budgetFloor, budgetMultiple * max(0, duration))
    }

    /// The latest presentation time a source that declares `duration` may
    /// decode to: its own duration with slack for estimates (MPEG-TS guesses
    /// from the bit rate), never past `maxDuration`.
    public func mediaSeconds(forDuration duration: Double) -> Double {
        guard duration > 0 else { return maxDuration }
        return min(maxDuration, max(duration * 1.5, duration + 10))
    }

    /// Whether `demuxer` (FFmpeg's comma-separated names) is one of `formats`.
    public func accepts(demuxer: String) -> Bool {
        let names = demuxer.split(separator: ",").map(String.init)
        return formats.contains { names.contains($0) }
    }
}
