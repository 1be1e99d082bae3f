import Foundation

/// The text a `perplexity` task measures, and how it is cut into windows (`"text"` in a task file):
///
/// ```json
/// {"name": "my_ppl", "method": "perplexity", "metric": "bits_per_byte",
///  "text": {"file": "my_text.txt", "window": 2048, "stride": 1024}}
/// ```
///
/// A plain text file (UTF-8, gzip allowed) is one document. With `field`, the file is JSON Lines and
/// each line's string `field` is one document (as WikiText's documents in lm-evaluation-harness),
/// each logged, scored and resumed on its own. A relative `file` is relative to the task file.
public struct TextSource: Codable, Sendable, Equatable {
    /// The text file (absolute once the task file is loaded).
    public var file: String
    /// For a JSON Lines file: the string field holding each document's text.
    public var field: String?
    /// Tokens per model call, context and predicted tokens together; default and upper bound: the
    /// model's context length (2048 when the model does not say).
    public var window: Int?
    /// Tokens newly predicted per window after the first (1 ..< window); default window / 2, so every
    /// token after the first window is predicted with at least half a window of context.
    public var stride: Int?

    /// A source with the given settings.
    public init(file: String, field: String? = nil, window: Int? = nil, stride: Int? = nil) {
        self.file = file
        self.field = field
        self.window = window
        self.stride = stride
    }

    /// The metrics a perplexity task can report as its score.
    public static let metrics = ["bits_per_byte", "token_perplexity", "word_perplexity"]

    /// Checks the settings; `fail` makes the error naming the task file and field.
    func validate(_ fail: (String, String) -> EvaluationError) throws(EvaluationError) {
        if file.isEmpty { throw fail("text.file", "must name a file") }
        if let field, field.isEmpty { throw fail("text.field", "must be a non-empty field name") }
        if let window, window < 2 { throw fail("text.window", "\(window) must be >= 2 (a context token and a predicted one)") }
        if let stride {
            if stride < 1 { throw fail("text.stride", "\(stride) must be >= 1") }
            if let window, stride >= window { throw fail("text.stride", "\(stride) must be < text.window (\(window))") }
        }
    }

    /// One document of the text: an id for the log (`file`, or `file:line` for JSON Lines) and its text.
    public struct Document: Sendable, Equatable {
        public var id: String
        public var text: String
    }

    /// Reads the documents.
    ///
    /// - Throws: ``EvaluationError/invalidFile(path:reason:)`` naming the file (and line) when it
    ///   is missing, unreadable, not UTF-8, a line is not JSON, lacks the string `field`, or a
    ///   document is empty.
    public func documents() throws(EvaluationError) -> [Document] {
        guard FileManager.default.fileExists(atPath: file) else { throw .invalidFile(path: file, reason: "no such text file") }
        let name = URL(fileURLWithPath: file).lastPathComponent
        do {
            guard let field else {
                let data = try GzipReader.contents(ofFile: file)
                guard let text = String(data: data, encoding: .utf8) else { throw EvaluationError.invalidFile(path: file, reason: "not UTF-8 text") }
                if text.isEmpty { throw EvaluationError.invalidFile(path: file, reason: "empty: no text to measure") }
                return [Document(id: name, text: text)]
            }
            return try JSONLines.lines(ofFile: file).map { line in
                let object = try? JSONSerialization.jsonObject(with: line.bytes) as? [String: Any]
                guard let object else { throw EvaluationError.invalidFile(path: file, reason: "line \(line.number): not a JSON object") }
                guard let text = object[field] as? String else {
                    throw EvaluationError.invalidFile(path: file, reason: "line \(line.number): no string field \"\(field)\" (text.field)")
                }
                if text.isEmpty { throw EvaluationError.invalidFile(path: file, reason: "line \(line.number): \"\(field)\" is empty") }
                return Document(id: "\(name):\(line.number)", text: text)
            }
        } catch let error as EvaluationError {
            throw error
        } catch {
            throw .invalidFile(path: file, reason: "cannot read: \(error.localizedDescription)")
        }
    }
}
