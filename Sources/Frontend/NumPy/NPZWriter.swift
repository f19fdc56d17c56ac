import Foundation
import SpikeIR
import TesseraSupport
import ZIPFoundation

/// Writes tensors as a NumPy `.npz` archive (what `numpy.savez` writes: a zip file of
/// `.npy` members named `KEY.npy`), little-endian float64, so that a network's weights
/// can be read and edited with NumPy and loaded back by ``NPZArchive``.
///
///     try NPZWriter.write(["fc.weight": tensor], to: "net.npz")
public enum NPZWriter {
    public static func write(_ tensors: [String: Tensor], to path: String) throws(DiagnosticError) {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.removeItem(at: url)
        do {
            let archive = try Archive(url: url, accessMode: .create)
            // Sorted keys: the same tensors give the same bytes.
            for key in tensors.keys.sorted() {
                guard let t = tensors[key] else { continue }
                var data = Data(NPYHeader(descr: "<f8", shape: t.shape).encoded())
                t.values.withUnsafeBufferPointer { buffer in
                    for v in buffer { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                }
                let bytes = data
                try archive.addEntry(with: key + ".npy", type: .file, uncompressedSize: Int64(bytes.count), modificationDate: Date(timeIntervalSince1970: 315_532_800),
                                     compressionMethod: .deflate) { position, size in
                    bytes.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
        } catch {
            throw DiagnosticError("\(path): cannot write the weights archive: \(error)")
        }
    }
}
