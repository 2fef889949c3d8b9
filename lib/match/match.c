/*
 * The matcher: built once, read by many threads.
 *
 * IPv4 uses a two-level table (24 bits, then 8): one or two memory reads per
 * lookup whatever the number of prefixes. Prefixes are applied shortest
 * first, so a longer prefix overwrites the ranges of the shorter ones it
 * lies in, and a /25../31 turns its /24 slot into a group of 256 entries that
 * inherits what the slot held. Single addresses (/32), the bulk of real
 * lists, would each cost a 1 KiB group that way (a gigabyte for a million
 * botnet addresses), so they go into a hash table instead, and their /24
 * slot carries a flag that says "look there first". The 64 MiB first level
 * asks for transparent huge pages, which removes most TLB misses.
 *
 * IPv6 keeps one hash table per prefix length present and probes them from
 * the longest down: lists have few distinct lengths (/128, /64, /48, /32).
 *
 * Domains and other strings sit in open-addressing hash tables. A domain's
 * hash is computed over its bytes from the end, so while a name is read
 * backwards each label boundary gives the hash of that suffix: one probe per
 * label, and no copy of the name.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fenghuo/match.h"
#include "fenghuo/util.h"

#define GROUP_FLAG 0x80000000u /* the entry is the index of a 256-entry group */
#define HOST_FLAG  0x40000000u /* some /32 of this /24 is in the host table */
#define RULE_MASK  0x3fffffffu

/* ---- hashing ------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

/* ---- string tables --------------------------------------------------------- */

struct str_slot {
    uint64_t hash; /* 0 marks an empty slot; real hashes are forced non-zero */
    uint32_t off;  /* into the arena */
    uint16_t len;
    uint16_t kind;
    uint32_t rule;
};

struct str_table {
    struct str_slot *slots;
    size_t mask; /* capacity - 1; capacity is a power of two */
    size_t count;
};

static size_t table_cap(size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    return cap;
}

/* ---- the builder ------------------------------------------------------------ */

struct v4_entry {
    uint32_t addr; /* host order, masked */
    uint32_t rule;
    uint32_t seq;
    uint8_t plen;
};

struct v6_entry {
    uint8_t addr[16]; /* masked */
    uint32_t rule;
    uint32_t seq;
    uint8_t plen;
};

struct str_entry {
    uint64_t hash;
    uint32_t off;
    uint16_t len;
    uint16_t kind; /* 0xffff for domains */
    uint32_t rule;
};

#define KIND_DOMAIN 0xffffu

struct fh_match_builder {
    struct v4_entry *v4;
    size_t n_v4, cap_v4;
    struct v6_entry *v6;
    size_t n_v6, cap_v6;
    struct str_entry *str;
    size_t n_str, cap_str;
    fh_buf arena;
    uint32_t seq;
};

struct v6_table {
    uint8_t plen;
    size_t mask;
    struct v6_slot {
        uint8_t addr[16];
        uint32_t rule; /* 0: empty */
    } * slots;
};

struct host_slot {
    uint32_t addr;
    uint32_t rule; /* 0: empty */
};

struct fh_match {
    uint32_t *tbl24; /* NULL when there is no IPv4 prefix */
    /* One bit per /16: set when some prefix covers part of it. 8 KiB, so
     * it stays in the cache: an address in a /16 no prefix touches is
     * answered without reading the 64 MiB first level (most addresses, for
     * the protected networks and for small lists). */
    uint64_t v4_any[1024];
    uint32_t *tbl8;
    size_t n_tbl8;
    struct host_slot *hosts; /* /32 entries outside groups */
    size_t host_mask;
    struct v6_table *v6; /* sorted by plen, longest first */
    size_t n_v6_tables;
    struct str_table domains;
    struct str_table strings;
    char *arena;
    fh_match_stats stats;
};

fh_match_builder *fh_match_builder_new(void)
{
    fh_match_builder *b = fh_xcalloc(1, sizeof *b);
    /* Names and strings are bounded (64 KiB each), the arena by offsets. */
    fh_buf_init(&b->arena, UINT32_MAX);
    return b;
}

void fh_match_builder_free(fh_match_builder *b)
{
    if (b == NULL)
        return;
    free(b->v4);
    free(b->v6);
    free(b->str);
    fh_buf_cleanup(&b->arena);
    free(b);
}

