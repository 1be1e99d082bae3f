import Foundation

/// HellaSwag's text clean-up, as lm-evaluation-harness's `hellaswag` task does it: WikiHow rows carry
/// artefacts such as " [title]" and "[header]" from the scrape.
public enum HellaSwagText {
    /// Trims, turns " [title]" into ". ", removes other `[...]` tags and replaces double spaces
    /// by one (once, as the harness's `str.replace` does).
    public static func clean(_ text: String) -> String {
        var result = text.trimmingCharacters(in: .whitespacesAndNewlines)
        result = result.replacingOccurrences(of: " [title]", with: ". ")
        // re.sub("\\[.*?\\]", "", text): the shortest bracketed run, left to right.
        var stripped = ""
        var index = result.startIndex
        while index < result.endIndex {
            if result[index] == "[", let close = result[index...].firstIndex(of: "]") {
                index = result.index(after: close)
            } else {
                stripped.append(result[index])
                index = result.index(after: index)
            }
        }
        return stripped.replacingOccurrences(of: "  ", with: " ")
    }

    /// Python's `str.capitalize()`: the first character upper-cased, the rest lower-cased.
    public static func capitalized(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst().lowercased()
    }
}
