/*
 * The flow collector: version detection, the exporter table (statistics,
 * sequence numbers, learnt sampling rates), the template cache shared by
 * NetFlow v9 and IPFIX, and the conversion of records into what the
 * detectors take. The protocol decoders live in flow-netflow5.c,
 * flow-template.c (v9 and IPFIX) and flow-sflow.c.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/util.h"
#include "flow/flow-int.h"

static const char *const proto_names[FH_FLOW_PROTO__COUNT] = {
    [FH_FLOW_NETFLOW5] = "netflow5",
    [FH_FLOW_NETFLOW9] = "netflow9",
    [FH_FLOW_IPFIX] = "ipfix",
    [FH_FLOW_SFLOW5] = "sflow5",
};

static const char *const anomaly_names[FH_FLOW_ANOM__COUNT] = {
    [FH_FLOW_ANOM_NONE] = "none",
    [FH_FLOW_ANOM_TRUNCATED_HEADER] = "truncated_header",
    [FH_FLOW_ANOM_BAD_VERSION] = "bad_version",
    [FH_FLOW_ANOM_BAD_LENGTH] = "bad_length",
    [FH_FLOW_ANOM_BAD_SET_LENGTH] = "bad_set_length",
    [FH_FLOW_ANOM_RESERVED_SET] = "reserved_set",
    [FH_FLOW_ANOM_RECORD_PAST_END] = "record_past_end",
    [FH_FLOW_ANOM_NO_TEMPLATE] = "no_template",
    [FH_FLOW_ANOM_TEMPLATE_MALFORMED] = "template_malformed",
    [FH_FLOW_ANOM_TEMPLATE_TOO_MANY_FIELDS] = "template_too_many_fields",
    [FH_FLOW_ANOM_TEMPLATE_TOO_LONG] = "template_too_long",
    [FH_FLOW_ANOM_TEMPLATE_TABLE_FULL] = "template_table_full",
    [FH_FLOW_ANOM_TEMPLATE_EXPIRED] = "template_expired",
    [FH_FLOW_ANOM_TEMPLATE_REDEFINED] = "template_redefined",
    [FH_FLOW_ANOM_BAD_FIELD_LENGTH] = "bad_field_length",
    [FH_FLOW_ANOM_EXPORTER_TABLE_FULL] = "exporter_table_full",
    [FH_FLOW_ANOM_SEQUENCE_RESET] = "sequence_reset",
    [FH_FLOW_ANOM_SFLOW_BAD_AGENT] = "sflow_bad_agent",
    [FH_FLOW_ANOM_SFLOW_BAD_SAMPLE] = "sflow_bad_sample",
    [FH_FLOW_ANOM_SFLOW_UNKNOWN_HEADER] = "sflow_unknown_header",
    [FH_FLOW_ANOM_SAMPLED_PACKET] = "sampled_packet",
};

const char *fh_flow_proto_name(fh_flow_proto p)
{
    if ((unsigned)p >= FH_FLOW_PROTO__COUNT)
        return "unknown";
    return proto_names[p];
}

const char *fh_flow_anomaly_name(fh_flow_anomaly a)
{
    if ((unsigned)a >= FH_FLOW_ANOM__COUNT)
        return "unknown";
    return anomaly_names[a];
}

/* ---- addresses ------------------------------------------------------------ */

void fh_flow_addr_set(fh_flow_addr *a, int family, const uint8_t *bytes)
{
    memset(a, 0, sizeof(*a));
    if (family == 4) {
        a->family = 4;
        memcpy(a->addr, bytes, 4);
    } else if (family == 6) {
        a->family = 6;
        memcpy(a->addr, bytes, 16);
    }
}

void fh_flow_addr_from_sockaddr(const struct sockaddr *sa, fh_flow_addr *out)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(out, 0, sizeof(*out));
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        fh_flow_addr_set(out, 4, (const uint8_t *)&s4->sin_addr);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        const uint8_t *b = (const uint8_t *)&s6->sin6_addr;
        if (memcmp(b, mapped, 12) == 0)
            fh_flow_addr_set(out, 4, b + 12);
        else
            fh_flow_addr_set(out, 6, b);
    }
}

