// Shared by every fuzz harness (compiled into each binary by scripts/fuzz.sh, not by SwiftPM).

/// Stops the run when a property of the code under test does not hold. libFuzzer reports the
/// trap as a crash and saves the input. The message is fixed text: a harness never prints the
/// input, which may look like card data.
func fuzzCheck(
    _ holds: @autoclosure () -> Bool, _ property: StaticString, file: StaticString = #fileID, line: UInt = #line
) {
    if !holds() { fatalError("property violated: \(property)", file: file, line: line) }
}

/// The fuzzer's bytes as Swift values.
struct FuzzInput {
    let bytes: [UInt8]

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The bytes as text; invalid UTF-8 becomes U+FFFD, as it would in a request handler.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The input cut at every `separator` (empty pieces kept): one input, several fields.
    func fields(separatedBy separator: UInt8, maximum: Int) -> [String] {
        bytes.split(separator: separator, maxSplits: maximum - 1, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The longest run of ASCII digits in `bytes`: an error body that carries 12 or more digits in a
/// row may be echoing a card number.
func longestDigitRun(_ bytes: some Sequence<UInt8>) -> Int {
    var longest = 0
    var current = 0
    for byte in bytes {
        current = (0x30...0x39).contains(byte) ? current + 1 : 0
        longest = max(longest, current)
    }
    return longest
}
