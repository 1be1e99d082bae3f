import Foundation
import MiniCPMModel
import TensorCore

extension MiniCPM {
    /// Saves a model whose linear layers were quantised (``quantizeLinearLayers(of:groupSize:)``) as
    /// an AutoGPTQ-style checkpoint directory: `model.safetensors` with `<layer>.qweight`,
    /// `.qzeros`, `.scales` and `.g_idx` for every ``Int4Linear`` and F32 tensors for everything
    /// else (embedding, norms, a float `lm_head`), `quantize_config.json` and `config.json`.
    ///
    /// All files are written to temporary files first and renamed into place together, so a
    /// failed save leaves an earlier checkpoint in `directory` untouched.
    /// - Parameters:
    ///   - quantizeConfig: what `quantize_config.json` records (act-order, damping, method); by
    ///     default round-to-nearest's settings with the layers' group size.
    ///   - bundledFiles: further files by name written with the others, e.g. the tokenizer
    ///     (`tokenizer.model`, `tokenizer_config.json`) that `LanguageModel(directory:)` reads.
    /// - Throws: ``QuantizationError/invalidSetting(name:reason:)`` when the int4 layers do not all
    ///   share one group size, there are none, `quantizeConfig` names another group size or a
    ///   bundled file's name is one of the checkpoint's own or contains a `/`; file-system and
    ///   safetensors errors.
    public func saveInt4Checkpoint(to directory: URL, quantizeConfig: QuantizeConfig? = nil,
                                   bundledFiles: [String: Data] = [:]) throws {
        var writer = SafetensorsWriter()
        var groupSizes = Set<Int>()
        for (name, layer) in linearLayers {
            if let int4 = layer as? Int4Linear {
                try int4.packed.add(to: &writer, named: name)
                groupSizes.insert(int4.packed.groupSize)
            }
        }
        guard groupSizes.count == 1, let groupSize = groupSizes.first else {
            throw QuantizationError.invalidSetting(
                name: "groupSize", reason: "an int4 checkpoint needs int4 layers of one group size, found \(groupSizes.sorted())")
        }
        let config = quantizeConfig ?? QuantizeConfig(groupSize: groupSize)
        guard config.groupSize == groupSize else {
            throw QuantizationError.invalidSetting(
                name: "groupSize", reason: "quantize_config.json would say \(config.groupSize), the int4 layers have \(groupSize)")
        }
        for (name, tensor) in namedParameters { try writer.add(tensor, named: name) }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var files: [(String, (AtomicFileWriter) throws -> Void)] = [
            ("model.safetensors", { try writer.write(into: $0) }),
            ("quantize_config.json", { try $0.write(try encoder.encode(config)) }),
            ("config.json", { try $0.write(try encoder.encode(self.configuration)) }),
        ]
        let ownNames = Set(files.map(\.0))
        for (name, data) in bundledFiles.sorted(by: { $0.key < $1.key }) {
            guard !ownNames.contains(name), !name.isEmpty, !name.contains("/") else {
                throw QuantizationError.invalidSetting(name: "bundledFiles", reason: "cannot bundle a file named \"\(name)\"")
            }
            files.append((name, { try $0.write(data) }))
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var staged: [AtomicFileWriter] = []
        for (name, body) in files {
            let file = try AtomicFileWriter(destination: directory.appendingPathComponent(name))
            staged.append(file)
            try body(file)
        }
        for file in staged { try file.commit() }
    }

    /// Loads a checkpoint written by ``saveInt4Checkpoint(to:)`` (or an AutoGPTQ v1 checkpoint of
    /// the same layout without act-order): every linear layer stored as `qweight`/`qzeros`/`scales`
    /// becomes an ``Int4Linear``, every other tensor is read as float.
    /// - Throws: ``QuantizationError/malformedCheckpoint(path:reason:)`` for a missing tensor or a
    ///   shape that does not match `config.json`; configuration and safetensors errors.
    public init(int4CheckpointAt directory: URL) throws {
        let configuration = try MiniCPMConfiguration.load(contentsOf: directory.appendingPathComponent("config.json"))
        let quantizeConfig = try QuantizeConfig(contentsOf: directory.appendingPathComponent("quantize_config.json"))
        let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        let path = file.url.path
        func tensor(_ declaration: TensorDeclaration) throws -> Tensor {
            guard file.contains(declaration.name) else {
                throw QuantizationError.malformedCheckpoint(path: path, reason: "missing tensor \(declaration.name)")
            }
            let t = try file.tensor(named: declaration.name)
            guard t.shape == declaration.shape else {
                throw QuantizationError.malformedCheckpoint(path: path, reason: "\(declaration.name) is \(t.shape), expected \(declaration.shape)")
            }
            return t
        }
        let factory = ParameterFactory(makeTensor: tensor, makeLinear: { declaration in
            let layer = String(declaration.name.dropLast(".weight".count))
            guard declaration.name.hasSuffix(".weight"), file.contains(layer + ".qweight") else {
                return Linear(weight: try tensor(declaration))
            }
            let packed = try PackedInt4Weight(reading: file, named: layer, groupSize: quantizeConfig.groupSize)
            guard [packed.outputFeatures, packed.inputFeatures] == declaration.shape else {
                throw QuantizationError.malformedCheckpoint(
                    path: path, reason: "\(layer) is [\(packed.outputFeatures), \(packed.inputFeatures)], expected \(declaration.shape)")
            }
            return try Int4Linear(packed: packed)
        })
        try self.init(configuration: configuration, factory: factory)
    }
}
