import Foundation

/// Resident set size and page faults of this process.
public struct MemorySnapshot: Sendable {
    public var residentBytes: Int
    public var minorFaults: Int
    public var majorFaults: Int

    public static func now() -> MemorySnapshot {
        var rss = 0
        if let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = s.split(separator: " ")
            if fields.count > 1, let pages = Int(fields[1]) { rss = pages * Int(sysconf(Int32(_SC_PAGESIZE))) }
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return MemorySnapshot(residentBytes: rss, minorFaults: Int(usage.ru_minflt), majorFaults: Int(usage.ru_majflt))
    }
}

/// Bytes of this process backed by transparent huge pages (`AnonHugePages` of /proc/self/smaps_rollup).
public func anonymousHugePageBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("AnonHugePages:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}

/// The peak resident set size of this process (`VmHWM` of /proc/self/status), in bytes.
public func peakResidentBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
    }
    return 0
}

/// Restarts ``peakResidentBytes()`` from the current resident size (writing "5" to
/// /proc/self/clear_refs, Linux 4.0 and later), so the peak of one phase of a run (a training step
/// after warm-up) can be read without what came before. False where the kernel refuses.
public func resetPeakResidentBytes() -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    do { try handle.write(contentsOf: Data("5".utf8)) } catch { return false }
    return true
}

/// CPU seconds this process spent in the kernel (page faults, unmapping, thread wake-ups).
public func systemCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
}

/// CPU seconds (user and kernel) this process has used: on a shared machine, the figure of a
/// single-threaded measurement that other tenants' load does not inflate.
public func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}
