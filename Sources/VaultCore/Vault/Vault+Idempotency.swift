import Foundation
import VaultCrypto

/// What identifies a retried request, as keyed MACs (`Vault.idempotencyRequest`): the record's
/// name, from the credential and its `Idempotency-Key`, and the MAC of the request itself.
public struct IdempotencyRequest: Sendable, Equatable {
    /// The credential's tenant, whose key made the MACs.
    public let tenant: TenantID
    /// Base64URL of the lookup MAC (`IdempotencyMAC.lookup`).
    public let lookup: String
    /// `IdempotencyMAC.request`.
    public let requestMAC: [UInt8]
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
    /// The same request, but something its response named (a card, an account, a payment method's
    /// instrument, a gateway card) was deleted since: it is neither replayed nor performed again.
    case subjectDeleted
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

/// Records a response inside the operation's write transaction (see `Vault.recorder`); the data
/// key and the time are taken before the transaction.
struct ResponseRecorder<Result>: Sendable {
    let recording: IdempotencyRecording<Result>
    let dataKey: (version: Int, key: SymmetricKey)
    let now: Date

    /// `subjects` are the identifiers of what the response names — tokens, payment-method and
    /// gateway-card ids, API-key and card-data-key ids — whose deletion neutralises the record.
    func callAsFunction(_ writer: any StorageWriter, _ result: Result, naming subjects: [String] = []) throws {
        let request = recording.request
        let response = recording.render(result)
        let sealed = RecordSealing.seal(.idempotentResponse, SecretBytes(response.body), key: dataKey.key,
                                        tenant: request.tenant, subject: request.lookup, keyVersion: dataKey.version)
        try writer.insertIdempotencyRecord(
            IdempotencyRecord(tenantID: request.tenant, lookup: request.lookup, requestMAC: request.requestMAC,
                              response: SealedResponse(status: response.status, sealedBody: sealed,
                                                       keyVersion: dataKey.version),
                              createdAt: now),
            naming: subjects)
    }
}

extension Vault {
    /// How long a recorded response is kept for retries.
    public static let idempotencyWindow: TimeInterval = 24 * 3600

    /// Identifies a POST that carries an `Idempotency-Key` by MACs under the principal's tenant's
    /// idempotency key (`IdempotencyMAC`). Only the same credential — the same API key, or the same
    /// SSO token — finds the record again; the body is MACed in a wiped buffer.
    public func idempotencyRequest(key: String, principal: Principal, method: String, route: String, path: String,
                                   body: [UInt8]) async throws -> IdempotencyRequest {
        let tenant = principal.tenantID
        let macs = try await keyring.idempotencyMAC(for: tenant, storage: storage)
        let lookup = macs.lookup(tenant: tenant, credential: principal.credential, idempotencyKey: key)
        return IdempotencyRequest(
            tenant: tenant, lookup: Base64URL.encode(lookup),
            requestMAC: macs.request(lookup: lookup, method: method, route: route, path: path, body: body))
    }

    public func idempotentResponse(for request: IdempotencyRequest) async throws -> IdempotencyLookup {
        let tenant = request.tenant
        guard let record = try await read({ try $0.idempotencyRecord(tenant: tenant, lookup: request.lookup) }) else {
            return .absent
        }
        guard constantTimeEquals(record.requestMAC, request.requestMAC) else { return .mismatch }
        guard let response = record.response else { return .subjectDeleted }
        let body = try await openSealed(.idempotentResponse, response.sealedBody, version: response.keyVersion,
                                        tenant: tenant, subject: request.lookup)
        return .replay(StoredResponse(status: response.status, body: body.bytes))
    }

    /// Prepares, outside the transaction, what recording the response needs inside it.
    func recorder<Result>(_ recording: IdempotencyRecording<Result>?) -> ResponseRecorder<Result>? {
        guard let recording, let dataKey = keyring.activeDataKey else { return nil }
        return ResponseRecorder(recording: recording, dataKey: dataKey, now: clock())
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
