import CFFmpeg
public import Foundation

/// What transcoding one rung produced.
public struct RungOutput: Sendable, Hashable, Codable {
    public let rung: Rung
    /// RFC 6381 codec string, e.g. "avc1.64001f".
    public let codecs: String
    public let frameRate: Double
    public let timescale: Int
    public let segments: [SegmentRecord]

    /// The track as the manifests need it.
    public var track: MediaTrack {
        .video(name: rung.name, codecs: codecs, width: rung.width, height: rung.height, frameRate: frameRate,
               timescale: timescale, segments: segments)
    }
}

/// Decodes a source and encodes one rung of the ladder into CMAF segments in
/// `folder` (`init.mp4`, `0.m4s`, …), each written the moment it is complete.
///
/// The output has a constant frame rate (the source's average), is turned
/// upright by the display rotation, and has an IDR frame exactly every
/// `segmentSeconds`, the same timestamps in every rung. Blocking: run it on a
/// thread the transcode owns.
public enum RungTranscoder {
    public static func transcode(
        _ path: String, info: MediaInfo, rung: Rung, to folder: URL, segmentSeconds: Double = 2, threads: Int32 = 2,
        onSegment: @escaping (SegmentRecord) -> Void = { _ in }
    ) throws(MediaError) -> RungOutput {
        let rate = info.video.frameRate > 0 ? info.video.frameRate : 30
        let frameRate = av_d2q(rate, 100_000)
        let segmentFrames = max(1, Int((segmentSeconds * rate).rounded()))
        let decoder = try VideoDecoder(path: path, threads: threads)
        let encoder = try VideoEncoder(rung: rung, frameRate: frameRate, segmentFrames: segmentFrames, threads: threads)
        guard let context = encoder.context else { throw MediaError(.unsupported, "the H.264 encoder is not open") }
        let writer = try FragmentedWriter(folder: folder, encoder: context, onSegment: onSegment)
        let rotation = info.video.geometry.rotation
        let quarter = rotation == 90 || rotation == 270
        let (codedW, codedH) = quarter ? (rung.height, rung.width) : (rung.width, rung.height)
        var nextPTS: Int64 = 0
        var firstSeconds: Double?
        let write: (UnsafeMutablePointer<AVPacket>) throws(MediaError) -> Void = { packet in
            try writer.write(packet, encoderTimeBase: encoder.timeBase, startsSegment: packet.pointee.flags & AV_PKT_FLAG_KEY != 0)
        }
        while let frame = try decoder.next() {
            // Constant frame rate: place each source frame on the output grid,
            // dropping frames that land on a slot already filled.
            let seconds = decoder.seconds(of: frame)
            let start = firstSeconds ?? seconds
            firstSeconds = start
            let slot = Int64(((seconds - start) * rate).rounded())
            if slot < nextPTS { continue }
            let picture = try Picture.from(frame, width: codedW, height: codedH, rotation: rotation, format: AV_PIX_FMT_YUV420P)
            picture.frame.pointee.pts = nextPTS
            picture.frame.pointee.pict_type = nextPTS % Int64(segmentFrames) == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
            try encoder.encode(picture.frame, write)
            nextPTS += 1
        }
        guard nextPTS > 0 else { throw MediaError(.unreadable, "no frame of the video could be decoded") }
        try encoder.encode(nil, write)
        try writer.finish()
        return RungOutput(rung: rung, codecs: encoder.codecString, frameRate: rate,
                          timescale: Int(writer.timeBase.den / max(1, writer.timeBase.num)), segments: writer.segments)
    }
}
