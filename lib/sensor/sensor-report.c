/*
 * Reporting to the hub: the sensor's events become STIX objects, batched,
 * written to a spool folder, and posted as TAXII envelopes by a thread of
 * their own, so the packet path never waits for the network.
 *
 *   indicator_match of a STIX indicator -> a sighting of it, with the
 *                                          observed-data of what was seen:
 *                                          the source and destination
 *                                          address SCOs and their
 *                                          network-traffic (so the hub can
 *                                          pseudonymize the victim inside
 *                                          the reporter's networks)
 *   scan, bruteforce                    -> an indicator for the source
 *                                          address and a sighting of it
 *
 * Durability: a batch is written to the spool (temporary file, fsync,
 * rename) before it is posted, and removed only when the hub's status
 * resource says every object of it was stored, or refused as invalid (which
 * no retry would change; the refusal is logged). A hub outage or a restart
 * leaves the batches in the spool; the next start posts them first. Ids are
 * deterministic (UUIDv5 in fenghuo's namespace over what the object says),
 * so a batch posted twice is stored once.
 *
 * Victim privacy: before its first post, the reporter adds the sensor's
 * protected networks to its organization's networks on the hub (POST
 * /api/sharing/networks/), so the hub pseudonymizes the victims it names
 * to other members. Until the hub has taken them, nothing is posted:
 * batches wait in the spool, retried with the same backoff as posts, so no
 * victim ever reaches the hub before its network is known there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fenghuo/json.h"
#include "fenghuo/policy.h"
#include "fenghuo/stix.h"
#include "fenghuo/taxii.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"
#include "sensor/sensor-report.h"

/* fenghuo's own UUIDv5 namespace for deterministic SDO ids (not the STIX
 * SCO namespace, which section 2.9 reserves for SCOs). */
static const fh_uuid FENGHUO_NAMESPACE = {{0x6b, 0x1e, 0x2f, 0x80, 0x5c, 0x3a, 0x4d, 0x59, 0x9b,
                                           0x47, 0x0e, 0x28, 0x61, 0xf3, 0xa4, 0x15}};

#define TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define BATCH_MAX 500
#define MAX_QUEUE 100000
/* The hub's limit of networks per organization (FH_STORE_MAX_NETWORKS). */
#define MAX_DECLARED 1000

struct fh__sensor_report {
    fh_sensor_report_config cfg;
    fh_taxii_client *client;
    char *objects_rel;
    char *declare_body; /* {"networks":[...]} still to declare, or NULL */
    int spool_fd;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    json_t *queue; /* objects waiting to be spooled */
    bool stopping;
    uint64_t deadline_s; /* when stopping: give up posting after this */
    uint64_t seq;
    /* stats, under lock */
    uint64_t queued, dropped, posted, refused, spooled_batches;
};

static void make_id(char *out, size_t n, const char *type, const char *name)
{
    fh_uuid u;
    char s[FH_UUID_STRLEN];
    fh_uuid_v5(&FENGHUO_NAMESPACE, name, strlen(name), &u);
    fh_uuid_format(&u, s);
    snprintf(out, n, "%s--%s", type, s);
}

static json_t *stamp(const char *time_str)
{
    /* created/modified need millisecond precision at least (section 3.2). */
    fh_time t;
    char buf[FH_TIME_STRLEN];
    if (time_str == NULL || fh_time_parse(time_str, strlen(time_str), &t, NULL) != FH_OK)
        t = fh_time_now();
    if (t.frac_digits < 3)
        t.frac_digits = 3;
    fh_time_format(&t, buf, sizeof buf);
    return json_string(buf);
}

static void enqueue(fh__sensor_report *r, json_t *obj)
{
    pthread_mutex_lock(&r->lock);
    if (json_array_size(r->queue) >= MAX_QUEUE) {
        r->dropped++; /* counted: the hub is far behind and the spool cannot keep up */
        json_decref(obj);
    } else {
        json_array_append_new(r->queue, obj);
        r->queued++;
        if (json_array_size(r->queue) >= BATCH_MAX)
            pthread_cond_signal(&r->wake);
    }
    pthread_mutex_unlock(&r->lock);
}

