/// Holds back streamed text that may be the start of a stop string, and cuts the text where a stop
/// string appears.
///
/// A stop string that is one token of the vocabulary (ChatML's `<|im_end|>`) is better stopped on
/// as a token; this is for the others, which may arrive split over several tokens, so text that
/// could still turn into one must not be shown until the next piece decides.
///
/// ```swift
/// var filter = StopStringFilter(stopStrings: ["\nUser:"])
/// filter.feed("Paris.\nUs")   // ("Paris.", false): "\nUs" is held back
/// filter.feed("er: next")     // ("", true): the stop string is complete; the rest is dropped
/// ```
public struct StopStringFilter: Sendable {
    /// The strings that end the text (empty strings are ignored).
    public let stopStrings: [String]
    private var pending = ""

    /// A filter for `stopStrings`.
    public init(stopStrings: [String]) {
        self.stopStrings = stopStrings.filter { !$0.isEmpty }
    }

    /// Adds streamed text; returns the text that is final now and whether a stop string was reached
    /// (then the returned text ends where the stop string began, and the filter starts over).
    public mutating func feed(_ text: String) -> (text: String, stopped: Bool) {
        guard !stopStrings.isEmpty else { return (text, false) }
        pending += text
        let matches = stopStrings.compactMap { pending.range(of: $0) }
        if let first = matches.min(by: { $0.lowerBound < $1.lowerBound }) {
            let out = String(pending[..<first.lowerBound])
            pending = ""
            return (out, true)
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
        return (out, false)
    }

    /// Returns the text still held back and starts over.
    public mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }
}
