import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import ReelManifests

/// An attribute's value (FoundationXML on Linux finds none by name in a namespaced document).
func attr(_ element: XMLElement, _ name: String) -> String? {
    element.attributes?.first { $0.name == name }?.stringValue
}

@Suite struct ManifestTests {
    /// Five 2 s segments and a shorter last one, at a 15360 Hz timescale.
    func segments(bytes: [Int], timescale: Int64 = 15360, last: Int64 = 15360) -> [SegmentRecord] {
        var t: Int64 = 0
        return bytes.enumerated().map { i, b in
            let d = i == bytes.count - 1 ? last : 2 * timescale
            defer { t += d }
            return SegmentRecord(number: i, startTime: t, duration: d, bytes: b)
        }
    }

    var rung720: MediaTrack {
        .video(name: "720p", codecs: CodecStrings.avc1(profileIDC: 100, constraintFlags: 0, levelIDC: 31),
               width: 720, height: 1280, frameRate: 30, timescale: 15360,
               segments: segments(bytes: [500_000, 700_000, 600_000, 650_000, 300_000]))
    }

    var rung360: MediaTrack {
        .video(name: "360p", codecs: "avc1.64001e", width: 360, height: 640, frameRate: 30, timescale: 15360,
               segments: segments(bytes: [150_000, 200_000, 180_000, 190_000, 90_000]))
    }

    var audio: MediaTrack {
        .audio(sampleRate: 48000, channels: 2, timescale: 48000,
               segments: segments(bytes: [32_000, 32_000, 32_000, 32_000, 16_000], timescale: 48000, last: 48000))
    }

    @Test func codecStringsFollowRFC6381() {
        #expect(CodecStrings.avc1(profileIDC: 100, constraintFlags: 0, levelIDC: 31) == "avc1.64001f")
        #expect(CodecStrings.avc1(profileIDC: 66, constraintFlags: 0xC0, levelIDC: 30) == "avc1.42c01e")
        // From an encoder's extradata: Annex B (libx264) and avcC.
        let annexB: [UInt8] = [0, 0, 0, 1, 0x67, 100, 0, 30, 0xAC, 0, 0, 0, 1, 0x68, 0xEB]
        #expect(CodecStrings.avc1(parameterSets: annexB) == "avc1.64001e")
        #expect(CodecStrings.avc1(parameterSets: [1, 77, 0x40, 31, 0xFF]) == "avc1.4d401f")
        #expect(CodecStrings.avc1(parameterSets: [0, 0, 1, 0x68, 0xEB, 0, 0]) == nil)
        // AV1 (AV1-ISOBMFF §5): Main profile, level index 8 (4.0), Main tier, 8 bits; High tier 10 bits.
        #expect(CodecStrings.av01(configuration: [0x81, 0x08, 0x0C, 0x00]) == "av01.0.08M.08")
        #expect(CodecStrings.av01(configuration: [0x81, 0x0D, 0xC0, 0x00]) == "av01.0.13H.10")
        #expect(CodecStrings.av01(configuration: [0x01, 0x08, 0x0C, 0x00]) == nil)
        var initSegment = Data("....moov....av01....".utf8)
        initSegment.append(contentsOf: Array("av1C".utf8) + [0x81, 0x04, 0x0C, 0x00])
        #expect(CodecStrings.fromInitSegment(initSegment) == "av01.0.04M.08")
    }

    @Test func bitRatesAreMeasuredFromTheSegments() {
        // The peak is the 700,000-byte 2 s segment; the 1 s tail counts at its own rate.
        #expect(rung720.peakBitrate == 2_800_000)
        #expect(rung720.averageBitrate == Int((Double(2_750_000 * 8) / 9).rounded(.up)))
        #expect(rung720.duration == 9)
    }