static json_t *sighting(fh__sensor_report *r, const char *of, const char *first, const char *last,
                        json_int_t count, const char *what)
{
    char id[80];
    char *name = fh_xasprintf("sighting|%s|%s|%s|%s", of, first, last, what);
    make_id(id, sizeof id, "sighting", name);
    free(name);
    if (count > 999999999)
        count = 999999999;
    json_t *s =
        json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:I,s:s,s:s,s:[s]}", "type", "sighting", "spec_version",
                  "2.1", "id", id, "created", stamp(last), "modified", stamp(last),
                  "sighting_of_ref", of, "count", count, "first_seen", first, "last_seen", last,
                  "object_marking_refs", r->cfg.sighting_tlp ? r->cfg.sighting_tlp : TLP_AMBER);
    if (r->cfg.identity) {
        json_object_set_new(s, "where_sighted_refs", json_pack("[s]", r->cfg.identity));
        json_object_set_new(s, "created_by_ref", json_string(r->cfg.identity));
    }
    return s;
}

/* An ipv4-addr or ipv6-addr SCO for addr with its deterministic id (STIX
 * section 2.9), or NULL when addr is not an address. */
static json_t *address_sco(const char *addr, const char *tlp)
{
    if (addr == NULL)
        return NULL;
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:[s]}", "type", strchr(addr, ':') ? "ipv6-addr" : "ipv4-addr",
                  "spec_version", "2.1", "value", addr, "object_marking_refs", tlp);
    char id[128];
    if (fh_stix_sco_id(o, id, sizeof id) != FH_OK) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "id", json_string(id));
    return o;
}

/*
 * The observed-data of an indicator match: what the sensor saw, as SCOs
 * (source and destination addresses, the network-traffic between them),
 * queued before it. Returns its id in od_id, or "" when the event names no
 * addresses. Every id is deterministic, so a replayed batch is stored once.
 */
static void observed_data(fh__sensor_report *r, const json_t *ev, const char *first,
                          const char *last, json_int_t count, const char *name, char *od_id,
                          size_t od_size)
{
    od_id[0] = '\0';
    const char *tlp = r->cfg.sighting_tlp ? r->cfg.sighting_tlp : TLP_AMBER;
    json_t *src = address_sco(fh_json_str(ev, "src"), tlp);
    json_t *dst = address_sco(fh_json_str(ev, "dst"), tlp);
    if (src == NULL || dst == NULL) {
        json_decref(src);
        json_decref(dst);
        return;
    }
    const char *proto = fh_json_str(ev, "proto");
    bool v6 = strcmp(fh_json_str(src, "type"), "ipv6-addr") == 0;
    json_t *protocols = json_pack("[s]", v6 ? "ipv6" : "ipv4");
    /* Protocol names as in the IANA Service Name and Transport Protocol
     * Port Number Registry (STIX section 6.12). */
    if (proto && strcmp(proto, "other") != 0)
        json_array_append_new(protocols,
                              json_string(strcmp(proto, "icmpv6") == 0 ? "ipv6-icmp" : proto));
    json_t *flow =
        json_pack("{s:s,s:s,s:O,s:O,s:o,s:[s]}", "type", "network-traffic", "spec_version", "2.1",
                  "src_ref", json_object_get(src, "id"), "dst_ref", json_object_get(dst, "id"),
                  "protocols", protocols, "object_marking_refs", tlp);
    json_t *sport = json_object_get(ev, "sport"), *dport = json_object_get(ev, "dport");
    if (json_is_integer(sport) && json_is_integer(dport)) {
        json_object_set(flow, "src_port", sport);
        json_object_set(flow, "dst_port", dport);
    }
    char flow_id[128];
    if (fh_stix_sco_id(flow, flow_id, sizeof flow_id) != FH_OK) {
        json_decref(src);
        json_decref(dst);
        json_decref(flow);
        return;
    }
    json_object_set_new(flow, "id", json_string(flow_id));
    char *od_name = fh_xasprintf("observed-data|%s", name);
    make_id(od_id, od_size, "observed-data", od_name);
    free(od_name);
    if (count < 1)
        count = 1;
    if (count > 999999999)
        count = 999999999;
    json_t *od =
        json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:I,s:[O,O,s],s:[s]}", "type", "observed-data",
                  "spec_version", "2.1", "id", od_id, "created", stamp(last), "modified",
                  stamp(last), "first_observed", first, "last_observed", last, "number_observed",
                  count, "object_refs", json_object_get(src, "id"), json_object_get(dst, "id"),
                  flow_id, "object_marking_refs", tlp);
    if (r->cfg.identity)
        json_object_set_new(od, "created_by_ref", json_string(r->cfg.identity));
    enqueue(r, src);
    enqueue(r, dst);
    enqueue(r, flow);
    enqueue(r, od);
}

