/*
 * UUIDs for STIX identifiers: version 4 from the system CSPRNG for SDOs, SROs
 * and bundles; version 5 (SHA-1, RFC 4122 section 4.3) for the deterministic
 * ids of STIX Cyber-observable Objects (STIX 2.1 section 2.9).
 */
#ifndef FENGHUO_UUID_H
#define FENGHUO_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"

typedef struct fh_uuid {
    uint8_t b[16];
} fh_uuid;

#define FH_UUID_STRLEN 37 /* 36 characters and a NUL */

/* The STIX namespace for SCO ids: 00abedb4-aa42-466c-9c01-fed23315a9b7. */
extern const fh_uuid FH_UUID_STIX_SCO_NAMESPACE;

/* Random UUID. Fails only when the CSPRNG does (FH_ERR_CRYPTO). */
fh_err fh_uuid_v4(fh_uuid *out /* OUT */);
/* Name-based UUID (SHA-1) of name in namespace ns. Cannot fail. */
void fh_uuid_v5(const fh_uuid *ns, const void *name, size_t len, fh_uuid *out /* OUT */);

/* Parses the canonical 8-4-4-4-12 form, lower or upper case hex digits;
 * exactly len bytes (36). Returns FH_OK or FH_ERR_PARSE. */
fh_err fh_uuid_parse(const char *s, size_t len, fh_uuid *out /* OUT */);
/* Writes the lower-case canonical form and a NUL (FH_UUID_STRLEN bytes). */
void fh_uuid_format(const fh_uuid *u, char out[FH_UUID_STRLEN]);
/* The version nibble (1..8), as written in the UUID. */
int fh_uuid_version(const fh_uuid *u);
/* True when the variant bits are RFC 4122's (10xx). */
bool fh_uuid_is_rfc4122(const fh_uuid *u);

/* Fills buf with n bytes from the system CSPRNG (GnuTLS). */
fh_err fh_random_bytes(void *buf, size_t n);

#endif
