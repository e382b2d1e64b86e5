import Foundation

/// HLS playlists (RFC 8216) for CMAF segments: one media playlist per track and
/// a master playlist whose variants are the video rungs, each carrying the
/// audio (``MuxedVariant``; never an audio-only variant: Video.js will not
/// start with one and GStreamer hangs).
public enum HLSPlaylist {
    /// Version 6, the lowest that allows what Reel writes: `EXT-X-MAP` in a
    /// media playlist without `EXT-X-I-FRAMES-ONLY` (RFC 8216 §7; version 7
    /// adds only INSTREAM-ID SERVICE values). A higher version than needed
    /// keeps older clients away for nothing.
    static let version = 6

    /// A media playlist. `complete` ends it (`EXT-X-ENDLIST`, type VOD); while a
    /// video is still being published it is an EVENT playlist that grows, and
    /// players reload it.
    public static func media(_ track: MediaTrack, complete: Bool) -> String {
        // §4.3.3.1: every EXTINF rounded to the nearest integer must be <= the target.
        let longest = track.segments.map { track.seconds($0.duration) }.max() ?? 0
        let target = max(1, Int(longest.rounded()))
        var lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:\(version)",
            "#EXT-X-TARGETDURATION:\(target)",
            "#EXT-X-MEDIA-SEQUENCE:\(track.segments.first?.number ?? 0)",
            "#EXT-X-PLAYLIST-TYPE:\(complete ? "VOD" : "EVENT")",
            "#EXT-X-INDEPENDENT-SEGMENTS",
            "#EXT-X-MAP:URI=\"init.mp4\"",
        ]
        for segment in track.segments {
            lines.append("#EXTINF:\(String(format: "%.6f", track.listedSeconds(segment.duration))),")
            lines.append("\(segment.number).m4s")
        }
        if complete { lines.append("#EXT-X-ENDLIST") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The master playlist. Variants are listed from the lowest rung up, so a
    /// player starts on the rung that is published first and climbs. With
    /// audio, each variant carries it (``MuxedVariant``, folder `{rung}.av`)
    /// and lists the segments whose audio is settled (`audioComplete`: the
    /// audio has all its segments); without, variants are the plain rungs.
    public static func master(video: [MediaTrack], audio: MediaTrack?, audioComplete: Bool = true) -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)", "#EXT-X-INDEPENDENT-SEGMENTS"]
        let variants = video.map { track in audio.map { MuxedVariant.track(video: track, audio: $0, audioComplete: audioComplete) } ?? track }
        // H.264 first, lowest first (a player that starts with the first variant starts fast, with a
        // codec every player decodes), then the AV1 variants, which players that decode AV1 choose by CODECS.
        // Per-title ladders may have one size at two bit rates: the cheaper first.
        func order(_ track: MediaTrack) -> (Int, Int, Int) {
            (track.codecs.hasPrefix("av01") ? 1 : 0, track.width * track.height, track.peakBitrate)
        }
        for track in variants.sorted(by: { order($0) < order($1) }) where !track.segments.isEmpty {
            // BANDWIDTH bounds the variant's peak segment bit rate, audio included (§4.3.4.2).
            var attributes = [
                "BANDWIDTH=\(track.peakBitrate)", "AVERAGE-BANDWIDTH=\(track.averageBitrate)", "CODECS=\"\(track.codecs)\"",
                "RESOLUTION=\(track.width)x\(track.height)", "FRAME-RATE=\(String(format: "%.3f", track.frameRate))",
            ]
            // Apple's HLS authoring spec asks for NONE when a variant carries no CEA-608/708 captions.
            attributes.append("CLOSED-CAPTIONS=NONE")
            lines.append("#EXT-X-STREAM-INF:" + attributes.joined(separator: ","))
            lines.append("\(track.name)/index.m3u8")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
