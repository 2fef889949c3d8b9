/*
 * The sensor follows indicator collections on the hub: a thread polls them
 * (fh_taxii_follow) and after a change builds a new matcher from the
 * indicator files and what the hub holds. The packet thread picks it up with
 * one atomic exchange between two packets, so no packet waits for the
 * network or for a rebuild, and none is dropped while the matcher changes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fenghuo/taxii.h"
#include "sensor/sensor-follow.h"

struct fh__sensor_follow {
    const fh_sensor *sensor;
    fh_taxii_follow *follow;
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
    return fh_taxii_follow_objects(f->follow);
}

static void rebuild(fh__sensor_follow *f)
{
    json_t *objs = fh_taxii_follow_objects(f->follow);
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

static void *follow_thread(void *arg)
{
    fh__sensor_follow *f = arg;
    while (!atomic_load(&f->stop)) {
        for (unsigned t = 0; t < f->interval_s * 10 && !atomic_load(&f->stop); t++) {
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        if (!atomic_load(&f->stop) && fh_taxii_follow_poll(f->follow))
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
    fh_taxii_client_opts opts = {
        .token = cfg->token, .cacert = cfg->cacert, .insecure = cfg->insecure, .timeout_s = 60};
    fh__sensor_follow *f = fh_xcalloc(1, sizeof *f);
    fh_err rc = fh_taxii_follow_new(cfg->hub, &opts, cfg->collections, cfg->n_collections,
                                    "indicator", cfg->max_objects, &f->follow);
    if (rc) {
        free(f);
        return rc;
    }
    f->sensor = s;
    f->interval_s = cfg->interval_s ? cfg->interval_s : 5;
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
    if (fh_taxii_follow_poll(f->follow))
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
    uint64_t polls, errors;
    fh_taxii_follow_counts(f->follow, &polls, &errors);
    return json_pack("{s:I,s:I,s:I,s:I}", "polls", (json_int_t)polls, "indicators_held",
                     (json_int_t)fh_taxii_follow_count(f->follow), "rebuilds",
                     (json_int_t)f->rebuilds, "errors", (json_int_t)(errors + f->rebuild_errors));
}

void fh__sensor_follow_free(fh__sensor_follow *f)
{
    if (f == NULL)
        return;
    fh__sensor_follow_stop(f);
    fh__sensor_snapshot_free(atomic_exchange(&f->ready, NULL));
    fh_taxii_follow_free(f->follow);
    for (size_t i = 0; i < f->n_files; i++)
        free(f->files[i]);
    free(f->files);
    free(f);
}
