public import Foundation

/// One region: a name and the object store that holds its copies.
public struct Region: Sendable {
    public let name: String
    public let store: any ObjectStore

    public init(name: String, store: any ObjectStore) {
        self.name = name
        self.store = store
    }
}

/// The regions Reel stores objects in. Uploads land in the home region;
/// `replicate` jobs copy every object to the others; reads go to the
/// nearest region first and fall back to the rest in order.
public struct Regions: Sendable {
    public let all: [Region]
    public let home: Region

    public init(_ regions: [Region], home: String? = nil) throws(StoreError) {
        guard let first = regions.first else { throw StoreError(.rejected, "no regions are configured: set REEL_REGIONS") }
        let names = regions.map(\.name)
        guard Set(names).count == names.count else {
            throw StoreError(.rejected, "REEL_REGIONS names a region twice: \(names.joined(separator: ", "))")
        }
        if let home {
            guard let region = regions.first(where: { $0.name == home }) else {
                throw StoreError(.rejected, "the home region \(home) is not one of REEL_REGIONS (\(names.joined(separator: ", ")))")
            }
            self.home = region
        } else {
            self.home = first
        }
        all = regions
    }

    public subscript(name: String) -> Region? { all.first { $0.name == name } }

    /// Every region but the home one: where replicas go.
    public var replicas: [Region] { all.filter { $0.name != home.name } }

    /// The regions in the order a reader in `nearest` should try them.
    public func readOrder(nearest: String?) -> [Region] {
        guard let nearest, let first = self[nearest] else { return all }
        return [first] + all.filter { $0.name != nearest }
    }

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

    /// The embedded default: two file-store regions under `base`.
    public static let defaultConfiguration = "region-a=file:regions/region-a,region-b=file:regions/region-b"
}
