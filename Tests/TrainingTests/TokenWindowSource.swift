import TensorCore
import Training

/// A test source: windows of `length + 1` tokens at seeded random offsets of a token array.
struct TokenWindowSource: ExampleSource {
    let tokens: [Int]
    let length: Int
    var generator: SeededRandom
    var drawn = 0

    init(tokens: [Int], length: Int, seed: UInt64) {
        self.tokens = tokens
        self.length = length
        self.generator = SeededRandom(seed: seed)
    }

    mutating func next() throws -> TrainingSequence {
        let start = Int(generator.next() % UInt64(tokens.count - length))
        drawn += 1
        return TrainingSequence(window: tokens[start...(start + length)])
    }

    var position: SourcePosition { SourcePosition(generator: generator, drawn: drawn) }

    mutating func restore(_ position: SourcePosition) throws {
        generator = try position.generator()
        drawn = position.drawn
    }
}
