import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs untrusted Python programs (a model's code completion plus a task's tests) in a bubblewrap
/// sandbox with resource limits and a wall-clock timeout, for HumanEval- and MBPP-style scoring.
///
/// Each run gets:
/// - a read-only view of the system (`--ro-bind / /`), with a fresh read-only tmpfs over `/tmp`
///   that hides the host's temporary files;
/// - one writable directory, `/tmp/sandbox` inside, bound to a per-run host directory made with
///   `mkdtemp` and deleted afterwards; it is also the working directory, `$HOME` and `$TMPDIR`;
/// - no network (`--unshare-net`: only a loopback interface of its own), its own PID, IPC and UTS
///   namespaces, a new session (`--new-session`, so it cannot inject input into a terminal), and
///   `--die-with-parent`;
/// - the ``SandboxLimits`` set by `prlimit` on CPU time, address space, processes, file size and
///   open files, and no core dumps;
/// - when the harness runs as root, a fresh unprivileged user ID per run (`setpriv`, with every
///   capability dropped and `no_new_privs`): the kernel ignores RLIMIT_NPROC for root, and
///   counts it per user, so a user of its own makes the process limit hold and count only this run;
/// - a wall-clock timeout after which the whole process group is killed with SIGKILL (the PID
///   namespace then takes every process in the sandbox with it).
///
/// Whether bubblewrap works is probed once per instance (a real sandboxed `python3 -c pass`). When
/// it does not, ``run(program:timeout:)`` returns ``SandboxResult/Outcome/sandboxUnavailable(reason:)``
/// and runs nothing, unless the caller opted in with `allowUnsandboxed`; then the program runs with
/// only the limits and the timeout, and the result's ``SandboxResult/isolation`` says so.
public final class CodeSandbox: @unchecked Sendable {
    /// Whether the sandbox can run programs here, and if not, why.
    public enum Availability: Sendable, Equatable {
        case available
        case unavailable(reason: String)
    }

    public let limits: SandboxLimits
    /// The timeout ``run(program:timeout:)`` uses when it is given none.
    public let defaultTimeout: Duration
    /// Run programs without the sandbox when bubblewrap does not work (off by default).
    public let allowUnsandboxed: Bool
    /// The interpreter (`nil` when none was found).
    public let pythonPath: String?
    public let bubblewrapPath: String

    private let prlimitPath: String?
    private let setprivPath: String?
    private let lock = NSLock()
    private var probed: Availability?

    /// The sandbox's working directory as the program sees it.
    public static let sandboxDirectory = "/tmp/sandbox"

    /// - Parameters:
    ///   - limits: the resource limits of every run.
    ///   - timeout: the default wall-clock timeout (HumanEval's reference harness uses 3 s).
    ///   - pythonPath: the interpreter; by default the first of `/usr/bin/python3` and
    ///     `/usr/local/bin/python3` that exists. It must be readable by an unprivileged user
    ///     (a pyenv interpreter under root's 0700 home is not), which the probe checks.
    ///   - bubblewrapPath: the `bwrap` executable.
    ///   - allowUnsandboxed: run without bubblewrap when it does not work, reporting it in each result.
    /// - Throws: ``EvaluationError/invalidSandboxSetting(field:reason:)`` for a limit or timeout that is not positive.
    public init(limits: SandboxLimits = SandboxLimits(), timeout: Duration = .seconds(10),
                pythonPath: String? = nil, bubblewrapPath: String = "/usr/bin/bwrap",
                allowUnsandboxed: Bool = false) throws(EvaluationError) {
        try limits.validate()
        guard timeout > .zero else { throw .invalidSandboxSetting(field: "timeout", reason: "\(timeout) is not positive") }
        self.limits = limits
        self.defaultTimeout = timeout
        self.allowUnsandboxed = allowUnsandboxed
        self.bubblewrapPath = bubblewrapPath
        self.pythonPath = pythonPath ?? Self.firstExecutable(["/usr/bin/python3", "/usr/local/bin/python3"])
        self.prlimitPath = Self.firstExecutable(["/usr/bin/prlimit", "/bin/prlimit"])
        self.setprivPath = Self.firstExecutable(["/usr/bin/setpriv", "/bin/setpriv"])
    }

