import TensorCore

/// Addition and subtraction of small non-negative numbers: "What is 37 + 48?" → "85".
///
/// Subtractions keep the first operand at least the second, so every answer is a non-negative
/// integer. The rejected reply is a typical slip: off by one, off by ten, or the answer's digits
/// reversed, whichever of those differ from the answer (drawn at random).
public struct ArithmeticTask: Sendable, Hashable {
    /// The range both operands are drawn from.
    public var operands: ClosedRange<Int>

    /// - Precondition: the range is non-negative.
    public init(operands: ClosedRange<Int> = 0...99) {
        precondition(operands.lowerBound >= 0, "ArithmeticTask: operands must be non-negative")
        self.operands = operands
    }

    /// Every question of the range once: each a + b, and each a − b with a ≥ b.
    public func items(using generator: inout SeededRandom) -> [TaskItem] {
        var items: [TaskItem] = []
        for a in operands {
            for b in operands {
                items.append(item(a, "+", b, a + b, using: &generator))
                if a >= b { items.append(item(a, "-", b, a - b, using: &generator)) }
            }
        }
        return items
    }

    private func item(_ a: Int, _ op: String, _ b: Int, _ result: Int, using generator: inout SeededRandom) -> TaskItem {
        let wrong = Self.slips(of: result)
        return TaskItem(task: .arithmetic, prompt: "What is \(a) \(op) \(b)?", answer: String(result),
                        rejected: String(wrong[generator.uniformIndex(below: wrong.count)]))
    }

    /// Plausible wrong answers to `result`, all different from it and non-negative (never empty:
    /// `result + 1` is always there).
    static func slips(of result: Int) -> [Int] {
        var candidates = [result + 1, result - 1, result + 10, result - 10]
        if let reversed = Int(String(String(result).reversed())) { candidates.append(reversed) }
        var seen = Set<Int>()
        return candidates.filter { $0 >= 0 && $0 != result && seen.insert($0).inserted }
    }
}
