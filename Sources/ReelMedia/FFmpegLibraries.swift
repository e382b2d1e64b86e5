import CFFmpeg
import ReelManifests

/// The FFmpeg libraries Reel is linked against, for `reel version` and bug
/// reports: media behaviour differs between FFmpeg releases.
public enum FFmpegLibraries {
    /// e.g. "libavformat 59.27.100, libavcodec 59.37.100, …".
    public static var versions: String {
        func text(_ name: String, _ v: UInt32) -> String { "\(name) \(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)" }
        return [
            text("libavformat", avformat_version()), text("libavcodec", avcodec_version()),
            text("libavutil", avutil_version()), text("libswscale", swscale_version()),
            text("libswresample", swresample_version()),
        ].joined(separator: ", ")
    }
}
