/// HLS variants that carry their audio: each video rung's init segment and
/// media segments with the audio rendition's track spliced in beside the
/// video's, made from the stored CMAF files by copying boxes and patching a
/// few numbers (no remux, nothing stored twice).
///
/// Why: with the audio as a separate `EXT-X-MEDIA` rendition, GStreamer 1.22's
/// legacy `hlsdemux` (what `playbin` and gst-play-1.0 use on Debian 12)
/// deadlocks when a variant switch meets the audio's last segment: it rebuilds
/// both streams and exposes them only once every old stream has finished a
/// fragment, which an audio stream at its end never does. A variant with one
/// stream has nothing to wait for, and the lowest-first order (the fast start)
/// stays. DASH keeps the separate audio (docs/conformance.md).
public enum MuxedVariant {
    /// The URL folder of a rung's variant with audio: "360p" → "360p.av".
    public static func folder(of rung: String) -> String { rung + suffix }

    /// The rung a variant folder names; nil when `folder` is a plain rendition.
    public static func rung(of folder: String) -> String? {
        folder.hasSuffix(suffix) && folder.count > suffix.count ? String(folder.dropLast(suffix.count)) : nil
    }

    static let suffix = ".av"

    /// The variant as playlists describe it: the video's segments whose audio
    /// is settled (the audio has the same number, or is complete, and then a
    /// segment past its end carries video alone), each as large as both parts.
    /// Audio past the video's last segment is left out, so every listed
    /// segment's bytes never change once listed.
    public static func track(video: MediaTrack, audio: MediaTrack, audioComplete: Bool) -> MediaTrack {
        let audioBytes = Dictionary(audio.segments.map { ($0.number, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        var segments: [SegmentRecord] = []
        for segment in video.segments {
            guard let extra = audioBytes[segment.number] ?? (audioComplete ? 0 : nil) else { break }
            segments.append(SegmentRecord(number: segment.number, startTime: segment.startTime, duration: segment.duration,
                                          bytes: segment.bytes + extra, timescale: segment.timescale))
        }
        return MediaTrack(kind: .video, name: folder(of: video.name), codecs: video.codecs + "," + audio.codecs, timescale: video.timescale,
                          segments: segments, width: video.width, height: video.height, frameRate: video.frameRate,
                          sampleRate: audio.sampleRate, channels: audio.channels)
    }

    /// The variant's init segment: the video's `ftyp` and `moov`, with the
    /// audio's `trak` and `trex` added as the next track number.
    public static func initSegment(video: [UInt8], audio: [UInt8]) throws(MediaError) -> [UInt8] {
        let videoMoov = try BMFF.only("moov", BMFF.boxes(video))
        let audioMoov = try BMFF.only("moov", BMFF.boxes(audio))
        let videoKids = try BMFF.boxes(video, videoMoov.payload)
        let audioKids = try BMFF.boxes(audio, audioMoov.payload)
        let videoTrak = try BMFF.only("trak", videoKids)
        let audioTrak = try BMFF.only("trak", audioKids)
        let videoHeader = try BMFF.only("tkhd", BMFF.boxes(video, videoTrak.payload))
        let videoID = try BMFF.trackID(video, videoHeader)
        guard videoID < UInt32.max - 1 else { throw BMFF.malformed("the video's track number is out of range") }
        let audioID = videoID + 1
        guard try BMFF.movieTimescale(video, videoKids) == BMFF.movieTimescale(audio, audioKids) else {
            throw BMFF.malformed("the video's and the audio's movie timescales differ")
        }
        var trak = Array(audio[audioTrak.range])
        for kid in try BMFF.boxes(audio, audioTrak.payload) where kid.type == "tkhd" {
            try BMFF.setTrackID(&trak, boxAt: kid.range.lowerBound - audioTrak.range.lowerBound, audio, kid, to: audioID)
        }
        let audioTrex = try BMFF.boxes(audio, BMFF.only("mvex", audioKids).payload).filter { $0.type == "trex" }
        guard audioTrex.count == 1, let trex = audioTrex.first else { throw BMFF.malformed("the audio has no single trex") }
        var audioExtends = Array(audio[trex.range])
        try BMFF.setTrackID(&audioExtends, boxAt: 0, audio, trex, to: audioID)

        var moov: [UInt8] = []
        for kid in videoKids {
            switch kid.type {
            case "mvhd":
                var header = Array(video[kid.range])
                guard header.count >= 12 + 4 else { throw BMFF.malformed("the video's mvhd is too short") }
                BMFF.write(audioID + 1, into: &header, at: header.count - 4)  // next_track_ID, its last field
                moov += header
            case "trak":
                moov += video[kid.range] + trak
            case "mvex":
                moov += try BMFF.box("mvex", Array(video[kid.payload]) + audioExtends)
            default:
                moov += video[kid.range]
            }
        }
        var out: [UInt8] = []
        for top in try BMFF.boxes(video) {
            out += top.type == "moov" ? try BMFF.box("moov", moov) : Array(video[top.range])
        }
        return out
    }

    /// Media segment `number` of the variant: the video's fragments, then the
    /// audio's (nil when the audio ended before it) as the next track number.
    /// Fragment sequence numbers are renumbered to keep rising through the
    /// file; `trun` offsets stay right because both writers count from their
    /// `moof` (default-base-is-moof).
    public static func segment(number: Int, video: [UInt8], audio: [UInt8]?) throws(MediaError) -> [UInt8] {
        let perSegment = 8
        guard number >= 0, number < Int(UInt32.max) / perSegment - 1 else { throw BMFF.malformed("segment number \(number) is out of range") }
        var sequence = UInt32(number * perSegment + 1)
        var videoID: UInt32?
        var out: [UInt8] = []
        out.reserveCapacity(video.count + (audio?.count ?? 0))
        for top in try BMFF.boxes(video) {
            var bytes = Array(video[top.range])
            if top.type == "moof" {
                for traf in try BMFF.boxes(video, top.payload) where traf.type == "traf" {
                    let header = try BMFF.only("tfhd", BMFF.boxes(video, traf.payload))
                    if videoID == nil { videoID = try BMFF.trackID(video, header) }
                }
                try BMFF.renumber(&bytes, video, top, sequence)
                sequence += 1
            }
            out += bytes
        }
        guard let audio else { return out }
        guard let videoID, videoID < UInt32.max - 1 else { throw BMFF.malformed("the video segment has no track fragment") }
        for top in try BMFF.boxes(audio) where top.type == "moof" || top.type == "mdat" {
            var bytes = Array(audio[top.range])
            if top.type == "moof" {
                guard sequence < UInt32(number * perSegment + perSegment) else { throw BMFF.malformed("too many fragments in one segment") }
                for traf in try BMFF.boxes(audio, top.payload) where traf.type == "traf" {
                    let header = try BMFF.only("tfhd", BMFF.boxes(audio, traf.payload))
                    guard try BMFF.lowFlags(audio, header) & 0x01 == 0 else {
                        throw BMFF.malformed("the audio fragment names an absolute base data offset")
                    }
                    try BMFF.setTrackID(&bytes, boxAt: header.range.lowerBound - top.range.lowerBound, audio, header, to: videoID + 1)
                }
                try BMFF.renumber(&bytes, audio, top, sequence)
                sequence += 1
            }
            out += bytes
        }
        return out
    }
}