/* An indicator for a misbehaving source address, and a sighting of it. */
static void report_source(fh__sensor_report *r, const char *addr, const char *kind,
                          const char *time_str, json_int_t count, const char *description)
{
    char pattern[128], id[80];
    snprintf(pattern, sizeof pattern, "[%s:value = '%s']",
             strchr(addr, ':') ? "ipv6-addr" : "ipv4-addr", addr);
    make_id(id, sizeof id, "indicator", pattern);
    fh_time t;
    if (fh_time_parse(time_str, strlen(time_str), &t, NULL) != FH_OK)
        t = fh_time_now();
    fh_time until = t;
    until.sec += (int64_t)r->cfg.valid_days * 86400;
    char until_s[FH_TIME_STRLEN];
    fh_time_format(&until, until_s, sizeof until_s);
    json_t *ind =
        json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:[s],s:s,s:s,s:s,s:s,s:[s],s:[s]}", "type",
                  "indicator", "spec_version", "2.1", "id", id, "created", stamp(time_str),
                  "modified", stamp(time_str), "name", description, "description", description,
                  "indicator_types", "malicious-activity", "pattern", pattern, "pattern_type",
                  "stix", "valid_from", time_str, "valid_until", until_s, "labels", kind,
                  "object_marking_refs", r->cfg.indicator_tlp ? r->cfg.indicator_tlp : TLP_GREEN);
    if (r->cfg.identity)
        json_object_set_new(ind, "created_by_ref", json_string(r->cfg.identity));
    enqueue(r, ind);
    enqueue(r, sighting(r, id, time_str, time_str, count, kind));
}

void fh__sensor_report_event(fh__sensor_report *r, const json_t *ev)
{
    const char *type = fh_json_str(ev, "event_type");
    const char *time_str = fh_json_str(ev, "time");
    if (type == NULL || time_str == NULL)
        return;
    if (strcmp(type, "indicator_match") == 0) {
        const char *ind = fh_json_str(ev, "indicator");
        if (ind == NULL || strncmp(ind, "indicator--", 11) != 0)
            return; /* a plain-list entry: nothing to sight on the hub */
        const char *first = fh_json_str(ev, "first_seen");
        char *what = fh_xasprintf("%s|%s", fh_json_str(ev, "where"), fh_json_str(ev, "host"));
        json_int_t packets = json_integer_value(json_object_get(ev, "packets"));
        json_t *s = sighting(r, ind, first ? first : time_str, time_str, packets, what);
        char od[80];
        observed_data(r, ev, first ? first : time_str, time_str, packets, fh_json_str(s, "id"), od,
                      sizeof od);
        if (od[0])
            json_object_set_new(s, "observed_data_refs", json_pack("[s]", od));
        enqueue(r, s);
        free(what);
    } else if (strcmp(type, "scan") == 0) {
        const char *who = fh_json_str(ev, "scanner");
        char *d = fh_xasprintf("%s scan from %s", fh_json_str(ev, "kind"), who);
        report_source(r, who, "scan", time_str, json_integer_value(json_object_get(ev, "probes")),
                      d);
        free(d);
    } else if (strcmp(type, "bruteforce") == 0) {
        const char *who = fh_json_str(ev, "attacker");
        char *d = fh_xasprintf("%s brute force from %s", fh_json_str(ev, "service"), who);
        report_source(r, who, "bruteforce", time_str,
                      json_integer_value(json_object_get(ev, "attempts")), d);
        free(d);
    }
}

/* ---- the hub ---------------------------------------------------------------- */

static fh_err connect_hub(fh__sensor_report *r, fh_buf *err)
{
    if (r->client)
        return FH_OK;
    fh_taxii_client_opts opts = {.token = r->cfg.token,
                                 .cacert = r->cfg.cacert,
                                 .insecure = r->cfg.insecure,
                                 .timeout_s = 30};
    return fh_taxii_client_new(r->cfg.hub, &opts, &r->client, err);
}

/* Adds the sensor's networks to its organization's on the hub. FH_OK once
 * the hub took them (or nothing was to declare); otherwise the reason is
 * logged and the caller retries later, posting nothing meanwhile. */
