/// Reading a per-pixel class map from a [classes, H, W] tensor of scores or spike counts.
public enum Segmentation {
    /// Per pixel (H x W, row-major), the class whose channel holds the largest value, the
    /// lower index on a tie; where no value is above zero, class 0, the background. A
    /// spiking output neuron fires only for a positive score, so a pixel whose neurons are
    /// all silent reads as background; reading the float network's scores by the same rule
    /// makes the two comparable.
    public static func classes<T: Comparable & Numeric>(_ values: [T], classes: Int) -> [Int] {
        guard classes > 0, !values.isEmpty else { return [] }
        let pixels = values.count / classes
        return (0..<pixels).map { p in
            var best = 0
            var top = values[p]
            for c in 1..<classes where values[c * pixels + p] > top {
                best = c
                top = values[c * pixels + p]
            }
            return top > 0 ? best : 0
        }
    }
}
