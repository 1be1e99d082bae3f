import Foundation

/// Resident set size and minor page faults of this process.
struct MemorySnapshot {
    var residentBytes: Int
    var minorFaults: Int
    var majorFaults: Int

    static func now() -> MemorySnapshot {
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
func anonymousHugePageBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("AnonHugePages:") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}
