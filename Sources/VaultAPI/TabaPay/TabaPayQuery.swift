/// TabaPay's flag query strings (`?RejectDuplicateCard+OKToAddDuplicateCard`) as HTTP libraries
/// send them: flags joined by `+`, `%2B` or `&`, each bare, with an empty value or `=true`.
/// Anything else — an unknown name, another value, an empty flag — is `400 "Query String"`.
enum TabaPayQuery {
    /// The flags `query` gives, each one of `allowed`; empty for no query string.
    static func flags(in query: String?, allowed: Set<String>) throws(TabaPayError) -> Set<String> {
        guard let query, !query.isEmpty else { return [] }
        let separated = query.replacing("%2B", with: "+").replacing("%2b", with: "+")
        var flags: Set<String> = []
        for item in separated.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "+" || $0 == "&" }) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard allowed.contains(name), parts.count == 1 || isTrue(parts[1]) else { throw .queryString }
            flags.insert(name)
        }
        return flags
    }

    /// A flag's value as a library writes a set boolean flag: empty, or `true` in any case.
    private static func isTrue(_ value: Substring) -> Bool {
        value.isEmpty || value.lowercased() == "true"
    }
}
