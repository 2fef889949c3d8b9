/*
 * The sensor pipeline: capture -> decode -> match -> detect -> events.
 *
 * Matching covers both addresses of every IP packet, DNS query names (UDP and
 * TCP port 53), the TLS ClientHello server name and the HTTP Host (and the
 * URL made of it and the request target). A match is reported at once, then
 * at most once per match_interval_s per (indicator, where, source,
 * destination) with the number of packets since the last report, so a flood
 * from a listed address does not become a flood of events; the counts still
 * add up, and what is pending is written at the end.
 *
 * The packet path has two halves (sensor-workers.h): decoding and matching
 * (fh__sensor_decode, in a worker) and everything that keeps state
 * (fh__sensor_account, in the thread that called fh_sensor_run). With one
 * worker both run in that thread; with more, sensor-workers.c runs them in
 * threads joined by rings.
 *
 * Reporting to the hub is sensor-report.c's.
 */
#include <assert.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <grp.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>

#include "detect/detect-table.h"
#include "fenghuo/json.h"
#include "fenghuo/flow.h"
#include "fenghuo/match.h"
#include "fenghuo/mitigate.h"
#include "fenghuo/net.h"
#include "fenghuo/pattern.h"
#include "fenghuo/sensor.h"
#include "fenghuo/stix.h"
#include "fenghuo/time.h"
#include "sensor/sensor-enforce.h"
#include "sensor/sensor-follow.h"
#include "sensor/sensor-report.h"
#include "sensor/sensor-workers.h"
#include "sensor/sensor-pcapfile.h"

#define US       1000000ULL
#define KIND_URL 1

enum where { W_IP_SRC, W_IP_DST, W_DNS, W_TLS, W_HTTP, W_URL, W__COUNT };
static const char *const where_names[W__COUNT] = {"ip_src",  "ip_dst",    "dns_query",
                                                  "tls_sni", "http_host", "http_url"};

/* What a pattern asks of the packet beside the value (network-traffic
 * paths, START/STOP): checked after the matcher found the value. Few rules
 * have any, so they live in a table of their own. */
struct rule_cond {
    uint8_t side; /* fh_pattern_side of an address: any, src, dst */
    bool has_port;
    uint8_t port_side;
    uint16_t port;
    uint8_t proto; /* 0: any */
    bool has_window;
    uint64_t start_us, stop_us;
};

/* 24 bytes: ten million of them are 240 MB. */
struct rule {
    size_t indicator; /* offset in the arena: "indicator--…" or "list:FILE:LINE" */
    size_t value;     /* offset in the arena */
    uint32_t cond;    /* 1 + index into conds, or 0 */
    bool exact;       /* false: one part of a pattern that needs more to match */
};

/* Matches are aggregated per (indicator entry, where, host): the host is the
 * side that is not the listed value (for an address match) or the client
 * (for a name), so "which of our machines talked to it" survives while a
 * flood from random sources stays one key per victim. The generation of
 * the snapshot whose rule numbers these are is part of the key: while the
 * matcher changes, workers that have not moved on yet still give the old
 * numbers. (A number, not the snapshot's address: the table's order, and
 * so the order of swept events, must not change from run to run.) Keys are
 * byte arrays only: no padding for memcmp. */
struct match_key {
    uint8_t rule[4];
    uint8_t where;
    uint8_t family; /* 0 in the overflow table: no host */
    uint8_t host[16];
    uint8_t gen[4]; /* fh_sensor's gen of the snapshot, big-endian */
};

struct match_state {
    struct match_key key;
    uint8_t used;
    uint8_t proto;
    uint8_t proto_family; /* of the last packet */
    uint16_t sport, dport;
    uint64_t last_emit_us;
    uint64_t pending;  /* packets since the last event */
    uint64_t first_us; /* the first of those packets */
    uint64_t last_us;
    uint8_t src[16], dst[16]; /* the last matching packet */
};

struct capture {
    pcap_t *pcap;
    char *name;
    fh_link_type link;
    bool live;
    struct fh_sensor *sensor;   /* for pcap_dispatch's callback */
    char *iobuf;                /* a capture file's stdio buffer (FILE_BUFFER) */
    struct file_reader *reader; /* a capture file's, while it is read */
};

struct file_reader;
static void reader_free(struct file_reader *r);

/* libpcap reads a file with fread, record header and packet apart, through
 * stdio's buffer (4 KiB by default: one read(2) per ~40 small packets). */
#define FILE_BUFFER ((size_t)1 << 20)

struct fh_sensor {
    fh_sensor_config cfg;
    FILE *events;
    fh_match *networks;
    /* Matcher snapshots: the newest (published to the workers with one
     * atomic store), the one replaced (freed when every worker has said it
     * moved on), and one waiting for that. Only the thread that runs the
     * sensor changes them. */
    struct fh__sensor_snapshot *snap;
    _Atomic(struct fh__sensor_snapshot *) snap_pub;
    struct fh__sensor_snapshot *retiring, *queued;
    uint32_t gen; /* of snap; retiring's is gen - 1 */
    bool running;
    struct fh__sensor_worker *workers;
    size_t n_workers;
    char **indicator_files;
    size_t n_indicator_files;
    fh_detect *detect;
    struct fh__dtab matches;
    struct fh__dtab overflow; /* (rule, where) when matches is full */
    struct capture *caps;
    size_t n_caps;
    uint64_t last_us;
    /* stats (packets: the workers count theirs; these count flow records) */
    uint64_t packets, bytes, ip_packets, match_packets, match_events, n_events;
    uint64_t anomalies[FH_ANOM__COUNT];
    uint64_t match_table_full; /* packets aggregated without their host */
    uint64_t match_unreported; /* packets counted but in no event: both tables full */
    fh__sensor_report *report;
    unsigned report_wait_s;
    fh__sensor_follow *follow;
    fh__sensor_enforce *enforce;
    unsigned enforce_ttl;
    uint32_t cur_count; /* packets the current packet or flow record stands for */
    fh_flow_collector *flows;
    int flow_fds[8];
    size_t n_flow_fds;
    uint64_t flow_records, flow_datagrams;
    bool hold_flush; /* a packet loop flushes the events after each batch */
    bool unflushed;
    fh_buf line;         /* an event line made without jansson */
    uint64_t tcache_sec; /* and the text of this second, up to the seconds */
    char tcache[FH_TIME_STRLEN];
    size_t tcache_len;
    bool tcache_ok;
};

void fh_sensor_config_init(fh_sensor_config *c)
{
    memset(c, 0, sizeof *c);
    fh_detect_config_init(&c->detect);
    c->match_interval_s = 60;
    c->max_match_keys = 65536;
    c->max_indicator_bytes = (size_t)256 << 20;
    c->snaplen = 65535;
    c->buffer_mib = 64;
    fh_tls_reasm_config_init(&c->tls_reasm);
    c->workers = 1;
}

/* ---- events ---------------------------------------------------------------- */

static void line_written(fh_sensor *s)
{
    if (s->hold_flush)
        s->unflushed = true;
    else
        fflush(s->events);
}

/* A line made without jansson (ends in a newline). */
static void write_line(fh_sensor *s, const char *line, size_t len)
{
    fwrite(line, 1, len, s->events);
    line_written(s);
}

static void write_event(fh_sensor *s, json_t *ev)
{
    if (s->report)
        fh__sensor_report_event(s->report, ev);
    if (s->enforce) {
        const char *type = fh_json_str(ev, "event_type");
        const char *who = NULL;
        if (type && strcmp(type, "scan") == 0)
            who = fh_json_str(ev, "scanner");
        else if (type && strcmp(type, "bruteforce") == 0)
            who = fh_json_str(ev, "attacker");
        if (who)
            fh__sensor_enforce_block(s->enforce, who, s->enforce_ttl);
    }
    char *line = json_dumps(ev, JSON_COMPACT);
    if (line) {
        fputs(line, s->events);
        fputc('\n', s->events);
        line_written(s);
        free(line);
    }
    s->n_events++;
}

/* The packet loops write a batch's events with one flush (a capture file's
 * match events are many: one write each cost more than making them). */
static void flush_events(fh_sensor *s)
{
    if (s->unflushed) {
        fflush(s->events);
        s->unflushed = false;
    }
}

void fh__sensor_flush_events(fh_sensor *s)
{
    flush_events(s);
}

static void detect_emit(void *ctx, json_t *ev)
{
    write_event(ctx, ev);
}

static json_t *time_json(uint64_t us)
{
    fh_time t = {.sec = (int64_t)(us / US), .nsec = (uint32_t)(us % US) * 1000, .frac_digits = 6};
    char buf[FH_TIME_STRLEN];
    fh_time_format(&t, buf, sizeof buf);
    return json_string(buf);
}

static const char *proto_name(uint8_t p)
{
    switch (p) {
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 1:
        return "icmp";
    case 58:
        return "icmpv6";
    default:
        return "other";
    }
}

static uint32_t key_gen(const struct match_key *k)
{
    return (uint32_t)k->gen[0] << 24 | (uint32_t)k->gen[1] << 16 | (uint32_t)k->gen[2] << 8 |
           k->gen[3];
}

/* The snapshot of a key's generation: the current one or the one being
 * retired (keys of older ones were written and removed before it went). */
static const struct fh__sensor_snapshot *key_snap(const fh_sensor *s, const struct match_key *k)
{
    uint32_t g = key_gen(k);
    assert(g == s->gen || (s->retiring && g == s->gen - 1));
    return g == s->gen ? s->snap : s->retiring;
}

/* Strings json_dumps writes as they are (no escape, plain ASCII). */
static bool json_plain(const char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x80 || *p == '"' || *p == '\\')
            return false;
    return true;
}

static void line_str(fh_buf *b, const char *key, const char *v)
{
    fh_buf_append_str(b, key);
    fh_buf_append_char(b, '"');
    fh_buf_append_str(b, v);
    fh_buf_append_char(b, '"');
}

static void line_uint(fh_buf *b, const char *key, uint64_t v)
{
    char d[21];
    size_t i = sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fh_buf_append_str(b, key);
    fh_buf_append(b, d + i, sizeof d - i);
}

/* fh_detect_addr_str's text (inet_ntop's), IPv4 without sprintf. */
static void addr_text(int family, const uint8_t a[16], char out[46])
{
    if (family == 6) {
        fh_detect_addr_str(family, a, out);
        return;
    }
    char *o = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            *o++ = (char)('0' + v / 100);
        if (v >= 10)
            *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        *o++ = i < 3 ? '.' : '\0';
    }
}

/* time_json's text: the second's part is made once per second. */
static void line_time(fh_sensor *s, const char *key, uint64_t us)
{
    uint64_t sec = us / US;
    if (!s->tcache_ok || s->tcache_sec != sec) {
        fh_time t = {.sec = (int64_t)sec, .nsec = 0, .frac_digits = 0};
        size_t n = fh_time_format(&t, s->tcache, sizeof s->tcache); /* "...:SSZ" */
        s->tcache_len = n ? n - 1 : 0;
        s->tcache_sec = sec;
        s->tcache_ok = true;
    }
    char frac[9] = {'.'};
    uint32_t f = (uint32_t)(us % US);
    for (int i = 6; i >= 1; i--, f /= 10)
        frac[i] = (char)('0' + f % 10);
    frac[7] = 'Z';
    fh_buf_append_str(&s->line, key);
    fh_buf_append_char(&s->line, '"');
    fh_buf_append(&s->line, s->tcache, s->tcache_len);
    fh_buf_append(&s->line, frac, 8);
    fh_buf_append_char(&s->line, '"');
}

