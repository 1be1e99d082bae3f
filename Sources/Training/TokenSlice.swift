/// A contiguous run of a ``TokenFile``'s tokens: what a sampler draws windows from, the training or
/// held-out part of a split.
public struct TokenSlice: Sendable {
    /// The file the tokens are in.
    public let file: TokenFile
    /// The tokens' indices in ``file``.
    public let range: Range<Int>

    /// The tokens `range` of `file`.
    /// - Throws: ``TrainingError/insufficientData(reason:)`` when `range` is not within the file.
    public init(file: TokenFile, range: Range<Int>) throws(TrainingError) {
        guard range.lowerBound >= 0, range.upperBound <= file.tokenCount else {
            throw .insufficientData(reason: "\(file.url.path): tokens \(range) are not within 0..<\(file.tokenCount)")
        }
        self.init(unchecked: file, range: range)
    }

    init(unchecked file: TokenFile, range: Range<Int>) {
        self.file = file
        self.range = range
    }

    /// The number of tokens.
    public var count: Int { range.count }

    /// The ids from `offset` (counted from the slice's start) on, `count` of them.
    func tokens(from offset: Int, count: Int) -> [Int] {
        file.tokens(in: (range.lowerBound + offset)..<(range.lowerBound + offset + count))
    }
}
