/// The merge rules of a byte-level BPE vocabulary, and the merging itself.
///
/// Rules live in an open-addressing hash table keyed by the pair of token ids: the lookup is the
/// inner loop of BPE, and a multiplicative hash of one 64-bit key beats `Dictionary`'s SipHash.
struct BytePairMerges: Sendable {
    private static let emptyKey = UInt64.max
    private var keys: [UInt64]
    /// `rank << 32 | merged id` for each key.
    private var values: [UInt64]
    private let shift: UInt64
    private let mask: Int
    /// The number of rules.
    private(set) var count = 0

    /// An empty table with room for `capacity` rules.
    init(capacity: Int) {
        var bits = 4
        while (1 << bits) < capacity * 2 { bits += 1 }
        keys = [UInt64](repeating: Self.emptyKey, count: 1 << bits)
        values = [UInt64](repeating: 0, count: 1 << bits)
        shift = UInt64(64 - bits)
        mask = (1 << bits) - 1
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Adds the rule `left right -> merged` with `rank`; returns the rank of an existing rule for
    /// the same pair instead (and changes nothing).
    mutating func insert(_ left: Int32, _ right: Int32, merged: Int32, rank: Int32) -> Int32? {
        let key = Self.key(left, right)
        var index = slot(key)
        while keys[index] != Self.emptyKey {
            if keys[index] == key { return Int32(truncatingIfNeeded: values[index] >> 32) }
            index = (index + 1) & mask
        }
        keys[index] = key
        values[index] = UInt64(UInt32(rank)) << 32 | UInt64(UInt32(bitPattern: merged))
        count += 1
        return nil
    }

    /// `rank << 32 | merged id` of the rule for `left right`, or `nil`.
    @inline(__always)
    func rule(_ left: Int32, _ right: Int32) -> UInt64? {
        let key = Self.key(left, right)
        var index = slot(key)
        while true {
            let stored = keys[index]
            if stored == key { return values[index] }
            if stored == Self.emptyKey { return nil }
            index = (index + 1) & mask
        }
    }

    /// Applies the rules to `symbols` in place: repeatedly the rule of lowest rank among adjacent
    /// pairs, the leftmost pair when several have it, until no pair has a rule. Ties and overlaps
    /// (`a a a` with rule `a a`) come out as in Hugging Face's `Word::merge_all`: `aa a`.
    func apply(to symbols: inout [Int32], scratch: inout MergeScratch) {
        guard symbols.count > 1 else { return }
        if symbols.count <= Self.shortWord {
            applyByScanning(to: &symbols, scratch: &scratch)
        } else {
            applyWithQueue(to: &symbols, scratch: &scratch)
        }
    }

    /// ``apply(to:scratch:)`` as Hugging Face implements it: a priority queue of (rank, position),
    /// stale entries skipped when popped.
    func applyWithQueue(to symbols: inout [Int32], scratch: inout MergeScratch) {
        let n = symbols.count
        guard n > 1 else { return }
        scratch.reset(count: n)
        for i in 0..<(n - 1) {
            if let rule = rule(symbols[i], symbols[i + 1]) { scratch.push(rule: rule, position: i) }
        }
        while let (key, merged) = scratch.pop() {
            let position = Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
            if scratch.removed[position] { continue }
            let next = Int(scratch.next[position])
            if next < 0 { continue }
            // An entry is stale when either symbol has changed since it was queued.
            guard let current = rule(symbols[position], symbols[next]),
                  Int32(truncatingIfNeeded: current & 0xFFFF_FFFF) == merged else { continue }
            symbols[position] = merged
            scratch.removed[next] = true
            let after = Int(scratch.next[next])
            scratch.next[position] = Int32(after)
            if after >= 0 { scratch.previous[after] = Int32(position) }
            let before = Int(scratch.previous[position])
            if before >= 0, let rule = rule(symbols[before], merged) {
                scratch.push(rule: rule, position: before)
            }
            if after >= 0, let rule = rule(merged, symbols[after]) {
                scratch.push(rule: rule, position: position)
            }
        }
        var kept = 0
        for i in 0..<n where !scratch.removed[i] {
            symbols[kept] = symbols[i]
            kept += 1
        }
        symbols.removeLast(n - kept)
    }
}

extension BytePairMerges {
    /// Words up to this many symbols merge by scanning; longer ones through the queue, whose cost
    /// grows as n log n instead of n².
    static let shortWord = 24