static void emit_match_json(fh_sensor *s, const struct match_state *m, uint64_t ts_us,
                            const struct rules *rules, const struct rule *rule);

/* An indicator_match event: the line json_dumps would write for the event
 * emit_match_json builds, made directly (a capture file can give hundreds
 * of thousands: building and dumping the JSON object cost ~60,000
 * instructions each). Events that go to the hub too, and names that JSON
 * must escape, take the JSON path. */
static void emit_match(fh_sensor *s, const struct match_state *m, uint64_t ts_us)
{
    uint32_t r = (uint32_t)m->key.rule[0] << 24 | (uint32_t)m->key.rule[1] << 16 |
                 (uint32_t)m->key.rule[2] << 8 | m->key.rule[3];
    const struct rules *rules = &key_snap(s, &m->key)->rules;
    const struct rule *rule = &rules->items[r - 1];
    const char *indicator = rules->arena.data + rule->indicator;
    const char *value = rules->arena.data + rule->value;
    if (s->report || strlen(indicator) + strlen(value) > 65536 || !json_plain(indicator) ||
        !json_plain(value)) {
        emit_match_json(s, m, ts_us, rules, rule);
        return;
    }
    int family = m->key.family ? m->key.family : m->proto_family;
    char src[46], dst[46], host[46];
    addr_text(family, m->src, src);
    addr_text(family, m->dst, dst);
    fh_buf *b = &s->line;
    fh_buf_reset(b);
    fh_buf_append_str(b, "{\"event_type\":\"indicator_match\"");
    line_time(s, ",\"time\":", ts_us);
    line_str(b, ",\"indicator\":", indicator);
    line_str(b, ",\"value\":", value);
    line_str(b, ",\"where\":", where_names[m->key.where]);
    fh_buf_append_str(b, rule->exact ? ",\"exact\":true" : ",\"exact\":false");
    line_str(b, ",\"src\":", src);
    line_str(b, ",\"dst\":", dst);
    line_str(b, ",\"proto\":", proto_name(m->proto));
    line_uint(b, ",\"packets\":", m->pending);
    line_time(s, ",\"first_seen\":", m->first_us ? m->first_us : ts_us);
    if (m->key.family) {
        addr_text(m->key.family, m->key.host, host);
        line_str(b, ",\"host\":", host);
    } else {
        fh_buf_append_str(b, ",\"host\":null");
    }
    if (m->proto == 6 || m->proto == 17) {
        line_uint(b, ",\"sport\":", m->sport);
        line_uint(b, ",\"dport\":", m->dport);
    }
    fh_buf_append_str(b, "}\n");
    write_line(s, b->data, b->len); /* at most ~66 KiB: never the buffer's maximum */
    s->n_events++;
    s->match_events++;
}

static void emit_match_json(fh_sensor *s, const struct match_state *m, uint64_t ts_us,
                            const struct rules *rules, const struct rule *rule)
{
    /* The last packet's family: the key's, or (overflow) the packet's. */
    int family = m->key.family ? m->key.family : m->proto_family;
    char src[46], dst[46], host[46];
    fh_detect_addr_str(family, m->src, src);
    fh_detect_addr_str(family, m->dst, dst);
    json_t *ev = json_pack(
        "{s:s,s:o,s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:I}", "event_type", "indicator_match", "time",
        time_json(ts_us), "indicator", rules->arena.data + rule->indicator, "value",
        rules->arena.data + rule->value, "where", where_names[m->key.where], "exact", rule->exact,
        "src", src, "dst", dst, "proto", proto_name(m->proto), "packets", (json_int_t)m->pending);
    json_object_set_new(ev, "first_seen", time_json(m->first_us ? m->first_us : ts_us));
    if (m->key.family) {
        fh_detect_addr_str(m->key.family, m->key.host, host);
        json_object_set_new(ev, "host", json_string(host));
    } else {
        json_object_set_new(ev, "host", json_null()); /* aggregated over hosts */
    }
    if (m->proto == 6 || m->proto == 17) {
        json_object_set_new(ev, "sport", json_integer(m->sport));
        json_object_set_new(ev, "dport", json_integer(m->dport));
    }
    write_event(s, ev);
    json_decref(ev);
    s->match_events++;
}

static bool rule_applies(const struct rules *rules, const struct rule *rule, enum where w,
                         const fh_pkt *p, uint64_t ts_us);

/* A worker found rule (of its snapshot) at w: checked here, counted and
 * reported by the detection thread (count_match). */
static void on_match(struct fh__sensor_worker *wk, struct fh__sensor_rec *rec, uint32_t rule,
                     enum where w, const fh_pkt *p, uint64_t ts_us)
{
    if (!rule_applies(&wk->snap->rules, &wk->snap->rules.items[rule - 1], w, p, ts_us))
        return;
    if (rec->n_hits < FH__SENSOR_MAX_HITS)
        rec->hits[rec->n_hits++] = (struct fh__sensor_hit){.rule = rule, .where = (uint8_t)w};
}

static void match_key_of(struct match_key *k, uint32_t gen, uint32_t rule, enum where w,
                         const fh_pkt *p)
{
    memset(k, 0, sizeof *k);
    k->rule[0] = (uint8_t)(rule >> 24), k->rule[1] = (uint8_t)(rule >> 16);
    k->rule[2] = (uint8_t)(rule >> 8), k->rule[3] = (uint8_t)rule;
    k->where = (uint8_t)w;
    k->family = p->ip_version;
    memcpy(k->host, w == W_IP_SRC ? p->dst : p->src, 16);
    k->gen[0] = (uint8_t)(gen >> 24), k->gen[1] = (uint8_t)(gen >> 16);
    k->gen[2] = (uint8_t)(gen >> 8), k->gen[3] = (uint8_t)gen;
}

static void count_match(fh_sensor *s, uint32_t gen, uint32_t rule, enum where w, const fh_pkt *p,
                        uint64_t ts_us)
{
    struct match_key k;
    match_key_of(&k, gen, rule, w, p);
    s->match_packets += s->cur_count;
    bool created;
    struct match_state *m = fh__dtab_upsert(&s->matches, &k, &created);
    if (m == NULL) {
        /* Full: aggregate over hosts for this entry rather than lose it. */
        s->match_table_full++;
        k.family = 0;
        memset(k.host, 0, sizeof k.host); /* the generation stays in the key */
        m = fh__dtab_upsert(&s->overflow, &k, &created);
        if (m == NULL) {
            s->match_unreported++;
            return;
        }
    }
    if (m->pending == 0)
        m->first_us = ts_us;
    m->pending += s->cur_count;
    m->last_us = ts_us;
    m->sport = p->sport, m->dport = p->dport, m->proto = p->proto;
    m->proto_family = p->ip_version;
    memcpy(m->src, p->src, 16);
    memcpy(m->dst, p->dst, 16);
    if (created || ts_us - m->last_emit_us >= (uint64_t)s->cfg.match_interval_s * US) {
        emit_match(s, m, ts_us);
        m->pending = 0;
        m->last_emit_us = ts_us;
    }
}

/* Writes what is pending and forgets keys idle for two intervals (flush:
 * every key; only_old: just the keys of the snapshot being retired). */
static void sweep_table(fh_sensor *s, struct fh__dtab *t, uint64_t ts_us, bool flush, bool only_old)
{
    uint64_t iv = (uint64_t)s->cfg.match_interval_s * US;
    for (size_t i = 0; i < fh__dtab_capacity(t); i++) {
        while (fh__dtab_used(t, i)) {
            struct match_state *m = fh__dtab_at(t, i);
            if (only_old && key_gen(&m->key) == s->gen)
                break;
            if (m->pending && (flush || ts_us - m->last_emit_us >= iv)) {
                emit_match(s, m, m->last_us);
                m->pending = 0;
                m->last_emit_us = ts_us;
            }
            if (!flush && ts_us - m->last_us < 2 * iv)
                break;
            fh__dtab_remove_at(t, i);
        }
    }
}

static void matches_sweep(fh_sensor *s, uint64_t ts_us, bool flush)
{
    sweep_table(s, &s->matches, ts_us, flush, false);
    sweep_table(s, &s->overflow, ts_us, flush, false);
}

/* ---- indicators ------------------------------------------------------------- */

/* Appends s and its NUL to the arena; returns its offset. The arena has no
 * practical maximum: indicator files are bounded before they are read. */
static size_t arena_add(struct rules *r, const char *s)
{
    if (r->arena.max == 0)
        fh_buf_init(&r->arena, (size_t)1 << 40);
    /* A repeated indicator id (several observables of one pattern) is kept once. */
    if (r->count && strcmp(r->arena.data + r->items[r->count - 1].indicator, s) == 0)
        return r->items[r->count - 1].indicator;
    size_t off = r->arena.len;
    fh_buf_append(&r->arena, s, strlen(s) + 1);
    return off;
}

static uint32_t add_rule(struct rules *r, const char *indicator, const char *value, bool exact)
{
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->items = fh_xrealloc(r->items, r->cap * sizeof *r->items);
    }
    size_t ind = arena_add(r, indicator);
    size_t val = arena_add(r, value);
    r->items[r->count] = (struct rule){.indicator = ind, .value = val, .exact = exact};
    return (uint32_t)++r->count;
}

static uint64_t time_us(const fh_time *t)
{
    return t->sec < 0 ? 0 : (uint64_t)t->sec * US + t->nsec / 1000;
}

/* A rule for an observable, with the conditions it carries beside its value. */
static uint32_t add_observable_rule(struct rules *r, const char *id, const fh_pattern_observable *o)
{
    uint32_t n = add_rule(r, id, o->value, o->exact);
    struct rule_cond c = {
        .side = (uint8_t)o->side,
        .has_port = o->has_port,
        .port_side = (uint8_t)o->port_side,
        .port = o->port,
        .proto = strcmp(o->protocol, "tcp") == 0   ? 6
                 : strcmp(o->protocol, "udp") == 0 ? 17
                                                   : 0,
        .has_window = o->has_window,
    };
    if (o->has_window) {
        c.start_us = time_us(&o->start);
        c.stop_us = time_us(&o->stop);
    }
    if (c.side || c.has_port || c.proto || c.has_window) {
        if (r->n_conds == r->cap_conds) {
            r->cap_conds = r->cap_conds ? r->cap_conds * 2 : 16;
            r->conds = fh_xrealloc(r->conds, r->cap_conds * sizeof *r->conds);
        }
        r->conds[r->n_conds++] = c;
        r->items[n - 1].cond = (uint32_t)r->n_conds;
    }
    return n;
}

