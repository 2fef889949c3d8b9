/*
 * Matching traffic against indicators: longest-prefix match over IPv4 and
 * IPv6 prefixes, domain-suffix sets, and exact sets of other strings (URLs,
 * file hashes).
 *
 * A matcher is built once from a builder and is then immutable: any number
 * of threads may look up in it without locks, and a new matcher replaces an
 * old one with one atomic pointer store by its owner. Lookups never
 * allocate. What a match returns is a rule number that the caller chose when
 * adding the entry (an index into its own table of indicators); 0 is "no
 * match", so rule numbers start at 1.
 */
#ifndef FENGHUO_MATCH_H
#define FENGHUO_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"

typedef struct fh_match_builder fh_match_builder;
typedef struct fh_match fh_match;

/* Longest domain name kept, in bytes, without the trailing dot. */
#define FH_MATCH_DOMAIN_MAX 253
/* Largest rule number: the top two bits of a table entry are flags. */
#define FH_MATCH_RULE_MAX 0x3fffffffu

typedef struct fh_match_stats {
    size_t ipv4_prefixes; /* distinct prefixes kept */
    size_t ipv6_prefixes;
    size_t domains;
    size_t strings;
    size_t duplicates;       /* entries whose key was already present (first kept) */
    size_t ipv4_tbl8_groups; /* /24s holding a /25../31 prefix */
    size_t ipv4_hosts;       /* /32s kept in the host table */
    size_t bytes;            /* memory held by the built matcher */
} fh_match_stats;

fh_match_builder *fh_match_builder_new(void);
/* Frees a builder that was not built; NULL does nothing. */
void fh_match_builder_free(fh_match_builder *b);

/* addr in network byte order (as in a packet); plen 0..32. Host bits beyond
 * plen are ignored. FH_ERR_INVALID for plen > 32 or rule 0 / too large. */
fh_err fh_match_add_ipv4(fh_match_builder *b, const uint8_t addr[4], unsigned plen, uint32_t rule);
fh_err fh_match_add_ipv6(fh_match_builder *b, const uint8_t addr[16], unsigned plen, uint32_t rule);
/* A domain matches itself and every name below it ("evil.example" matches
 * "a.b.evil.example", not "notevil.example"). Case and a trailing dot are
 * ignored. FH_ERR_INVALID for an empty name, an empty label or one over 63
 * bytes, or a name over FH_MATCH_DOMAIN_MAX. */
fh_err fh_match_add_domain(fh_match_builder *b, const char *name, size_t len, uint32_t rule);
/* An exact string of a kind the caller numbers (URL, SHA-256, ...). */
fh_err fh_match_add_string(fh_match_builder *b, unsigned kind, const char *s, size_t len,
                           uint32_t rule);

/*
 * Parses one line of a plain indicator list: an IPv4 or IPv6 address, a CIDR,
 * or a domain name (leading/trailing blanks ignored). FH_ERR_INVALID with a
 * reason in *why (static text) when it is none of these.
 */
fh_err fh_match_add_text(fh_match_builder *b, const char *line, size_t len, uint32_t rule,
                         const char **why);

/* Builds the matcher and frees the builder (in every case). Returns NULL
 * only when the builder was NULL. */
fh_match *fh_match_build(fh_match_builder *b);
void fh_match_free(fh_match *m);
void fh_match_get_stats(const fh_match *m, fh_match_stats *st /* OUT */);

/* Lookups: the rule of the longest matching prefix / deepest matching domain,
 * or 0. Thread-safe, lock-free, allocation-free. */
uint32_t fh_match_ipv4(const fh_match *m, const uint8_t addr[4]);
uint32_t fh_match_ipv6(const fh_match *m, const uint8_t addr[16]);
uint32_t fh_match_domain(const fh_match *m, const char *name, size_t len);
uint32_t fh_match_string(const fh_match *m, unsigned kind, const char *s, size_t len);

/* Looks up n IPv4 addresses (4 bytes each, packed) into rules[n]; faster
 * than n single lookups because the table reads of a batch overlap. */
void fh_match_ipv4_batch(const fh_match *m, const uint8_t (*addrs)[4], size_t n,
                         uint32_t *rules /* OUT */);

#endif
