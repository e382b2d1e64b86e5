import Testing
import ReelManifests

@Suite struct PerTitlePlannerTests {
    let fixed = try! LadderPlanner.plan(DisplayGeometry(codedWidth: 1080, codedHeight: 1920))

    @Test func easyContentGetsWhatItNeedsWithHeadroomAndNoLessThanTheFloor() throws {
        // A talking head: a fifth of what the fixed ladder gives, the lowest rung below its floor.
        let plan = try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 900_000, "720p": 500_000, "480p": 300_000, "360p": 80_000])
        let chosen = Dictionary(uniqueKeysWithValues: plan.rungs.map { ($0.name, $0.bitrate) })
        #expect(chosen == ["1080p": 990_000, "720p": 550_000, "480p": 330_000, "360p": 120_000])
        #expect(plan.choices.first { $0.rung == "360p" }?.note == "floor")
        #expect(plan.choices.allSatisfy { $0.chosen <= $0.fixed })
        #expect(plan.ladderRatio < 0.25)
        // The peak keeps the fixed ladder's ratio to the average.
        for rung in plan.rungs { #expect(rung.maxBitrate == Int(Double(rung.bitrate) * 1.5)) }
    }

    @Test func hardContentKeepsTheFixedLadder() throws {
        let plan = try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 20_000_000, "720p": 9_000_000, "480p": 5_000_000, "360p": 3_000_000])
        #expect(plan.rungs == fixed)
        #expect(plan.choices.allSatisfy { $0.note == "ceiling" })
        #expect(plan.ladderRatio == 1)
    }

    @Test func aRungThatAddsNothingIsLeftOutButNeverTheLowestOrTheHighest() throws {
        // 720p would cost 0.95× of 1080p; 480p is a real step down again.
        let plan = try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 1_000_000, "720p": 950_000, "480p": 500_000, "360p": 300_000])
        #expect(plan.rungs.map(\.name) == ["1080p", "480p", "360p"])
        let left = try #require(plan.choices.first { $0.rung == "720p" })
        #expect(left.chosen == 0)
        #expect(left.note?.contains("1080p costs only") == true)
        // 480p within the step above the lowest rung adds nothing either; the lowest stays (it makes a video playable first).
        let close = try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 1_000_000, "720p": 950_000, "480p": 500_000, "360p": 480_000])
        #expect(close.rungs.map(\.name) == ["1080p", "360p"])
        #expect(close.choices.first { $0.rung == "480p" }?.note == "left out: it would cost less than 1.3× the lowest rung")
    }

    /// Two measured points per size, as the probe gives them: (CRF 21, CRF 29) bit rates and display PSNR.
    func curves(_ points: [String: (Int, Double, Int, Double)]) -> [String: QualityCurve] {
        points.compactMapValues { QualityCurve([QualityPoint(crf: 21, bitrate: $0.0, psnr: $0.1), QualityPoint(crf: 29, bitrate: $0.2, psnr: $0.3)]) }
    }

    @Test func aQualityCurveIsALineInLogRateThatFlattensOneDoublingAboveItsPoints() throws {
        let curve = try #require(QualityCurve([QualityPoint(crf: 29, bitrate: 1_000_000, psnr: 40), QualityPoint(crf: 21, bitrate: 2_000_000, psnr: 44)]))
        #expect(curve.slope == 4)
        #expect(abs(curve.psnr(at: 1_414_214) - 42) < 0.01)
        #expect(abs(curve.bitrate(for: 42) - 1_414_214) < 10)
        #expect(curve.psnr(at: 4_000_000) == 46 && curve.psnr(at: 16_000_000) == 46)  // half as steep, then flat
        #expect(curve.bitrate(for: 47) == .infinity)
        #expect(curve.psnr(at: 500_000) == 34)  // half as steep again below: 6 dB for the halving
        #expect(QualityCurve([QualityPoint(crf: 21, bitrate: 1_000_000, psnr: 40)]) == nil)
    }

    /// A soft source (upscaled, as many phone re-uploads are) looks better at
    /// a smaller size for the same bits: the top slot takes 720p's size, and
    /// the slots below it take sizes no larger.
    @Test func aSlotTakesTheSizeThatLooksBestAtItsBitRate() throws {
        let soft = curves(["1080p": (4_900_000, 45.2, 1_900_000, 40.7), "720p": (2_600_000, 43.8, 1_000_000, 38.9),
                           "480p": (1_500_000, 42.1, 580_000, 37.1), "360p": (1_000_000, 40.7, 390_000, 35.7)])
        let plan = try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 4_900_000, "720p": 2_600_000, "480p": 1_500_000, "360p": 1_000_000],
                                            curves: soft)
        let top = try #require(plan.rungs.first)
        #expect(top.name == "720p" && top.width == 720 && top.height == 1280, "\(plan.choices)")
        #expect(plan.choices[0].size == "720p" && plan.choices[0].psnr != nil)
        // Its bit rate gives 1080p's picture at CRF 21 (45.2 dB), with headroom, within the ceiling.
        #expect(top.bitrate > 2_600_000 && top.bitrate <= 5_000_000)
        for (above, below) in zip(plan.rungs, plan.rungs.dropFirst()) {
            #expect(below.width * below.height <= above.width * above.height && below.bitrate < above.bitrate)
        }
        #expect(plan.rungs.last?.name == "360p")
    }

    /// Noise: doubling the bits buys a fraction of a dB, so the top rung stops
    /// within the tolerance of what its ceiling would buy; natural footage,
    /// whose picture grows 3 to 5 dB a doubling, keeps its rate.
    @Test func whereBitsBuyLittleTheRungStopsWithinTheTolerance() throws {
        let measured = ["1080p": 10_000_000, "720p": 5_600_000, "480p": 1_200_000, "360p": 640_000]
        let noise = curves(["1080p": (10_000_000, 33.5, 2_800_000, 32.9), "720p": (5_600_000, 32.4, 630_000, 31.9),
                            "480p": (1_200_000, 31.5, 270_000, 31.2), "360p": (640_000, 31.0, 200_000, 30.6)])
        let flat = try PerTitlePlanner.plan(fixed: fixed, measured: measured, curves: noise)
        let top = try #require(flat.rungs.first)
        #expect(top.name == "1080p" && top.bitrate < 2_500_000, "\(flat.choices)")
        #expect(flat.choices[0].note == "within 0.5 dB of the ceiling's picture")
        let steep = curves(["1080p": (10_000_000, 47, 2_800_000, 41), "720p": (5_600_000, 45, 1_500_000, 39),
                            "480p": (1_200_000, 42, 600_000, 38), "360p": (640_000, 40, 300_000, 36)])
        let natural = try PerTitlePlanner.plan(fixed: fixed, measured: measured, curves: steep)
        #expect(natural.rungs.first?.bitrate == 5_000_000 && natural.choices[0].note == "ceiling", "\(natural.choices)")
    }

    /// A still picture: 1080p beats every smaller size at every slot's bit
    /// rate, so the slots below take 1080p again at lower rates, named with
    /// them; the lowest rung keeps its own size and name.
    @Test func aSizeMayComeAgainAtALowerBitRateUnderItsOwnName() throws {
        let still = curves(["1080p": (1_300_000, 49.5, 550_000, 44.6), "720p": (730_000, 46.7, 330_000, 42.4),
                            "480p": (440_000, 45.2, 210_000, 40.4), "360p": (310_000, 43.7, 150_000, 38.7)])
        let plan = try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 1_300_000, "720p": 730_000, "480p": 440_000, "360p": 310_000],
                                            curves: still)
        #expect(plan.rungs.map(\.width) == [1080, 1080, 1080, 360], "\(plan.choices)")
        #expect(plan.rungs[0].name == "1080p" && plan.rungs[1].name == "1080p-\(plan.rungs[1].bitrate / 1000)k")
        #expect(Set(plan.rungs.map(\.name)).count == 4)
        #expect(plan.rungs[3].name == "360p")
        #expect(plan.rungs.map(\.bitrate) == plan.rungs.map(\.bitrate).sorted(by: >))
    }

    @Test func aMissingMeasurementIsAnErrorThatNamesTheRung() {
        #expect(throws: PerTitleError.self) {
            try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 1_000_000])
        }
        do {
            _ = try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 1_000_000])
        } catch {
            #expect(error.description.contains("720p"))
        }
    }
}
