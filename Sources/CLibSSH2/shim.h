#ifndef DEPLOYER_CLIBSSH2_SHIM_H
#define DEPLOYER_CLIBSSH2_SHIM_H
#include <libssh2.h>
#include <libssh2_sftp.h>
/* libssh2 is built on OpenSSL's libcrypto (libssh2-1-dev depends on libssl-dev): its digests are used
   to check what was uploaded. */
#include <openssl/evp.h>
#endif
