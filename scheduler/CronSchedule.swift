public import Foundation

/// A cron expression: `[second] minute hour day-of-month month day-of-week`.
///
/// Five fields as in crontab(5), or six with seconds first. Each field takes
/// `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, and lists of those;
/// months and weekdays also take names (`jan`, `mon`); Sunday is 0 or 7. As in
/// Vixie cron, when both day fields are restricted a day matching either runs.
/// Also `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. Times are UTC.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    let seconds: Set<Int>, minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    let daysRestricted: Bool, weekdaysRestricted: Bool
    public let description: String

    public init(_ expression: String) throws(CronError) {
        description = expression
        var text = expression.trimmingCharacters(in: .whitespaces).lowercased()
        let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                      "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
        if let expanded = macros[text] { text = expanded }
        var fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 || fields.count == 6 else {
            throw CronError("'\(expression)' has \(fields.count) fields; use 5 (minute hour day month weekday) or 6 (second first)")
        }
        if fields.count == 5 { fields.insert("0", at: 0) }
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        seconds = try Self.field(fields[0], 0...59, "second", expression)
        minutes = try Self.field(fields[1], 0...59, "minute", expression)
        hours = try Self.field(fields[2], 0...23, "hour", expression)
        days = try Self.field(fields[3], 1...31, "day of month", expression)
        months = try Self.field(fields[4], 1...12, "month", expression, names: monthNames, nameBase: 1)
        var weekdays = try Self.field(fields[5], 0...7, "day of week", expression, names: dayNames, nameBase: 0)
        if weekdays.remove(7) != nil { weekdays.insert(0) }
        self.weekdays = weekdays
        daysRestricted = fields[3] != "*" && fields[3] != "?"
        weekdaysRestricted = fields[5] != "*" && fields[5] != "?"
    }

    private static func field(
        _ text: String, _ range: ClosedRange<Int>, _ what: String, _ expression: String,
        names: [String] = [], nameBase: Int = 0
    ) throws(CronError) -> Set<Int> {
        func value(_ s: Substring) throws(CronError) -> Int {
            if let n = Int(s), range.contains(n) { return n }
            if let i = names.firstIndex(of: String(s)) { return i + nameBase }
            throw CronError("'\(s)' is not a valid \(what) (\(range.lowerBound)–\(range.upperBound)) in '\(expression)'")
        }
        var out = Set<Int>()
        for part in text.split(separator: ",") {
            let stepParts = part.split(separator: "/", maxSplits: 1)
            var step = 1
            if stepParts.count == 2 {
                guard let s = Int(stepParts[1]), s > 0 else { throw CronError("bad step '\(part)' in '\(expression)'") }
                step = s
            }
            let base = stepParts[0]
            let lo: Int, hi: Int
            if base == "*" || base == "?" {
                (lo, hi) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                lo = try value(base[..<dash])
                hi = try value(base[base.index(after: dash)...])
                guard lo <= hi else { throw CronError("range '\(base)' runs backwards in '\(expression)'") }
            } else {
                lo = try value(base)
                hi = stepParts.count == 2 ? range.upperBound : lo
            }
            out.formUnion(stride(from: lo, through: hi, by: step))
        }
        if out.isEmpty { throw CronError("the \(what) field of '\(expression)' is empty") }
        return out
    }

    /// The first time strictly after `date` that matches, or nil if none within five years.
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        var t = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date.addingTimeInterval(1))
        t.nanosecond = 0
        guard let startYear = t.year else { return nil }
        while let year = t.year, year <= startYear + 5 {
            guard let current = calendar.date(from: t) else { return nil }
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: current)
            guard let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute,
                let second = c.second, let weekday = c.weekday
            else { return nil }
            if !months.contains(month) {
                t = DateComponents(year: c.year, month: month + 1, day: 1, hour: 0, minute: 0, second: 0)
                continue
            }
            if !dayMatches(day: day, weekday: weekday - 1) {
                t = DateComponents(year: c.year, month: month, day: day + 1, hour: 0, minute: 0, second: 0)
                continue
            }
            if !hours.contains(hour) {
                t = DateComponents(year: c.year, month: month, day: day, hour: hour + 1, minute: 0, second: 0)
                continue
            }
            if !minutes.contains(minute) {
                t = DateComponents(year: c.year, month: month, day: day, hour: hour, minute: minute + 1, second: 0)
                continue
            }
            if !seconds.contains(second) {
                t = DateComponents(year: c.year, month: month, day: day, hour: hour, minute: minute, second: second + 1)
                continue
            }
            return current
        }
        return nil
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): days.contains(day) || weekdays.contains(weekday)
        case (true, false): days.contains(day)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }
}

/// A cron expression that cannot be parsed, with what is wrong.
public struct CronError: Error, Sendable, CustomStringConvertible, Hashable {
    public let description: String
    init(_ description: String) { self.description = description }
}
