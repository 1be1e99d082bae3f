import ArgumentParser
import Foundation
import Tokenizer
import Training

/// `minicpm prepare-corpus`: trains a SentencePiece tokenizer on the plain-text corpora of
/// `scripts/fetch-corpora.sh` and writes one token file per corpus (what `make corpora` runs).
struct PrepareCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare-corpus",
        abstract: "Train a BPE tokenizer on text corpora and tokenise each into a token file.",
        discussion: """
            Reads every *.txt file of --corpora: UTF-8 text whose documents are separated by a line \
            holding only U+001E (record separator). Trains a SentencePiece BPE model with byte \
            fallback and the chat template's <用户> and <AI> pieces on all of their lines (unless \
            --output already has a tokenizer.model and --retrain is not given), then writes \
            <name>.tokens per corpus: each document's ids followed by the tokenizer's EOS. Prints \
            bytes, documents and tokens per corpus.
            """
    )

    /// Separates documents in the corpus text files (a line holding only U+001E).
    static let documentSeparator = "\n\u{1E}\n"

    @Option(help: "The folder of corpus .txt files.")
    var corpora: String

    @Option(help: "Where tokenizer.model and the .tokens files go.")
    var output: String

    @Option(help: "Pieces in the tokenizer's vocabulary.")
    var vocabularySize = 8000

    @Option(help: "The share of characters the vocabulary covers; rarer ones are spelled in bytes (SentencePiece recommends 0.9995 for Chinese).")
    var characterCoverage = 0.9995

    @Option(help: "Tokenizer training threads.")
    var threads = 2

    @Flag(help: "Train a new tokenizer even when --output has one.")
    var retrain = false

    func run() throws {
        let inputFolder = URL(fileURLWithPath: corpora, isDirectory: true)
        let outputFolder = URL(fileURLWithPath: output, isDirectory: true)
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(at: inputFolder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "txt" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !files.isEmpty else { throw ValidationError("\(corpora) holds no .txt corpus files; run scripts/fetch-corpora.sh") }
        let corpusDocuments = try files.map { file -> (String, [String]) in
            let text = try String(contentsOf: file, encoding: .utf8)
            let documents = text.components(separatedBy: Self.documentSeparator)
                .map { $0.trimmingCharacters(in: .newlines) }
                .filter { !$0.isEmpty }
            return (file.deletingPathExtension().lastPathComponent, documents)
        }

        let modelURL = outputFolder.appendingPathComponent("tokenizer.model")
        let tokenizer: SentencePieceTokenizer
        if !retrain, FileManager.default.fileExists(atPath: modelURL.path) {
            tokenizer = try SentencePieceTokenizer(contentsOf: modelURL)
            print("tokenizer: \(modelURL.path) (present; --retrain replaces it)")
        } else {
            var options = TokenizerTrainingOptions(vocabularySize: vocabularySize)
            options.userDefinedSymbols = ["<用户>", "<AI>"]
            options.characterCoverage = characterCoverage
            options.threadCount = threads
            let sentences = corpusDocuments.flatMap { $0.1 }.flatMap { $0.split(whereSeparator: \.isNewline).map(String.init) }
            let clock = ContinuousClock()
            var trained: SentencePieceTokenizer?
            let duration = try clock.measure { trained = try TokenizerTrainer.train(sentences: sentences, options: options) }
            tokenizer = trained!
            try tokenizer.write(to: modelURL)
            print("tokenizer: \(modelURL.path), \(tokenizer.vocabularySize) pieces, trained on \(sentences.count) lines in "
                  + String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18) + " s")
        }
        let identifier = TokenFileWriter.tokenizerIdentifier(name: "tokenizer.model", model: try tokenizer.serializedModel())

        print("| corpus | bytes | documents | tokens | bytes/token |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for (name, documents) in corpusDocuments {
            var writer = try TokenFileWriter(tokenizer: tokenizer, identifier: identifier)
            for document in documents {
                try writer.appendDocument(text: document, tokenizer: tokenizer)
            }
            let url = outputFolder.appendingPathComponent("\(name).tokens")
            try writer.write(to: url)
            let file = try TokenFile(contentsOf: url)     // read back: what was written is a valid file
            let ratio = Double(file.sourceByteCount) / Double(max(1, file.tokenCount))
            print("| \(name) | \(file.sourceByteCount) | \(file.documentCount) | \(file.tokenCount) | " + String(format: "%.2f", ratio) + " |")
        }
    }
}
