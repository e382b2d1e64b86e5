/// Reads samples out of Prometheus' text format, for tests that check what a
/// process exports at `/metrics`.
public enum PrometheusText {
    /// The sum of every sample of `name` whose labels include all of `labels`
    /// (0 when there is none): several processes or tests may share a series
    /// family, so tests compare sums before and after what they did.
    public static func value(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard line.hasPrefix(name) else { continue }
            let rest = line.dropFirst(name.count)
            let sampleLabels: Substring
            let valueText: Substring
            if rest.hasPrefix("{"), let close = rest.lastIndex(of: "}") {
                sampleLabels = rest[rest.index(after: rest.startIndex)..<close]
                valueText = rest[rest.index(after: close)...]
            } else if rest.hasPrefix(" ") {
                sampleLabels = ""
                valueText = rest
            } else {
                continue
            }
            let pairs = Set(sampleLabels.split(separator: ",").map { String($0) })
            guard labels.allSatisfy({ pairs.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            total += Double(valueText.split(separator: " ").first ?? "") ?? 0
        }
        return total
    }
}
