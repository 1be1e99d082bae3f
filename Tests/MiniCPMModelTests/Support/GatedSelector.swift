import Foundation
import MiniCPMModel
import TensorCore

/// What a ``GatedSelector`` tells a test: how many tokens it selected, and whether the generation
/// that held it has ended (the selector was released with the rest of the generation's state).
final class SelectionProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var selectionCount = 0
    private var isReleased = false
    /// Signalled by the test to let the held selection finish.
    let gate = DispatchSemaphore(value: 0)

    var selections: Int {
        lock.lock(); defer { lock.unlock() }
        return selectionCount
    }

    var released: Bool {
        lock.lock(); defer { lock.unlock() }
        return isReleased
    }

    func recordSelection() -> Int {
        lock.lock(); defer { lock.unlock() }
        selectionCount += 1
        return selectionCount
    }

    func recordRelease() {
        lock.lock(); defer { lock.unlock() }
        isReleased = true
    }

    /// Waits (without blocking a thread) until the selector is released; false after `timeout`.
    func waitUntilReleased(timeout: Duration = .seconds(30)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !released {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(2))
        }
        return true
    }
}

/// Greedy selection that holds back its `heldSelection`-th choice until the test signals
/// ``SelectionProbe/gate``, so a test can act (drop a stream, cancel a task) at a known token while
/// the generator waits, and then count exactly how many tokens were chosen after that.
final class GatedSelector: TokenSelector, @unchecked Sendable {
    let probe: SelectionProbe
    let heldSelection: Int

    init(probe: SelectionProbe, holding heldSelection: Int) {
        self.probe = probe
        self.heldSelection = heldSelection
    }

    func select(from logits: [Float], using generator: inout SeededRandom) -> Int {
        if probe.recordSelection() == heldSelection {
            _ = probe.gate.wait(timeout: .now() + 30)   // a safety valve, never reached in a passing run
        }
        return ArgmaxSelector().select(from: logits, using: &generator)
    }

    deinit { probe.recordRelease() }
}
