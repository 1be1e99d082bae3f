#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one command with a wall-clock deadline and bounded output capture.
///
/// `posix_spawn` rather than Foundation's `Process`, for three reasons: the child must lead its own
/// process group (so one `kill(-pgid, SIGKILL)` reaches everything it started outside a PID
/// namespace), it must start with default signal handling and an empty signal mask whatever the
/// test runner set, and no file descriptor of the harness may leak into it. Both pipes are drained
/// by one `poll` loop on the calling thread, so neither can fill and block the child, and the same
/// loop enforces the deadline.
/// glibc functions Swift's Glibc module leaves out (they need `_GNU_SOURCE`), looked up at run time.
private enum GNUSpawnExtensions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let pipe2: Pipe2? = lookup("pipe2")
    static let addCloseFrom: AddCloseFrom? = lookup("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: AddChdir? = lookup("posix_spawn_file_actions_addchdir_np")

    private static func lookup<Function>(_ name: String) -> Function? {
        // A null handle is RTLD_DEFAULT: search the libraries already loaded.
        guard let symbol = dlsym(nil, name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }
}

struct LimitedChildProcess {
    struct Termination {
        /// The exit status, or 128 + signal when killed by a signal (as a shell reports it).
        var exitStatus: Int32
        /// The signal that killed the process, if one did.
        var signal: Int32?
        var timedOut: Bool
        var stdout: BoundedOutput
        var stderr: BoundedOutput
        var seconds: Double
    }

    enum SpawnError: Error { case pipe(Int32), spawn(Int32) }

    let executable: String
    let arguments: [String]
    let environment: [String]
    let workingDirectory: String?
    let outputLimit: Int

    /// Starts the command, reads its output until it exits or `timeout` passes (then kills its
    /// process group with SIGKILL), and returns how it ended.
    func run(timeout: Double) throws(SpawnError) -> Termination {
        let start = ContinuousClock.now
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard Self.closeOnExecPipe(&outPipe) == 0 else { throw .pipe(errno) }
        guard Self.closeOnExecPipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw .pipe(errno)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Descriptors the harness opened without O_CLOEXEC must not reach the program.
        _ = GNUSpawnExtensions.addCloseFrom.map { $0(&actions, 3) }
        var executable = executable, arguments = arguments
        if let workingDirectory {
            if let addChdir = GNUSpawnExtensions.addChdir {
                _ = addChdir(&actions, workingDirectory)
            } else {
                arguments = ["-c", "cd \"$0\" && exec \"$@\"", workingDirectory, executable] + arguments
                executable = "/bin/sh"
            }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGXCPU, SIGXFSZ, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw .spawn(spawned)
        }
        defer { close(outPipe[0]); close(errPipe[0]) }

        var stdout = BoundedOutput(limit: outputLimit, keep: .head)
        var stderr = BoundedOutput(limit: outputLimit, keep: .tail)
        var polled = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0),
                      pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        let deadline = start + .milliseconds(Int64(timeout * 1000))
        // After the child exits (or is killed) its pipes normally reach EOF at once; anything that
        // still holds them open gets this long before the harness stops reading.
        let grace = Duration.seconds(1)
        var status: Int32 = 0
        var exited = false
        var statusKnown = true
        var timedOut = false
        var endedAt: ContinuousClock.Instant?
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { chunk.deallocate() }

        while true {
            let now = ContinuousClock.now
            if !exited && !timedOut && now >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                timedOut = true
                endedAt = now
            }
            if !exited && Self.hasExited(pid) {
                // Kill what is left of its process group (a program run without a PID namespace
                // may have left children behind) before reaping: until the child is reaped its
                // PID, and so the group ID, cannot be reused by an unrelated process.
                kill(-pid, SIGKILL)
                statusKnown = Self.reap(pid, &status)
                exited = true
                if endedAt == nil { endedAt = now }
            }
            let open = polled.contains { $0.fd >= 0 }
            if exited && !open { break }
            if let endedAt, now - endedAt > grace { break }

            // Wake at least every 20 ms to reap the child and check the deadline.
            let waitMilliseconds: Int32 = open ? 20 : 5
            if open {
                _ = poll(&polled, nfds_t(polled.count), waitMilliseconds)
            } else {
                usleep(UInt32(waitMilliseconds) * 1000)
            }
            for index in polled.indices where polled[index].fd >= 0 && polled[index].revents != 0 {
                let count = read(polled[index].fd, chunk.baseAddress, chunk.count)
                if count > 0 {
                    let bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<count])
                    if index == 0 { stdout.append(bytes) } else { stderr.append(bytes) }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    polled[index].fd = -1
                }
                polled[index].revents = 0
            }
        }
        if !exited {
            // The child outlived the grace period after SIGKILL (it should not): kill again and reap.
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            statusKnown = Self.reap(pid, &status)
        }

        let signalNumber = status & 0x7f
        let killedBy: Int32? = signalNumber != 0 && signalNumber != 0x7f ? signalNumber : nil
        var exitStatus = killedBy.map { 128 + $0 } ?? ((status >> 8) & 0xff)
        var signal = killedBy
        // Bubblewrap's init reports a signalled program as exit status 128 + signal.
        if killedBy == nil && exitStatus > 128 && exitStatus < 128 + 65 { signal = exitStatus - 128 }
        if timedOut { exitStatus = 128 + SIGKILL; signal = SIGKILL }
        // A status nobody could collect must never read as success.
        if !statusKnown && !timedOut { exitStatus = -1; signal = nil }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Termination(exitStatus: exitStatus, signal: signal, timedOut: timedOut,
                           stdout: stdout, stderr: stderr, seconds: seconds)
    }

    /// `pipe2(O_CLOEXEC)` where the C library has it, so no concurrently spawned process inherits
    /// the pipe (which would hold it open); `pipe` and `fcntl` otherwise.
    private static func closeOnExecPipe(_ fds: inout [Int32]) -> Int32 {
        if let pipe2 = GNUSpawnExtensions.pipe2 { return pipe2(&fds, Int32(O_CLOEXEC)) }
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    /// Waits for `pid` and stores its status; false when it cannot be collected (already reaped elsewhere).
    private static func reap(_ pid: pid_t, _ status: inout Int32) -> Bool {
        while true {
            if waitpid(pid, &status, 0) == pid { return true }
            if errno != EINTR { return false }
        }
    }

    /// Whether `pid` has terminated, asked without reaping it (`WNOWAIT`), so its PID stays reserved.
    private static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0 {
            // ECHILD: someone else reaped it (SIGCHLD ignored); there is nothing left to wait for.
            return errno == ECHILD
        }
        return info._sifields._sigchld.si_pid == pid
    }
}