static fh_err declare_networks(fh__sensor_report *r)
{
    if (r->declare_body == NULL)
        return FH_OK;
    fh_buf err;
    fh_buf_init(&err, 4096);
    fh_taxii_reply reply;
    fh_taxii_reply_init(&reply);
    fh_err rc = connect_hub(r, &err);
    if (rc == FH_OK)
        rc = fh_taxii_client_call(r->client, "POST", "sharing/networks/", r->declare_body,
                                  strlen(r->declare_body), &reply, &err);
    if (rc == FH_OK && reply.status == 200) {
        fh_info("sensor", "declared the protected networks as this organization's on the hub");
        free(r->declare_body);
        r->declare_body = NULL;
    } else {
        fh_buf msg;
        fh_buf_init(&msg, 4096);
        if (rc == FH_OK)
            fh_taxii_describe_error(&reply, &msg);
        fh_warn("sensor",
                "hub did not take the protected networks (%s); reports wait in the spool until "
                "it does (--no-declare-networks when they are declared centrally)",
                rc ? (err.data ? err.data : "no answer") : (msg.data ? msg.data : "?"));
        fh_buf_cleanup(&msg);
        if (rc) { /* no answer: connect afresh next time */
            fh_taxii_client_free(r->client);
            r->client = NULL;
        }
        rc = FH_ERR_NET;
    }
    fh_taxii_reply_cleanup(&reply);
    fh_buf_cleanup(&err);
    return rc;
}

/* The body declaring the comma-separated prefixes of list, each without
 * host bits (the hub refuses them), or NULL with err filled. */