    /// The same merges as the queue (lowest rank, then leftmost), found by scanning the ranks of
    /// the adjacent pairs: for short words, which are nearly all words, a few compares beat the
    /// bookkeeping of a heap.
    func applyByScanning(to symbols: inout [Int32], scratch: inout MergeScratch) {
        var rules = scratch.pairRules
        rules.removeAll(keepingCapacity: true)
        let none = UInt64.max
        for i in 0..<(symbols.count - 1) {
            rules.append(rule(symbols[i], symbols[i + 1]) ?? none)
        }
        while true {
            // The smallest `rank << 32 | merged` is the lowest rank; the first one found is the
            // leftmost (ranks are unique, so equal ranks mean equal rules).
            var best = 0
            var bestRule = none
            for i in 0..<rules.count where rules[i] < bestRule {
                bestRule = rules[i]
                best = i
            }
            guard bestRule != none else { break }
            let merged = Int32(truncatingIfNeeded: bestRule & 0xFFFF_FFFF)
            symbols[best] = merged
            symbols.remove(at: best + 1)
            rules.remove(at: best)
            if best > 0 { rules[best - 1] = rule(symbols[best - 1], merged) ?? none }
            if best < rules.count { rules[best] = rule(merged, symbols[best + 1]) ?? none }
        }
        scratch.pairRules = rules
    }
}

/// Buffers reused across the words of one input: the symbols' links and a binary min-heap of
/// queued merges.
struct MergeScratch {
    var previous: [Int32] = []
    var next: [Int32] = []
    var removed: [Bool] = []
    /// The rule of each adjacent pair, for scanning short words.
    var pairRules: [UInt64] = []
    /// `rank << 32 | position`, so that the smallest key is the lowest rank, leftmost.
    private var heapKeys: [UInt64] = []
    private var heapMerged: [Int32] = []

    mutating func reset(count n: Int) {
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        removed.removeAll(keepingCapacity: true)
        for i in 0..<n {
            previous.append(Int32(i - 1))
            next.append(i + 1 < n ? Int32(i + 1) : -1)
            removed.append(false)
        }
        heapKeys.removeAll(keepingCapacity: true)
        heapMerged.removeAll(keepingCapacity: true)
    }

    mutating func push(rule: UInt64, position: Int) {
        let key = rule & 0xFFFF_FFFF_0000_0000 | UInt64(position)
        let merged = Int32(truncatingIfNeeded: rule & 0xFFFF_FFFF)
        heapKeys.append(key)
        heapMerged.append(merged)
        var child = heapKeys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heapKeys[child] < heapKeys[parent] else { break }
            heapKeys.swapAt(child, parent)
            heapMerged.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (key: UInt64, merged: Int32)? {
        guard let top = heapKeys.first else { return nil }
        let merged = heapMerged[0]
        let lastKey = heapKeys.removeLast()
        let lastMerged = heapMerged.removeLast()
        if !heapKeys.isEmpty {
            heapKeys[0] = lastKey
            heapMerged[0] = lastMerged
            var parent = 0
            let count = heapKeys.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var smallest = left
                if left + 1 < count && heapKeys[left + 1] < heapKeys[left] { smallest = left + 1 }
                guard heapKeys[smallest] < heapKeys[parent] else { break }
                heapKeys.swapAt(smallest, parent)
                heapMerged.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return (top, merged)
    }
}
