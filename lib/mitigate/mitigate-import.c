/*
 * Imports: values from plain lists, CSV files and MISP feeds become STIX 2.1
 * indicators, and STIX indicators become a MISP feed (manifest.json,
 * hashes.csv and one event file per indicator, as MISP instances subscribe
 * to them).
 *
 * A value's kind is recognised from its text: an IPv4 or IPv6 address or
 * prefix, a URL (with a scheme), a hex digest of 32, 40, 64 or 128 digits
 * (MD5, SHA-1, SHA-256, SHA-512), or a domain name. Anything else is
 * refused with a reason, never guessed.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fenghuo/json.h"
#include "fenghuo/mitigate.h"
#include "fenghuo/pattern.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"
#include <nettle/md5.h>

/* fenghuo's UUIDv5 namespace for the ids it makes (not the STIX SCO one). */
static const fh_uuid FENGHUO_NAMESPACE = {{0x6b, 0x1e, 0x2f, 0x80, 0x5c, 0x3a, 0x4d, 0x59, 0x9b,
                                           0x47, 0x0e, 0x28, 0x61, 0xf3, 0xa4, 0x15}};

static const struct {
    const char *name;
    const char *id;
} tlps[] = {
    {"clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
    {"green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"},
    {"amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"},
    {"amber+strict", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"},
    {"red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
};

const char *fh_tlp_marking_id(const char *name)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(tlps); i++)
        if (strcmp(tlps[i].name, name) == 0)
            return tlps[i].id;
    return NULL;
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

static bool domain_like(const char *s)
{
    size_t n = strlen(s), label = 0;
    bool letter = false;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
                   (c >= '0' && c <= '9')) {
            letter |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return letter && label > 0 && strchr(s, '.') != NULL;
}

/* Appends a STIX string literal body: quotes and backslashes escaped. */
static void pattern_string(fh_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            fh_buf_append_char(b, '\\');
        fh_buf_append_char(b, *s);
    }
}

fh_err fh_value_to_pattern(const char *value, fh_buf *pattern, const char **why)
{
    size_t n = strlen(value);
    fh_block blk;
    if (n == 0) {
        *why = "empty value";
        return FH_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)value[i] < 0x21 || value[i] == 0x7f) {
            *why = "blank or control character in the value";
            return FH_ERR_INVALID;
        }
    }
    if (fh_block_parse(value, n, &blk)) {
        char text[50];
        fh_block_format(&blk, text);
        fh_buf_appendf(pattern, "[%s:value = '%s']", blk.family == 4 ? "ipv4-addr" : "ipv6-addr",
                       text);
        return FH_OK;
    }
    const char *scheme = strstr(value, "://");
    if (scheme && scheme > value) {
        fh_buf_append_str(pattern, "[url:value = '");
        pattern_string(pattern, value);
        fh_buf_append_str(pattern, "']");
        return FH_OK;
    }
    if (all_hex(value, n) && (n == 32 || n == 40 || n == 64 || n == 128)) {
        const char *alg = n == 32 ? "MD5" : n == 40 ? "SHA-1" : n == 64 ? "SHA-256" : "SHA-512";
        fh_buf_appendf(pattern, "[file:hashes.'%s' = '", alg);
        for (size_t i = 0; i < n; i++)
            fh_buf_append_char(
                pattern, (char)(value[i] >= 'A' && value[i] <= 'F' ? value[i] + 32 : value[i]));
        fh_buf_append_str(pattern, "']");
        return FH_OK;
    }
    if (domain_like(value)) {
        fh_buf_append_str(pattern, "[domain-name:value = '");
        for (const char *p = value; *p; p++)
            fh_buf_append_char(pattern, (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
        fh_buf_append_str(pattern, "']");
        return FH_OK;
    }
    *why = "not an IP address or prefix, a URL, a hex digest or a domain name";
    return FH_ERR_INVALID;
}

json_t *fh_import_indicator(const char *value, const char *name, const char *tlp_id,
                            const char *created, const char *valid_until, const char **why)
{
    fh_buf pattern;
    fh_buf_init(&pattern, 8192);
    if (fh_value_to_pattern(value, &pattern, why) != FH_OK) {
        fh_buf_cleanup(&pattern);
        return NULL;
    }
    /* The same value always gets the same id: imports are idempotent. */
    fh_uuid u;
    char us[FH_UUID_STRLEN], id[64];
    char *key = fh_xasprintf("import|%s", pattern.data);
    fh_uuid_v5(&FENGHUO_NAMESPACE, key, strlen(key), &u);
    free(key);
    fh_uuid_format(&u, us);
    snprintf(id, sizeof id, "indicator--%s", us);
    json_t *ind = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "indicator",
                            "spec_version", "2.1", "id", id, "created", created, "modified",
                            created, "name", name ? name : value, "pattern", pattern.data,
                            "pattern_type", "stix", "valid_from", created);
    json_object_set_new(ind, "indicator_types", json_pack("[s]", "malicious-activity"));
    if (tlp_id)
        json_object_set_new(ind, "object_marking_refs", json_pack("[s]", tlp_id));
    if (valid_until)
        json_object_set_new(ind, "valid_until", json_string(valid_until));
    fh_buf_cleanup(&pattern);
    return ind;
}

