/// The float encodings that both file writers (safetensors and GGUF) store tensors in.
enum FloatEncoding {
    case f32, f16, bf16

    /// Bytes per element.
    var byteCount: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        }
    }

    /// Passes `tensor`'s elements to `sink` as little-endian bytes of this encoding, in pieces of at
    /// most 32 Ki elements, so that a multi-GB tensor is never converted into one more multi-GB buffer.
    func emit(_ tensor: Tensor, to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let chunk = 1 << 15
        try tensor.withUnsafeBufferPointer { floats in
            #if _endian(little)
            if self == .f32 {
                try sink(UnsafeRawBufferPointer(floats))
                return
            }
            #endif
            var scratch = [UInt8](repeating: 0, count: 4 * min(chunk, floats.count))
            var start = 0
            while start < floats.count {
                let end = min(start + chunk, floats.count)
                let part = UnsafeBufferPointer(rebasing: floats[start ..< end])
                let byteCount = (end - start) * self.byteCount
                try scratch.withUnsafeMutableBytes { raw in
                    let out = UnsafeMutableRawBufferPointer(rebasing: raw[0 ..< byteCount])
                    switch self {
                    case .f16: HalfPrecision.encodeFloat16(part, littleEndianInto: out)
                    case .bf16: HalfPrecision.encodeBFloat16(part, littleEndianInto: out)
                    case .f32:
                        for (i, x) in part.enumerated() {
                            out.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                        }
                    }
                    try sink(UnsafeRawBufferPointer(out))
                }
                start = end
            }
        }
    }
}
