/*
 * The detectors: floods and amplification per protected destination, scans
 * by threshold random walk per source, brute force per (source, service).
 *
 * Floods. Each destination counts packets per category and bytes over 1-second
 * windows of packet time and keeps an EWMA baseline. The rate is estimated on
 * every packet as "this window + the unexpired share of the last one", so an
 * attack is seen within a fraction of a second of its onset rather than at
 * the next window boundary. At half the threshold an attack record is opened
 * (a "suspect") and starts collecting its fingerprint; at the threshold it
 * becomes an attack and attack_start is emitted with what was collected; it
 * ends after end_quiet_s seconds below the threshold.
 *
 * Scans. Each source's first contacts of protected (address, port) pairs are
 * Bernoulli trials: a SYN answered by SYN-ACK succeeds; one answered by RST,
 * by ICMP unreachable or by nothing within trw_timeout_s fails. The
 * likelihood ratio crosses P_D/P_F after a few failures (four with the
 * defaults) and the source is reported as a scanner.
 *
 * Brute force. New TCP connections from one source to one authentication
 * service of one protected destination, counted per window.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "detect/detect-table.h"
#include "fenghuo/detect.h"
#include "fenghuo/time.h"
#include "fenghuo/util.h"
#include "fenghuo/uuid.h"

#define US      1000000ULL
#define TOPK    8
#define N_SIZES 7
#define SAMPLE  16

static const char *const cat_names[FH_CAT__COUNT] = {"syn",           "ack",  "tcp",     "udp",
                                                     "amplification", "icmp", "fragment"};

const char *fh_detect_cat_name(fh_detect_cat c)
{
    return (unsigned)c < FH_CAT__COUNT ? cat_names[c] : "unknown";
}

/* Source ports of UDP amplification: Rossow, "Amplification Hell" (NDSS
 * 2014), and US-CERT TA14-017A. A switch, not a table walk: it runs on every
 * UDP packet to a protected host. */
static const char *amp_name(uint16_t port)
{
    switch (port) {
    case 17:
        return "qotd";
    case 19:
        return "chargen";
    case 53:
        return "dns";
    case 111:
        return "portmap";
    case 123:
        return "ntp";
    case 137:
        return "netbios";
    case 161:
        return "snmp";
    case 389:
        return "cldap";
    case 1900:
        return "ssdp";
    case 3283:
        return "ard";
    case 3702:
        return "wsdiscovery";
    case 5353:
        return "mdns";
    case 5683:
        return "coap";
    case 11211:
        return "memcached";
    case 37810:
        return "dhdiscover";
    default:
        return NULL;
    }
}

/* Authentication services watched for brute force (every TCP SYN to a
 * protected host asks). */
static const char *auth_name(uint16_t port)
{
    switch (port) {
    case 21:
        return "ftp";
    case 22:
        return "ssh";
    case 23:
        return "telnet";
    case 25:
        return "smtp";
    case 110:
        return "pop3";
    case 143:
        return "imap";
    case 445:
        return "smb";
    case 587:
        return "submission";
    case 993:
        return "imaps";
    case 995:
        return "pop3s";
    case 3306:
        return "mysql";
    case 3389:
        return "rdp";
    case 5432:
        return "postgresql";
    default:
        return NULL;
    }
}

void fh_detect_config_init(fh_detect_config *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < FH_CAT__COUNT; i++) {
        c->floor_pps[i] = 10000;
        c->floor_bps[i] = 100000000ULL;
    }
    c->floor_pps[FH_CAT_FRAG] = 1000;
    c->floor_bps[FH_CAT_FRAG] = 10000000ULL;
    c->baseline_factor = 5.0;
    c->ewma_alpha = 0.1;
    c->end_quiet_s = 10;
    c->update_s = 5;
    c->max_hosts = 262144;
    c->max_attacks = 4096;
    c->trw_theta0 = 0.8;
    c->trw_theta1 = 0.2;
    c->trw_pd = 0.99;
    c->trw_pf = 0.01;
    c->trw_timeout_s = 3;
    c->max_sources = 65536;
    c->max_pending = 262144;
    c->bf_threshold = 20;
    c->bf_window_s = 60;
    c->max_bf = 65536;
}

/* ---- tables' entries --------------------------------------------------------- */

struct addr_key {
    uint8_t addr[16];
    uint8_t family;
};

/* One protected destination: three cache lines, laid out by how often they
 * are read. Line 0 has what every packet to the host reads (the key, the
 * window, the packet counters and the two gates); line 1 what it writes
 * besides (byte counters) and what amplification and attacks add; line 2
 * what only the window's roll and the exact rate estimate read (previous
 * window, baselines). A packet whose counters stay under both gates, to a
 * host with no attack record, reads and writes lines 0 and 1 only.
 *
 * The gates are per-window bounds computed at each roll (and when the host
 * is created): while cur_pkts[c] < gate_pkts and cur_bytes[c] < gate_bytes,
 * "this window + the unexpired share of the last" cannot reach half of any
 * category's threshold, so the packet can open no attack record and the
 * exact estimate would change nothing. Any other packet takes the exact
 * path; events are the same either way. */
struct host {
    struct addr_key key;
    uint8_t used;
    uint8_t has_attack;
    uint8_t pad0;
    uint32_t win_sec; /* the current window; also when the host was last seen */
    uint32_t cur_pkts[FH_CAT__COUNT];
    uint32_t gate_pkts;  /* see above; 0: always take the exact path */
    uint32_t gate_bytes; /* the same for cur_bytes */
    uint16_t group;      /* host group (per-prefix thresholds) + 1; 0: the defaults */
    uint16_t amp_votes;
    /* line 1 */
    uint32_t cur_bytes[FH_CAT__COUNT];
    uint16_t amp_port; /* majority vote over amplification source ports */
    uint16_t pad1;
    uint32_t attack; /* index into attacks[] when has_attack */
    uint32_t prev_pkts[FH_CAT__COUNT];
    /* line 2 */
    uint32_t prev_bytes[FH_CAT__COUNT];
    float base_pps[FH_CAT__COUNT];
    float base_bps; /* one bit-rate baseline across categories */
    uint8_t pad2[4];
};