/* ---- collector ------------------------------------------------------------ */

void fh_flow_limits_init(fh_flow_limits *l)
{
    memset(l, 0, sizeof(*l));
    l->max_templates = 4096;
    l->max_template_fields = 128;
    l->max_record_len = 8192;
    l->max_exporters = 1024;
    l->template_timeout_s = 1800;
    l->default_sampling = 1;
}

fh_err fh_flow_collector_new(const fh_flow_limits *limits, fh_flow_collector **out,
                             const char **msg)
{
    fh_flow_limits lim;
    if (limits)
        lim = *limits;
    else
        fh_flow_limits_init(&lim);
    const char *why = NULL;
    if (lim.max_templates == 0)
        why = "max_templates must be at least 1";
    else if (lim.max_template_fields == 0 || lim.max_template_fields > 65535)
        why = "max_template_fields must be in 1..65535";
    else if (lim.max_record_len == 0)
        why = "max_record_len must be at least 1";
    else if (lim.max_exporters == 0)
        why = "max_exporters must be at least 1";
    else if (lim.template_timeout_s == 0)
        why = "template_timeout_s must be at least 1";
    else if (lim.default_sampling == 0)
        why = "default_sampling must be at least 1";
    if (msg)
        *msg = why;
    *out = NULL;
    if (why)
        return FH_ERR_INVALID;
    fh_flow_collector *c = fh_xcalloc(1, sizeof(*c));
    c->lim = lim;
    fh__dtab_init(&c->exporters, sizeof(struct fh__flow_exporter), sizeof(struct fh__flow_key),
                  lim.max_exporters);
    fh__dtab_init(&c->templates, sizeof(struct fh__flow_template), sizeof(struct fh__flow_key),
                  lim.max_templates);
    c->scratch = fh_xcalloc(lim.max_template_fields, sizeof(*c->scratch));
    c->vals = fh_xcalloc(lim.max_template_fields, sizeof(*c->vals));
    c->lens = fh_xcalloc(lim.max_template_fields, sizeof(*c->lens));
    c->recs = fh_xcalloc(FH_FLOW_BATCH_MAX, sizeof(*c->recs));
    *out = c;
    return FH_OK;
}

void fh_flow_collector_free(fh_flow_collector *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < fh__dtab_capacity(&c->templates); i++) {
        if (fh__dtab_used(&c->templates, i)) {
            struct fh__flow_template *t = fh__dtab_at(&c->templates, i);
            free(t->fields);
            free(t->ops);
        }
    }
    fh__dtab_cleanup(&c->templates);
    fh__dtab_cleanup(&c->exporters);
    free(c->scratch);
    free(c->vals);
    free(c->lens);
    free(c->recs);
    free(c);
}

void fh__flow_anomaly(fh_flow_collector *c, struct fh__flow_exporter *e, fh_flow_anomaly a)
{
    c->st.anomalies[a]++;
    if (e)
        e->st.anomalies[a]++;
}

static void make_key(struct fh__flow_key *k, const fh_flow_addr *addr, fh_flow_proto proto,
                     uint32_t domain_id, uint16_t template_id)
{
    memset(k, 0, sizeof(*k));
    k->family = addr ? addr->family : 0;
    k->proto = (uint8_t)proto;
    k->template_id = template_id;
    k->domain_id = domain_id;
    if (addr)
        memcpy(k->addr, addr->addr, 16);
}

