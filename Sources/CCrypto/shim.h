#ifndef DEPLOYER_CCRYPTO_SHIM_H
#define DEPLOYER_CCRYPTO_SHIM_H
/* OpenSSL's libcrypto (libssl-dev): the digests and MACs deployer and its simulator need. */
#include <openssl/evp.h>
#endif
