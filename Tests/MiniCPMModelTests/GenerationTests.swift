import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// `MiniCPM.generate` and `MiniCPM.tokens` on the tiny fixture.
final class GenerationTests: XCTestCase {
    var model: MiniCPM!
    /// The fixture's prompt (16 ids) and its greedy continuation (8 ids, none of them EOS).
    var prompt: [Int] = []
    var greedy: [Int] = []

    override func setUpWithError() throws {
        let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("tiny-minicpm")
        model = try MiniCPM(directory: directory)
        let expected = try SafetensorsFile(contentsOf: directory.appendingPathComponent("expected.safetensors"))
        prompt = try expected.int32s(named: "input_ids").map(Int.init)
        greedy = try expected.int32s(named: "greedy_ids").map(Int.init)
        XCTAssertEqual(greedy.count, 8)
    }

    /// Greedy, never stopping on a token.
    func greedyParameters(_ maxTokens: Int) -> GenerateParameters {
        var p = GenerateParameters.greedy(maxTokens: maxTokens)
        p.stopTokenIDs = []
        return p
    }

    func testGreedyReproducesReferenceAndCountsAreRight() throws {
        let cache = KVCache(configuration: model.configuration)
        var reported: [Int] = []
        let summary = try model.generate(promptTokens: prompt, parameters: greedyParameters(8), cache: cache) {
            reported.append($0); return .continue
        }
        XCTAssertEqual(summary.tokens, greedy)
        XCTAssertEqual(reported, greedy)
        XCTAssertEqual(summary.stopReason, .maxTokens)
        XCTAssertEqual(summary.promptTokenCount, 16)
        XCTAssertEqual(summary.generatedTokenCount, 8)
        XCTAssertEqual(summary.decodeStepCount, 7)
        XCTAssertEqual(summary.pendingToken, greedy.last)
        XCTAssertGreaterThan(summary.prefillTokensPerSecond, 0)
        XCTAssertGreaterThan(summary.decodeTokensPerSecond, 0)
        XCTAssertEqual(cache.tokens, prompt + greedy.dropLast())
        XCTAssertEqual(cache.length, 23)
        // Default stop tokens (EOS = 2) do not occur in the greedy continuation.
        XCTAssertEqual(try model.generate(promptTokens: prompt, parameters: .greedy(maxTokens: 8)).tokens, greedy)
    }

    func testStopToken() throws {
        var parameters = GenerateParameters.greedy(maxTokens: 8)
        parameters.stopTokenIDs = [greedy[3], 500]
        let cache = KVCache(configuration: model.configuration)
        var reported: [Int] = []
        let summary = try model.generate(promptTokens: prompt, parameters: parameters, cache: cache) {
            reported.append($0); return .continue
        }
        XCTAssertEqual(summary.tokens, Array(greedy[..<3]))
        XCTAssertEqual(reported, Array(greedy[..<3]), "the stop token is not reported")
        XCTAssertEqual(summary.stopReason, .stopToken(greedy[3]))
        XCTAssertEqual(summary.pendingToken, greedy[3])
        XCTAssertEqual(summary.generatedTokenCount, 3)
        XCTAssertEqual(summary.decodeStepCount, 3)
        XCTAssertEqual(cache.tokens, prompt + greedy[..<3])
    }

    func testDefaultStopTokensAreTheModelsEOS() throws {
        /// Forces the model's EOS at the first step, through a custom chain.
        struct Force: LogitProcessor {
            let token: Int
            func process(_ logits: inout [Float], history: [Int]) {
                for i in logits.indices where i != token { logits[i] = -.infinity }
            }
        }
        let eos = model.configuration.eosTokenIDs[0]
        let sampler = Sampler(processors: [Force(token: eos)], selector: CategoricalSelector())
        let summary = try model.generate(promptTokens: prompt, parameters: GenerateParameters(maxTokens: 8),
                                         sampler: sampler)
        XCTAssertEqual(summary.stopReason, .stopToken(eos))
        XCTAssertEqual(summary.tokens, [])
        XCTAssertEqual(summary.decodeStepCount, 0)
    }

    func testCallbackStops() throws {
        var seen = 0
        let summary = try model.generate(promptTokens: prompt, parameters: greedyParameters(8)) { _ in
            seen += 1
            return seen == 3 ? .stop : .continue
        }
        XCTAssertEqual(summary.stopReason, .cancelled)
        XCTAssertEqual(summary.tokens, Array(greedy[..<3]))
        XCTAssertEqual(summary.decodeStepCount, 2)
    }

    func testContextFull() throws {
        let cache = KVCache(configuration: model.configuration, maximumLength: 20)
        let summary = try model.generate(promptTokens: prompt, parameters: greedyParameters(100), cache: cache)
        // 16 prompt tokens + 4 fed tokens fill the cache; the 5th token is sampled but cannot be fed.
        XCTAssertEqual(summary.stopReason, .contextFull)
        XCTAssertEqual(summary.tokens, Array(greedy[..<5]))
        XCTAssertEqual(cache.length, 20)
        XCTAssertEqual(summary.pendingToken, greedy[4])
    }