struct topk {
    uint8_t key[16];
    uint64_t count;
};

struct attack {
    bool used, active;
    struct addr_key victim;
    uint8_t cat;     /* the first category over its threshold */
    uint8_t vectors; /* bit per category over its threshold during the attack */
    uint16_t amp_port;
    char id[FH_UUID_STRLEN];
    uint64_t open_us, start_us, last_hot_us, last_over_us, last_update_us;
    uint64_t pkts, bytes;
    double peak_pps, peak_bps;
    struct topk src[TOPK], sport[TOPK], dport[TOPK];
    uint64_t sizes[N_SIZES];
    uint64_t flags[6];
};

struct source {
    struct addr_key key;
    uint8_t used;
    uint8_t flagged;
    uint8_t n_dsts, n_ports;
    double lambda;
    uint32_t probes, failures, successes;
    uint32_t last_sec;
    uint8_t dsts[SAMPLE][16];
    uint16_t ports[SAMPLE];
};

/* Keys are byte arrays only, so they have no padding for memcmp to trip on. */
struct pending_key {
    uint8_t src[16];
    uint8_t dst[16];
    uint8_t dport[2];
    uint8_t family;
};

struct pending {
    struct pending_key key;
    uint8_t used;
    uint64_t syn_us;
};

struct bf_key {
    uint8_t src[16];
    uint8_t dst[16];
    uint8_t dport[2];
    uint8_t family;
};

struct bf {
    struct bf_key key;
    uint8_t used;
    uint32_t window_start;
    uint32_t count;
    uint32_t quiet_until; /* no second report before this second */
};

_Static_assert(sizeof(struct addr_key) == 17, "keys must have no padding");
_Static_assert(sizeof(struct pending_key) == 35, "keys must have no padding");
_Static_assert(sizeof(struct bf_key) == 35, "keys must have no padding");
_Static_assert(sizeof(struct bf_key) == sizeof(struct pending_key), "the two keys are alike");
_Static_assert(FH_CAT__COUNT == 7, "struct host's layout counts seven categories");
_Static_assert(offsetof(struct host, cur_bytes) == 64, "a host's line 1 starts at cur_bytes");
_Static_assert(offsetof(struct host, prev_bytes) == 128, "a host's line 2 starts at prev_bytes");
_Static_assert(sizeof(struct host) == 192, "a host is three cache lines");

struct fh_detect {
    fh_detect_config cfg;
    fh_detect_emit_fn emit;
    void *ctx;
    struct fh__dtab hosts, sources, pending, bf;
    struct attack *attacks;
    size_t n_attacks_used;
    uint64_t now_us;
    uint64_t last_tick_sec;
    uint64_t last_sweep_sec;
    double eta1, eta0, up, down; /* TRW thresholds and steps */
    fh_match *group_prefixes;
    fh_detect_thresholds *groups;
    size_t n_groups;
    fh_detect_stats stats;
    /* Per threshold set (0: the defaults, g: group g), the gates of a host
     * with an empty previous window and a baseline under the floors. */
    uint32_t *floor_gate_pkts, *floor_gate_bytes;
};

static void floor_gates(const uint32_t pps[FH_CAT__COUNT], const uint64_t bps[FH_CAT__COUNT],
                        uint32_t *gp, uint32_t *gb);

/* ---- helpers ------------------------------------------------------------------ */

void fh_detect_addr_str(int family, const uint8_t addr[16], char out[46])
{
    if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, out, 46) == NULL)
        snprintf(out, 46, "?");
}

static json_t *addr_json(const struct addr_key *k)
{
    char s[46];
    fh_detect_addr_str(k->family, k->addr, s);
    return json_string(s);
}

static json_t *time_json(uint64_t us)
{
    fh_time t = {.sec = (int64_t)(us / US), .nsec = (uint32_t)(us % US) * 1000, .frac_digits = 6};
    char s[FH_TIME_STRLEN];
    fh_time_format(&t, s, sizeof s);
    return json_string(s);
}

static void emit(fh_detect *d, json_t *ev)
{
    d->stats.events++;
    d->emit(d->ctx, ev);
    json_decref(ev);
}