    @Test func mediaPlaylistFollowsRFC8216() {
        let text = HLSPlaylist.media(rung720, complete: true)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "#EXTM3U")
        #expect(lines.contains("#EXT-X-TARGETDURATION:2"))
        #expect(lines.contains("#EXT-X-MAP:URI=\"init.mp4\""))
        #expect(lines.contains("#EXT-X-PLAYLIST-TYPE:VOD"))
        #expect(lines.filter { $0.hasPrefix("#EXTINF:") } == Array(repeating: "#EXTINF:2.000000,", count: 4) + ["#EXTINF:1.000000,"])
        #expect(lines.filter { $0.hasSuffix(".m4s") } == ["0.m4s", "1.m4s", "2.m4s", "3.m4s", "4.m4s"])
        #expect(lines.last == "#EXT-X-ENDLIST")
        let growing = HLSPlaylist.media(rung720, complete: false)
        #expect(growing.contains("#EXT-X-PLAYLIST-TYPE:EVENT"))
        #expect(!growing.contains("#EXT-X-ENDLIST"))
    }

    @Test func targetDurationBoundsEveryRoundedSegment() {
        // A 2.6 s segment (a late keyframe) rounds to 3: the target must be 3.
        let track = MediaTrack.video(name: "x", codecs: "avc1.64001f", width: 2, height: 2, frameRate: 30, timescale: 1000,
                                     segments: [SegmentRecord(number: 0, startTime: 0, duration: 2600, bytes: 1)])
        #expect(HLSPlaylist.media(track, complete: true).contains("#EXT-X-TARGETDURATION:3"))
    }

    /// RFC 8216 §4.3.4.2 as a validator checks it: each segment's bit rate is
    /// its bytes over its printed EXTINF, the peak is the largest over single
    /// segments and windows of 0.5–1.5 target durations, and BANDWIDTH must not
    /// be below the video's peak plus the audio's. Short and tiny inputs (one
    /// frame at 30 and 29.97 fps, odd timescales) are where rounding bites.
    @Test(arguments: [(Int64(15360), Int64(512)), (90000, 3003), (30000, 1001), (1000, 33), (12800, 427)])
    func bandwidthIsNeverBelowTheMeasuredPeak(timescale: Int64, ticks: Int64) {
        func peak(_ playlist: String, bytes: [Int]) -> Double {
            let target = Double(playlist.split(separator: "\n").first { $0.hasPrefix("#EXT-X-TARGETDURATION:") }?.split(separator: ":")[1] ?? "1") ?? 1
            let durations = playlist.split(separator: "\n").filter { $0.hasPrefix("#EXTINF:") }
                .map { Double($0.dropFirst(8).split(separator: ",")[0]) ?? 0 }
            var best = 0.0
            for start in durations.indices {
                var seconds = 0.0, bits = 0.0
                for end in start..<durations.count {
                    seconds += durations[end]
                    bits += Double(bytes[end] * 8)
                    if end == start || (seconds >= 0.5 * target && seconds <= 1.5 * target) { best = max(best, bits / seconds) }
                }
            }
            return best
        }
        for sizes in [[5_123], [40_961, 17], [9_999, 123_457, 3]] {
            let video = MediaTrack.video(name: "360p", codecs: "avc1.64001e", width: 360, height: 640, frameRate: 30, timescale: Int(timescale),
                                         segments: segments(bytes: sizes, timescale: timescale, last: ticks))
            let audioBytes = sizes.map { $0 / 7 + 11 }
            let audio = MediaTrack.audio(sampleRate: 48000, channels: 2, timescale: 48000,
                                         segments: segments(bytes: audioBytes, timescale: 48000, last: 1024 + ticks % 977))
            let master = HLSPlaylist.master(video: [video], audio: audio)
            let bandwidth = Double(master.split(whereSeparator: { $0 == "," || $0 == ":" }).first { $0.hasPrefix("BANDWIDTH=") }?.dropFirst(10) ?? "0") ?? 0
            // The variant carries the audio: each segment is both parts, over the video's printed duration.
            let variant = HLSPlaylist.media(MuxedVariant.track(video: video, audio: audio, audioComplete: true), complete: true)
            let measured = peak(variant, bytes: zip(sizes, audioBytes).map(+))
            #expect(bandwidth >= measured, "\(timescale)/\(ticks) \(sizes): BANDWIDTH \(bandwidth) < measured \(measured)")
        }
    }

    @Test func masterPlaylistVariantsCarryTheAudio() {
        let text = HLSPlaylist.master(video: [rung720, rung360], audio: audio)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("#EXT-X-INDEPENDENT-SEGMENTS"))
        #expect(!lines.contains { $0.hasPrefix("#EXT-X-MEDIA:") })
        let variants = lines.filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }
        #expect(variants.count == 2)
        #expect(variants.allSatisfy { !$0.contains("AUDIO=") && $0.contains("RESOLUTION=") })
        // Lowest rung first; BANDWIDTH = the peak of video and audio together.
        let top = MuxedVariant.track(video: rung720, audio: audio, audioComplete: true)
        #expect(variants[0].contains("RESOLUTION=360x640"))
        #expect(variants[1].contains("BANDWIDTH=\(top.peakBitrate),") && top.peakBitrate <= rung720.peakBitrate + audio.peakBitrate)
        #expect(variants[1].contains("CODECS=\"avc1.64001f,mp4a.40.2\""))
        #expect(variants[1].contains("FRAME-RATE=30.000"))
        #expect(lines.filter { $0.hasSuffix("index.m3u8") && !$0.hasPrefix("#") } == ["360p.av/index.m3u8", "720p.av/index.m3u8"])
        // Without audio, the variants are the rungs themselves.
        let silent = HLSPlaylist.master(video: [rung360], audio: nil).split(separator: "\n")
        #expect(silent.last == "360p/index.m3u8" && silent.contains { $0.contains("CODECS=\"avc1.64001e\"") })
    }

    /// While the audio is still being published, a variant lists only the
    /// segments whose audio is stored; once it is complete, video past the
    /// audio's end is listed alone; audio past the video's end is left out.
    @Test func variantListsOnlySegmentsWhoseAudioIsSettled() {
        let shortAudio = MediaTrack.audio(sampleRate: 48000, channels: 2, timescale: 48000,
                                          segments: [SegmentRecord(number: 0, startTime: 0, duration: 96000, bytes: 100)])
        let growing = MuxedVariant.track(video: rung360, audio: shortAudio, audioComplete: false)
        #expect(growing.segments.map(\.number) == [0] && growing.segments[0].bytes == rung360.segments[0].bytes + 100)
        #expect(growing.name == "360p.av" && MuxedVariant.rung(of: growing.name) == "360p" && MuxedVariant.rung(of: "360p") == nil)
        let ended = MuxedVariant.track(video: rung360, audio: shortAudio, audioComplete: true)
        #expect(ended.segments.map(\.number) == rung360.segments.map(\.number))
        #expect(ended.segments.dropFirst().map(\.bytes) == rung360.segments.dropFirst().map(\.bytes))
    }

    @Test func mpdDescribesTheSameSegments() throws {
        let text = DASHManifest.mpd(video: [rung720, rung360], audio: audio, complete: true)
        let document = try XMLDocument(xmlString: text)
        let root = try #require(document.rootElement())
        #expect(attr(root, "type") == "static")
        #expect(attr(root, "mediaPresentationDuration") == "PT9.000S")
        let sets = try root.nodes(forXPath: "//*[local-name()='AdaptationSet']").compactMap { $0 as? XMLElement }
        #expect(sets.count == 2)
        #expect(attr(sets[0], "par") == "9:16")
        let reps = try sets[0].nodes(forXPath: "*[local-name()='Representation']").compactMap { $0 as? XMLElement }
        #expect(reps.map { attr($0, "id") } == ["360p", "720p"])
        #expect(attr(reps[1], "bandwidth") == "\(rung720.peakBitrate)")
        #expect(attr(reps[1], "codecs") == "avc1.64001f")
        let timeline = try sets[0].nodes(forXPath: ".//*[local-name()='S']").compactMap { $0 as? XMLElement }
        // Four equal 2 s segments run-length coded, then the 1 s tail.
        #expect(timeline.prefix(2).map { [attr($0, "t"), attr($0, "d"), attr($0, "r")] }
            == [["0", "30720", "3"], ["122880", "15360", nil]])
        let template = try #require(try sets[1].nodes(forXPath: ".//*[local-name()='SegmentTemplate']").first as? XMLElement)
        #expect(attr(template, "media") == "audio/$Number$.m4s")
        #expect(attr(template, "timescale") == "48000")
        #expect(DASHManifest.mpd(video: [rung360], audio: nil, complete: false).contains(#"type="dynamic""#))
    }

    /// AV1 rungs beside H.264 ones: in the MPD an AdaptationSet of their own
    /// after H.264's (players pick the set they decode); in the HLS master
    /// variants of their own, each with its CODECS.
    @Test func anAV1LadderBesideH264GetsItsOwnAdaptationSetAndVariants() throws {
        let av1 = MediaTrack.video(name: "360p-av1", codecs: "av01.0.04M.08", width: 360, height: 640, frameRate: 30, timescale: 15360,
                                   segments: segments(bytes: [90_000, 120_000, 110_000, 115_000, 60_000]))
        let text = DASHManifest.mpd(video: [av1, rung720, rung360], audio: audio, complete: true)
        let root = try #require(try XMLDocument(xmlString: text).rootElement())
        let sets = try root.nodes(forXPath: "//*[local-name()='AdaptationSet']").compactMap { $0 as? XMLElement }
        #expect(sets.map { attr($0, "id") } == ["0", "1", "2"])
        #expect(sets.map { attr($0, "contentType") } == ["video", "video", "audio"])
        func codecs(_ set: XMLElement) throws -> [String?] {
            try set.nodes(forXPath: "*[local-name()='Representation']").compactMap { $0 as? XMLElement }.map { attr($0, "codecs") }
        }
        #expect(try codecs(sets[0]) == ["avc1.64001e", "avc1.64001f"])
        #expect(try codecs(sets[1]) == ["av01.0.04M.08"])
        let master = HLSPlaylist.master(video: [av1, rung720, rung360], audio: audio)
        #expect(master.contains(#"CODECS="av01.0.04M.08,mp4a.40.2""#) && master.contains("360p-av1.av/index.m3u8"), "\(master)")
        #expect(master.contains(#"CODECS="avc1.64001e,mp4a.40.2""#))
        // H.264 first, lowest first, then AV1: a player that starts on the first variant starts with a codec it has.
        let uris = master.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(uris == ["360p.av/index.m3u8", "720p.av/index.m3u8", "360p-av1.av/index.m3u8"])
    }
}
