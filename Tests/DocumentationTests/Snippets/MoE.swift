import Foundation
import MiniCPMModel

/// The snippets of `Docs/MoE.md`, verbatim.
enum MoESnippets {
    static func upcycle(_ dense: MiniCPM, into directory: URL) throws -> MiniCPM {
        let moe = try dense.upcycled(experts: 8, activePerToken: 2, routerStandardDeviation: 0.01, seed: 0)
        try moe.save(to: directory)
        return moe
    }
}
