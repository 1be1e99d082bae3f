import Foundation
import MiniCPMModel

/// config.json: what `MiniCPMConfiguration.load(contentsOf:)` does after reading the file (JSON
/// decoding, lenient numbers, validation), from memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let configuration = try? JSONDecoder().decode(MiniCPMConfiguration.self, from: bytes) else { return 0 }
    var sink = configuration.headDimension &+ configuration.keyValueWidth
    sink &+= configuration.residualScale.isNaN ? 1 : 0
    if let encoded = try? JSONEncoder().encode(configuration),
       let again = try? JSONDecoder().decode(MiniCPMConfiguration.self, from: encoded) {
        sink &+= again == configuration ? 0 : 1
    }
    return sink == Int.min ? 1 : 0
}
