public import ReelPostgres
public import ReelStore

/// A digest column (hex text) reads as an ``ObjectDigest``; anything else is
/// a decoding error that names the column, not a row silently skipped.
extension ObjectDigest: PostgresDecodable {
    public init?(postgresText: String) { self.init(hex: postgresText) }
}
