import Testing
@testable import ReelQueue

/// A filter's kinds: exact names, and families that end in `.*`.
@Suite struct JobFilterTests {
    @Test func aFamilyMatchesItsPrefixLiterally() {
        #expect(JobFilter.likePattern(prefix: "video.") == "video.%")
        #expect(JobFilter.likePattern(prefix: "a_b%c\\") == #"a\_b\%c\\%"#)
    }

    @Test func kindsAndFamiliesBecomeOneConditionAfterTheOthers() {
        let filter = JobFilter(states: [.discarded], queue: "media", kinds: ["video.*", "replicate"], tenant: "t")
        let (clause, binds) = filter.sql(firstBind: 2)
        #expect(clause == "WHERE state::text = ANY($2::text[]) AND queue = $3 AND (kind = ANY($4::text[]) OR kind LIKE ANY($5::text[])) AND tenant = $6")
        #expect(binds.count == 5)
        #expect(filter.kind == nil)
        #expect(JobFilter(kind: "noop").kind == "noop")
        #expect(JobFilter().sql().0 == "")
    }
}