static char *declare_body_of(const char *list, fh_buf *err)
{
    json_t *nets = json_array();
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[128], norm[64];
        fh_policy_prefix pre;
        if (len == 0 || len >= sizeof item) {
            fh_buf_appendf(err, "--networks: empty or overlong entry");
            json_decref(nets);
            return NULL;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (fh_policy_prefix_parse(item, &pre) != FH_OK) {
            fh_buf_appendf(err, "--networks: '%s' is not an IPv4 or IPv6 prefix", item);
            json_decref(nets);
            return NULL;
        }
        fh_policy_prefix_mask(&pre);
        pre.has_len = true;
        fh_policy_prefix_format(&pre, norm, sizeof norm);
        json_array_append_new(nets, json_string(norm));
        p = comma ? comma + 1 : p + len;
    }
    if (json_array_size(nets) > MAX_DECLARED) {
        fh_buf_appendf(err,
                       "--networks has %zu prefixes; the hub takes at most %d per organization: "
                       "declare fewer, wider ones there and use --no-declare-networks",
                       json_array_size(nets), MAX_DECLARED);
        json_decref(nets);
        return NULL;
    }
    json_t *body = json_pack("{s:o}", "networks", nets);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

/* ---- the spool ------------------------------------------------------------ */

/* Writes objects as one envelope file, durably. */
static fh_err spool_write(fh__sensor_report *r, json_t *objects)
{
    json_t *env = json_pack("{s:O}", "objects", objects);
    char *text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    if (text == NULL)
        return FH_ERR_NOMEM;
    char name[64], tmp[72];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* Names sort in posting order: time, then a sequence number. */
    snprintf(name, sizeof name, "%020lld-%06llu.json",
             (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec,
             (unsigned long long)(r->seq++ % 1000000));
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    fh_err rc = FH_OK;
    int fd = openat(r->spool_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        fh_error("sensor", "spool: cannot write %s: %s", tmp, strerror(errno));
        rc = FH_ERR_IO;
    }
    if (fd >= 0)
        close(fd);
    if (rc == FH_OK &&
        (renameat(r->spool_fd, tmp, r->spool_fd, name) != 0 || fsync(r->spool_fd) != 0)) {
        fh_error("sensor", "spool: cannot rename %s: %s", tmp, strerror(errno));
        rc = FH_ERR_IO;
    }
    if (rc)
        unlinkat(r->spool_fd, tmp, 0);
    free(text);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The spooled batch names, oldest first; the caller frees. */
static char **spool_list(fh__sensor_report *r, size_t *n)
{
    *n = 0;
    int fd = dup(r->spool_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    rewinddir(d);
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            names = fh_xrealloc(names, cap * sizeof *names);
        }
        names[(*n)++] = fh_xstrdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, cmp_names);
    return names;
}

/* Posts one spooled batch. FH_OK: done with it (stored, or refused as
 * invalid); anything else: keep it and retry later. */
static fh_err post_batch(fh__sensor_report *r, const char *name)
{
    fh_buf body, err;
    fh_buf_init(&body, (size_t)64 << 20);
    fh_buf_init(&err, 4096);
    fh_err rc = FH_ERR_IO;
    int fd = openat(r->spool_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char chunk[65536];
        ssize_t n;
        rc = FH_OK;
        while (rc == FH_OK && (n = read(fd, chunk, sizeof chunk)) > 0)
            rc = fh_buf_append(&body, chunk, (size_t)n);
        close(fd);
    }
    if (rc) {
        fh_error("sensor", "spool: cannot read %s; left in place", name);
        goto done;
    }
    fh_taxii_reply reply;
    fh_taxii_reply_init(&reply);
    rc = connect_hub(r, &err);
    if (rc == FH_OK)
        rc = fh_taxii_client_call(r->client, "POST", r->objects_rel, body.data, body.len, &reply,
                                  &err);
    json_t *st = NULL;
    if (rc == FH_OK && reply.status == 202)
        st = json_loadb(reply.body.data ? reply.body.data : "", reply.body.len, 0, NULL);
    /* Follow a pending status for a while; a repost is harmless anyway. */
    for (int i = 0;
         st && i < 100 &&
         strcmp(fh_json_str(st, "status") ? fh_json_str(st, "status") : "", "complete") != 0;
         i++) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        char *rel = fh_xasprintf("status/%s/", fh_json_str(st, "id") ? fh_json_str(st, "id") : "");
        json_decref(st);
        st = NULL;
        fh_taxii_reply_cleanup(&reply);
        fh_taxii_reply_init(&reply);
        if (fh_taxii_client_call(r->client, "GET", rel, NULL, 0, &reply, &err) == FH_OK &&
            reply.status == 200)
            st = json_loadb(reply.body.data ? reply.body.data : "", reply.body.len, 0, NULL);
        free(rel);
    }
    if (st && strcmp(fh_json_str(st, "status") ? fh_json_str(st, "status") : "", "complete") == 0) {
        json_int_t ok = json_integer_value(json_object_get(st, "success_count"));
        json_int_t bad = json_integer_value(json_object_get(st, "failure_count"));
        if (bad) {
            json_t *f = json_array_get(json_object_get(st, "failures"), 0);
            fh_error("sensor", "hub refused %lld object(s) of %s, e.g. %s: %s", (long long)bad,
                     name, fh_json_str(f, "id") ? fh_json_str(f, "id") : "?",
                     fh_json_str(f, "message") ? fh_json_str(f, "message") : "?");
        }
        pthread_mutex_lock(&r->lock);
        r->posted += (uint64_t)ok;
        r->refused += (uint64_t)bad;
        pthread_mutex_unlock(&r->lock);
        unlinkat(r->spool_fd, name, 0);
        fsync(r->spool_fd);
        rc = FH_OK;
    } else {
        fh_buf msg;
        fh_buf_init(&msg, 4096);
        if (rc == FH_OK)
            fh_taxii_describe_error(&reply, &msg);
        fh_warn("sensor", "hub did not take %s (%s); kept in the spool for a retry", name,
                rc ? (err.data ? err.data : "no answer") : (msg.data ? msg.data : "?"));
        fh_buf_cleanup(&msg);
        if (rc) { /* no answer: connect afresh next time */
            fh_taxii_client_free(r->client);
            r->client = NULL;
        }
        rc = FH_ERR_NET;
    }
    json_decref(st);
    fh_taxii_reply_cleanup(&reply);
done:
    fh_buf_cleanup(&body);
    fh_buf_cleanup(&err);
    return rc;
}

static uint64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

static void *report_thread(void *arg)
{
    fh__sensor_report *r = arg;
    unsigned backoff = 1;
    uint64_t retry_at = 0;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        if (!r->stopping && json_array_size(r->queue) < BATCH_MAX) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&r->wake, &r->lock, &until);
        }
        json_t *batch = NULL;
        if (json_array_size(r->queue)) {
            size_t n = json_array_size(r->queue);
            size_t take = n < BATCH_MAX ? n : BATCH_MAX;
            batch = json_array();
            for (size_t i = 0; i < take; i++)
                json_array_append(batch, json_array_get(r->queue, i));
            for (size_t i = 0; i < take; i++)
                json_array_remove(r->queue, 0);
        }
        bool stopping = r->stopping;
        uint64_t deadline = r->deadline_s;
        bool more = json_array_size(r->queue) > 0;
        pthread_mutex_unlock(&r->lock);

        if (batch) {
            if (spool_write(r, batch) == FH_OK) {
                pthread_mutex_lock(&r->lock);
                r->spooled_batches++;
                pthread_mutex_unlock(&r->lock);
            } else {
                pthread_mutex_lock(&r->lock);
                r->dropped += json_array_size(batch);
                pthread_mutex_unlock(&r->lock);
            }
            json_decref(batch);
        }
        bool pending = false;
        if (now_s() >= retry_at && declare_networks(r) != FH_OK) {
            pending = true;
            retry_at = now_s() + backoff;
            backoff = backoff < 60 ? backoff * 2 : 60;
        } else if (now_s() >= retry_at) {
            size_t n = 0;
            char **names = spool_list(r, &n);
            for (size_t i = 0; i < n; i++) {
                if (!pending && post_batch(r, names[i]) != FH_OK) {
                    pending = true;
                    retry_at = now_s() + backoff;
                    backoff = backoff < 60 ? backoff * 2 : 60;
                } else if (!pending) {
                    backoff = 1;
                }
                free(names[i]);
            }
            free(names);
        } else {
            pending = true;
        }
        if (stopping && !more && (!pending || now_s() >= deadline))
            break;
        if (stopping && pending && now_s() < deadline) {
            struct timespec pause = {0, 200 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    return NULL;
}

/* ---- life cycle -------------------------------------------------------------- */

fh_err fh__sensor_report_new(const fh_sensor_report_config *cfg, fh__sensor_report **out,
                             fh_buf *err)
{
    *out = NULL;
    if (mkdir(cfg->spool, 0700) != 0 && errno != EEXIST) {
        fh_buf_appendf(err, "--spool %s: %s", cfg->spool, strerror(errno));
        return FH_ERR_IO;
    }
    int fd = open(cfg->spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        fh_buf_appendf(err, "--spool %s: %s", cfg->spool, strerror(errno));
        return FH_ERR_IO;
    }
    char *declare = NULL;
    if (cfg->declare_networks && (declare = declare_body_of(cfg->declare_networks, err)) == NULL) {
        close(fd);
        return FH_ERR_USAGE;
    }
    fh__sensor_report *r = fh_xcalloc(1, sizeof *r);
    r->cfg = *cfg;
    r->declare_body = declare;
    r->spool_fd = fd;
    r->objects_rel = fh_xasprintf("collections/%s/objects/", cfg->collection);
    r->queue = json_array();
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    /* A hub that is down at start is not a reason to stop watching the
     * network: the client is made again when a post is due, while batches
     * wait in the spool. */
    fh_buf cerr;
    fh_buf_init(&cerr, 4096);
    if (connect_hub(r, &cerr) != FH_OK)
        fh_warn("sensor", "hub %s not reachable yet (%s); reports wait in %s", cfg->hub,
                cerr.data ? cerr.data : "?", cfg->spool);
    fh_buf_cleanup(&cerr);
    *out = r;
    return FH_OK;
}

fh_err fh__sensor_report_start(fh__sensor_report *r, fh_buf *err)
{
    if (pthread_create(&r->thread, NULL, report_thread, r) != 0) {
        fh_buf_appendf(err, "cannot start the reporting thread");
        return FH_ERR_INTERNAL;
    }
    r->started = true;
    return FH_OK;
}

void fh__sensor_report_finish(fh__sensor_report *r, unsigned wait_s, json_t *stats)
{
    if (r == NULL)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->lock);
        r->stopping = true;
        r->deadline_s = now_s() + wait_s;
        pthread_cond_signal(&r->wake);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
        r->started = false;
    }
    size_t left = 0;
    char **names = spool_list(r, &left);
    for (size_t i = 0; i < left; i++)
        free(names[i]);
    free(names);
    if (stats)
        json_object_set_new(
            stats, "hub",
            json_pack("{s:I,s:I,s:I,s:I,s:I}", "objects_queued", (json_int_t)r->queued,
                      "objects_stored", (json_int_t)r->posted, "objects_refused",
                      (json_int_t)r->refused, "objects_dropped", (json_int_t)r->dropped,
                      "batches_in_spool", (json_int_t)left));
}

void fh__sensor_report_free(fh__sensor_report *r)
{
    if (r == NULL)
        return;
    fh__sensor_report_finish(r, 0, NULL);
    fh_taxii_client_free(r->client);
    close(r->spool_fd);
    free(r->objects_rel);
    free(r->declare_body);
    json_decref(r->queue);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    free(r);
}
