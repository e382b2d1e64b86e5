import Foundation
import ReelManifests

/// The per-title choice as `reel probe --per-title` and `reel videos show`
/// print it: what was measured, and each rung's fixed, measured and chosen
/// bit rate, or why the fixed ladder was kept; and a video's AV1 renditions.
enum PerTitleReport {
    static func print(_ record: PerTitleRecord) {
        if let complexity = record.measurement {
            Swift.print(String(format: "per-title  CRF %.0f samples at %@ s (%.1f s each), measured in %.2f s",
                               complexity.crf, complexity.samples.map { String(format: "%.1f", $0) }.joined(separator: ", "),
                               complexity.sampleSeconds, complexity.seconds)
                + (record.plan.map { String(format: "; ladder %.2f× the fixed one's bits", $0.ladderRatio) } ?? ""))
        }
        if let fallback = record.fallback { Swift.print("per-title  fixed ladder kept: \(fallback)") }
        for (rung, points) in (record.measurement?.quality ?? [:]).sorted(by: { $0.key < $1.key }) {
            Swift.print("  \(rung.padding(toLength: 6, withPad: " ", startingAt: 0)) at the display size: "
                + points.map { String(format: "CRF %.0f %d kb/s %.2f dB", $0.crf, $0.bitrate / 1000, $0.psnr) }.joined(separator: ", "))
        }
        for choice in record.plan?.choices ?? [] {
            Swift.print("  \(choice.rung.padding(toLength: 6, withPad: " ", startingAt: 0)) fixed \(choice.fixed / 1000) kb/s, "
                + "measured \(choice.measured / 1000) kb/s → " + (choice.chosen > 0 ? "\(choice.chosen / 1000) kb/s" : "none")
                + (choice.chosen > 0 ? choice.size.map { " at \($0)'s size" } ?? "" : "")
                + (choice.psnr.map { String(format: ", %.2f dB", $0) } ?? "")
                + (choice.note.map { " (\($0))" } ?? ""))
        }
    }

    /// AV1 renditions: queued at how many plays, each rung's bytes against its H.264 rendition's, or why none.
    static func print(_ record: AV1Record) {
        var line = "av1        \(record.state.rawValue)" + (record.plays.map { " (chosen at \($0) plays)" } ?? "")
        if let seconds = record.seconds { line += String(format: ", encoded in %.1f s", seconds) }
        if let ratio = record.bytesRatio { line += String(format: "; %.2f× the bytes of the H.264 renditions", ratio) }
        Swift.print(line)
        if let error = record.error { Swift.print("  \(error)") }
        for rung in record.rungs ?? [] {
            Swift.print("  \(rung.rung.padding(toLength: 9, withPad: " ", startingAt: 0)) \(rung.bitrate / 1000) kb/s, \(rung.bytes) bytes "
                + "against \(rung.h264Bytes) in H.264")
        }
    }
}