struct fh__flow_exporter *fh__flow_exporter_get(fh_flow_collector *c, const fh_flow_addr *addr,
                                                fh_flow_proto proto, uint32_t domain_id,
                                                uint64_t now_us)
{
    struct fh__flow_key k;
    make_key(&k, addr, proto, domain_id, 0);
    bool created;
    struct fh__flow_exporter *e = fh__dtab_upsert(&c->exporters, &k, &created);
    if (e == NULL) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_EXPORTER_TABLE_FULL);
        return NULL;
    }
    if (created) {
        c->st.exporters++;
        if (addr)
            e->st.addr = *addr;
        e->st.proto = proto;
        e->st.domain_id = domain_id;
    }
    e->st.datagrams++;
    e->st.last_us = now_us;
    return e;
}

void fh__flow_sequence(fh_flow_collector *c, struct fh__flow_exporter *e, uint32_t seq,
                       uint32_t next)
{
    if (e == NULL)
        return;
    if (e->seq_valid && !e->seq_uncertain && seq != e->next_seq) {
        uint32_t ahead = seq - e->next_seq;
        if (ahead < 0x80000000u) {
            e->st.lost += ahead;
            e->st.sequence_gaps++;
        } else {
            fh__flow_anomaly(c, e, FH_FLOW_ANOM_SEQUENCE_RESET);
        }
    }
    e->seq_valid = true;
    e->seq_uncertain = false;
    e->next_seq = next;
}

/* ---- template cache ------------------------------------------------------- */

static size_t slot_of(const fh_flow_collector *c, const void *entry)
{
    return (size_t)((const uint8_t *)entry - c->templates.slots) / c->templates.esize;
}

static bool template_old(const fh_flow_collector *c, const struct fh__flow_template *t,
                         uint64_t now_us)
{
    uint64_t timeout = (uint64_t)c->lim.template_timeout_s * FH__FLOW_US;
    return now_us > t->seen_us && now_us - t->seen_us > timeout;
}

static void template_remove_at(fh_flow_collector *c, size_t i)
{
    struct fh__flow_template *t = fh__dtab_at(&c->templates, i);
    free(t->fields);
    free(t->ops);
    fh__dtab_remove_at(&c->templates, i);
}

struct fh__flow_template *fh__flow_template_find(fh_flow_collector *c,
                                                 const struct fh__flow_key *key, uint64_t now_us,
                                                 bool *expired)
{
    *expired = false;
    struct fh__flow_template *t = fh__dtab_find(&c->templates, key);
    if (t == NULL)
        return NULL;
    if (template_old(c, t, now_us)) {
        template_remove_at(c, slot_of(c, t));
        c->st.templates_expired++;
        *expired = true;
        return NULL;
    }
    return t;
}

void fh_flow_collector_expire(fh_flow_collector *c, uint64_t now_us)
{
    for (size_t i = 0; i < fh__dtab_capacity(&c->templates);) {
        if (fh__dtab_used(&c->templates, i) &&
            template_old(c, fh__dtab_at(&c->templates, i), now_us)) {
            template_remove_at(c, i);
            c->st.templates_expired++;
            continue; /* another entry may have moved into slot i */
        }
        i++;
    }
}

fh_flow_anomaly fh__flow_template_store(fh_flow_collector *c, const struct fh__flow_key *key,
                                        bool options, uint16_t scope_fields,
                                        const struct fh__flow_field *fields, uint16_t n,
                                        uint64_t now_us, bool *changed)
{
    *changed = false;
    bool created;
    struct fh__flow_template *t = fh__dtab_upsert(&c->templates, key, &created);
    if (t == NULL) {
        /* Full: make room from expired templates before giving up. A sweep
         * walks the whole table, so it runs at most once a second: a stream
         * of templates into a full table must not cost a sweep each. */
        if (now_us >= c->last_sweep_us + FH__FLOW_US || now_us < c->last_sweep_us) {
            c->last_sweep_us = now_us;
            fh_flow_collector_expire(c, now_us);
            t = fh__dtab_upsert(&c->templates, key, &created);
        }
        if (t == NULL)
            return FH_FLOW_ANOM_TEMPLATE_TABLE_FULL;
    }
    if (!created) {
        if (t->n_fields == n && t->options == options && t->scope_fields == scope_fields &&
            memcmp(t->fields, fields, n * sizeof(*fields)) == 0) {
            t->seen_us = now_us; /* a refresh */
            return FH_FLOW_ANOM_NONE;
        }
        *changed = true;
        free(t->fields);
    }
    c->st.templates_learned++;
    t->options = options;
    t->scope_fields = scope_fields;
    t->n_fields = n;
    t->seen_us = now_us;
    t->fields = fh_xmalloc(n * sizeof(*fields));
    memcpy(t->fields, fields, n * sizeof(*fields));
    t->varlen = false;
    t->min_len = 0;
    for (uint16_t i = 0; i < n; i++) {
        if (fields[i].len == 0xffff) {
            t->varlen = true;
            t->min_len += 1;
        } else {
            t->min_len += fields[i].len;
        }
    }
    fh__flow_template_compile(t);
    return FH_FLOW_ANOM_NONE;
}

