/// How a program run by ``CodeSandbox`` ended, with what it printed and how it was isolated.
public struct SandboxResult: Sendable, Equatable {
    /// How the run ended.
    public enum Outcome: Sendable, Equatable {
        /// The program exited with status 0: every test assertion held.
        case passed
        /// The program exited with a non-zero status (an assertion or another exception), or was
        /// killed by a signal no limit explains (`signal` is then set, `exitStatus` is 128 + signal).
        case failed(exitStatus: Int32, signal: Int32?)
        /// The wall-clock timeout passed and the whole sandbox was killed with SIGKILL.
        case timedOut(seconds: Double)
        /// The program hit one of the ``SandboxLimits``.
        case resourceLimit(Resource)
        /// Bubblewrap is missing or does not work here, and running unsandboxed was not allowed:
        /// nothing was run. `reason` says what the probe found.
        case sandboxUnavailable(reason: String)
    }

    /// The limit a program ran into.
    public enum Resource: String, Sendable, Equatable {
        /// RLIMIT_CPU: killed by SIGXCPU (or the SIGKILL that follows it).
        case cpuTime
        /// RLIMIT_AS: Python's last error was `MemoryError`.
        case memory
        /// RLIMIT_NPROC: `fork` failed with EAGAIN (Python's `BlockingIOError: [Errno 11]`).
        case processes
        /// RLIMIT_FSIZE: killed by SIGXFSZ, or Python's last error was `OSError: [Errno 27] File too large`.
        case fileSize
    }

    /// What kept the program from the host.
    public enum Isolation: Sendable, Equatable {
        /// Bubblewrap: read-only system, no network, private PID/IPC/UTS namespaces, one writable directory.
        case bubblewrap
        /// Run without a sandbox because the caller set `allowUnsandboxed` and bubblewrap does not work
        /// (`reason`): only the resource limits, the timeout and (as root) a user of its own applied;
        /// the program could read and write whatever that user may, and reach the network. Reports must say so.
        case unsandboxed(reason: String)
        /// Nothing ran (``Outcome/sandboxUnavailable(reason:)``).
        case none
    }

    public var outcome: Outcome
    public var isolation: Isolation
    /// The first ``SandboxLimits/outputBytes`` bytes of stdout (decoded as UTF-8, invalid bytes replaced).
    public var stdout: String
    /// The last ``SandboxLimits/outputBytes`` bytes of stderr: where Python's traceback ends.
    public var stderrTail: String
    /// Total bytes the program wrote to stdout, kept or not.
    public var stdoutBytes: Int
    /// Total bytes the program wrote to stderr, kept or not.
    public var stderrBytes: Int
    /// Whether stdout was cut at ``SandboxLimits/outputBytes``.
    public var stdoutTruncated: Bool
    /// Whether the start of stderr was dropped to keep its last ``SandboxLimits/outputBytes``.
    public var stderrTruncated: Bool
    /// Wall-clock seconds from starting the sandbox to collecting its status.
    public var seconds: Double

    /// Whether the program passed its tests.
    public var passed: Bool { outcome == .passed }

    public init(outcome: Outcome, isolation: Isolation, stdout: String = "", stderrTail: String = "",
                stdoutBytes: Int = 0, stderrBytes: Int = 0, stdoutTruncated: Bool = false,
                stderrTruncated: Bool = false, seconds: Double = 0) {
        self.outcome = outcome
        self.isolation = isolation
        self.stdout = stdout
        self.stderrTail = stderrTail
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
        self.stdoutTruncated = stdoutTruncated
        self.stderrTruncated = stderrTruncated
        self.seconds = seconds
    }
}