static void sat_add32(uint32_t *x, uint64_t v)
{
    uint64_t s = (uint64_t)*x + v;
    *x = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* Inlined so that klen is a constant (16 or 2) and the comparisons are a
 * load or two, not memcmp calls: this runs three times per attack packet. */
static inline __attribute__((always_inline)) void topk_add(struct topk *t, const uint8_t *key,
                                                           size_t klen, uint64_t n)
{
    /* Space-saving (Metwally et al.): a new key replaces the smallest counter
     * and inherits its count, which bounds the error of every estimate. */
    size_t min = 0;
    for (size_t i = 0; i < TOPK; i++) {
        if (t[i].count && memcmp(t[i].key, key, klen) == 0) {
            t[i].count += n;
            return;
        }
        if (t[i].count < t[min].count)
            min = i;
    }
    memset(t[min].key, 0, sizeof t[min].key);
    memcpy(t[min].key, key, klen);
    t[min].count += n;
}

static int cmp_topk(const void *a, const void *b)
{
    const struct topk *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* ---- creation --------------------------------------------------------------------- */

fh_err fh_detect_new(const fh_detect_config *c, fh_detect_emit_fn emitfn, void *ctx,
                     fh_detect **out, const char **msg)
{
    const char *dummy;
    if (msg == NULL)
        msg = &dummy;
    *out = NULL;
    if (c->max_hosts == 0 || c->max_hosts > 16777216) {
        *msg = "max_hosts must be 1..16777216";
        return FH_ERR_INVALID;
    }
    if (c->max_attacks == 0 || c->max_attacks > 1000000) {
        *msg = "max_attacks must be 1..1000000";
        return FH_ERR_INVALID;
    }
    if (c->max_sources == 0 || c->max_pending == 0 || c->max_bf == 0) {
        *msg = "max_sources, max_pending and max_bf must be at least 1";
        return FH_ERR_INVALID;
    }
    if (!(c->ewma_alpha > 0 && c->ewma_alpha <= 1) || !(c->baseline_factor >= 1)) {
        *msg = "ewma_alpha must be in (0, 1] and baseline_factor at least 1";
        return FH_ERR_INVALID;
    }
    if (!(c->trw_theta1 > 0 && c->trw_theta1 < c->trw_theta0 && c->trw_theta0 < 1) ||
        !(c->trw_pf > 0 && c->trw_pf < c->trw_pd && c->trw_pd < 1)) {
        *msg = "need 0 < trw_theta1 < trw_theta0 < 1 and 0 < trw_pf < trw_pd < 1";
        return FH_ERR_INVALID;
    }
    if (c->end_quiet_s == 0 || c->update_s == 0 || c->bf_window_s == 0 || c->bf_threshold == 0 ||
        c->trw_timeout_s == 0) {
        *msg = "end_quiet_s, update_s, bf_window_s, bf_threshold and trw_timeout_s must be > 0";
        return FH_ERR_INVALID;
    }
    fh_detect *d = fh_xcalloc(1, sizeof *d);
    d->cfg = *c;
    d->emit = emitfn;
    d->ctx = ctx;
    fh__dtab_init(&d->hosts, sizeof(struct host), sizeof(struct addr_key), c->max_hosts);
    fh__dtab_set_fetch(&d->hosts, offsetof(struct host, prev_bytes)); /* lines 0 and 1 */
    fh__dtab_init(&d->sources, sizeof(struct source), sizeof(struct addr_key), c->max_sources);
    fh__dtab_init(&d->pending, sizeof(struct pending), sizeof(struct pending_key), c->max_pending);
    fh__dtab_init(&d->bf, sizeof(struct bf), sizeof(struct bf_key), c->max_bf);
    d->attacks = fh_xcalloc(c->max_attacks, sizeof *d->attacks);
    d->floor_gate_pkts = fh_xcalloc(1, sizeof *d->floor_gate_pkts);
    d->floor_gate_bytes = fh_xcalloc(1, sizeof *d->floor_gate_bytes);
    floor_gates(c->floor_pps, c->floor_bps, &d->floor_gate_pkts[0], &d->floor_gate_bytes[0]);
    /* Wald's sequential test: report at eta1 = P_D/P_F, clear at eta0. */
    d->eta1 = c->trw_pd / c->trw_pf;
    d->eta0 = (1 - c->trw_pd) / (1 - c->trw_pf);
    d->up = (1 - c->trw_theta1) / (1 - c->trw_theta0);
    d->down = c->trw_theta1 / c->trw_theta0;
    *out = d;
    return FH_OK;
}

void fh_detect_free(fh_detect *d)
{
    if (d == NULL)
        return;
    fh__dtab_cleanup(&d->hosts);
    fh_match_free(d->group_prefixes);
    free(d->groups);
    fh__dtab_cleanup(&d->sources);
    fh__dtab_cleanup(&d->pending);
    fh__dtab_cleanup(&d->bf);
    free(d->attacks);
    free(d->floor_gate_pkts);
    free(d->floor_gate_bytes);
    free(d);
}

fh_err fh_detect_set_groups(fh_detect *d, fh_match *prefixes, const fh_detect_thresholds *groups,
                            size_t n)
{
    if (n > FH_DETECT_MAX_GROUPS) {
        fh_match_free(prefixes);
        return FH_ERR_INVALID;
    }
    fh_match_free(d->group_prefixes);
    free(d->groups);
    d->group_prefixes = prefixes;
    d->groups = fh_xcalloc(n ? n : 1, sizeof *d->groups);
    if (n)
        memcpy(d->groups, groups, n * sizeof *groups);
    d->n_groups = n;
    d->floor_gate_pkts = fh_xrealloc(d->floor_gate_pkts, (n + 1) * sizeof *d->floor_gate_pkts);
    d->floor_gate_bytes = fh_xrealloc(d->floor_gate_bytes, (n + 1) * sizeof *d->floor_gate_bytes);
    for (size_t g = 0; g < n; g++)
        floor_gates(groups[g].floor_pps, groups[g].floor_bps, &d->floor_gate_pkts[g + 1],
                    &d->floor_gate_bytes[g + 1]);
    /* Hosts' gates were computed with the old thresholds: close them until
     * their next window (an empty table, the usual case, is not walked). */
    for (size_t i = 0; d->hosts.count && i < fh__dtab_capacity(&d->hosts); i++) {
        struct host *h = fh__dtab_at(&d->hosts, i);
        if (fh__dtab_used(&d->hosts, i))
            h->gate_pkts = h->gate_bytes = 0;
    }
    return FH_OK;
}

void fh_detect_get_stats(const fh_detect *d, fh_detect_stats *st)
{
    *st = d->stats;
    st->hosts_tracked = d->hosts.count;
}

/* ---- floods ------------------------------------------------------------------------ */

static fh_detect_cat classify(const fh_pkt *p)
{
    if (p->fragment && !p->first_fragment)
        return FH_CAT_FRAG;
    switch (p->proto) {
    case 6:
        if ((p->tcp_flags & (FH_TCP_SYN | FH_TCP_ACK)) == FH_TCP_SYN)
            return FH_CAT_SYN;
        if ((p->tcp_flags & (FH_TCP_SYN | FH_TCP_FIN | FH_TCP_RST | FH_TCP_PSH)) == 0 &&
            (p->tcp_flags & FH_TCP_ACK) && p->payload_len == 0)
            return FH_CAT_ACK;
        return FH_CAT_TCP_OTHER;
    case 17:
        return amp_name(p->sport) ? FH_CAT_AMP : FH_CAT_UDP;
    case 1:
    case 58:
        return FH_CAT_ICMP;
    default:
        /* GRE, ESP and the rest: volumetric like any TCP flood. */
        return FH_CAT_TCP_OTHER;
    }
}

static const char *attack_type(uint8_t cat, uint16_t amp_port, char *buf, size_t n)
{
    switch (cat) {
    case FH_CAT_SYN:
        return "syn_flood";
    case FH_CAT_ACK:
        return "ack_flood";
    case FH_CAT_TCP_OTHER:
        return "tcp_flood";
    case FH_CAT_UDP:
        return "udp_flood";
    case FH_CAT_AMP:
        snprintf(buf, n, "%s_amplification", amp_name(amp_port) ? amp_name(amp_port) : "udp");
        return buf;
    case FH_CAT_ICMP:
        return "icmp_flood";
    case FH_CAT_FRAG:
        return "fragment_flood";
    }
    return "unknown";
}

static void gate_update(const fh_detect *d, struct host *h);

/* Rolls the host's window forward to second `sec`, folding closed windows
 * into the baseline (not while it is under attack). */
static void roll(fh_detect *d, struct host *h, uint32_t sec)
{
    if (sec <= h->win_sec)
        return;
    uint32_t gap = sec - h->win_sec;
    double a = d->cfg.ewma_alpha;
    if (!h->has_attack || !d->attacks[h->attack].active) {
        uint64_t bytes = 0;
        for (int c = 0; c < FH_CAT__COUNT; c++) {
            h->base_pps[c] += (float)(a * (h->cur_pkts[c] - h->base_pps[c]));
            bytes += h->cur_bytes[c];
        }
        h->base_bps += (float)(a * ((double)bytes * 8 - h->base_bps));
        if (gap > 1) {
            double decay = pow(1 - a, gap - 1);
            for (int c = 0; c < FH_CAT__COUNT; c++)
                h->base_pps[c] = (float)(h->base_pps[c] * decay);
            h->base_bps = (float)(h->base_bps * decay);
        }
    }
    if (gap == 1) {
        memcpy(h->prev_pkts, h->cur_pkts, sizeof h->cur_pkts);
        memcpy(h->prev_bytes, h->cur_bytes, sizeof h->cur_bytes);
    } else {
        memset(h->prev_pkts, 0, sizeof h->prev_pkts);
        memset(h->prev_bytes, 0, sizeof h->prev_bytes);
    }
    memset(h->cur_pkts, 0, sizeof h->cur_pkts);
    memset(h->cur_bytes, 0, sizeof h->cur_bytes);
    h->win_sec = sec;
    gate_update(d, h);
}

struct rates {
    double pps[FH_CAT__COUNT], bps[FH_CAT__COUNT];
    double total_pps, total_bps;
};

static void estimate(const struct host *h, uint64_t ts_us, struct rates *r)
{
    double keep = 1.0 - (double)(ts_us % US) / (double)US;
    r->total_pps = r->total_bps = 0;
    for (int c = 0; c < FH_CAT__COUNT; c++) {
        r->pps[c] = h->cur_pkts[c] + h->prev_pkts[c] * keep;
        r->bps[c] = (h->cur_bytes[c] + h->prev_bytes[c] * keep) * 8.0;
        r->total_pps += r->pps[c];
        r->total_bps += r->bps[c];
    }
}

static double thr_pps(const fh_detect *d, const struct host *h, int c)
{
    double floor = h->group ? d->groups[h->group - 1].floor_pps[c] : d->cfg.floor_pps[c];
    double b = d->cfg.baseline_factor * h->base_pps[c];
    return b > floor ? b : floor;
}

static double thr_bps(const fh_detect *d, const struct host *h, int c)
{
    double floor = (double)(h->group ? d->groups[h->group - 1].floor_bps[c] : d->cfg.floor_bps[c]);
    double b = d->cfg.baseline_factor * h->base_bps;
    return b > floor ? b : floor;
}

/* How many units the current window may hold, given `prev` in the last one,
 * while cur + prev stays below `lim` (an integer-valued bound); clamped to
 * the counters' range. A saturated counter never passes a UINT32_MAX gate. */
static uint32_t gate_of(double lim, uint32_t prev)
{
    if (!(lim > (double)prev))
        return 0;
    double room = lim - (double)prev;
    return room >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)room;
}

/* The gates of a threshold set: half the lowest floor, in packets and (a
 * rate in bits, 8 bits a byte, half of it) bytes. */
static void floor_gates(const uint32_t pps[FH_CAT__COUNT], const uint64_t bps[FH_CAT__COUNT],
                        uint32_t *gp, uint32_t *gb)
{
    *gp = *gb = UINT32_MAX;
    for (int c = 0; c < FH_CAT__COUNT; c++) {
        uint32_t p = gate_of(ceil((double)pps[c] / 2), 0);
        uint32_t b = gate_of(ceil((double)bps[c] / 16), 0);
        *gp = p < *gp ? p : *gp;
        *gb = b < *gb ? b : *gb;
    }
}

/* The host's gates for the current window (see struct host). The estimate
 * is pps = cur + prev * keep with 0 <= keep <= 1, so pps <= cur + prev in
 * floating point too, and an integer below ceil(x) is below x; likewise
 * bps = (cur + prev * keep) * 8 and tb / 2 = 8 * (tb / 16) exactly. A
 * threshold is never below its floor, so a gate of "half the lowest floor
 * minus the largest previous count" keeps every category under half its
 * threshold; it ignores baselines above the floors (such a busy host takes
 * the exact path sooner, which costs time, not accuracy) and costs a few
 * comparisons instead of fourteen thresholds. */
static void gate_update(const fh_detect *d, struct host *h)
{
    if (h->group > d->n_groups) {
        h->gate_pkts = h->gate_bytes = 0;
        return;
    }
    uint32_t mp = 0, mb = 0;
    for (int c = 0; c < FH_CAT__COUNT; c++) {
        mp = h->prev_pkts[c] > mp ? h->prev_pkts[c] : mp;
        mb = h->prev_bytes[c] > mb ? h->prev_bytes[c] : mb;
    }
    uint32_t gp = d->floor_gate_pkts[h->group], gb = d->floor_gate_bytes[h->group];
    h->gate_pkts = gp > mp ? gp - mp : 0;
    h->gate_bytes = gb > mb ? gb - mb : 0;
}

static json_t *fingerprint_json(const struct attack *at)
{
    struct topk src[TOPK], sp[TOPK], dp[TOPK];
    memcpy(src, at->src, sizeof src);
    memcpy(sp, at->sport, sizeof sp);
    memcpy(dp, at->dport, sizeof dp);
    qsort(src, TOPK, sizeof *src, cmp_topk);
    qsort(sp, TOPK, sizeof *sp, cmp_topk);
    qsort(dp, TOPK, sizeof *dp, cmp_topk);
    json_t *js = json_array(), *jsp = json_array(), *jdp = json_array();
    for (int i = 0; i < TOPK; i++) {
        if (src[i].count) {
            struct addr_key k = {.family = at->victim.family};
            memcpy(k.addr, src[i].key, 16);
            json_array_append_new(js, json_pack("{s:o,s:I}", "ip", addr_json(&k), "packets",
                                                (json_int_t)src[i].count));
        }
        if (sp[i].count)
            json_array_append_new(jsp,
                                  json_pack("{s:i,s:I}", "port", sp[i].key[0] << 8 | sp[i].key[1],
                                            "packets", (json_int_t)sp[i].count));
        if (dp[i].count)
            json_array_append_new(jdp,
                                  json_pack("{s:i,s:I}", "port", dp[i].key[0] << 8 | dp[i].key[1],
                                            "packets", (json_int_t)dp[i].count));
    }
    static const char *const size_names[N_SIZES] = {"0-63",     "64-127",    "128-255", "256-511",
                                                    "512-1023", "1024-1499", "1500+"};
    json_t *sizes = json_object();
    for (int i = 0; i < N_SIZES; i++)
        json_object_set_new(sizes, size_names[i], json_integer((json_int_t)at->sizes[i]));
    static const char *const flag_names[6] = {"fin", "syn", "rst", "psh", "ack", "urg"};
    json_t *flags = json_object();
    for (int i = 0; i < 6; i++)
        json_object_set_new(flags, flag_names[i], json_integer((json_int_t)at->flags[i]));
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "top_sources", js, "top_source_ports", jsp,
                     "top_destination_ports", jdp, "packet_sizes", sizes, "tcp_flags", flags);
}

