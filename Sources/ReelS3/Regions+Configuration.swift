public import Foundation
public import ReelStore

extension Regions {
    /// Regions from configuration text, `NAME=STORE` separated by commas,
    /// where STORE is `file:PATH` (relative paths are under `base`) or
    /// `s3:PREFIX`, an S3 store configured by the environment variables
    /// PREFIXENDPOINT, PREFIXBUCKET, PREFIXREGION, PREFIXACCESS_KEY and
    /// PREFIXSECRET_KEY (e.g. `s3:REEL_S3_`). Example:
    /// `eu=file:regions/eu,us=s3:REEL_S3_US_`.
    public static func parse(
        _ text: String, home: String?, base: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StoreError) -> Regions {
        var regions: [Region] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw StoreError(.rejected, "REEL_REGIONS entry \"\(entry)\" is not NAME=file:PATH or NAME=s3:ENV_PREFIX")
            }
            let (name, store) = (parts[0], parts[1])
            if store.hasPrefix("file:") {
                let path = String(store.dropFirst(5))
                let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
                regions.append(Region(name: name, store: try FileStore(root: url)))
            } else if store.hasPrefix("s3:") {
                let prefix = String(store.dropFirst(3))
                guard let configuration = S3Configuration.fromEnvironment(environment, prefix: prefix.isEmpty ? "REEL_S3_" : prefix) else {
                    throw StoreError(.rejected, "region \(name): set \(prefix)ENDPOINT and \(prefix)BUCKET for its S3 store")
                }
                regions.append(Region(name: name, store: S3Store(configuration)))
            } else {
                throw StoreError(.rejected, "region \(name): the store \"\(store)\" is neither file:PATH nor s3:ENV_PREFIX")
            }
        }
        return try Regions(regions, home: home)
    }
}
