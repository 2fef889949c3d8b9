/*
 * Blocking: nftables sets that drop traffic from and to blocked addresses,
 * kept in step with a list of (prefix, expiry) entries through libnftables,
 * in batched transactions.
 *
 * The ruleset is a table of its own (default "inet fenghuo") with sets with
 * timeouts: addr4 and addr6 (hash sets of single addresses, cheap to update)
 * and net4 and net6 (interval sets of prefixes), and filter chains on the
 * input, forward and output hooks that drop packets whose source (input,
 * forward) or destination (forward, output) is in a set. Nothing else in the
 * host's ruleset is touched.
 */
#ifndef FENGHUO_MITIGATE_H
#define FENGHUO_MITIGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "fenghuo/err.h"
#include "fenghuo/util.h"

typedef struct fh_block {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
    uint8_t plen;
    int64_t expires; /* seconds since the epoch; 0: never */
} fh_block;

typedef struct fh_nft fh_nft;

#define FH_NFT_BATCH 5000 /* elements per transaction */

/* table: the nftables table name (in family inet). dry_run: nothing is sent
 * to the kernel; every transaction is printed to dry_out instead. */
fh_err fh_nft_new(const char *table, bool dry_run, FILE *dry_out, fh_nft **out /* OUT */,
                  fh_buf *err);
void fh_nft_free(fh_nft *n);

/* Creates (or re-creates) the table, sets and chains, and empties the sets:
 * after a restart the sets are filled again from the entries. */
fh_err fh_nft_setup(fh_nft *n, fh_buf *err);
/* Deletes the table and everything in it. */
fh_err fh_nft_teardown(fh_nft *n, fh_buf *err);

typedef struct fh_nft_stats {
    size_t added, removed, unchanged, covered; /* covered: inside a broader entry */
    size_t renewed; /* already there, given a later expiry (deleted and added atomically) */
    size_t transactions;
} fh_nft_stats;

/*
 * Makes the sets hold exactly `want` (entries already expired at `now` are
 * left out): adds what is new, deletes what is gone, and renews what lives
 * longer (its deletion and new addition in one transaction, so it is never
 * missing), in transactions of at most FH_NFT_BATCH elements. Entries inside
 * a broader entry are merged into it (interval sets refuse overlaps).
 */
fh_err fh_nft_sync(fh_nft *n, const fh_block *want, size_t count, int64_t now,
                   fh_nft_stats *st /* OUT */, fh_buf *err);

/* A sorted copy of in[0..n) (the caller frees) without entries expired at
 * now, with host bits cleared, and without entries inside a broader one
 * (which takes the later expiry); *covered counts those merged. */
fh_block *fh_block_normalize(const fh_block *in, size_t n, int64_t now, size_t *out_n /* OUT */,
                             size_t *covered /* OUT, added to */);

/* True when a and b overlap (one contains the other). */
bool fh_block_overlaps(const fh_block *a, const fh_block *b);
/* "198.51.100.0/24" (a /32 or /128 without the length). */
void fh_block_format(const fh_block *b, char out[50]);

/* ---- what to block ------------------------------------------------------ */

typedef struct fh_block_list {
    fh_block *items;
    size_t count, cap;
    size_t skipped; /* indicators or lines that give nothing to block */
} fh_block_list;

void fh_block_list_init(fh_block_list *l);
void fh_block_list_cleanup(fh_block_list *l);
/* Appends one entry (the list grows as needed). */
void fh_block_list_push(fh_block_list *l, const fh_block *b);
/* Parses an address or prefix ("198.51.100.0/24", "2001:db8::1"). */
bool fh_block_parse(const char *s, size_t len, fh_block *b /* OUT */);
/* Appends the exact IPv4/IPv6 observables of the STIX indicators in objects
 * (expiry from valid_until, else default_expires; 0 is never). */
void fh_block_from_objects(fh_block_list *l, const json_t *objects, int64_t default_expires);
/* The same from a file: STIX (bundle, envelope, array, object) or a plain
 * list of addresses and prefixes (names and bad lines are counted in
 * skipped). */
fh_err fh_block_from_file(fh_block_list *l, const char *path, int64_t default_expires, fh_buf *err);

/* ---- the allowlist -------------------------------------------------------- */

/* Appends the addresses and prefixes of a comma-separated list ("198.18.0.0/15,
 * 2001:db8::1"). FH_ERR_USAGE naming the first bad item (l keeps what came
 * before it). what names the list in the message ("--allow"). */
