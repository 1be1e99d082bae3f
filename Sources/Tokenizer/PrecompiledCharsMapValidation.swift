/// Checks the `precompiled_charsmap` of a SentencePiece model before libsentencepiece sees it.
///
/// libsentencepiece 0.1.97 (Debian's) only checks that the charsmap's trie size is below the
/// blob's size; it then walks the Darts double array with unchecked indices and reads the
/// normalised string at an unchecked offset, so a corrupt charsmap loads and the first `encode`
/// (or, for the denormalizer, `decode`) reads out of bounds (Docs/Reliability.md, Fuzzing,
/// finding 2). This repeats the library's decoding and proves every read that its traversal
/// (`Darts::DoubleArray::commonPrefixSearch` from `Normalizer::NormalizePrefix`) can make stays
/// inside the blob:
///
/// * the blob is a little-endian `UInt32` trie size, that many bytes of 32-bit units (a non-zero
///   multiple of 4, at most what follows the size), then the normalised strings (the rest);
/// * the traversal reads unit 0, then from a node `p` with unit `u` goes to `p ^ offset(u) ^ c`
///   for the next input byte `c` and continues only if that unit's `label()` equals `c` (so its
///   bit 31 is clear); if the node `has_leaf()` it reads the value unit at `p ^ offset(u)`. So
///   for unit 0 and every unit whose bit 31 is clear (every unit the traversal can stand on),
///   `(p ^ offset(u)) | 0xFF` must be a unit index (which covers every byte `c` and the leaf);
/// * for every such unit with `has_leaf()`, the value at `p ^ offset(u)` is an offset into the
///   normalised strings that is read up to its NUL (`string_view(&normalized_[value])`), so it
///   must be before the last NUL of the normalised strings.
///
/// The work is one pass over the units; nothing is allocated.
enum PrecompiledCharsMapValidation {
    /// `ModelProto.normalizer_spec`.
    static let normalizerSpecField: UInt64 = 3
    /// `ModelProto.denormalizer_spec`.
    static let denormalizerSpecField: UInt64 = 5
    /// `NormalizerSpec.precompiled_charsmap`.
    static let charsMapField: UInt64 = 2

    /// Validates every `precompiled_charsmap` of every normalizer and denormalizer spec in the
    /// serialized `ModelProto` (protobuf merges repeated occurrences, so all are checked).
    /// Returns nil if they are all valid, or if the bytes do not follow the protobuf wire format
    /// (libsentencepiece then refuses them itself); otherwise the reason one is invalid.
    static func problem(inModel model: UnsafeRawBufferPointer) -> String? {
        var reader = ProtobufReader(model)
        do {
            while let field = try reader.next() {
                guard field.number == normalizerSpecField || field.number == denormalizerSpecField,
                      field.wireType == .lengthDelimited else { continue }
                let spec = field.number == normalizerSpecField ? "normalizer_spec" : "denormalizer_spec"
                var specReader = ProtobufReader(field.bytes)
                while let inner = try specReader.next() {
                    guard inner.number == charsMapField, inner.wireType == .lengthDelimited else { continue }
                    if let problem = problem(inCharsMap: inner.bytes) {
                        return "\(spec).precompiled_charsmap is invalid: \(problem)"
                    }
                }
            }
        } catch {
            return nil
        }
        return nil
    }

    /// Why the charsmap blob is unsafe for libsentencepiece to use, or nil if it is safe (an empty
    /// blob, identity normalisation, is safe).
    static func problem(inCharsMap blob: UnsafeRawBufferPointer) -> String? {
        if blob.isEmpty { return nil }
        guard blob.count > 4 else { return "\(blob.count) bytes, too short for the trie size and a trie" }
        let trieSize = Int(blob.loadUnaligned(as: UInt32.self).littleEndian)
        let rest = blob.count - 4
        guard trieSize <= rest else { return "the trie size \(trieSize) exceeds the \(rest) bytes after it" }
        guard trieSize > 0, trieSize % 4 == 0 else { return "the trie size \(trieSize) is not a positive multiple of 4" }
        let unitCount = trieSize / 4
        let units = UnsafeRawBufferPointer(rebasing: blob[4..<(4 + trieSize)])
        let normalized = UnsafeRawBufferPointer(rebasing: blob[(4 + trieSize)...])
        // A value is safe to read as a NUL-terminated string iff it is at or before the last NUL.
        var lastNUL = -1
        var index = normalized.count - 1
        while index >= 0 {
            if normalized[index] == 0 { lastNUL = index; break }
            index -= 1
        }
        func unit(_ index: Int) -> UInt32 {
            units.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self).littleEndian
        }
        for position in 0..<unitCount {
            let u = unit(position)
            // Units with bit 31 set are leaf values: their label never matches a byte, so the
            // traversal never stands on them (except unit 0, the root, read unconditionally).
            guard position == 0 || u & (1 << 31) == 0 else { continue }
            let offset = Int((u >> 10) << ((u & (1 << 9)) >> 6))
            let base = position ^ offset
            guard base | 0xFF < unitCount else {
                return "unit \(position) leads to units \(base & ~0xFF)...\(base | 0xFF), past the \(unitCount) units of the trie"
            }
            guard u & (1 << 31) == 0, (u >> 8) & 1 == 1 else { continue }
            let value = Int(unit(base) & ((1 << 31) - 1))
            guard value <= lastNUL else {
                if value >= normalized.count {
                    return "unit \(position) maps to offset \(value), past the \(normalized.count) bytes of normalized strings"
                }
                return "unit \(position) maps to offset \(value), whose normalized string has no terminating NUL"
            }
        }
        return nil
    }
}