static json_t *attack_event(fh_detect *d, struct attack *at, const char *type, uint64_t ts_us)
{
    char tbuf[48];
    struct host *h = fh__dtab_find(&d->hosts, &at->victim);
    struct rates r = {0};
    if (h)
        estimate(h, ts_us, &r);
    json_t *vec = json_array();
    for (int c = 0; c < FH_CAT__COUNT; c++)
        if (at->vectors & (1u << c))
            json_array_append_new(
                vec, json_string(attack_type((uint8_t)c, at->amp_port, tbuf, sizeof tbuf)));
    json_t *ev = json_pack(
        "{s:s,s:o,s:s,s:o,s:s,s:o,s:o,s:f,s:f,s:f,s:f,s:I,s:I,s:f,s:f,s:o}", "event_type", type,
        "time", time_json(ts_us), "attack_id", at->id, "victim", addr_json(&at->victim),
        "attack_type", attack_type(at->cat, at->amp_port, tbuf, sizeof tbuf), "vectors", vec,
        "start_time", time_json(at->start_us), "pps", r.total_pps, "bps", r.total_bps,
        "threshold_pps", h ? thr_pps(d, h, at->cat) : 0.0, "baseline_pps",
        h ? (double)h->base_pps[at->cat] : 0.0, "packets", (json_int_t)at->pkts, "bytes",
        (json_int_t)at->bytes, "peak_pps", at->peak_pps, "peak_bps", at->peak_bps, "fingerprint",
        fingerprint_json(at));
    if (at->cat == FH_CAT_AMP)
        json_object_set_new(ev, "amplification_port", json_integer(at->amp_port));
    if (strcmp(type, "attack_start") != 0)
        json_object_set_new(ev, "duration_s",
                            json_real((double)(ts_us - at->start_us) / (double)US));
    return ev;
}