fh_err fh_block_list_add_text(fh_block_list *l, const char *list, const char *what, fh_buf *err);
/* Appends fh_block_default_allow. */
void fh_block_list_add_default_allow(fh_block_list *l);
/* True when b overlaps an entry of allow[0..n). */
bool fh_block_allowed(const fh_block *b, const fh_block *allow, size_t n);
/* Removes from l every entry that overlaps the allowlist: the allowlist wins
 * over any indicator. The first ten removed are logged (module `who`) as
 * "not blocking X: it overlaps the allowlist". Returns how many were removed. */
size_t fh_block_list_remove_allowed(fh_block_list *l, const fh_block *allow, size_t n,
                                    const char *who);

/* ---- feeds and exports -------------------------------------------------- */

typedef enum fh_export_format {
    FH_EXPORT_PLAIN = 0,        /* one value per line */
    FH_EXPORT_CSV,              /* type,value,indicator,valid_until,confidence,name */
    FH_EXPORT_STIX,             /* a STIX 2.1 bundle of the indicators */
    FH_EXPORT_NFT,              /* an nft script: table inet fenghuo_feed, sets feed4/feed6 */
    FH_EXPORT_IPSET,            /* an `ipset restore` file: fenghuo-feed4, fenghuo-feed6 */
    FH_EXPORT_SURICATA_RULES,   /* alert rules: addresses, dns.query, tls.sni, http.host, URLs */
    FH_EXPORT_SURICATA_DATASET, /* a dataset file of one kind (see fh_export_opts.kind) */
    FH_EXPORT_ZEEK_INTEL,       /* Zeek Intel framework TSV */
    FH_EXPORT_RPZ,              /* a DNS response policy zone (names and rpz-ip) */
    FH_EXPORT__COUNT
} fh_export_format;

typedef enum fh_export_kind {
    FH_KIND_ANY = 0,
    FH_KIND_IP,
    FH_KIND_DOMAIN,
    FH_KIND_URL,
    FH_KIND_HASH
} fh_export_kind;

typedef struct fh_export_opts {
    fh_export_kind kind; /* only entries of this kind; datasets default to domains */
    uint32_t sid_base;   /* first Suricata sid (default 9900000) */
    int64_t now;         /* indicators past valid_until at now are left out */
} fh_export_opts;

typedef struct fh_export_stats {
    size_t indicators; /* indicators read */
    size_t entries;    /* values written */
    size_t skipped;    /* indicators with nothing this format can hold */
} fh_export_stats;

fh_err fh_export_format_parse(const char *name, fh_export_format *out /* OUT */);
const char *fh_export_format_name(fh_export_format f);
fh_err fh_export_kind_parse(const char *name, fh_export_kind *out /* OUT */);

/* Writes the indicators among objects in format f to out. */
fh_err fh_export_write(fh_export_format f, const json_t *objects, const fh_export_opts *o,
                       fh_buf *out, fh_export_stats *st /* OUT */);

/* ---- imports and MISP feeds ----------------------------------------------- */

/* The TLP 2.0 marking-definition id of "clear", "green", "amber",
 * "amber+strict" or "red"; NULL for anything else. */
const char *fh_tlp_marking_id(const char *name);

/* Appends the STIX pattern for one value (an IP address or prefix, a URL
 * with a scheme, a hex digest of 32/40/64/128 digits, or a domain name).
 * FH_ERR_INVALID with a reason in *why for anything else. */
fh_err fh_value_to_pattern(const char *value, fh_buf *pattern, const char **why);

/* A new STIX indicator for value (id deterministic from the pattern), marked
 * with tlp_id (may be NULL); created is an RFC 3339 timestamp with
 * milliseconds. NULL with *why set when the value is not recognised. */
json_t *fh_import_indicator(const char *value, const char *name, const char *tlp_id,
                            const char *created, const char *valid_until, const char **why);

typedef struct fh_import_stats {
    size_t events, indicators, skipped, rejected;
} fh_import_stats;

/* Reads a MISP feed folder (manifest.json and EVENT-UUID.json files) and
 * appends an indicator per to_ids attribute of a matchable type to out. */
fh_err fh_import_misp_feed(const char *dir, const char *tlp_id, json_t *out,
                           fh_import_stats *st /* OUT, added to */, fh_buf *err);

/* Writes a MISP feed into dir (created if needed): one event per valid
 * indicator, named by its UUID, with manifest.json and hashes.csv. */
fh_err fh_export_misp_feed(const json_t *objects, int64_t now, const char *dir,
                           size_t *events /* OUT */, fh_buf *err);

/* Well-known public resolvers that are never blocked by default: blocking
 * them cuts users off DNS, and spoofed floods make them look like attackers.
 * docs/enforce.md lists them. */
extern const char *const fh_block_default_allow[];

#endif
