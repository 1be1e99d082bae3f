import Evaluation
import Foundation
import XCTest

/// The sandbox against hostile programs. Every limit is small and every timeout short, so that a
/// sandbox that failed to hold would still not hurt the machine the tests run on.
final class CodeSandboxTests: XCTestCase {
    private static let limits = SandboxLimits(cpuSeconds: 3, memoryBytes: 512 << 20, processes: 16,
                                              fileSizeBytes: 1 << 20, outputBytes: 4096)

    private func makeSandbox(timeout: Duration = .seconds(5)) throws -> CodeSandbox {
        let sandbox = try CodeSandbox(limits: Self.limits, timeout: timeout)
        if case let .unavailable(reason) = sandbox.availability { throw XCTSkip("bubblewrap does not work here: \(reason)") }
        return sandbox
    }

    func testCorrectHumanEvalCompletionPasses() throws {
        let sandbox = try makeSandbox()
        let result = try sandbox.runTests(
            completion: "    return a + b\n", prompt: "def add(a, b):\n    \"\"\"Adds.\"\"\"\n",
            tests: ["def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"],
            entryPoint: "add")
        XCTAssertEqual(result.outcome, .passed, result.stderrTail)
        XCTAssertEqual(result.isolation, .bubblewrap)
    }

    func testMBPPProgramAndFailingAssertion() throws {
        let sandbox = try makeSandbox()
        let completion = "def square(x):\n    return x * x\n"
        let good = try sandbox.runTests(completion: completion, prompt: "Square a number.",
                                        tests: ["assert square(3) == 9", "assert square(-2) == 4"], entryPoint: nil)
        XCTAssertEqual(good.outcome, .passed, good.stderrTail)
        let bad = try sandbox.runTests(completion: completion, prompt: "Square a number.",
                                       tests: ["assert square(3) == 9", "assert square(2) == 5"], entryPoint: nil)
        XCTAssertEqual(bad.outcome, .failed(exitStatus: 1, signal: nil))
        XCTAssertTrue(bad.stderrTail.contains("AssertionError"), bad.stderrTail)
        XCTAssertFalse(bad.passed)
    }

    func testProgramAssembly() {
        XCTAssertEqual(CodeSandbox.humanEvalProgram(prompt: "def f():\n", completion: "    return 1", test: "def check(c): assert c() == 1",
                                                    entryPoint: "f"),
                       "def f():\n    return 1\ndef check(c): assert c() == 1\ncheck(f)")
        XCTAssertEqual(CodeSandbox.mbppProgram(completion: "x = 1", testList: ["assert x == 1", "assert x > 0"]),
                       "x = 1\nassert x == 1\nassert x > 0")
    }

    func testNetworkIsRefused() throws {
        let sandbox = try makeSandbox()
        // No interface but a loopback of its own: the outside is unreachable, and nothing of the
        // host listens on that loopback (connecting to port 22 is refused even where sshd runs).
        let result = try sandbox.run(program: """
            import socket
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=2)
                raise SystemExit("outside reachable")
            except OSError as error:
                print("outside:", error.errno)
            try:
                socket.create_connection(("127.0.0.1", 22), timeout=2)
                raise SystemExit("host port reachable")
            except OSError as error:
                print("loopback:", error.errno)
            print(sorted(name for _, name in socket.if_nameindex()))
            """)
        XCTAssertEqual(result.outcome, .passed, result.stderrTail)
        XCTAssertTrue(result.stdout.contains("outside: 101"), result.stdout)  // ENETUNREACH
        XCTAssertTrue(result.stdout.contains("loopback: 111"), result.stdout)  // ECONNREFUSED
        XCTAssertTrue(result.stdout.contains("['lo']"), result.stdout)
    }

    func testWritesOutsideItsDirectoryFail() throws {
        let sandbox = try makeSandbox()
        let marker = "minicpm-sandbox-escape-\(UUID().uuidString)"
        let targets = ["/tmp/\(marker)", "/var/tmp/\(marker)", NSHomeDirectory() + "/\(marker)", "/\(marker)"]
        let attempts = targets.map { "attempt(\"\($0)\")" }.joined(separator: "\n")
        let result = try sandbox.run(program: """
            import os
            def attempt(path):
                try:
                    open(path, "w").write("escaped")
                    print("WROTE", path)
                except OSError as error:
                    print("refused", path, error.errno)
            \(attempts)
            open("inside.txt", "w").write("fine")
            print("inside", os.getcwd(), open(os.environ["TMPDIR"] + "/inside.txt").read())
            """)
        XCTAssertEqual(result.outcome, .passed, result.stderrTail)
        XCTAssertFalse(result.stdout.contains("WROTE"), result.stdout)
        XCTAssertTrue(result.stdout.contains("inside /tmp/sandbox fine"), result.stdout)
        for target in targets { XCTAssertFalse(FileManager.default.fileExists(atPath: target), target) }
    }