/* Does the packet meet what the rule asks beyond its value? */
static bool rule_applies(const struct rules *rules, const struct rule *rule, enum where w,
                         const fh_pkt *p, uint64_t ts_us)
{
    if (rule->cond == 0)
        return true;
    const struct rule_cond *r = &rules->conds[rule->cond - 1];
    if (r->side == FH_PATTERN_SIDE_SRC && w == W_IP_DST)
        return false;
    if (r->side == FH_PATTERN_SIDE_DST && w == W_IP_SRC)
        return false;
    if (r->proto && p->proto != r->proto)
        return false;
    if (r->has_port) {
        if (p->proto != 6 && p->proto != 17)
            return false;
        bool src_ok = p->sport == r->port, dst_ok = p->dport == r->port;
        if (r->port_side == FH_PATTERN_SIDE_SRC   ? !src_ok
            : r->port_side == FH_PATTERN_SIDE_DST ? !dst_ok
                                                  : !(src_ok || dst_ok))
            return false;
    }
    if (r->has_window && (ts_us < r->start_us || ts_us >= r->stop_us))
        return false;
    return true;
}

static void rules_cleanup(struct rules *r)
{
    free(r->items);
    free(r->conds);
    fh_buf_cleanup(&r->arena);
    memset(r, 0, sizeof *r);
}

struct load_counts {
    size_t entries, indicators, unmatchable, rejected;
};

static fh_err load_plain(fh_match_builder *b, struct rules *rules, const char *file,
                         const fh_buf *data, struct load_counts *lc, fh_buf *err)
{
    size_t line = 0;
    const char *p = data->data, *end = data->data + data->len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        line++;
        const char *hash = memchr(p, '#', (size_t)(e - p));
        const char *stop = hash ? hash : e;
        const char *q = p;
        while (q < stop && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < stop) {
            size_t len = (size_t)(stop - q);
            while (len && (q[len - 1] == ' ' || q[len - 1] == '\t' || q[len - 1] == '\r'))
                len--;
            char *name = fh_xasprintf("list:%s:%zu", file, line);
            char *value = fh_xstrndup(q, len);
            uint32_t r = add_rule(rules, name, value, true);
            const char *why = NULL;
            if (fh_match_add_text(b, q, len, r, &why) != FH_OK) {
                fh_buf_appendf(err, "%s:%zu: '%s': %s\n", file, line, value, why);
                lc->rejected++;
            } else {
                lc->entries++;
            }
            free(name);
            free(value);
        }
        p = nl ? nl + 1 : end;
    }
    return FH_OK;
}

/* Adds the matchable parts of the STIX indicators among objects. */
static void load_stix_objects(fh_match_builder *b, struct rules *rules, const char *file,
                              const json_t *objects, struct load_counts *lc, fh_buf *err)
{
    size_t i;
    json_t *obj;
    json_array_foreach(objects, i, obj)
    {
        const char *type = fh_json_str(obj, "type");
        if (type == NULL || strcmp(type, "indicator") != 0)
            continue;
        const char *id = fh_json_str(obj, "id");
        const char *pattern = fh_json_str(obj, "pattern");
        const char *ptype = fh_json_str(obj, "pattern_type");
        if (id == NULL || pattern == NULL || ptype == NULL || strcmp(ptype, "stix") != 0 ||
            json_is_true(json_object_get(obj, "revoked"))) {
            lc->unmatchable++;
            continue;
        }
        lc->indicators++;
        fh_pattern_error perr;
        fh_pattern_observables obs;
        fh_pattern_observables_init(&obs);
        if (fh_pattern_compile_text(pattern, &obs, &perr) != FH_OK) {
            fh_pattern_observables_cleanup(&obs);
            fh_buf_appendf(err, "%s: %s: pattern column %zu: %s\n", file, id, perr.column,
                           perr.message);
            lc->rejected++;
            continue;
        }
        size_t used = 0;
        for (size_t k = 0; k < obs.count; k++) {
            const fh_pattern_observable *o = &obs.items[k];
            uint32_t r = 0;
            fh_err arc = FH_ERR_UNSUPPORTED;
            switch (o->kind) {
            case FH_PATTERN_OBS_IPV4:
                r = add_observable_rule(rules, id, o);
                arc = fh_match_add_ipv4(b, o->addr, o->prefix, r);
                break;
            case FH_PATTERN_OBS_IPV6:
                r = add_observable_rule(rules, id, o);
                arc = fh_match_add_ipv6(b, o->addr, o->prefix, r);
                break;
            case FH_PATTERN_OBS_DOMAIN:
            case FH_PATTERN_OBS_DOMAIN_SUFFIX:
                /* A suffix pattern also matches the bare name: documented. */
                r = add_observable_rule(rules, id, o);
                arc = fh_match_add_domain(b, o->value, strlen(o->value), r);
                break;
            case FH_PATTERN_OBS_URL:
                r = add_observable_rule(rules, id, o);
                arc = fh_match_add_string(b, KIND_URL, o->value, strlen(o->value), r);
                break;
            default:
                break; /* hashes and bare ports are not seen in packets */
            }
            if (arc == FH_OK)
                used++;
        }
        lc->entries += used;
        if (used == 0)
            lc->unmatchable++;
        fh_pattern_observables_cleanup(&obs);
    }
}

static fh_err load_stix(fh_match_builder *b, struct rules *rules, const char *file,
                        const fh_buf *data, struct load_counts *lc, fh_buf *err)
{
    json_t *objects = NULL;
    fh_err rc = fh_stix_parse_all(data->data, data->len, file, &objects, err);
    if (rc)
        return rc;
    load_stix_objects(b, rules, file, objects, lc, err);
    json_decref(objects);
    return FH_OK;
}

fh_err fh__sensor_build_snapshot(const fh_sensor *s, const char *const *files, size_t n,
                                 const json_t *hub_objects, struct fh__sensor_snapshot **out,
                                 fh_buf *err)
{
    *out = NULL;
    fh_match_builder *b = fh_match_builder_new();
    struct rules rules = {0};
    struct load_counts lc = {0};
    fh_err rc = FH_OK;
    for (size_t i = 0; i < n && rc == FH_OK; i++) {
        fh_buf data;
        fh_buf_init(&data, s->cfg.max_indicator_bytes);
        rc = fh_buf_read_file(&data, files[i]);
        if (rc == FH_ERR_LIMIT)
            fh_buf_appendf(err, "%s: larger than %zu bytes (max_indicator_bytes)", files[i],
                           s->cfg.max_indicator_bytes);
        else if (rc)
            fh_buf_appendf(err, "%s: cannot read: %s", files[i], strerror(errno));
        if (rc == FH_OK) {
            size_t k = 0;
            while (k < data.len && (data.data[k] == ' ' || data.data[k] == '\n' ||
                                    data.data[k] == '\r' || data.data[k] == '\t'))
                k++;
            bool json = k < data.len && (data.data[k] == '{' || data.data[k] == '[');
            fh_buf warn;
            fh_buf_init(&warn, 1 << 20);
            rc = json ? load_stix(b, &rules, files[i], &data, &lc, &warn)
                      : load_plain(b, &rules, files[i], &data, &lc, &warn);
            if (rc)
                fh_buf_append(err, warn.data, warn.len);
            else if (warn.len) {
                warn.data[--warn.len] = '\0'; /* the last line's newline */
                fh_warn("sensor", "%s", warn.data);
            }
            fh_buf_cleanup(&warn);
        }
        fh_buf_cleanup(&data);
    }
    if (rc == FH_OK && hub_objects) {
        fh_buf warn;
        fh_buf_init(&warn, 1 << 20);
        load_stix_objects(b, &rules, "hub", hub_objects, &lc, &warn);
        if (warn.len) {
            warn.data[--warn.len] = '\0';
            fh_warn("sensor", "%s", warn.data);
        }
        fh_buf_cleanup(&warn);
    }
    if (rc) {
        fh_match_builder_free(b);
        rules_cleanup(&rules);
        return rc;
    }
    struct fh__sensor_snapshot *snap = fh_xcalloc(1, sizeof *snap);
    snap->matcher = fh_match_build(b);
    snap->rules = rules;
    fh_match_stats st;
    fh_match_get_stats(snap->matcher, &st);
    fh_info("sensor",
            "indicators: %zu entries (%zu IPv4, %zu IPv6 prefixes, %zu domains, %zu URLs) from %zu "
            "file(s)%s; %zu STIX indicators, %zu not matchable in traffic, %zu rejected",
            lc.entries, st.ipv4_prefixes, st.ipv6_prefixes, st.domains, st.strings, n,
            hub_objects ? " and the hub" : "", lc.indicators, lc.unmatchable, lc.rejected);
    *out = snap;
    return FH_OK;
}

void fh__sensor_snapshot_free(struct fh__sensor_snapshot *snap)
{
    if (snap == NULL)
        return;
    fh_match_free(snap->matcher);
    rules_cleanup(&snap->rules);
    free(snap);
}

/*
 * Puts a new matcher in place, in the thread that runs the sensor: an
 * RCU-like exchange. The new snapshot is published with one atomic store;
 * each worker takes it between two packets and then sends a
 * FH__REC_SNAPSHOT record, behind every record that used the old one. When
 * that record has come from every worker, nothing refers to the old
 * snapshot any more but the pending match counts, which are written, and it
 * is freed (retire_snapshot). One exchange runs at a time; a snapshot that
 * arrives meanwhile waits, and a newer one replaces it.
 */
static void retire_snapshot(fh_sensor *s);

static void install_snapshot(fh_sensor *s, struct fh__sensor_snapshot *snap)
{
    if (!s->running) {
        /* Set-up: no packet has been read and no worker runs. */
        fh__sensor_snapshot_free(s->snap);
        s->snap = snap;
        atomic_store_explicit(&s->snap_pub, snap, memory_order_release);
        for (size_t i = 0; i < s->n_workers; i++) {
            s->workers[i].snap = s->workers[i].consumer_snap = snap;
            s->workers[i].consumer_gen = s->gen;
        }
        return;
    }
    if (s->retiring) {
        fh__sensor_snapshot_free(s->queued);
        s->queued = snap;
        return;
    }
    s->retiring = s->snap;
    s->snap = snap;
    s->gen++;
    atomic_store_explicit(&s->snap_pub, snap, memory_order_release);
    retire_snapshot(s);
}

static void retire_snapshot(fh_sensor *s)
{
    if (s->retiring == NULL)
        return;
    for (size_t i = 0; i < s->n_workers; i++)
        if (s->workers[i].consumer_snap != s->snap)
            return;
    /* Pending match counts name rules of the old table: write them first. */
    sweep_table(s, &s->matches, s->last_us, true, true);
    sweep_table(s, &s->overflow, s->last_us, true, true);
    fh__sensor_snapshot_free(s->retiring);
    s->retiring = NULL;
    if (s->queued) {
        struct fh__sensor_snapshot *q = s->queued;
        s->queued = NULL;
        install_snapshot(s, q);
    }
}

static struct fh__sensor_snapshot *empty_snapshot(void)
{
    struct fh__sensor_snapshot *snap = fh_xcalloc(1, sizeof *snap);
    snap->matcher = fh_match_build(fh_match_builder_new());
    return snap;
}

