/*
 * Internals shared by the flow decoders: the collector's tables (exporters and
 * templates), big-endian readers, and one entry point per protocol so that
 * each fuzz target can aim at one decoder. Not a public interface.
 */
#ifndef FENGHUO_FLOW_INT_H
#define FENGHUO_FLOW_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "detect/detect-table.h"
#include "fenghuo/flow.h"

#define FH__FLOW_US 1000000ULL

#define FH__FLOW_MAX_SAMPLERS 8 /* sampler ids remembered per exporter */

static inline uint16_t fh__flow_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fh__flow_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Unsigned big-endian integer of 1..8 bytes (IPFIX reduced-size encoding). */
static inline uint64_t fh__flow_rduint(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Key of both tables: 24 bytes, compared and hashed as bytes. */
struct fh__flow_key {
    uint8_t family;
    uint8_t proto;        /* fh_flow_proto */
    uint16_t template_id; /* 0 in the exporter table */
    uint32_t domain_id;
    uint8_t addr[16];
};
_Static_assert(sizeof(struct fh__flow_key) == 24, "flow table key is 24 packed bytes");

struct fh__flow_exporter {
    struct fh__flow_key key;
    uint8_t used; /* fh__dtab's byte */
    bool seq_valid;
    bool seq_uncertain; /* IPFIX: a data set could not be counted */
    uint32_t next_seq;
    uint32_t sampling;    /* from options data or headers; 0 unknown */
    uint64_t sys_init_ms; /* IPFIX systemInitTimeMilliseconds from options; 0 unknown */
    /* Rates of the exporter's samplers, by sampler id (v9 FLOW_SAMPLER_ID 48,
     * IPFIX selectorId 302), learnt from options data; a new sampler beyond
     * FH__FLOW_MAX_SAMPLERS replaces the oldest. */
    struct {
        uint64_t id;
        uint32_t rate;
    } samplers[FH__FLOW_MAX_SAMPLERS];
    uint8_t n_samplers, next_sampler;
    fh_flow_exporter_stats st;
};

/* A template field: IE id (without the enterprise bit), length (0xffff =
 * variable), and whether it is enterprise-specific. */
struct fh__flow_field {
    uint16_t id;
    uint16_t len;
    uint8_t enterprise; /* 1: enterprise-specific, skipped */
    uint8_t pad;        /* zero, so that templates compare with memcmp */
};
_Static_assert(sizeof(struct fh__flow_field) == 6, "template fields compare as 6 bytes");

/* A field of a fixed-length flow template that means something to us: where
 * it lies in the record and what to do with it (flow-template.c's ops). */
struct fh__flow_op {
    uint32_t off;
    uint16_t len;
    uint8_t op;
};

struct fh__flow_template {
    struct fh__flow_key key;
    uint8_t used;
    bool options;
    bool varlen;
    uint16_t n_fields;
    uint16_t scope_fields;
    uint32_t min_len;              /* record length with every variable field empty */
    uint64_t seen_us;              /* last time it was sent (refreshes count) */
    struct fh__flow_field *fields; /* fh_xmalloc'd, n_fields long */
    /* Fixed-length flow templates (neither variable-length fields nor
     * options) are compiled when learnt: ops lists the fields to read, in
     * order, the others are never looked at. NULL for the other templates. */
    struct fh__flow_op *ops;
    uint16_t n_ops;
    uint16_t n_enterprise; /* enterprise fields per record (counted as skipped) */
};

/* Where the decoders' records go during one fh_flow_decode(_batch) call. */
struct fh__flow_out {
    fh_flow_record_fn one;  /* one record at a time, or */
    fh_flow_batch_fn batch; /* FH_FLOW_BATCH_MAX at a time */
    void *ctx;
    size_t n; /* records built and waiting in recs[] (batch mode only) */
};

struct fh_flow_collector {
    fh_flow_limits lim;
    fh_flow_record *recs; /* FH_FLOW_BATCH_MAX: records are built in place here */
    struct fh__flow_out out;
    struct fh__dtab exporters;
    struct fh__dtab templates;
    struct fh__flow_field *scratch; /* max_template_fields, for parsing */
    const uint8_t **vals;           /* max_template_fields: one record's values */
    uint16_t *lens;                 /* and their lengths */
    uint64_t last_sweep_us;         /* a full table is swept for expired templates once a second */
    bool general_only;              /* tests: decode every template the general way */
    fh_flow_stats st;
};

/* Counts an anomaly globally and on the exporter entry (which may be NULL). */
void fh__flow_anomaly(fh_flow_collector *c, struct fh__flow_exporter *e, fh_flow_anomaly a);

/* The exporter entry, created on first use; NULL (and an anomaly counted)
 * when the table is full. */
struct fh__flow_exporter *fh__flow_exporter_get(fh_flow_collector *c, const fh_flow_addr *addr,
                                                fh_flow_proto proto, uint32_t domain_id,
                                                uint64_t now_us);

/*
 * Sequence check: seq is the number this datagram carries, next what follows
 * it (seq + 1 or seq + records). A forward jump adds to lost; a backward one
 * is counted as a reset. The first datagram only sets the expectation.
 */
void fh__flow_sequence(fh_flow_collector *c, struct fh__flow_exporter *e, uint32_t seq,
                       uint32_t next);

/* The record a decoder fills next: uninitialized until fh__flow_record_init.
 * A decoder that gives up on it just does not emit it. */
static inline fh_flow_record *fh__flow_next_record(fh_flow_collector *c)
{
    return &c->recs[c->out.n];
}

/* Hands the record from fh__flow_next_record over (at once, or when the batch
 * is full or the datagram ends). */
static inline void fh__flow_emit(fh_flow_collector *c)
{
    if (c->out.batch) {
        if (++c->out.n == FH_FLOW_BATCH_MAX) {
            c->out.batch(c->out.ctx, c->recs, c->out.n);
            c->out.n = 0;
        }
    } else if (c->out.one) {
        c->out.one(c->out.ctx, c->recs);
    }
}

/* Zeroes r and fills the exporter and agent addresses and the sampling rate
 * default. Inline: it runs once per record. */
static inline void fh__flow_record_init(const fh_flow_collector *c, fh_flow_record *r,
                                        fh_flow_proto proto, const fh_flow_addr *exporter,
                                        uint32_t domain_id)
{
    memset(r, 0, sizeof(*r));
    r->proto = proto;
    if (exporter) {
        r->exporter = *exporter;
        r->agent = *exporter;
    }
    r->domain_id = domain_id;
    r->sampling_rate = c->lim.default_sampling;
}

/* Template cache: find (expired ones are removed and counted), store a copy of
 * the fields (replacing an older one), withdraw one or all of a domain. */
struct fh__flow_template *fh__flow_template_find(fh_flow_collector *c,
                                                 const struct fh__flow_key *key, uint64_t now_us,
                                                 bool *expired);
/* Returns the anomaly that kept it out (table full) or FH_FLOW_ANOM_NONE.
 * *changed says whether an existing template had other fields. */
fh_flow_anomaly fh__flow_template_store(fh_flow_collector *c, const struct fh__flow_key *key,
                                        bool options, uint16_t scope_fields,
                                        const struct fh__flow_field *fields, uint16_t n,
                                        uint64_t now_us, bool *changed);
/* Works out t->ops from its fields (flow-template.c); frees older ones. */
void fh__flow_template_compile(struct fh__flow_template *t);
/* Withdraws one template, or with all set every template of the key's
 * exporter, protocol and domain whose options flag is `options`. Returns how
 * many were removed. */
size_t fh__flow_template_withdraw(fh_flow_collector *c, const struct fh__flow_key *key, bool all,
                                  bool options);

/* The decoders; data starts at the version field, len >= 2. */
fh_err fh__flow_decode_netflow5(fh_flow_collector *c, const fh_flow_addr *exporter,
                                const uint8_t *data, size_t len, uint64_t now_us);
fh_err fh__flow_decode_netflow9(fh_flow_collector *c, const fh_flow_addr *exporter,
                                const uint8_t *data, size_t len, uint64_t now_us);
fh_err fh__flow_decode_ipfix(fh_flow_collector *c, const fh_flow_addr *exporter,
                             const uint8_t *data, size_t len, uint64_t now_us);
fh_err fh__flow_decode_sflow(fh_flow_collector *c, const fh_flow_addr *exporter,
                             const uint8_t *data, size_t len, uint64_t now_us);

#endif
