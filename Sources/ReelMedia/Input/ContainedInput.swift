import CFFmpeg
import Foundation
import ReelManifests

/// An upload opened for demuxing and for nothing else.
///
/// FFmpeg's demuxers for playlists and lists (HLS, DASH, concat, SDP, image
/// sequences) open the files and URLs their input names; an upload that is
/// such a list could make a worker read any file of the server or fetch any
/// address. So Reel never hands FFmpeg a path: it opens the one file itself,
/// gives FFmpeg an AVIOContext over that descriptor, identifies the container
/// from its bytes before anything is parsed, refuses any demuxer off
/// `MediaLimits.formats`, and routes every nested open a demuxer may still
/// attempt to a refusal (`io_open`), with an empty protocol whitelist besides.
///
/// Blocking and not `Sendable`: use it on the thread that does the work.
final class ContainedInput {
    private(set) var format: UnsafeMutablePointer<AVFormatContext>?
    private var io: UnsafeMutablePointer<AVIOContext>?
    private let descriptor: Int32
    /// The demuxer's names, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    let demuxer: String
    let size: Int64

    /// Opens `path`; with `demuxer` (a name the probe accepted before) that
    /// demuxer is used without probing again.
    init(path: String, limits: MediaLimits, demuxer forced: String? = nil) throws(MediaError) {
        FFmpegLogging.configured
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MediaError(.unreadable, "the source cannot be read: no such file") }
        // Until the context is open, every refusal below releases what was taken here.
        var io: UnsafeMutablePointer<AVIOContext>?
        var opened = false
        defer {
            if !opened {
                cff_source_io_free(&io)
                close(descriptor)
            }
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw MediaError(.unreadable, "the source is not a regular file")
        }
        let size = Int64(info.st_size)
        guard size > 0 else { throw MediaError(.empty, "the upload is empty (0 bytes); upload the video file itself") }
        guard size <= limits.maxSourceBytes else {
            throw MediaError(.tooLarge, "the upload is \(Self.bytes(size)), more than the \(Self.bytes(limits.maxSourceBytes)) a source may have; upload a shorter or smaller video")
        }
        io = cff_source_io(descriptor, size)
        guard let source = io else { throw MediaError(.unsupported, "out of memory opening the source") }
        var chosen: UnsafePointer<AVInputFormat>?
        if let forced {
            chosen = av_find_input_format(String(forced.split(separator: ",").first ?? ""))
        } else if av_probe_input_buffer2(source, &chosen, nil, nil, 0, 0) < 0 {
            chosen = nil
        }
        guard let chosen else {
            throw MediaError(.unreadable, "not a readable media file: its first bytes match no video container; upload \(Self.accepted(limits))")
        }
        let name = String(cString: chosen.pointee.name)
        if MediaProbe.imageFormats.contains(where: { name.split(separator: ",").contains(Substring($0)) }) {
            throw MediaError(.notVideo, "this is an image (\(name)), not a video; upload a video file")
        }
        guard limits.accepts(demuxer: name) else {
            let long = chosen.pointee.long_name.map { String(cString: $0) } ?? name
            throw MediaError(.refusedContainer, Self.refusal(name, long, limits))
        }
        var context = avformat_alloc_context()
        guard let allocated = context else { throw MediaError(.unsupported, "out of memory opening the source") }
        allocated.pointee.pb = source
        cff_contain(allocated)
        var options: OpaquePointer?
        av_dict_set(&options, "format_whitelist", name, 0)
        av_dict_set(&options, "protocol_whitelist", "none", 0)
        let result = avformat_open_input(&context, nil, chosen, &options)
        av_dict_free(&options)
        // On failure avformat_open_input frees the context it was given.
        guard result >= 0, let context else {
            throw MediaError(.unreadable, "not a readable media file (\(MediaError.text(result))); it may be truncated or corrupt")
        }
        opened = true
        self.descriptor = descriptor
        self.io = io
        self.size = size
        demuxer = name
        format = context
    }

    deinit {
        avformat_close_input(&format)
        cff_source_io_free(&io)
        close(descriptor)
    }

    /// What the refusal of a container tells the uploader.
    static func refusal(_ name: String, _ long: String, _ limits: MediaLimits) -> String {
        let first = name.split(separator: ",").first.map(String.init) ?? name
        let what: String
        switch first {
        case "hls", "applehttp": what = "an HLS playlist"
        case "dash": what = "a DASH manifest"
        case "concat": what = "a concat list of other files"
        case "sdp", "rtp", "rtsp": what = "an SDP session description"
        case "image2", "image2pipe": what = "an image sequence"
        default: what = "\(long)"
        }
        return "the upload is \(what) (container \"\(first)\"), which Reel does not open: "
            + "playlists, manifests and lists name other files. Upload \(accepted(limits))"
    }

    /// The accepted containers, in words.
    static func accepted(_ limits: MediaLimits) -> String {
        let words = limits.formats.map { format -> String in
            switch format {
            case "mov", "mp4": "MP4/MOV"
            case "matroska", "webm": "Matroska/WebM"
            case "mpegts": "MPEG-TS"
            default: format
            }
        }
        return "the video file itself, in one of: \(words.joined(separator: ", "))"
    }

    static func bytes(_ count: Int64) -> String {
        count >= 1 << 30 ? String(format: "%.1f GiB", Double(count) / Double(1 << 30))
            : count >= 1 << 20 ? String(format: "%.1f MiB", Double(count) / Double(1 << 20)) : "\(count) bytes"
    }
}
