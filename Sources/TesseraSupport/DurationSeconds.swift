extension Duration {
    /// The duration in seconds, for timings printed or summed as numbers.
    ///
    ///     let clock = ContinuousClock(), start = clock.now
    ///     print((clock.now - start).seconds)
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
