import CFFmpeg
import Foundation
import ReelManifests

/// Writes one track as CMAF: `init.mp4` (ftyp + moov) and numbered media
/// segments (`0.m4s`, `1.m4s`, … each moof + mdat) into a folder, each file
/// the moment it is complete.
///
/// libavformat's MP4 muxer runs with `frag_custom` into an in-memory AVIO
/// context: the header becomes the init segment, and every explicit flush
/// (`av_write_frame(ctx, NULL)`) at a segment boundary becomes one segment.
final class FragmentedWriter {
    private var context: UnsafeMutablePointer<AVFormatContext>?
    private var io: UnsafeMutablePointer<AVIOContext>?
    private let sink = ByteSink()
    let folder: URL
    private let onSegment: (SegmentRecord) -> Void
    private(set) var segments: [SegmentRecord] = []
    private var pending: (start: Int64, end: Int64)?
    private(set) var timeBase = AVRational(num: 1, den: 90000)

    /// Creates the muxer for a stream whose parameters come from `encoder`
    /// (opened with a global header), and writes `init.mp4`.
    init(folder: URL, encoder: UnsafeMutablePointer<AVCodecContext>, onSegment: @escaping (SegmentRecord) -> Void) throws(MediaError) {
        self.folder = folder
        self.onSegment = onSegment
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw MediaError(.unsupported, "cannot create the output folder \(folder.path): \(error)")
        }
        var output: UnsafeMutablePointer<AVFormatContext>?
        guard avformat_alloc_output_context2(&output, nil, "mp4", nil) >= 0, let output else {
            throw MediaError(.unsupported, "this FFmpeg build has no MP4 muxer")
        }
        context = output
        let size = 1 << 16
        guard let buffer = av_malloc(size) else { throw MediaError(.unsupported, "out of memory") }
        io = avio_alloc_context(
            buffer.assumingMemoryBound(to: UInt8.self), Int32(size), 1, Unmanaged.passUnretained(sink).toOpaque(), nil,
            { opaque, bytes, count in
                guard let opaque, let bytes else { return -1 }
                Unmanaged<ByteSink>.fromOpaque(opaque).takeUnretainedValue().data.append(bytes, count: Int(count))
                return count
            }, nil)
        guard let io else { throw MediaError(.unsupported, "out of memory") }
        output.pointee.pb = io
        output.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        guard let stream = avformat_new_stream(output, nil), avcodec_parameters_from_context(stream.pointee.codecpar, encoder) >= 0 else {
            throw MediaError(.unsupported, "cannot add a stream to the MP4 muxer")
        }
        stream.pointee.time_base = encoder.pointee.time_base
        var options: OpaquePointer?
        av_dict_set(&options, "movflags", "+frag_custom+empty_moov+default_base_moof+cmaf+skip_trailer", 0)
        defer { av_dict_free(&options) }
        let header = avformat_write_header(output, &options)
        guard header >= 0 else { throw MediaError(.unsupported, "cannot start the MP4 muxer (\(MediaError.text(header)))") }
        timeBase = stream.pointee.time_base
        avio_flush(io)
        try save(sink.take(), as: "init.mp4")
    }

    deinit {
        if let context { avformat_free_context(context) }
        if let io {
            av_freep(&io.pointee.buffer)
            avio_context_free(&self.io)
        }
    }

    /// Adds one encoded packet (timestamps in the encoder's time base). A
    /// keyframe that starts a new segment first closes the one before.
    func write(_ packet: UnsafeMutablePointer<AVPacket>, encoderTimeBase: AVRational, startsSegment: Bool) throws(MediaError) {
        guard let context else { return }
        if startsSegment, pending != nil { try closeSegment() }
        av_packet_rescale_ts(packet, encoderTimeBase, timeBase)
        packet.pointee.stream_index = 0
        let start = packet.pointee.dts, end = packet.pointee.dts + max(1, packet.pointee.duration)
        pending = (pending?.start ?? start, end)
        let rc = av_write_frame(context, packet)
        guard rc >= 0 else { throw MediaError(.unsupported, "the MP4 muxer rejected a packet (\(MediaError.text(rc)))") }
    }

    /// Writes the last segment.
    func finish() throws(MediaError) {
        if pending != nil { try closeSegment() }
        if let context { av_write_trailer(context) }
    }

    private func closeSegment() throws(MediaError) {
        guard let context, let io, let span = pending else { return }
        av_write_frame(context, nil)
        avio_flush(io)
        let record = SegmentRecord(
            number: segments.count, startTime: span.start, duration: span.end - span.start, bytes: sink.data.count,
            timescale: Int(timeBase.den / max(1, timeBase.num)))
        try save(sink.take(), as: "\(record.number).m4s")
        segments.append(record)
        pending = nil
        onSegment(record)
    }

    /// Writes atomically (temp file, rename): a reader never sees half a segment.
    private func save(_ data: Data, as name: String) throws(MediaError) {
        let target = folder.appendingPathComponent(name)
        do {
            try data.write(to: target, options: .atomic)
        } catch {
            throw MediaError(.unsupported, "cannot write \(target.path): \(error)")
        }
    }
}

/// Where the muxer's bytes land until a segment is complete.
final class ByteSink {
    var data = Data()
    func take() -> Data {
        defer { data = Data() }
        return data
    }
}
