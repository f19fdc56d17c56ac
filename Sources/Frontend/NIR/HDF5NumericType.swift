import CHDF5

extension HDF5Reader {
    /// nil when `type` (a dataset's integer or floating-point type in the file) is one
    /// libhdf5 converts safely, else what is wrong with it. libhdf5 1.10 trusts a type's bit
    /// fields when it converts: a corrupt precision or offset makes it copy bits from outside
    /// its buffers, a crash inside the library (found by fuzzing, docs/reliability.md). NIR
    /// files hold standard types only: two's complement integers of 1, 2, 4 or 8 bytes and
    /// IEEE floats of 2, 4 or 8 bytes (h5py's float16, float32, float64), little- or
    /// big-endian, every bit used.
    static func numericTypeProblem(_ type: hid_t) -> String? {
        let size = H5Tget_size(type), precision = H5Tget_precision(type), offset = H5Tget_offset(type)
        let order = H5Tget_order(type)
        guard order == H5T_ORDER_LE || order == H5T_ORDER_BE, offset == 0, precision == 8 * size else {
            return "a numeric type of \(size) bytes with \(precision) bits at bit \(offset), not a standard integer or IEEE float"
        }
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            return [1, 2, 4, 8].contains(size) ? nil : "an integer type of \(size) bytes (NIR stores 1 to 8)"
        case H5T_FLOAT:
            var sign = 0, exponentAt = 0, exponentBits = 0, mantissaAt = 0, mantissaBits = 0
            guard H5Tget_fields(type, &sign, &exponentAt, &exponentBits, &mantissaAt, &mantissaBits) >= 0 else {
                return "a float type whose bit fields cannot be read"
            }
            // IEEE 754 binary16, binary32 and binary64: sign, exponent and mantissa positions.
            let ieee: [Int: [Int]] = [2: [15, 10, 5, 0, 10], 4: [31, 23, 8, 0, 23], 8: [63, 52, 11, 0, 52]]
            guard ieee[size] == [sign, exponentAt, exponentBits, mantissaAt, mantissaBits] else {
                return "a float type of \(size) bytes that is not IEEE 754 (sign bit \(sign), exponent \(exponentBits) bits at \(exponentAt), mantissa \(mantissaBits) bits at \(mantissaAt))"
            }
            return nil
        default:
            return nil
        }
    }
}
