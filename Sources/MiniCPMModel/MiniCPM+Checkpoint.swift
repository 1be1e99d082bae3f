import Foundation
import TensorCore

extension MiniCPM {
    /// Loads a Hugging Face checkpoint directory: `config.json` plus `model.safetensors`, or the
    /// shards listed by `model.safetensors.index.json`. F32, F16 and BF16 weights are accepted.
    /// Files are memory-mapped and aligned F32 weights are used in place, so a float32 model costs
    /// its size once (page cache), not twice.
    public init(directory: URL) throws(CheckpointError) {
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw .missingFile(path: configURL.path) }
        let configuration: MiniCPMConfiguration
        do { configuration = try MiniCPMConfiguration.load(contentsOf: directory.appendingPathComponent("config.json")) }
        catch { throw .configuration(error) }
        let files = try Self.openWeightFiles(in: directory)
        var owner: [String: Int] = [:]          // tensor name -> index into files
        for (i, file) in files.enumerated() {
            for name in file.tensorNames {
                if let j = owner[name] {
                    throw .duplicateTensor(name: name, files: [files[j].url.lastPathComponent, file.url.lastPathComponent])
                }
                owner[name] = i
            }
        }
        // An untrusted num_hidden_layers is checked against the tensor names before the model's
        // per-layer structure is built (see StoredLayerCount).
        let storedLayers = StoredLayerCount(names: owner.keys, prefix: "model.layers.")
        guard storedLayers.covers(configuration.layerCount) else {
            throw .configuration(.inFile(path: configURL.path, .inconsistent(
                "num_hidden_layers is \(configuration.layerCount), but in the weights \(storedLayers.summary)")))
        }
        // num_experts is as untrusted: every layer builds that many experts before any tensor is
        // read, so the first layer's stored experts must cover it.
        if configuration.expertCount > 0 {
            let storedExperts = StoredLayerCount(names: owner.keys, prefix: "model.layers.0.mlp.experts.")
            guard storedExperts.covers(configuration.expertCount) else {
                throw .configuration(.inFile(path: configURL.path, .inconsistent(
                    "num_experts is \(configuration.expertCount), but in the weights of layer 0 \(storedExperts.summary)")))
            }
        }
        // hidden_size sizes what is built before any tensor is read (the rotary frequency table has
        // hidden_size / heads / 2 entries): check it, with vocab_size, against the embedding first.
        let embedding = "model.embed_tokens.weight"
        guard let embeddingFile = owner[embedding] else { throw .missingTensor(name: embedding) }
        let embeddingShape: [Int]
        do { embeddingShape = try files[embeddingFile].info(for: embedding).shape } catch { throw .safetensors(error) }
        guard embeddingShape == [configuration.vocabularySize, configuration.hiddenSize] else {
            throw .shapeMismatch(name: embedding, expected: [configuration.vocabularySize, configuration.hiddenSize],
                                 found: embeddingShape)
        }
        var consumed = Set<String>()
        do {
            try self.init(configuration: configuration) { declaration in
                let (name, shape) = (declaration.name, declaration.shape)
                guard let i = owner[name] else { throw CheckpointError.missingTensor(name: name) }
                let file = files[i]
                let info = try file.info(for: name)
                guard [.f32, .f16, .bf16].contains(info.dtype) else {
                    throw CheckpointError.unsupportedDType(name: name, dtype: info.dtype.rawValue)
                }
                guard info.shape == shape else {
                    throw CheckpointError.shapeMismatch(name: name, expected: shape, found: info.shape)
                }
                consumed.insert(name)
                return try file.tensor(named: name)
            }
        } catch let error as CheckpointError {
            throw error
        } catch let error as SafetensorsError {
            throw .safetensors(error)
        } catch let error as MiniCPMConfigurationError {
            throw .configuration(error)
        } catch {
            throw .safetensors(.cannotOpenFile(path: directory.path, reason: "\(error)"))
        }
        if let extra = owner.keys.filter({ !consumed.contains($0) }).sorted().first {
            throw .unexpectedTensor(name: extra, file: files[owner[extra]!].url.lastPathComponent)
        }
    }

    /// The safetensors files of a checkpoint directory: `model.safetensors` when present (as the
    /// Hugging Face loader prefers it), otherwise the shards of `model.safetensors.index.json`.
    static func openWeightFiles(in directory: URL) throws(CheckpointError) -> [SafetensorsFile] {
        let fm = FileManager.default
        let single = directory.appendingPathComponent("model.safetensors")
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        var names: [String]
        if fm.fileExists(atPath: single.path) {
            names = ["model.safetensors"]
        } else if fm.fileExists(atPath: index.path) {
            names = try shardNames(index: index)
        } else {
            throw .missingFile(path: single.path)
        }
        var files: [SafetensorsFile] = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            guard fm.fileExists(atPath: url.path) else { throw .missingFile(path: url.path) }
            do { files.append(try SafetensorsFile(contentsOf: url)) } catch { throw .safetensors(error) }
        }
        return files
    }

    /// The distinct shard file names an index lists.
    static func shardNames(index: URL) throws(CheckpointError) -> [String] {
        guard let data = FileManager.default.contents(atPath: index.path) else { throw .missingFile(path: index.path) }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = json["weight_map"] as? [String: String] else {
            throw .invalidIndex(path: index.path, reason: "expected an object with a \"weight_map\" of tensor name to file name")
        }
        let names = Array(Set(map.values)).sorted()
        for name in names where name.contains("/") || name.hasPrefix(".") {
            throw .invalidIndex(path: index.path, reason: "shard name \"\(name)\" is not a plain file name")
        }
        return names
    }

    /// Saves a Hugging Face checkpoint directory (`config.json` and `model.safetensors`, or shards of
    /// at most `maximumShardBytes` with `model.safetensors.index.json`), weights as `dtype` (F32, F16
    /// or BF16).
    ///
    /// Every file is first written completely to a temporary file and synced; only then are they
    /// renamed into place (weights first, `config.json` last) and files of an earlier checkpoint in
    /// the same directory that the new one does not use are removed. A save that fails before the
    /// renames leaves the previous checkpoint untouched.
    public func save(to directory: URL, dtype: SafetensorsDType = .f32, maximumShardBytes: Int? = nil) throws(CheckpointError) {
        guard [.f32, .f16, .bf16].contains(dtype) else {
            throw .unsupportedDType(name: "(save)", dtype: dtype.rawValue)
        }
        var staged: [AtomicFileWriter] = []
        do {
            let fm = FileManager.default
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            let index = directory.appendingPathComponent("model.safetensors.index.json")
            let single = directory.appendingPathComponent("model.safetensors")
            let previousShards = fm.fileExists(atPath: index.path) ? ((try? Self.shardNames(index: index)) ?? []) : []

            func stage(_ url: URL, _ body: (AtomicFileWriter) throws -> Void) throws {
                let file = try AtomicFileWriter(destination: url)
                staged.append(file)
                try body(file)
            }

            let parameters = namedParameters
            var shards: [[(String, Tensor)]] = [[]]
            var shardBytes = 0
            for (name, tensor) in parameters {
                let bytes = tensor.count * dtype.byteSize
                if let limit = maximumShardBytes, shardBytes > 0, shardBytes + bytes > limit {
                    shards.append([])
                    shardBytes = 0
                }
                shards[shards.count - 1].append((name, tensor))
                shardBytes += bytes
            }
            var written: Set<String> = []
            if shards.count == 1 {
                try stage(single) { try Self.shardWriter(shards[0], dtype: dtype).write(into: $0) }
                written.insert(single.lastPathComponent)
            } else {
                var weightMap: [String: String] = [:]
                for (i, shard) in shards.enumerated() {
                    let name = String(format: "model-%05d-of-%05d.safetensors", i + 1, shards.count)
                    try stage(directory.appendingPathComponent(name)) { try Self.shardWriter(shard, dtype: dtype).write(into: $0) }
                    for (tensorName, _) in shard { weightMap[tensorName] = name }
                    written.insert(name)
                }
                let total = parameters.reduce(0) { $0 + $1.value.count * dtype.byteSize }
                let json: [String: Any] = ["metadata": ["total_size": total], "weight_map": weightMap]
                let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
                try stage(index) { try $0.write(data) }
                written.insert(index.lastPathComponent)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let config = try encoder.encode(configuration)
            try stage(directory.appendingPathComponent("config.json")) { try $0.write(config) }

            // Everything is on disk: put it in place, then drop what the old checkpoint left.
            for file in staged { try file.commit() }
            staged.removeAll()
            let stale = ([single.lastPathComponent, index.lastPathComponent] + previousShards).filter { !written.contains($0) }
            for name in stale { try? fm.removeItem(at: directory.appendingPathComponent(name)) }
        } catch let error as CheckpointError {
            staged.forEach { $0.abort() }
            throw error
        } catch {
            staged.forEach { $0.abort() }
            throw .writeFailed(path: directory.path, reason: "\(error)")
        }
    }

    static func shardWriter(_ tensors: [(String, Tensor)], dtype: SafetensorsDType) throws -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for (name, tensor) in tensors { try writer.add(tensor, named: name, as: dtype) }
        return writer
    }
}
