/*
 * Following indicator collections on the hub: a thread polls each
 * collection with added_after (TAXII 2.1 section 3.4), keeps the latest
 * version of every indicator, and after a change builds a new matcher from
 * the indicator files and what the hub holds. The packet thread picks it up
 * with one atomic exchange between two packets, so no packet waits for the
 * network or for a rebuild, and none is dropped while the matcher changes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fenghuo/json.h"
#include "fenghuo/taxii.h"
#include "fenghuo/time.h"
#include "sensor/sensor-follow.h"

struct fh__sensor_follow {
    const fh_sensor *sensor;
    fh_sensor_follow_config cfg;
    fh_taxii_client *client;
    char **added_after; /* per collection; NULL before the first answer */
    json_t *objects;    /* id -> latest indicator */
    pthread_mutex_t lock;
    _Atomic(struct fh__sensor_snapshot *) ready;
    atomic_bool stop;
    pthread_t thread;
    bool started;
    char **files;
    size_t n_files;
    uint64_t polls, errors, rebuilds;
};

static fh_err connect_hub(fh__sensor_follow *f, fh_buf *err)
{
    if (f->client)
        return FH_OK;
    fh_taxii_client_opts o = {.token = f->cfg.token,
                              .cacert = f->cfg.cacert,
                              .insecure = f->cfg.insecure,
                              .timeout_s = 60};
    return fh_taxii_client_new(f->cfg.hub, &o, &f->client, err);
}

/* Takes one object into the held set; true when the set changed. */
static bool take_object(fh__sensor_follow *f, json_t *obj)
{
    const char *id = fh_json_str(obj, "id");
    const char *type = fh_json_str(obj, "type");
    const char *modified = fh_json_str(obj, "modified");
    if (id == NULL || type == NULL || strcmp(type, "indicator") != 0 || modified == NULL)
        return false;
    json_t *held = json_object_get(f->objects, id);
    fh_time m, hm;
    if (held && fh_time_parse(modified, strlen(modified), &m, NULL) == FH_OK &&
        fh_time_parse(fh_json_str(held, "modified"), strlen(fh_json_str(held, "modified")), &hm,
                      NULL) == FH_OK &&
        fh_time_cmp(&m, &hm) <= 0)
        return false; /* not newer than what we have */
    bool gone = json_is_true(json_object_get(obj, "revoked"));
    const char *until = fh_json_str(obj, "valid_until");
    fh_time u, now = fh_time_now();
    if (until && fh_time_parse(until, strlen(until), &u, NULL) == FH_OK &&
        fh_time_cmp(&u, &now) <= 0)
        gone = true;
    if (gone)
        return json_object_del(f->objects, id) == 0;
    if (held == NULL && json_object_size(f->objects) >= f->cfg.max_objects) {
        f->errors++;
        fh_warn("sensor", "following: %zu indicators held, the limit; %s is left out",
                f->cfg.max_objects, id);
        return false;
    }
    json_object_set(f->objects, id, obj);
    return true;
}

/* Polls every collection once. True when the held set changed. */
static bool poll_once(fh__sensor_follow *f)
{
    fh_buf err;
    fh_buf_init(&err, 4096);
    bool changed = false;
    if (connect_hub(f, &err) != FH_OK) {
        f->errors++;
        fh_warn("sensor", "following: hub not reachable (%s)", err.data ? err.data : "?");
        fh_buf_cleanup(&err);
        return false;
    }
    f->polls++;
    for (size_t c = 0; c < f->cfg.n_collections; c++) {
        char *next = NULL;
        for (int page = 0; page < 100000; page++) {
            fh_buf q;
            fh_buf_init(&q, 4096);
            fh_buf_appendf(&q, "collections/%s/objects/", f->cfg.collections[c]);
            fh_taxii_query_add(&q, "match[type]", "indicator");
            fh_taxii_query_add(&q, "limit", "1000");
            if (f->added_after[c])
                fh_taxii_query_add(&q, "added_after", f->added_after[c]);
            if (next)
                fh_taxii_query_add(&q, "next", next);
            fh_taxii_reply r;
            fh_taxii_reply_init(&r);
            fh_err rc = fh_taxii_client_call(f->client, "GET", q.data, NULL, 0, &r, &err);
            fh_buf_cleanup(&q);
            json_t *env = rc == FH_OK && r.status == 200
                              ? json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL)
                              : NULL;
            if (env == NULL) {
                f->errors++;
                fh_buf msg;
                fh_buf_init(&msg, 4096);
                if (rc == FH_OK)
                    fh_taxii_describe_error(&r, &msg);
                fh_warn("sensor", "following %s: %s", f->cfg.collections[c],
                        rc ? (err.data ? err.data : "no answer") : (msg.data ? msg.data : "?"));
                fh_buf_cleanup(&msg);
                if (rc) {
                    fh_taxii_client_free(f->client);
                    f->client = NULL;
                }
                fh_taxii_reply_cleanup(&r);
                break;
            }
            size_t i;
            json_t *obj;
            pthread_mutex_lock(&f->lock);
            json_array_foreach(json_object_get(env, "objects"), i, obj)
            {
                changed |= take_object(f, obj);
            }
            pthread_mutex_unlock(&f->lock);
            if (r.added_last[0]) {
                free(f->added_after[c]);
                f->added_after[c] = fh_xstrdup(r.added_last);
            }
            bool more = json_is_true(json_object_get(env, "more"));
            free(next);
            next = more && fh_json_str(env, "next") ? fh_xstrdup(fh_json_str(env, "next")) : NULL;
            json_decref(env);
            fh_taxii_reply_cleanup(&r);
            if (next == NULL)
                break;
        }
        free(next);
    }
    fh_buf_cleanup(&err);
    return changed;
}

