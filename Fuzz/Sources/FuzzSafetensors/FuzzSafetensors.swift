import FuzzSupport
import TensorCore

/// Safetensors: the header (JSON, offsets, dtypes, shapes) and then every small tensor read through
/// each accessor its dtype allows.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = ScratchFile.write(data, size)
    guard let file = try? SafetensorsFile(contentsOf: url) else { return 0 }
    var sink = file.metadata.count
    for info in file.tensorInfos where info.elementCount <= 1 << 16 {
        let name = info.name
        _ = file.contains(name)
        if let tensor = try? file.tensor(named: name) { sink &+= tensor.shape.count &+ tensor.scalars.count }
        if let values = try? file.int32s(named: name) { sink &+= values.count }
        if let values = try? file.int64s(named: name) { sink &+= values.count }
        if let values = try? file.bytes(named: name) { sink &+= values.count }
        if let values = try? file.rawBytes(named: name) { sink &+= values.count }
    }
    _ = try? file.tensor(named: "\u{0}missing")
    return sink == Int.min ? 1 : 0
}
