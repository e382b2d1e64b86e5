import ArgumentParser
import Foundation
import ReelMedia
import ReelManifests

/// The bounds on what an upload may be and cost, from `REEL_MEDIA_*`
/// (docs/configuration.md); every process that opens uploads reads the same.
enum MediaLimitsEnvironment {
    static func load(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MediaLimits {
        var limits = MediaLimits()
        func value<T: LosslessStringConvertible & Comparable>(_ name: String, _ minimum: T) throws -> T? {
            try EnvironmentNumber.read(name, atLeast: minimum, environment)
        }
        if let text = environment["REEL_MEDIA_FORMATS"], !text.isEmpty {
            let formats = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let listing = ["hls", "applehttp", "dash", "concat", "sdp", "rtp", "rtsp", "image2", "image2pipe"]
            if let bad = formats.first(where: listing.contains) {
                throw CLIError("REEL_MEDIA_FORMATS: \(bad) opens the files its input names; Reel never lets an upload do that")
            }
            limits.formats = formats
        }
        if let v: Int = try value("REEL_MEDIA_MAX_WIDTH", 16) { limits.maxWidth = v }
        if let v: Int = try value("REEL_MEDIA_MAX_HEIGHT", 16) { limits.maxHeight = v }
        if let v: Int = try value("REEL_MEDIA_MAX_PIXELS", 256) { limits.maxPixels = v }
        if let v: Double = try value("REEL_MEDIA_MAX_DURATION", 1) { limits.maxDuration = v }
        if let v: Double = try value("REEL_MEDIA_MAX_FRAME_RATE", 1) { limits.maxFrameRate = v }
        if let v: Int = try value("REEL_MEDIA_MAX_STREAMS", 1) { limits.maxStreams = v }
        if let v: Int64 = try value("REEL_MEDIA_MAX_SOURCE_BYTES", 1) { limits.maxSourceBytes = v }
        if let v: Double = try value("REEL_MEDIA_BUDGET_MULTIPLE", 1) { limits.budgetMultiple = v }
        if let v: Double = try value("REEL_MEDIA_BUDGET_FLOOR", 1) { limits.budgetFloor = v }
        return limits
    }
}