fh_err fh_sensor_load_indicators(fh_sensor *s, const char *const *files, size_t n, fh_buf *err)
{
    struct fh__sensor_snapshot *snap = NULL;
    json_t *hub = s->follow ? fh__sensor_follow_objects(s->follow) : NULL;
    fh_err rc = fh__sensor_build_snapshot(s, files, n, hub, &snap, err);
    json_decref(hub);
    if (rc)
        return rc;
    install_snapshot(s, snap);
    if (files != (const char *const *)s->indicator_files) {
        for (size_t i = 0; i < s->n_indicator_files; i++)
            free(s->indicator_files[i]);
        free(s->indicator_files);
        s->indicator_files = fh_xcalloc(n ? n : 1, sizeof *s->indicator_files);
        for (size_t i = 0; i < n; i++)
            s->indicator_files[i] = fh_xstrdup(files[i]);
        s->n_indicator_files = n;
    }
    return FH_OK;
}

fh_err fh_sensor_reload(fh_sensor *s, fh_buf *err)
{
    return fh_sensor_load_indicators(s, (const char *const *)s->indicator_files,
                                     s->n_indicator_files, err);
}

/* ---- set-up ----------------------------------------------------------------- */

/* "0,2-3": at most FH_SENSOR_MAX_WORKERS CPU numbers, each below
 * CPU_SETSIZE. Whether they exist is known when a worker is pinned. */
fh_err fh_sensor_parse_cpus(const char *list, const char *what, int *cpus, size_t *n, fh_buf *err)
{
    const char *p = list;
    *n = 0;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0 || a >= CPU_SETSIZE)
            goto bad;
        if (*end == '-') {
            const char *q = end + 1;
            b = strtol(q, &end, 10);
            if (end == q || b < a || b >= CPU_SETSIZE)
                goto bad;
        }
        for (long c = a; c <= b; c++) {
            if (*n == FH_SENSOR_MAX_WORKERS) {
                fh_buf_appendf(err, "%s '%s': more than %d CPUs", what, list,
                               FH_SENSOR_MAX_WORKERS);
                return FH_ERR_USAGE;
            }
            cpus[(*n)++] = (int)c;
        }
        if (*end == ',' && end[1])
            end++;
        else if (*end)
            goto bad;
        p = end;
    }
    if (*n)
        return FH_OK;
bad:
    fh_buf_appendf(err, "%s '%s': give CPU numbers and ranges below %d, e.g. 0,2-3", what, list,
                   CPU_SETSIZE);
    return FH_ERR_USAGE;
}

fh_err fh_sensor_new(const fh_sensor_config *c, FILE *events, fh_sensor **out, fh_buf *err)
{
    *out = NULL;
    if (c->match_interval_s == 0 || c->max_match_keys == 0) {
        fh_buf_appendf(err, "match_interval_s and max_match_keys must be at least 1");
        return FH_ERR_INVALID;
    }
    if (c->workers < 1 || c->workers > FH_SENSOR_MAX_WORKERS) {
        fh_buf_appendf(err, "%u workers: give 1 to %d", c->workers, FH_SENSOR_MAX_WORKERS);
        return FH_ERR_INVALID;
    }
    int cpus[FH_SENSOR_MAX_WORKERS];
    size_t n_cpus = 0;
    if (c->cpus && fh_sensor_parse_cpus(c->cpus, "--cpus", cpus, &n_cpus, err) != FH_OK)
        return FH_ERR_USAGE;
    fh_sensor *s = fh_xcalloc(1, sizeof *s);
    s->cfg = *c;
    s->events = events;
    fh_buf_init(&s->line, (size_t)1 << 20);
    const char *msg = NULL;
    fh_err rc = fh_detect_new(&c->detect, detect_emit, s, &s->detect, &msg);
    if (rc) {
        fh_buf_appendf(err, "detection settings: %s", msg);
        free(s);
        return rc;
    }
    fh__dtab_init(&s->matches, sizeof(struct match_state), sizeof(struct match_key),
                  c->max_match_keys);
    fh__dtab_init(&s->overflow, sizeof(struct match_state), sizeof(struct match_key),
                  c->max_match_keys);
    s->snap = empty_snapshot();
    atomic_init(&s->snap_pub, s->snap);
    s->networks = fh_match_build(fh_match_builder_new());
    s->cur_count = 1;
    s->n_workers = c->workers;
    s->workers = fh_xcalloc(s->n_workers, sizeof *s->workers);
    for (size_t i = 0; i < s->n_workers; i++) {
        s->workers[i].index = (unsigned)i;
        s->workers[i].sensor = s;
        s->workers[i].snap = s->workers[i].consumer_snap = s->snap;
        s->workers[i].cpu = n_cpus ? cpus[i % n_cpus] : -1;
        atomic_init(&s->workers[i].stop, false);
    }
    /* Each worker reassembles the ClientHellos of the flows it is given (a
     * flow always reaches the same worker). */
    for (size_t i = 0; i < s->n_workers; i++) {
        if ((rc = fh_tls_reasm_new(&c->tls_reasm, &s->workers[i].tls_reasm, &msg)) != FH_OK) {
            fh_buf_appendf(err, "%s", msg);
            fh_sensor_free(s);
            return rc;
        }
    }
    *out = s;
    return FH_OK;
}

void fh_sensor_free(fh_sensor *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_caps; i++) {
        reader_free(s->caps[i].reader);
        pcap_close(s->caps[i].pcap); /* closes a file's FILE before its buffer goes */
        free(s->caps[i].name);
        free(s->caps[i].iobuf);
    }
    free(s->caps);
    fh_detect_free(s->detect);
    fh__dtab_cleanup(&s->matches);
    fh__dtab_cleanup(&s->overflow);
    fh_buf_cleanup(&s->line);
    fh__sensor_snapshot_free(s->snap);
    fh__sensor_snapshot_free(s->retiring);
    fh__sensor_snapshot_free(s->queued);
    for (size_t i = 0; i < s->n_workers; i++)
        fh_tls_reasm_free(s->workers[i].tls_reasm);
    free(s->workers);
    fh_match_free(s->networks);
    fh__sensor_report_free(s->report);
    fh__sensor_follow_free(s->follow);
    fh__sensor_enforce_free(s->enforce);
    for (size_t i = 0; i < s->n_flow_fds; i++)
        close(s->flow_fds[i]);
    fh_flow_collector_free(s->flows);
    for (size_t i = 0; i < s->n_indicator_files; i++)
        free(s->indicator_files[i]);
    free(s->indicator_files);
    free(s);
}

void fh_sensor_report_config_init(fh_sensor_report_config *c)
{
    memset(c, 0, sizeof *c);
    c->spool = "fenghuo-spool";
    c->valid_days = 7;
    c->wait_s = 30;
}

fh_err fh_sensor_set_report(fh_sensor *s, const fh_sensor_report_config *c, fh_buf *err)
{
    if (c->hub == NULL || c->token == NULL || c->collection == NULL) {
        fh_buf_appendf(err, "reporting needs --hub, --token and --collection together");
        return FH_ERR_USAGE;
    }
    fh__sensor_report_free(s->report);
    s->report = NULL;
    s->report_wait_s = c->wait_s;
    return fh__sensor_report_new(c, &s->report, err);
}

fh_err fh_sensor_set_follow(fh_sensor *s, const fh_sensor_follow_config *c, fh_buf *err)
{
    fh__sensor_follow_free(s->follow);
    s->follow = NULL;
    return fh__sensor_follow_new(s, c, &s->follow, err);
}

fh_err fh_sensor_set_enforce(fh_sensor *s, const char *networks, const char *allow,
                             bool no_default_allow, const char *table, bool dry_run, unsigned ttl_s,
                             fh_buf *err)
{
    /* The same allowlist as `fenghuo enforce --allow NETWORKS,ALLOW`. */
    fh_block_list list;
    fh_block_list_init(&list);
    fh_err rc = networks ? fh_block_list_add_text(&list, networks, "--networks", err) : FH_OK;
    if (rc == FH_OK && allow)
        rc = fh_block_list_add_text(&list, allow, "--enforce-allow", err);
    if (rc == FH_OK && !no_default_allow)
        fh_block_list_add_default_allow(&list);
    fh__sensor_enforce_free(s->enforce);
    s->enforce = NULL;
    s->enforce_ttl = ttl_s ? ttl_s : 3600;
    if (rc == FH_OK)
        rc = fh__sensor_enforce_new(table, list.items, list.count, dry_run, s->enforce_ttl,
                                    &s->enforce, err);
    fh_block_list_cleanup(&list);
    return rc;
}

fh_err fh_sensor_set_groups(fh_sensor *s, fh_sensor_groups *g, fh_buf *err)
{
    fh_match *prefixes = fh_match_build(g->prefixes);
    g->prefixes = NULL;
    fh_err rc = fh_detect_set_groups(s->detect, prefixes, g->thresholds, g->count);
    if (rc)
        fh_buf_appendf(err, "too many host groups (%zu); the limit is %d", g->count,
                       FH_DETECT_MAX_GROUPS);
    fh_sensor_groups_cleanup(g);
    return rc;
}

fh_err fh_sensor_set_networks(fh_sensor *s, const char *list, fh_buf *err)
{
    fh_match_builder *b = fh_match_builder_new();
    const char *p = list;
    size_t n = 0;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[128];
        if (len == 0 || len >= sizeof item) {
            fh_buf_appendf(err, "--networks: empty or overlong entry");
            fh_match_builder_free(b);
            return FH_ERR_USAGE;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        const char *why = NULL;
        /* Only addresses and prefixes: a name is not a network. */
        bool ip = strchr(item, ':') || (item[0] >= '0' && item[0] <= '9');
        if (!ip || fh_match_add_text(b, item, len, 1, &why) != FH_OK) {
            fh_buf_appendf(err, "--networks: '%s' is not an IPv4 or IPv6 prefix%s%s", item,
                           why ? ": " : "", why ? why : "");
            fh_match_builder_free(b);
            return FH_ERR_USAGE;
        }
        n++;
        p = comma ? comma + 1 : p + len;
    }
    if (n == 0) {
        fh_buf_appendf(err, "--networks: no prefix given");
        fh_match_builder_free(b);
        return FH_ERR_USAGE;
    }
    fh_match_free(s->networks);
    s->networks = fh_match_build(b);
    return FH_OK;
}

static fh_err link_of(pcap_t *p, const char *name, fh_link_type *link, fh_buf *err)
{
    int dlt = pcap_datalink(p);
    switch (dlt) {
    case DLT_EN10MB:
        *link = FH_LINK_ETHERNET;
        return FH_OK;
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
        *link = FH_LINK_RAW;
        return FH_OK;
    case DLT_LINUX_SLL:
        *link = FH_LINK_LINUX_SLL;
        return FH_OK;
    default:
        fh_buf_appendf(err,
                       "%s: link type %s (%d) is not supported (Ethernet, raw IP and Linux "
                       "cooked capture are)",
                       name, pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?",
                       dlt);
        return FH_ERR_UNSUPPORTED;
    }
}

static void add_cap(fh_sensor *s, pcap_t *p, const char *name, fh_link_type link, bool live)
{
    s->caps = fh_xrealloc(s->caps, (s->n_caps + 1) * sizeof *s->caps);
    s->caps[s->n_caps++] = (struct capture){
        .pcap = p, .name = fh_xstrdup(name), .link = link, .live = live, .sensor = s};
}

