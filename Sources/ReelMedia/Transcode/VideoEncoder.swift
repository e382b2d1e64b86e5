import CFFmpeg
import ReelManifests

/// One rung's video encoder. H.264 through libx264: closed GOPs, and an IDR
/// frame exactly at every segment boundary (forced on the frame, scene cuts
/// off), so every rung's segments start at the same timestamps and players can
/// switch at any one. AV1 through SVT-AV1 (libsvtav1): the same grid from its
/// fixed key-frame period (a GOP of one segment, scene detection off), because
/// FFmpeg 5.1's wrapper does not pass a forced key frame on to the library.
final class VideoEncoder {
    private(set) var context: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    let timeBase: AVRational
    let codec: VideoCodec
    private var framesSent = 0
    private var flushed = false

    /// `quality`, when given, makes a constant-quality encode (x264's CRF)
    /// instead of one at the rung's bit rate: uncapped, what ``ComplexityProbe``
    /// measures a source's difficulty with; `capped` at the rung's bit rate
    /// (its VBV), how a per-title ladder's lowest rung is made before the
    /// measurement exists. Without it the rung's bit rate and peak are kept.
    init(
        rung: Rung, frameRate: AVRational, segmentFrames: Int, threads: Int32, quality: Double? = nil, capped: Bool = false,
        codec videoCodec: VideoCodec = .h264
    ) throws(MediaError) {
        self.codec = videoCodec
        let library = videoCodec == .av1 ? "libsvtav1" : "libx264"
        guard let codec = avcodec_find_encoder_by_name(library) else {
            throw MediaError(.unsupported, "this FFmpeg build has no \(library) encoder")
        }
        context = avcodec_alloc_context3(codec)
        packet = av_packet_alloc()
        guard let context, packet != nil else { throw MediaError(.unsupported, "out of memory for the \(library) encoder") }
        timeBase = AVRational(num: frameRate.den, den: frameRate.num)
        context.pointee.width = Int32(rung.width)
        context.pointee.height = Int32(rung.height)
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        context.pointee.time_base = timeBase
        context.pointee.framerate = frameRate
        if videoCodec == .av1 {
            try Self.openAV1(context, codec: codec, rung: rung, segmentFrames: segmentFrames, threads: threads, quality: quality)
            return
        }
        if quality == nil {
            context.pointee.bit_rate = Int64(rung.bitrate)
            context.pointee.rc_max_rate = Int64(rung.maxBitrate)
            context.pointee.rc_buffer_size = Int32(rung.maxBitrate * 2)
        } else if capped {
            // Never more than the rung's fixed rate: its ceiling, as for the planned rungs.
            context.pointee.rc_max_rate = Int64(rung.bitrate)
            context.pointee.rc_buffer_size = Int32(rung.bitrate * 2)
        }
        context.pointee.gop_size = Int32(segmentFrames)
        context.pointee.keyint_min = Int32(segmentFrames)
        // No B-frames for now: with them the fragmented MP4 muxer shifts the
        // first presentation time by the reorder delay (no edit list in CMAF
        // fragments), which would put video a frame behind audio.
        context.pointee.max_b_frames = 0
        context.pointee.thread_count = threads
        context.pointee.flags |= Int32(bitPattern: UInt32(AV_CODEC_FLAG_GLOBAL_HEADER) | UInt32(AV_CODEC_FLAG_CLOSED_GOP))
        var options: OpaquePointer?
        av_dict_set(&options, "preset", "veryfast", 0)
        av_dict_set(&options, "profile", "high", 0)
        av_dict_set(&options, "forced-idr", "1", 0)
        av_dict_set(&options, "x264-params", "scenecut=0:open-gop=0", 0)
        if let quality { av_dict_set(&options, "crf", "\(quality)", 0) }
        defer { av_dict_free(&options) }
        let rc = avcodec_open2(context, codec, &options)
        guard rc >= 0 else { throw MediaError(.unsupported, "cannot open libx264 for \(rung) (\(MediaError.text(rc)))") }
    }

