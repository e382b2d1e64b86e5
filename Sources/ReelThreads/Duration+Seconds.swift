extension Duration {
    /// The duration as fractional seconds, for logs, JSON and metrics, which
    /// all speak seconds (Duration itself has no such accessor).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
