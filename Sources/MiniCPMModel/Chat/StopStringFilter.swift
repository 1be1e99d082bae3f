/// Holds back streamed text that may be the start of a stop string, and cuts the text where a stop
/// string appears.
///
/// A stop string that is one token of the vocabulary (ChatML's `<|im_end|>`) is better stopped on
/// as a token; this is for the others, which may arrive split over several tokens, so text that
/// could still turn into one must not be shown until the next piece decides.
///
/// ```swift
/// var filter = StopStringFilter(stopStrings: ["\nUser:"])
/// filter.feed("Paris.\nUs")   // ("Paris.", nil): "\nUs" is held back
/// filter.feed("er: next")     // ("", "\nUser:"): the stop string is complete; the rest is dropped
/// ```
///
/// ``LanguageModel/generate(_:parameters:chatTemplate:stopStrings:cache:onText:)`` runs generated
/// text through one of these.
public struct StopStringFilter: Sendable {
    /// The strings that end the text (empty strings are ignored).
    public let stopStrings: [String]
    private var pending = ""

    /// A filter for `stopStrings`.
    public init(stopStrings: [String]) {
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
    }

    /// Adds streamed text; returns the text that is final now and the stop string that was reached,
    /// if any (then the returned text ends where that stop string began, and the filter starts over).
    /// When several are reached, the one that begins first wins (the first listed on a tie).
    public mutating func feed(_ text: String) -> (text: String, stopString: String?) {
        guard !stopStrings.isEmpty else { return (text, nil) }
        pending += text
        let matches = stopStrings.compactMap { stop in pending.range(of: stop).map { (stop, $0) } }
        if let first = matches.min(by: { $0.1.lowerBound < $1.1.lowerBound }) {
            let out = String(pending[..<first.1.lowerBound])
            pending = ""
            return (out, first.0)
        }
        // Keep the longest tail that is a proper prefix of some stop string.
        var keep = 0
        for stop in stopStrings {
            for length in stride(from: min(stop.count - 1, pending.count), to: 0, by: -1)
            where pending.hasSuffix(stop.prefix(length)) {
                keep = max(keep, length)
                break
            }
        }
        let out = String(pending.dropLast(keep))
        pending = String(pending.suffix(keep))
        return (out, nil)
    }

    /// Returns the text still held back and starts over.
    public mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }
}
