import TensorCore

/// Training and held-out items of the synthetic tasks, split by seed so that nothing held out was
/// seen in training.
///
/// The unit of the split is what an item is about: an arithmetic question, or a verse (both verse
/// tasks of a held-out verse are held out, so the model never read a held-out verse in a training
/// prompt either). After the split, a held-out item whose prompt also occurs in training (KJV repeats
/// a few verses word for word) is dropped, so the two sides share no prompt.
public struct SyntheticTaskSplit: Sendable, Hashable {
    /// Items to fine-tune on (SFT examples, or preference pairs).
    public var training: [TaskItem]
    /// Items to measure accuracy on; none shares a prompt with ``training``.
    public var heldOut: [TaskItem]

    /// Items of every task, split with `heldOutFraction` of the units held out.
    ///
    /// - Parameters:
    ///   - kjv: KJV text for the verse tasks, in a layout ``BibleVerse/parse(kjv:)`` reads; `nil`
    ///     for arithmetic only.
    ///   - seed: Decides the split and every random choice (rejected replies).
    ///   - heldOutFraction: The share of questions and verses held out, in 0...1.
    ///   - arithmetic: The arithmetic task's settings.
    ///   - continuation: The verse-continuation task's settings.
    ///   - book: The book-of-a-verse task's settings.
    /// - Throws: ``TrainingError/insufficientData(reason:)`` when the text gives no verses or too few
    ///   for a task.
    public init(kjv: String?, seed: UInt64, heldOutFraction: Double = 0.1,
                arithmetic: ArithmeticTask = ArithmeticTask(),
                continuation: VerseContinuationTask = VerseContinuationTask(),
                book: VerseBookTask = VerseBookTask()) throws {
        precondition((0...1).contains(heldOutFraction), "heldOutFraction must be in 0...1")
        var generator = SeededRandom(seed: seed)
        var training: [TaskItem] = []
        var heldOut: [TaskItem] = []

        let questions = Self.split(arithmetic.items(using: &generator), heldOutFraction: heldOutFraction, using: &generator)
        training += questions.training
        heldOut += questions.heldOut

        if let kjv {
            let verses = BibleVerse.parse(kjv: kjv)
            guard !verses.isEmpty else { throw TrainingError.insufficientData(reason: "no verses found in the KJV text") }
            let sides = Self.split(verses, heldOutFraction: heldOutFraction, using: &generator)
            for (side, isHeldOut) in [(sides.training, false), (sides.heldOut, true)] where !side.isEmpty {
                // Rejected replies come from the same side, so a held-out verse's words do not
                // appear in training even as a wrong answer. A side too small for a task (a handful of
                // held-out verses from one book) just has no items of it.
                var items: [TaskItem] = []
                do { items += try continuation.items(from: side, using: &generator) } catch where !isHeldOut { throw error } catch {}
                do { items += try book.items(from: side, using: &generator) } catch where !isHeldOut { throw error } catch {}
                if isHeldOut { heldOut += items } else { training += items }
            }
        }
        let trainingPrompts = Set(training.map(\.prompt))
        self.training = training
        self.heldOut = heldOut.filter { !trainingPrompts.contains($0.prompt) }
    }

    /// A seeded split of `units`: a random `heldOutFraction` of them (rounded) held out, each side in
    /// the original order.
    static func split<Unit>(_ units: [Unit], heldOutFraction: Double, using generator: inout SeededRandom) -> (training: [Unit], heldOut: [Unit]) {
        let heldOutCount = Int((Double(units.count) * heldOutFraction).rounded())
        let chosen = Set(generator.permutation(of: units.count).prefix(heldOutCount))
        var training: [Unit] = [], heldOut: [Unit] = []
        for (i, unit) in units.enumerated() {
            if chosen.contains(i) { heldOut.append(unit) } else { training.append(unit) }
        }
        return (training, heldOut)
    }
}

extension Array where Element == TaskItem {
    /// At most `count` of the items, a seeded sample in the original order.
    public func seededSample(_ count: Int, seed: UInt64) -> [TaskItem] {
        guard count < self.count else { return self }
        var generator = SeededRandom(seed: seed)
        let chosen = Set(generator.permutation(of: self.count).prefix(Swift.max(0, count)))
        return indices.filter { chosen.contains($0) }.map { self[$0] }
    }
}