static void attack_free(fh_detect *d, struct attack *at)
{
    struct host *h = fh__dtab_find(&d->hosts, &at->victim);
    if (h)
        h->has_attack = 0;
    at->used = false;
    d->n_attacks_used--;
}

static struct attack *attack_open(fh_detect *d, struct host *h, uint64_t ts_us)
{
    if (d->n_attacks_used >= d->cfg.max_attacks) {
        d->stats.attacks_table_full++;
        return NULL;
    }
    for (size_t i = 0; i < d->cfg.max_attacks; i++) {
        struct attack *at = &d->attacks[i];
        if (at->used)
            continue;
        memset(at, 0, sizeof *at);
        at->used = true;
        at->victim = h->key;
        at->open_us = at->last_hot_us = ts_us;
        fh_uuid u;
        if (fh_uuid_v4(&u) != FH_OK)
            memset(&u, 0, sizeof u);
        fh_uuid_format(&u, at->id);
        h->has_attack = 1;
        h->attack = (uint32_t)i;
        d->n_attacks_used++;
        return at;
    }
    return NULL;
}

static void fingerprint_add(struct attack *at, const fh_pkt *p, uint32_t scale)
{
    uint8_t port[2];
    topk_add(at->src, p->src, 16, scale);
    if (p->proto == 6 || p->proto == 17) {
        port[0] = (uint8_t)(p->sport >> 8), port[1] = (uint8_t)p->sport;
        topk_add(at->sport, port, 2, scale);
        port[0] = (uint8_t)(p->dport >> 8), port[1] = (uint8_t)p->dport;
        topk_add(at->dport, port, 2, scale);
    }
    uint32_t len = p->wire_len;
    int b = len < 64     ? 0
            : len < 128  ? 1
            : len < 256  ? 2
            : len < 512  ? 3
            : len < 1024 ? 4
            : len < 1500 ? 5
                         : 6;
    at->sizes[b] += scale;
    if (p->proto == 6)
        for (int i = 0; i < 6; i++)
            if (p->tcp_flags & (1u << i))
                at->flags[i] += scale;
    at->pkts += scale;
    at->bytes += (uint64_t)p->wire_len * scale;
}

