/*
 * Feeds and exports: indicators written in the formats defenders load into
 * their tools. Each entry is an exact observable of a valid indicator
 * (IPv4/IPv6 address or prefix, domain, URL, file hash); partial
 * observables, revoked and expired indicators are left out, as for blocking.
 *
 * Formats follow each consumer's documented grammar: nft scripts (nft(8)),
 * ipset restore files (ipset(8)), Suricata rules and datasets (Suricata 7
 * rule and dataset documentation), Zeek's Intel framework input files, and
 * DNS response policy zones (RPZ, draft-vixie-dnsop-dns-rpz).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/mitigate.h"
#include "fenghuo/pattern.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"

static const char *const format_names[FH_EXPORT__COUNT] = {
    "plain",      "csv", "stix", "nft", "ipset", "suricata-rules", "suricata-dataset",
    "zeek-intel", "rpz"};

fh_err fh_export_format_parse(const char *name, fh_export_format *out)
{
    for (int i = 0; i < FH_EXPORT__COUNT; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (fh_export_format)i;
            return FH_OK;
        }
    }
    return FH_ERR_USAGE;
}

const char *fh_export_format_name(fh_export_format f)
{
    return (unsigned)f < FH_EXPORT__COUNT ? format_names[f] : "?";
}

fh_err fh_export_kind_parse(const char *name, fh_export_kind *out)
{
    static const char *const names[] = {"any", "ip", "domain", "url", "hash"};
    for (size_t i = 0; i < FH_ARRAY_LEN(names); i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (fh_export_kind)i;
            return FH_OK;
        }
    }
    return FH_ERR_USAGE;
}

/* ---- entries ----------------------------------------------------------------- */

struct entry {
    fh_export_kind kind;
    fh_block block;   /* for IP entries */
    char *value;      /* text: "198.51.100.0/24", "evil.example", URL, hex digest */
    const char *hash; /* "MD5", "SHA-1", "SHA-256", "SHA-512" */
    const json_t *ind;
};

struct entries {
    struct entry *items;
    size_t count, cap;
    json_t *seen; /* "kind value" -> true: each value once */
};

static void add_entry(struct entries *e, const struct entry *x)
{
    char *key = fh_xasprintf("%d %s", (int)x->kind, x->value);
    bool dup = json_object_get(e->seen, key) != NULL;
    if (!dup)
        json_object_set_new(e->seen, key, json_true());
    free(key);
    if (dup)
        return; /* the same value from two indicators: once */
    if (e->count == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->items = fh_xrealloc(e->items, e->cap * sizeof *e->items);
    }
    e->items[e->count] = *x;
    e->items[e->count].value = fh_xstrdup(x->value);
    e->count++;
}

static void entries_cleanup(struct entries *e)
{
    json_decref(e->seen);
    for (size_t i = 0; i < e->count; i++)
        free(e->items[i].value);
    free(e->items);
}

static bool live(const json_t *ind, int64_t now)
{
    if (json_is_true(json_object_get(ind, "revoked")))
        return false;
    const char *until = fh_json_str(ind, "valid_until");
    fh_time t;
    return !(until && fh_time_parse(until, strlen(until), &t, NULL) == FH_OK && t.sec <= now);
}