    /// Whether bubblewrap works here, probed on first use by running `python3 -c pass` in a real sandbox.
    public var availability: Availability {
        lock.lock()
        defer { lock.unlock() }
        if let probed { return probed }
        let result = probe()
        probed = result
        return result
    }

    /// Runs `program` with `python3` in the sandbox.
    ///
    /// - Parameters:
    ///   - program: the whole Python source.
    ///   - timeout: wall-clock limit, sandbox start-up included; ``defaultTimeout`` when nil.
    /// - Returns: how the program ended; ``SandboxResult/Outcome/sandboxUnavailable(reason:)`` without
    ///   running it when the sandbox does not work and `allowUnsandboxed` is off.
    /// - Throws: ``EvaluationError/sandboxSetupFailed(path:reason:)`` when the temporary directory
    ///   or program file cannot be made or the process cannot be started;
    ///   ``EvaluationError/invalidSandboxSetting(field:reason:)`` for a timeout that is not positive.
    public func run(program: String, timeout: Duration? = nil) throws(EvaluationError) -> SandboxResult {
        let timeout = timeout ?? defaultTimeout
        guard timeout > .zero else { throw .invalidSandboxSetting(field: "timeout", reason: "\(timeout) is not positive") }
        let isolation: SandboxResult.Isolation
        switch availability {
        case .available:
            isolation = .bubblewrap
        case let .unavailable(reason):
            guard allowUnsandboxed, let python = pythonPath, FileManager.default.isExecutableFile(atPath: python) else {
                return SandboxResult(outcome: .sandboxUnavailable(reason: reason), isolation: .none)
            }
            isolation = .unsandboxed(reason: reason)
        }
        return try execute(program: program, timeout: timeout, sandboxed: isolation == .bubblewrap, isolation: isolation)
    }

    /// Runs a code task's tests against a completion.
    ///
    /// With an `entryPoint` this is HumanEval's program, `prompt + completion + "\n" + test + "\n" +
    /// "check(entry_point)"` (the completion continues the prompt's function header; `tests` holds
    /// the one `test` string, or several joined by newlines). Without one it is MBPP's,
    /// `completion + "\n" + "\n".join(test_list)` (the completion is a whole program; `prompt` is
    /// not code there and is left out).
    public func runTests(completion: String, prompt: String, tests: [String], entryPoint: String?,
                         timeout: Duration? = nil) throws(EvaluationError) -> SandboxResult {
        let program = if let entryPoint {
            Self.humanEvalProgram(prompt: prompt, completion: completion, test: tests.joined(separator: "\n"), entryPoint: entryPoint)
        } else {
            Self.mbppProgram(completion: completion, testList: tests)
        }
        return try run(program: program, timeout: timeout)
    }

    /// HumanEval's check program: the prompt and completion, the `check` function, and its call.
    public static func humanEvalProgram(prompt: String, completion: String, test: String, entryPoint: String) -> String {
        prompt + completion + "\n" + test + "\n" + "check(\(entryPoint))"
    }

    /// MBPP's check program: the completion followed by its `assert` lines (after `setup`, MBPP's
    /// `test_setup_code`, when there is one).
    public static func mbppProgram(completion: String, testList: [String], setup: String = "") -> String {
        completion + "\n" + (setup.isEmpty ? "" : setup + "\n") + testList.joined(separator: "\n")
    }

    // MARK: - Running

