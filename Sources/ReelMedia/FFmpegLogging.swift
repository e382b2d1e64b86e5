import CFFmpeg
import ReelManifests

/// FFmpeg prints to stderr by default (banners, per-encoder statistics).
/// Reel reports problems as MediaError values instead, so only FFmpeg's
/// errors stay on (SVT-AV1's too); `REEL_FFMPEG_LOG=info` (or debug, warning) lets the rest through.
enum FFmpegLogging {
    static let configured: Void = {
        let levels: [String: Int32] = ["quiet": AV_LOG_QUIET, "error": AV_LOG_ERROR, "warning": AV_LOG_WARNING,
                                       "info": AV_LOG_INFO, "debug": AV_LOG_DEBUG]
        let wanted = getenv("REEL_FFMPEG_LOG").map { String(cString: $0) } ?? "error"
        av_log_set_level(levels[wanted] ?? AV_LOG_ERROR)
        // SVT-AV1 prints its banner and configuration itself, per encoder, unless
        // SVT_LOG (its own level: 1 errors, 2 warnings, 3 information) says otherwise.
        let svt: [String: String] = ["quiet": "0", "error": "1", "warning": "2", "info": "3", "debug": "4"]
        setenv("SVT_LOG", svt[wanted] ?? "1", 0)
    }()
}