/* ---- MISP feeds ------------------------------------------------------------- */

static char *read_text(int dirfd, const char *name, size_t max)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    fh_buf b;
    fh_buf_init(&b, max);
    char chunk[65536];
    ssize_t n;
    bool ok = true;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        if (fh_buf_append(&b, chunk, (size_t)n) != FH_OK) {
            ok = false;
            break;
        }
    close(fd);
    if (!ok || n < 0) {
        fh_buf_cleanup(&b);
        return NULL;
    }
    return fh_buf_steal(&b);
}

static void epoch_to_stix(const char *epoch, char out[FH_TIME_STRLEN])
{
    int64_t v = 0;
    fh_time t = fh_time_now();
    if (epoch && fh_parse_i64(epoch, 0, 253402300799LL, &v) == FH_OK)
        t = (fh_time){.sec = v, .nsec = 0, .frac_digits = 3};
    t.frac_digits = 3;
    t.nsec = t.nsec / 1000000 * 1000000;
    fh_time_format(&t, out, FH_TIME_STRLEN);
}

/* MISP attribute types that name one matchable value. */
static bool misp_type_ok(const char *type)
{
    static const char *const ok[] = {"ip-dst", "ip-src", "domain", "hostname", "url", "uri",
                                     "md5",    "sha1",   "sha256", "sha512",   NULL};
    for (int i = 0; ok[i]; i++)
        if (strcmp(type, ok[i]) == 0)
            return true;
    return false;
}

static void import_attributes(const json_t *attrs, const char *info, const char *tlp_id,
                              json_t *out, fh_import_stats *st)
{
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        const char *type = fh_json_str(a, "type");
        const char *value = fh_json_str(a, "value");
        json_t *to_ids = json_object_get(a, "to_ids");
        if (type == NULL || value == NULL || !misp_type_ok(type) ||
            !(json_is_true(to_ids) ||
              (json_is_string(to_ids) && strcmp(json_string_value(to_ids), "1") == 0))) {
            st->skipped++;
            continue;
        }
        char created[FH_TIME_STRLEN];
        epoch_to_stix(fh_json_str(a, "timestamp"), created);
        const char *why = NULL;
        json_t *ind = fh_import_indicator(value, info, tlp_id, created, NULL, &why);
        if (ind == NULL) {
            st->rejected++;
            continue;
        }
        json_array_append_new(out, ind);
        st->indicators++;
    }
}

