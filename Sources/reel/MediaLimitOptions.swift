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

/// Per-title bit rates from `REEL_PER_TITLE` (on by default; `off` keeps the
/// fixed ladder for every upload) and `REEL_PER_TITLE_CRF`,
/// `REEL_PER_TITLE_FLOOR`, `REEL_PER_TITLE_CEILING`, `REEL_PER_TITLE_STEP`,
/// `REEL_PER_TITLE_TOLERANCE` (docs/configuration.md, docs/media.md).
enum PerTitleEnvironment {
    static func load(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PerTitleConfiguration? {
        switch environment["REEL_PER_TITLE", default: "on"].lowercased() {
        case "on", "": break
        case "off": return nil
        case let other: throw CLIError("REEL_PER_TITLE=\(other): expected on or off")
        }
        var configuration = PerTitleConfiguration.standard
        if let v: Double = try EnvironmentNumber.read("REEL_PER_TITLE_CRF", atLeast: 0, environment) {
            guard v <= 51 else { throw CLIError("REEL_PER_TITLE_CRF=\(v): x264's CRF runs from 0 to 51") }
            configuration.crf = v
        }
        if let v: Double = try EnvironmentNumber.read("REEL_PER_TITLE_FLOOR", atLeast: 0.01, environment) { configuration.floor = v }
        if let v: Double = try EnvironmentNumber.read("REEL_PER_TITLE_CEILING", atLeast: 0.01, environment) { configuration.ceiling = v }
        if let v: Double = try EnvironmentNumber.read("REEL_PER_TITLE_STEP", atLeast: 1, environment) { configuration.minimumStep = v }
        if let v: Double = try EnvironmentNumber.read("REEL_PER_TITLE_TOLERANCE", atLeast: 0, environment) { configuration.tolerance = v }
        guard configuration.floor <= configuration.ceiling else {
            throw CLIError("REEL_PER_TITLE_FLOOR (\(configuration.floor)) is above REEL_PER_TITLE_CEILING (\(configuration.ceiling))")
        }
        return configuration
    }
}

/// How popular videos get AV1 renditions, from `REEL_AV1_RATE` (each AV1
/// rung's bit rate as a share of its H.264 rendition's), `REEL_AV1_BUDGET`
/// (seconds of encoding allowed per second of video) and
/// `REEL_AV1_BUDGET_FLOOR` (docs/configuration.md, docs/media.md). The play
/// threshold is the `av1.select` periodic job's arguments.
enum AV1Environment {
    static func load(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AV1Configuration {
        var configuration = AV1Configuration.standard
        if let v: Double = try EnvironmentNumber.read("REEL_AV1_RATE", atLeast: 0.05, environment) {
            guard v <= 2 else { throw CLIError("REEL_AV1_RATE=\(v): a share of the H.264 bit rate, from 0.05 to 2") }
            configuration.rateFactor = v
        }
        if let v: Double = try EnvironmentNumber.read("REEL_AV1_BUDGET", atLeast: 0.001, environment) { configuration.budgetPerSecond = v }
        if let v: Double = try EnvironmentNumber.read("REEL_AV1_BUDGET_FLOOR", atLeast: 0.001, environment) { configuration.budgetFloor = v }
        return configuration
    }
}