    private func execute(program: String, timeout: Duration, sandboxed: Bool,
                         isolation: SandboxResult.Isolation) throws(EvaluationError) -> SandboxResult {
        let directory = try makeRunDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Root is exempt from RLIMIT_NPROC, so even an unsandboxed run drops to a user of its own.
        let uid = geteuid() == 0 && setprivPath != nil ? Self.freshUserID() : nil
        let programPath = directory + "/program.py"
        do {
            try Data(program.utf8).write(to: URL(fileURLWithPath: programPath))
        } catch {
            throw .sandboxSetupFailed(path: programPath, reason: "cannot write the program: \(error)")
        }
        // The sandbox user owns its directory (0700) so runs cannot read each other's files.
        chmod(programPath, 0o644)
        if let uid, chown(directory, uid, uid) != 0 {
            throw .sandboxSetupFailed(path: directory, reason: "chown to \(uid): \(String(cString: strerror(errno)))")
        }

        let command: (String, [String], String?)
        if sandboxed {
            command = (bubblewrapPath, bubblewrapArguments(hostDirectory: directory, uid: uid)
                + ["--"] + limitedPython(script: Self.sandboxDirectory + "/program.py", uid: uid), nil)
        } else {
            let python = limitedPython(script: programPath, uid: uid)
            command = (python[0], Array(python.dropFirst()), directory)
        }
        let environment = sandboxed ? ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"]
                                    : Self.programEnvironment(home: directory).map { "\($0.0)=\($0.1)" }
        let child = LimitedChildProcess(executable: command.0, arguments: command.1, environment: environment,
                                        workingDirectory: command.2, outputLimit: limits.outputBytes)
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18
        let termination: LimitedChildProcess.Termination
        do {
            termination = try child.run(timeout: seconds)
        } catch {
            throw .sandboxSetupFailed(path: command.0, reason: "cannot start: \(error)")
        }
        let stderr = termination.stderr.text
        return SandboxResult(outcome: Self.outcome(of: termination, stderr: stderr), isolation: isolation,
                             stdout: termination.stdout.text, stderrTail: stderr,
                             stdoutBytes: termination.stdout.total, stderrBytes: termination.stderr.total,
                             stdoutTruncated: termination.stdout.truncated, stderrTruncated: termination.stderr.truncated,
                             seconds: termination.seconds)
    }

    /// Classifies a termination; the resource cases read the signal, or Python's last exception line.
    static func outcome(of termination: LimitedChildProcess.Termination, stderr: String) -> SandboxResult.Outcome {
        if termination.timedOut { return .timedOut(seconds: termination.seconds) }
        if termination.exitStatus == 0 { return .passed }
        switch termination.signal {
        case SIGXCPU: return .resourceLimit(.cpuTime)
        case SIGXFSZ: return .resourceLimit(.fileSize)
        default: break
        }
        // Processes that share the pipe interleave their tracebacks line by line (a fork bomb's do), so
        // the exception is the last line that is neither a traceback header nor an indented frame.
        let lastLine = stderr.split(whereSeparator: \.isNewline).last { line in
            !line.hasPrefix(" ") && !line.hasPrefix("\t") && !line.hasPrefix("Traceback (most recent call last)")
        }.map(String.init) ?? ""
        if lastLine.hasPrefix("MemoryError") { return .resourceLimit(.memory) }
        if lastLine.hasPrefix("BlockingIOError: [Errno 11]") { return .resourceLimit(.processes) }
        // Python ignores SIGXFSZ, so RLIMIT_FSIZE surfaces as EFBIG instead of the signal.
        if lastLine.hasPrefix("OSError: [Errno 27]") { return .resourceLimit(.fileSize) }
        return .failed(exitStatus: termination.exitStatus, signal: termination.signal)
    }

