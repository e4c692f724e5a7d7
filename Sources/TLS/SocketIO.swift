/// A connection's reads and writes: through its TLS stream when it has one, else straight on
/// the socket — the one switch both the server's and the client's connections make.
public enum SocketIO {
    public static func read(_ fd: Int32, through tls: TLSStream?, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        if let tls { return tls.read(into: buffer) }
        return PlainStream.read(fd, into: buffer)
    }

    public static func write(_ fd: Int32, through tls: TLSStream?, _ bytes: UnsafeRawBufferPointer) -> IOResult {
        if let tls { return tls.write(bytes) }
        return PlainStream.write(fd, bytes)
    }
}
