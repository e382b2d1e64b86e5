import Foundation

/// Request bodies that are JSON objects of known fields: a misspelt field is
/// refused by name (400), not silently left at its default.
enum StrictJSON {
    /// Decodes `body` as `T` once every key is one of `fields`; `shape` says
    /// in the 400's message what the body must be.
    static func decode<T: Decodable>(_ type: T.Type, from body: Data, fields: [String], shape: String) throws -> T {
        let refusal = APIError.badRequest("the body must be a JSON object with \(shape)")
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { throw refusal }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw APIError.badRequest("the body has a field '\(unknown.prefix(64))' this API does not know; it takes \(fields.joined(separator: ", "))")
        }
        do { return try JSONDecoder().decode(T.self, from: body) } catch { throw refusal }
    }
}
