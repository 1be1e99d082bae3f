import Foundation
import MiniCPMModel
import TensorCore

/// The tiny fixture copied to a new temporary directory (the caller removes it), with `value`
/// written at element `index` of tensor `name` through `SafetensorsWriter`, so the file is what a
/// corrupt checkpoint looks like.
func corruptedCheckpoint(tensor name: String, index: Int, value: Float) throws -> URL {
    let source = fixtureURL("tiny-minicpm")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("minicpm-corrupt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                     to: directory.appendingPathComponent("config.json"))
    let weights = try SafetensorsFile(contentsOf: source.appendingPathComponent("model.safetensors"))
    var writer = SafetensorsWriter(metadata: ["format": "pt"])
    for tensorName in weights.tensorNames {
        var tensor = try weights.tensor(named: tensorName)
        if tensorName == name { tensor.withUnsafeMutableBufferPointer { $0[index] = value } }
        try writer.add(tensor, named: tensorName)
    }
    try writer.write(to: directory.appendingPathComponent("model.safetensors"))
    return directory
}
