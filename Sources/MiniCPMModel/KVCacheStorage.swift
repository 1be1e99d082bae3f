/// How a ``KVCache`` stores its keys and values.
public enum KVCacheStorage: String, Sendable, Hashable, CaseIterable {
    /// `Float` (4 bytes an element): exactly the keys and values the layers computed.
    case float32
    /// IEEE binary16 (2 bytes an element), rounded to nearest even on append: half the memory and
    /// half the bytes a decoding step reads, at a relative error of at most 2⁻¹¹ per element (values
    /// past ±65504 would become infinities; keys and values after RMSNorm'd projections stay far
    /// below). Attention widens the rows back to `Float` as it reads them (Docs/LongContext.md).
    case float16

    /// Bytes of one stored element.
    public var bytesPerElement: Int {
        switch self {
        case .float32: return 4
        case .float16: return 2
        }
    }
}
