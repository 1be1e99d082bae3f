import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// A checkpoint directory under `Tests/MiniCPMModelTests/Fixtures` (copied into the test bundle).
func fixtureURL(_ name: String) -> URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
}

/// What `ref_forward.py --out` stored for a fixture: the prompt, its float64 reference logits (as
/// float32) and the greedy continuation.
struct ExpectedOutput {
    let ids: [Int]
    let logits: Tensor
    let greedy: [Int]

    init(fixture name: String) throws {
        try self.init(contentsOf: fixtureURL(name).appendingPathComponent("expected.safetensors"))
    }

    /// Reads an `expected.safetensors`-style file at `url`.
    init(contentsOf url: URL) throws {
        let file = try SafetensorsFile(contentsOf: url)
        ids = try file.int32s(named: "input_ids").map(Int.init)
        logits = try file.tensor(named: "logits")
        greedy = file.contains("greedy_ids") ? try file.int32s(named: "greedy_ids").map(Int.init) : []
    }
}

/// The largest element-wise difference of two tensors of equal shape.
func maxAbsDifference(_ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

/// Which parts of ``checkParity(_:checks:tolerance:file:line:)`` to run.
struct ParityChecks: OptionSet {
    let rawValue: Int
    /// All prompt logits from one forward pass.
    static let fullForward = ParityChecks(rawValue: 1)
    /// All prompt logits fed one token at a time through a KV cache.
    static let cachedStepwise = ParityChecks(rawValue: 2)
    /// The greedy ids, prefill then one token at a time through a KV cache.
    static let cachedGreedy = ParityChecks(rawValue: 4)
    /// The greedy ids, each step a full forward pass over the whole sequence (no cache), exactly as
    /// `ref_forward.py` computes them.
    static let recomputedGreedy = ParityChecks(rawValue: 8)

    static let all: ParityChecks = [.fullForward, .cachedStepwise, .cachedGreedy]
}

/// Loads `Fixtures/<name>` and compares its logits with `expected.safetensors` (within `tolerance`,
/// absolute) and its greedy continuation with the expected ids.
func checkParity(_ name: String, checks: ParityChecks = .all, tolerance: Float = 1e-4,
                 file: StaticString = #filePath, line: UInt = #line) throws {
    try checkParity(try MiniCPM(directory: fixtureURL(name)), against: try ExpectedOutput(fixture: name), label: name,
                    checks: checks, tolerance: tolerance, file: file, line: line)
}

/// Compares an already loaded `model` with `e` as ``checkParity(_:checks:tolerance:file:line:)`` does;
/// `label` names it in failure messages.
func checkParity(_ model: MiniCPM, against e: ExpectedOutput, label name: String, checks: ParityChecks = .all,
                 tolerance: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) throws {
    let v = model.configuration.vocabularySize

    if checks.contains(.fullForward) {
        let full = try withoutGradients { try model.logits(for: e.ids) }
        XCTAssertLessThan(maxAbsDifference(full, e.logits, file: file, line: line), tolerance,
                          "\(name): full forward", file: file, line: line)
    }

    if checks.contains(.cachedStepwise) {
        let cache = KVCache(configuration: model.configuration, reservedLength: 4)
        var rows: [Tensor] = []
        for id in e.ids {
            rows.append(try withoutGradients { try model.logits(for: [id], cache: cache) })
        }
        let stepwise = Tensor.concatenate(rows, alongAxis: 0)
        XCTAssertEqual(stepwise.shape, [e.ids.count, v], file: file, line: line)
        XCTAssertLessThan(maxAbsDifference(stepwise, e.logits, file: file, line: line), tolerance,
                          "\(name): cached decoding", file: file, line: line)
    }

    if !checks.isDisjoint(with: [.cachedGreedy, .recomputedGreedy]) {
        XCTAssertFalse(e.greedy.isEmpty, "\(name): no greedy ids to compare", file: file, line: line)
    }

    if checks.contains(.cachedGreedy), !e.greedy.isEmpty {
        let cache = KVCache(configuration: model.configuration)
        var next = try withoutGradients { try model.nextTokenLogits(for: e.ids, cache: cache) }.argmax(alongAxis: 0)[0]
        var generated = [next]
        while generated.count < e.greedy.count {
            next = try withoutGradients { try model.nextTokenLogits(for: [next], cache: cache) }.argmax(alongAxis: 0)[0]
            generated.append(next)
        }
        XCTAssertEqual(generated, e.greedy, "\(name): greedy ids (KV cache)", file: file, line: line)
    }

    if checks.contains(.recomputedGreedy), !e.greedy.isEmpty {
        var sequence = e.ids
        var generated: [Int] = []
        while generated.count < e.greedy.count {
            let next = try withoutGradients { try model.nextTokenLogits(for: sequence) }.argmax(alongAxis: 0)[0]
            generated.append(next)
            sequence.append(next)
        }
        XCTAssertEqual(generated, e.greedy, "\(name): greedy ids (full recomputation)", file: file, line: line)
    }
}