static void collect(const json_t *objects, const fh_export_opts *o, struct entries *out,
                    json_t *indicators, fh_export_stats *st)
{
    size_t i;
    json_t *obj;
    json_array_foreach(objects, i, obj)
    {
        const char *type = fh_json_str(obj, "type");
        const char *pattern = fh_json_str(obj, "pattern");
        const char *ptype = fh_json_str(obj, "pattern_type");
        if (type == NULL || strcmp(type, "indicator") != 0)
            continue;
        st->indicators++;
        if (pattern == NULL || ptype == NULL || strcmp(ptype, "stix") != 0 || !live(obj, o->now)) {
            st->skipped++;
            continue;
        }
        fh_pattern_observables obs;
        fh_pattern_observables_init(&obs);
        if (fh_pattern_compile_text(pattern, &obs, NULL) != FH_OK) {
            fh_pattern_observables_cleanup(&obs);
            st->skipped++;
            continue;
        }
        size_t used = 0;
        for (size_t k = 0; k < obs.count; k++) {
            const fh_pattern_observable *ob = &obs.items[k];
            if (!ob->exact || ob->has_port || ob->has_window)
                continue;
            struct entry e = {.value = ob->value, .ind = obj};
            switch (ob->kind) {
            case FH_PATTERN_OBS_IPV4:
            case FH_PATTERN_OBS_IPV6:
                e.kind = FH_KIND_IP;
                e.block.family = ob->kind == FH_PATTERN_OBS_IPV4 ? 4 : 6;
                memcpy(e.block.addr, ob->addr, 16);
                e.block.plen = (uint8_t)ob->prefix;
                break;
            case FH_PATTERN_OBS_DOMAIN:
            case FH_PATTERN_OBS_DOMAIN_SUFFIX:
                e.kind = FH_KIND_DOMAIN;
                break;
            case FH_PATTERN_OBS_URL:
                e.kind = FH_KIND_URL;
                break;
            case FH_PATTERN_OBS_HASH:
                e.kind = FH_KIND_HASH;
                e.hash = fh_pattern_hash_alg_name(ob->hash_alg);
                break;
            default:
                continue;
            }
            if (o->kind != FH_KIND_ANY && e.kind != o->kind)
                continue;
            add_entry(out, &e);
            used++;
        }
        if (used)
            json_array_append(indicators, obj);
        else
            st->skipped++;
        fh_pattern_observables_cleanup(&obs);
    }
}

static const char *kind_name(fh_export_kind k)
{
    switch (k) {
    case FH_KIND_IP:
        return "ip";
    case FH_KIND_DOMAIN:
        return "domain";
    case FH_KIND_URL:
        return "url";
    case FH_KIND_HASH:
        return "hash";
    default:
        return "any";
    }
}

/* ---- the formats ------------------------------------------------------------ */

static void csv_field(fh_buf *out, const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fh_buf_append_str(out, s);
        return;
    }
    fh_buf_append_char(out, '"');
    for (; *s; s++) {
        if (*s == '"')
            fh_buf_append_char(out, '"');
        fh_buf_append_char(out, *s);
    }
    fh_buf_append_char(out, '"');
}

static void write_csv(const struct entries *e, fh_buf *out)
{
    fh_buf_append_str(out, "type,value,indicator,valid_until,confidence,name\r\n");
    for (size_t i = 0; i < e->count; i++) {
        const struct entry *x = &e->items[i];
        fh_buf_appendf(out, "%s,", kind_name(x->kind));
        csv_field(out, x->value);
        fh_buf_append_char(out, ',');
        csv_field(out, fh_json_str(x->ind, "id"));
        fh_buf_append_char(out, ',');
        csv_field(out, fh_json_str(x->ind, "valid_until"));
        fh_buf_append_char(out, ',');
        json_t *c = json_object_get(x->ind, "confidence");
        if (json_is_integer(c))
            fh_buf_appendf(out, "%lld", (long long)json_integer_value(c));
        fh_buf_append_char(out, ',');
        csv_field(out, fh_json_str(x->ind, "name"));
        fh_buf_append_str(out, "\r\n");
    }
}

/* The IP entries, normalized (interval sets and ipset refuse overlaps). */
static fh_block *ip_blocks(const struct entries *e, size_t *n)
{
    fh_block *all = fh_xmalloc((e->count ? e->count : 1) * sizeof *all);
    size_t k = 0, covered = 0;
    for (size_t i = 0; i < e->count; i++)
        if (e->items[i].kind == FH_KIND_IP)
            all[k++] = e->items[i].block;
    fh_block *norm = fh_block_normalize(all, k, 0, n, &covered);
    free(all);
    return norm;
}