    /// Namespaces, mounts and environment (see the type's documentation for why each).
    private func bubblewrapArguments(hostDirectory: String, uid: uid_t?) -> [String] {
        var arguments = [
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--tmpfs", "/tmp",
            "--bind", hostDirectory, Self.sandboxDirectory,
            "--remount-ro", "/tmp",
            "--chdir", Self.sandboxDirectory,
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session",
            "--clearenv",
        ]
        // Not root: a user namespace of its own, so RLIMIT_NPROC counts this run's processes only.
        if uid == nil && geteuid() != 0 { arguments.append("--unshare-user") }
        for (name, value) in Self.programEnvironment(home: Self.sandboxDirectory) {
            arguments += ["--setenv", name, value]
        }
        return arguments
    }

    /// `prlimit … [setpriv …] python3 -s -B script`: limits first, while still privileged enough to
    /// raise nothing and lower everything; then the unprivileged user; then the interpreter.
    private func limitedPython(script: String, uid: uid_t?) -> [String] {
        var command: [String] = []
        if let prlimitPath {
            command += [prlimitPath,
                        "--cpu=\(limits.cpuSeconds):\(limits.cpuSeconds + 1)",
                        "--as=\(limits.memoryBytes)",
                        "--nproc=\(limits.processes)",
                        "--fsize=\(limits.fileSizeBytes)",
                        "--nofile=\(limits.openFiles)",
                        "--core=0", "--"]
        }
        if let uid, let setprivPath {
            command += [setprivPath, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups",
                        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        }
        // -s: no user site-packages; -B: no .pyc files. Not -I, whose -E would drop PYTHONHASHSEED.
        return command + [pythonPath ?? "python3", "-s", "-B", script]
    }

    /// The program's whole environment: a fixed hash seed so set and dict orders repeat across runs.
    private static func programEnvironment(home: String) -> [(String, String)] {
        [("PATH", "/usr/bin:/bin"), ("HOME", home), ("TMPDIR", home), ("LANG", "C.UTF-8"),
         ("PYTHONHASHSEED", "0"), ("PYTHONIOENCODING", "utf-8"), ("PYTHONDONTWRITEBYTECODE", "1")]
    }

    private func makeRunDirectory() throws(EvaluationError) -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array((base + "/minicpm-sandbox.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw .sandboxSetupFailed(path: base, reason: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// A user ID no account uses, different per run, so that concurrent runs' process counts and
    /// files stay apart (2,000,000,000 and up, above the usual subordinate-ID ranges).
    private static func freshUserID() -> uid_t {
        uid_t(2_000_000_000) + uid_t.random(in: 0..<1_000_000)
    }

    private static func firstExecutable(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    // MARK: - Probe

    private func probe() -> Availability {
        guard FileManager.default.isExecutableFile(atPath: bubblewrapPath) else {
            return .unavailable(reason: "bubblewrap is not installed (\(bubblewrapPath) is missing; Debian package bubblewrap)")
        }
        guard let pythonPath, FileManager.default.isExecutableFile(atPath: pythonPath) else {
            return .unavailable(reason: "no python3 interpreter at \(self.pythonPath ?? "/usr/bin/python3 or /usr/local/bin/python3")")
        }
        guard prlimitPath != nil else {
            return .unavailable(reason: "prlimit (util-linux) is missing: the resource limits cannot be set")
        }
        if geteuid() == 0 && setprivPath == nil {
            return .unavailable(reason: "setpriv (util-linux) is missing: as root the process limit would not apply")
        }
        let result: SandboxResult
        do {
            result = try execute(program: "pass\n", timeout: .seconds(20), sandboxed: true, isolation: .bubblewrap)
        } catch {
            return .unavailable(reason: "bubblewrap probe could not start: \(error)")
        }
        guard result.passed else {
            let detail = result.stderrTail.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
            // Either bwrap itself (no namespaces allowed here) or the interpreter inside it (not
            // readable by the unprivileged sandbox user) failed; stderr says which.
            return .unavailable(reason: "a sandboxed `\(pythonPath) -c pass` probe did not pass (\(result.outcome)): \(detail)")
        }
        return .available
    }
}
