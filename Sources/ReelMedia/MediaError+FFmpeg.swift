import CFFmpeg
import ReelManifests

extension MediaError {
    /// FFmpeg's text for an error code (`av_strerror`).
    static func text(_ rc: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        return buffer.withUnsafeMutableBufferPointer { b in
            String(cString: cff_err2str(rc, b.baseAddress, b.count))
        }
    }
}