static void write_nft(const struct entries *e, fh_buf *out)
{
    size_t n = 0;
    fh_block *b = ip_blocks(e, &n);
    fh_buf_append_str(out, "#!/usr/sbin/nft -f\n# fenghuo feed: load with nft -f\n"
                           "table inet fenghuo_feed\n"
                           "delete table inet fenghuo_feed\n"
                           "table inet fenghuo_feed {\n");
    for (int fam = 4; fam <= 6; fam += 2) {
        fh_buf_appendf(out, "\tset feed%d {\n\t\ttype %s\n\t\tflags interval\n", fam,
                       fam == 4 ? "ipv4_addr" : "ipv6_addr");
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            if (b[i].family != fam)
                continue;
            char t[50];
            fh_block_format(&b[i], t);
            fh_buf_appendf(out, "%s%s", first ? "\t\telements = { " : ", ", t);
            first = false;
        }
        if (!first)
            fh_buf_append_str(out, " }\n");
        fh_buf_append_str(out, "\t}\n");
    }
    fh_buf_append_str(out, "}\n");
    free(b);
}

static void write_ipset(const struct entries *e, fh_buf *out)
{
    size_t n = 0;
    fh_block *b = ip_blocks(e, &n);
    fh_buf_append_str(out, "create fenghuo-feed4 hash:net family inet -exist\n"
                           "create fenghuo-feed6 hash:net family inet6 -exist\n"
                           "flush fenghuo-feed4\nflush fenghuo-feed6\n");
    for (size_t i = 0; i < n; i++) {
        if (b[i].plen == 0)
            continue; /* hash:net takes prefixes of 1 bit and more */
        char t[50];
        fh_block_format(&b[i], t);
        fh_buf_appendf(out, "add fenghuo-feed%d %s -exist\n", b[i].family, t);
    }
    free(b);
}

/* Suricata content strings: escape what the rule grammar reserves. */
static void rule_content(fh_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == ';' || *s == '\\')
            fh_buf_appendf(out, "\\%c", *s);
        else if (*s == '|')
            fh_buf_append_str(out, "|7C|");
        else
            fh_buf_append_char(out, *s);
    }
}

static void rule_msg(fh_buf *out, const struct entry *x)
{
    fh_buf_append_str(out, "msg:\"fenghuo ");
    rule_content(out, fh_json_str(x->ind, "id") ? fh_json_str(x->ind, "id") : "indicator");
    fh_buf_append_str(out, " ");
    rule_content(out, x->value);
    fh_buf_append_str(out, "\"; ");
}

static void write_suricata_rules(const struct entries *e, const fh_export_opts *o, fh_buf *out)
{
    uint32_t sid = o->sid_base ? o->sid_base : 9900000;
    fh_buf_append_str(out, "# fenghuo feed: Suricata 7 rules\n");
    for (size_t i = 0; i < e->count; i++) {
        const struct entry *x = &e->items[i];
        if (x->kind == FH_KIND_IP) {
            char t[50];
            fh_block_format(&x->block, t);
            fh_buf_appendf(out, "alert ip [%s] any <> any any (", t);
            rule_msg(out, x);
            fh_buf_appendf(out, "classtype:bad-unknown; sid:%u; rev:1;)\n", sid++);
        } else if (x->kind == FH_KIND_DOMAIN) {
            /* dotprefix makes ".evil.example" match the name and names below
             * it, but not "notevil.example". */
            static const struct {
                const char *proto, *buffer;
            } where[] = {{"dns", "dns.query"}, {"tls", "tls.sni"}, {"http", "http.host"}};
            for (size_t w = 0; w < FH_ARRAY_LEN(where); w++) {
                fh_buf_appendf(out, "alert %s any any -> any any (", where[w].proto);
                rule_msg(out, x);
                fh_buf_appendf(out, "%s; dotprefix; content:\".", where[w].buffer);
                rule_content(out, x->value);
                fh_buf_appendf(
                    out, "\"; nocase; endswith; classtype:bad-unknown; sid:%u; rev:1;)\n", sid++);
            }
        } else if (x->kind == FH_KIND_URL) {
            const char *v = x->value;
            const char *host = strstr(v, "://");
            host = host ? host + 3 : v;
            const char *path = strchr(host, '/');
            size_t hlen = path ? (size_t)(path - host) : strlen(host);
            char *h = fh_xstrndup(host, hlen);
            char *colon = strchr(h, ':');
            if (colon)
                *colon = '\0';
            fh_buf_append_str(out, "alert http any any -> any any (");
            rule_msg(out, x);
            fh_buf_append_str(out, "http.host; content:\"");
            rule_content(out, h);
            fh_buf_append_str(out, "\"; nocase; endswith; ");
            if (path && path[1]) {
                fh_buf_append_str(out, "http.uri; content:\"");
                rule_content(out, path);
                fh_buf_append_str(out, "\"; startswith; ");
            }
            fh_buf_appendf(out, "classtype:bad-unknown; sid:%u; rev:1;)\n", sid++);
            free(h);
        }
        /* File hashes need filemd5/filesha256 list files: use the dataset. */
    }
}

