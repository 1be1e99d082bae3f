import ArgumentParser
import Foundation
import MiniCPMModel
import Quantization
import TensorCore

/// `minicpm quantize`: a float model (a checkpoint directory, or a GGUF file, dequantised) to int4
/// weights, written as an AutoGPTQ checkpoint directory that `generate`, `chat` and `logits` load as
/// int4, or as a GGUF file of llama.cpp's block types.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantise a model's linear layers to int4 with GPTQ or round-to-nearest.",
        discussion: """
        --format gptq writes an AutoGPTQ-layout directory (model.safetensors with qweight/qzeros/scales/g_idx, \
        quantize_config.json, config.json) with the model's tokenizer, which generate, chat and logits run as int4. \
        GPTQ calibrates on --calibration: the text is tokenized with the model's own tokenizer and cut into \
        --calibration-samples evenly spaced, non-overlapping windows of --calibration-tokens tokens (fewer when \
        the text is shorter), so a run is reproducible. The output head and the embedding stay float.
        --format gguf writes a GGUF file whose matrices are rounded to nearest in llama.cpp's block types \
        (--gguf-type; Q4_0 for --bits 4, Q8_0 for --bits 8): GPTQ does not apply to those formats.
        """
    )

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case gptq, rtn
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case gptq, gguf
    }

    enum GGUFType: String, ExpressibleByArgument, CaseIterable {
        case q4_0, q4_1, q8_0

        var tensorType: GGUFTensorType {
            switch self {
            case .q4_0: return .q4_0
            case .q4_1: return .q4_1
            case .q8_0: return .q8_0
            }
        }

        var bits: Int { self == .q8_0 ? 8 : 4 }
    }

    @Option(help: "The float model: a Hugging Face checkpoint directory (config.json + safetensors) or a GGUF file (dequantised).")
    var model: String

    @Option(help: "A UTF-8 text file to calibrate GPTQ on (needed by --method gptq).")
    var calibration: String?

    @Option(help: "Calibration windows (GPTQ's reference uses 128).")
    var calibrationSamples = 128

    @Option(help: "Tokens per calibration window (clipped to the text and the model's context).")
    var calibrationTokens = 512

    @Option(help: "Bits per weight: 4 (8 only with --format gguf --gguf-type q8_0).")
    var bits = 4

    @Option(help: "Inputs sharing a scale and zero point: 32, 64 or 128 (--format gptq).")
    var groupSize = 128

    @Option(help: "gptq (error-compensating, needs --calibration) or rtn (round to nearest). Default: gptq for --format gptq, rtn for --format gguf (the only one it takes).")
    var method: Method?

    @Flag(help: "GPTQ act-order (desc_act): quantise the inputs with the largest Hessian diagonal first (with static groups).")
    var actOrder = false

    @Option(help: "GPTQ damping, as a fraction of the Hessian's mean diagonal (damp_percent), in [0, 1).")
    var damping = 0.01

    @Option(help: "gptq (AutoGPTQ directory) or gguf (a GGUF file of llama.cpp block types).")
    var format: Format = .gptq

    @Option(help: "The GGUF block type of --format gguf: q4_0, q4_1 or q8_0 (default: q4_0 for --bits 4, q8_0 for --bits 8).")
    var ggufType: GGUFType?

    @Option(help: "The output: a directory for --format gptq (created; its checkpoint files are replaced), a file for --format gguf.")
    var out: String

    @Option(help: "Threads for the kernels and OpenBLAS, 1...1024 (default: all cores).")
    var threads: Int?

    /// The method after defaults: GPTQ for an AutoGPTQ directory, round-to-nearest for GGUF.
    var resolvedMethod: Method { method ?? (format == .gptq ? .gptq : .rtn) }

    func validate() throws {
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: model) else { throw ValidationError("--model \(model): no such file or directory.") }
        do { _ = try ModelFormat.detect(at: URL(fileURLWithPath: model)) } catch {
            throw ValidationError("--model \(model): \(error)")
        }
        if fileManager.fileExists(atPath: URL(fileURLWithPath: model).appendingPathComponent("quantize_config.json").path) {
            throw ValidationError("--model \(model) is already quantised (it has quantize_config.json); give the float model.")
        }
        switch format {
        case .gptq:
            guard bits == 4 else { throw ValidationError("--bits \(bits) is not supported by --format gptq; only 4.") }
            guard [32, 64, 128].contains(groupSize) else {
                throw ValidationError("--group-size must be 32, 64 or 128, not \(groupSize).")
            }
            if ggufType != nil { throw ValidationError("--gguf-type needs --format gguf.") }
        case .gguf:
            if method == .gptq {
                throw ValidationError("--method gptq does not apply to --format gguf: llama.cpp's Q4_0/Q4_1/Q8_0 blocks are rounded to nearest (use --method rtn, or --format gptq).")
            }
            guard bits == 4 || bits == 8 else { throw ValidationError("--bits \(bits) is not supported by --format gguf; 4 or 8.") }
            if let ggufType, ggufType.bits != bits {
                throw ValidationError("--gguf-type \(ggufType.rawValue) stores \(ggufType.bits)-bit weights, not --bits \(bits).")
            }
            if actOrder { throw ValidationError("--act-order needs --method gptq and --format gptq.") }
        }
        guard calibrationSamples > 0 else { throw ValidationError("--calibration-samples must be > 0, not \(calibrationSamples).") }
        guard calibrationTokens > 0 else { throw ValidationError("--calibration-tokens must be > 0, not \(calibrationTokens).") }
        guard damping.isFinite, damping >= 0, damping < 1 else { throw ValidationError("--damping must be in [0, 1), not \(damping).") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024, not \(threads).") }
        if resolvedMethod == .gptq {
            guard let calibration else { throw ValidationError("--method gptq needs --calibration FILE.") }
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: calibration, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw ValidationError("--calibration \(calibration): no such file.")
            }
        } else if actOrder {
            throw ValidationError("--act-order needs --method gptq.")
        }
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: out, isDirectory: &isDirectory) {
            if format == .gptq && !isDirectory.boolValue {
                throw ValidationError("--out \(out) exists and is not a directory; --format gptq writes a directory.")
            }
            if format == .gguf && isDirectory.boolValue {
                throw ValidationError("--out \(out) is a directory; --format gguf writes a file.")
            }
        }
    }

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        let modelURL = URL(fileURLWithPath: model), outURL = URL(fileURLWithPath: out)
        let start = ContinuousClock.now
        let method = resolvedMethod
        var network: MiniCPM
        var calibrationSequences: [[Int]] = []
        if method == .gptq, let calibration {
            // The model's own tokenizer (a GGUF file's, or the directory's tokenizer.model).
            let languageModel = try LanguageModel(contentsOf: modelURL)
            network = languageModel.model
            guard let text = String(data: try Data(contentsOf: URL(fileURLWithPath: calibration)), encoding: .utf8) else {
                throw QuantizeOptionError("--calibration \(calibration) is not UTF-8 text.")
            }
            let tokens = try languageModel.tokenizer.encode(text)
            let windows = CalibrationWindows(tokens: tokens, count: calibrationSamples,
                                             length: min(calibrationTokens, network.maximumContextLength))
            guard !windows.sequences.isEmpty else {
                throw QuantizeOptionError("--calibration \(calibration) holds no tokens to calibrate on.")
            }
            calibrationSequences = windows.sequences
            print("calibration: \(windows.sequences.count) windows × \(windows.length) tokens of \(windows.availableTokens) in \(calibration)")
        } else {
            network = try MiniCPM(contentsOf: modelURL)
        }
        let loaded = ContinuousClock.now
        print(String(format: "loaded %@ in %.1f s", model, seconds(loaded - start)))
        if format == .gptq { try checkGroupSize(of: network) }

        switch (format, method) {
        case (.gguf, _):
            let type = (ggufType ?? (bits == 8 ? .q8_0 : .q4_0)).tensorType
            let tokenizer = try TokenizerBundle.ggufMetadata(for: modelURL)
            if tokenizer.isEmpty { print("note: \(model) has no GGUF tokenizer to copy; the file says tokenizer.ggml.model = none") }
            try network.saveGGUF(to: outURL, type: type, tokenizer: tokenizer)
        case (.gptq, .rtn):
            network = try quantizeLinearLayers(of: network, groupSize: groupSize)
            print(String(format: "rounded to nearest in %.1f s", seconds(ContinuousClock.now - loaded)))
            try network.saveInt4Checkpoint(to: outURL, quantizeConfig: QuantizeConfig(groupSize: groupSize, method: "rtn"),
                                           bundledFiles: try TokenizerBundle.files(for: modelURL))
        case (.gptq, .gptq):
            let options = GPTQOptions(groupSize: groupSize, dampingFraction: damping, actOrder: actOrder, staticGroups: actOrder)
            let total = network.linearLayers.filter { $0.name.hasPrefix("model.layers.") && $0.layer is Linear }.count
            var done = 0
            network = try quantizeLinearLayersWithGPTQ(of: network, calibration: calibrationSequences, options: options) { report in
                done += 1
                let ratio = report.roundToNearestMeanSquaredError > 0
                    ? report.meanSquaredError / report.roundToNearestMeanSquaredError : 1
                print(String(format: "[%d/%d] %@ [%d×%d]  damp %.4f  error gptq %.4g rtn %.4g (%.2f×)  %.2f s",
                             done, total, report.name, report.outputFeatures, report.inputFeatures, report.dampingFraction,
                             report.meanSquaredError, report.roundToNearestMeanSquaredError, ratio, report.seconds))
            }
            print(String(format: "GPTQ in %.1f s", seconds(ContinuousClock.now - loaded)))
            let config = QuantizeConfig(groupSize: groupSize, descAct: actOrder, staticGroups: options.staticGroups,
                                        dampPercent: damping, method: "gptq")
            try network.saveInt4Checkpoint(to: outURL, quantizeConfig: config,
                                           bundledFiles: try TokenizerBundle.files(for: modelURL))
        }
        print(String(format: "wrote %@ in %.1f s total: %@ → %@", out, seconds(ContinuousClock.now - start),
                     Self.sizeDescription(of: modelURL), Self.sizeDescription(of: outURL)))
    }

    /// Fails before any work when `--group-size` does not divide the inputs of every layer to be
    /// quantised (SmolLM2's 576-wide layers take 32 or 64, not 128), naming the sizes that would.
    private func checkGroupSize(of network: MiniCPM) throws {
        let layers = network.linearLayers.compactMap { entry in
            (entry.layer as? Linear).map { (name: entry.name, inputs: $0.weight.shape[1]) }
        }.filter { $0.name.hasPrefix("model.layers.") }
        guard let bad = layers.first(where: { $0.inputs % groupSize != 0 }) else { return }
        let fitting = [32, 64, 128].filter { size in layers.allSatisfy { $0.inputs % size == 0 } }
        throw QuantizeOptionError("--group-size \(groupSize) does not divide the \(bad.inputs) inputs of \(bad.name)"
            + (fitting.isEmpty ? "; no group size of 32, 64 or 128 does." : "; use \(fitting.map(String.init).joined(separator: " or ")).")
        )
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// The bytes on disk of a file, or of the regular files directly in a directory, in MB.
    static func sizeDescription(of url: URL) -> String {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return "?" }
        let paths = isDirectory.boolValue
            ? ((try? fileManager.contentsOfDirectory(atPath: url.path)) ?? []).map { url.appendingPathComponent($0).path }
            : [url.path]
        let bytes = paths.reduce(0) { sum, path in
            sum + ((try? fileManager.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
        return String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}
