import CLibPQ

/// The rows a statement returned.
///
/// Wraps a `PGresult`, which libpq never changes after it is made and documents
/// as safe to read from any thread, so the result may leave the connection's thread.
public final class PostgresResult: @unchecked Sendable, RandomAccessCollection {
    let handle: OpaquePointer
    let query: String

    init(handle: OpaquePointer, query: String) {
        self.handle = handle
        self.query = query
    }

    deinit { PQclear(handle) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(PQntuples(handle)) }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: Int32(position)) }

    /// The number of rows the statement changed (`UPDATE 3` → 3), or 0.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// Column names in order.
    public var columns: [String] {
        (0..<PQnfields(handle)).map { String(cString: PQfname(handle, $0)) }
    }

    func column(named name: String) -> Int32? {
        let index = PQfnumber(handle, name)
        return index >= 0 ? index : nil
    }
}

/// One row of a ``PostgresResult``; read columns by position or by name.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int32

    public var columnCount: Int { Int(PQnfields(result.handle)) }

    /// The raw text of a column, or nil for SQL NULL.
    public subscript(column: Int) -> String? {
        guard column >= 0, column < columnCount, PQgetisnull(result.handle, index, Int32(column)) == 0 else { return nil }
        return String(cString: PQgetvalue(result.handle, index, Int32(column)))
    }

    /// The raw text of a named column, or nil for SQL NULL or no such column.
    public subscript(name: String) -> String? {
        guard let column = result.column(named: name) else { return nil }
        return self[Int(column)]
    }

    /// Reads a column that must not be NULL.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: Int) throws(PostgresError) -> T {
        guard let value = try decode(T?.self, column) else {
            throw PostgresError(code: .decoding, message: "column \(column) is NULL, expected \(T.self)", query: result.query)
        }
        return value
    }

    /// Reads a column that may be NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type = T?.self, _ column: Int) throws(PostgresError) -> T? {
        guard let text = self[column] else { return nil }
        guard let value = T(postgresText: text) else {
            throw PostgresError(code: .decoding, message: "column \(column) holds '\(text.prefix(40))', not a \(T.self)", query: result.query)
        }
        return value
    }

    /// Reads a named column that must not be NULL.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ name: String) throws(PostgresError) -> T {
        guard let column = result.column(named: name) else {
            throw PostgresError(code: .decoding, message: "no column named '\(name)'", query: result.query)
        }
        return try decode(T.self, Int(column))
    }

    /// Reads a named column that may be NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type = T?.self, _ name: String) throws(PostgresError) -> T? {
        guard let column = result.column(named: name) else {
            throw PostgresError(code: .decoding, message: "no column named '\(name)'", query: result.query)
        }
        return try decode(T?.self, Int(column))
    }
}
