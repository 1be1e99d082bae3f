import BenchmarkSupport
import Dispatch
import Foundation
import MiniCPMModel
import TensorCore

/// Builds benchmark models quickly.
///
/// `MiniCPM(configuration:seed:)` draws 1.36 billion Box–Muller normals one at a time (tens of
/// seconds for the 1.2B shape), and the values do not matter for speed. Here every tensor is filled
/// in parallel from a counter-based hash (SplitMix64 of the element index and a per-tensor seed
/// derived from its name with FNV-1a), uniform in `[-a, a]` with the standard deviation of the
/// paper's initialisation (`a = √3 σ`), so activations stay small and finite through all layers.
/// Deterministic: the same configuration gives bit-identical weights on every run and thread count.
enum BenchmarkModel {
    /// How the weights' pages are backed: as the allocator leaves them, or with transparent huge
    /// pages explicitly requested or refused (`madvise` before the first touch), for A/B runs.
    enum Pages: String { case allocator, huge, small }
    nonisolated(unsafe) static var pages = Pages.allocator

    static func make(_ c: MiniCPMConfiguration) -> MiniCPM {
        let linearStd = c.initializerRange / c.widthMultiplier.squareRoot()
        // The presets are valid dense configurations: nothing here can throw.
        return try! MiniCPM(configuration: c) { d in
            switch d.role {
            case .normGain: return Tensor.ones(d.shape)
            case .bias: return Tensor.zeros(d.shape)
            case .embedding: return filled(d.shape, seed: fnv1a(d.name), halfWidth: Float(3).squareRoot() * c.initializerRange)
            case .linearWeight, .router: return filled(d.shape, seed: fnv1a(d.name), halfWidth: Float(3).squareRoot() * linearStd)
            }
        }
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    @inline(__always)
    static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// `madvise(MADV_HUGEPAGE or MADV_NOHUGEPAGE)` on the whole 2 MiB-aligned pages inside a buffer.
    static func advise(_ p: UnsafeMutableRawPointer, bytes: Int, huge: Bool) {
        let huge2M = 2 << 20
        let start = (Int(bitPattern: p) + huge2M - 1) / huge2M * huge2M
        let end = (Int(bitPattern: p) + bytes) / huge2M * huge2M
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, huge ? 14 : 15)
    }

    /// Uniform in `[-halfWidth, halfWidth)`, two values per 64-bit hash.
    static func filled(_ shape: [Int], seed: UInt64, halfWidth: Float) -> Tensor {
        Tensor(shape: shape) { out in
            let n = out.count
            if pages != .allocator { advise(out.baseAddress!, bytes: n * 4, huge: pages == .huge) }
            let p = SharedPointer(base: out.baseAddress!)
            let chunk = 1 << 20
            let chunks = (n + chunk - 1) / chunk
            let scale = 2 * halfWidth / Float(1 << 24)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * chunk, hi = min(n, lo + chunk)
                var i = lo
                while i < hi {
                    let h = splitMix(seed &+ UInt64(i >> 1))
                    p.base[i] = Float(h & 0xFF_FFFF) * scale - halfWidth
                    if i + 1 < hi { p.base[i + 1] = Float((h >> 32) & 0xFF_FFFF) * scale - halfWidth }
                    i += 2
                }
            }
        }
    }
}

/// What one forward pass reads and computes, for the rooflines.
struct ModelCosts {
    let configuration: MiniCPMConfiguration

    var linearParametersPerLayer: Int {
        let c = configuration, d = c.hiddenSize, kv = c.keyValueHeadCount * c.headDimension
        return 2 * d * d + 2 * d * kv + 3 * d * c.intermediateSize
    }
    /// The LM head (the embedding table when tied).
    var headParameters: Int { configuration.vocabularySize * configuration.hiddenSize }
    /// Every weight a decode step streams: all layers' projections and norms, the final norm, the LM
    /// head, and the one embedding row.
    var weightBytesPerDecodedToken: Double {
        let c = configuration
        let floats = c.layerCount * (linearParametersPerLayer + 2 * c.hiddenSize) + c.hiddenSize
            + headParameters + c.hiddenSize
        return Double(floats) * 4
    }
    /// Keys and values read by one decode step at `context` cached positions (the new token included).
    func cacheBytesPerDecodedToken(context: Int) -> Double {
        let c = configuration
        return Double(c.layerCount * 2 * context * c.keyValueHeadCount * c.headDimension) * 4
    }
    /// Total model weight bytes in memory (the embedding table counted once when tied).
    var modelBytes: Double {
        let c = configuration
        let head = c.tieWordEmbeddings ? 0 : headParameters
        return Double(c.layerCount * (linearParametersPerLayer + 2 * c.hiddenSize) + c.hiddenSize
                      + headParameters + head) * 4
    }

    /// Floating-point operations of a `tokens`-long prefill on an empty cache that computes the
    /// logits of the last position only (what `nextTokenLogits` does).
    func prefillFlops(tokens t: Int) -> (linear: Double, attention: Double, head: Double) {
        let c = configuration
        let linear = 2 * Double(c.layerCount * linearParametersPerLayer) * Double(t)
        // Causal: query i sees i + 1 keys; q·k and p·v are 2·D flops per (query, key) each.
        let pairs = Double(t) * Double(t + 1) / 2
        let attention = Double(c.layerCount * c.attentionHeadCount) * pairs * 4 * Double(c.headDimension)
        let head = 2 * Double(headParameters)
        return (linear, attention, head)
    }
}