#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? (cap)*2 : 1024;                                                        \
            (arr) = fh_xrealloc((arr), (cap) * sizeof *(arr));                                     \
        }                                                                                          \
    } while (0)

static bool rule_ok(uint32_t rule)
{
    return rule != 0 && rule <= FH_MATCH_RULE_MAX;
}

fh_err fh_match_add_ipv4(fh_match_builder *b, const uint8_t addr[4], unsigned plen, uint32_t rule)
{
    if (plen > 32 || !rule_ok(rule))
        return FH_ERR_INVALID;
    uint32_t a =
        (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
    if (plen < 32)
        a &= plen ? ~(0xffffffffu >> plen) : 0;
    GROW(b->v4, b->n_v4, b->cap_v4);
    b->v4[b->n_v4++] =
        (struct v4_entry){.addr = a, .rule = rule, .seq = b->seq++, .plen = (uint8_t)plen};
    return FH_OK;
}

static void mask6(uint8_t out[16], const uint8_t in[16], unsigned plen)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
        out[i] = bits >= 8 ? in[i] : (uint8_t)(in[i] & (0xff00u >> bits));
    }
}

fh_err fh_match_add_ipv6(fh_match_builder *b, const uint8_t addr[16], unsigned plen, uint32_t rule)
{
    if (plen > 128 || !rule_ok(rule))
        return FH_ERR_INVALID;
    GROW(b->v6, b->n_v6, b->cap_v6);
    struct v6_entry *e = &b->v6[b->n_v6++];
    mask6(e->addr, addr, plen);
    e->rule = rule;
    e->seq = b->seq++;
    e->plen = (uint8_t)plen;
    return FH_OK;
}

/* The hash of a domain suffix, over its bytes read from the end. */
static inline uint64_t domain_step(uint64_t h, uint8_t c)
{
    return (h ^ lower(c)) * FNV_PRIME;
}

static uint64_t finish(uint64_t h)
{
    h = mix64(h);
    return h ? h : 1;
}

static fh_err add_str(fh_match_builder *b, uint16_t kind, const char *s, size_t len, uint64_t hash,
                      uint32_t rule)
{
    size_t off = b->arena.len;
    if (fh_buf_append(&b->arena, s, len) != FH_OK)
        return FH_ERR_LIMIT;
    if (kind == KIND_DOMAIN)
        for (size_t i = 0; i < len; i++)
            b->arena.data[off + i] = (char)lower((uint8_t)b->arena.data[off + i]);
    GROW(b->str, b->n_str, b->cap_str);
    b->str[b->n_str++] = (struct str_entry){
        .hash = hash, .off = (uint32_t)off, .len = (uint16_t)len, .kind = kind, .rule = rule};
    return FH_OK;
}

fh_err fh_match_add_domain(fh_match_builder *b, const char *name, size_t len, uint32_t rule)
{
    if (!rule_ok(rule))
        return FH_ERR_INVALID;
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > FH_MATCH_DOMAIN_MAX)
        return FH_ERR_INVALID;
    size_t label = 0;
    uint64_t h = FNV_OFFSET;
    for (size_t i = len; i-- > 0;) {
        uint8_t c = (uint8_t)name[i];
        if (c == '.') {
            if (label == 0)
                return FH_ERR_INVALID;
            label = 0;
        } else if (c <= 0x20 || c >= 0x7f || ++label > 63) {
            return FH_ERR_INVALID;
        }
        h = domain_step(h, c);
    }
    if (label == 0)
        return FH_ERR_INVALID;
    return add_str(b, KIND_DOMAIN, name, len, finish(h), rule);
}

static uint64_t string_hash(unsigned kind, const char *s, size_t len)
{
    uint64_t h = FNV_OFFSET ^ ((uint64_t)kind << 32);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * FNV_PRIME;
    return finish(h);
}

fh_err fh_match_add_string(fh_match_builder *b, unsigned kind, const char *s, size_t len,
                           uint32_t rule)
{
    if (!rule_ok(rule) || kind >= KIND_DOMAIN || len > 65535)
        return FH_ERR_INVALID;
    return add_str(b, (uint16_t)kind, s, len, string_hash(kind, s, len), rule);
}

