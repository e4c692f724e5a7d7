// Target `json`: the strict JSON parser and the writer.
//
// Properties: a refusal points inside the input; an accepted document written out parses back
// to the same value (`parse(write(v)) == v`), and writing is canonical — writing that value again
// gives the same bytes; the writer's output is always accepted, also under the parser's limits.
// Numbers keep their exact text, and `int`/`double` agree with Swift's own parsing of it.
import JSON

private func checkNumber(_ number: JSONNumber) {
    fuzzCheck(JSONNumber(text: number.text) == number, "a number's text is a number")
    if let int = number.int {
        fuzzCheck(number.isIntegerSyntax && String(int) == number.text || number.text == "-0",
                  "an int is exactly its text")
    }
    if let double = number.double { fuzzCheck(double.isFinite, "a double is finite") }
}

private func walk(_ value: JSONValue, depth: Int) -> Int {
    switch value {
    case .number(let number):
        checkNumber(number)
        return depth
    case .array(let elements):
        return elements.map { walk($0, depth: depth + 1) }.max() ?? depth + 1
    case .object(let object):
        fuzzCheck(Set(object.keys).count == object.count, "object keys are unique")
        for (key, member) in object { fuzzCheck(object[key] == member, "a key finds its own member") }
        return object.values.map { walk($0, depth: depth + 1) }.max() ?? depth + 1
    case .null, .bool, .string:
        return depth
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let value: JSONValue
    do {
        value = try JSONParser.parse(input.bytes)
    } catch {
        fuzzCheck((0...input.bytes.count).contains(error.offset), "a refusal points inside the input")
        return 0
    }
    let limits = JSONLimits()
    fuzzCheck(walk(value, depth: 0) <= limits.maxDepth, "accepted nesting stays within the limit")
    let written = JSONWriter.write(value)
    guard let reparsed = try? JSONParser.parse(written) else {
        fuzzCheck(false, "the writer's output parses")
        return 0
    }
    fuzzCheck(reparsed == value, "parse(write(v)) == v")
    fuzzCheck(JSONWriter.write(reparsed) == written, "writing is canonical")
    fuzzCheck(JSONWriter.string(value) == String(decoding: written, as: UTF8.self), "string(v) is write(v)")
    return 0
}
