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
        let plan = try PerTitlePlanner.plan(fixed: fixed, measured: ["1080p": 1_000_000, "720p": 950_000, "480p": 500_000, "360p": 480_000])
        #expect(plan.rungs.map(\.name) == ["1080p", "480p", "360p"])
        let left = try #require(plan.choices.first { $0.rung == "720p" })
        #expect(left.chosen == 0)
        #expect(left.note?.contains("1080p costs only") == true)
        // 360p is within the step of 480p too, but the lowest rung always stays (it makes a video playable first).
        #expect(plan.rungs.last?.name == "360p")
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
