import Evaluation
import Foundation
import XCTest

/// CMMLU, C-Eval and BBH read from the hand-written samples in Fixtures/{cmmlu,ceval,bbh} (laid out
/// as a user drops the released data under `$MINICPM_DATA`), field by field; and the errors a user
/// sees for missing data, withheld answers and malformed files.
final class ChineseAndBBHDatasetTests: XCTestCase {
    /// A loader whose data folder is the fixtures folder (its `pkg/` is absent and not needed).
    private var loader: DatasetLoader {
        let root = EvaluationFixtures.path("")
        return DatasetLoader(packageRoot: root + "/pkg", dataRoot: root)
    }

    func testDatasetProperties() {
        XCTAssertEqual(EvaluationDataset.allCases.filter(\.isChinese), [.cmmlu, .ceval])
        XCTAssertEqual(EvaluationDataset.cmmlu.family, .multipleChoice)
        XCTAssertEqual(EvaluationDataset.ceval.family, .multipleChoice)
        XCTAssertEqual(EvaluationDataset.bbh.family, .generation)
        XCTAssertEqual(EvaluationDataset.ceval.defaultSplit, .validation)
        XCTAssertEqual(EvaluationDataset.cmmlu.defaultSplit, .test)
        XCTAssertEqual(EvaluationDataset.ceval.externalLayout(.validation)?.folder, "ceval/val")
        XCTAssertNil(EvaluationDataset.mmlu.externalLayout(.test))
    }

    func testCMMLUTestRows() throws {
        let items = try loader.multipleChoiceItems(.cmmlu)
        XCTAssertEqual(items, [
            MultipleChoiceItem(id: "agronomy/0", question: "水稻是喜温作物，其生长发育的最适温度一般为____",
                               choices: ["15～20℃", "25～30℃", "35～40℃", "10～15℃"], answer: 1, subject: "agronomy"),
            MultipleChoiceItem(id: "agronomy/1", question: "下列作物中,属于C4植物的是",
                               choices: ["小麦", "水稻", "玉米", "大豆"], answer: 2, subject: "agronomy"),
            MultipleChoiceItem(id: "agronomy/2",
                               question: "阅读下面的农谚：\n\"有收无收在于水，收多收少在于肥。\"\n这句农谚强调的是",
                               choices: ["光照和温度", "水分和肥料", "土壤和种子", "病虫害防治"], answer: 1, subject: "agronomy"),
        ])
        XCTAssertEqual(try loader.multipleChoiceItems(.cmmlu, split: .dev).map(\.answer), [2])
        XCTAssertEqual(try loader.files(.cmmlu, split: .dev), [EvaluationFixtures.path("") + "/cmmlu/dev/agronomy.csv"])
    }

    func testCEvalValidationAndDevRows() throws {
        let items = try loader.multipleChoiceItems(.ceval)
        XCTAssertEqual(items.map(\.id), ["computer_network/0", "computer_network/1", "computer_network/2"])
        XCTAssertEqual(items[1], MultipleChoiceItem(id: "computer_network/1", question: "IPv4地址的长度是____位。",
                                                    choices: ["16", "32", "64", "128"], answer: 1, subject: "computer_network"))
        XCTAssertEqual(items[2].question, "下列关于HTTP协议的说法,正确的是____。")
        XCTAssertEqual(items[2].choices[1], "HTTP默认使用80端口")
        let dev = try loader.multipleChoiceItems(.ceval, split: .dev)
        XCTAssertEqual(dev, [MultipleChoiceItem(
            id: "computer_network/0", question: "以太网交换机根据____转发数据帧。", choices: ["IP地址", "MAC地址", "端口号", "域名"],
            answer: 1, subject: "computer_network",
            explanation: "1. 交换机工作在数据链路层。\n2. 数据链路层按MAC地址寻址，所以答案是B。")])
    }

