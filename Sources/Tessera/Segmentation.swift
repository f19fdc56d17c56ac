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

extension Segmentation {
    /// How an output of `classes` x `height` x `width` spike counts is read against masks
    /// `scale` times its height and width: a network that pools and never upsamples (a NIR
    /// graph has no upsampling node) scores each mask pixel by its output position, as a
    /// nearest-neighbour upsampling of the class map would.
    ///
    ///     let g = Segmentation.Geometry(classes: 11, height: 16, width: 16, scale: 2)
    ///     g.read(counts)   // 32 x 32 classes from 11 x 16 x 16 counts
    public struct Geometry: Sendable, Equatable {
        public var classes: Int
        public var height: Int
        public var width: Int
        public var scale: Int

        public init(classes: Int, height: Int, width: Int, scale: Int = 1) {
            self.classes = classes
            self.height = height
            self.width = width
            self.scale = scale
        }

        /// The geometry that reads an output of `elements` values (channel-major) against
        /// masks of `maskHeight` x `maskWidth`; `output` is the output's [C, H, W] when known.
        /// Nil when the two do not match: neither the same pixels nor a whole scale.
        public static func matching(elements: Int, output: [Int]?, maskHeight: Int, maskWidth: Int) -> Geometry? {
            guard maskHeight > 0, maskWidth > 0 else { return nil }
            if let output, output.count == 3, output[1] > 0, output[2] > 0, output[1] != maskHeight || output[2] != maskWidth {
                let (h, w) = (output[1], output[2])
                guard maskHeight % h == 0, maskWidth % w == 0, maskHeight / h == maskWidth / w else { return nil }
                return Geometry(classes: output[0], height: h, width: w, scale: maskHeight / h)
            }
            let pixels = maskHeight * maskWidth
            guard elements % pixels == 0, elements >= pixels else { return nil }
            return Geometry(classes: elements / pixels, height: maskHeight, width: maskWidth)
        }

        /// Output elements this geometry reads.
        public var elements: Int { classes * height * width }

        /// Mask pixels per sample.
        public var maskPixels: Int { height * width * scale * scale }

        /// The class map at the masks' size: `Segmentation.classes` at the output's own
        /// positions, each repeated over its `scale` x `scale` block.
        public func read<T: Comparable & Numeric>(_ values: [T]) -> [Int] {
            let small = Segmentation.classes(values, classes: classes)
            guard scale > 1 else { return small }
            let wide = width * scale
            return (0..<(height * scale * wide)).map { p in small[(p / wide / scale) * width + (p % wide) / scale] }
        }
    }
}
