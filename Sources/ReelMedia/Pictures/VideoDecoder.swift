import CFFmpeg
import ReelManifests

/// Decodes the best video stream of a file, one frame at a time.
///
/// Blocking, and not `Sendable`: create and use it on one thread you own (the
/// transcode's or the picture writer's), never on the cooperative pool.
final class VideoDecoder {
    private let input: ContainedInput
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private let budget: MediaBudget
    private let limits: MediaLimits
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let streamIndex: Int32
    private let timeBase: AVRational
    private var draining = false
    private var packetsRead = 0

    init(source: MediaSource, threads: Int32 = 1) throws(MediaError) {
        input = try source.open()
        budget = source.budget
        limits = source.limits
        guard let context = input.format else { throw MediaError(.unreadable, "not a readable media file") }
        format = context
        guard avformat_find_stream_info(context, nil) >= 0 else {
            throw MediaError(.unreadable, "the file's streams cannot be read; it may be truncated or corrupt")
        }
        var decoder: UnsafePointer<AVCodec>?
        let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        guard index >= 0, let decoder, let stream = cff_stream(context, UInt32(index)), let parameters = stream.pointee.codecpar else {
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
        // The decoder itself refuses frames larger than the limit (a stream
        // that switches to 16000x16000 mid-way), before allocating them.
        codec.pointee.max_pixels = Int64(source.limits.maxPixels)
        let open = avcodec_open2(codec, decoder, nil)
        guard open >= 0 else {
            throw MediaError(.unsupported, "cannot open the \(String(cString: decoder.pointee.name)) decoder (\(MediaError.text(open)))")
        }
    }

    deinit {
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&codec)
    }

    /// The next decoded frame (valid until the next call), or nil at the end.
    /// Packets the decoder rejects are skipped: a damaged stretch costs frames,
    /// not the whole file. Throws when the frame is beyond the limits or the
    /// budget (a decompression bomb).
    func next() throws(MediaError) -> UnsafeMutablePointer<AVFrame>? {
        guard let format, let codec, let packet, let frame else { return nil }
        while true {
            av_frame_unref(frame)
            let received = avcodec_receive_frame(codec, frame)
            if received == 0 {
                try budget.check(presentation: seconds(of: frame))
                let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
                guard width <= limits.maxWidth, height <= limits.maxHeight, width * height <= limits.maxPixels else {
                    throw MediaError(.tooLarge, "a frame of the video is \(width)x\(height), larger than the limit; re-encode it at 4K or less")
                }
                return frame
            }
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
            packetsRead += 1
            // Packets that never become frames (other streams, rejected
            // data) still count against the time budget.
            if packetsRead % 256 == 0 { try budget.check(presentation: 0) }
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

    /// When a frame stops showing: its time plus its duration, at most a
    /// second on (a hostile duration cannot stretch the video).
    func end(of frame: UnsafeMutablePointer<AVFrame>) -> Double {
        let duration = frame.pointee.pkt_duration > 0 ? Double(frame.pointee.pkt_duration) * av_q2d(timeBase) : 0
        return seconds(of: frame) + min(1, duration)
    }

    /// A frame's presentation time in seconds.
    func seconds(of frame: UnsafeMutablePointer<AVFrame>) -> Double {
        let pts = frame.pointee.best_effort_timestamp
        return pts == cff_nopts_value() ? 0 : Double(pts) * av_q2d(timeBase)
    }
}
