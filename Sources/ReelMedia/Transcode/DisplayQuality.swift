import CFFmpeg
import Foundation
import ReelManifests

/// The picture a probe encode gives a viewer: each encode decoded, scaled up
/// (bicubic, as players scale) to the display size, against the source scaled
/// to that size, as luma PSNR. Comparing at one size is what lets a smaller
/// rung be judged against a larger one for the same bits.
///
/// Blocking: run it on a thread the caller owns.
enum DisplayQuality {
    /// One PSNR (dB) per lane, in order. The lanes' encodes are finished; their
    /// frames match the samples' one to one. Every `stride`-th frame is compared.
    static func psnr(
        of lanes: [LadderTranscoder.Lane], against source: MediaSource, starts: [Double], frames: Int, rate: Double, threads: Int32,
        rotation: Int, display: (width: Int, height: Int), stride: Int = 3
    ) throws(MediaError) -> [Double] {
        let decoders = try lanes.map { (lane) throws(MediaError) in
            try VideoDecoder(source: MediaSource(path: try joined(lane), container: "mov,mp4,m4a,3gp,3g2,mj2"), threads: 1)
        }
        let quarter = rotation == 90 || rotation == 270
        let coded = quarter ? (display.height, display.width) : (display.width, display.height)
        var errors = [UInt64](repeating: 0, count: lanes.count)
        var compared = 0
        _ = try ComplexityProbe.forEachSampleFrame(source, starts: starts, frames: frames, rate: rate, threads: threads) {
            (frame, index) throws(MediaError) in
            // Every encode's frame is decoded, compared or not: they are inter frames.
            var decoded: [UnsafeMutablePointer<AVFrame>] = []
            for decoder in decoders {
                guard let next = try decoder.next() else { throw MediaError(.unreadable, "a probe encode has fewer frames than its samples") }
                decoded.append(next)
            }
            guard index % stride == 0 else { return }
            let reference = try Picture.from(frame, width: coded.0, height: coded.1, rotation: rotation, format: AV_PIX_FMT_YUV420P)
            for (i, picture) in decoded.enumerated() {
                let shown = try Picture.from(picture, width: display.width, height: display.height, rotation: 0, format: AV_PIX_FMT_YUV420P)
                errors[i] += lumaError(reference, shown)
            }
            compared += 1
        }
        let pixels = Double(compared * display.width * display.height)
        return errors.map { error in
            // Identical pictures: report the figure of one level off in every thousandth pixel, not infinity.
            let mse = max(Double(error), pixels / 1000) / max(pixels, 1)
            return 10 * log10(255 * 255 / mse)
        }
    }

    /// The lane's CMAF segments as one fragmented MP4 beside them (init + every segment).
    static func joined(_ lane: LadderTranscoder.Lane) throws(MediaError) -> String {
        let folder = lane.writer.folder
        let file = folder.appendingPathComponent("joined.mp4")
        do {
            var data = try Data(contentsOf: folder.appendingPathComponent("init.mp4"))
            for segment in lane.writer.segments {
                data.append(try Data(contentsOf: folder.appendingPathComponent("\(segment.number).m4s")))
            }
            try data.write(to: file)
        } catch {
            throw MediaError(.unsupported, "the probe's encode of \(lane.rung.name) could not be read back")
        }
        return file.path
    }

    /// Sum of squared differences of two same-sized pictures' luma.
    static func lumaError(_ a: Picture, _ b: Picture) -> UInt64 {
        guard let pa = cff_frame_data(a.frame, 0), let pb = cff_frame_data(b.frame, 0) else { return 0 }
        let strideA = Int(cff_frame_linesize(a.frame, 0)), strideB = Int(cff_frame_linesize(b.frame, 0))
        let width = min(a.width, b.width), height = min(a.height, b.height)
        var total: UInt64 = 0
        for row in 0..<height {
            let ra = pa + row * strideA, rb = pb + row * strideB
            var line: UInt32 = 0
            for x in 0..<width {
                let d = Int32(ra[x]) - Int32(rb[x])
                line &+= UInt32(d * d)
            }
            total += UInt64(line)
        }
        return total
    }
}