static void base64(fh_buf *out, const char *s, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)u[i] << 16 | (i + 1 < n ? (uint32_t)u[i + 1] << 8 : 0) |
                     (i + 2 < n ? u[i + 2] : 0);
        char q[4] = {t[v >> 18], t[(v >> 12) & 63], i + 1 < n ? t[(v >> 6) & 63] : '=',
                     i + 2 < n ? t[v & 63] : '='};
        fh_buf_append(out, q, 4);
    }
}

static void write_dataset(const struct entries *e, const fh_export_opts *o, fh_buf *out)
{
    /* One dataset holds one type: strings (base64) for names and URLs,
     * hex digests for hashes, addresses for IPs (Suricata 7 "ip" type). */
    fh_export_kind kind = o->kind == FH_KIND_ANY ? FH_KIND_DOMAIN : o->kind;
    for (size_t i = 0; i < e->count; i++) {
        const struct entry *x = &e->items[i];
        if (x->kind != kind)
            continue;
        if (kind == FH_KIND_IP) {
            if ((x->block.family == 4 && x->block.plen != 32) ||
                (x->block.family == 6 && x->block.plen != 128))
                continue; /* datasets hold addresses, not prefixes */
            fh_buf_appendf(out, "%s\n", x->value);
        } else if (kind == FH_KIND_HASH) {
            fh_buf_appendf(out, "%s\n", x->value);
        } else {
            base64(out, x->value, strlen(x->value));
            fh_buf_append_char(out, '\n');
        }
    }
}

static void write_zeek(const struct entries *e, fh_buf *out)
{
    fh_buf_append_str(out, "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n");
    for (size_t i = 0; i < e->count; i++) {
        const struct entry *x = &e->items[i];
        const char *type = NULL;
        const char *value = x->value;
        if (x->kind == FH_KIND_IP)
            type = (x->block.family == 4 && x->block.plen == 32) ||
                           (x->block.family == 6 && x->block.plen == 128)
                       ? "Intel::ADDR"
                       : "Intel::SUBNET";
        else if (x->kind == FH_KIND_DOMAIN)
            type = "Intel::DOMAIN";
        else if (x->kind == FH_KIND_HASH)
            type = "Intel::FILE_HASH";
        else if (x->kind == FH_KIND_URL) {
            /* Zeek's Intel::URL values carry no scheme. */
            const char *p = strstr(value, "://");
            value = p ? p + 3 : value;
            type = "Intel::URL";
        }
        const char *id = fh_json_str(x->ind, "id");
        fh_buf_appendf(out, "%s\t%s\tfenghuo\t%s\n", value, type, id ? id : "-");
    }
}

/* The rpz-ip owner name of a prefix: "24.0.100.51.198.rpz-ip",
 * "48.zz.bad.db8.2001.rpz-ip". */