    func testForkBombIsContained() throws {
        let sandbox = try makeSandbox(timeout: .seconds(3))
        // Each process dies of its first failed fork (BlockingIOError), so the bomb burns out at the limit.
        let start = Date()
        let result = try sandbox.run(program: "import os\nwhile True:\n    os.fork()\n")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertEqual(result.outcome, .resourceLimit(.processes), result.stderrTail)

        // A fork bomb that survives its failed forks runs until the timeout; then nothing of it is left.
        let stubborn = try sandbox.run(program: "import os\nprint(os.getuid(), flush=True)\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
                                       timeout: .seconds(2))
        guard case let .timedOut(seconds) = stubborn.outcome else { return XCTFail("\(stubborn.outcome)") }
        XCTAssertLessThan(seconds, 6, "killed at the timeout (with slack for a loaded machine)")
        if geteuid() == 0 {
            let uid = UInt64(stubborn.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            XCTAssertNotNil(uid, stubborn.stdout)
            XCTAssertNotEqual(uid, 0, "as root the sandbox must run the program as a user of its own")
            // The kernel may take a moment to reap what SIGKILL ended.
            var left = Self.processes(ofUser: uid ?? 0)
            for _ in 0..<20 where left > 0 { usleep(100_000); left = Self.processes(ofUser: uid ?? 0) }
            XCTAssertEqual(left, 0, "processes of the fork bomb outlived the run")
        }
        // The limit really applies: at most `processes` children exist at once.
        let counted = try sandbox.run(program: """
            import os, time
            children = []
            try:
                while len(children) < 100:
                    pid = os.fork()
                    if pid == 0:
                        time.sleep(5)
                        os._exit(0)
                    children.append(pid)
            except BlockingIOError:
                pass
            print("started", len(children))
            """, timeout: .seconds(3))
        XCTAssertEqual(counted.outcome, .passed, counted.stderrTail)
        let started = counted.stdout.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertNotNil(started, counted.stdout)
        XCTAssertLessThan(started ?? 100, Self.limits.processes)
        XCTAssertGreaterThan(started ?? 0, 4, "forking itself must work below the limit")
        XCTAssertLessThan(counted.seconds, 4.5, "the sleeping children (5 s) must die with the sandbox, not be waited for")
    }

    /// Processes on this machine whose real user ID is `uid`.
    private static func processes(ofUser uid: UInt64) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.filter { pid in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
            else { return false }
            return line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { UInt64($0) } == uid
        }.count
    }

    func testRunawayLoopIsKilledAtTheTimeout() throws {
        let sandbox = try makeSandbox()
        let result = try sandbox.run(program: "while True:\n    pass\n", timeout: .seconds(1))
        guard case let .timedOut(seconds) = result.outcome else { return XCTFail("\(result.outcome)") }
        XCTAssertGreaterThanOrEqual(seconds, 1)
        XCTAssertLessThan(seconds, 4, "killed at the timeout (with slack for a loaded machine)")
    }

    func testCPUTimeLimit() throws {
        // A generous timeout: on a busy machine one CPU second can take several wall-clock seconds.
        let sandbox = try CodeSandbox(limits: SandboxLimits(cpuSeconds: 1), timeout: .seconds(30))
        if case let .unavailable(reason) = sandbox.availability { throw XCTSkip(reason) }
        let result = try sandbox.run(program: "while True:\n    pass\n")
        XCTAssertEqual(result.outcome, .resourceLimit(.cpuTime), result.stderrTail)
    }

    func testHugeOutputIsTruncated() throws {
        let sandbox = try makeSandbox()
        let result = try sandbox.run(program: "import sys\nprint('x' * 10**8)\nprint('done', file=sys.stderr)\n")
        XCTAssertEqual(result.outcome, .passed, result.stderrTail)
        XCTAssertEqual(result.stdout.utf8.count, Self.limits.outputBytes)
        XCTAssertTrue(result.stdoutTruncated)
        XCTAssertEqual(result.stdoutBytes, 100_000_001)
        XCTAssertEqual(result.stderrTail, "done\n")
    }

