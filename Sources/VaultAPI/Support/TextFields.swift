import JSON

extension JSONReader {
    /// A name-like text field shared by the dialects: 1–`maximumLength` code points and no control
    /// characters, which could forge lines in logs and exports. Code points, as JSON Schema's
    /// `maxLength` counts them: one Swift character can hold any number of combining marks.
    func text(_ key: String, maximumLength: Int = 100) throws(JSONFieldError) -> String {
        let value = try string(key)
        guard (1...maximumLength).contains(value.unicodeScalars.count),
              !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw invalid(key, reason: "must be 1 to \(maximumLength) characters without control characters") }
        return value
    }
}
