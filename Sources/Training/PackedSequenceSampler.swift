import TensorCore

/// Pre-training examples: windows of `sequenceLength + 1` consecutive tokens at uniformly random
/// offsets in a ``TokenSlice``, packed across document boundaries (the end-of-document ids between
/// documents stay in the window), each turned into a ``TrainingSequence`` of `sequenceLength`
/// inputs and targets.
///
/// Offsets are drawn with replacement from a seeded generator, so the stream never ends and is the
/// same for the same seed. The sampler's whole state is its generator and draw count: restoring a
/// saved ``position`` continues with exactly the windows the uninterrupted sampler would have drawn.
public struct PackedSequenceSampler: ExampleSource {
    /// Where the windows come from.
    public let slice: TokenSlice
    /// Inputs (and targets) per example; a window holds one token more.
    public let sequenceLength: Int

    private var generator: SeededRandom
    private var drawn = 0

    /// A sampler of `slice` seeded with `seed`.
    /// - Throws: ``TrainingError/invalidConfiguration(field:reason:)`` for a sequence length below 1,
    ///   ``TrainingError/insufficientData(reason:)`` when the slice is shorter than one window.
    public init(slice: TokenSlice, sequenceLength: Int, seed: UInt64) throws(TrainingError) {
        try Self.checkWindow(sequenceLength, fits: slice, name: "the slice")
        self.slice = slice
        self.sequenceLength = sequenceLength
        self.generator = SeededRandom(seed: seed)
    }

    public mutating func next() throws -> TrainingSequence {
        drawn += 1
        return Self.window(of: sequenceLength, from: slice, using: &generator)
    }

    /// The generator, the draw count and, in ``SourcePosition/counters``, the sequence length and
    /// slice size, which ``restore(_:)`` checks.
    public var position: SourcePosition {
        SourcePosition(generator: generator, drawn: drawn, counters: Self.shape(sequenceLength, slice))
    }

    /// - Throws: ``TrainingError/incompatiblePosition(reason:)`` when `position` was saved by a
    ///   sampler with another sequence length or slice size, or holds no valid generator state.
    public mutating func restore(_ position: SourcePosition) throws {
        guard position.counters == Self.shape(sequenceLength, slice) else {
            throw TrainingError.incompatiblePosition(
                reason: "saved for \(position.counters), this sampler is \(Self.shape(sequenceLength, slice))")
        }
        guard position.drawn >= 0 else {
            throw TrainingError.incompatiblePosition(reason: "drawn count \(position.drawn) is negative")
        }
        generator = try position.generator()
        drawn = position.drawn
    }

    private static func shape(_ sequenceLength: Int, _ slice: TokenSlice) -> [String: Int] {
        ["sequenceLength": sequenceLength, "sliceTokens": slice.count]
    }

    /// One window at a uniform offset: the draw that ``DataMixture`` shares.
    static func window(of sequenceLength: Int, from slice: TokenSlice, using generator: inout SeededRandom) -> TrainingSequence {
        let offset = generator.uniformIndex(below: slice.count - sequenceLength)
        return TrainingSequence(window: slice.tokens(from: offset, count: sequenceLength + 1))
    }

    static func checkWindow(_ sequenceLength: Int, fits slice: TokenSlice, name: String) throws(TrainingError) {
        guard sequenceLength >= 1 else {
            throw .invalidConfiguration(field: "sequenceLength", reason: "\(sequenceLength) is below 1")
        }
        guard slice.count > sequenceLength else {
            throw .insufficientData(reason: "\(name) (\(slice.file.url.lastPathComponent), tokens \(slice.range)) has \(slice.count) tokens, a window needs \(sequenceLength + 1)")
        }
    }
}
