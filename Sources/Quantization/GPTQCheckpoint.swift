import Foundation
import TensorCore

/// `quantize_config.json` of an AutoGPTQ / GPTQModel checkpoint, with its snake-case keys.
public struct QuantizeConfig: Codable, Sendable, Equatable {
    /// Bits per weight (4).
    public var bits: Int
    /// Inputs per group (`group_size`).
    public var groupSize: Int
    /// Act-order (`desc_act`); `true` only with ``staticGroups``, so `g_idx` is always `i / group_size`.
    public var descAct: Bool
    /// Symmetric quantisation (`sym`); `false` here: the zero point is per group.
    public var sym: Bool
    /// `checkpoint_format`: "gptq" (v1, zeros stored minus one).
    public var checkpointFormat: String
    /// `static_groups`: every group's scale and zero point were fitted before any GPTQ update, so
    /// even with act-order `g_idx` is `i / group_size` (AutoGPTQ's key; absent means `false`).
    public var staticGroups: Bool?
    /// `damp_percent`: the damping fraction GPTQ was asked for (absent for round-to-nearest).
    public var dampPercent: Double?
    /// `method`: how the weights were rounded, `"gptq"` or `"rtn"` (round-to-nearest). This
    /// suite's own key, which other loaders ignore; absent in checkpoints written before it.
    public var method: String?

    /// The settings of this module's int4 round-to-nearest checkpoints.
    public init(bits: Int = 4, groupSize: Int = 128, descAct: Bool = false, sym: Bool = false, checkpointFormat: String = "gptq",
                staticGroups: Bool? = nil, dampPercent: Double? = nil, method: String? = nil) {
        self.bits = bits
        self.groupSize = groupSize
        self.descAct = descAct
        self.sym = sym
        self.checkpointFormat = checkpointFormat
        self.staticGroups = staticGroups
        self.dampPercent = dampPercent
        self.method = method
    }

    enum CodingKeys: String, CodingKey {
        case bits
        case groupSize = "group_size"
        case descAct = "desc_act"
        case sym
        case checkpointFormat = "checkpoint_format"
        case staticGroups = "static_groups"
        case dampPercent = "damp_percent"
        case method
    }

    /// Reads and checks a config this module can load: 4 bits, asymmetric, v1 "gptq", and act-order
    /// (`desc_act`) only together with `static_groups` (otherwise `g_idx` is permuted, a layout
    /// ``PackedInt4Weight`` does not read).
    /// - Throws: ``QuantizationError/malformedCheckpoint(path:reason:)``.
    public init(contentsOf url: URL) throws {
        let config: QuantizeConfig
        do { config = try JSONDecoder().decode(QuantizeConfig.self, from: Data(contentsOf: url)) } catch {
            throw QuantizationError.malformedCheckpoint(path: url.path, reason: "unreadable quantize_config.json: \(error)")
        }
        guard config.bits == 4, !config.descAct || config.staticGroups == true, !config.sym, config.checkpointFormat == "gptq" else {
            throw QuantizationError.malformedCheckpoint(
                path: url.path, reason: "only bits 4, desc_act false (or true with static_groups true), sym false, "
                    + "checkpoint_format \"gptq\" are supported")
        }
        self = config
    }

    /// Writes the config atomically, keys sorted, as JSON.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try AtomicFileWriter.write(data, to: url)
    }
}

extension PackedInt4Weight {
    /// Adds `<name>.qweight` (I32 `[in/8, out]`), `<name>.qzeros` (I32 `[in/G, out/8]`),
    /// `<name>.scales` (F16 `[in/G, out]`) and `<name>.g_idx` (I32 `[in]`) to `writer`.
    /// - Throws: `SafetensorsError` for a name already added.
    public func add(to writer: inout SafetensorsWriter, named name: String) throws {
        let groups = inputFeatures / groupSize
        try writer.add(qweight, shape: [inputFeatures / 8, outputFeatures], named: name + ".qweight")
        try writer.add(qzeros, shape: [groups, outputFeatures / 8], named: name + ".qzeros")
        // The Float16 scales are exact in Float, so writing them back as F16 loses nothing.
        let scaleTensor = Tensor(shape: [groups, outputFeatures], scalars: scales.map { Float($0) })
        try writer.add(scaleTensor, named: name + ".scales", as: .f16)
        try writer.add(groupIndex, shape: [inputFeatures], named: name + ".g_idx")
    }

    /// Reads the four tensors of layer `name` from `file`; the shapes give the features, and
    /// `groupSize` (from `quantize_config.json`) must agree with them.
    /// - Throws: `SafetensorsError` for a missing tensor or wrong dtype;
    ///   ``QuantizationError/malformedCheckpoint(path:reason:)`` for inconsistent shapes.
    public init(reading file: SafetensorsFile, named name: String, groupSize: Int) throws {
        let qweightInfo = try file.info(for: name + ".qweight")
        let scaleTensor = try file.tensor(named: name + ".scales")
        guard qweightInfo.shape.count == 2, scaleTensor.rank == 2 else {
            throw QuantizationError.malformedCheckpoint(path: file.url.path, reason: "\(name): qweight and scales must be 2-D")
        }
        let inputs = qweightInfo.shape[0] * 8, outputs = qweightInfo.shape[1]
        guard scaleTensor.shape == [inputs / max(groupSize, 1), outputs] else {
            throw QuantizationError.malformedCheckpoint(
                path: file.url.path, reason: "\(name).scales \(scaleTensor.shape) does not match qweight \(qweightInfo.shape) with group size \(groupSize)")
        }
        let groupIndex = file.contains(name + ".g_idx") ? try file.int32s(named: name + ".g_idx") : nil
        do {
            try self.init(outputFeatures: outputs, inputFeatures: inputs, groupSize: groupSize,
                          qweight: try file.int32s(named: name + ".qweight"),
                          qzeros: try file.int32s(named: name + ".qzeros"),
                          scales: scaleTensor.scalars.map { Float16($0) }, groupIndex: groupIndex)
        } catch let error as QuantizationError {
            throw QuantizationError.malformedCheckpoint(path: file.url.path, reason: "\(name): \(error)")
        }
    }
}
