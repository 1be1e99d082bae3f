import BenchmarkSupport
import Tokenizer

/// Seconds per round (after one warm-up round) of decoding `ids` all at once, and of streaming them
/// one id at a time through a ``StreamingDetokenizer``; both must give the same text.
func decodeAndStreamTimes(_ tokenizer: some TextTokenizer, ids: [Int],
                          rounds: Int) throws -> (decode: [Double], stream: [Double]) {
    var decodeTimes: [Double] = [], streamTimes: [Double] = []
    for round in 0...rounds {
        var start = clock.now
        let decoded = try tokenizer.decode(ids)
        let decodeTime = secondsSince(start)
        start = clock.now
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var streamed = ""
        for id in ids { streamed += try detokenizer.append(id) }
        streamed += detokenizer.finish()
        let streamTime = secondsSince(start)
        precondition(streamed == decoded, "streamed text differs from decode")
        if round > 0 { decodeTimes.append(decodeTime); streamTimes.append(streamTime) }
    }
    return (decodeTimes, streamTimes)
}