json_t *fh__sensor_follow_objects(fh__sensor_follow *f)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&f->lock);
    const char *k;
    json_t *v;
    json_object_foreach(f->objects, k, v)
    {
        json_array_append(arr, v);
    }
    pthread_mutex_unlock(&f->lock);
    return arr;
}

static void rebuild(fh__sensor_follow *f)
{
    json_t *objs = fh__sensor_follow_objects(f);
    struct fh__sensor_snapshot *snap = NULL;
    fh_buf err;
    fh_buf_init(&err, 1 << 16);
    if (fh__sensor_build_snapshot(f->sensor, (const char *const *)f->files, f->n_files, objs, &snap,
                                  &err) == FH_OK) {
        f->rebuilds++;
        fh__sensor_snapshot_free(atomic_exchange(&f->ready, snap));
    } else {
        f->errors++;
        fh_error("sensor", "following: rebuild failed, keeping the current indicators: %s",
                 err.data ? err.data : "?");
    }
    fh_buf_cleanup(&err);
    json_decref(objs);
}

struct fh__sensor_snapshot *fh__sensor_follow_take(fh__sensor_follow *f)
{
    if (atomic_load_explicit(&f->ready, memory_order_relaxed) == NULL)
        return NULL;
    return atomic_exchange(&f->ready, NULL);
}

static void *follow_thread(void *arg)
{
    fh__sensor_follow *f = arg;
    while (!atomic_load(&f->stop)) {
        for (unsigned t = 0; t < f->cfg.interval_s * 10 && !atomic_load(&f->stop); t++) {
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        if (!atomic_load(&f->stop) && poll_once(f))
            rebuild(f);
    }
    return NULL;
}

fh_err fh__sensor_follow_new(const fh_sensor *s, const fh_sensor_follow_config *cfg,
                             fh__sensor_follow **out, fh_buf *err)
{
    *out = NULL;
    if (cfg->hub == NULL || cfg->token == NULL || cfg->n_collections == 0) {
        fh_buf_appendf(err, "following needs --hub, a token and at least one --follow");
        return FH_ERR_USAGE;
    }
    fh__sensor_follow *f = fh_xcalloc(1, sizeof *f);
    f->sensor = s;
    f->cfg = *cfg;
    if (f->cfg.interval_s == 0)
        f->cfg.interval_s = 5;
    if (f->cfg.max_objects == 0)
        f->cfg.max_objects = 10000000;
    f->added_after = fh_xcalloc(cfg->n_collections, sizeof *f->added_after);
    f->objects = json_object();
    pthread_mutex_init(&f->lock, NULL);
    atomic_init(&f->ready, NULL);
    atomic_init(&f->stop, false);
    *out = f;
    return FH_OK;
}

fh_err fh__sensor_follow_start(fh__sensor_follow *f, const char *const *files, size_t n)
{
    f->files = fh_xcalloc(n ? n : 1, sizeof *f->files);
    for (size_t i = 0; i < n; i++)
        f->files[i] = fh_xstrdup(files[i]);
    f->n_files = n;
    /* One poll now, so that even a capture file is matched against the hub. */
    if (poll_once(f))
        rebuild(f);
    if (pthread_create(&f->thread, NULL, follow_thread, f) != 0)
        return FH_ERR_INTERNAL;
    f->started = true;
    return FH_OK;
}

void fh__sensor_follow_stop(fh__sensor_follow *f)
{
    if (f == NULL || !f->started)
        return;
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    f->started = false;
}

json_t *fh__sensor_follow_stats(fh__sensor_follow *f)
{
    pthread_mutex_lock(&f->lock);
    size_t held = json_object_size(f->objects);
    pthread_mutex_unlock(&f->lock);
    return json_pack("{s:I,s:I,s:I,s:I}", "polls", (json_int_t)f->polls, "indicators_held",
                     (json_int_t)held, "rebuilds", (json_int_t)f->rebuilds, "errors",
                     (json_int_t)f->errors);
}

void fh__sensor_follow_free(fh__sensor_follow *f)
{
    if (f == NULL)
        return;
    fh__sensor_follow_stop(f);
    fh__sensor_snapshot_free(atomic_exchange(&f->ready, NULL));
    fh_taxii_client_free(f->client);
    for (size_t c = 0; c < f->cfg.n_collections; c++)
        free(f->added_after[c]);
    free(f->added_after);
    for (size_t i = 0; i < f->n_files; i++)
        free(f->files[i]);
    free(f->files);
    json_decref(f->objects);
    pthread_mutex_destroy(&f->lock);
    free(f);
}
