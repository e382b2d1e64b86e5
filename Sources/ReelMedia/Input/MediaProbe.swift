import CFFmpeg
import Foundation
public import ReelManifests

/// Reads a file's container and streams with libavformat.
///
/// `probe` blocks in FFmpeg; call it on a thread you own, or use
/// `probe(path:) async`, which runs it on a thread of its own and never on the
/// cooperative pool.
public enum MediaProbe {
    /// Image demuxers: a PNG renamed .mp4 opens as a one-frame "video".
    static let imageFormats = ["image2", "png_pipe", "jpeg_pipe", "bmp_pipe", "gif", "webp_pipe", "tiff_pipe", "apng"]

    public static func probe(path: String, limits: MediaLimits = .standard) async throws -> MediaInfo {
        try await onOwnThread(name: "reel-probe") { try probe(path, limits: limits) }
    }

    /// Opens only containers `limits` accepts (through ``ContainedInput``,
    /// so nothing the file names is ever opened) and refuses what is beyond
    /// its bounds before a frame is transcoded.
    public static func probe(_ path: String, limits: MediaLimits = .standard) throws(MediaError) -> MediaInfo {
        let input = try ContainedInput(path: path, limits: limits)
        guard let format = input.format else { throw MediaError(.unreadable, "not a readable media file") }
        try checkStreams(Int(format.pointee.nb_streams), limits)
        let info = avformat_find_stream_info(format, nil)
        guard info >= 0 else {
            throw MediaError(.unreadable, "the file's streams cannot be read (\(MediaError.text(info))); it may be truncated or corrupt")
        }
        try checkStreams(Int(format.pointee.nb_streams), limits)
        let container = input.demuxer
        var video: MediaInfo.Video?
        var audio: MediaInfo.Audio?
        let bestVideo = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        let bestAudio = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0)
        if bestVideo >= 0, let stream = cff_stream(format, UInt32(bestVideo)), let par = stream.pointee.codecpar {
            let codec = String(cString: avcodec_get_name(par.pointee.codec_id))
            let attachedPicture = stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0
            if !attachedPicture {
                let rotation = cff_stream_rotation(stream)
                let average = stream.pointee.avg_frame_rate, real = stream.pointee.r_frame_rate
                let averageRate = average.den > 0 && average.num > 0 ? av_q2d(average) : 0
                let realRate = real.den > 0 && real.num > 0 ? av_q2d(real) : 0
                let rate = averageRate > 0 ? averageRate : realRate
                let pixelFormat = av_get_pix_fmt_name(AVPixelFormat(rawValue: par.pointee.format)).map { String(cString: $0) } ?? "unknown"
                let descriptor = av_pix_fmt_desc_get(AVPixelFormat(rawValue: par.pointee.format))
                video = MediaInfo.Video(
                    codec: codec,
                    geometry: DisplayGeometry(
                        codedWidth: Int(par.pointee.width), codedHeight: Int(par.pointee.height),
                        rotation: Int((-rotation).rounded()), frameRate: rate),
                    matrixRotation: rotation, pixelFormat: pixelFormat, frameRate: rate,
                    variableFrameRate: averageRate > 0 && realRate > 0 && abs(averageRate - realRate) / realRate > 0.01,
                    declaredFrames: Int(stream.pointee.nb_frames),
                    bitsPerSample: descriptor.map { Int($0.pointee.comp.0.depth) } ?? 8)
            }
        }
        if bestAudio >= 0, let stream = cff_stream(format, UInt32(bestAudio)), let par = stream.pointee.codecpar {
            audio = MediaInfo.Audio(
                codec: String(cString: avcodec_get_name(par.pointee.codec_id)),
                sampleRate: Int(par.pointee.sample_rate), channels: Int(par.pointee.ch_layout.nb_channels))
        }
        guard let video else {
            if let audio {
                throw MediaError(.notVideo, "the file has no video, only \(audio.codec) audio; upload a video with a picture")
            }
            throw MediaError(.notVideo, "the file (\(container)) has no video stream; upload a video file")
        }
        guard video.geometry.codedWidth > 0, video.geometry.codedHeight > 0 else {
            throw MediaError(.unreadable, "the video stream (\(video.codec)) has no picture size; the file may be truncated")
        }
        let duration = format.pointee.duration != cff_nopts_value() ? Double(format.pointee.duration) / Double(AV_TIME_BASE) : 0
        let probed = MediaInfo(
            container: container, duration: duration, bitRate: Int(format.pointee.bit_rate),
            streamCount: Int(format.pointee.nb_streams), video: video, audio: audio)
        try check(probed, limits)
        return probed
    }

    static func checkStreams(_ count: Int, _ limits: MediaLimits) throws(MediaError) {
        guard count <= limits.maxStreams else {
            throw MediaError(.tooLarge, "the file has \(count) streams, more than the \(limits.maxStreams) Reel accepts; upload a video with one picture and one sound track")
        }
    }

    /// Refuses a probed source beyond `limits`, saying which bound and what to do.
    static func check(_ info: MediaInfo, _ limits: MediaLimits) throws(MediaError) {
        let width = info.video.geometry.codedWidth, height = info.video.geometry.codedHeight
        guard width <= limits.maxWidth, height <= limits.maxHeight, width * height <= limits.maxPixels else {
            throw MediaError(.tooLarge, "the picture is \(width)x\(height), larger than the \(limits.maxWidth)x\(limits.maxHeight) "
                + "(\(limits.maxPixels) pixels) Reel accepts; scale it down to 4K or less")
        }
        guard info.duration <= limits.maxDuration else {
            throw MediaError(.tooLarge, String(format: "the video lasts %.0f s, longer than the %.0f s Reel accepts; upload a shorter clip",
                                               info.duration, limits.maxDuration))
        }
        guard info.video.frameRate <= limits.maxFrameRate else {
            throw MediaError(.tooLarge, String(format: "the video has %.0f frames a second, more than the %.0f Reel accepts; re-encode it at a normal frame rate",
                                               info.video.frameRate, limits.maxFrameRate))
        }
    }
}
