import Foundation

/// How per-title bit rates are chosen; configuration, not code.
public struct PerTitleConfiguration: Sendable, Hashable, Codable {
    /// The quality every rung should reach, as x264's CRF (lower is better):
    /// each rung gets the picture its own size has at this CRF, on whichever
    /// size gives it for the fewest bits. 21, measured
    /// (scripts/bench/efficiency.sh): natural footage then gets the fixed
    /// ladder's quality or better for the same bytes, and easy content a third
    /// to a half of its bytes; 23, x264's default, saved more but lost up to
    /// 1 dB XPSNR on natural footage.
    public var crf: Double
    /// The probe's second encode is this much above `crf` (fewer bits), so
    /// each size's quality is known at two bit rates and in between.
    public var spread: Double
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
    /// dB of picture a rung may give up against what its ceiling would buy,
    /// where that saves at least half the bits: where doubling the bits buys
    /// less than this (noise, grain), the rung stops at the bit rate within
    /// this much of the ceiling's picture.
    public var tolerance: Double

    public init(
        crf: Double = 21, spread: Double = 8, headroom: Double = 1.1, floor: Double = 0.15, ceiling: Double = 1,
        minimumStep: Double = 1.3, tolerance: Double = 0.5
    ) {
        self.crf = crf
        self.spread = spread
        self.headroom = headroom
        self.floor = floor
        self.ceiling = ceiling
        self.minimumStep = minimumStep
        self.tolerance = tolerance
    }

    /// Stored plans from before `spread` and `tolerance` existed still read.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let standard = PerTitleConfiguration()
        self.init(crf: try c.decode(Double.self, forKey: .crf), spread: try c.decodeIfPresent(Double.self, forKey: .spread) ?? standard.spread,
                  headroom: try c.decode(Double.self, forKey: .headroom), floor: try c.decode(Double.self, forKey: .floor),
                  ceiling: try c.decode(Double.self, forKey: .ceiling), minimumStep: try c.decode(Double.self, forKey: .minimumStep),
                  tolerance: try c.decodeIfPresent(Double.self, forKey: .tolerance) ?? standard.tolerance)
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
        /// The picture size used for this rung when it is not the rung's own
        /// (a smaller or larger one looks better at this bit rate), by rung name.
        public let size: String?
        /// The picture predicted at the display size at the chosen bit rate,
        /// luma PSNR in dB (nil without quality measurements).
        public let psnr: Double?

        public init(rung: String, fixed: Int, measured: Int, chosen: Int, note: String?, size: String? = nil, psnr: Double? = nil) {
            self.rung = rung
            self.fixed = fixed
            self.measured = measured
            self.chosen = chosen
            self.note = note
            self.size = size
            self.psnr = psnr
        }
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

/// Turns a source's measured difficulty into each rung's size and bit rate.
///
/// Each rung of the fixed ladder is a slot for viewers of about its bit rate.
/// Its bit rate is what the samples spent at the target quality, with some
/// headroom, between a floor and a ceiling of the fixed ladder's. With
/// quality curves (``QualityCurve``, the samples' picture at the display
/// size), the slot also takes the picture size that looks best at its
/// ceiling (the convex hull of Netflix's per-title encoding: a soft or
/// upscaled source looks better at a smaller size for the same bits), aims at
/// the picture its own size has at the target quality, and stops where more
/// bits would buy less than the configured tolerance. Slots that would repeat
/// a size already in the ladder, or add nothing, are left out. Pure:
/// unit-tested without media.
public enum PerTitlePlanner {
    /// `fixed` is the fixed ladder (``LadderPlanner``), `measured` the samples'
    /// bits per second by rung name at `configuration.crf`, `curves` their
    /// quality by rung name (without them every rung keeps its own size).
    public static func plan(
        fixed: [Rung], measured: [String: Int], curves: [String: QualityCurve] = [:], configuration: PerTitleConfiguration = .standard
    ) throws(PerTitleError) -> PerTitlePlan {
        guard !fixed.isEmpty else { throw PerTitleError(description: "the fixed ladder has no rungs") }
        let largestFirst = fixed.sorted { $0.width * $0.height > $1.width * $1.height }
        for rung in largestFirst where (measured[rung.name] ?? 0) <= 0 {
            throw PerTitleError(description: "no measurement for rung \(rung.name)")
        }
        // From the top down, each slot picks among the sizes no larger than the
        // rung kept above it. A size already in the ladder may come again at a
        // lower bit rate (as in Apple's HLS ladders), named with its rate.
        // A slot within `minimumStep` of a kept rung adds nothing.
        var kept: [Rung] = []
        var choices: [PerTitlePlan.Choice] = []
        let lowestRung = largestFirst[largestFirst.count - 1]
        for (index, rung) in largestFirst.enumerated() {
            let lowest = index == largestFirst.count - 1
            let allowed = lowest ? [rung] : largestFirst.filter { size in
                kept.allSatisfy { size.width * size.height <= $0.width * $0.height }
            }
            let slot = slot(rung, spent: measured[rung.name] ?? 0, lowest: lowest, allowed: allowed, curves: curves,
                            configuration: configuration)
            var reason: String?
            if !lowest {
                if let above = kept.last, Double(above.bitrate) < Double(slot.chosen) * configuration.minimumStep {
                    reason = "\(above.name) costs only \(String(format: "%.2f", Double(above.bitrate) / Double(slot.chosen)))× its bit rate"
                } else if let lowestRate = measured[lowestRung.name],
                    Double(slot.chosen) < min(Double(lowestRung.bitrate), Double(lowestRate) * configuration.headroom) * configuration.minimumStep
                {
                    reason = "it would cost less than \(configuration.minimumStep)× the lowest rung"
                }
            }
            if let reason {
                choices.append(.init(rung: rung.name, fixed: rung.bitrate, measured: slot.spent, chosen: 0,
                                     note: "left out: \(reason)", size: slot.sizeNote, psnr: slot.psnr))
                continue
            }
            let taken = !lowest && (slot.size.name == lowestRung.name || kept.contains { $0.name == slot.size.name })
            // The slot's size at its chosen rate, peaking as the slot's fixed rung does.
            kept.append(Rung(name: taken ? "\(slot.size.name)-\(slot.chosen / 1000)k" : slot.size.name, width: slot.size.width,
                             height: slot.size.height, bitrate: slot.chosen, maxBitrate: rung.at(bitrate: slot.chosen).maxBitrate))
            choices.append(.init(rung: rung.name, fixed: rung.bitrate, measured: slot.spent, chosen: slot.chosen,
                                 note: slot.note, size: slot.sizeNote, psnr: slot.psnr))
        }
        return PerTitlePlan(rungs: kept, choices: choices, configuration: configuration)
    }

