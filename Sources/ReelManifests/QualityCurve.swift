import Foundation

/// One constant-quality encode of the probe's samples at one rung's size: the
/// bit rate it spent and the picture it gave, as luma PSNR of the rung scaled
/// up to the display size (the largest rung's) against the source at that
/// size: what a viewer sees full screen, so rungs of different sizes compare.
public struct QualityPoint: Sendable, Hashable, Codable {
    /// x264's CRF of the encode.
    public let crf: Double
    /// Bits per second spent.
    public let bitrate: Int
    /// dB.
    public let psnr: Double

    public init(crf: Double, bitrate: Int, psnr: Double) {
        self.crf = crf
        self.bitrate = bitrate
        self.psnr = psnr
    }
}

/// A rung's picture at any bit rate, from two measured points: a straight
/// line in (log bit rate, dB) between them, as rate-quality curves are drawn;
/// above them half as steep (returns diminish as bits grow) for one doubling
/// and flat after it (a small picture scaled up never shows the detail it
/// lost, whatever its bits); below them half as steep again (quality falls
/// faster as bits run out). Pure.
public struct QualityCurve: Sendable, Hashable {
    public let low: QualityPoint
    public let high: QualityPoint

    /// nil unless there are two points with different, positive bit rates.
    public init?(_ points: [QualityPoint]) {
        let sorted = points.filter { $0.bitrate > 0 && $0.psnr.isFinite }.sorted { $0.bitrate < $1.bitrate }
        guard let low = sorted.first, let high = sorted.last, high.bitrate > low.bitrate else { return nil }
        self.low = low
        self.high = high
    }

    /// dB gained per doubling of the bit rate between the two points (never below 0).
    public var slope: Double {
        max(0, (high.psnr - low.psnr) / log2(Double(high.bitrate) / Double(low.bitrate)))
    }

    public func psnr(at bitrate: Double) -> Double {
        let rate = max(bitrate, 1)
        if rate >= Double(high.bitrate) { return high.psnr + slope / 2 * min(1, log2(rate / Double(high.bitrate))) }
        if rate >= Double(low.bitrate) { return low.psnr + slope * log2(rate / Double(low.bitrate)) }
        return low.psnr + slope * 1.5 * log2(rate / Double(low.bitrate))
    }

    /// The bit rate that gives `psnr` (the inverse of ``psnr(at:)``); infinity
    /// when no bit rate reaches it, on a flat curve above it.
    public func bitrate(for psnr: Double) -> Double {
        let s = slope
        if psnr >= high.psnr {
            guard psnr > high.psnr else { return Double(high.bitrate) }
            let doublings = s > 0 ? (psnr - high.psnr) / (s / 2) : .infinity
            return doublings <= 1 ? Double(high.bitrate) * pow(2, doublings) : .infinity
        }
        if psnr >= low.psnr { return s > 0 ? Double(low.bitrate) * pow(2, (psnr - low.psnr) / s) : Double(low.bitrate) }
        return s > 0 ? Double(low.bitrate) * pow(2, (psnr - low.psnr) / (s * 1.5)) : 0
    }
}