    func testCEvalTestSplitIsRefusedForScoring() throws {
        XCTAssertThrowsError(try loader.multipleChoiceItems(.ceval, split: .test)) { error in
            guard case let .invalidSetting(task, field, reason) = error as? EvaluationError else { return XCTFail("\(error)") }
            XCTAssertEqual([task, field], ["ceval", "split"])
            XCTAssertTrue(reason.contains("withheld"), reason)
        }
        // Its files are still listed, and reading one directly names the line whose answer is empty.
        let path = try XCTUnwrap(loader.files(.ceval, split: .test).first)
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: path) { try DatasetLoader.ceval(path: path) },
                       "line 2: answer is empty: C-Eval withholds its test answers (scored only by cevalbenchmark.com); use the val split")
        let noColumn = try EvaluationFixtures.temporaryFile("law_test.csv", Data("id,question,A,B,C,D\n0,q,a,b,c,d\n".utf8))
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: noColumn) { try DatasetLoader.ceval(path: noColumn) },
                       "line 1: no answer column: a C-Eval test file (its answers are withheld, scored only by cevalbenchmark.com); use the val split")
    }

    func testMalformedChineseFilesNameFileAndLine() throws {
        let badLetter = try EvaluationFixtures.temporaryFile("arts.csv", Data(",Question,A,B,C,D,Answer\n0,q,a,b,c,d,E\n".utf8))
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: badLetter) { try DatasetLoader.cmmlu(path: badLetter) },
                       "line 2: Answer \"E\" is not one of A, B, C, D")
        let short = try EvaluationFixtures.temporaryFile("arts.csv", Data(",Question,A,B,C,D,Answer\n0,q,a,b,c,d,A\n1,q,a,b\n".utf8))
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: short) { try DatasetLoader.cmmlu(path: short) },
                       "line 3: 4 fields, but the header has 7")
        let noQuestion = try EvaluationFixtures.temporaryFile("arts.csv", Data(",Q,A,B,C,D,Answer\n".utf8))
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: noQuestion) { try DatasetLoader.cmmlu(path: noQuestion) },
                       "line 1: no column \"Question\" in the header [\"\", \"Q\", \"A\", \"B\", \"C\", \"D\", \"Answer\"]")
        let unclosed = try EvaluationFixtures.temporaryFile("law_val.csv", Data("id,question,A,B,C,D,answer\n0,\"q,a,b,c,d,A\n".utf8))
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: unclosed) { try DatasetLoader.ceval(path: unclosed) },
                       "line 2: quoted field never closed (no matching '\"' before the end of the file)")
    }

    func testMissingDataSaysWhatToDownload() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("EvaluationTests-\(UUID().uuidString)").path
        let bare = DatasetLoader(packageRoot: empty + "/pkg", dataRoot: empty)
        for dataset in [EvaluationDataset.cmmlu, .ceval, .bbh] {
            XCTAssertThrowsError(try bare.files(dataset)) { error in
                guard case let .invalidFile(_, reason) = error as? EvaluationError else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.hasPrefix("not present: download "), reason)
                XCTAssertTrue(reason.hasSuffix(" \(empty)/\(dataset.rawValue)"), reason)
            }
        }
    }

    func testBBHExamples() throws {
        let items = try loader.generationItems(.bbh)
        XCTAssertEqual(items, [
            GenerationItem(id: "boolean_expressions/1", question: "not ( True ) and ( True ) is", reference: "False",
                           subject: "boolean_expressions"),
            GenerationItem(id: "boolean_expressions/2", question: "True and not not ( not False ) is", reference: "True",
                           subject: "boolean_expressions"),
            GenerationItem(id: "boolean_expressions/3", question: "False or ( not True ) is", reference: "False",
                           subject: "boolean_expressions"),
        ])
        let bad = try EvaluationFixtures.temporaryFile("navigate.json", Data(#"{"examples": [{"input": "x"}]}"#.utf8))
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: bad) { try DatasetLoader.bbh(path: bad) },
                       #"not a BBH task file ({"examples": [{"input", "target"}]}): missing field examples.[0].target"#)
    }

    func testBBHChainOfThoughtPrompt() throws {
        let prompt = try XCTUnwrap(loader.bbhChainOfThoughtPrompt(task: "boolean_expressions"))
        XCTAssertEqual(prompt.taskDescription, "Evaluate the result of a random Boolean expression.")
        XCTAssertEqual(prompt.examples.map(\.question),
                       ["not ( False ) or False is", "True and ( not True ) is", "not not ( not not False ) is"])
        XCTAssertEqual(prompt.examples.map(\.answer), ["True", "False", "False"])
        XCTAssertTrue(prompt.examples[0].rationale.hasPrefix("Let's think step by step.\nRemember that (i)"))
        XCTAssertTrue(prompt.text.hasPrefix("Evaluate the result of a random Boolean expression.\n\nQ: not ( False ) or False is\nA: "))
        XCTAssertTrue(prompt.text.hasSuffix("So the answer is False."))
        XCTAssertNil(try loader.bbhChainOfThoughtPrompt(task: "navigate"))
        XCTAssertEqual(BBHChainOfThoughtPrompt.finalAnswer("... So the answer is (B)."), "(B)")
        let orphan = EvaluationFixtures.invalidFileReason(path: "p.txt") {
            try BBHChainOfThoughtPrompt(text: "canary\n-----\nTask.\n\nQ: 1 + 1\n\nQ: 2 + 2\nA: 4", path: "p.txt")
        }
        XCTAssertEqual(orphan, #"line 5: question without an "A:" line"#)
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: "p.txt") { try BBHChainOfThoughtPrompt(text: "just text", path: "p.txt") },
                       #"no example: no line starts with "Q:""#)
    }
}