fh_err fh_sensor_open_files(fh_sensor *s, const char *const *files, size_t n, fh_buf *err)
{
    for (size_t i = 0; i < n; i++) {
        char ebuf[PCAP_ERRBUF_SIZE] = "";
        /* Opened here to give it a larger buffer; what cannot be opened so
         * (or "-", standard input) goes to libpcap, which says why. */
        FILE *f = strcmp(files[i], "-") != 0 ? fopen(files[i], "rb") : NULL;
        char *iobuf = NULL;
        pcap_t *p;
        if (f) {
            iobuf = fh_xmalloc(FILE_BUFFER);
            setvbuf(f, iobuf, _IOFBF, FILE_BUFFER);
            p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
            if (p == NULL) {
                fclose(f);
                free(iobuf);
            }
        } else {
            p = pcap_open_offline_with_tstamp_precision(files[i], PCAP_TSTAMP_PRECISION_MICRO,
                                                        ebuf);
        }
        if (p == NULL) {
            fh_buf_appendf(err, "%s: %s", files[i], ebuf);
            return FH_ERR_IO;
        }
        fh_link_type link;
        fh_err rc = link_of(p, files[i], &link, err);
        if (rc) {
            pcap_close(p);
            free(iobuf);
            return rc;
        }
        add_cap(s, p, files[i], link, false);
        s->caps[s->n_caps - 1].iobuf = iobuf;
    }
    return FH_OK;
}

static fh_err open_live_one(fh_sensor *s, const char *iface, int *fanout, fh_buf *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, ebuf);
    if (p == NULL) {
        fh_buf_appendf(err, "%s: %s", iface, ebuf);
        return FH_ERR_IO;
    }
    pcap_set_snaplen(p, s->cfg.snaplen);
    pcap_set_promisc(p, 1);
    pcap_set_timeout(p, 100);
    pcap_set_buffer_size(p, s->cfg.buffer_mib * 1024 * 1024);
    int a = pcap_activate(p);
    if (a < 0) {
        fh_buf_appendf(err, "%s: %s", iface, pcap_geterr(p));
        pcap_close(p);
        return a == PCAP_ERROR_PERM_DENIED ? FH_ERR_PERM : FH_ERR_IO;
    }
    if (s->cfg.bpf) {
        struct bpf_program prog;
        if (pcap_compile(p, &prog, s->cfg.bpf, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
            pcap_setfilter(p, &prog) != 0) {
            fh_buf_appendf(err, "--bpf '%s': %s", s->cfg.bpf, pcap_geterr(p));
            pcap_close(p);
            return FH_ERR_USAGE;
        }
        pcap_freecode(&prog);
    }
    fh_link_type link;
    fh_err rc = link_of(p, iface, &link, err);
    if (rc == FH_OK && s->n_workers > 1)
        rc = fh__sensor_join_fanout(p, iface, fanout, err);
    if (rc) {
        pcap_close(p);
        return rc;
    }
    add_cap(s, p, iface, link, true);
    return FH_OK;
}

fh_err fh_sensor_open_live(fh_sensor *s, const char *iface, fh_buf *err)
{
    for (size_t i = 0; i < s->n_caps; i++) {
        if (s->caps[i].live) {
            fh_buf_appendf(err, "%s: one live interface per sensor (%s is open)", iface,
                           s->caps[i].name);
            return FH_ERR_USAGE;
        }
    }
    if (s->n_workers > 1 && s->n_caps) {
        fh_buf_appendf(err, "--workers: capture files and a live interface cannot be mixed");
        return FH_ERR_USAGE;
    }
    int group = -1; /* the first handle makes a new fanout group */
    for (size_t i = 0; i < s->n_workers; i++) {
        fh_err rc = open_live_one(s, iface, &group, err);
        if (rc)
            return rc;
    }
    return FH_OK;
}

fh_err fh_sensor_open_flow(fh_sensor *s, const char *listen, fh_buf *err)
{
    if (s->n_flow_fds == FH_ARRAY_LEN(s->flow_fds)) {
        fh_buf_appendf(err, "at most %zu flow listeners", FH_ARRAY_LEN(s->flow_fds));
        return FH_ERR_LIMIT;
    }
    /* ADDR:PORT or [ADDR6]:PORT */
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen || (size_t)(colon - listen) >= sizeof host) {
        fh_buf_appendf(err, "'%s': give ADDRESS:PORT, e.g. 127.0.0.1:2055 or [::1]:6343", listen);
        return FH_ERR_USAGE;
    }
    const char *h = listen;
    size_t hlen = (size_t)(colon - listen);
    if (*h == '[' && hlen >= 2 && h[hlen - 1] == ']')
        h++, hlen -= 2;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    int64_t port;
    if (fh_parse_i64(colon + 1, 1, 65535, &port) != FH_OK) {
        fh_buf_appendf(err, "'%s': the port must be 1-65535", listen);
        return FH_ERR_USAGE;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t slen;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        slen = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        slen = sizeof *a6;
    } else {
        fh_buf_appendf(err, "'%s': not an IP address", host);
        return FH_ERR_USAGE;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, slen) != 0) {
        fh_buf_appendf(err, "cannot listen on %s: %s", listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        return FH_ERR_IO;
    }
    /* A large receive buffer absorbs bursts of export datagrams. */
    int rcvbuf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (s->flows == NULL) {
        fh_flow_limits lim;
        fh_flow_limits_init(&lim);
        const char *msg = NULL;
        if (fh_flow_collector_new(&lim, &s->flows, &msg) != FH_OK) {
            fh_buf_appendf(err, "flow collector: %s", msg ? msg : "?");
            close(fd);
            return FH_ERR_INTERNAL;
        }
    }
    s->flow_fds[s->n_flow_fds++] = fd;
    return FH_OK;
}

fh_err fh_sensor_drop_privileges(const char *user, const char *const *own, size_t n, fh_buf *err)
{
    if (geteuid() != 0)
        return FH_OK;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        fh_buf_appendf(err, "--user %s: no such user", user);
        return FH_ERR_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        if (own[i] && chown(own[i], pw->pw_uid, pw->pw_gid) != 0) {
            fh_buf_appendf(err, "cannot give %s to %s: %s", own[i], user, strerror(errno));
            return FH_ERR_PERM;
        }
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        fh_buf_appendf(err, "cannot drop privileges to %s: %s", user, strerror(errno));
        return FH_ERR_PERM;
    }
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        fh_buf_appendf(err, "privileges could be regained after dropping them to %s", user);
        return FH_ERR_PERM;
    }
    return FH_OK;
}

/* ---- reading capture files --------------------------------------------------- */

/*
 * libpcap reads a file one record at a time: two freads per packet (header,
 * then data) into a buffer it reuses, about 400 instructions a packet, and
 * the data is gone at the next read. Classic pcap files (the microsecond
 * and nanosecond magics, either byte order, version 2.4) are read here
 * instead, in large blocks with pread(2): records are taken where they lie
 * in the block, dozens per call, without a copy. Anything else (pcapng,
 * standard input) goes through libpcap, and so does the rest of a file from
 * its first irregular record on (a record longer than the snapshot length
 * or than libpcap's maximum, or one cut short by the end of the file):
 * libpcap's FILE is moved to that record and it truncates, reports or
 * fails exactly as it always did. What the bytes are (header, records,
 * irregular ones) is sensor-pcapfile.c's to say; here are the reads.
 */
#define READ_BLOCK ((size_t)2 << 20)
#define MAX_CAPLEN FH__PCAPFILE_MAX_CAPLEN
#define COPY_ARENA ((size_t)1 << 20)

struct file_reader {
    int fd;                /* -1: libpcap reads */
    struct fh__pcapfile f; /* the file's header facts, libpcap's snapshot length */
    uint64_t off;          /* file offset of buf[0] */
    size_t len, pos;       /* bytes in buf; the next record */
    bool eof;              /* pread found the end */
    bool failed;           /* libpcap failed after giving packets: say so at the next call */
    uint8_t *buf;          /* READ_BLOCK */
    uint8_t *arena;        /* COPY_ARENA: libpcap's packets are copied, its buffer is reused */
};

/* A reader for capture c (after fh_sensor_open_files). */
static struct file_reader *reader_new(struct capture *cap)
{
    struct file_reader *r = fh_xcalloc(1, sizeof *r);
    r->fd = -1;
    r->arena = fh_xmalloc(COPY_ARENA);
    FILE *f = cap->iobuf ? pcap_file(cap->pcap) : NULL; /* opened by us: a regular FILE */
    uint8_t gh[FH__PCAPFILE_HEADER];
    off_t at = f ? ftello(f) : -1;
    if (f && at == FH__PCAPFILE_HEADER &&
        pread(fileno(f), gh, sizeof gh, 0) == (ssize_t)sizeof gh &&
        pcap_major_version(cap->pcap) == 2 && pcap_minor_version(cap->pcap) == 4 &&
        fh__pcapfile_header(gh, sizeof gh, &r->f)) {
        int snap = pcap_snapshot(cap->pcap);
        if (snap > 0) {
            r->f.snaplen = (uint32_t)snap;
            r->fd = fileno(f);
            r->off = FH__PCAPFILE_HEADER;
            r->buf = fh_xmalloc(READ_BLOCK);
        }
    }
    return r;
}

static void reader_free(struct file_reader *r)
{
    if (r == NULL)
        return;
    free(r->buf);
    free(r->arena);
    free(r);
}

/* Keeps the unread bytes and reads as many more as fit. */
static void reader_fill(struct file_reader *r)
{
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->off += r->pos;
    r->len -= r->pos;
    r->pos = 0;
    while (!r->eof && r->len < READ_BLOCK) {
        ssize_t got = pread(r->fd, r->buf + r->len, READ_BLOCK - r->len, (off_t)(r->off + r->len));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            r->eof = true; /* an error too: libpcap meets it again and says what it is */
            break;
        }
        r->len += (size_t)got;
    }
}

/* Hands the file to libpcap from the next record on. */
static void reader_fall_back(struct capture *cap, struct file_reader *r)
{
    FILE *f = pcap_file(cap->pcap);
    if (fseeko(f, (off_t)(r->off + r->pos), SEEK_SET) != 0)
        clearerr(f);
    r->fd = -1;
}

/* Up to max packets of capture cap in raw[], their data valid until the
 * next call: > 0, 0 at the end of the file, or -1 (err says why). */