size_t fh__flow_template_withdraw(fh_flow_collector *c, const struct fh__flow_key *key, bool all,
                                  bool options)
{
    if (!all) {
        struct fh__flow_template *t = fh__dtab_find(&c->templates, key);
        if (t == NULL || t->options != options)
            return 0;
        template_remove_at(c, slot_of(c, t));
        c->st.templates_withdrawn++;
        return 1;
    }
    size_t removed = 0;
    for (size_t i = 0; i < fh__dtab_capacity(&c->templates);) {
        if (fh__dtab_used(&c->templates, i)) {
            struct fh__flow_template *t = fh__dtab_at(&c->templates, i);
            if (t->key.family == key->family && t->key.proto == key->proto &&
                t->key.domain_id == key->domain_id && memcmp(t->key.addr, key->addr, 16) == 0 &&
                t->options == options) {
                template_remove_at(c, i);
                c->st.templates_withdrawn++;
                removed++;
                continue;
            }
        }
        i++;
    }
    return removed;
}

/* ---- dispatch ------------------------------------------------------------- */

static fh_err decode(fh_flow_collector *c, const fh_flow_addr *exporter, const uint8_t *data,
                     size_t len, uint64_t now_us)
{
    if (data == NULL || len < 4) {
        fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_TRUNCATED_HEADER);
        c->st.dropped_datagrams++;
        return FH_ERR_PARSE;
    }
    uint16_t v16 = fh__flow_rd16(data);
    switch (v16) {
    case 5:
        return fh__flow_decode_netflow5(c, exporter, data, len, now_us);
    case 9:
        return fh__flow_decode_netflow9(c, exporter, data, len, now_us);
    case 10:
        return fh__flow_decode_ipfix(c, exporter, data, len, now_us);
    case 0:
        /* sFlow's version is 32 bits: 00 00 00 05. Versions 2 and 4 of
         * sFlow exist but are not decoded. */
        if (fh__flow_rd32(data) == 5)
            return fh__flow_decode_sflow(c, exporter, data, len, now_us);
        break;
    default:
        break;
    }
    fh__flow_anomaly(c, NULL, FH_FLOW_ANOM_BAD_VERSION);
    c->st.dropped_datagrams++;
    return FH_ERR_PARSE;
}

fh_err fh_flow_decode(fh_flow_collector *c, const fh_flow_addr *exporter, const uint8_t *data,
                      size_t len, uint64_t now_us, fh_flow_record_fn fn, void *ctx)
{
    c->out = (struct fh__flow_out){.one = fn, .ctx = ctx};
    fh_err rc = decode(c, exporter, data, len, now_us);
    c->out = (struct fh__flow_out){0};
    return rc;
}

fh_err fh_flow_decode_batch(fh_flow_collector *c, const fh_flow_addr *exporter, const uint8_t *data,
                            size_t len, uint64_t now_us, fh_flow_batch_fn fn, void *ctx)
{
    /* Without a callback the records are still built and counted, one slot
     * at a time, as fh_flow_decode does with fn NULL. */
    c->out = (struct fh__flow_out){.batch = fn, .ctx = ctx};
    fh_err rc = decode(c, exporter, data, len, now_us);
    if (c->out.n)
        fn(ctx, c->recs, c->out.n);
    c->out = (struct fh__flow_out){0};
    return rc;
}

