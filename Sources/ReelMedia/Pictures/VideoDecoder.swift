import CFFmpeg

/// Decodes the best video stream of a file, one frame at a time.
///
/// Blocking, and not `Sendable`: create and use it on one thread you own (the
/// transcode's or the picture writer's), never on the cooperative pool.
final class VideoDecoder {
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let streamIndex: Int32
    private let timeBase: AVRational
    private var draining = false
    let path: String

    init(path: String, threads: Int32 = 1) throws(MediaError) {
        FFmpegLogging.configured
        self.path = path
        var context: UnsafeMutablePointer<AVFormatContext>?
        let opened = avformat_open_input(&context, path, nil, nil)
        guard opened >= 0, let context else {
            throw MediaError(.unreadable, "not a readable media file (\(MediaError.text(opened)))")
        }
        format = context
        guard avformat_find_stream_info(context, nil) >= 0 else {
            avformat_close_input(&format)
            throw MediaError(.unreadable, "the file's streams cannot be read; it may be truncated or corrupt")
        }
        var decoder: UnsafePointer<AVCodec>?
        let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        guard index >= 0, let decoder, let stream = cff_stream(context, UInt32(index)), let parameters = stream.pointee.codecpar else {
            avformat_close_input(&format)
            throw MediaError(.notVideo, "the file has no decodable video stream")
        }
        streamIndex = index
        timeBase = stream.pointee.time_base
        codec = avcodec_alloc_context3(decoder)
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        guard let codec, packet != nil, frame != nil, avcodec_parameters_to_context(codec, parameters) >= 0 else {
            throw MediaError(.unsupported, "cannot set up a decoder for \(String(cString: avcodec_get_name(parameters.pointee.codec_id)))")
        }
        codec.pointee.thread_count = threads
        let open = avcodec_open2(codec, decoder, nil)
        guard open >= 0 else {
            throw MediaError(.unsupported, "cannot open the \(String(cString: decoder.pointee.name)) decoder (\(MediaError.text(open)))")
        }
    }

    deinit {
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&codec)
        avformat_close_input(&format)
    }

    /// The next decoded frame (valid until the next call), or nil at the end.
    /// Packets the decoder rejects are skipped: a damaged stretch costs frames,
    /// not the whole file.
    func next() throws(MediaError) -> UnsafeMutablePointer<AVFrame>? {
        guard let format, let codec, let packet, let frame else { return nil }
        while true {
            av_frame_unref(frame)
            let received = avcodec_receive_frame(codec, frame)
            if received == 0 { return frame }
            if received == cff_averror_eof() { return nil }
            guard received == cff_averror_eagain() else {
                throw MediaError(.unreadable, "the video cannot be decoded (\(MediaError.text(received)))")
            }
            if draining { return nil }
            if av_read_frame(format, packet) < 0 {
                draining = true
                avcodec_send_packet(codec, nil)
                continue
            }
            if packet.pointee.stream_index == streamIndex { _ = avcodec_send_packet(codec, packet) }
            av_packet_unref(packet)
        }
    }

    /// Moves to the keyframe at or before `seconds`; `next()` continues from there.
    func seek(to seconds: Double) {
        guard let format, let codec else { return }
        let target = Int64(seconds / av_q2d(timeBase))
        if av_seek_frame(format, streamIndex, target, AVSEEK_FLAG_BACKWARD) >= 0 {
            avcodec_flush_buffers(codec)
            draining = false
        }
    }

    /// A frame's presentation time in seconds.
    func seconds(of frame: UnsafeMutablePointer<AVFrame>) -> Double {
        let pts = frame.pointee.best_effort_timestamp
        return pts == cff_nopts_value() ? 0 : Double(pts) * av_q2d(timeBase)
    }
}
