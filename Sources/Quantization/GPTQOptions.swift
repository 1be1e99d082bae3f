/// The settings of GPTQ (``GPTQQuantizer``), named after AutoGPTQ's where they have one.
public struct GPTQOptions: Sendable, Equatable {
    /// Consecutive inputs sharing a scale and zero point (`group_size`): 32, 64 or 128.
    public var groupSize: Int
    /// Columns quantised between two lazy batch updates of the remaining weight (`blocksize`).
    /// It changes only the order of floating-point operations, not the result in exact arithmetic.
    public var blockSize: Int
    /// The damping added to H's diagonal, as a fraction of its mean diagonal (`damp_percent`).
    public var dampingFraction: Double
    /// When H (plus damping) is not positive definite, the damping fraction is multiplied by this
    /// factor (and raised to at least ``minimumRetryDampingFraction``) and the factorisation retried.
    public var dampingGrowth: Double
    /// The smallest damping fraction a retry uses, so that a start at 0 can grow.
    public var minimumRetryDampingFraction: Double
    /// The largest damping fraction tried before giving up with
    /// ``QuantizationError/singularHessian(layer:dampingFraction:)``.
    public var maximumDampingFraction: Double
    /// Quantise the inputs in order of decreasing `H[i, i]` (`desc_act`): the inputs that matter
    /// most are quantised first, while the most weights remain to absorb their error. Requires
    /// ``staticGroups``.
    public var actOrder: Bool
    /// Fit every group's scale and zero point on the original weight before any update
    /// (`static_groups`) rather than on the updated weight when the group's first column comes up.
    /// With act-order this keeps `g_idx[i] = i / groupSize`, the only layout ``PackedInt4Weight``
    /// and ``Int4Linear`` read.
    public var staticGroups: Bool

    /// AutoGPTQ's defaults: group 128, block 128, 1 % damping, no act-order.
    public init(groupSize: Int = 128, blockSize: Int = 128, dampingFraction: Double = 0.01,
                dampingGrowth: Double = 10, minimumRetryDampingFraction: Double = 0.001,
                maximumDampingFraction: Double = 1, actOrder: Bool = false, staticGroups: Bool = false) {
        self.groupSize = groupSize
        self.blockSize = blockSize
        self.dampingFraction = dampingFraction
        self.dampingGrowth = dampingGrowth
        self.minimumRetryDampingFraction = minimumRetryDampingFraction
        self.maximumDampingFraction = maximumDampingFraction
        self.actOrder = actOrder
        self.staticGroups = staticGroups
    }

    /// Throws for a setting GPTQ cannot run with.
    func validate() throws(QuantizationError) {
        guard [32, 64, 128].contains(groupSize) else {
            throw .invalidSetting(name: "groupSize", reason: "must be 32, 64 or 128, got \(groupSize)")
        }
        guard blockSize > 0 else { throw .invalidSetting(name: "blockSize", reason: "must be positive, got \(blockSize)") }
        guard dampingFraction >= 0, dampingFraction.isFinite else {
            throw .invalidSetting(name: "dampingFraction", reason: "must be finite and ≥ 0, got \(dampingFraction)")
        }
        guard dampingGrowth > 1, dampingGrowth.isFinite, minimumRetryDampingFraction > 0,
              maximumDampingFraction >= dampingFraction, maximumDampingFraction.isFinite else {
            throw .invalidSetting(name: "dampingGrowth",
                                  reason: "retries need a growth > 1, a positive minimum and a finite maximum ≥ the damping")
        }
        guard !actOrder || staticGroups else {
            throw .invalidSetting(name: "actOrder",
                                  reason: "act-order needs static groups: a permuted g_idx is not supported by PackedInt4Weight")
        }
    }
}
