import Foundation
import CFFmpeg
import ReelManifests

extension LadderTranscoder {
    /// One rung's encoder, muxer, scaler and frame buffer.
    final class Lane {
        let rung: Rung
        let encoder: VideoEncoder
        let writer: FragmentedWriter
        let coded: (Int, Int)
        private var scaler: OpaquePointer?
        private var buffer: Picture?
        private var upright: Picture?

        deinit { sws_freeContext(scaler) }

        /// The source frame at this rung's size, upright, ready to encode.
        /// A source already at this size and format goes to the encoder as it
        /// is; otherwise one scaler, one scaled frame and one turned frame are
        /// reused (made writable again if the encoder still holds them).
        func scale(_ source: UnsafeMutablePointer<AVFrame>, rotation: Int) throws(MediaError) -> UnsafeMutablePointer<AVFrame> {
            if rotation == 0, Int(source.pointee.width) == coded.0, Int(source.pointee.height) == coded.1,
                source.pointee.format == AV_PIX_FMT_YUV420P.rawValue
            {
                return source
            }
            scaler = sws_getCachedContext(
                scaler, source.pointee.width, source.pointee.height, AVPixelFormat(rawValue: source.pointee.format),
                Int32(coded.0), Int32(coded.1), AV_PIX_FMT_YUV420P, SWS_BICUBIC, nil, nil, nil)
            guard let scaler else { throw MediaError(.unsupported, "cannot scale this video to \(rung)") }
            let scaled = try reusable(&buffer, width: coded.0, height: coded.1)
            guard cff_scale_frame(scaler, source, scaled.frame) > 0 else {
                throw MediaError(.unreadable, "a frame could not be scaled to \(rung)")
            }
            guard rotation != 0 else { return scaled.frame }
            let quarter = rotation == 90 || rotation == 270
            let turned = try reusable(&upright, width: quarter ? coded.1 : coded.0, height: quarter ? coded.0 : coded.1)
            scaled.rotate(clockwise: rotation, into: turned)
            return turned.frame
        }

        private func reusable(_ picture: inout Picture?, width: Int, height: Int) throws(MediaError) -> Picture {
            let target: Picture
            if let picture {
                target = picture
            } else {
                target = try Picture(width: width, height: height, format: AV_PIX_FMT_YUV420P, blank: false)
            }
            picture = target
            guard av_frame_make_writable(target.frame) >= 0 else { throw MediaError(.unsupported, "out of memory for a frame of \(rung)") }
            return target
        }

        /// The rung's encoder (``VideoEncoder``'s `quality`, `capped` and
        /// `codec`) and its CMAF writer into `folder`, coded at the rung's size
        /// turned by `rotation`: what the ladder and the complexity probe both run.
        init(
            rung: Rung, frameRate: AVRational, segmentFrames: Int, threads: Int32, rotation: Int, folder: URL, quality: Double? = nil,
            capped: Bool = false, codec: VideoCodec = .h264, onSegment: @escaping (SegmentRecord) -> Void
        ) throws(MediaError) {
            let encoder = try VideoEncoder(rung: rung, frameRate: frameRate, segmentFrames: segmentFrames, threads: threads,
                                           quality: quality, capped: capped, codec: codec)
            guard let context = encoder.context else { throw MediaError(.unsupported, "the \(codec) encoder for \(rung) is not open") }
            self.rung = rung
            self.encoder = encoder
            self.writer = try FragmentedWriter(folder: folder, encoder: context, onSegment: onSegment)
            self.coded = rotation == 90 || rotation == 270 ? (rung.height, rung.width) : (rung.width, rung.height)
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
