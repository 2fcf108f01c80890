#ifndef DEPLOYER_CSSL_SHIM_H
#define DEPLOYER_CSSL_SHIM_H
/* OpenSSL's libssl (libssl-dev): TLS for `deployer simulate azure --tls`. */
#include <openssl/ssl.h>
#include <openssl/err.h>

/* Macros in OpenSSL's headers, as functions Swift can call. */
static inline int deployer_ssl_ctx_set_min_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}
#endif
