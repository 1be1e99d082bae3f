import Foundation
import TensorCore
import Tokenizer
import Training

/// A directory with what `minicpm train` needs, made in a second: a generated corpus with some
/// structure, a small SentencePiece tokenizer trained on it, the corpus as a token file, and a run
/// configuration of a tiny model.
struct TinyCorpus {
    let directory: URL
    let tokenizer: SentencePieceTokenizer

    static let words = ["the", "lord", "said", "unto", "moses", "and", "king", "david", "went", "up", "into",
                        "house", "of", "israel", "people", "heard", "voice", "city", "land", "came"]

    init(directory: URL, documents: Int = 120, seed: UInt64 = 3) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = SeededRandom(seed: seed)
        var texts: [String] = []
        for _ in 0..<documents {
            var sentences: [String] = []
            for _ in 0..<(3 + Int(generator.next() % 4)) {
                let start = Int(generator.next() % UInt64(Self.words.count))
                // Mostly consecutive words of the list: a pattern a tiny model learns quickly.
                let words = (0..<6).map { Self.words[(start + $0 + (generator.next() % 7 == 0 ? 3 : 0)) % Self.words.count] }
                sentences.append(words.joined(separator: " ").capitalized + ".")
            }
            texts.append(sentences.joined(separator: " "))
        }
        var options = TokenizerTrainingOptions(vocabularySize: 320)
        options.userDefinedSymbols = ["<用户>", "<AI>"]
        tokenizer = try TokenizerTrainer.train(sentences: texts, options: options)
        try tokenizer.write(to: directory.appendingPathComponent("tokenizer.model"))
        var writer = try TokenFileWriter(tokenizer: tokenizer, identifier: "tiny")
        for text in texts { try writer.appendDocument(text: text, tokenizer: tokenizer) }
        try writer.write(to: directory.appendingPathComponent("corpus.tokens"))
    }

    /// A run configuration of a 2-layer model on the corpus, written as `name`.json.
    func writeConfiguration(named name: String, steps: Int, checkpointEvery: Int, schedule: String? = nil,
                            decayMixture: String? = nil) throws -> URL {
        let json = """
        {
          "model": {"preset": "9M", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                    "num_attention_heads": 2, "dim_model_base": 16},
          "tokenizer": "tokenizer.model",
          "data": {"sequence_length": 32, "mixture": [{"file": "corpus.tokens", "weight": 1}],
                   "held_out_fraction": 0.1, "evaluation_windows": 4},
          \(decayMixture.map { #""decay_data": {"sequence_length": 32, "mixture": \#($0)},"# } ?? "")
          "schedule": \(schedule ?? #"{"kind": "wsd", "peak": 0.02, "warmup": 3, "stable_end": 20, "decay": {"kind": "exponential", "half_life": 3}}"#),
          "optimizer": {"weight_decay": 0.1},
          "batch_tokens": 256, "micro_batch": 4, "steps": \(steps),
          "checkpoint_every": \(checkpointEvery), "keep_checkpoints": 2, "eval_every": 10,
          "seed": 7, "output": "\(name)"
        }
        """
        let url = directory.appendingPathComponent("\(name).json")
        try Data(json.utf8).write(to: url)
        return url
    }
}
