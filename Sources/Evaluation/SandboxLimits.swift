/// The resource limits a ``CodeSandbox`` puts on every program it runs.
///
/// The kernel enforces each one inside the sandbox (`prlimit` sets them before `python3` starts);
/// the harness itself enforces ``outputBytes`` (it keeps at most that much of each stream and
/// discards the rest while draining, so a program that prints without end never fills memory).
public struct SandboxLimits: Sendable, Equatable {
    /// CPU seconds (RLIMIT_CPU): the kernel sends SIGXCPU at this many seconds and SIGKILL a second later.
    public var cpuSeconds: Int
    /// Virtual address space in bytes (RLIMIT_AS): an allocation beyond it fails (Python raises `MemoryError`).
    public var memoryBytes: Int
    /// Processes (and threads) the sandbox user may own at once (RLIMIT_NPROC): `fork` fails beyond it.
    public var processes: Int
    /// Size in bytes of any one file the program writes (RLIMIT_FSIZE): writing beyond it raises SIGXFSZ.
    public var fileSizeBytes: Int
    /// Open file descriptors (RLIMIT_NOFILE).
    public var openFiles: Int
    /// Bytes kept of each of stdout and stderr; the rest is read and discarded.
    public var outputBytes: Int

    /// - Parameters:
    ///   - cpuSeconds: CPU seconds; the defaults suit HumanEval and MBPP, whose tests finish in well under a second.
    ///   - memoryBytes: address space; 1 GiB leaves room for the interpreter and the test data.
    ///   - processes: at most this many processes; small, so a fork bomb stops at once.
    ///   - fileSizeBytes: the largest file the program may write.
    ///   - openFiles: open file descriptors.
    ///   - outputBytes: bytes kept of each output stream.
    public init(cpuSeconds: Int = 10, memoryBytes: Int = 1 << 30, processes: Int = 32,
                fileSizeBytes: Int = 16 << 20, openFiles: Int = 256, outputBytes: Int = 64 << 10) {
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.processes = processes
        self.fileSizeBytes = fileSizeBytes
        self.openFiles = openFiles
        self.outputBytes = outputBytes
    }

    /// Throws ``EvaluationError/invalidSandboxSetting(field:reason:)`` naming the first limit that is not positive.
    public func validate() throws(EvaluationError) {
        let fields: [(String, Int)] = [("cpuSeconds", cpuSeconds), ("memoryBytes", memoryBytes),
                                       ("processes", processes), ("fileSizeBytes", fileSizeBytes),
                                       ("openFiles", openFiles), ("outputBytes", outputBytes)]
        for (name, value) in fields where value <= 0 {
            throw .invalidSandboxSetting(field: name, reason: "\(value) is not positive")
        }
    }
}
