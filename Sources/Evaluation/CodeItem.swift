/// One code-generation problem (HumanEval, MBPP): the model writes a Python function, the sandbox
/// runs `tests` against it.
public struct CodeItem: Sendable, Equatable, Codable {
    /// `HumanEval/0`, or MBPP's numeric `task_id` as text.
    public var id: String
    /// What the model is given: HumanEval's signature and docstring; MBPP's problem text followed by
    /// its first test (the usual MBPP prompt shows one test so the function name is known).
    public var prompt: String
    /// Python source that checks a solution: HumanEval's `check(candidate)` followed by
    /// `check(<entry point>)`; MBPP's setup code and `assert` lines.
    public var tests: String
    /// The function under test (HumanEval's `entry_point`; for MBPP the name its first test calls).
    public var entryPoint: String
    /// The data set's reference solution (HumanEval's prompt + canonical solution completes it).
    public var canonicalSolution: String?

    public init(id: String, prompt: String, tests: String, entryPoint: String, canonicalSolution: String? = nil) {
        self.id = id
        self.prompt = prompt
        self.tests = tests
        self.entryPoint = entryPoint
        self.canonicalSolution = canonicalSolution
    }
}
