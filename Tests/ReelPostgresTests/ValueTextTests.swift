import Foundation
import Testing
@testable import ReelPostgres

@Suite struct ValueTextTests {
    @Test func timestampsRoundTripThroughText() {
        let date = Date(timeIntervalSince1970: 1_764_075_171.123456)
        let text = PostgresTimestamp.format(date)
        #expect(text == "2025-11-25 12:52:51.123456+00")
        let back = PostgresTimestamp.parse(text)
        #expect(abs((back?.timeIntervalSince1970 ?? 0) - date.timeIntervalSince1970) < 0.000_001)
        #expect(PostgresTimestamp.parse("2026-11-25 13:00:00+02")?.timeIntervalSince1970 == PostgresTimestamp.parse("2026-11-25 11:00:00+00")?.timeIntervalSince1970)
        #expect(PostgresTimestamp.parse("not a date") == nil)
    }

    @Test func arrayLiteralsQuoteAndParse() {
        #expect([Int64(1), 2, 3].postgresText == "{1,2,3}")
        #expect(["a b", "c\"d"].postgresText == #"{"a b","c\"d"}"#)
        #expect(PostgresArrayLiteral.parse(#"{1,NULL,"NULL","x,y"}"#) == ["1", nil, "NULL", "x,y"])
        #expect(PostgresArrayLiteral.parse("{}") == [])
    }

    @Test func errorDescriptionsAreSafeAndUseful() {
        let e = PostgresError(code: .server, message: "duplicate key", sqlState: "23505", detail: "Key (k)=(x) exists.", query: "INSERT secret")
        #expect(e.isUniqueViolation)
        #expect(e.description == "duplicate key (SQLSTATE 23505); Key (k)=(x) exists.")
        #expect(!e.description.contains("secret"))
    }
}
