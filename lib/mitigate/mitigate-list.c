/*
 * What to block, from indicators: the exact IPv4/IPv6 observables of STIX
 * indicators (their valid_until becomes the element's expiry), and the
 * addresses and prefixes of plain lists. Partial observables (one part of an
 * AND or FOLLOWEDBY), addresses that need a port, revoked indicators and
 * names are not blocked: a firewall set holds addresses, and blocking on
 * part of a pattern would block more than the pattern says.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/mitigate.h"
#include "fenghuo/pattern.h"
#include "fenghuo/stix.h"
#include "fenghuo/time.h"

void fh_block_list_init(fh_block_list *l)
{
    memset(l, 0, sizeof *l);
}

void fh_block_list_cleanup(fh_block_list *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

void fh_block_list_push(fh_block_list *l, const fh_block *b)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->items = fh_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->count++] = *b;
}

/* Parses "198.51.100.7", "198.51.100.0/24", "2001:db8::/32". */
bool fh_block_parse(const char *s, size_t len, fh_block *b)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(b, 0, sizeof *b);
    char *slash = strchr(buf, '/');
    long plen = -1;
    if (slash) {
        *slash = '\0';
        int64_t v;
        if (fh_parse_i64(slash + 1, 0, 128, &v) != FH_OK)
            return false;
        plen = (long)v;
    }
    if (inet_pton(AF_INET, buf, b->addr) == 1) {
        if (plen > 32)
            return false;
        b->family = 4;
        b->plen = (uint8_t)(plen < 0 ? 32 : plen);
        return true;
    }
    if (inet_pton(AF_INET6, buf, b->addr) == 1) {
        b->family = 6;
        b->plen = (uint8_t)(plen < 0 ? 128 : plen);
        return true;
    }
    return false;
}

void fh_block_from_objects(fh_block_list *l, const json_t *objects, int64_t default_expires)
{
    size_t i;
    json_t *obj;
    json_array_foreach(objects, i, obj)
    {
        const char *type = fh_json_str(obj, "type");
        const char *pattern = fh_json_str(obj, "pattern");
        const char *ptype = fh_json_str(obj, "pattern_type");
        if (type == NULL || strcmp(type, "indicator") != 0 || pattern == NULL || ptype == NULL ||
            strcmp(ptype, "stix") != 0 || json_is_true(json_object_get(obj, "revoked"))) {
            l->skipped++;
            continue;
        }
        int64_t expires = default_expires;
        const char *until = fh_json_str(obj, "valid_until");
        fh_time t;
        if (until && fh_time_parse(until, strlen(until), &t, NULL) == FH_OK)
            expires = t.sec > 0 ? t.sec : 1;
        fh_pattern_observables obs;
        fh_pattern_observables_init(&obs);
        if (fh_pattern_compile_text(pattern, &obs, NULL) != FH_OK) {
            fh_pattern_observables_cleanup(&obs);
            l->skipped++;
            continue;
        }
        size_t used = 0;
        for (size_t k = 0; k < obs.count; k++) {
            const fh_pattern_observable *o = &obs.items[k];
            if ((o->kind != FH_PATTERN_OBS_IPV4 && o->kind != FH_PATTERN_OBS_IPV6) || !o->exact ||
                o->has_port || o->has_window)
                continue;
            fh_block b = {.family = o->kind == FH_PATTERN_OBS_IPV4 ? 4 : 6,
                          .plen = (uint8_t)o->prefix,
                          .expires = expires};
            memcpy(b.addr, o->addr, 16);
            fh_block_list_push(l, &b);
            used++;
        }
        if (used == 0)
            l->skipped++;
        fh_pattern_observables_cleanup(&obs);
    }
}

fh_err fh_block_from_file(fh_block_list *l, const char *path, int64_t default_expires, fh_buf *err)
{
    fh_buf data;
    fh_buf_init(&data, (size_t)256 << 20);
    fh_err rc = fh_buf_read_file(&data, path);
    if (rc) {
        fh_buf_appendf(err, "%s: %s", path,
                       rc == FH_ERR_LIMIT ? "larger than 256 MiB" : "cannot read");
        fh_buf_cleanup(&data);
        return rc;
    }
    size_t k = 0;
    while (k < data.len && strchr(" \t\r\n", data.data[k]))
        k++;
    if (k < data.len && (data.data[k] == '{' || data.data[k] == '[')) {
        json_t *objects = NULL;
        rc = fh_stix_parse_all(data.data, data.len, path, &objects, err);
        if (rc == FH_OK)
            fh_block_from_objects(l, objects, default_expires);
        json_decref(objects);
    } else {
        const char *p = data.data ? data.data : "", *end = p + data.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            const char *hash = memchr(p, '#', (size_t)(e - p));
            const char *stop = hash ? hash : e;
            while (p < stop && strchr(" \t\r", *p))
                p++;
            while (stop > p && strchr(" \t\r", stop[-1]))
                stop--;
            fh_block b;
            if (stop > p) {
                if (fh_block_parse(p, (size_t)(stop - p), &b)) {
                    b.expires = default_expires;
                    fh_block_list_push(l, &b);
                } else {
                    l->skipped++; /* a name, or not an address */
                }
            }
            p = nl ? nl + 1 : end;
        }
    }
    fh_buf_cleanup(&data);
    return rc;
}

/* ---- the allowlist -------------------------------------------------------- */

fh_err fh_block_list_add_text(fh_block_list *l, const char *list, const char *what, fh_buf *err)
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *next = p[len] == ',' ? p + len + 1 : p + len;
        /* Spaces around an item are allowed ("a, b"). */
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        fh_block b;
        if (len == 0 || !fh_block_parse(p, len, &b)) {
            fh_buf_appendf(err, "%s: '%.*s' is not an address or prefix", what, (int)len, p);
            return FH_ERR_USAGE;
        }
        fh_block_list_push(l, &b);
        p = next;
    }
    return FH_OK;
}

void fh_block_list_add_default_allow(fh_block_list *l)
{
    for (const char *const *a = fh_block_default_allow; *a; a++) {
        fh_block b;
        bool ok = fh_block_parse(*a, strlen(*a), &b);
        assert(ok);
        (void)ok;
        fh_block_list_push(l, &b);
    }
}

bool fh_block_allowed(const fh_block *b, const fh_block *allow, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (fh_block_overlaps(b, &allow[k]))
            return true;
    return false;
}

size_t fh_block_list_remove_allowed(fh_block_list *l, const fh_block *allow, size_t n,
                                    const char *who)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (fh_block_allowed(&l->items[i], allow, n)) {
            char text[50];
            fh_block_format(&l->items[i], text);
            if (removed++ < 10)
                fh_warn(who, "not blocking %s: it overlaps the allowlist", text);
            continue;
        }
        l->items[kept++] = l->items[i];
    }
    l->count = kept;
    return removed;
}
