import FuzzSupport
import TensorCore

/// GGUF: header, metadata (every typed accessor), tensor infos, and the dequantisation of every
/// small tensor.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = ScratchFile.write(data, size)
    guard let file = try? GGUFFile(contentsOf: url) else { return 0 }
    var sink = file.alignment &+ file.dataOffset
    for key in file.metadataKeys {
        sink &+= file.string(forKey: key)?.utf8.count ?? 0
        sink &+= file.integer(forKey: key) ?? 0
        sink &+= Int(file.float(forKey: key)?.isNaN == true ? 1 : 0)
        sink &+= file.bool(forKey: key) == true ? 1 : 0
        sink &+= file.strings(forKey: key)?.count ?? 0
        sink &+= file.integers(forKey: key)?.count ?? 0
        sink &+= file.floats(forKey: key)?.count ?? 0
    }
    for info in file.tensorInfos where info.elementCount <= 1 << 16 {
        if let tensor = try? file.tensor(named: info.name) { sink &+= tensor.scalars.count }
        if let bytes = try? file.rawBytes(ofTensorNamed: info.name) { sink &+= bytes.count }
    }
    return sink == Int.min ? 1 : 0
}
