import TensorCore

/// MiniCPM-MoE's feed-forward block: a router picks `k` of `E` ``Expert``s for each token and the
/// block returns their outputs weighted by the router's renormalised probabilities,
///
///     p = softmax(m · W_gateᵀ)                       over all E experts
///     K = the k largest entries of p                  (equal ones: lower expert index first)
///     f = Σ_{e∈K} (p_e / Σ_{K} p) · w2_e(silu(w1_e m) ⊙ w3_e m)
///
/// as in `ref_forward.py` and vLLM's MiniCPM-MoE. It stands in the decoder layer's ``FeedForward``
/// slot, so the layer's residual scaling applies to its output as to the dense ``MLP``'s.
///
/// Tokens are grouped by expert: each expert runs one matrix product per projection over the rows
/// routed to it (a gemv for one decoded token), so a batch costs `E` products, not one per token,
/// and a decoded token reads the weights of its `k` experts only. While gradients are recorded the
/// block is made of TensorCore's differentiable operations, so gradients reach the experts and,
/// through the kept renormalised probabilities, the router; otherwise it takes a direct inference
/// path with the same values (`MixtureOfExperts+Inference.swift`). (With `k = 1` the renormalised weight
/// is 1 and the router learns only from an auxiliary loss such as
/// ``RouterStatistics/loadBalancingLoss``.)
public struct MixtureOfExperts: FeedForward {
    /// `mlp.gate.weight`, `[experts, hidden]`: the router's logits are `m · routerWeightᵀ`.
    public var routerWeight: Tensor
    /// `mlp.experts.N`.
    public var experts: [Expert]
    /// How many experts each token is routed to (`num_experts_per_tok`).
    public let expertsPerToken: Int
    /// Whether, when no gradient is recorded, the block takes its direct inference path
    /// (`inferenceOutput(rows:probabilities:routing:)`: gathered rows, one scatter-add of each
    /// expert's weighted output) rather than the recorded path's tensor operations. On by default;
    /// turning it off exists to compare the two (the equivalence tests and `make bench-moe`).
    /// Not a parameter: checkpoints neither store nor read it.
    public var usesInferencePath = true

    /// A block over `experts` routed by `routerWeight` (`[experts.count, hidden]`).
    /// - Precondition: `1 ≤ expertsPerToken ≤ experts.count`.
    public init(routerWeight: Tensor, experts: [Expert], expertsPerToken: Int) {
        precondition((1...max(1, experts.count)).contains(expertsPerToken),
                     "experts per token \(expertsPerToken) must lie in 1...\(experts.count)")
        self.routerWeight = routerWeight
        self.experts = experts
        self.expertsPerToken = expertsPerToken
    }

    /// The router is a plain tensor with the ``ParameterRole/router`` role, not a ``LinearLayer``:
    /// routing decisions are sensitive to rounding and the matrix is tiny, so quantizers that walk
    /// the linear layers leave it in float. GGUF names it `ffn_gate_inp`, as llama.cpp does.
    public static var parts: [any ModulePart<MixtureOfExperts>] {[
        TensorPart("gate.weight", gguf: "ffn_gate_inp.weight", \.routerWeight, role: .router,
                   shape: [\.expertCount, \.hiddenSize]),
        SubmoduleListPart("experts", gguf: nil, \.experts),
    ]}

    /// The block applied to `x` of shape `[..., hidden]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let hidden = x.shape[x.rank - 1]
        let n = x.count / max(1, hidden)
        let (e, k) = (experts.count, expertsPerToken)
        let rows = x.reshaped([n, hidden])
        let probabilities = matmul(rows, routerWeight, transposeB: true).softmax(alongAxis: -1)
        let routing = probabilities.withUnsafeBufferPointer {
            ExpertRouting(probabilities: $0, tokenCount: n, expertCount: e, expertsPerToken: k)
        }
        RoutingRecorder.current?.append(RouterStatistics(probabilities: probabilities,
                                                         tokensPerExpert: routing.tokensPerExpert))
        if usesInferencePath && !GradientMode.isEnabled {
            return inferenceOutput(rows: rows, probabilities: probabilities, routing: routing).reshaped(x.shape)
        }
        return recordedOutput(rows: rows, probabilities: probabilities, routing: routing).reshaped(x.shape)
    }

    /// The block's output as TensorCore's differentiable operations, so that a backward pass reaches
    /// the experts and the router; `inferenceOutput(rows:probabilities:routing:)` computes the
    /// same values with fewer passes when nothing is recorded.
    func recordedOutput(rows: Tensor, probabilities: Tensor, routing: ExpertRouting) -> Tensor {
        let (n, e, k) = (routing.tokenCount, routing.expertCount, routing.expertsPerToken)
        let hidden = rows.shape[1]

        // The kept probabilities, renormalised per token: [n·k, 1] in slot order.
        let kept = probabilities.reshaped([n * e, 1])
            .gatheringRows((0..<(n * k)).map { slot in (slot / k) * e + routing.chosenExperts[slot] })
            .reshaped([n, k])
        let weights = (kept / kept.sum(alongAxis: 1, keepingDimension: true)).reshaped([n * k, 1])

        // One product per expert over its rows; `position[slot]` is where that slot's weighted
        // output lands among the experts' stacked outputs.
        var outputs: [Tensor] = []
        var position = [Int](repeating: 0, count: n * k)
        var stacked = 0
        for expert in 0..<e where !routing.slots[expert].isEmpty {
            let slots = routing.slots[expert]
            let tokens = slots.map { $0 / k }
            // Every token, in order (all of a batch-1 decode step, or any expert under k = E):
            // the input itself rather than a copy.
            let input = tokens.count == n ? rows : rows.gatheringRows(tokens)
            outputs.append(experts[expert](input) * weights.gatheringRows(slots))
            for (i, slot) in slots.enumerated() { position[slot] = stacked + i }
            stacked += slots.count
        }
        let all = outputs.count == 1 ? outputs[0] : Tensor.concatenate(outputs, alongAxis: 0)
        // Back to slot order, then the k slots of each token summed: a differentiable scatter-add.
        let bySlot = position == Array(0..<(n * k)) ? all : all.gatheringRows(position)
        return k == 1 ? bySlot : bySlot.reshaped([n, k, hidden]).sum(alongAxis: 1)
    }
}
