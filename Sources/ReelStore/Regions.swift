import Foundation

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

    /// The embedded default: two file-store regions under `base`.
    public static let defaultConfiguration = "region-a=file:regions/region-a,region-b=file:regions/region-b"
}