static void rpz_ip(fh_buf *out, const fh_block *b)
{
    fh_buf_appendf(out, "%u", b->plen);
    if (b->family == 4) {
        for (int i = 3; i >= 0; i--)
            fh_buf_appendf(out, ".%u", b->addr[i]);
    } else {
        unsigned g[8];
        for (int i = 0; i < 8; i++)
            g[i] = (unsigned)b->addr[2 * i] << 8 | b->addr[2 * i + 1];
        /* the longest run of two or more zero groups becomes "zz" */
        int best = -1, best_len = 1;
        for (int i = 0; i < 8;) {
            int j = i;
            while (j < 8 && g[j] == 0)
                j++;
            if (j - i > best_len) {
                best = i;
                best_len = j - i;
            }
            i = j > i ? j : i + 1;
        }
        for (int i = 7; i >= 0; i--) {
            if (best >= 0 && i >= best && i < best + best_len) {
                if (i == best)
                    fh_buf_append_str(out, ".zz");
                continue;
            }
            fh_buf_appendf(out, ".%x", g[i]);
        }
    }
    fh_buf_append_str(out, ".rpz-ip");
}

static void write_rpz(const struct entries *e, const fh_export_opts *o, fh_buf *out)
{
    fh_buf_appendf(out,
                   "; fenghuo feed: DNS response policy zone\n"
                   "$TTL 300\n"
                   "@ IN SOA localhost. hostmaster.localhost. ( %lld 3600 600 604800 300 )\n"
                   "@ IN NS localhost.\n",
                   (long long)(o->now > 0 ? o->now % 4294967296LL : 1));
    for (size_t i = 0; i < e->count; i++) {
        const struct entry *x = &e->items[i];
        if (x->kind == FH_KIND_DOMAIN) {
            fh_buf_appendf(out, "%s CNAME .\n*.%s CNAME .\n", x->value, x->value);
        } else if (x->kind == FH_KIND_IP) {
            rpz_ip(out, &x->block);
            fh_buf_append_str(out, " CNAME .\n");
        }
    }
}

fh_err fh_export_write(fh_export_format f, const json_t *objects, const fh_export_opts *o,
                       fh_buf *out, fh_export_stats *st)
{
    memset(st, 0, sizeof *st);
    struct entries e = {.seen = json_object()};
    json_t *inds = json_array();
    collect(objects, o, &e, inds, st);
    st->entries = e.count;
    switch (f) {
    case FH_EXPORT_PLAIN:
        for (size_t i = 0; i < e.count; i++)
            fh_buf_appendf(out, "%s\n", e.items[i].value);
        break;
    case FH_EXPORT_CSV:
        write_csv(&e, out);
        break;
    case FH_EXPORT_STIX: {
        fh_uuid u;
        char us[FH_UUID_STRLEN];
        fh_uuid_v4(&u);
        fh_uuid_format(&u, us);
        json_t *bundle = json_pack("{s:s,s:s,s:O}", "type", "bundle", "id", "", "objects", inds);
        char *id = fh_xasprintf("bundle--%s", us);
        json_object_set_new(bundle, "id", json_string(id));
        free(id);
        if (json_array_size(inds) == 0)
            json_object_del(bundle, "objects"); /* a bundle's objects may not be empty */
        char *text = json_dumps(bundle, JSON_INDENT(1));
        fh_buf_append_str(out, text);
        fh_buf_append_char(out, '\n');
        free(text);
        json_decref(bundle);
        break;
    }
    case FH_EXPORT_NFT:
        write_nft(&e, out);
        break;
    case FH_EXPORT_IPSET:
        write_ipset(&e, out);
        break;
    case FH_EXPORT_SURICATA_RULES:
        write_suricata_rules(&e, o, out);
        break;
    case FH_EXPORT_SURICATA_DATASET:
        write_dataset(&e, o, out);
        break;
    case FH_EXPORT_ZEEK_INTEL:
        write_zeek(&e, out);
        break;
    case FH_EXPORT_RPZ:
        write_rpz(&e, o, out);
        break;
    default:
        break;
    }
    entries_cleanup(&e);
    json_decref(inds);
    return FH_OK;
}
