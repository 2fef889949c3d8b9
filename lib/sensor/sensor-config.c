/*
 * The sensor's config file: global detection settings and host groups
 * (prefixes with their own flood thresholds, like FastNetMon's host groups).
 *
 *   threshold_pps = 10000          # floors for every category
 *   syn_pps = 5000                 # or one category: syn ack tcp udp
 *                                  # amplification icmp fragment, _pps or _bps
 *   baseline_factor = 5
 *   end_quiet = 10
 *   bruteforce = 20/60
 *   max_hosts = 262144
 *   tls_reassembly_flows = 1024    # split ClientHellos held at once (0: off)
 *   workers = 2                    # decoding and matching threads (--workers)
 *   cpus = 0-1                     # pin them (--cpus)
 *
 *   [group dns-servers]
 *   prefixes = 198.18.0.53/32, 2001:db8::53/128
 *   udp_pps = 200000
 *   amplification_bps = 2000000000
 *
 * A group starts from the global floors and overrides what it names.
 */
#include <stdlib.h>
#include <string.h>

#include "fenghuo/config.h"
#include "fenghuo/sensor.h"

static const char *const cat_keys[FH_CAT__COUNT] = {"syn",           "ack",  "tcp",     "udp",
                                                    "amplification", "icmp", "fragment"};

void fh_sensor_groups_cleanup(fh_sensor_groups *g)
{
    fh_match_builder_free(g->prefixes);
    for (size_t i = 0; i < g->count; i++)
        free(g->names[i]);
    free(g->names);
    free(g->thresholds);
    memset(g, 0, sizeof *g);
}

static bool number(const char *v, int64_t min, int64_t max, int64_t *out)
{
    return fh_parse_i64(v, min, max, out) == FH_OK;
}

/* Applies a threshold key to t; false when key is not a threshold key. */
static bool threshold_key(fh_detect_thresholds *t, const char *key, int64_t v, bool *is_bps)
{
    size_t klen = strlen(key);
    bool pps = klen > 4 && strcmp(key + klen - 4, "_pps") == 0;
    bool bps = klen > 4 && strcmp(key + klen - 4, "_bps") == 0;
    if (!pps && !bps)
        return false;
    *is_bps = bps;
    size_t stem = klen - 4;
    if (stem == 9 && strncmp(key, "threshold", 9) == 0) {
        for (int c = 0; c < FH_CAT__COUNT; c++) {
            /* Fragments stay at a tenth, as on the command line. */
            int64_t x = c == FH_CAT_FRAG ? (v / 10 ? v / 10 : 1) : v;
            if (pps)
                t->floor_pps[c] = (uint32_t)x;
            else
                t->floor_bps[c] = (uint64_t)x;
        }
        return true;
    }
    for (int c = 0; c < FH_CAT__COUNT; c++) {
        if (strlen(cat_keys[c]) == stem && strncmp(key, cat_keys[c], stem) == 0) {
            if (pps)
                t->floor_pps[c] = (uint32_t)v;
            else
                t->floor_bps[c] = (uint64_t)v;
            return true;
        }
    }
    return false;
}

static fh_err add_prefixes(fh_sensor_groups *g, const fh_config_entry *e, uint32_t rule,
                           const char *file, fh_buf *err)
{
    const char *p = e->value;
    size_t n = 0;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == 0)
            break;
        const char *why = NULL;
        bool ip = memchr(p, ':', len) || (*p >= '0' && *p <= '9');
        if (!ip || fh_match_add_text(g->prefixes, p, len, rule, &why) != FH_OK) {
            fh_buf_appendf(err, "%s:%u: '%.*s' is not an IPv4 or IPv6 prefix", file, e->line,
                           (int)len, p);
            return FH_ERR_PARSE;
        }
        n++;
        p += len;
    }
    if (n == 0) {
        fh_buf_appendf(err, "%s:%u: prefixes needs at least one prefix", file, e->line);
        return FH_ERR_PARSE;
    }
    return FH_OK;
}

