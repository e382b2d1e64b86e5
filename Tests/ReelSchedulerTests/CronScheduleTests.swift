import Foundation
import Testing
import ReelScheduler

@Suite struct CronScheduleTests {
    func utc(_ text: String) -> Date {
        let f = ISO8601DateFormatter()
        guard let d = f.date(from: text) else { fatalError("bad date \(text)") }
        return d
    }

    @Test func everyMinuteFiveFields() throws {
        let cron = try CronSchedule("* * * * *")
        #expect(cron.next(after: utc("2026-11-25T13:00:30Z")) == utc("2026-11-25T13:01:00Z"))
    }

    @Test func sixFieldsWithSecondsAndSteps() throws {
        let cron = try CronSchedule("*/10 * * * * *")
        #expect(cron.next(after: utc("2026-11-25T13:00:00Z")) == utc("2026-11-25T13:00:10Z"))
        #expect(cron.next(after: utc("2026-11-25T13:00:55Z")) == utc("2026-11-25T13:01:00Z"))
    }

    @Test func rollsOverDaysMonthsAndYears() throws {
        #expect(try CronSchedule("30 2 * * *").next(after: utc("2026-11-25T03:00:00Z")) == utc("2026-11-26T02:30:00Z"))
        #expect(try CronSchedule("0 0 1 * *").next(after: utc("2026-12-15T00:00:00Z")) == utc("2027-01-01T00:00:00Z"))
        #expect(try CronSchedule("@yearly").next(after: utc("2026-06-01T00:00:00Z")) == utc("2027-01-01T00:00:00Z"))
        #expect(try CronSchedule("0 0 29 2 *").next(after: utc("2026-03-01T00:00:00Z")) == utc("2028-02-29T00:00:00Z"))
    }

    @Test func weekdaysByNumberAndName() throws {
        // 2026-11-25 is a Wednesday.
        #expect(try CronSchedule("0 9 * * mon").next(after: utc("2026-11-25T10:00:00Z")) == utc("2026-11-30T09:00:00Z"))
        #expect(try CronSchedule("0 9 * * 7").next(after: utc("2026-11-25T10:00:00Z")) == utc("2026-11-29T09:00:00Z"))
        #expect(try CronSchedule("0 9 * * 1-5").next(after: utc("2026-11-27T10:00:00Z")) == utc("2026-11-30T09:00:00Z"))
    }

    @Test func restrictedDayFieldsMatchEither() throws {
        // The 1st of the month or any Friday (Vixie cron).
        let cron = try CronSchedule("0 0 1 * fri")
        #expect(cron.next(after: utc("2026-11-25T00:00:00Z")) == utc("2026-11-27T00:00:00Z"))
        #expect(cron.next(after: utc("2026-11-28T00:00:00Z")) == utc("2026-12-01T00:00:00Z"))
    }

    @Test func listsAndRanges() throws {
        let cron = try CronSchedule("0 8-10,17 * * *")
        #expect(cron.next(after: utc("2026-11-25T10:00:00Z")) == utc("2026-11-25T17:00:00Z"))
        #expect(cron.next(after: utc("2026-11-25T17:00:00Z")) == utc("2026-11-26T08:00:00Z"))
    }

    @Test func badExpressionsSayWhichField() {
        #expect(throws: CronError.self) { try CronSchedule("* * *") }
        #expect(throws: CronError.self) { try CronSchedule("61 * * * *") }
        #expect(throws: CronError.self) { try CronSchedule("* * * foo *") }
        #expect(throws: CronError.self) { try CronSchedule("5-1 * * * *") }
        do {
            _ = try CronSchedule("0 25 * * *")
        } catch {
            #expect(error.description.contains("hour"))
        }
    }
}
