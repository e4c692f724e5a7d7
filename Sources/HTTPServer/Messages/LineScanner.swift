/// Where a scan for the end of a line stopped.
package enum LineScan: Equatable {
    /// No CRLF yet; `scanned` content bytes are known to be free of CR and LF, so the next scan
    /// resumes there instead of re-reading the line from its start.
    case incomplete(scanned: Int)
    /// A line of `length` content bytes ends with CRLF at `start + length`.
    case complete(length: Int)
}

/// Finds CRLF-terminated lines in the receive buffer, enforcing CRLF-only line endings and a
/// length bound while the line is still arriving.
package enum LineScanner {
    /// Scans the line beginning at `start`, resuming after `scanned` already-checked bytes.
    ///
    /// Throws `bare_line_feed` for an LF not preceded by CR, `bare_carriage_return` for a CR
    /// followed by anything but LF, and `tooLong` as soon as the line has more than
    /// `maxContent` content bytes — before its end has arrived.
    package static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, scanned: Int, maxContent: Int,
        tooLong: HTTPParseError
    ) throws(HTTPParseError) -> LineScan {
        let end = bytes.count
        let bound = maxContent >= end - start ? end : start + max(0, maxContent)
        var index = start + scanned
        while index < bound {
            let byte = bytes[index]
            if byte <= ASCII.cr && (byte == ASCII.cr || byte == ASCII.lf) { break }
            index += 1
        }
        if index == end {
            return .incomplete(scanned: index - start)
        }
        let byte = bytes[index]
        if byte == ASCII.cr {
            guard index + 1 < end else { return .incomplete(scanned: index - start) }
            guard bytes[index + 1] == ASCII.lf else { throw .bareCarriageReturn }
            return .complete(length: index - start)
        }
        if byte == ASCII.lf { throw .bareLineFeed }
        // `index == bound < end` and the byte there is content: one byte over the limit.
        throw tooLong
    }
}