    func testZeroMaxTokensOnlyPrefills() throws {
        let cache = KVCache(configuration: model.configuration)
        let summary = try model.generate(promptTokens: prompt, parameters: greedyParameters(0), cache: cache)
        XCTAssertEqual(summary.tokens, [])
        XCTAssertEqual(summary.stopReason, .maxTokens)
        XCTAssertNil(summary.pendingToken)
        XCTAssertEqual(cache.tokens, prompt)
        // Continuing from the prefilled cache with the pending-free prompt split works too.
        let rest = try model.generate(promptTokens: [greedy[0]], parameters: greedyParameters(3), cache: cache)
        XCTAssertEqual(rest.tokens, Array(greedy[1..<4]))
    }

    func testKeptCacheContinuesLikeAFreshRunOverTheConcatenation() throws {
        let firstTurn = Array(prompt[..<10]), secondTurn = Array(prompt[10...])
        let cache = KVCache(configuration: model.configuration)
        let first = try model.generate(promptTokens: firstTurn, parameters: greedyParameters(3), cache: cache)
        XCTAssertEqual(cache.tokens, firstTurn + first.tokens.dropLast())
        let pending = try XCTUnwrap(first.pendingToken)
        let second = try model.generate(promptTokens: [pending] + secondTurn, parameters: greedyParameters(6), cache: cache)
        XCTAssertEqual(second.promptTokenCount, 1 + secondTurn.count)

        let fresh = try model.generate(promptTokens: firstTurn + first.tokens + secondTurn, parameters: greedyParameters(6))
        XCTAssertEqual(second.tokens, fresh.tokens)
        XCTAssertEqual(second.stopReason, fresh.stopReason)

        // Sampled, with the repetition penalty over the whole history: same tokens as well.
        let sampling = GenerateParameters(maxTokens: 6, temperature: 0.9, topK: 50, repetitionPenalty: 1.3,
                                          repetitionContextSize: nil, seed: 77, stopTokenIDs: [])
        let c2 = KVCache(configuration: model.configuration)
        let a = try model.generate(promptTokens: firstTurn, parameters: greedyParameters(3), cache: c2)
        let b = try model.generate(promptTokens: [a.pendingToken!] + secondTurn, parameters: sampling, cache: c2)
        let c = try model.generate(promptTokens: firstTurn + a.tokens + secondTurn, parameters: sampling)
        XCTAssertEqual(b.tokens, c.tokens)
    }

    func testTrimmingTheCacheAndRegeneratingReproduces() throws {
        let cache = KVCache(configuration: model.configuration)
        let first = try model.generate(promptTokens: prompt, parameters: greedyParameters(8), cache: cache)
        XCTAssertEqual(first.tokens, greedy)
        cache.trim(to: prompt.count - 1)
        let again = try model.generate(promptTokens: [prompt.last!], parameters: greedyParameters(8), cache: cache)
        XCTAssertEqual(again.tokens, greedy)
        XCTAssertEqual(again.promptTokenCount, 1)

        // Sampled generations regenerate identically after a trim (the seed restarts every call).
        let sampling = GenerateParameters(maxTokens: 8, temperature: 1.5, seed: 5, stopTokenIDs: [])
        cache.trim(to: prompt.count - 1)
        let s1 = try model.generate(promptTokens: [prompt.last!], parameters: sampling, cache: cache)
        cache.trim(to: prompt.count - 1)
        let s2 = try model.generate(promptTokens: [prompt.last!], parameters: sampling, cache: cache)
        XCTAssertEqual(s1.tokens, s2.tokens)
    }

    func testSeededSamplingIsReproducible() throws {
        func run(_ seed: UInt64) throws -> [Int] {
            try model.generate(promptTokens: prompt,
                               parameters: GenerateParameters(maxTokens: 12, temperature: 2, seed: seed, stopTokenIDs: [])).tokens
        }
        let a = try run(1)
        XCTAssertEqual(a.count, 12)
        XCTAssertEqual(a, try run(1))
        XCTAssertNotEqual(a, try run(2))
    }

    func testStreamYieldsSameTokensAsCallback() async throws {
        for parameters in [greedyParameters(8),
                           GenerateParameters(maxTokens: 10, temperature: 1.2, topP: 0.95, seed: 3, stopTokenIDs: [])] {
            let expected = try model.generate(promptTokens: prompt, parameters: parameters)
            var tokens: [Int] = []
            var summaries: [GenerationSummary] = []
            for try await event in model.tokens(promptTokens: prompt, parameters: parameters) {
                switch event {
                case .token(let id):
                    XCTAssertTrue(summaries.isEmpty, "the summary comes last")
                    tokens.append(id)
                case .summary(let s): summaries.append(s)
                }
            }
            XCTAssertEqual(tokens, expected.tokens)
            XCTAssertEqual(summaries.count, 1)
            XCTAssertEqual(summaries.first?.tokens, expected.tokens)
            XCTAssertEqual(summaries.first?.stopReason, expected.stopReason)
            XCTAssertEqual(summaries.first?.promptTokenCount, 16)
        }
        let streamed = try await streamTokens(greedyParameters(8))
        XCTAssertEqual(streamed, greedy)
    }

