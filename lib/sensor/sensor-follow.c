/*
 * The sensor follows indicator collections on the hub: a thread polls them
 * (fh_taxii_follow) and after a change builds a new matcher from the
 * indicator files and what the hub holds. The packet thread picks it up with
 * one atomic exchange between two packets, so no packet waits for the
 * network or for a rebuild, and none is dropped while the matcher changes.
 *
 * The collections the sensor enforces (--enforce-collection) are followed
 * apart from those it only matches, so that after a change of theirs the
 * same thread hands their addresses to the enforcement helper
 * (sensor-enforce.c). Matching uses both.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fenghuo/json.h"
#include "fenghuo/taxii.h"
#include "sensor/sensor-enforce.h"
#include "sensor/sensor-follow.h"

struct fh__sensor_follow {
    const fh_sensor *sensor;
    fh_taxii_follow *matched;  /* collections only matched, or NULL */
    fh_taxii_follow *enforced; /* matched and blocked, or NULL */
    fh__sensor_enforce *enforce;
    bool feed_due; /* the enforced collections' entries are still to be sent */
    unsigned interval_s;
    _Atomic(struct fh__sensor_snapshot *) ready;
    atomic_bool stop;
    pthread_t thread;
    bool started;
    char **files;
    size_t n_files;
    uint64_t rebuilds, rebuild_errors;
};

json_t *fh__sensor_follow_objects(fh__sensor_follow *f)
{
    json_t *all = f->enforced ? fh_taxii_follow_objects(f->enforced) : json_array();
    if (f->matched == NULL)
        return all;
    json_t *more = fh_taxii_follow_objects(f->matched);
    if (json_array_size(all) == 0) {
        json_decref(all);
        return more;
    }
    /* An indicator in both kinds of collection is matched once. */
    json_t *ids = json_object();
    size_t i;
    json_t *obj;
    json_array_foreach(all, i, obj)
    {
        json_object_set_new(ids, fh_json_str(obj, "id"), json_true());
    }
    json_array_foreach(more, i, obj)
    {
        if (json_object_get(ids, fh_json_str(obj, "id")) == NULL)
            json_array_append(all, obj);
    }
    json_decref(ids);
    json_decref(more);
    return all;
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
        f->rebuild_errors++;
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

/* Polls every collection once; after a change, a new matcher and (for the
 * enforced collections) the helper's entries. */
static void poll_all(fh__sensor_follow *f)
{
    bool matched = f->matched && fh_taxii_follow_poll(f->matched);
    bool enforced = f->enforced && fh_taxii_follow_poll(f->enforced);
    if (matched || enforced)
        rebuild(f);
    if (f->enforce && (enforced || f->feed_due)) {
        json_t *objs = fh_taxii_follow_objects(f->enforced);
        f->feed_due = !fh__sensor_enforce_feed(f->enforce, objs);
        json_decref(objs);
    }
}

static void *follow_thread(void *arg)
{
    fh__sensor_follow *f = arg;
    while (!atomic_load(&f->stop)) {
        for (unsigned t = 0; t < f->interval_s * 10 && !atomic_load(&f->stop); t++) {
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        if (!atomic_load(&f->stop))
            poll_all(f);
    }
    return NULL;
}

static bool listed(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

fh_err fh__sensor_follow_new(const fh_sensor *s, const fh_sensor_follow_config *cfg,
                             fh__sensor_follow **out, fh_buf *err)
{
    *out = NULL;
    if (cfg->hub == NULL || cfg->token == NULL || cfg->n_collections + cfg->n_enforced == 0) {
        fh_buf_appendf(err, "following needs --hub, a token and at least one --follow or "
                            "--enforce-collection");
        return FH_ERR_USAGE;
    }
    fh_taxii_client_opts opts = {
        .token = cfg->token, .cacert = cfg->cacert, .insecure = cfg->insecure, .timeout_s = 60};
    fh__sensor_follow *f = fh_xcalloc(1, sizeof *f);
    /* A collection named both ways is enforced (and matched) once. */
    const char **only = fh_xcalloc(cfg->n_collections + 1, sizeof *only);
    size_t n_only = 0;
    for (size_t i = 0; i < cfg->n_collections; i++)
        if (!listed(cfg->enforced, cfg->n_enforced, cfg->collections[i]) &&
            !listed(only, n_only, cfg->collections[i]))
            only[n_only++] = cfg->collections[i];
    fh_err rc = FH_OK;
    if (n_only)
        rc = fh_taxii_follow_new(cfg->hub, &opts, only, n_only, "indicator", cfg->max_objects,
                                 &f->matched);
    if (rc == FH_OK && cfg->n_enforced)
        rc = fh_taxii_follow_new(cfg->hub, &opts, cfg->enforced, cfg->n_enforced, "indicator",
                                 cfg->max_objects, &f->enforced);
    free(only);
    if (rc) {
        fh_taxii_follow_free(f->matched);
        free(f);
        fh_buf_appendf(err, "cannot follow the hub's collections");
        return rc;
    }
    f->sensor = s;
    f->interval_s = cfg->interval_s ? cfg->interval_s : 5;
    atomic_init(&f->ready, NULL);
    atomic_init(&f->stop, false);
    *out = f;
    return FH_OK;
}

fh_err fh__sensor_follow_start(fh__sensor_follow *f, const char *const *files, size_t n,
                               fh__sensor_enforce *enforce)
{
    assert(enforce || f->enforced == NULL);
    f->enforce = enforce;
    f->files = fh_xcalloc(n ? n : 1, sizeof *f->files);
    for (size_t i = 0; i < n; i++)
        f->files[i] = fh_xstrdup(files[i]);
    f->n_files = n;
    /* One poll now, so that even a capture file is matched against the hub
     * (and its enforced addresses are blocked before the first packet). */
    poll_all(f);
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
    uint64_t polls = 0, errors = 0, p, e;
    size_t held = 0, enforced = 0;
    if (f->matched) {
        fh_taxii_follow_counts(f->matched, &polls, &errors);
        held = fh_taxii_follow_count(f->matched);
    }
    if (f->enforced) {
        /* One poll of the sensor polls both kinds of collection. */
        fh_taxii_follow_counts(f->enforced, &p, &e);
        polls = p > polls ? p : polls;
        errors += e;
        enforced = fh_taxii_follow_count(f->enforced);
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:I}", "polls", (json_int_t)polls, "indicators_held",
                     (json_int_t)(held + enforced), "indicators_enforced", (json_int_t)enforced,
                     "rebuilds", (json_int_t)f->rebuilds, "errors",
                     (json_int_t)(errors + f->rebuild_errors));
}

void fh__sensor_follow_free(fh__sensor_follow *f)
{
    if (f == NULL)
        return;
    fh__sensor_follow_stop(f);
    fh__sensor_snapshot_free(atomic_exchange(&f->ready, NULL));
    fh_taxii_follow_free(f->matched);
    fh_taxii_follow_free(f->enforced);
    for (size_t i = 0; i < f->n_files; i++)
        free(f->files[i]);
    free(f->files);
    free(f);
}
