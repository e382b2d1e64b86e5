import Foundation

/// How per-title bit rates are chosen; configuration, not code.
public struct PerTitleConfiguration: Sendable, Hashable, Codable {
    /// The quality every rung should reach, as x264's CRF (lower is better).
    /// 21, measured (scripts/bench/efficiency.sh): natural footage then gets
    /// the fixed ladder's quality or better for the same bytes, and easy
    /// content a third to a half of its bytes; 23, x264's default, saved more
    /// but lost up to 1 dB XPSNR on natural footage.
    public var crf: Double
    /// Bit rate over what the constant-quality samples spent: a bit-rate
    /// encode spreads bits less well than CRF does, and the samples are a
    /// small part of the video.
    public var headroom: Double
    /// No rung gets less than this share of the fixed ladder's bit rate for it
    /// (a floor, so a sample that happened to be still cannot starve a video).
    public var floor: Double
    /// No rung gets more than this share of the fixed ladder's bit rate for it
    /// (the ceiling: hard content keeps what the fixed ladder gives).
    public var ceiling: Double
    /// A rung is left out when the rung above it costs less than this many
    /// times its bit rate: a viewer who can fetch one can nearly fetch the
    /// other, so the rung adds a switch and storage but no picture. The
    /// lowest and the highest rung are always kept.
    public var minimumStep: Double

    public init(crf: Double = 21, headroom: Double = 1.1, floor: Double = 0.15, ceiling: Double = 1, minimumStep: Double = 1.3) {
        self.crf = crf
        self.headroom = headroom
        self.floor = floor
        self.ceiling = ceiling
        self.minimumStep = minimumStep
    }

    public static let standard = PerTitleConfiguration()
}

/// The per-title choice for one video: what was measured, what each rung
/// gets, and which rungs were left out and why. Stored with the video.
public struct PerTitlePlan: Sendable, Hashable, Codable {
    public struct Choice: Sendable, Hashable, Codable {
        public let rung: String
        /// What the fixed ladder gives this rung, bits/s.
        public let fixed: Int
        /// What the samples spent at the target quality, bits/s.
        public let measured: Int
        /// The bit rate chosen (0 when left out).
        public let chosen: Int
        /// Why it was left out, or bounded ("floor", "ceiling"); nil when the measurement decided.
        public let note: String?
    }

    /// The ladder to encode: the kept rungs with their chosen bit rates, largest first.
    public let rungs: [Rung]
    public let choices: [Choice]
    public let configuration: PerTitleConfiguration

    /// Bits per second of the whole ladder against the fixed one's.
    public var ladderRatio: Double {
        let fixed = choices.reduce(0) { $0 + $1.fixed }
        return fixed > 0 ? Double(choices.reduce(0) { $0 + $1.chosen }) / Double(fixed) : 1
    }
}

/// Why a per-title plan cannot be made (the caller keeps the fixed ladder).
public struct PerTitleError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
}

/// Turns a source's measured difficulty into each rung's bit rate: the
/// constant-quality samples' bit rate with some headroom, between a floor and
/// a ceiling of the fixed ladder's, and leaves out rungs that would add
/// nothing. Pure: unit-tested without media.
public enum PerTitlePlanner {
    /// `fixed` is the fixed ladder (``LadderPlanner``), `measured` the samples'
    /// bits per second by rung name at `configuration.crf`.
    public static func plan(
        fixed: [Rung], measured: [String: Int], configuration: PerTitleConfiguration = .standard
    ) throws(PerTitleError) -> PerTitlePlan {
        guard !fixed.isEmpty else { throw PerTitleError(description: "the fixed ladder has no rungs") }
        let largestFirst = fixed.sorted { $0.width * $0.height > $1.width * $1.height }
        var bitrates: [(Rung, Int, Int, String?)] = []  // rung, measured, chosen, note
        for rung in largestFirst {
            guard let spent = measured[rung.name], spent > 0 else {
                throw PerTitleError(description: "no measurement for rung \(rung.name)")
            }
            let wanted = Double(spent) * configuration.headroom
            let low = Double(rung.bitrate) * configuration.floor, high = Double(rung.bitrate) * configuration.ceiling
            let note: String? = wanted < low ? "floor" : wanted > high ? "ceiling" : nil
            let chosen = max(100_000, Int((min(max(wanted, low), high) / 1000).rounded()) * 1000)
            bitrates.append((rung, spent, chosen, note))
        }
        // From the top down: a rung within `minimumStep` of the last kept one above it adds nothing.
        var kept: [Rung] = []
        var choices: [PerTitlePlan.Choice] = []
        var above: (name: String, bitrate: Int)?
        for (index, (rung, spent, chosen, note)) in bitrates.enumerated() {
            let lowest = index == bitrates.count - 1
            if let above, !lowest, Double(above.bitrate) < Double(chosen) * configuration.minimumStep {
                let step = Double(above.bitrate) / Double(chosen)
                choices.append(.init(rung: rung.name, fixed: rung.bitrate, measured: spent, chosen: 0,
                                     note: "left out: \(above.name) costs only \(String(format: "%.2f", step))× its bit rate"))
                continue
            }
            let peak = rung.bitrate > 0 ? Double(rung.maxBitrate) / Double(rung.bitrate) : 1.5
            kept.append(Rung(name: rung.name, width: rung.width, height: rung.height, bitrate: chosen,
                             maxBitrate: Int(Double(chosen) * peak)))
            choices.append(.init(rung: rung.name, fixed: rung.bitrate, measured: spent, chosen: chosen, note: note))
            above = (rung.name, chosen)
        }
        return PerTitlePlan(rungs: kept, choices: choices, configuration: configuration)
    }
}

/// What a source costs to encode at a fixed quality: the bit rate x264 spends
/// on a few short samples of it at each rung's size with a constant quality
/// (CRF) instead of a bit rate. A still talking head needs a fraction of what
/// noise or fast sport needs for the same picture; a fixed ladder gives both
/// the same bits. ``PerTitlePlanner`` turns this into each rung's bit rate.
public struct ComplexityMeasurement: Sendable, Hashable, Codable {
    /// The constant quality the samples were encoded at (x264 CRF).
    public let crf: Double
    /// Where each sample starts in the source, in seconds.
    public let samples: [Double]
    /// How long each sample is, in seconds.
    public let sampleSeconds: Double
    /// Bits per second each rung spent on the samples at `crf`, by rung name.
    public let bitrates: [String: Int]
    /// How long the measurement took, in seconds of wall time.
    public let seconds: Double

    public init(crf: Double, samples: [Double], sampleSeconds: Double, bitrates: [String: Int], seconds: Double) {
        self.crf = crf
        self.samples = samples
        self.sampleSeconds = sampleSeconds
        self.bitrates = bitrates
        self.seconds = seconds
    }
}

/// What per-title planning decided for one video, as it is stored with it:
/// the measurement and the plan, or why the fixed ladder was kept.
public struct PerTitleRecord: Sendable, Hashable, Codable {
    public let measurement: ComplexityMeasurement?
    public let plan: PerTitlePlan?
    /// Why the fixed ladder was kept for the rungs above the lowest, when it was.
    public let fallback: String?

    public init(measurement: ComplexityMeasurement?, plan: PerTitlePlan?, fallback: String?) {
        self.measurement = measurement
        self.plan = plan
        self.fallback = fallback
    }
}
