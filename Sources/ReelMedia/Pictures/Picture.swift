import CFFmpeg
import Foundation
import ReelManifests

/// An owned YUV 4:2:0 picture: full range for JPEG (the default), limited
/// range (`AV_PIX_FMT_YUV420P`) for H.264.
final class Picture {
    let frame: UnsafeMutablePointer<AVFrame>
    var width: Int { Int(frame.pointee.width) }
    var height: Int { Int(frame.pointee.height) }

    /// A picture of the given (even) size, black unless `blank` is false
    /// (then its pixels are whatever the allocator left: for frames about to
    /// be overwritten whole).
    init(width: Int, height: Int, format: AVPixelFormat = AV_PIX_FMT_YUVJ420P, blank: Bool = true) throws(MediaError) {
        guard let frame = av_frame_alloc() else { throw MediaError(.unsupported, "out of memory for a \(width)x\(height) picture") }
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = format.rawValue
        guard av_frame_get_buffer(frame, 0) >= 0 else {
            var f: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&f)
            throw MediaError(.unsupported, "out of memory for a \(width)x\(height) picture")
        }
        self.frame = frame
        guard blank else { return }
        for plane in 0..<3 {
            let h = plane == 0 ? height : (height + 1) / 2
            let value: Int32 = plane == 0 ? 0 : 128
            memset(cff_frame_data(frame, Int32(plane)), value, Int(cff_frame_linesize(frame, Int32(plane))) * h)
        }
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
    }

    /// A decoded frame scaled to `width`x`height` (the size before rotation),
    /// then turned clockwise by `rotation` degrees (0, 90, 180, 270) so it
    /// shows the way the source is meant to be seen.
    static func from(
        _ source: UnsafeMutablePointer<AVFrame>, width: Int, height: Int, rotation: Int, format: AVPixelFormat = AV_PIX_FMT_YUVJ420P
    ) throws(MediaError) -> Picture {
        let scaled = try Picture(width: width, height: height, format: format, blank: false)
        guard let scaler = sws_getContext(
            source.pointee.width, source.pointee.height, AVPixelFormat(rawValue: source.pointee.format),
            Int32(width), Int32(height), format, SWS_BICUBIC, nil, nil, nil)
        else { throw MediaError(.unsupported, "cannot scale \(source.pointee.width)x\(source.pointee.height) pictures of this format") }
        defer { sws_freeContext(scaler) }
        guard cff_scale_frame(scaler, source, scaled.frame) > 0 else { throw MediaError(.unreadable, "a frame could not be scaled") }
        return rotation == 0 ? scaled : try scaled.rotated(clockwise: rotation)
    }

    /// Copies `tile` into this picture with its top-left corner at (x, y) (even).
    func paste(_ tile: Picture, x: Int, y: Int) {
        for plane in 0..<3 {
            let shift = plane == 0 ? 0 : 1
            let (tx, ty) = (x >> shift, y >> shift)
            let (w, h) = plane == 0 ? (tile.width, tile.height) : ((tile.width + 1) / 2, (tile.height + 1) / 2)
            guard let src = cff_frame_data(tile.frame, Int32(plane)), let dst = cff_frame_data(frame, Int32(plane)) else { continue }
            let srcStride = Int(cff_frame_linesize(tile.frame, Int32(plane))), dstStride = Int(cff_frame_linesize(frame, Int32(plane)))
            for row in 0..<h {
                memcpy(dst + (ty + row) * dstStride + tx, src + row * srcStride, w)
            }
        }
    }

    /// The picture as a baseline JPEG (libavcodec's MJPEG encoder).
    func jpeg(quality: Int32 = 3) throws(MediaError) -> Data {
        guard let encoder = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
            throw MediaError(.unsupported, "this FFmpeg build has no MJPEG encoder")
        }
        var context = avcodec_alloc_context3(encoder)
        var packet = av_packet_alloc()
        defer {
            av_packet_free(&packet)
            avcodec_free_context(&context)
        }
        guard let context, let packet else { throw MediaError(.unsupported, "out of memory for the JPEG encoder") }
        context.pointee.width = frame.pointee.width
        context.pointee.height = frame.pointee.height
        context.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        context.pointee.time_base = AVRational(num: 1, den: 25)
        context.pointee.flags |= AV_CODEC_FLAG_QSCALE
        context.pointee.global_quality = Int32(FF_QP2LAMBDA) * quality
        frame.pointee.quality = context.pointee.global_quality
        frame.pointee.pts = 0
        let opened = avcodec_open2(context, encoder, nil)
        guard opened >= 0 else { throw MediaError(.unsupported, "cannot open the JPEG encoder (\(MediaError.text(opened)))") }
        guard avcodec_send_frame(context, frame) >= 0, avcodec_send_frame(context, nil) >= 0,
            avcodec_receive_packet(context, packet) >= 0, let bytes = packet.pointee.data
        else { throw MediaError(.unsupported, "the JPEG encoder produced nothing") }
        return Data(bytes: bytes, count: Int(packet.pointee.size))
    }
}
