import Foundation

/// The machine a report was measured on, so figures from different runs can be told apart.
public struct MachineInfo: Codable, Sendable {
    public var cpuModel: String
    public var logicalCores: Int
    public var physicalMemoryGiB: Double
    public var openBLASConfig: String
    public var openBLASCore: String
    public var operatingSystem: String
    /// `/proc/loadavg`'s 1, 5 and 15 minute averages when the run started: a busy machine explains
    /// slow figures.
    public var loadAverageAtStart: String

    /// This machine, with OpenBLAS's `openblas_get_config()` and `openblas_get_corename()` strings
    /// (passed in, so this target does not link OpenBLAS itself).
    public static func current(openBLASConfig: UnsafePointer<CChar>?, openBLASCore: UnsafePointer<CChar>?) -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "")
            .split(separator: " ").prefix(3).joined(separator: " ")
        func text(_ p: UnsafePointer<CChar>?) -> String {
            p.map { String(cString: $0).trimmingCharacters(in: .whitespaces) } ?? "unknown"
        }
        return MachineInfo(
            cpuModel: model,
            logicalCores: ProcessInfo.processInfo.activeProcessorCount,
            physicalMemoryGiB: (Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30) * 10).rounded() / 10,
            openBLASConfig: text(openBLASConfig),
            openBLASCore: text(openBLASCore),
            operatingSystem: ProcessInfo.processInfo.operatingSystemVersionString,
            loadAverageAtStart: load)
    }
}
