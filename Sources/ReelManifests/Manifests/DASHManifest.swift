import Foundation

/// A DASH MPD (ISO/IEC 23009-1) over the same CMAF segments as HLS, with
/// `SegmentTemplate` + `SegmentTimeline` so the real segment durations are
/// stated. The video rungs of one codec sit in one AdaptationSet with the
/// source's picture aspect ratio, so players can switch between all of them;
/// another codec (AV1 beside H.264) gets an AdaptationSet of its own, as the
/// DASH-IF guidelines ask, and a player picks the set it decodes.
public enum DASHManifest {
    public static func mpd(video: [MediaTrack], audio: MediaTrack?, complete: Bool, minBufferTime: Double = 2) -> String {
        let duration = max(video.map(\.duration).max() ?? 0, audio?.duration ?? 0)
        var xml = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019""#
                + (complete
                    ? #" type="static" mediaPresentationDuration="\#(iso(duration))""#
                    : #" type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z" minimumUpdatePeriod="PT2S""#)
                + #" minBufferTime="\#(iso(minBufferTime))">"#,
            #"  <Period id="0" start="PT0S">"#,
        ]
        // One set per codec family ("avc1", "av01"), H.264 first: the one every player decodes.
        let families = Dictionary(grouping: video) { $0.codecs.split(separator: ".").first.map(String.init) ?? $0.codecs }
        let sets = families.keys.sorted { ($0 == "avc1" ? 0 : 1, $0) < ($1 == "avc1" ? 0 : 1, $1) }
        for (id, family) in sets.enumerated() {
            let rungs = (families[family] ?? []).sorted { ($0.width * $0.height, $0.peakBitrate) < ($1.width * $1.height, $1.peakBitrate) }
            guard let largest = rungs.last else { continue }
            xml.append(
                #"    <AdaptationSet id="\#(id)" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1""#
                    + #" par="\#(aspect(largest.width, largest.height))" maxWidth="\#(largest.width)" maxHeight="\#(largest.height)""#
                    + #" maxFrameRate="\#(frameRate(largest.frameRate))">"#)
            for track in rungs {
                xml.append(
                    #"      <Representation id="\#(track.name)" bandwidth="\#(track.peakBitrate)" codecs="\#(track.codecs)""#
                        + #" width="\#(track.width)" height="\#(track.height)" frameRate="\#(frameRate(track.frameRate))" sar="1:1">"#)
                xml += template(track, indent: "        ")
                xml.append("      </Representation>")
            }
            xml.append("    </AdaptationSet>")
        }
        if let audio {
            xml.append(#"    <AdaptationSet id="\#(max(1, sets.count))" contentType="audio" mimeType="audio/mp4" lang="und" segmentAlignment="true" startWithSAP="1">"#)
            xml.append(
                #"      <Representation id="\#(audio.name)" bandwidth="\#(audio.peakBitrate)" codecs="\#(audio.codecs)" audioSamplingRate="\#(audio.sampleRate)">"#)
            xml.append(
                #"        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="\#(audio.channels)"/>"#)
            xml += template(audio, indent: "        ")
            xml.append("      </Representation>")
            xml.append("    </AdaptationSet>")
        }
        xml += ["  </Period>", "</MPD>"]
        return xml.joined(separator: "\n") + "\n"
    }

    /// SegmentTemplate with a run-length SegmentTimeline (`r` repeats equal durations).
    static func template(_ track: MediaTrack, indent: String) -> [String] {
        var out = [
            indent + #"<SegmentTemplate timescale="\#(track.timescale)" initialization="\#(track.name)/init.mp4""#
                + #" media="\#(track.name)/$Number$.m4s" startNumber="\#(track.segments.first?.number ?? 0)">"#,
            indent + "  <SegmentTimeline>",
        ]
        var i = 0
        let segments = track.segments
        while i < segments.count {
            var repeats = 0
            while i + repeats + 1 < segments.count, segments[i + repeats + 1].duration == segments[i].duration,
                segments[i + repeats + 1].startTime == segments[i + repeats].startTime + segments[i + repeats].duration
            {
                repeats += 1
            }
            out.append(indent + #"    <S t="\#(segments[i].startTime)" d="\#(segments[i].duration)""# + (repeats > 0 ? #" r="\#(repeats)""# : "") + "/>")
            i += repeats + 1
        }
        out += [indent + "  </SegmentTimeline>", indent + "</SegmentTemplate>"]
        return out
    }

    /// xs:duration with millisecond precision, e.g. PT12.480S.
    static func iso(_ seconds: Double) -> String { "PT" + String(format: "%.3f", seconds) + "S" }

    /// 30 → "30", 29.97 → "30000/1001".
    static func frameRate(_ rate: Double) -> String {
        if abs(rate - rate.rounded()) < 0.001 { return String(Int(rate.rounded())) }
        let ntsc = (rate * 1001 / 1000).rounded()
        if abs(ntsc * 1000 / 1001 - rate) < 0.001 { return "\(Int(ntsc) * 1000)/1001" }
        return String(format: "%.3f", rate)
    }

    /// The reduced ratio, e.g. 720x1280 → "9:16".
    static func aspect(_ w: Int, _ h: Int) -> String {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = max(1, gcd(w, h))
        return "\(w / g):\(h / g)"
    }
}