fh_err fh_match_add_text(fh_match_builder *b, const char *line, size_t len, uint32_t rule,
                         const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    while (len && (*line == ' ' || *line == '\t'))
        line++, len--;
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r' ||
                   line[len - 1] == '\n'))
        len--;
    if (len == 0) {
        *why = "empty entry";
        return FH_ERR_INVALID;
    }
    char buf[FH_MATCH_DOMAIN_MAX + 2];
    if (len >= sizeof buf) {
        *why = "longer than 253 characters";
        return FH_ERR_INVALID;
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    long plen = -1;
    if (slash) {
        *slash = '\0';
        char *end = NULL;
        if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3) {
            *why = "prefix length must be a number";
            return FH_ERR_INVALID;
        }
        plen = strtol(slash + 1, &end, 10);
        if (*end != '\0') {
            *why = "prefix length must be a number";
            return FH_ERR_INVALID;
        }
    }
    uint8_t addr[16];
    if (inet_pton(AF_INET, buf, addr) == 1) {
        if (plen > 32) {
            *why = "IPv4 prefix length must be 0-32";
            return FH_ERR_INVALID;
        }
        return fh_match_add_ipv4(b, addr, plen < 0 ? 32 : (unsigned)plen, rule);
    }
    if (inet_pton(AF_INET6, buf, addr) == 1) {
        if (plen > 128) {
            *why = "IPv6 prefix length must be 0-128";
            return FH_ERR_INVALID;
        }
        return fh_match_add_ipv6(b, addr, plen < 0 ? 128 : (unsigned)plen, rule);
    }
    if (slash) {
        *why = "not an IPv4 or IPv6 prefix";
        return FH_ERR_INVALID;
    }
    /* A host name has letters, digits, '-', '_' and dots, and at least one
     * letter: "1.2.3" is a broken address, not a name. */
    bool letter = false, hostish = true;
    for (size_t i = 0; i < len && hostish; i++) {
        char c = (char)lower((uint8_t)buf[i]);
        if (c >= 'a' && c <= 'z')
            letter = true;
        else if (!((c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
            hostish = false;
    }
    if (!letter || !hostish) {
        *why = "not an IP address, a CIDR or a domain name";
        return FH_ERR_INVALID;
    }
    if (fh_match_add_domain(b, buf, len, rule) != FH_OK) {
        *why = "not a valid domain name (empty label or label over 63 characters)";
        return FH_ERR_INVALID;
    }
    return FH_OK;
}

/* ---- building ------------------------------------------------------------- */

static int cmp_v4(const void *x, const void *y)
{
    const struct v4_entry *a = x, *b = y;
    if (a->plen != b->plen)
        return a->plen < b->plen ? -1 : 1;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static inline size_t host_hash(uint32_t a)
{
    return (size_t)mix64(a);
}

#define TBL24_BYTES (((size_t)1 << 24) * sizeof(uint32_t))
#define HUGE_PAGE   ((size_t)2 << 20)

static uint32_t *alloc_tbl24(void)
{
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, TBL24_BYTES) != 0)
        fh_fatal("out of memory allocating the IPv4 table (64 MiB)");
#ifdef MADV_HUGEPAGE
    /* Advice only: without huge pages the table works, with more TLB misses. */
    (void)madvise(p, TBL24_BYTES, MADV_HUGEPAGE);
#endif
    memset(p, 0, TBL24_BYTES);
    return p;
}

static uint32_t *new_group(fh_match *m, size_t *cap8, uint32_t inherit)
{
    if (m->n_tbl8 == *cap8) {
        *cap8 = *cap8 ? *cap8 * 2 : 64;
        m->tbl8 = fh_xrealloc(m->tbl8, *cap8 * 256 * sizeof *m->tbl8);
    }
    uint32_t *g = m->tbl8 + m->n_tbl8 * 256;
    for (int j = 0; j < 256; j++)
        g[j] = inherit;
    return g;
}

static void build_v4(fh_match *m, fh_match_builder *b)
{
    if (b->n_v4 == 0)
        return;
    qsort(b->v4, b->n_v4, sizeof *b->v4, cmp_v4);
    m->tbl24 = alloc_tbl24();
    size_t n_hosts = 0;
    for (size_t i = 0; i < b->n_v4; i++)
        n_hosts += b->v4[i].plen == 32;
    size_t host_cap = table_cap(n_hosts);
    m->hosts = fh_xcalloc(host_cap, sizeof *m->hosts);
    m->host_mask = host_cap - 1;
    size_t cap8 = 0;
    for (size_t i = 0; i < b->n_v4; i++) {
        const struct v4_entry *e = &b->v4[i];
        if (i > 0 && e->plen == b->v4[i - 1].plen && e->addr == b->v4[i - 1].addr) {
            m->stats.duplicates++;
            continue;
        }
        m->stats.ipv4_prefixes++;
        size_t first16 = e->addr >> 16;
        size_t n16 = e->plen >= 16 ? 1 : (size_t)1 << (16 - e->plen);
        for (size_t k = first16; k < first16 + n16; k++)
            m->v4_any[k >> 6] |= (uint64_t)1 << (k & 63);
        size_t slot = e->addr >> 8;
        if (e->plen <= 24) {
            /* Shortest first: no group and no host flag exists yet. */
            size_t n = (size_t)1 << (24 - e->plen);
            for (size_t k = slot; k < slot + n; k++)
                m->tbl24[k] = e->rule;
            continue;
        }
        uint32_t cur = m->tbl24[slot];
        if (e->plen == 32 && !(cur & GROUP_FLAG)) {
            size_t h = host_hash(e->addr) & m->host_mask;
            while (m->hosts[h].rule)
                h = (h + 1) & m->host_mask;
            m->hosts[h] = (struct host_slot){.addr = e->addr, .rule = e->rule};
            m->tbl24[slot] = cur | HOST_FLAG;
            m->stats.ipv4_hosts++;
            continue;
        }
        if (!(cur & GROUP_FLAG)) {
            /* /25../31 (or a /32 after a group exists). Shorter prefixes were
             * all applied before, so the slot holds no host flag. */
            new_group(m, &cap8, cur & RULE_MASK);
            cur = GROUP_FLAG | (uint32_t)m->n_tbl8++;
            m->tbl24[slot] = cur;
        }
        uint32_t *g = m->tbl8 + (size_t)(cur & ~GROUP_FLAG) * 256;
        size_t first = e->addr & 0xff, n = (size_t)1 << (32 - e->plen);
        for (size_t k = first; k < first + n; k++)
            g[k] = e->rule;
    }
    m->stats.ipv4_tbl8_groups = m->n_tbl8;
    m->stats.bytes +=
        TBL24_BYTES + sizeof m->v4_any + m->n_tbl8 * 256 * 4 + host_cap * sizeof *m->hosts;
}

static uint64_t v6_hash(const uint8_t a[16])
{
    uint64_t hi, lo;
    memcpy(&hi, a, 8);
    memcpy(&lo, a + 8, 8);
    return mix64(hi ^ mix64(lo));
}

static int cmp_v6(const void *x, const void *y)
{
    const struct v6_entry *a = x, *b = y;
    if (a->plen != b->plen)
        return a->plen > b->plen ? -1 : 1; /* longest first */
    int c = memcmp(a->addr, b->addr, 16);
    if (c)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void build_v6(fh_match *m, fh_match_builder *b)
{
    if (b->n_v6 == 0)
        return;
    qsort(b->v6, b->n_v6, sizeof *b->v6, cmp_v6);
    size_t i = 0;
    while (i < b->n_v6) {
        size_t j = i;
        while (j < b->n_v6 && b->v6[j].plen == b->v6[i].plen)
            j++;
        m->v6 = fh_xrealloc(m->v6, (m->n_v6_tables + 1) * sizeof *m->v6);
        struct v6_table *t = &m->v6[m->n_v6_tables++];
        size_t cap = table_cap(j - i);
        t->plen = b->v6[i].plen;
        t->mask = cap - 1;
        t->slots = fh_xcalloc(cap, sizeof *t->slots);
        m->stats.bytes += cap * sizeof *t->slots;
        for (size_t k = i; k < j; k++) {
            if (k > i && memcmp(b->v6[k].addr, b->v6[k - 1].addr, 16) == 0) {
                m->stats.duplicates++;
                continue;
            }
            size_t s = v6_hash(b->v6[k].addr) & t->mask;
            while (t->slots[s].rule)
                s = (s + 1) & t->mask;
            memcpy(t->slots[s].addr, b->v6[k].addr, 16);
            t->slots[s].rule = b->v6[k].rule;
            m->stats.ipv6_prefixes++;
        }
        i = j;
    }
}

static void build_strings(fh_match *m, fh_match_builder *b)
{
    size_t n_dom = 0, n_str = 0;
    for (size_t i = 0; i < b->n_str; i++)
        if (b->str[i].kind == KIND_DOMAIN)
            n_dom++;
        else
            n_str++;
    struct str_table *tables[2] = {&m->domains, &m->strings};
    size_t counts[2] = {n_dom, n_str};
    for (int t = 0; t < 2; t++) {
        size_t cap = table_cap(counts[t]);
        tables[t]->mask = cap - 1;
        tables[t]->slots = fh_xcalloc(cap, sizeof *tables[t]->slots);
        m->stats.bytes += cap * sizeof *tables[t]->slots;
    }
    m->stats.bytes += b->arena.len;
    m->arena = fh_buf_steal(&b->arena);
    for (size_t i = 0; i < b->n_str; i++) {
        const struct str_entry *e = &b->str[i];
        struct str_table *t = e->kind == KIND_DOMAIN ? &m->domains : &m->strings;
        size_t s = e->hash & t->mask;
        bool dup = false;
        while (t->slots[s].hash) {
            struct str_slot *o = &t->slots[s];
            if (o->hash == e->hash && o->len == e->len && o->kind == e->kind &&
                memcmp(m->arena + o->off, m->arena + e->off, e->len) == 0) {
                dup = true;
                break;
            }
            s = (s + 1) & t->mask;
        }
        if (dup) {
            m->stats.duplicates++;
            continue;
        }
        t->slots[s] = (struct str_slot){
            .hash = e->hash, .off = e->off, .len = e->len, .kind = e->kind, .rule = e->rule};
        t->count++;
        if (e->kind == KIND_DOMAIN)
            m->stats.domains++;
        else
            m->stats.strings++;
    }
}

fh_match *fh_match_build(fh_match_builder *b)
{
    if (b == NULL)
        return NULL;
    fh_match *m = fh_xcalloc(1, sizeof *m);
    build_v4(m, b);
    build_v6(m, b);
    build_strings(m, b);
    fh_match_builder_free(b);
    return m;
}

void fh_match_free(fh_match *m)
{
    if (m == NULL)
        return;
    free(m->tbl24);
    free(m->tbl8);
    free(m->hosts);
    for (size_t i = 0; i < m->n_v6_tables; i++)
        free(m->v6[i].slots);
    free(m->v6);
    free(m->domains.slots);
    free(m->strings.slots);
    free(m->arena);
    free(m);
}

void fh_match_get_stats(const fh_match *m, fh_match_stats *st)
{
    *st = m->stats;
}

/* ---- lookups ---------------------------------------------------------------- */

static inline uint32_t resolve_v4(const fh_match *m, uint32_t e, uint32_t a)
{
    if (e & GROUP_FLAG)
        return m->tbl8[(size_t)(e & ~GROUP_FLAG) * 256 + (a & 0xff)];
    if (e & HOST_FLAG) {
        size_t h = host_hash(a) & m->host_mask;
        while (m->hosts[h].rule) {
            if (m->hosts[h].addr == a)
                return m->hosts[h].rule;
            h = (h + 1) & m->host_mask;
        }
    }
    return e & RULE_MASK;
}

static inline bool v4_maybe(const fh_match *m, uint32_t a)
{
    return m->v4_any[a >> 22] >> (a >> 16 & 63) & 1;
}

uint32_t fh_match_ipv4(const fh_match *m, const uint8_t addr[4])
{
    if (m->tbl24 == NULL)
        return 0;
    uint32_t a =
        (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
    if (!v4_maybe(m, a))
        return 0;
    return resolve_v4(m, m->tbl24[a >> 8], a);
}

static inline uint32_t v4_word(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * A software pipeline over the batch: step i prefetches address i's
 * first-level entry, reads the entry of address i - AHEAD2 (fetched by then)
 * and prefetches the second level it points to, and resolves address
 * i - AHEAD1. About AHEAD2 first-level and AHEAD1 - AHEAD2 second-level misses
 * are in flight at every moment, instead of a burst of misses followed by a
 * stall. The distances were tuned with bench/bench-lpm (docs/BENCHMARKS.md).
 */
void fh_match_ipv4_batch(const fh_match *m, const uint8_t (*addrs)[4], size_t n, uint32_t *rules)
{
    if (m->tbl24 == NULL) {
        memset(rules, 0, n * sizeof *rules);
        return;
    }
    enum { AHEAD1 = 48, AHEAD2 = 32, RING = 64 };
    _Static_assert(AHEAD2 < AHEAD1 && AHEAD1 < RING && (RING & (RING - 1)) == 0,
                   "the ring must hold the pipeline");
    uint32_t a[RING], e[RING];
    bool maybe[RING];
    for (size_t i = 0; i < n + AHEAD1; i++) {
        if (i < n) {
            size_t j = i % RING;
            a[j] = v4_word(addrs[i]);
            maybe[j] = v4_maybe(m, a[j]);
            if (maybe[j])
                __builtin_prefetch(&m->tbl24[a[j] >> 8]);
        }
        if (i >= AHEAD2 && i - AHEAD2 < n) {
            size_t j = (i - AHEAD2) % RING;
            e[j] = maybe[j] ? m->tbl24[a[j] >> 8] : 0;
            if (e[j] & GROUP_FLAG)
                __builtin_prefetch(&m->tbl8[(size_t)(e[j] & ~GROUP_FLAG) * 256 + (a[j] & 0xff)]);
            else if (e[j] & HOST_FLAG)
                __builtin_prefetch(&m->hosts[host_hash(a[j]) & m->host_mask]);
        }
        if (i >= AHEAD1) {
            size_t k = i - AHEAD1;
            rules[k] = resolve_v4(m, e[k % RING], a[k % RING]);
        }
    }
}

uint32_t fh_match_ipv6(const fh_match *m, const uint8_t addr[16])
{
    for (size_t i = 0; i < m->n_v6_tables; i++) {
        const struct v6_table *t = &m->v6[i];
        uint8_t key[16];
        mask6(key, addr, t->plen);
        size_t s = v6_hash(key) & t->mask;
        while (t->slots[s].rule) {
            if (memcmp(t->slots[s].addr, key, 16) == 0)
                return t->slots[s].rule;
            s = (s + 1) & t->mask;
        }
    }
    return 0;
}

static uint32_t probe(const fh_match *m, const struct str_table *t, uint64_t h, uint16_t kind,
                      const char *s, size_t len, bool fold)
{
    size_t i = h & t->mask;
    while (t->slots[i].hash) {
        const struct str_slot *o = &t->slots[i];
        if (o->hash == h && o->len == len && o->kind == kind) {
            const char *k = m->arena + o->off;
            size_t j = 0;
            if (fold)
                while (j < len && k[j] == (char)lower((uint8_t)s[j]))
                    j++;
            else
                j = memcmp(k, s, len) == 0 ? len : 0;
            if (j == len)
                return o->rule;
        }
        i = (i + 1) & t->mask;
    }
    return 0;
}

uint32_t fh_match_domain(const fh_match *m, const char *name, size_t len)
{
    if (m->domains.count == 0)
        return 0;
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > FH_MATCH_DOMAIN_MAX)
        return 0;
    uint64_t h = FNV_OFFSET;
    uint32_t found = 0;
    for (size_t i = len; i-- > 0;) {
        h = domain_step(h, (uint8_t)name[i]);
        if (i == 0 || name[i - 1] == '.') {
            uint32_t r = probe(m, &m->domains, finish(h), KIND_DOMAIN, name + i, len - i, true);
            if (r)
                found = r; /* keep going: the deepest listed suffix wins */
        }
    }
    return found;
}

uint32_t fh_match_string(const fh_match *m, unsigned kind, const char *s, size_t len)
{
    if (m->strings.count == 0 || kind >= KIND_DOMAIN || len > 65535)
        return 0;
    return probe(m, &m->strings, string_hash(kind, s, len), (uint16_t)kind, s, len, false);
}