    /// SVT-AV1 at the rung's bit rate (or a constant quality), a key frame
    /// every `segmentFrames` and only there. Preset 9 with temporal filtering
    /// off and `fast-decode` on, measured against preset 10 on 1080x1920 rungs
    /// (docs/benchmarks.md): +1.4 dB XPSNR on fast motion and +0.3 dB on
    /// natural footage at the same bit rate, for 1.3-1.4x a rung's CPU. `lp`
    /// is the rung's thread count (by default every SVT-AV1 instance starts a
    /// thread per core, and the rungs already run side by side), which takes
    /// back 12 %: a popular video's AV1 ladder costs 2.7x the CPU of its H.264
    /// one on average (scripts/bench/efficiency.sh), under the 3x it may.
    private static func openAV1(
        _ context: UnsafeMutablePointer<AVCodecContext>, codec: UnsafePointer<AVCodec>, rung: Rung, segmentFrames: Int, threads: Int32,
        quality: Double?
    ) throws(MediaError) {
        if quality == nil { context.pointee.bit_rate = Int64(rung.bitrate) }
        context.pointee.gop_size = Int32(segmentFrames)
        context.pointee.flags |= Int32(bitPattern: UInt32(AV_CODEC_FLAG_GLOBAL_HEADER))
        var options: OpaquePointer?
        av_dict_set(&options, "preset", "9", 0)
        av_dict_set(&options, "svtav1-params", "scd=0:enable-tf=0:fast-decode=1:lp=\(max(1, threads))", 0)
        if let quality { av_dict_set(&options, "crf", "\(Int(quality.rounded()))", 0) }
        defer { av_dict_free(&options) }
        let rc = avcodec_open2(context, codec, &options)
        guard rc >= 0 else { throw MediaError(.unsupported, "cannot open libsvtav1 for \(rung) (\(MediaError.text(rc)))") }
    }

    deinit {
        if codec == .av1 && !flushed { drainBeforeClosing() }
        av_packet_free(&packet)
        avcodec_free_context(&context)
    }

    /// SVT-AV1 1.4 (Debian 12) closes only after its end of stream has come
    /// out, and an end of stream after no picture never does: an encoder a
    /// failing job leaves behind would hang its thread for good. So it gets
    /// one blank picture if it had none, then the end of stream, and
    /// whatever comes out is dropped.
    private func drainBeforeClosing() {
        guard let context, let packet else { return }
        var blank = framesSent == 0 ? av_frame_alloc() : nil
        if let frame = blank {
            frame.pointee.width = context.pointee.width
            frame.pointee.height = context.pointee.height
            frame.pointee.format = context.pointee.pix_fmt.rawValue
            frame.pointee.pts = 0
            if av_frame_get_buffer(frame, 0) >= 0 {
                let planes = [(frame.pointee.data.0, frame.pointee.linesize.0, Int(frame.pointee.height), Int32(16)),
                              (frame.pointee.data.1, frame.pointee.linesize.1, (Int(frame.pointee.height) + 1) / 2, Int32(128)),
                              (frame.pointee.data.2, frame.pointee.linesize.2, (Int(frame.pointee.height) + 1) / 2, Int32(128))]
                for (data, stride, rows, value) in planes {
                    if let data { memset(data, value, Int(stride) * rows) }
                }
                _ = avcodec_send_frame(context, frame)
            }
        }
        av_frame_free(&blank)
        guard avcodec_send_frame(context, nil) >= 0 else { return }
        while avcodec_receive_packet(context, packet) >= 0 { av_packet_unref(packet) }
    }

    /// RFC 6381 codec string of what the encoder really produces: profile,
    /// constraint flags and level from its sequence parameter set (libx264
    /// picks the level from the size and bit rate and does not report it in
    /// the context), so CODECS in the manifests matches the `avcC` box.
    var codecString: String {
        guard let context, let extradata = context.pointee.extradata, context.pointee.extradata_size > 0 else {
            return "avc1.640028"
        }
        let bytes = Array(UnsafeBufferPointer(start: extradata, count: Int(context.pointee.extradata_size)))
        return CodecStrings.avc1(parameterSets: bytes) ?? "avc1.640028"
    }

    /// Encodes one frame (nil flushes) and hands every packet that comes out to `body`.
    func encode(_ frame: UnsafeMutablePointer<AVFrame>?, _ body: (UnsafeMutablePointer<AVPacket>) throws(MediaError) -> Void) throws(MediaError) {
        guard let context, let packet else { return }
        // A flush that follows no frame would wait forever in libsvtav1 (see `deinit`).
        if frame == nil && framesSent == 0 { return }
        if frame != nil { framesSent += 1 } else { flushed = true }
        let sent = avcodec_send_frame(context, frame)
        guard sent >= 0 || sent == cff_averror_eof() else {
            throw MediaError(.unsupported, "libx264 refused a frame (\(MediaError.text(sent)))")
        }
        while true {
            let rc = avcodec_receive_packet(context, packet)
            if rc == cff_averror_eagain() || rc == cff_averror_eof() { return }
            guard rc >= 0 else { throw MediaError(.unsupported, "libx264 failed (\(MediaError.text(rc)))") }
            try body(packet)
            av_packet_unref(packet)
        }
    }
}