static void flood_packet(fh_detect *d, const fh_pkt *p, uint64_t ts_us, uint32_t scale)
{
    struct addr_key key = {.family = p->ip_version};
    memcpy(key.addr, p->dst, 16);
    bool created;
    struct host *h = fh__dtab_upsert(&d->hosts, &key, &created);
    if (h == NULL) {
        d->stats.hosts_table_full++;
        return;
    }
    uint32_t sec = (uint32_t)(ts_us / US);
    if (created) {
        h->win_sec = sec;
        if (d->group_prefixes) {
            uint32_t g = p->ip_version == 4 ? fh_match_ipv4(d->group_prefixes, p->dst)
                                            : fh_match_ipv6(d->group_prefixes, p->dst);
            h->group = g <= d->n_groups ? (uint16_t)g : 0;
        }
        gate_update(d, h);
    }
    roll(d, h, sec);
    fh_detect_cat c = classify(p);
    sat_add32(&h->cur_pkts[c], scale);
    sat_add32(&h->cur_bytes[c], (uint64_t)p->wire_len * scale);
    if (c == FH_CAT_AMP) {
        if (h->amp_votes == 0)
            h->amp_port = p->sport;
        if (h->amp_port == p->sport)
            h->amp_votes = h->amp_votes < UINT16_MAX ? h->amp_votes + 1 : h->amp_votes;
        else
            h->amp_votes--;
    }
    /* Far from every threshold and no attack record: nothing else to do. */
    if (!h->has_attack && h->cur_pkts[c] < h->gate_pkts && h->cur_bytes[c] < h->gate_bytes)
        return;
    /* Only this packet's category is estimated here: the per-packet cost
     * stays a few multiplications; totals are computed for open attacks. */
    double keep = 1.0 - (double)(ts_us % US) / (double)US;
    double pps = h->cur_pkts[c] + h->prev_pkts[c] * keep;
    double bps = (h->cur_bytes[c] + h->prev_bytes[c] * keep) * 8.0;
    double tp = thr_pps(d, h, c), tb = thr_bps(d, h, c);
    bool over = pps >= tp || bps >= tb;
    bool hot = pps >= tp / 2 || bps >= tb / 2;

    struct attack *at = h->has_attack ? &d->attacks[h->attack] : NULL;
    if (at == NULL && hot)
        at = attack_open(d, h, ts_us);
    if (at == NULL)
        return;
    struct rates r;
    estimate(h, ts_us, &r);
    fingerprint_add(at, p, scale);
    if (hot)
        at->last_hot_us = ts_us;
    if (r.total_pps > at->peak_pps)
        at->peak_pps = r.total_pps;
    if (r.total_bps > at->peak_bps)
        at->peak_bps = r.total_bps;
    if (!over)
        return;
    at->last_over_us = ts_us;
    if (!(at->vectors & (1u << c))) {
        at->vectors |= (uint8_t)(1u << c);
        if (c == FH_CAT_AMP)
            at->amp_port = h->amp_port;
    }
    if (!at->active) {
        at->active = true;
        at->cat = (uint8_t)c;
        at->amp_port = h->amp_port;
        at->start_us = at->last_update_us = ts_us;
        emit(d, attack_event(d, at, "attack_start", ts_us));
    }
}

static void attacks_tick(fh_detect *d, uint64_t ts_us, bool flush)
{
    for (size_t i = 0; i < d->cfg.max_attacks; i++) {
        struct attack *at = &d->attacks[i];
        if (!at->used)
            continue;
        if (!at->active) {
            /* A suspect that cooled down never became an attack. */
            if (flush || ts_us - at->last_hot_us > 2 * US)
                attack_free(d, at);
            continue;
        }
        if (flush || ts_us - at->last_over_us >= (uint64_t)d->cfg.end_quiet_s * US) {
            uint64_t end = flush ? ts_us : at->last_over_us;
            json_t *ev = attack_event(d, at, "attack_end", end);
            json_object_set_new(ev, "end_time", time_json(end));
            json_object_set_new(ev, "time", time_json(ts_us));
            emit(d, ev);
            attack_free(d, at);
        } else if (ts_us - at->last_update_us >= (uint64_t)d->cfg.update_s * US) {
            at->last_update_us = ts_us;
            emit(d, attack_event(d, at, "attack_update", ts_us));
        }
    }
}

/* ---- scans ------------------------------------------------------------------------- */

static json_t *scan_event(fh_detect *d, const struct source *s, uint64_t ts_us)
{
    json_t *targets = json_array(), *ports = json_array();
    for (int i = 0; i < s->n_dsts && i < SAMPLE; i++) {
        struct addr_key k = {.family = s->key.family};
        memcpy(k.addr, s->dsts[i], 16);
        json_array_append_new(targets, addr_json(&k));
    }
    for (int i = 0; i < s->n_ports && i < SAMPLE; i++)
        json_array_append_new(ports, json_integer(s->ports[i]));
    const char *kind = s->n_dsts <= 1 ? "vertical" : s->n_ports <= 1 ? "horizontal" : "mixed";
    return json_pack("{s:s,s:o,s:o,s:s,s:i,s:i,s:i,s:f,s:o,s:o,s:b,s:b}", "event_type", "scan",
                     "time", time_json(ts_us), "scanner", addr_json(&s->key), "kind", kind,
                     "probes", (int)s->probes, "failures", (int)s->failures, "successes",
                     (int)s->successes, "likelihood_ratio", s->lambda, "targets", targets, "ports",
                     ports, "targets_truncated", s->n_dsts >= SAMPLE, "ports_truncated",
                     s->n_ports >= SAMPLE);
}