    /// One slot's size, bit rate and why.
    struct Slot {
        let rung: Rung
        let spent: Int
        let size: Rung
        let chosen: Int
        let note: String?
        let psnr: Double?
        var sizeNote: String? { size.name == rung.name ? nil : size.name }
    }

    static func slot(
        _ rung: Rung, spent: Int, lowest: Bool, allowed: [Rung], curves: [String: QualityCurve], configuration: PerTitleConfiguration
    ) -> Slot {
        let low = Double(rung.bitrate) * configuration.floor, high = Double(rung.bitrate) * configuration.ceiling
        var size = rung
        var wanted = Double(spent) * configuration.headroom
        var note: String?
        // The lowest rung is encoded before the measurement, at its own size: only its bit rate is planned.
        if !lowest, let own = curves[rung.name] {
            // The picture this slot aims at: its own size's at the target quality.
            let target = own.psnr(at: Double(spent))
            let ownScore = allowed.contains(rung) ? own.psnr(at: high) : -Double.infinity
            let best = allowed.compactMap { candidate in curves[candidate.name].map { (candidate, $0.psnr(at: high)) } }
                .max { $0.1 < $1.1 }
            // Another size only when it is clearly better (0.1 dB), so noise in the measurement does not move rungs.
            if let best, best.0.name != rung.name, best.1 > ownScore + 0.1 { size = best.0 }
            if let curve = curves[size.name] {
                wanted = curve.bitrate(for: target) * configuration.headroom
                // Where doubling the bits buys less than `tolerance` (noise, grain), stop within it of the ceiling's picture.
                let enough = curve.bitrate(for: curve.psnr(at: high) - configuration.tolerance)
                if enough < wanted, enough <= high / 2 {
                    wanted = enough
                    note = String(format: "within %.1f dB of the ceiling's picture", configuration.tolerance)
                }
            }
        }
        if wanted < low { note = "floor" } else if wanted > high { note = "ceiling" }
        let chosen = max(100_000, Int((min(max(wanted, low), high) / 1000).rounded()) * 1000)
        return Slot(rung: rung, spent: spent, size: size, chosen: chosen, note: note,
                    psnr: curves[size.name].map { ($0.psnr(at: Double(chosen)) * 100).rounded() / 100 })
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
    /// Bits per second each rung spent on the samples at `crf` (capped at twice
    /// the fixed rate: a rung never gets more than its ceiling), by rung name.
    public let bitrates: [String: Int]
    /// How long the measurement took, in seconds of wall time.
    public let seconds: Double
    /// Each rung's picture at the display size at `crf` and at `crf` plus the
    /// configured spread, by rung name (nil in plans stored before it was measured).
    public let quality: [String: [QualityPoint]]?

    public init(
        crf: Double, samples: [Double], sampleSeconds: Double, bitrates: [String: Int], seconds: Double, quality: [String: [QualityPoint]]? = nil
    ) {
        self.crf = crf
        self.samples = samples
        self.sampleSeconds = sampleSeconds
        self.bitrates = bitrates
        self.seconds = seconds
        self.quality = quality
    }

    /// The quality curve of every rung measured at two bit rates.
    public var curves: [String: QualityCurve] {
        (quality ?? [:]).compactMapValues { QualityCurve($0) }
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