    func testStderrKeepsItsTail() throws {
        let sandbox = try makeSandbox()
        let result = try sandbox.run(program: "import sys\nsys.stderr.write('noise ' * 5000)\nassert False, 'the real error'\n")
        XCTAssertEqual(result.outcome, .failed(exitStatus: 1, signal: nil))
        XCTAssertTrue(result.stderrTruncated)
        XCTAssertEqual(result.stderrTail.utf8.count, Self.limits.outputBytes)
        XCTAssertTrue(result.stderrTail.hasSuffix("AssertionError: the real error\n"), result.stderrTail)
    }

    func testMemoryHogHitsTheLimit() throws {
        let sandbox = try makeSandbox()
        let result = try sandbox.run(program: "a = bytearray(10**10)\n")
        XCTAssertEqual(result.outcome, .resourceLimit(.memory), result.stderrTail)
        // Below the limit, allocation works.
        let small = try sandbox.run(program: "a = bytearray(100 * 2**20)\nassert len(a) == 100 * 2**20\n")
        XCTAssertEqual(small.outcome, .passed, small.stderrTail)
    }

    func testFileSizeLimit() throws {
        let sandbox = try makeSandbox()
        let result = try sandbox.run(program: "open('big', 'wb').write(b'x' * (4 << 20))\n")
        XCTAssertEqual(result.outcome, .resourceLimit(.fileSize), result.stderrTail)
    }

    func testMissingBubblewrapIsReportedAndNothingRuns() throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("minicpm-unsandboxed-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let program = "open(\(String(reflecting: marker)), 'w').write('ran')\n"
        let sandbox = try CodeSandbox(limits: Self.limits, bubblewrapPath: "/nonexistent/bwrap")
        guard case let .unavailable(reason) = sandbox.availability else { return XCTFail("a missing bwrap must be unavailable") }
        XCTAssertTrue(reason.contains("/nonexistent/bwrap"), reason)
        let result = try sandbox.run(program: program)
        XCTAssertEqual(result.outcome, .sandboxUnavailable(reason: reason))
        XCTAssertEqual(result.isolation, .none)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the program must not have run")

        // Opting in runs it, and the result says it ran unsandboxed.
        let optedIn = try CodeSandbox(limits: Self.limits, bubblewrapPath: "/nonexistent/bwrap", allowUnsandboxed: true)
        guard optedIn.pythonPath != nil else { throw XCTSkip("no system python3") }
        let ran = try optedIn.run(program: program)
        XCTAssertEqual(ran.outcome, .passed, ran.stderrTail)
        XCTAssertEqual(ran.isolation, .unsandboxed(reason: reason))
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker))
    }

    func testMissingInterpreterIsReported() throws {
        let sandbox = try CodeSandbox(pythonPath: "/nonexistent/python3")
        guard case let .unavailable(reason) = sandbox.availability else { return XCTFail("a missing python3 must be unavailable") }
        XCTAssertTrue(reason.contains("/nonexistent/python3"), reason)
    }

    func testSignalsAndStdin() throws {
        let sandbox = try makeSandbox()
        let killed = try sandbox.run(program: "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
        XCTAssertEqual(killed.outcome, .failed(exitStatus: 137, signal: 9))
        // Standard input is /dev/null: a program waiting for input ends at once instead of hanging.
        let reading = try sandbox.run(program: "input()\n")
        XCTAssertEqual(reading.outcome, .failed(exitStatus: 1, signal: nil))
        XCTAssertTrue(reading.stderrTail.contains("EOFError"), reading.stderrTail)
    }

    func testInvalidSettingsAreNamed() {
        XCTAssertThrowsError(try CodeSandbox(limits: SandboxLimits(processes: 0))) { error in
            XCTAssertEqual(error as? EvaluationError, .invalidSandboxSetting(field: "processes", reason: "0 is not positive"))
        }
        XCTAssertThrowsError(try CodeSandbox(timeout: .zero)) { error in
            XCTAssertEqual((error as? EvaluationError).map { "\($0)" }, "code sandbox: timeout: \(Duration.zero) is not positive")
        }
    }

    func testTemporaryDirectoriesAreRemoved() throws {
        let sandbox = try makeSandbox()
        let result = try sandbox.run(program: "import os\nprint(os.path.realpath('.'))\nopen('left.txt', 'w').write('x')\n")
        XCTAssertEqual(result.outcome, .passed, result.stderrTail)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("minicpm-sandbox.") }
        // Other runs may be in flight in parallel; this run's own directory must be gone, and
        // stray ones would each hold a program.py.
        for name in leftovers {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(name).appendingPathComponent("left.txt").path
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), path)
        }
    }
}