fh_err fh_import_misp_feed(const char *dir, const char *tlp_id, json_t *out, fh_import_stats *st,
                           fh_buf *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        fh_buf_appendf(err, "%s: %s (a MISP feed is a folder with manifest.json)", dir,
                       strerror(errno));
        return FH_ERR_IO;
    }
    fh_err rc = FH_OK;
    char *text = read_text(dfd, "manifest.json", (size_t)64 << 20);
    json_t *manifest = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(text);
    if (!json_is_object(manifest)) {
        fh_buf_appendf(err, "%s/manifest.json: missing or not a JSON object", dir);
        rc = FH_ERR_PARSE;
        goto done;
    }
    const char *uuid;
    json_t *meta;
    json_object_foreach(manifest, uuid, meta)
    {
        fh_uuid u;
        if (fh_uuid_parse(uuid, strlen(uuid), &u) != FH_OK) {
            st->rejected++; /* not a file name we would open */
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "%s.json", uuid);
        char *ev_text = read_text(dfd, name, (size_t)256 << 20);
        json_t *doc = ev_text ? json_loads(ev_text, JSON_REJECT_DUPLICATES, NULL) : NULL;
        free(ev_text);
        json_t *ev = json_object_get(doc, "Event");
        if (ev == NULL) {
            fh_warn("import", "%s/%s: missing or not a MISP event; skipped", dir, name);
            st->rejected++;
            json_decref(doc);
            continue;
        }
        const char *info = fh_json_str(ev, "info");
        import_attributes(json_object_get(ev, "Attribute"), info, tlp_id, out, st);
        size_t k;
        json_t *obj;
        json_array_foreach(json_object_get(ev, "Object"), k, obj)
        {
            import_attributes(json_object_get(obj, "Attribute"), info, tlp_id, out, st);
        }
        st->events++;
        json_decref(doc);
    }
done:
    json_decref(manifest);
    close(dfd);
    return rc;
}

static fh_err write_file(int dfd, const char *name, const char *text, fh_buf *err)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t n = strlen(text);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n || close(fd) != 0) {
        fh_buf_appendf(err, "cannot write %s: %s", name, strerror(errno));
        if (fd >= 0)
            close(fd);
        return FH_ERR_IO;
    }
    return FH_OK;
}

static const char *misp_type(const fh_pattern_observable *o)
{
    switch (o->kind) {
    case FH_PATTERN_OBS_IPV4:
    case FH_PATTERN_OBS_IPV6:
        return "ip-dst";
    case FH_PATTERN_OBS_DOMAIN:
    case FH_PATTERN_OBS_DOMAIN_SUFFIX:
        return "domain";
    case FH_PATTERN_OBS_URL:
        return "url";
    case FH_PATTERN_OBS_HASH:
        switch (o->hash_alg) {
        case FH_PATTERN_HASH_MD5:
            return "md5";
        case FH_PATTERN_HASH_SHA1:
            return "sha1";
        case FH_PATTERN_HASH_SHA256:
            return "sha256";
        case FH_PATTERN_HASH_SHA512:
            return "sha512";
        default:
            return NULL;
        }
    default:
        return NULL;
    }
}