/* ---- statistics ----------------------------------------------------------- */

void fh_flow_collector_get_stats(const fh_flow_collector *c, fh_flow_stats *st)
{
    *st = c->st;
    st->templates_active = c->templates.count;
}

void fh_flow_collector_foreach_exporter(const fh_flow_collector *c, fh_flow_exporter_fn fn,
                                        void *ctx)
{
    for (size_t i = 0; i < fh__dtab_capacity(&c->exporters); i++) {
        if (!fh__dtab_used(&c->exporters, i))
            continue;
        const struct fh__flow_exporter *e = fh__dtab_at(&c->exporters, i);
        fh_flow_exporter_stats s = e->st;
        s.sampling_rate = e->sampling;
        fn(ctx, &s);
    }
}

fh_err fh_flow_collector_exporter(const fh_flow_collector *c, const fh_flow_addr *addr,
                                  fh_flow_proto proto, uint32_t domain_id,
                                  fh_flow_exporter_stats *st)
{
    struct fh__flow_key k;
    make_key(&k, addr, proto, domain_id, 0);
    const struct fh__flow_exporter *e = fh__dtab_find(&c->exporters, &k);
    if (e == NULL)
        return FH_ERR_NOTFOUND;
    *st = e->st;
    st->sampling_rate = e->sampling;
    return FH_OK;
}

/* ---- records for the detectors -------------------------------------------- */

static uint32_t sat_mul32(uint64_t a, uint64_t b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a > UINT32_MAX / b)
        return UINT32_MAX;
    return (uint32_t)(a * b);
}

bool fh_flow_record_to_pkt(const fh_flow_record *r, fh_pkt *pkt, uint32_t *scale, uint64_t *ts_us)
{
    uint32_t rate = r->sampling_rate ? r->sampling_rate : 1;
    *ts_us = r->end_us ? r->end_us : r->start_us;
    if (r->has_pkt) {
        *pkt = r->pkt;
        *scale = rate;
        return pkt->ip_version != 0;
    }
    memset(pkt, 0, sizeof(*pkt));
    *scale = 0;
    if (r->ip_version != 4 && r->ip_version != 6)
        return false;
    pkt->ip_version = r->ip_version;
    pkt->proto = r->ip_proto;
    pkt->tcp_flags = r->tcp_flags;
    memcpy(pkt->src, r->src, 16);
    memcpy(pkt->dst, r->dst, 16);
    pkt->sport = r->sport;
    pkt->dport = r->dport;
    pkt->icmp_type = r->icmp_type;
    pkt->icmp_code = r->icmp_code;
    pkt->first_fragment = true;
    uint64_t packets = r->packets ? r->packets : 1;
    uint64_t avg = r->bytes / packets;
    pkt->wire_len = avg > UINT32_MAX ? UINT32_MAX : (uint32_t)avg;
    pkt->ip_total_len = avg > 0xffff ? 0xffff : (uint16_t)avg;
    *scale = sat_mul32(packets, rate);
    return true;
}

uint32_t fh_flow_record_rate_scale(const fh_flow_record *r)
{
    uint32_t rate = r->sampling_rate ? r->sampling_rate : 1;
    if (r->has_pkt)
        return rate;
    uint64_t packets = r->packets ? r->packets : 1;
    uint64_t dur_us = r->end_us > r->start_us ? r->end_us - r->start_us : 0;
    uint64_t secs = (dur_us + FH__FLOW_US - 1) / FH__FLOW_US;
    if (secs > 1)
        packets = (packets + secs - 1) / secs;
    uint32_t s = sat_mul32(packets, rate);
    return s ? s : 1;
}