static void trw_outcome(fh_detect *d, const uint8_t src[16], uint8_t family, bool success,
                        uint64_t ts_us)
{
    struct addr_key key = {.family = family};
    memcpy(key.addr, src, 16);
    struct source *s = fh__dtab_find(&d->sources, &key);
    if (s == NULL)
        return;
    if (success)
        s->successes++;
    else
        s->failures++;
    if (s->flagged)
        return;
    s->lambda *= success ? d->down : d->up;
    if (s->lambda >= d->eta1) {
        s->flagged = 1;
        emit(d, scan_event(d, s, ts_us));
    } else if (s->lambda <= d->eta0) {
        s->lambda = 1.0; /* benign so far: start a new test */
    }
}

static void note_sample(struct source *s, const uint8_t dst[16], uint16_t port)
{
    bool seen = false;
    for (int i = 0; i < s->n_dsts && i < SAMPLE; i++)
        seen |= memcmp(s->dsts[i], dst, 16) == 0;
    if (!seen && s->n_dsts < SAMPLE)
        memcpy(s->dsts[s->n_dsts], dst, 16);
    if (!seen && s->n_dsts < UINT8_MAX)
        s->n_dsts++;
    seen = false;
    for (int i = 0; i < s->n_ports && i < SAMPLE; i++)
        seen |= s->ports[i] == port;
    if (!seen && s->n_ports < SAMPLE)
        s->ports[s->n_ports] = port;
    if (!seen && s->n_ports < UINT8_MAX)
        s->n_ports++;
}

static void scan_packet(fh_detect *d, const fh_pkt *p, uint64_t ts_us, bool dst_protected,
                        bool src_protected)
{
    if (p->proto == 6 && dst_protected &&
        (p->tcp_flags & (FH_TCP_SYN | FH_TCP_ACK | FH_TCP_RST)) == FH_TCP_SYN) {
        /* A first contact: a SYN to a protected (address, port). */
        struct pending_key pk = {.dport = {p->dport >> 8, p->dport & 0xff},
                                 .family = p->ip_version};
        memcpy(pk.src, p->src, 16);
        memcpy(pk.dst, p->dst, 16);
        bool created;
        struct pending *pe = fh__dtab_upsert(&d->pending, &pk, &created);
        if (pe == NULL) {
            d->stats.pending_table_full++;
            return;
        }
        if (!created)
            return; /* a retransmission */
        pe->syn_us = ts_us;
        struct addr_key sk = {.family = p->ip_version};
        memcpy(sk.addr, p->src, 16);
        struct source *s = fh__dtab_upsert(&d->sources, &sk, &created);
        if (s == NULL) {
            d->stats.sources_table_full++;
            return;
        }
        if (created)
            s->lambda = 1.0;
        s->probes++;
        s->last_sec = (uint32_t)(ts_us / US);
        note_sample(s, p->dst, p->dport);
        return;
    }
    if (p->proto == 6 && src_protected && (p->tcp_flags & (FH_TCP_SYN | FH_TCP_RST))) {
        /* An answer from a protected host: SYN-ACK accepts, RST refuses. */
        bool synack = (p->tcp_flags & (FH_TCP_SYN | FH_TCP_ACK)) == (FH_TCP_SYN | FH_TCP_ACK);
        bool rst = p->tcp_flags & FH_TCP_RST;
        if (!synack && !rst)
            return;
        struct pending_key pk = {.dport = {p->sport >> 8, p->sport & 0xff},
                                 .family = p->ip_version};
        memcpy(pk.src, p->dst, 16);
        memcpy(pk.dst, p->src, 16);
        struct pending *pe = fh__dtab_find(&d->pending, &pk);
        if (pe == NULL)
            return;
        size_t idx = (size_t)((uint8_t *)pe - d->pending.slots) / d->pending.esize;
        fh__dtab_remove_at(&d->pending, idx);
        trw_outcome(d, pk.src, pk.family, synack, ts_us);
        return;
    }
    if ((p->proto == 1 && p->icmp_type == 3) || (p->proto == 58 && p->icmp_type == 1)) {
        /* Destination unreachable: the quoted packet names the probe. */
        if (p->payload_len < 4)
            return;
        fh_pkt inner;
        fh_net_decode(FH_LINK_RAW, p->payload + 4, p->payload_len - 4, p->payload_len - 4, &inner);
        if (inner.proto != 6 || inner.ip_version == 0 || inner.dport == 0)
            return;
        struct pending_key pk = {.dport = {inner.dport >> 8, inner.dport & 0xff},
                                 .family = inner.ip_version};
        memcpy(pk.src, inner.src, 16);
        memcpy(pk.dst, inner.dst, 16);
        struct pending *pe = fh__dtab_find(&d->pending, &pk);
        if (pe == NULL)
            return;
        size_t idx = (size_t)((uint8_t *)pe - d->pending.slots) / d->pending.esize;
        fh__dtab_remove_at(&d->pending, idx);
        trw_outcome(d, pk.src, pk.family, false, ts_us);
    }
}

static void pending_tick(fh_detect *d, uint64_t ts_us, bool flush)
{
    uint64_t timeout = (uint64_t)d->cfg.trw_timeout_s * US;
    for (size_t i = 0; i < fh__dtab_capacity(&d->pending); i++) {
        while (fh__dtab_used(&d->pending, i)) {
            struct pending *pe = fh__dtab_at(&d->pending, i);
            if (!flush && ts_us - pe->syn_us < timeout)
                break;
            struct pending_key k = pe->key;
            fh__dtab_remove_at(&d->pending, i);
            trw_outcome(d, k.src, k.family, false, ts_us);
        }
    }
}

/* ---- brute force ---------------------------------------------------------------------- */

