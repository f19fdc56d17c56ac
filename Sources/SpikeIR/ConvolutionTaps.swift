extension Convolution {
    /// Every tap of output neuron (`oc`, `oy`, `ox`) that falls inside an input of shape
    /// `x`, padding skipped: `body(input, weight)` with the input element's index in
    /// C x H x W order and the weight's in [out, in / groups, kh, kw] order. One definition
    /// of what a convolution connects, for the kernel that sums over it (``LayerKernel``)
    /// and the mapping that wires it neuron by neuron.
    @inlinable @inline(__always)
    public func forEachTap(outChannel oc: Int, y oy: Int, x ox: Int, input x: TensorShape, _ body: (_ input: Int, _ weight: Int) -> Void) {
        let inPerGroup = x.channels / groups, group = oc / (outChannels / groups)
        let (kh, kw) = (vertical.kernel, horizontal.kernel)
        for ci in 0..<inPerGroup {
            let c = group * inPerGroup + ci
            for ky in 0..<kh {
                let iy = vertical.source(output: oy, tap: ky)
                guard iy >= 0 && iy < x.height else { continue }
                for kx in 0..<kw {
                    let ix = horizontal.source(output: ox, tap: kx)
                    guard ix >= 0 && ix < x.width else { continue }
                    body((c * x.height + iy) * x.width + ix, ((oc * inPerGroup + ci) * kh + ky) * kw + kx)
                }
            }
        }
    }
}
