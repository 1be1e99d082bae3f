@testable import TensorCore

/// Deliberately broken GGUF files for the reader's error tests.
///
/// Valid files come from TensorCore's ``GGUFWriter``, which refuses to write anything the reader
/// would reject. This builds a header field by field instead, so that any field can be wrong: the
/// magic, the version, the counts, repeated keys or tensor names, tensor infos with any dimension
/// list, type code or offset. Values are encoded with the writer's own encoder.
struct MalformedGGUF {
    struct TensorEntry {
        var name: String
        /// ggml order: fastest-varying first.
        var dimensions: [UInt64]
        var rawType: UInt32
        var data: [UInt8]
        /// Written instead of the computed offset when set.
        var offset: UInt64?
    }

    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    /// Padding of the data section and between tensors (add `general.alignment` to the metadata to
    /// announce a different one).
    var alignment = 32
    var metadata: [(key: String, value: GGUFValue)] = []
    var tensors: [TensorEntry] = []
    /// Written instead of the real counts when set.
    var tensorCount: UInt64?
    var metadataCount: UInt64?

    mutating func add(_ key: String, _ value: GGUFValue) { metadata.append((key, value)) }

    mutating func addTensor(_ name: String, dimensions: [UInt64], rawType: UInt32, data: [UInt8] = [],
                            offset: UInt64? = nil) {
        tensors.append(TensorEntry(name: name, dimensions: dimensions, rawType: rawType, data: data, offset: offset))
    }

    mutating func addTensor(_ name: String, dimensions: [Int], type: GGUFTensorType, data: [UInt8]) {
        addTensor(name, dimensions: dimensions.map(UInt64.init), rawType: type.rawValue, data: data)
    }

    mutating func addTensor(_ name: String, dimensions: [Int], floats: [Float]) {
        addTensor(name, dimensions: dimensions, type: .f32, data: floats.flatMap { Self.le($0.bitPattern) })
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        var out: [UInt8] = []
        GGUFWriter.appendLittleEndian(v, to: &out)
        return out
    }

    static func string(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        GGUFWriter.appendString(s, to: &out)
        return out
    }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    func serialized() -> [UInt8] {
        var out = magic + Self.le(version)
        out += Self.le(tensorCount ?? UInt64(tensors.count))
        out += Self.le(metadataCount ?? UInt64(metadata.count))
        for (key, value) in metadata {
            out += Self.string(key) + Self.le(value.type.rawValue)
            GGUFWriter.encode(value, into: &out)
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            out += Self.string(t.name) + Self.le(UInt32(t.dimensions.count))
            for d in t.dimensions { out += Self.le(d) }
            out += Self.le(t.rawType) + Self.le(t.offset ?? UInt64(offset))
            offset = padded(offset + t.data.count)
        }
        out += [UInt8](repeating: 0, count: padded(out.count) - out.count)
        let dataStart = out.count
        for (t, o) in zip(tensors, offsets) {
            out += [UInt8](repeating: 0, count: dataStart + o - out.count)
            out += t.data
        }
        return out
    }
}
