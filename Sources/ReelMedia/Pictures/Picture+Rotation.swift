import CFFmpeg
import ReelManifests

extension Picture {
    /// This picture turned clockwise by `degrees` (90, 180 or 270), in a new picture.
    func rotated(clockwise degrees: Int) throws(MediaError) -> Picture {
        let quarter = degrees == 90 || degrees == 270
        let out = try Picture(width: quarter ? height : width, height: quarter ? width : height,
                              format: AVPixelFormat(rawValue: frame.pointee.format), blank: false)
        rotate(clockwise: degrees, into: out)
        return out
    }

    /// Writes this picture turned clockwise by `degrees` into `out`, which
    /// must have the turned size. Works in 32x32 tiles so that both the
    /// reads and the writes stay in cache: a turned 1080x1920 frame costs a
    /// few milliseconds, not tens, which matters once per frame per rung.
    func rotate(clockwise degrees: Int, into out: Picture) {
        let tile = 32
        for plane in 0..<3 {
            let (w, h) = plane == 0 ? (width, height) : ((width + 1) / 2, (height + 1) / 2)
            guard let src = cff_frame_data(frame, Int32(plane)), let dst = cff_frame_data(out.frame, Int32(plane)) else { continue }
            let srcStride = Int(cff_frame_linesize(frame, Int32(plane)))
            let dstStride = Int(cff_frame_linesize(out.frame, Int32(plane)))
            for top in stride(from: 0, to: h, by: tile) {
                let bottom = min(top + tile, h)
                for left in stride(from: 0, to: w, by: tile) {
                    let right = min(left + tile, w)
                    for y in top..<bottom {
                        let row = src + y * srcStride
                        switch degrees {
                        case 90:
                            // Source row y becomes destination column h-1-y.
                            var target = dst + left * dstStride + (h - 1 - y)
                            for x in left..<right {
                                target.pointee = row[x]
                                target += dstStride
                            }
                        case 270:
                            // Source row y becomes destination column y, read upwards.
                            var target = dst + (w - 1 - left) * dstStride + y
                            for x in left..<right {
                                target.pointee = row[x]
                                target -= dstStride
                            }
                        default:
                            let target = dst + (h - 1 - y) * dstStride + (w - 1)
                            for x in left..<right { target[-x] = row[x] }
                        }
                    }
                }
            }
        }
    }
}
