import Testing
@testable import ReelMedia
import ReelManifests
import ReelTesting

@Suite struct ComplexityProbeTests {
    @Test func samplesAreSpreadOverALongEnoughSourceAndTakenFromTheStartOfAShortOne() {
        #expect(ComplexityProbe.sampleStarts(duration: 30, count: 3, length: 1) == [4.5, 14.5, 24.5])
        #expect(ComplexityProbe.sampleStarts(duration: 4, count: 3, length: 1) == [0])
        #expect(ComplexityProbe.sampleStarts(duration: 30, count: 1, length: 1) == [0])
    }

    /// The same picture, held still and under noise that changes every frame:
    /// at the same quality the noise costs many times the bits at every rung,
    /// and per-title planning gives the still one far fewer bits.
    @Test func noiseCostsManyTimesWhatAStillPictureCostsAtTheSameQuality() async throws {
        var measured: [String: ComplexityMeasurement] = [:]
        for name in ["still", "noise"] {
            let path = try await TestClips.path("\(name).mp4")
            let info = try MediaProbe.probe(path)
            let rungs = try LadderPlanner.plan(info.video.geometry)
            let measurement = try await ComplexityProbe.measure(path: path, info: info, rungs: rungs)
            #expect(Set(measurement.bitrates.keys) == Set(rungs.map(\.name)))
            #expect(measurement.samples.count == 3)
            // Every rung's picture at the display size, at CRF 21 and 29: fewer bits, a worse picture.
            for rung in rungs {
                let points = try #require(measurement.quality?[rung.name]).sorted { $0.crf < $1.crf }
                #expect(points.map(\.crf) == [21, 29])
                #expect(points[0].bitrate > points[1].bitrate && points[0].psnr > points[1].psnr, "\(rung.name): \(points)")
                #expect(points.allSatisfy { $0.psnr > 20 && $0.psnr < 100 })
            }
            measured[name] = measurement
        }
        let still = try #require(measured["still"]), noise = try #require(measured["noise"])
        for (rung, bits) in still.bitrates {
            let noisy = try #require(noise.bitrates[rung])
            #expect(bits > 0)
            #expect(noisy > bits * 4, "\(rung): noise \(noisy) b/s against still \(bits) b/s")
        }
        let fixed = try LadderPlanner.plan(MediaProbe.probe(try await TestClips.path("still.mp4")).video.geometry)
        // The still picture looks better than the noise at every rung, for fewer bits.
        for rung in fixed {
            let a = try #require(still.quality?[rung.name]?.first { $0.crf == 21 }), b = try #require(noise.quality?[rung.name]?.first { $0.crf == 21 })
            #expect(a.psnr > b.psnr, "\(rung.name): still \(a.psnr) dB, noise \(b.psnr) dB")
        }
        let easy = try PerTitlePlanner.plan(fixed: fixed, measured: still.bitrates, curves: still.curves)
        let hard = try PerTitlePlanner.plan(fixed: fixed, measured: noise.bitrates, curves: noise.curves)
        #expect(easy.ladderRatio < 0.5)
        #expect(hard.ladderRatio > easy.ladderRatio * 2)
    }

    /// A measurement that fails leaves the fixed ladder, with the reason:
    /// per-title work must never leave a video without a ladder.
    @Test func aFailedMeasurementKeepsTheFixedLadderAndSaysWhy() async throws {
        let good = try MediaProbe.probe(try await TestClips.path("vertical.mp4"))
        let rungs = try LadderPlanner.plan(good.video.geometry)
        let source = MediaSource(path: try await TestClips.path("truncated.mp4"), info: good, limits: .standard, budget: .unbounded)
        let record = LadderTranscoder.plan(source, info: good, rungs: rungs, configuration: .standard, threads: 2)
        #expect(record.plan == nil && record.measurement == nil)
        #expect(record.fallback?.hasPrefix("the complexity measurement failed:") == true, "\(record.fallback ?? "")")
    }

    @Test func anUnreadableSourceIsAMediaErrorNotACrash() async throws {
        let path = try await TestClips.path("truncated.mp4")
        let good = try MediaProbe.probe(try await TestClips.path("vertical.mp4"))
        await #expect(throws: (any Error).self) {
            _ = try await ComplexityProbe.measure(path: path, info: good, rungs: try LadderPlanner.plan(good.video.geometry))
        }
    }
}
