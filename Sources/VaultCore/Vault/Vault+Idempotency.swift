import Foundation
import VaultCrypto

/// What identifies a retried request: the calling tenant, its `Idempotency-Key` and a hash of the request.
public struct IdempotencyRequest: Sendable, Equatable {
    public var tenant: TenantID
    public var key: String
    public var requestHash: [UInt8]

    public init(tenant: TenantID, key: String, requestHash: [UInt8]) {
        self.tenant = tenant
        self.key = key
        self.requestHash = requestHash
    }
}

/// A response as first sent, replayed byte for byte on retries.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

public enum IdempotencyLookup: Sendable, Equatable {
    /// Never seen: perform the request, recording its response.
    case absent
    case replay(StoredResponse)
    /// The key was used for a different request.
    case mismatch
}

/// How a vault operation records its response for replay, in the operation's own transaction.
public struct IdempotencyRecording<Result>: Sendable {
    public var request: IdempotencyRequest
    public var render: @Sendable (Result) -> StoredResponse

    public init(_ request: IdempotencyRequest, render: @escaping @Sendable (Result) -> StoredResponse) {
        self.request = request
        self.render = render
    }
}

extension Vault {
    /// How long a recorded response is kept for retries.
    public static let idempotencyWindow: TimeInterval = 24 * 3600

    public func idempotentResponse(for request: IdempotencyRequest) async throws -> IdempotencyLookup {
        let tenant = request.tenant
        guard let record = try await read({ try $0.idempotencyRecord(tenant: tenant, key: request.key) }) else {
            return .absent
        }
        guard constantTimeEquals(record.requestHash, request.requestHash) else { return .mismatch }
        let key = try await keyring.dataKey(version: record.keyVersion, storage: storage)
        let aad = Self.idempotencyAssociatedData(tenant: tenant, key: request.key, keyVersion: record.keyVersion)
        let body = try RecordSealing.open(record.sealedBody, key: key, associatedData: aad)
        return .replay(StoredResponse(status: record.status, body: body.bytes))
    }

    /// Prepares, outside the transaction, what `record` needs inside it.
    func recorder<Result>(_ recording: IdempotencyRecording<Result>?)
        -> (@Sendable (any StorageWriter, Result) throws -> Void)? {
        guard let recording, let (version, key) = keyring.activeDataKey else { return nil }
        let tenant = recording.request.tenant
        let now = clock()
        return { writer, result in
            let response = recording.render(result)
            let aad = Self.idempotencyAssociatedData(tenant: tenant, key: recording.request.key, keyVersion: version)
            let sealed = RecordSealing.seal(SecretBytes(response.body), key: key, associatedData: aad)
            try writer.insertIdempotencyRecord(IdempotencyRecord(
                tenantID: tenant, key: recording.request.key, requestHash: recording.request.requestHash,
                status: response.status, sealedBody: sealed, keyVersion: version, createdAt: now))
        }
    }

    static func idempotencyAssociatedData(tenant: TenantID, key: String, keyVersion: Int) -> [UInt8] {
        Array("coffer-idempotency-v1|\(tenant.rawValue)|\(keyVersion)|".utf8) + Array(key.utf8)
    }

    /// Forgets expired single-use tokens, idempotency records older than the window, and the
    /// nonces of single-use SSO tokens that have expired (they are refused as expired anyway).
    public func removeExpiredRecords() async throws -> (cardTokens: Int, idempotencyRecords: Int, ssoNonces: Int) {
        let now = clock()
        return try await write { writer in
            (try writer.deleteCardTokens(expiredBefore: now),
             try writer.deleteIdempotencyRecords(before: now.addingTimeInterval(-Vault.idempotencyWindow)),
             try writer.deleteSSONonces(expiredBefore: now.addingTimeInterval(-60)))
        }
    }
}
