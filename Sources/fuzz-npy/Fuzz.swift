import FuzzTargets

/// The npy reader under libFuzzer (built with -DFUZZING), else a replay of the files given.
@main struct Fuzz {
    static func main() { FuzzTargets.main("npy") }
}
