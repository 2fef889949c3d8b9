/*
 * Crypto-PAn: prefix-preserving pseudonyms of IPv4 and IPv6 addresses (Xu,
 * Fan, Ammar, Moon, "Prefix-Preserving IP Address Anonymization", ICNP
 * 2002), with AES-128 as the pseudorandom function, for victim privacy
 * (docs/SHARING.md). Two addresses that share a k-bit prefix get
 * pseudonyms that share a k-bit prefix, and no more.
 *
 * Written from the paper's construction: bit i of the output is bit i of the
 * input flipped by the first bit of AES_K(the input's first i bits, then the
 * secret pad's remaining bits). Not for: deciding which addresses to hide.
 */
#include <nettle/aes.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/policy.h"
#include "fenghuo/util.h"

struct fh_policy_cryptopan {
    struct aes128_ctx aes;
    uint8_t pad[16];
};

fh_policy_cryptopan *fh_policy_cryptopan_new(const uint8_t key[FH_POLICY_CRYPTOPAN_KEYLEN])
{
    fh_policy_cryptopan *c = fh_xcalloc(1, sizeof *c);
    aes128_set_encrypt_key(&c->aes, key);
    /* The pad is the second half of the key, encrypted. */
    aes128_encrypt(&c->aes, 16, c->pad, key + 16);
    return c;
}

void fh_policy_cryptopan_free(fh_policy_cryptopan *c)
{
    if (c == NULL)
        return;
    memset(c, 0, sizeof *c);
    free(c);
}

/* Pseudonym of the first bits bits of addr (len bytes, network order) into
 * out; bits is 32 or 128. */
static void anonymize(const fh_policy_cryptopan *c, const uint8_t *in, unsigned bits, uint8_t *out)
{
    uint8_t addr[16], block[16], cipher[16];
    unsigned len = bits / 8;
    memcpy(addr, in, len); /* in and out may be one buffer */
    memcpy(out, addr, len);
    for (unsigned pos = 0; pos < bits; pos++) {
        /* The first pos bits of the address, the pad's bits after them. */
        memcpy(block, c->pad, 16);
        unsigned full = pos / 8, rest = pos % 8;
        memcpy(block, addr, full);
        if (rest) {
            uint8_t mask = (uint8_t)(0xff << (8 - rest));
            block[full] = (uint8_t)((addr[full] & mask) | (c->pad[full] & (uint8_t)~mask));
        }
        aes128_encrypt(&c->aes, 16, cipher, block);
        out[pos / 8] ^= (uint8_t)((cipher[0] >> 7) << (7 - pos % 8));
    }
    memset(addr, 0, sizeof addr);
    memset(block, 0, sizeof block);
    memset(cipher, 0, sizeof cipher);
}

void fh_policy_cryptopan_v4(const fh_policy_cryptopan *c, const uint8_t in[4], uint8_t out[4])
{
    anonymize(c, in, 32, out);
}

void fh_policy_cryptopan_v6(const fh_policy_cryptopan *c, const uint8_t in[16], uint8_t out[16])
{
    anonymize(c, in, 128, out);
}