fh_err fh_sensor_config_load(fh_sensor_config *cfg, fh_sensor_groups *g, const char *path,
                             fh_buf *err)
{
    fh_config c;
    fh_err rc = fh_config_load(&c, path, err);
    if (rc) {
        fh_config_cleanup(&c);
        return rc;
    }
    g->prefixes = fh_match_builder_new();
    fh_detect_thresholds global;
    memcpy(global.floor_pps, cfg->detect.floor_pps, sizeof global.floor_pps);
    memcpy(global.floor_bps, cfg->detect.floor_bps, sizeof global.floor_bps);
    /* Globals first, wherever they stand, so groups start from them. */
    for (size_t i = 0; i < c.count && rc == FH_OK; i++) {
        const fh_config_entry *e = &c.entries[i];
        if (e->section[0] != '\0')
            continue;
        int64_t v = 0;
        bool is_bps = false;
        if (strcmp(e->key, "baseline_factor") == 0) {
            char *end = NULL;
            double f = strtod(e->value, &end);
            if (end == e->value || *end || !(f >= 1 && f <= 1000))
                goto bad_value;
            cfg->detect.baseline_factor = f;
        } else if (strcmp(e->key, "end_quiet") == 0) {
            if (!number(e->value, 1, 86400, &v))
                goto bad_value;
            cfg->detect.end_quiet_s = (unsigned)v;
        } else if (strcmp(e->key, "max_hosts") == 0) {
            if (!number(e->value, 1, 16777216, &v))
                goto bad_value;
            cfg->detect.max_hosts = (size_t)v;
        } else if (strcmp(e->key, "workers") == 0) {
            if (!number(e->value, 1, FH_SENSOR_MAX_WORKERS, &v)) {
                fh_buf_appendf(err, "%s:%u: workers: '%s': give a number of threads from 1 to %d",
                               path, e->line, e->value, FH_SENSOR_MAX_WORKERS);
                rc = FH_ERR_PARSE;
                continue;
            }
            cfg->workers = (unsigned)v;
        } else if (strcmp(e->key, "cpus") == 0) {
            int cpus[FH_SENSOR_MAX_WORKERS];
            size_t n = 0;
            char what[300];
            snprintf(what, sizeof what, "%s:%u: cpus", path, e->line);
            if (strlen(e->value) >= sizeof cfg->cpus_text) {
                fh_buf_appendf(err, "%s: the list is longer than %zu characters", what,
                               sizeof cfg->cpus_text - 1);
                rc = FH_ERR_PARSE;
                continue;
            }
            if (fh_sensor_parse_cpus(e->value, what, cpus, &n, err) != FH_OK) {
                rc = FH_ERR_PARSE;
                continue;
            }
            snprintf(cfg->cpus_text, sizeof cfg->cpus_text, "%s", e->value);
            cfg->cpus = cfg->cpus_text;
        } else if (strcmp(e->key, "tls_reassembly_flows") == 0) {
            if (!number(e->value, 0, FH_TLS_REASM_MAX_FLOWS, &v))
                goto bad_value;
            cfg->tls_reasm.max_flows = (uint32_t)v;
        } else if (strcmp(e->key, "tls_reassembly_bytes") == 0) {
            if (!number(e->value, FH_TLS_REASM_MIN_BYTES, FH_TLS_REASM_MAX_BYTES, &v))
                goto bad_value;
            cfg->tls_reasm.max_bytes = (uint32_t)v;
        } else if (strcmp(e->key, "tls_reassembly_timeout_ms") == 0) {
            if (!number(e->value, 1, 3600000, &v))
                goto bad_value;
            cfg->tls_reasm.timeout_ms = (uint32_t)v;
        } else if (strcmp(e->key, "bruteforce") == 0) {
            char buf[64];
            int64_t w = 0;
            const char *slash = strchr(e->value, '/');
            if (slash == NULL || (size_t)(slash - e->value) >= sizeof buf)
                goto bad_value;
            memcpy(buf, e->value, (size_t)(slash - e->value));
            buf[slash - e->value] = '\0';
            if (!number(buf, 2, 100000, &v) || !number(slash + 1, 1, 86400, &w))
                goto bad_value;
            cfg->detect.bf_threshold = (unsigned)v;
            cfg->detect.bf_window_s = (unsigned)w;
        } else if (number(e->value, 1, INT64_MAX, &v) &&
                   threshold_key(&global, e->key, v, &is_bps)) {
            if (!is_bps && v > UINT32_MAX)
                goto bad_value;
        } else {
            fh_buf_appendf(err, "%s:%u: unknown setting '%s' (or a bad value '%s')", path, e->line,
                           e->key, e->value);
            rc = FH_ERR_PARSE;
        }
        continue;
    bad_value:
        fh_buf_appendf(err, "%s:%u: %s: invalid value '%s'", path, e->line, e->key, e->value);
        rc = FH_ERR_PARSE;
    }
    memcpy(cfg->detect.floor_pps, global.floor_pps, sizeof global.floor_pps);
    memcpy(cfg->detect.floor_bps, global.floor_bps, sizeof global.floor_bps);

    const char *current = NULL;
    bool has_prefixes = false;
    for (size_t i = 0; i <= c.count && rc == FH_OK; i++) {
        const fh_config_entry *e = i < c.count ? &c.entries[i] : NULL;
        if (current && (e == NULL || e->section != current)) {
            if (!has_prefixes) {
                fh_buf_appendf(err, "%s: [%s] has no 'prefixes'", path, current);
                rc = FH_ERR_PARSE;
                break;
            }
            current = NULL;
        }
        if (e == NULL || e->section[0] == '\0')
            continue;
        if (e->section != current) {
            if (strncmp(e->section, "group ", 6) != 0 || e->section[6] == '\0') {
                fh_buf_appendf(err, "%s:%u: unknown section [%s]; sections are [group NAME]", path,
                               e->line, e->section);
                rc = FH_ERR_PARSE;
                break;
            }
            if (g->count == FH_DETECT_MAX_GROUPS) {
                fh_buf_appendf(err, "%s:%u: more than %d groups", path, e->line,
                               FH_DETECT_MAX_GROUPS);
                rc = FH_ERR_LIMIT;
                break;
            }
            current = e->section;
            has_prefixes = false;
            g->thresholds = fh_xrealloc(g->thresholds, (g->count + 1) * sizeof *g->thresholds);
            g->names = fh_xrealloc(g->names, (g->count + 1) * sizeof *g->names);
            g->thresholds[g->count] = global;
            g->names[g->count] = fh_xstrdup(e->section + 6);
            g->count++;
        }
        int64_t v = 0;
        bool is_bps = false;
        if (e->key[0] == '\0')
            continue; /* the header itself */
        if (strcmp(e->key, "prefixes") == 0) {
            rc = add_prefixes(g, e, (uint32_t)g->count, path, err);
            has_prefixes = true;
        } else if (!number(e->value, 1, INT64_MAX, &v) ||
                   !threshold_key(&g->thresholds[g->count - 1], e->key, v, &is_bps) ||
                   (!is_bps && v > UINT32_MAX)) {
            fh_buf_appendf(err,
                           "%s:%u: [%s]: unknown setting '%s' or bad value '%s' (groups "
                           "take prefixes and *_pps / *_bps thresholds)",
                           path, e->line, e->section, e->key, e->value);
            rc = FH_ERR_PARSE;
        }
    }
    fh_config_cleanup(&c);
    if (rc)
        fh_sensor_groups_cleanup(g);
    return rc;
}
