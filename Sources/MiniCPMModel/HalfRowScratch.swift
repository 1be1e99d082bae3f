import TensorCore

/// The `Float` keys and values that a half-precision ``KVCache`` hands to attention when several
/// tokens are appended at once (a prefill, a chunk of one, continuation scoring).
///
/// Decoding one token reads the half rows directly
/// (``TensorCore/scaledDotProductAttention(query:float16Keys:values:keyCount:keyValueHeads:scale:)``),
/// but the blocked prefill kernel multiplies `Float` rows with `cblas_sgemm`, so a multi-token
/// append widens the layer's whole visible prefix into this scratch first. Layers run one after
/// another, so one scratch serves every layer of a cache: it costs one layer's prefix in `Float`
/// (1/`layers` of a float cache, committed page by page up to the longest prefix widened) and
/// `2 · length · H_kv · D` conversions per layer call, against the attention's
/// `T · length · H_q · D` multiply-adds: negligible unless `T` is a handful of tokens.
final class HalfRowScratch {
    private let keys: ReservedFloatBuffer
    private let values: ReservedFloatBuffer
    private let rowWidth: Int
    /// The most rows widened since the last trim: what has committed pages.
    private var highWater = 0

    init(rows: Int, rowWidth: Int) {
        self.rowWidth = rowWidth
        keys = ReservedFloatBuffer(count: rows * rowWidth)
        values = ReservedFloatBuffer(count: rows * rowWidth)
    }

    /// Widens the first `count` elements of `halfKeys` and `halfValues` into the scratch and
    /// returns its two buffers (overwritten by the next call).
    func widen(keys halfKeys: UnsafePointer<UInt16>, values halfValues: UnsafePointer<UInt16>,
               count: Int) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        HalfPrecision.widenFloat16(halfKeys, into: keys.baseAddress, count: count)
        HalfPrecision.widenFloat16(halfValues, into: values.baseAddress, count: count)
        highWater = max(highWater, rowWidth > 0 ? (count + rowWidth - 1) / rowWidth : 0)
        return (keys.baseAddress, values.baseAddress)
    }

    /// Gives back the pages past the first `rows` rows (the cache was trimmed).
    func trim(toRows rows: Int) {
        guard highWater > rows else { return }
        keys.release(after: rows * rowWidth)
        values.release(after: rows * rowWidth)
        highWater = rows
    }

    /// Bytes of committed pages, keys and values.
    var residentBytes: Int { 2 * keys.committedBytes(forFirst: highWater * rowWidth) }
    /// Bytes of address space reserved, keys and values.
    var reservedBytes: Int { keys.byteCount + values.byteCount }
}
