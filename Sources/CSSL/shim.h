#ifndef DEPLOYER_CSSL_SHIM_H
#define DEPLOYER_CSSL_SHIM_H
/* OpenSSL's libssl (libssl-dev): TLS for `deployer simulate azure --tls` and for etcd over https. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* Macros in OpenSSL's headers, as functions Swift can call. */
static inline int deployer_ssl_ctx_set_min_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

static inline int deployer_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/* The oldest error on this thread's OpenSSL error queue as text, or "unknown OpenSSL error"; the
   queue is emptied. The text lives until the thread's next call. */
static inline const char *deployer_ssl_error_text(void) {
    static __thread char text[256];
    unsigned long code = ERR_get_error();
    if (code == 0) {
        snprintf(text, sizeof text, "unknown OpenSSL error");
    } else {
        ERR_error_string_n(code, text, sizeof text);
    }
    ERR_clear_error();
    return text;
}
#endif
