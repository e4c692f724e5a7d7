#ifndef COFFER_COPENSSL_SHIM_H
#define COFFER_COPENSSL_SHIM_H

// Hide the deprecated low-level RSA_* / HMAC_CTX_* APIs: Coffer uses EVP only.
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

// Macros and variadic functions Swift cannot import, as inline functions.

static inline void coffer_OPENSSL_free(void *ptr) { OPENSSL_free(ptr); }

static inline EVP_PKEY *coffer_EVP_RSA_gen(unsigned int bits) { return EVP_RSA_gen(bits); }

// ---- VaultCrypto shims -------------------------------------------------------------------
#include <openssl/encoder.h>
#include <openssl/kdf.h>

static inline void coffer_OPENSSL_clear_free(void *ptr, size_t len) { OPENSSL_clear_free(ptr, len); }

// An HMAC context with its digest fixed to SHA-256, ready for EVP_MAC_init(ctx, key, len, NULL).
// The OSSL_PARAM array holds raw `char *` names, so it is built here in C, not in Swift.
static inline EVP_MAC_CTX *coffer_EVP_MAC_CTX_new_hmac_sha256(EVP_MAC *mac) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL) return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_CTX_set_params(ctx, params) != 1) { EVP_MAC_CTX_free(ctx); return NULL; }
    return ctx;
}

// An encoder writing a key pair as unencrypted PKCS#8 (PrivateKeyInfo) DER. The encoder keeps
// the type and structure name pointers, so they must be string literals, not Swift temporaries.
static inline OSSL_ENCODER_CTX *coffer_OSSL_ENCODER_CTX_new_pkcs8_der(const EVP_PKEY *pkey) {
    return OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
}
// Process hardening (VaultCrypto/ProcessHardening.swift): prctl is variadic and `environ` is a
// mutable C global, neither of which Swift imports usably.
#ifdef __linux__
#include <sys/prctl.h>
static inline int coffer_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0); }
static inline int coffer_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#endif
extern char **environ;
static inline char **coffer_environment(void) { return environ; }
// ---- end VaultCrypto shims ---------------------------------------------------------------

// ---- HTTPServer shims --------------------------------------------------------------------
// The socket layer's epoll/eventfd live in headers the Glibc module does not import.
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
// accept4(2) is declared only under _GNU_SOURCE, which cannot be defined this late.
static inline int coffer_http_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return (int)syscall(SYS_accept4, fd, address, length, flags);
}
#endif
// ---- end HTTPServer shims ----------------------------------------------------------------

// ---- TLS shims (Sources/TLS) ------------------------------------------------------------
static inline int coffer_tls_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long coffer_tls_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline int coffer_tls_SSL_CTX_get_min_proto_version(SSL_CTX *ctx) {
    return (int)SSL_CTX_get_min_proto_version(ctx);
}
// Option bits are 64-bit macros built with casts, which Swift does not import.
static inline uint64_t coffer_tls_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t coffer_tls_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t coffer_tls_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
// SNI: SSL_set_tlsext_host_name is a macro over SSL_ctrl.
static inline int coffer_tls_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
// ---- end TLS shims ------------------------------------------------------------------------

#endif