fh_err fh_export_misp_feed(const json_t *objects, int64_t now, const char *dir, size_t *events,
                           fh_buf *err)
{
    *events = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fh_buf_appendf(err, "%s: %s", dir, strerror(errno));
        return FH_ERR_IO;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        fh_buf_appendf(err, "%s: %s", dir, strerror(errno));
        return FH_ERR_IO;
    }
    json_t *manifest = json_object();
    fh_buf hashes;
    fh_buf_init(&hashes, 0);
    fh_err rc = FH_OK;
    size_t i;
    json_t *obj;
    json_array_foreach(objects, i, obj)
    {
        const char *type = fh_json_str(obj, "type");
        const char *id = fh_json_str(obj, "id");
        const char *pattern = fh_json_str(obj, "pattern");
        const char *until = fh_json_str(obj, "valid_until");
        fh_time t;
        if (type == NULL || strcmp(type, "indicator") != 0 || id == NULL || pattern == NULL ||
            json_is_true(json_object_get(obj, "revoked")) ||
            (until && fh_time_parse(until, strlen(until), &t, NULL) == FH_OK && t.sec <= now) ||
            strlen(id) < 36)
            continue;
        fh_pattern_observables obs;
        fh_pattern_observables_init(&obs);
        if (fh_pattern_compile_text(pattern, &obs, NULL) != FH_OK) {
            fh_pattern_observables_cleanup(&obs);
            continue;
        }
        const char *uuid = id + strlen(id) - 36;
        const char *modified = fh_json_str(obj, "modified");
        fh_time m = fh_time_now();
        if (modified)
            fh_time_parse(modified, strlen(modified), &m, NULL);
        char ts[24], date[16];
        snprintf(ts, sizeof ts, "%lld", (long long)m.sec);
        char full[FH_TIME_STRLEN];
        fh_time_format(&m, full, sizeof full);
        memcpy(date, full, 10);
        date[10] = '\0';
        json_t *attrs = json_array();
        for (size_t k = 0; k < obs.count; k++) {
            const fh_pattern_observable *o = &obs.items[k];
            const char *mt = misp_type(o);
            if (mt == NULL || !o->exact || o->has_port || o->has_window)
                continue;
            fh_uuid au;
            char aus[FH_UUID_STRLEN];
            char *key = fh_xasprintf("misp|%s|%s", uuid, o->value);
            fh_uuid_v5(&FENGHUO_NAMESPACE, key, strlen(key), &au);
            free(key);
            fh_uuid_format(&au, aus);
            json_array_append_new(
                attrs,
                json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:s}", "uuid", aus, "type", mt, "category",
                          o->kind == FH_PATTERN_OBS_HASH ? "Payload delivery" : "Network activity",
                          "value", o->value, "to_ids", 1, "timestamp", ts, "comment", id));
            /* hashes.csv: md5 of each value, then the event uuid */
            struct md5_ctx md;
            uint8_t dg[MD5_DIGEST_SIZE];
            md5_init(&md);
            md5_update(&md, strlen(o->value), (const uint8_t *)o->value);
            md5_digest(&md, sizeof dg, dg);
            for (size_t b = 0; b < sizeof dg; b++)
                fh_buf_appendf(&hashes, "%02x", dg[b]);
            fh_buf_appendf(&hashes, ",%s\n", uuid);
        }
        fh_pattern_observables_cleanup(&obs);
        if (json_array_size(attrs) == 0) {
            json_decref(attrs);
            continue;
        }
        const char *info = fh_json_str(obj, "name") ? fh_json_str(obj, "name") : pattern;
        json_t *tags = json_array();
        json_t *refs = json_object_get(obj, "object_marking_refs");
        size_t r;
        json_t *ref;
        json_array_foreach(refs, r, ref)
        {
            for (size_t k = 0; k < FH_ARRAY_LEN(tlps); k++)
                if (json_is_string(ref) && strcmp(json_string_value(ref), tlps[k].id) == 0)
                    json_array_append_new(tags, json_pack("{s:s+}", "name", "tlp:", tlps[k].name));
        }
        json_t *orgc = json_pack("{s:s,s:s}", "name", "fenghuo", "uuid",
                                 "6b1e2f80-5c3a-4d59-9b47-0e2861f3a415");
        json_t *event =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:O,s:O,s:o}", "uuid", uuid, "info", info,
                      "date", date, "analysis", "2", "threat_level_id", "3", "timestamp", ts,
                      "published", 1, "Orgc", orgc, "Tag", tags, "Attribute", attrs);
        json_object_set_new(manifest, uuid,
                            json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o}", "info", info, "date", date,
                                      "analysis", "2", "threat_level_id", "3", "timestamp", ts,
                                      "Orgc", orgc, "Tag", tags));
        json_t *doc = json_pack("{s:o}", "Event", event);
        char *text = json_dumps(doc, JSON_INDENT(1));
        char name[64];
        snprintf(name, sizeof name, "%s.json", uuid);
        rc = write_file(dfd, name, text, err);
        free(text);
        json_decref(doc);
        if (rc)
            break;
        (*events)++;
    }
    if (rc == FH_OK) {
        char *text = json_dumps(manifest, JSON_INDENT(1));
        rc = write_file(dfd, "manifest.json", text, err);
        free(text);
    }
    if (rc == FH_OK)
        rc = write_file(dfd, "hashes.csv", hashes.data ? hashes.data : "", err);
    fh_buf_cleanup(&hashes);
    json_decref(manifest);
    close(dfd);
    return rc;
}
