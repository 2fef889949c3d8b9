/*
 * UUIDs: v4 from GnuTLS's CSPRNG (which reads the kernel's getrandom), v5
 * with nettle's SHA-1, and the canonical text form.
 */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/sha1.h>
#include <string.h>

#include "fenghuo/uuid.h"

const fh_uuid FH_UUID_STIX_SCO_NAMESPACE = {{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c,
                                             0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}};

fh_err fh_random_bytes(void *buf, size_t n)
{
    if (gnutls_rnd(GNUTLS_RND_RANDOM, buf, n) != 0)
        return FH_ERR_CRYPTO;
    return FH_OK;
}

static void set_version(fh_uuid *u, int version)
{
    u->b[6] = (uint8_t)((u->b[6] & 0x0f) | (version << 4));
    u->b[8] = (uint8_t)((u->b[8] & 0x3f) | 0x80);
}

fh_err fh_uuid_v4(fh_uuid *out)
{
    fh_err rc = fh_random_bytes(out->b, sizeof out->b);
    if (rc)
        return rc;
    set_version(out, 4);
    return FH_OK;
}

void fh_uuid_v5(const fh_uuid *ns, const void *name, size_t len, fh_uuid *out)
{
    struct sha1_ctx ctx;
    uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_init(&ctx);
    sha1_update(&ctx, sizeof ns->b, ns->b);
    sha1_update(&ctx, len, name);
    sha1_digest(&ctx, sizeof digest, digest);
    memcpy(out->b, digest, 16);
    set_version(out, 5);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

fh_err fh_uuid_parse(const char *s, size_t len, fh_uuid *out)
{
    if (len != 36)
        return FH_ERR_PARSE;
    size_t j = 0;
    for (size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return FH_ERR_PARSE;
            i++;
            continue;
        }
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return FH_ERR_PARSE;
        out->b[j++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return FH_OK;
}

void fh_uuid_format(const fh_uuid *u, char out[FH_UUID_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[u->b[i] >> 4];
        out[k++] = hex[u->b[i] & 15];
    }
    out[k] = '\0';
}

int fh_uuid_version(const fh_uuid *u)
{
    return u->b[6] >> 4;
}

bool fh_uuid_is_rfc4122(const fh_uuid *u)
{
    return (u->b[8] & 0xc0) == 0x80;
}
