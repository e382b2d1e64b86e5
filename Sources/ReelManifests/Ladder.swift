/// One rendition of the adaptive-bitrate ladder.
public struct Rung: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable name used in URLs and manifests, e.g. "720p" (the short side).
    public let name: String
    public let width: Int
    public let height: Int
    /// Target average video bit rate, bits per second.
    public let bitrate: Int
    /// Peak bit rate the encoder's VBV allows (bits per second), for BANDWIDTH headroom.
    public let maxBitrate: Int

    public var description: String { "\(name) \(width)x\(height) @ \(bitrate / 1000) kb/s" }

    public init(name: String, width: Int, height: Int, bitrate: Int, maxBitrate: Int) {
        self.name = name
        self.width = width
        self.height = height
        self.bitrate = bitrate
        self.maxBitrate = maxBitrate
    }

    /// The same picture size at another bit rate, its peak scaled alike.
    public func at(bitrate newRate: Int) -> Rung {
        let peak = bitrate > 0 ? Double(maxBitrate) / Double(bitrate) : 1.5
        return Rung(name: name, width: width, height: height, bitrate: newRate, maxBitrate: Int(Double(newRate) * peak))
    }
}

/// The video codec a ladder is encoded with: H.264 for every player, AV1
/// (SVT-AV1) for the players that decode it, at fewer bytes for the same picture.
public enum VideoCodec: String, Sendable, Hashable, Codable {
    case h264, av1
}

/// What a ladder is made of; the ladder is configuration, not code.
public struct LadderConfiguration: Sendable, Hashable, Codable {
    /// One rung's definition: the size of its short side and its bit rate for a
    /// 16:9 picture at up to 30 frames per second.
    public struct Step: Sendable, Hashable, Codable {
        public var shortSide: Int
        public var bitrate: Int
        public init(shortSide: Int, bitrate: Int) {
            self.shortSide = shortSide
            self.bitrate = bitrate
        }
    }

    /// Largest first.
    public var steps: [Step]
    /// Multiplier for sources above 30 fps (motion costs bits).
    public var highFrameRateFactor: Double
    /// Peak over average for the encoder's VBV (maxrate = bitrate × this).
    public var peakFactor: Double

    public init(steps: [Step], highFrameRateFactor: Double = 1.5, peakFactor: Double = 1.5) {
        self.steps = steps.sorted { $0.shortSide > $1.shortSide }
        self.highFrameRateFactor = highFrameRateFactor
        self.peakFactor = peakFactor
    }

    /// 1080, 720, 480 and 360 on the short side: 1080x1920, 720x1280, 480x854
    /// and 360x640 for vertical video, the same turned for landscape, and
    /// 1080x1080 … 360x360 for square.
    public static let standard = LadderConfiguration(steps: [
        Step(shortSide: 1080, bitrate: 5_000_000),
        Step(shortSide: 720, bitrate: 2_800_000),
        Step(shortSide: 480, bitrate: 1_400_000),
        Step(shortSide: 360, bitrate: 800_000),
    ])
}

/// The picture as it should be shown, after the container's rotation.
public struct DisplayGeometry: Sendable, Hashable, Codable {
    /// Coded size, as the decoder outputs frames.
    public let codedWidth: Int
    public let codedHeight: Int
    /// Clockwise rotation to apply for display (0, 90, 180, 270).
    public let rotation: Int
    public let frameRate: Double

    public init(codedWidth: Int, codedHeight: Int, rotation: Int = 0, frameRate: Double = 30) {
        self.codedWidth = codedWidth
        self.codedHeight = codedHeight
        self.rotation = ((rotation % 360) + 360) % 360
        self.frameRate = frameRate
    }

    /// True when the rotation swaps width and height.
    public var isQuarterTurn: Bool { rotation == 90 || rotation == 270 }
    public var width: Int { isQuarterTurn ? codedHeight : codedWidth }
    public var height: Int { isQuarterTurn ? codedWidth : codedHeight }
}

/// Why a source cannot get a ladder.
public struct LadderError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
}

/// Plans the ladder for a source. Pure: unit-tested without any media.
///
/// Every rung keeps the source's display aspect ratio (so players can switch
/// between them, and DASH keeps them in one AdaptationSet), has even
/// dimensions (4:2:0 chroma), and is never larger than the source: a rung
/// whose short side exceeds the source's is left out, and a source smaller
/// than the smallest rung gets one rung at its own (even) size. Bit rates
/// scale with the rung's pixel count relative to 16:9, and up for high frame rates.
public enum LadderPlanner {
    public static func plan(_ source: DisplayGeometry, configuration: LadderConfiguration = .standard) throws -> [Rung] {
        let width = source.width, height = source.height
        guard width >= 2, height >= 2 else {
            throw LadderError(description: "the picture is \(width)x\(height); a video needs at least 2x2 pixels")
        }
        guard !configuration.steps.isEmpty else { throw LadderError(description: "the ladder configuration has no rungs") }
        let sourceShort = min(width, height)
        let portraitOrSquare = height >= width
        var rungs: [Rung] = []
        var seen = Set<Int>()
        for step in configuration.steps where step.shortSide <= sourceShort {
            guard let rung = rung(shortSide: step.shortSide, step: step, width: width, height: height,
                                  portraitOrSquare: portraitOrSquare, source: source, configuration: configuration),
                seen.insert(rung.height * 100_000 + rung.width).inserted
            else { continue }
            rungs.append(rung)
        }
        if rungs.isEmpty, let smallest = configuration.steps.last,
            let only = rung(shortSide: sourceShort, step: smallest, width: width, height: height,
                            portraitOrSquare: portraitOrSquare, source: source, configuration: configuration)
        {
            rungs.append(only)
        }
        return rungs
    }

    static func rung(
        shortSide: Int, step: LadderConfiguration.Step, width: Int, height: Int, portraitOrSquare: Bool,
        source: DisplayGeometry, configuration: LadderConfiguration
    ) -> Rung? {
        let short = even(shortSide)
        let sourceShort = Double(min(width, height)), sourceLong = Double(max(width, height))
        let long = min(nearestEven(Double(short) * sourceLong / sourceShort), even(max(width, height)))
        guard short >= 2, long >= 2 else { return nil }
        let (w, h) = portraitOrSquare ? (short, long) : (long, short)
        // Bit rate per pixel as for the same short side at 16:9.
        let reference = Double(step.shortSide) * (Double(step.shortSide) * 16 / 9)
        var bitrate = Double(step.bitrate) * Double(w * h) / reference
        if source.frameRate > 31 { bitrate *= configuration.highFrameRateFactor }
        let rounded = max(100_000, Int((bitrate / 1000).rounded()) * 1000)
        return Rung(name: "\(short)p", width: w, height: h, bitrate: rounded,
                    maxBitrate: Int(Double(rounded) * configuration.peakFactor))
    }

    /// Rounds down to an even number, at least 2.
    static func even(_ n: Int) -> Int { max(2, n - n % 2) }

    /// The even number nearest to `x` (853.3 → 854), at least 2.
    static func nearestEven(_ x: Double) -> Int { max(2, Int((x / 2).rounded()) * 2) }
}