static int reader_next(struct capture *cap, struct file_reader *r, struct fh__sensor_raw *raw,
                       size_t max, fh_buf *err)
{
    size_t n = 0;
    while (r->fd >= 0 && n < max) {
        struct fh__pcapfile_rec rec;
        enum fh__pcapfile_step st = fh__pcapfile_next(&r->f, r->buf, r->len, &r->pos, r->eof, &rec);
        if (st == FH__PCAPFILE_MORE) {
            if (n) /* a refill moves what raw[] points to */
                return (int)n;
            reader_fill(r);
            st = fh__pcapfile_next(&r->f, r->buf, r->len, &r->pos, r->eof, &rec);
        }
        if (st == FH__PCAPFILE_END)
            return (int)n;
        if (st != FH__PCAPFILE_RECORD) { /* irregular, or longer than a block */
            reader_fall_back(cap, r);
            break;
        }
        raw[n++] = (struct fh__sensor_raw){
            .data = rec.data,
            .ts_us = rec.ts_us,
            .caplen = rec.caplen,
            .len = rec.len,
            .link = cap->link,
        };
    }
    if (n)
        return (int)n;
    /* libpcap's turn: each packet copied out of its buffer. */
    if (r->failed) {
        fh_buf_appendf(err, "%s: %s", cap->name, pcap_geterr(cap->pcap));
        return -1;
    }
    size_t used = 0;
    while (n < max && COPY_ARENA - used >= MAX_CAPLEN) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(cap->pcap, &h, &data);
        if (rc == PCAP_ERROR) {
            if (n) {
                r->failed = true;
                break;
            }
            fh_buf_appendf(err, "%s: %s", cap->name, pcap_geterr(cap->pcap));
            return -1;
        }
        if (rc != 1)
            break; /* the end of the file */
        uint32_t caplen = h->caplen < MAX_CAPLEN ? h->caplen : MAX_CAPLEN;
        memcpy(r->arena + used, data, caplen);
        raw[n++] = (struct fh__sensor_raw){
            .data = r->arena + used,
            .ts_us = (uint64_t)h->ts.tv_sec * US + (uint64_t)h->ts.tv_usec,
            .caplen = caplen,
            .len = h->len,
            .link = cap->link,
        };
        used += (caplen + 15) & ~(size_t)15;
    }
    return (int)n;
}

int fh__sensor_read_file(fh_sensor *s, size_t c, struct fh__sensor_raw *raw, size_t max,
                         fh_buf *err)
{
    struct capture *cap = &s->caps[c];
    if (cap->reader == NULL)
        cap->reader = reader_new(cap);
    int n = reader_next(cap, cap->reader, raw, max, err);
    if (n <= 0) {
        reader_free(cap->reader);
        cap->reader = NULL;
    }
    return n;
}

size_t fh__sensor_n_files(const fh_sensor *s)
{
    return s->n_caps;
}

/* ---- the packet path ------------------------------------------------------------ */

/* The worker half: DNS, TLS and HTTP names of one packet. */
static void match_names(struct fh__sensor_worker *w, const fh_pkt *p, uint64_t ts_us,
                        struct fh__sensor_rec *rec)
{
    if (p->payload_len == 0 || (p->proto != 6 && p->proto != 17))
        return;
    if (p->sport == 53 || p->dport == 53) {
        const uint8_t *d = p->payload;
        size_t n = p->payload_len;
        if (p->proto == 6) { /* DNS over TCP: a 2-byte length first */
            if (n < 2)
                return;
            d += 2, n -= 2;
        }
        fh_dns_msg msg;
        fh_anomaly a = fh_dns_parse(d, n, &msg);
        if (a) {
            w->anomalies[a]++;
            return;
        }
        if (msg.qname[0]) {
            uint32_t r = fh_match_domain(w->snap->matcher, msg.qname, strlen(msg.qname));
            if (r)
                on_match(w, rec, r, W_DNS, p, ts_us);
        }
        return;
    }
    if (p->proto != 6)
        return;
    char sni[FH_TLS_SNI_MAX + 1];
    bool found = false;
    fh_anomaly a = FH_ANOM_NONE;
    /* A ClientHello, whole in this segment or completed by it (net.h). */
    if (fh_tls_reasm_segment(w->tls_reasm, p, ts_us, sni, &found, &a)) {
        if (a)
            w->anomalies[a]++;
        if (found) {
            uint32_t r = fh_match_domain(w->snap->matcher, sni, strlen(sni));
            if (r)
                on_match(w, rec, r, W_TLS, p, ts_us);
        }
        return;
    }
    fh_http_req req;
    a = fh_http_request(p->payload, p->payload_len, &req, &found);
    if (a)
        w->anomalies[a]++;
    if (!found || req.host[0] == '\0')
        return;
    uint32_t r = fh_match_domain(w->snap->matcher, req.host, strlen(req.host));
    if (r)
        on_match(w, rec, r, W_HTTP, p, ts_us);
    if (req.target_len && req.target[0] == '/') {
        char url[FH_HTTP_HOST_MAX + 2048];
        int n = snprintf(url, sizeof url, "http://%s%.*s", req.host, (int)req.target_len,
                         (const char *)req.target);
        if (n > 0 && (size_t)n < sizeof url) {
            r = fh_match_string(w->snap->matcher, KIND_URL, url, (size_t)n);
            if (r)
                on_match(w, rec, r, W_URL, p, ts_us);
        }
    }
}

static uint32_t lookup_v4(const fh_match *m, const uint8_t *a)
{
    return fh_match_ipv4(m, a);
}

static uint32_t lookup_v6(const fh_match *m, const uint8_t *a)
{
    return fh_match_ipv6(m, a);
}

/* Matching of one decoded IP packet (or flow record), the worker half:
 * what it found goes into rec. */
static void match_packet(struct fh__sensor_worker *w, const fh_pkt *p, uint64_t ts_us,
                         struct fh__sensor_rec *rec)
{
    uint32_t (*lookup)(const fh_match *, const uint8_t *) =
        p->ip_version == 4 ? lookup_v4 : lookup_v6;
    rec->kind = FH__REC_PACKET;
    rec->n_hits = 0;
    rec->ts_us = ts_us;
    rec->dst_protected = lookup(w->sensor->networks, p->dst) != 0;
    rec->src_protected = lookup(w->sensor->networks, p->src) != 0;
    uint32_t r = lookup(w->snap->matcher, p->src);
    if (r)
        on_match(w, rec, r, W_IP_SRC, p, ts_us);
    r = lookup(w->snap->matcher, p->dst);
    if (r)
        on_match(w, rec, r, W_IP_DST, p, ts_us);
    match_names(w, p, ts_us, rec);
}

static bool icmp_error(const fh_pkt *p)
{
    return (p->proto == 1 && p->icmp_type == 3) || (p->proto == 58 && p->icmp_type == 1);
}

/* The record outlives the capture buffer: only an ICMP error's quote (for
 * the scan detector) is kept of the payload. */
static void keep_quote(struct fh__sensor_rec *rec)
{
    fh_pkt *p = &rec->pkt;
    if (icmp_error(p) && p->payload) {
        uint32_t n = p->payload_len < FH__SENSOR_QUOTE_MAX ? p->payload_len : FH__SENSOR_QUOTE_MAX;
        memcpy(rec->quote, p->payload, n);
        p->payload_len = n;
    } else if (icmp_error(p)) {
        p->payload_len = 0;
    }
    p->payload = NULL;
}

/* Decoding and the counters of one packet; false when it is not IP (rec is
 * then complete). */
static bool decode_head(struct fh__sensor_worker *w, fh_link_type link, uint64_t ts_us,
                        uint32_t caplen, uint32_t len, const uint8_t *data,
                        struct fh__sensor_rec *rec)
{
    if (ts_us < w->last_us)
        ts_us = w->last_us; /* keep time monotonic across files */
    w->last_us = ts_us;
    w->packets++;
    w->bytes += len;
    rec->wire_len = len;
    rec->ts_us = ts_us;
    fh_anomaly a = fh_net_decode(link, data, caplen, len, &rec->pkt);
    if (a)
        w->anomalies[a]++;
    if (rec->pkt.ip_version == 0) {
        rec->kind = FH__REC_NONIP;
        return false;
    }
    w->ip_packets++;
    rec->kind = FH__REC_PACKET;
    return true;
}

void fh__sensor_decode(struct fh__sensor_worker *w, fh_link_type link, uint64_t ts_us,
                       uint32_t caplen, uint32_t len, const uint8_t *data,
                       struct fh__sensor_rec *rec)
{
    if (!decode_head(w, link, ts_us, caplen, len, data, rec))
        return;
    match_packet(w, &rec->pkt, rec->ts_us, rec);
    keep_quote(rec);
}

/* The same as fh__sensor_decode packet by packet, in three passes: decode
 * every packet; look up the IPv4 addresses of all of them in the protected
 * networks and in the indicators (fh_match_ipv4_batch keeps dozens of the
 * tables' cache misses in flight instead of waiting for each); then finish
 * each packet in order (hits, names, the ICMP quote). What a packet gives
 * does not depend on the others of its batch. */
void fh__sensor_decode_batch(struct fh__sensor_worker *w, const struct fh__sensor_raw *raw,
                             size_t n, struct fh__sensor_rec *const *recs)
{
    assert(n <= FH__SENSOR_BATCH);
    uint8_t addrs[2 * FH__SENSOR_BATCH][4];
    uint32_t nets[2 * FH__SENSOR_BATCH], rules[2 * FH__SENSOR_BATCH];
    uint8_t slot[FH__SENSOR_BATCH]; /* of packet i's pair in addrs, if IPv4 */
    size_t n4 = 0;
    for (size_t i = 0; i < n; i++) {
        struct fh__sensor_rec *rec = recs[i];
        if (!decode_head(w, raw[i].link, raw[i].ts_us, raw[i].caplen, raw[i].len, raw[i].data,
                         rec) ||
            rec->pkt.ip_version != 4)
            continue;
        memcpy(addrs[2 * n4], rec->pkt.src, 4);
        memcpy(addrs[2 * n4 + 1], rec->pkt.dst, 4);
        slot[i] = (uint8_t)n4++;
    }
    const struct rules *rl = &w->snap->rules;
    if (n4) {
        fh_match_ipv4_batch(w->sensor->networks, (const uint8_t(*)[4])addrs, 2 * n4, nets);
        fh_match_ipv4_batch(w->snap->matcher, (const uint8_t(*)[4])addrs, 2 * n4, rules);
        for (size_t k = 0; k < 2 * n4; k++)
            if (rules[k])
                __builtin_prefetch(&rl->items[rules[k] - 1]); /* for rule_applies */
    }
    for (size_t i = 0; i < n; i++) {
        struct fh__sensor_rec *rec = recs[i];
        if (rec->kind == FH__REC_NONIP)
            continue;
        const fh_pkt *p = &rec->pkt;
        if (p->ip_version != 4) {
            match_packet(w, p, rec->ts_us, rec);
            keep_quote(rec);
            continue;
        }
        size_t k = 2 * (size_t)slot[i];
        rec->kind = FH__REC_PACKET;
        rec->n_hits = 0;
        rec->dst_protected = nets[k + 1] != 0;
        rec->src_protected = nets[k] != 0;
        if (rules[k])
            on_match(w, rec, rules[k], W_IP_SRC, p, rec->ts_us);
        if (rules[k + 1])
            on_match(w, rec, rules[k + 1], W_IP_DST, p, rec->ts_us);
        match_names(w, p, rec->ts_us, rec);
        keep_quote(rec);
    }
}

bool fh__sensor_worker_sync(struct fh__sensor_worker *w, struct fh__sensor_rec *rec)
{
    const struct fh__sensor_snapshot *cur =
        atomic_load_explicit(&w->sensor->snap_pub, memory_order_acquire);
    if (cur == w->snap)
        return false;
    w->snap = cur;
    rec->kind = FH__REC_SNAPSHOT;
    rec->snap = cur;
    return true;
}

/* The detection thread's half of one IP packet or flow record (standing for
 * s->cur_count packets; scale is what the flood detector counts). */
