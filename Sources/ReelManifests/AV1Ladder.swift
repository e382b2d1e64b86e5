import Foundation

/// How popular videos get their AV1 renditions; configuration, not code
/// (`REEL_AV1_RATE`, `REEL_AV1_BUDGET`; the play threshold is the
/// `av1.select` periodic job's arguments).
public struct AV1Configuration: Sendable, Hashable, Codable {
    /// Each AV1 rung's bit rate as a share of what its H.264 rendition really
    /// spent (its bytes over its duration, per-title or fixed): with half its
    /// bits SVT-AV1 (preset 9) gives viewers x264 veryfast's picture or better
    /// over scripts/bench/efficiency.sh's clips (0.3 dB less rung for rung,
    /// but lower peaks let a viewer fetch a larger rung).
    public var rateFactor: Double
    /// Wall-clock seconds the encode may take per second of video, never less
    /// than `budgetFloor`: an encode past it stops, records why, and the
    /// H.264 ladder plays on.
    public var budgetPerSecond: Double
    public var budgetFloor: Double

    public init(rateFactor: Double = 0.5, budgetPerSecond: Double = 30, budgetFloor: Double = 300) {
        self.rateFactor = rateFactor
        self.budgetPerSecond = budgetPerSecond
        self.budgetFloor = budgetFloor
    }

    public static let standard = AV1Configuration()

    /// The encode's time budget for a video of `duration` seconds.
    public func budgetSeconds(forDuration duration: Double) -> Double {
        max(budgetFloor, budgetPerSecond * max(0, duration))
    }
}

/// The AV1 ladder of a published video: one AV1 rung per H.264 video
/// rendition, the same size, on the same segment grid, named `{rung}-av1`
/// so both sit in one catalog, one HLS master and one MPD.
public enum AV1Ladder {
    static let suffix = "-av1"

    /// The AV1 rendition's name for an H.264 rung: "720p" → "720p-av1".
    public static func name(of rung: String) -> String { rung + suffix }

    /// True for the name of an AV1 rendition.
    public static func isAV1(_ rendition: String) -> Bool { rendition.hasSuffix(suffix) && rendition.count > suffix.count }

    /// The AV1 rungs for a planned H.264 ladder before anything is encoded
    /// (`reel transcode --codec av1`, the benchmarks): its bit rates times `rateFactor`.
    public static func rungs(forPlanned planned: [Rung], configuration: AV1Configuration) -> [Rung] {
        planned.map {
            Rung(name: name(of: $0.name), width: $0.width, height: $0.height, bitrate: Int(Double($0.bitrate) * configuration.rateFactor),
                 maxBitrate: Int(Double($0.maxBitrate) * configuration.rateFactor))
        }
    }

    /// What one published H.264 rendition measured: its size and the bits it really spent.
    public struct Published: Sendable, Hashable {
        public let name: String
        public let width: Int
        public let height: Int
        public let bytes: Int64
        public let seconds: Double

        public init(name: String, width: Int, height: Int, bytes: Int64, seconds: Double) {
            self.name = name
            self.width = width
            self.height = height
            self.bytes = bytes
            self.seconds = seconds
        }

        var bitrate: Int { seconds > 0 ? Int(Double(bytes) * 8 / seconds) : 0 }
    }

    /// The AV1 rungs for `published` (largest first): each at `rateFactor`
    /// of its H.264 rendition's real bit rate (at least 30 kb/s), peaking at
    /// 1.5 times that. Throws when there is nothing to encode.
    public static func rungs(for published: [Published], configuration: AV1Configuration) throws(MediaError) -> [Rung] {
        let rungs = published.filter { !isAV1($0.name) && $0.width > 0 && $0.height > 0 && $0.bitrate > 0 }
            .sorted { $0.width * $0.height > $1.width * $1.height }
            .map { h264 -> Rung in
                let bitrate = max(30_000, Int(Double(h264.bitrate) * configuration.rateFactor))
                return Rung(name: name(of: h264.name), width: h264.width, height: h264.height, bitrate: bitrate,
                            maxBitrate: bitrate * 3 / 2)
            }
        guard !rungs.isEmpty else { throw MediaError(.unsupported, "the video has no published H.264 rendition to match in AV1") }
        return rungs
    }
}

/// What happened to a video's AV1 renditions, stored with it (`videos.av1`):
/// queued because of its plays, published (each rung's bytes against its
/// H.264 rendition's), or failed and why. The H.264 ladder plays throughout.
public struct AV1Record: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        case queued, published, failed
    }

    public struct RungBytes: Sendable, Hashable, Codable {
        public let rung: String
        public let bitrate: Int
        public let bytes: Int64
        public let h264Bytes: Int64

        public init(rung: String, bitrate: Int, bytes: Int64, h264Bytes: Int64) {
            self.rung = rung
            self.bitrate = bitrate
            self.bytes = bytes
            self.h264Bytes = h264Bytes
        }

        enum CodingKeys: String, CodingKey {
            case rung, bitrate, bytes
            case h264Bytes = "h264_bytes"
        }
    }

    public var state: State
    /// Plays when the video was chosen (nil when an operator asked for it).
    public var plays: Int?
    public var rungs: [RungBytes]?
    /// Wall-clock seconds the encode took.
    public var seconds: Double?
    public var error: String?

    public init(state: State, plays: Int? = nil, rungs: [RungBytes]? = nil, seconds: Double? = nil, error: String? = nil) {
        self.state = state
        self.plays = plays
        self.rungs = rungs
        self.seconds = seconds
        self.error = error
    }

    /// The AV1 ladder's bytes over the H.264 renditions' it matches.
    public var bytesRatio: Double? {
        guard let rungs, !rungs.isEmpty else { return nil }
        let h264 = rungs.reduce(Int64(0)) { $0 + $1.h264Bytes }
        return h264 > 0 ? Double(rungs.reduce(Int64(0)) { $0 + $1.bytes }) / Double(h264) : nil
    }
}