static void bf_packet(fh_detect *d, const fh_pkt *p, uint64_t ts_us)
{
    if (p->proto != 6 || (p->tcp_flags & (FH_TCP_SYN | FH_TCP_ACK)) != FH_TCP_SYN)
        return;
    const char *service = auth_name(p->dport);
    if (service == NULL)
        return;
    struct bf_key k = {.dport = {p->dport >> 8, p->dport & 0xff}, .family = p->ip_version};
    memcpy(k.src, p->src, 16);
    memcpy(k.dst, p->dst, 16);
    bool created;
    struct bf *b = fh__dtab_upsert(&d->bf, &k, &created);
    if (b == NULL) {
        d->stats.bf_table_full++;
        return;
    }
    uint32_t sec = (uint32_t)(ts_us / US);
    if (created || sec - b->window_start >= d->cfg.bf_window_s) {
        b->window_start = sec;
        b->count = 0;
    }
    b->count++;
    if (b->count == d->cfg.bf_threshold && sec >= b->quiet_until) {
        b->quiet_until = sec + d->cfg.bf_window_s;
        struct addr_key a = {.family = k.family}, v = {.family = k.family};
        memcpy(a.addr, k.src, 16);
        memcpy(v.addr, k.dst, 16);
        emit(d, json_pack("{s:s,s:o,s:o,s:o,s:i,s:s,s:i,s:i,s:o}", "event_type", "bruteforce",
                          "time", time_json(ts_us), "attacker", addr_json(&a), "victim",
                          addr_json(&v), "port", (int)p->dport, "service", service, "attempts",
                          (int)b->count, "window_s", (int)d->cfg.bf_window_s, "window_start",
                          time_json((uint64_t)b->window_start * US)));
    }
}

/* ---- housekeeping ---------------------------------------------------------------------- */

/* Drops idle entries so the tables do not fill with the past: hosts idle for
 * 10 minutes (and not under attack), sources for 10 minutes, brute-force
 * counters past their window. */
static void sweep(fh_detect *d, uint64_t sec)
{
    for (size_t i = 0; i < fh__dtab_capacity(&d->hosts); i++) {
        while (fh__dtab_used(&d->hosts, i)) {
            struct host *h = fh__dtab_at(&d->hosts, i);
            if (h->has_attack || sec - h->win_sec < 600)
                break;
            fh__dtab_remove_at(&d->hosts, i);
        }
    }
    /* Attacks refer to hosts by address, so moved host entries are fine;
     * but a host's attack index must follow it, which it does (copied). */
    for (size_t i = 0; i < fh__dtab_capacity(&d->sources); i++) {
        while (fh__dtab_used(&d->sources, i)) {
            struct source *s = fh__dtab_at(&d->sources, i);
            if (sec - s->last_sec < 600)
                break;
            fh__dtab_remove_at(&d->sources, i);
        }
    }
    for (size_t i = 0; i < fh__dtab_capacity(&d->bf); i++) {
        while (fh__dtab_used(&d->bf, i)) {
            struct bf *b = fh__dtab_at(&d->bf, i);
            if (sec - b->window_start < 2u * d->cfg.bf_window_s || sec < b->quiet_until)
                break;
            fh__dtab_remove_at(&d->bf, i);
        }
    }
}

void fh_detect_tick(fh_detect *d, uint64_t ts_us)
{
    if (ts_us < d->now_us)
        return; /* time does not go back */
    d->now_us = ts_us;
    uint64_t sec = ts_us / US;
    if (sec == d->last_tick_sec)
        return;
    d->last_tick_sec = sec;
    attacks_tick(d, ts_us, false);
    pending_tick(d, ts_us, false);
    if (sec - d->last_sweep_sec >= 60) {
        d->last_sweep_sec = sec;
        sweep(d, sec);
    }
}

void fh_detect_prefetch(const fh_detect *d, const fh_pkt *p, bool dst_protected)
{
    if (p->ip_version == 0 || !dst_protected)
        return;
    /* The entries fh_detect_packet will look up for this packet: the
     * destination's counters, then, for a TCP SYN, its first-contact and
     * brute-force entries and the source's scan state. */
    struct addr_key key = {.family = p->ip_version};
    memcpy(key.addr, p->dst, 16);
    fh__dtab_prefetch(&d->hosts, &key);
    if (p->proto != 6 || (p->tcp_flags & (FH_TCP_SYN | FH_TCP_ACK | FH_TCP_RST)) != FH_TCP_SYN)
        return;
    struct pending_key pk = {.dport = {p->dport >> 8, p->dport & 0xff}, .family = p->ip_version};
    memcpy(pk.src, p->src, 16);
    memcpy(pk.dst, p->dst, 16);
    fh__dtab_prefetch(&d->pending, &pk);
    if (auth_name(p->dport)) {
        struct bf_key bk;
        memcpy(&bk, &pk, sizeof bk);
        fh__dtab_prefetch(&d->bf, &bk);
    }
    memcpy(key.addr, p->src, 16);
    fh__dtab_prefetch(&d->sources, &key);
}

void fh_detect_packet(fh_detect *d, const fh_pkt *p, uint64_t ts_us, bool dst_protected,
                      bool src_protected, uint32_t scale)
{
    d->stats.packets++;
    if (ts_us < d->now_us)
        ts_us = d->now_us; /* capture files are not always in order */
    if (ts_us / US != d->last_tick_sec)
        fh_detect_tick(d, ts_us);
    if (p->ip_version == 0)
        return;
    if (dst_protected) {
        d->stats.packets_to_protected++;
        flood_packet(d, p, ts_us, scale ? scale : 1);
        bf_packet(d, p, ts_us);
    }
    scan_packet(d, p, ts_us, dst_protected, src_protected);
}

void fh_detect_flush(fh_detect *d, uint64_t ts_us)
{
    if (ts_us < d->now_us)
        ts_us = d->now_us;
    pending_tick(d, ts_us, true);
    attacks_tick(d, ts_us, true);
}
