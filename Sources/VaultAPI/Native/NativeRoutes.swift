import Foundation
import HTTPServer
import JSON
import VaultCore

/// The native API under `/vault/v1`, plus health and metrics. See docs/openapi.yaml.
enum NativeRoutes {
    static func register(in router: inout Router<RouteHandler>, vault: Vault, metrics: APIMetrics) {
        let cards = CardRoutes(vault: vault)
        router.add("POST", "/vault/v1/cards", RouteHandler(access: .role(.tokenize), run: cards.tokenize))
        router.add("GET", "/vault/v1/cards/{token}", RouteHandler(access: .anyRole([.tokenize, .reveal]), run: cards.metadata))
        router.add("POST", "/vault/v1/cards/{token}/reveal", RouteHandler(access: .role(.reveal), run: cards.reveal))
        router.add("DELETE", "/vault/v1/cards/{token}", RouteHandler(access: .role(.tokenize), run: cards.delete))
        router.add("POST", "/vault/v1/card-tokens", RouteHandler(access: .role(.tokenize), run: cards.createCardToken))

        let keys = KeyRoutes(vault: vault)
        router.add("POST", "/vault/v1/keys", RouteHandler(access: .role(.keys), run: keys.create))
        router.add("GET", "/vault/v1/keys/{keyID}", RouteHandler(access: .role(.keys), run: keys.retrieve))
        router.add("DELETE", "/vault/v1/keys/{keyID}", RouteHandler(access: .role(.keys), run: keys.delete))

        let access = AccessRoutes(vault: vault)
        router.add("POST", "/vault/v1/apikeys", RouteHandler(access: .role(.admin), run: access.createAPIKey))
        router.add("GET", "/vault/v1/apikeys", RouteHandler(access: .role(.admin), run: access.apiKeys))
        router.add("DELETE", "/vault/v1/apikeys/{id}", RouteHandler(access: .role(.admin), run: access.revokeAPIKey))
        router.add("POST", "/vault/v1/tenants", RouteHandler(access: .role(.admin), run: access.createTenant))
        let manager = Access.anyRole([.admin, .operator])
        router.add("POST", "/vault/v1/tenants/{id}/disable", RouteHandler(access: manager, run: access.disableTenant))
        router.add("POST", "/vault/v1/tenants/{id}/enable", RouteHandler(access: manager, run: access.enableTenant))

        router.add("GET", "/healthz", RouteHandler(access: .everyone) { _ in
            JSONResponse.make(.ok, ["status": "ok"])
        })
        router.add("GET", "/readyz", RouteHandler(access: .everyone) { _ in
            do {
                try await vault.checkWritable()
                return JSONResponse.make(.ok, ["status": "ready"])
            } catch {
                return APIError(status: .serviceUnavailable, code: "not_ready", message: "The store is not writable.").response
            }
        })
        router.add("GET", "/metrics", RouteHandler(access: .role(.metrics)) { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                         body: Array(try await metrics.render().utf8))
        })
    }
}

/// Timestamps as the API writes them: `2026-11-23T09:00:00Z`.
func timestamp(_ date: Date) -> JSONValue {
    .string(date.formatted(.iso8601))
}
