public import Foundation
/// One written CMAF media segment of a track.
public struct SegmentRecord: Sendable, Hashable, Codable {
    /// 0-based, as in the segment's URL (`{n}.m4s`).
    public let number: Int
    /// Decode time of the segment's first sample, in the track's timescale.
    public let startTime: Int64
    /// Duration in the track's timescale.
    public let duration: Int64
    public let bytes: Int
    /// Ticks per second of `startTime` and `duration` (the track's timescale).
    public let timescale: Int

    public init(number: Int, startTime: Int64, duration: Int64, bytes: Int, timescale: Int = 0) {
        self.number = number
        self.startTime = startTime
        self.duration = duration
        self.bytes = bytes
        self.timescale = timescale
    }
}

/// A track as the manifests describe it: its codec, its segments, and where they are.
public struct MediaTrack: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable { case video, audio }

    public let kind: Kind
    /// Rendition name and URL folder, e.g. "720p" or "audio".
    public let name: String
    /// RFC 6381 codec string, e.g. "avc1.64001f" or "mp4a.40.2".
    public let codecs: String
    public let timescale: Int
    public let segments: [SegmentRecord]
    public let width: Int
    public let height: Int
    public let frameRate: Double
    public let sampleRate: Int
    public let channels: Int

    public static func video(
        name: String, codecs: String, width: Int, height: Int, frameRate: Double, timescale: Int, segments: [SegmentRecord]
    ) -> MediaTrack {
        MediaTrack(kind: .video, name: name, codecs: codecs, timescale: timescale, segments: segments,
                   width: width, height: height, frameRate: frameRate, sampleRate: 0, channels: 0)
    }

    public static func audio(name: String = "audio", codecs: String = CodecStrings.aacLC, sampleRate: Int, channels: Int,
                             timescale: Int, segments: [SegmentRecord]) -> MediaTrack {
        MediaTrack(kind: .audio, name: name, codecs: codecs, timescale: timescale, segments: segments,
                   width: 0, height: 0, frameRate: 0, sampleRate: sampleRate, channels: channels)
    }

    func seconds(_ ticks: Int64) -> Double { Double(ticks) / Double(max(1, timescale)) }

    /// A duration as playlists print it (EXTINF, six decimals), rounded down:
    /// validators divide a segment's bytes by the printed value, so the bit
    /// rates below use it too and are never under what they measure.
    func listedSeconds(_ ticks: Int64) -> Double { (seconds(ticks) * 1e6).rounded(.down) / 1e6 }

    /// Total duration of the written segments, in seconds.
    public var duration: Double { seconds(segments.reduce(0) { $0 + $1.duration }) }

    /// Peak segment bit rate (bits per second): what RFC 8216 asks BANDWIDTH
    /// to bound (§4.3.4.2). The largest single segment's rate bounds every
    /// window of contiguous segments (a window's rate is their weighted mean);
    /// rounded up, over the printed durations.
    public var peakBitrate: Int {
        segments.map { s in Int((Double(s.bytes * 8) / max(listedSeconds(s.duration), 0.000001)).rounded(.up)) }.max() ?? 0
    }

    /// Mean bit rate over all segments (AVERAGE-BANDWIDTH).
    public var averageBitrate: Int {
        let total = segments.reduce(0) { $0 + $1.bytes }
        let listed = segments.reduce(0) { $0 + listedSeconds($1.duration) }
        return listed > 0 ? Int((Double(total * 8) / listed).rounded(.up)) : 0
    }
}

/// RFC 6381 codec strings.
public enum CodecStrings {
    /// AAC-LC.
    public static let aacLC = "mp4a.40.2"

    /// The codec string of a CMAF init segment's track, read from its sample
    /// entry: `avc1.PPCCLL` from the `avcC` box (profile, constraint flags,
    /// level), or AAC-LC for an `mp4a` entry; nil for anything else. Lets a
    /// publisher describe a rendition from its stored bytes alone.
    public static func fromInitSegment(_ data: Data) -> String? {
        let bytes = [UInt8](data)
        func find(_ tag: String) -> Int? {
            let pattern = Array(tag.utf8)
            guard bytes.count >= pattern.count else { return nil }
            return (0...(bytes.count - pattern.count)).first { bytes[$0..<$0 + pattern.count].elementsEqual(pattern) }
        }
        if let at = find("avcC"), at + 7 < bytes.count {
            return avc1(profileIDC: Int(bytes[at + 5]), constraintFlags: Int(bytes[at + 6]), levelIDC: Int(bytes[at + 7]))
        }
        if let at = find("av1C"), at + 7 < bytes.count, let av01 = av01(configuration: Array(bytes[(at + 4)...])) {
            return av01
        }
        return find("mp4a") == nil ? nil : aacLC
    }

    /// `avc1.PPCCLL` from H.264 parameter sets as an encoder's extradata holds
    /// them: an `avcC` record (its first byte is 1) or Annex B NAL units with
    /// start codes, where the sequence parameter set (NAL type 7) starts with
    /// profile_idc, the constraint flags and level_idc. Nil without an SPS.
    public static func avc1(parameterSets bytes: [UInt8]) -> String? {
        if bytes.first == 1, bytes.count >= 4 {
            return avc1(profileIDC: Int(bytes[1]), constraintFlags: Int(bytes[2]), levelIDC: Int(bytes[3]))
        }
        var i = 0
        while i + 6 < bytes.count {
            if bytes[i] == 0, bytes[i + 1] == 0, bytes[i + 2] == 1, bytes[i + 3] & 0x1F == 7 {
                return avc1(profileIDC: Int(bytes[i + 4]), constraintFlags: Int(bytes[i + 5]), levelIDC: Int(bytes[i + 6]))
            }
            i += 1
        }
        return nil
    }

    /// `av01.P.LLT.DD` (AV1 in ISOBMFF, "Codecs Parameter String") from an
    /// AV1 codec configuration record (the `av1C` box's payload, as an AV1
    /// encoder's extradata holds it): profile, level index, tier (M or H)
    /// and bit depth. Nil when the bytes are not such a record.
    public static func av01(configuration bytes: [UInt8]) -> String? {
        // marker (1 bit, set) and version (7 bits, 1); then seq_profile (3) and seq_level_idx_0 (5);
        // then seq_tier_0, high_bitdepth, twelve_bit, monochrome, subsampling x/y, sample position.
        guard bytes.count >= 4, bytes[0] == 0x81 else { return nil }
        let profile = Int(bytes[1] >> 5), level = Int(bytes[1] & 0x1F)
        let tier = bytes[2] & 0x80 != 0 ? "H" : "M"
        let depth = bytes[2] & 0x40 == 0 ? 8 : (profile == 2 && bytes[2] & 0x20 != 0 ? 12 : 10)
        return "av01.\(profile).\(level < 10 ? "0" : "")\(level)\(tier).\(depth < 10 ? "0" : "")\(depth)"
    }

    /// `avc1.PPCCLL` from the SPS: profile_idc, constraint flags byte, level_idc
    /// (High 3.1 → "avc1.64001f").
    public static func avc1(profileIDC: Int, constraintFlags: Int, levelIDC: Int) -> String {
        func hex(_ v: Int) -> String {
            let s = String(v & 0xFF, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return "avc1." + hex(profileIDC) + hex(constraintFlags) + hex(levelIDC)
    }
}
