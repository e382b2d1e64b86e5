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

/// Decodes a source once and encodes every rung of its ladder into CMAF
/// segments, one folder per rung (`720p/init.mp4`, `720p/0.m4s`, …), each file
/// written the moment it is complete.
///
/// Every rung has a constant frame rate (the source's average), is turned
/// upright by the display rotation, and has an IDR frame exactly every
/// `segmentSeconds`, at the same timestamps in every rung, so players can
/// switch rungs at any segment. The rungs advance together frame by frame, so
/// the first segments of the lowest rung exist long before the ladder is done.
/// Blocking: run it on a thread the transcode owns.
public enum LadderTranscoder {
    public static func transcode(
        _ path: String, info: MediaInfo, rungs: [Rung], to root: URL, segmentSeconds: Double = 2, threads: Int32 = 2,
        onSegment: @escaping (Rung, SegmentRecord) -> Void = { _, _ in }
    ) throws(MediaError) -> [RungOutput] {
        guard !rungs.isEmpty else { throw MediaError(.unsupported, "the ladder has no rungs") }
        let rate = info.video.frameRate > 0 ? info.video.frameRate : 30
        let frameRate = av_d2q(rate, 100_000)
        let segmentFrames = max(1, Int((segmentSeconds * rate).rounded()))
        let decoder = try VideoDecoder(path: path, threads: threads)
        let rotation = info.video.geometry.rotation
        let quarter = rotation == 90 || rotation == 270
        var lanes: [Lane] = []
        for rung in rungs {
            let encoder = try VideoEncoder(rung: rung, frameRate: frameRate, segmentFrames: segmentFrames, threads: threads)
            guard let context = encoder.context else { throw MediaError(.unsupported, "the H.264 encoder is not open") }
            let writer = try FragmentedWriter(folder: root.appendingPathComponent(rung.name), encoder: context) { onSegment(rung, $0) }
            lanes.append(Lane(rung: rung, encoder: encoder, writer: writer,
                              coded: quarter ? (rung.height, rung.width) : (rung.width, rung.height)))
        }
        var nextPTS: Int64 = 0
        var firstSeconds: Double?
        while let frame = try decoder.next() {
            // Constant frame rate: place each source frame on the output grid,
            // dropping frames that land on a slot already filled.
            let seconds = decoder.seconds(of: frame)
            let start = firstSeconds ?? seconds
            firstSeconds = start
            if Int64(((seconds - start) * rate).rounded()) < nextPTS { continue }
            for lane in lanes {
                let picture = try lane.scale(frame, rotation: rotation)
                picture.frame.pointee.pts = nextPTS
                picture.frame.pointee.pict_type = nextPTS % Int64(segmentFrames) == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
                try lane.encode(picture.frame)
            }
            nextPTS += 1
        }
        guard nextPTS > 0 else { throw MediaError(.unreadable, "no frame of the video could be decoded") }
        for lane in lanes {
            try lane.encode(nil)
            try lane.writer.finish()
        }
        return lanes.map { lane in
            RungOutput(rung: lane.rung, codecs: lane.encoder.codecString, frameRate: rate,
                       timescale: Int(lane.writer.timeBase.den / max(1, lane.writer.timeBase.num)), segments: lane.writer.segments)
        }
    }

    /// One rung's encoder, muxer, scaler and frame buffer.
    final class Lane {
        let rung: Rung
        let encoder: VideoEncoder
        let writer: FragmentedWriter
        let coded: (Int, Int)
        private var scaler: OpaquePointer?
        private var buffer: Picture?

        deinit { sws_freeContext(scaler) }

        /// The source frame at this rung's size, upright. Reuses one scaler
        /// and one frame (made writable again if the encoder still holds it).
        func scale(_ source: UnsafeMutablePointer<AVFrame>, rotation: Int) throws(MediaError) -> Picture {
            scaler = sws_getCachedContext(
                scaler, source.pointee.width, source.pointee.height, AVPixelFormat(rawValue: source.pointee.format),
                Int32(coded.0), Int32(coded.1), AV_PIX_FMT_YUV420P, SWS_BICUBIC, nil, nil, nil)
            guard let scaler else { throw MediaError(.unsupported, "cannot scale this video to \(rung)") }
            let target: Picture
            if let buffer {
                target = buffer
            } else {
                target = try Picture(width: coded.0, height: coded.1, format: AV_PIX_FMT_YUV420P, blank: false)
                buffer = target
            }
            guard av_frame_make_writable(target.frame) >= 0, cff_scale_frame(scaler, source, target.frame) > 0 else {
                throw MediaError(.unreadable, "a frame could not be scaled to \(rung)")
            }
            return rotation == 0 ? target : try target.rotated(clockwise: rotation)
        }

        init(rung: Rung, encoder: VideoEncoder, writer: FragmentedWriter, coded: (Int, Int)) {
            self.rung = rung
            self.encoder = encoder
            self.writer = writer
            self.coded = coded
        }

        func encode(_ frame: UnsafeMutablePointer<AVFrame>?) throws(MediaError) {
            try encoder.encode(frame) { (packet) throws(MediaError) in
                // One frame at the constant output rate (libx264 leaves it 0).
                if packet.pointee.duration == 0 { packet.pointee.duration = 1 }
                try writer.write(packet, encoderTimeBase: encoder.timeBase, startsSegment: packet.pointee.flags & AV_PKT_FLAG_KEY != 0)
            }
        }
    }
}
