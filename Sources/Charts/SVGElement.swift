/// A minimal SVG/XML element tree and serializer: enough for ``LineChart`` without a plotting
/// dependency. Attribute order is kept so the output is deterministic (stable diffs of committed
/// figures).
struct SVGElement: Sendable, Equatable {
    var name: String
    var attributes: [Attribute]
    var children: [SVGElement]
    var text: String?

    struct Attribute: Sendable, Equatable {
        var name: String
        var value: String
    }

    init(_ name: String, _ attributes: KeyValuePairs<String, String> = [:], text: String? = nil,
         children: [SVGElement] = []) {
        self.name = name
        self.attributes = attributes.map { Attribute(name: $0.key, value: $0.value) }
        self.children = children
        self.text = text
    }

    /// The element as indented XML.
    func rendered(indent: Int = 0) -> String {
        var output = ""
        render(into: &output, indent: indent)
        return output
    }

    private func render(into output: inout String, indent: Int) {
        let padding = String(repeating: "  ", count: indent)
        output += padding + "<" + name
        for attribute in attributes {
            output += " \(attribute.name)=\"\(Self.escape(attribute.value))\""
        }
        if children.isEmpty, text == nil {
            output += "/>\n"
            return
        }
        output += ">"
        if let text {
            output += Self.escape(text)
        }
        if !children.isEmpty {
            output += "\n"
            for child in children { child.render(into: &output, indent: indent + 1) }
            output += padding
        }
        output += "</\(name)>\n"
    }

    /// XML escaping for text and attribute values.
    static func escape(_ string: String) -> String {
        var result = ""
        result.reserveCapacity(string.utf8.count)
        for character in string {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }
}