static void detect_rec(fh_sensor *s, uint32_t gen, struct fh__sensor_rec *rec, uint64_t ts_us,
                       uint32_t scale)
{
    fh_pkt *p = &rec->pkt;
    p->payload = icmp_error(p) && p->payload_len ? rec->quote : NULL;
    for (unsigned i = 0; i < rec->n_hits; i++)
        count_match(s, gen, rec->hits[i].rule, (enum where)rec->hits[i].where, p, ts_us);
    fh_detect_packet(s->detect, p, ts_us, rec->dst_protected, rec->src_protected, scale);
}

void fh__sensor_account(fh_sensor *s, struct fh__sensor_worker *w, struct fh__sensor_rec *rec)
{
    if (rec->kind == FH__REC_SNAPSHOT) {
        /* A marker always names the newest snapshot: the next is published
         * only when every worker has said it reads this one. */
        assert(rec->snap == s->snap);
        w->consumer_snap = rec->snap;
        w->consumer_gen = s->gen;
        retire_snapshot(s);
        return;
    }
    uint64_t ts_us = rec->ts_us;
    if (ts_us < s->last_us)
        ts_us = s->last_us; /* workers of a live capture are not in step */
    if (ts_us / US != s->last_us / US && s->last_us)
        matches_sweep(s, ts_us, false);
    s->last_us = ts_us;
    if (rec->kind == FH__REC_NONIP) {
        fh_detect_tick(s->detect, ts_us);
        return;
    }
    s->cur_count = 1;
    detect_rec(s, w->consumer_gen, rec, ts_us, 1);
}

void fh__sensor_prefetch(fh_sensor *s, const struct fh__sensor_rec *rec)
{
    if (rec->kind != FH__REC_PACKET)
        return;
    fh_detect_prefetch(s->detect, &rec->pkt, rec->dst_protected);
    /* The aggregation slots of its matches (the generation may be about
     * to change: a hint only). */
    for (unsigned i = 0; i < rec->n_hits; i++) {
        struct match_key k;
        match_key_of(&k, s->gen, rec->hits[i].rule, (enum where)rec->hits[i].where, &rec->pkt);
        fh__dtab_prefetch(&s->matches, &k);
    }
}

/* One worker in this thread: both halves, one packet at a time. */
static void inline_sync(fh_sensor *s)
{
    struct fh__sensor_rec rec;
    if (fh__sensor_worker_sync(&s->workers[0], &rec))
        fh__sensor_account(s, &s->workers[0], &rec);
}

/* Both halves for a batch of records: the detection thread asks for a
 * destination's counters a few records before it needs them. */
static void account_batch(fh_sensor *s, struct fh__sensor_worker *w,
                          struct fh__sensor_rec *const *recs, size_t n)
{
    enum { AHEAD = 6 };
    for (size_t i = 0; i < n && i < AHEAD; i++)
        fh__sensor_prefetch(s, recs[i]);
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            fh__sensor_prefetch(s, recs[i + AHEAD]);
        fh__sensor_account(s, w, recs[i]);
    }
}

/* One worker in this thread: packets are copied as they are read (the
 * capture's buffer is reused by the next read) and run a batch at a time. */
struct inline_batch {
    fh_sensor *sensor;
    fh_link_type link;
    size_t n, used;
    uint8_t *buf; /* BATCH_BYTES */
    struct fh__sensor_raw raw[FH__SENSOR_BATCH];
    struct fh__sensor_rec recs[FH__SENSOR_BATCH];
    struct fh__sensor_rec *ptrs[FH__SENSOR_BATCH];
};

/* Four of the largest packets libpcap gives (MAXIMUM_SNAPLEN, 262,144). */
#define BATCH_BYTES ((size_t)1 << 20)

static void run_batch(struct inline_batch *b)
{
    if (b->n == 0)
        return;
    fh_sensor *s = b->sensor;
    fh__sensor_decode_batch(&s->workers[0], b->raw, b->n, b->ptrs);
    account_batch(s, &s->workers[0], b->ptrs, b->n);
    b->n = 0;
    b->used = 0;
}

static void batch_add(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct inline_batch *b = (struct inline_batch *)user;
    uint32_t caplen = h->caplen < BATCH_BYTES ? h->caplen : (uint32_t)BATCH_BYTES;
    if (b->n == FH__SENSOR_BATCH || BATCH_BYTES - b->used < caplen)
        run_batch(b);
    memcpy(b->buf + b->used, data, caplen);
    b->raw[b->n] =
        (struct fh__sensor_raw){.data = b->buf + b->used,
                                .ts_us = (uint64_t)h->ts.tv_sec * US + (uint64_t)h->ts.tv_usec,
                                .caplen = caplen,
                                .len = h->len,
                                .link = b->link};
    b->used += (caplen + 15) & ~(size_t)15;
    b->n++;
}

static void packet(fh_sensor *s, fh_link_type link, const struct pcap_pkthdr *h,
                   const uint8_t *data)
{
    struct fh__sensor_rec rec;
    uint64_t ts_us = (uint64_t)h->ts.tv_sec * US + (uint64_t)h->ts.tv_usec;
    fh__sensor_decode(&s->workers[0], link, ts_us, h->caplen, h->len, data, &rec);
    fh__sensor_account(s, &s->workers[0], &rec);
}

void fh__sensor_housekeeping(fh_sensor *s, volatile sig_atomic_t *reload)
{
    if (reload && *reload) {
        *reload = 0;
        fh_buf rerr;
        fh_buf_init(&rerr, 1 << 16);
        if (fh_sensor_reload(s, &rerr) != FH_OK)
            fh_error("sensor", "reload failed, keeping the indicators loaded before: %s",
                     rerr.data ? rerr.data : "");
        fh_buf_cleanup(&rerr);
    }
    if (s->follow) {
        struct fh__sensor_snapshot *snap = fh__sensor_follow_take(s->follow);
        if (snap)
            install_snapshot(s, snap);
    }
}

void fh__sensor_idle_tick(fh_sensor *s)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    uint64_t now = (uint64_t)tv.tv_sec * US + (uint64_t)tv.tv_usec;
    if (now > s->last_us) {
        s->last_us = now;
        matches_sweep(s, now, false);
        fh_detect_tick(s->detect, now);
    }
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_stats(fh_sensor *s, double wall, json_t *extra)
{
    /* The workers' counts (they have stopped), summed and one by one. */
    uint64_t packets = s->packets, bytes = s->bytes, ip_packets = s->ip_packets;
    uint64_t drops = 0, ifdrops = 0;
    uint64_t anomalies[FH_ANOM__COUNT];
    memcpy(anomalies, s->anomalies, sizeof anomalies);
    json_t *per = json_array();
    for (size_t i = 0; i < s->n_workers; i++) {
        const struct fh__sensor_worker *w = &s->workers[i];
        packets += w->packets;
        bytes += w->bytes;
        ip_packets += w->ip_packets;
        drops += w->drops;
        /* Every socket of a fanout group reports the interface's drops. */
        ifdrops = w->ifdrops > ifdrops ? w->ifdrops : ifdrops;
        for (int k = 0; k < FH_ANOM__COUNT; k++)
            anomalies[k] += w->anomalies[k];
        json_array_append_new(per, json_pack("{s:I,s:I,s:I,s:I}", "packets", (json_int_t)w->packets,
                                             "bytes", (json_int_t)w->bytes, "drops",
                                             (json_int_t)w->drops, "ring_waits",
                                             (json_int_t)w->ring_waits));
    }
    json_t *an = json_object();
    for (int i = 1; i < FH_ANOM__COUNT; i++)
        if (anomalies[i])
            json_object_set_new(an, fh_anomaly_name((fh_anomaly)i),
                                json_integer((json_int_t)anomalies[i]));
    fh_detect_stats ds;
    fh_detect_get_stats(s->detect, &ds);
    json_t *tables = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "match_unreported", (json_int_t)s->match_unreported,
        "hosts_table_full", (json_int_t)ds.hosts_table_full, "attacks_table_full",
        (json_int_t)ds.attacks_table_full, "sources_table_full", (json_int_t)ds.sources_table_full,
        "pending_table_full", (json_int_t)ds.pending_table_full, "bruteforce_table_full",
        (json_int_t)ds.bf_table_full, "match_table_full", (json_int_t)s->match_table_full);
    fh_tls_reasm_stats ts = {0};
    for (size_t i = 0; i < s->n_workers; i++) {
        fh_tls_reasm_stats one;
        fh_tls_reasm_get_stats(s->workers[i].tls_reasm, &one);
        ts.started += one.started, ts.completed += one.completed, ts.early_sni += one.early_sni;
        ts.retransmits += one.retransmits, ts.out_of_order += one.out_of_order;
        ts.gaps += one.gaps, ts.overflow += one.overflow, ts.evictions += one.evictions;
        ts.timeouts += one.timeouts, ts.malformed += one.malformed, ts.active += one.active;
    }
    json_t *reasm = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "started", (json_int_t)ts.started,
        "completed", (json_int_t)ts.completed, "early_sni", (json_int_t)ts.early_sni, "retransmits",
        (json_int_t)ts.retransmits, "out_of_order", (json_int_t)ts.out_of_order, "gaps",
        (json_int_t)ts.gaps, "overflow", (json_int_t)ts.overflow, "evictions",
        (json_int_t)ts.evictions, "timeouts", (json_int_t)ts.timeouts, "malformed",
        (json_int_t)ts.malformed, "active", (json_int_t)ts.active);
    json_t *ev = json_pack(
        "{s:s,s:o,s:I,s:I,s:I,s:f,s:f,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "event_type", "stats", "time",
        time_json(s->last_us), "packets", (json_int_t)packets, "bytes", (json_int_t)bytes,
        "ip_packets", (json_int_t)ip_packets, "wall_seconds", wall, "pps",
        wall > 0 ? (double)packets / wall : 0.0, "drops", (json_int_t)drops, "interface_drops",
        (json_int_t)ifdrops, "indicator_match_packets", (json_int_t)s->match_packets,
        "indicator_match_events", (json_int_t)s->match_events, "anomalies", an, "tables_full",
        tables, "workers", per);
    json_object_set_new(ev, "tls_reassembly", reasm);
    if (extra)
        json_object_update(ev, extra);
    write_event(s, ev);
    json_decref(ev);
}

static uint64_t wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * US + (uint64_t)tv.tv_usec;
}

struct flow_ctx {
    fh_sensor *s;
    uint64_t now_us;
};

/* How many records ahead of detection the detectors' entries are fetched. */
#define FLOW_PREFETCH_AHEAD 8

/* One datagram's flow records or sFlow samples (a batch of them): matched
 * and counted like packets. Each is matched first, then detected in order
 * while the detectors' entries of the records a few places later are being
 * fetched: the same events as one record at a time (matching does not read
 * what detection writes), without waiting on a cache miss per record. Flow
 * records are detected at their arrival time (the detectors' clock is this
 * host's), so detection waits for the exporter's active timeout. */
