import Foundation
import Tokenizer
import XCTest

/// ``ChatTemplates/recognizing(_:addsBOS:)`` on real templates; the recognised template renders
/// what `jinja2` renders from the Jinja text (`Fixtures/smollm2/chat_templates.json`).
final class ChatTemplateRecognitionTests: XCTestCase {
    /// SmolLM2-135M-Instruct's `tokenizer.chat_template`, as its GGUF file holds it (the line breaks
    /// inside the string literals are real ones there).
    static let smolLM2Template = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    /// Qwen2-Instruct's, with `\\n` escapes in its literals.
    static let qwen2Template = #"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"#

    /// MiniCPM-2B's (Hugging Face `tokenizer_config.json`).
    static let miniCPMTemplate = #"{% for message in messages %}{% if message['role'] == 'user' %}{{'<用户>' + message['content'].strip() + '<AI>'}}{% else %}{{message['content'].strip()}}{% endif %}{% endfor %}"#

    /// Llama-3-Instruct's.
    static let llama3Template = #"{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"#

    func testFixtureStringsAreTheRealTemplates() {
        XCTAssertEqual(Self.smolLM2Template, SmolLM2Vocabulary.shared.chatTemplate)
        XCTAssertEqual(Self.smolLM2Template, ChatTemplateGolden.template("smollm2").template)
        XCTAssertEqual(Self.qwen2Template, ChatTemplateGolden.template("qwen2").template)
        XCTAssertEqual(Self.miniCPMTemplate, ChatTemplateGolden.template("minicpm").template)
        XCTAssertEqual(Self.llama3Template, ChatTemplateGolden.template("llama3").template)
    }

    func testSmolLM2IsChatMLWithItsDefaultSystemPrompt() throws {
        let template = try XCTUnwrap(ChatTemplates.recognizing(Self.smolLM2Template) as? ChatMLTemplate)
        XCTAssertEqual(template.defaultSystemPrompt, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        XCTAssertFalse(template.addsBOS)
    }

    func testQwen2IsChatMLWithItsDefaultSystemPrompt() throws {
        let template = try XCTUnwrap(ChatTemplates.recognizing(Self.qwen2Template) as? ChatMLTemplate)
        XCTAssertEqual(template.defaultSystemPrompt, "You are a helpful assistant.")
    }

    func testPlainChatMLHasNoDefaultSystemPrompt() throws {
        let plain = #"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"#
        let template = try XCTUnwrap(ChatTemplates.recognizing(plain) as? ChatMLTemplate)
        XCTAssertNil(template.defaultSystemPrompt)
        // A system turn built from the messages is not a default prompt.
        let fromMessages = #"{{ '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}"# + plain
        XCTAssertNil((ChatTemplates.recognizing(fromMessages) as? ChatMLTemplate)?.defaultSystemPrompt)
        // Escapes and double quotes in the literal.
        let escaped = #"{{- "<|im_start|>system\nSay \"hi\"\tthen \u00e9\\<|im_end|>\n" -}}"# + plain
        XCTAssertEqual((ChatTemplates.recognizing(escaped) as? ChatMLTemplate)?.defaultSystemPrompt, "Say \"hi\"\tthen é\\")
        // A comment is not output.
        let commented = "{# '<|im_start|>system\nNot this<|im_end|>' #}" + plain
        XCTAssertNil((ChatTemplates.recognizing(commented) as? ChatMLTemplate)?.defaultSystemPrompt)
    }

    func testMiniCPM() throws {
        let template = try XCTUnwrap(ChatTemplates.recognizing(Self.miniCPMTemplate) as? MiniCPMChatTemplate)
        XCTAssertEqual(template, MiniCPMChatTemplate())
        XCTAssertEqual((ChatTemplates.recognizing(Self.miniCPMTemplate, addsBOS: false) as? MiniCPMChatTemplate)?.addsBOS, false)
        XCTAssertEqual((ChatTemplates.recognizing(Self.qwen2Template, addsBOS: true) as? ChatMLTemplate)?.addsBOS, true)
    }

    func testUnknownTemplatesAreNil() {
        XCTAssertNil(ChatTemplates.recognizing(Self.llama3Template))
        XCTAssertNil(ChatTemplates.recognizing(""))
        XCTAssertNil(ChatTemplates.recognizing("{{ bos_token }}{% for message in messages %}[INST] {{ message['content'] }} [/INST]{% endfor %}"))
        XCTAssertNil(ChatTemplates.recognizing("<|im_start|> without an end marker"))
    }

    /// The recognised templates render exactly what jinja2 renders from the Jinja text.
    func testRenderingsEqualJinja() throws {
        for golden in ChatTemplateGolden.shared.templates {
            let recognized = ChatTemplates.recognizing(golden.template)
            switch golden.recognized {
            case "chatml": XCTAssertTrue(recognized is ChatMLTemplate, golden.name)
            case "minicpm": XCTAssertTrue(recognized is MiniCPMChatTemplate, golden.name)
            default: XCTAssertNil(recognized, golden.name)
            }
            guard let recognized else { continue }
            for rendering in golden.renderings {
                let messages = try rendering.messages.map { message in
                    ChatMessage(role: try XCTUnwrap(ChatRole(rawValue: message.role)), content: message.content)
                }
                XCTAssertEqual(recognized.render(messages, addGenerationPrompt: rendering.addGenerationPrompt), rendering.text,
                               "\(golden.name): \(rendering.messages.map(\.content)) \(rendering.addGenerationPrompt)")
            }
        }
    }
}