    func streamTokens(_ parameters: GenerateParameters) async throws -> [Int] {
        var tokens: [Int] = []
        for try await event in model.tokens(promptTokens: prompt, parameters: parameters) {
            if case .token(let id) = event { tokens.append(id) }
        }
        return tokens
    }

    /// Streams up to 1000 greedy tokens with the third selection held until `consume` (which stops
    /// consuming after two tokens) has returned, then lets it finish and waits for the generation to
    /// end. Generation must stop at once: the generator sees the cancellation either right after
    /// yielding the second token (two selections) or after the held third one (three), whichever
    /// its thread reaches first, and the cache holds the prompt and every selected token but the
    /// last. A generator that ignored the stop would go on to 1000 selections.
    func assertStreamStopsAfterTwoTokens(
        _ consume: @escaping @Sendable (AsyncThrowingStream<GenerationEvent, any Error>) async throws -> [Int],
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let cache = KVCache(configuration: model.configuration)
        let probe = SelectionProbe()
        let received: [Int]
        do {
            let stream = model.tokens(promptTokens: prompt, parameters: greedyParameters(1000),
                                      sampler: Sampler(selector: GatedSelector(probe: probe, holding: 3)), cache: cache)
            received = try await consume(stream)
        }
        probe.gate.signal()
        // The selector goes when the generation task ends; the cache is not touched before then.
        let ended = try await probe.waitUntilReleased()
        XCTAssertTrue(ended, "generation did not end within 30 s", file: file, line: line)
        XCTAssertEqual(received, Array(greedy[..<2]), file: file, line: line)
        let selections = probe.selections
        XCTAssertTrue((2...3).contains(selections), "generation went on after the stream was given up: \(selections) selections",
                      file: file, line: line)
        XCTAssertEqual(cache.length, prompt.count + selections - 1, "the prompt and the tokens fed back", file: file, line: line)
        if cache.length == prompt.count + selections - 1 {
            XCTAssertEqual(cache.tokens, prompt + greedy[..<(selections - 1)], file: file, line: line)
        }
    }

    func testStreamStopsWhenAbandoned() async throws {
        try await assertStreamStopsAfterTwoTokens { stream in
            var ids: [Int] = []
            for try await event in stream {
                if case .token(let id) = event { ids.append(id) }
                if ids.count == 2 { break }
            }
            return ids
        }
    }

    func testStreamStopsWhenTheConsumingTaskIsCancelled() async throws {
        try await assertStreamStopsAfterTwoTokens { stream in
            let consumer = Task {
                var ids: [Int] = []
                for try await event in stream {
                    if case .token(let id) = event { ids.append(id) }
                    if ids.count == 2 { withUnsafeCurrentTask { $0?.cancel() } }
                }
                return ids
            }
            return try await consumer.value
        }
    }

    func testStreamThrowsValidationErrors() async {
        do {
            for try await _ in model.tokens(promptTokens: [], parameters: greedyParameters(4)) {}
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error as? GenerationError, .model(.emptyInput))
        }
    }

    func testInputValidation() throws {
        func error(_ prompt: [Int], _ parameters: GenerateParameters, cache: KVCache? = nil) -> GenerationError? {
            do { _ = try model.generate(promptTokens: prompt, parameters: parameters, cache: cache); return nil }
            catch { return error }
        }
        XCTAssertEqual(error([], greedyParameters(4)), .model(.emptyInput))
        XCTAssertEqual(error([1, 512], greedyParameters(4)), .model(.tokenOutOfRange(id: 512, vocabularySize: 512)))
        XCTAssertEqual(error([1, -1], greedyParameters(4)), .model(.tokenOutOfRange(id: -1, vocabularySize: 512)))
        XCTAssertEqual(error(prompt, GenerateParameters(stopTokenIDs: [512])), .stopTokenOutOfRange(id: 512, vocabularySize: 512))
        if case .invalidParameter(let name, _, _)? = error(prompt, GenerateParameters(maxTokens: -1)) {
            XCTAssertEqual(name, "maxTokens")
        } else { XCTFail("maxTokens < 0 accepted") }
        if case .invalidParameter(let name, _, _)? = error(prompt, GenerateParameters(temperature: .nan)) {
            XCTAssertEqual(name, "temperature")
        } else { XCTFail("NaN temperature accepted") }
        if case .invalidParameter(let name, _, _)? = error(prompt, GenerateParameters(topP: 0)) {
            XCTAssertEqual(name, "topP")
        } else { XCTFail("topP = 0 accepted") }

        let small = KVCache(configuration: model.configuration, maximumLength: 10)
        XCTAssertEqual(error(prompt, greedyParameters(4), cache: small), .model(.contextOverflow(requested: 16, maximum: 10)))
        XCTAssertEqual(small.length, 0, "a rejected call leaves the cache alone")
    }
}