static void on_flow_batch(void *ctx, const fh_flow_record *recs, size_t n)
{
    struct flow_ctx *fc = ctx;
    fh_sensor *s = fc->s;
    struct fh__sensor_rec rec[FH_FLOW_BATCH_MAX];
    uint32_t count[FH_FLOW_BATCH_MAX], scale[FH_FLOW_BATCH_MAX];
    bool ip[FH_FLOW_BATCH_MAX];
    assert(n <= FH_FLOW_BATCH_MAX);
    for (size_t i = 0; i < n; i++) {
        const fh_flow_record *r = &recs[i];
        uint64_t ts = 0;
        s->flow_records++;
        count[i] = 1;
        ip[i] = fh_flow_record_to_pkt(r, &rec[i].pkt, &count[i], &ts);
        if (!ip[i])
            continue;
        s->packets += count[i];
        s->bytes += (uint64_t)rec[i].pkt.wire_len * count[i];
        s->ip_packets += count[i];
        scale[i] = r->has_pkt ? count[i] : fh_flow_record_rate_scale(r);
        /* Flows run with one worker, in this thread: both halves here. */
        match_packet(&s->workers[0], &rec[i].pkt, fc->now_us, &rec[i]);
        keep_quote(&rec[i]);
        if (i < FLOW_PREFETCH_AHEAD)
            fh_detect_prefetch(s->detect, &rec[i].pkt, rec[i].dst_protected);
    }
    for (size_t i = 0; i < n; i++) {
        size_t ahead = i + FLOW_PREFETCH_AHEAD;
        if (ahead < n && ip[ahead])
            fh_detect_prefetch(s->detect, &rec[ahead].pkt, rec[ahead].dst_protected);
        if (!ip[i])
            continue;
        s->cur_count = count[i];
        detect_rec(s, s->workers[0].consumer_gen, &rec[i], fc->now_us, scale[i]);
    }
    s->cur_count = 1;
}

static void read_flows(fh_sensor *s, int fd, uint64_t now)
{
    uint8_t buf[65536];
    for (int n = 0; n < 64; n++) { /* bounded: let packets and ticks run too */
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t len = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
        if (len <= 0)
            return;
        s->flow_datagrams++;
        fh_flow_addr exporter;
        fh_flow_addr_from_sockaddr((struct sockaddr *)&from, &exporter);
        struct flow_ctx fc = {s, now};
        fh_flow_decode_batch(s->flows, &exporter, buf, (size_t)len, now, on_flow_batch, &fc);
    }
}

static void on_live_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct capture *cap = (struct capture *)user;
    packet(cap->sensor, cap->link, h, data);
}

static void exporter_json(void *ctx, const fh_flow_exporter_stats *e)
{
    char addr[46];
    fh_detect_addr_str(e->addr.family, e->addr.addr, addr);
    json_array_append_new(
        ctx, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "exporter", addr, "protocol",
                       fh_flow_proto_name(e->proto), "domain", (json_int_t)e->domain_id,
                       "datagrams", (json_int_t)e->datagrams, "records", (json_int_t)e->records,
                       "lost", (json_int_t)e->lost, "sampling_rate", (json_int_t)e->sampling_rate));
}

static json_t *flow_stats(fh_sensor *s)
{
    fh_flow_stats st;
    fh_flow_collector_get_stats(s->flows, &st);
    json_t *an = json_object();
    for (int i = 1; i < FH_FLOW_ANOM__COUNT; i++)
        if (st.anomalies[i])
            json_object_set_new(an, fh_flow_anomaly_name((fh_flow_anomaly)i),
                                json_integer((json_int_t)st.anomalies[i]));
    json_t *per = json_object();
    for (int i = 0; i < FH_FLOW_PROTO__COUNT; i++)
        if (st.datagrams[i])
            json_object_set_new(per, fh_flow_proto_name((fh_flow_proto)i),
                                json_pack("{s:I,s:I}", "datagrams", (json_int_t)st.datagrams[i],
                                          "records", (json_int_t)st.records[i]));
    json_t *exporters = json_array();
    fh_flow_collector_foreach_exporter(s->flows, exporter_json, exporters);
    return json_pack("{s:I,s:I,s:o,s:I,s:o,s:o}", "datagrams", (json_int_t)s->flow_datagrams,
                     "records", (json_int_t)s->flow_records, "by_protocol", per, "templates_active",
                     (json_int_t)st.templates_active, "anomalies", an, "exporters", exporters);
}

/* Flow listeners, and at most one live interface beside them, until stop. */
static fh_err run_flows(fh_sensor *s, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                        fh_buf *err)
{
    struct pollfd fds[FH_ARRAY_LEN(s->flow_fds) + 1];
    size_t n = 0;
    for (size_t i = 0; i < s->n_flow_fds; i++)
        fds[n++] = (struct pollfd){.fd = s->flow_fds[i], .events = POLLIN};
    struct capture *live = NULL;
    for (size_t c = 0; c < s->n_caps; c++) {
        if (!s->caps[c].live) {
            fh_buf_appendf(err, "capture files and flow listeners cannot be mixed: files run "
                                "on packet time, flows on this host's clock");
            return FH_ERR_USAGE;
        }
        live = &s->caps[c];
    }
    if (live) {
        char ebuf[PCAP_ERRBUF_SIZE];
        pcap_setnonblock(live->pcap, 1, ebuf);
        int pfd = pcap_get_selectable_fd(live->pcap);
        if (pfd < 0) {
            fh_buf_appendf(err, "%s: cannot be polled beside flow listeners", live->name);
            return FH_ERR_UNSUPPORTED;
        }
        live->sensor = s;
        fds[n++] = (struct pollfd){.fd = pfd, .events = POLLIN};
    }
    uint64_t last_expire = 0;
    while (!(stop && *stop)) {
        fh__sensor_housekeeping(s, reload);
        inline_sync(s);
        int r = poll(fds, n, 100);
        uint64_t now = wall_us();
        if (now < s->last_us)
            now = s->last_us;
        if (r > 0) {
            for (size_t i = 0; i < s->n_flow_fds; i++)
                if (fds[i].revents & POLLIN)
                    read_flows(s, fds[i].fd, now);
            if (live && (fds[n - 1].revents & POLLIN))
                pcap_dispatch(live->pcap, 1000, on_live_packet, (u_char *)live);
        }
        now = wall_us() > now ? wall_us() : now;
        if (now / US != s->last_us / US)
            matches_sweep(s, now, false);
        s->last_us = now;
        fh_detect_tick(s->detect, now);
        if (now - last_expire > 10 * US) {
            fh_flow_collector_expire(s->flows, now);
            last_expire = now;
        }
    }
    if (live) {
        struct pcap_stat st;
        if (pcap_stats(live->pcap, &st) == 0) {
            s->workers[0].drops += st.ps_drop;
            s->workers[0].ifdrops += st.ps_ifdrop;
        }
    }
    return FH_OK;
}

/* Several workers: sensor-workers.c runs them over the captures. */
static fh_err run_workers(fh_sensor *s, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                          fh_buf *err)
{
    if (s->n_caps && s->caps[0].live) {
        for (size_t i = 0; i < s->n_workers; i++) {
            s->workers[i].pcap = s->caps[i].pcap;
            s->workers[i].link = s->caps[i].link;
        }
        return fh__sensor_run_live_workers(s, s->workers, s->n_workers, stop, reload, err);
    }
    return fh__sensor_run_file_workers(s, s->workers, s->n_workers, stop, reload, err);
}

fh_err fh_sensor_run(fh_sensor *s, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                     fh_buf *err)
{
    double t0 = wall_now();
    fh_err rc = FH_OK;
    if (s->report && (rc = fh__sensor_report_start(s->report, err)) != FH_OK)
        return rc;
    if (s->follow) {
        rc = fh__sensor_follow_start(s->follow, (const char *const *)s->indicator_files,
                                     s->n_indicator_files, s->enforce);
        if (rc) {
            fh_buf_appendf(err, "cannot start following the hub");
            return rc;
        }
    }
    s->running = true;
    /* The packet loops flush the events once per batch (flush_events). */
    s->hold_flush = s->n_flow_fds == 0;
    struct inline_batch *batch = NULL;
    if (s->n_flow_fds == 0 && s->n_workers == 1) {
        batch = fh_xcalloc(1, sizeof *batch);
        batch->buf = fh_xmalloc(BATCH_BYTES);
        for (size_t i = 0; i < FH__SENSOR_BATCH; i++)
            batch->ptrs[i] = &batch->recs[i];
    }
    if (s->n_flow_fds && s->n_workers > 1) {
        fh_buf_appendf(err, "flow listeners run with one worker (not --workers %zu)", s->n_workers);
        rc = FH_ERR_USAGE;
    } else if (s->n_flow_fds) {
        rc = run_flows(s, stop, reload, err);
    } else if (s->n_workers > 1) {
        rc = run_workers(s, stop, reload, err);
    }
    for (size_t c = 0; c < s->n_caps && rc == FH_OK && !s->n_flow_fds && s->n_workers == 1; c++) {
        struct capture *cap = &s->caps[c];
        batch->sensor = s;
        batch->link = cap->link;
        for (;;) {
            if (stop && *stop)
                break;
            fh__sensor_housekeeping(s, reload);
            inline_sync(s);
            int r;
            if (!cap->live) {
                /* A batch where it lies in the file's buffer. */
                r = fh__sensor_read_file(s, c, batch->raw, FH__SENSOR_BATCH, err);
                batch->n = r > 0 ? (size_t)r : 0;
            } else {
                /* What is there now, up to a batch (a live handle does not
                 * wait for a full one). */
                r = pcap_dispatch(cap->pcap, FH__SENSOR_BATCH, batch_add, (u_char *)batch);
                if (r == PCAP_ERROR)
                    fh_buf_appendf(err, "%s: %s", cap->name, pcap_geterr(cap->pcap));
            }
            run_batch(batch);
            flush_events(s);
            if (r > 0)
                continue;
            if (r == 0 && cap->live) { /* timeout: let time pass for the detectors */
                fh__sensor_idle_tick(s);
                flush_events(s);
                continue;
            }
            if (r == PCAP_ERROR)
                rc = FH_ERR_IO;
            break; /* the end of the file, or pcap_breakloop */
        }
        if (cap->live) {
            struct pcap_stat st;
            if (pcap_stats(cap->pcap, &st) == 0) {
                s->workers[0].drops += st.ps_drop;
                s->workers[0].ifdrops += st.ps_ifdrop;
            }
        }
    }
    if (batch) {
        free(batch->buf);
        free(batch);
    }
    s->hold_flush = false;
    flush_events(s);
    /* End of input: every open attack ends, pending counts are written. */
    matches_sweep(s, s->last_us, true);
    fh_detect_flush(s->detect, s->last_us);
    json_t *extra = json_object();
    if (s->follow) {
        /* First: the following thread may be handing entries to the
         * enforcement helper. */
        fh__sensor_follow_stop(s->follow);
        json_object_set_new(extra, "following", fh__sensor_follow_stats(s->follow));
    }
    if (s->enforce)
        json_object_set_new(extra, "enforce", fh__sensor_enforce_finish(s->enforce));
    if (s->flows)
        json_object_set_new(extra, "flows", flow_stats(s));
    if (s->report) {
        /* What the run found is queued: post it (bounded), the rest stays
         * in the spool for the next start. */
        fh__sensor_report_finish(s->report, s->report_wait_s, extra);
    }
    write_stats(s, wall_now() - t0, extra);
    json_decref(extra);
    return rc;
}
