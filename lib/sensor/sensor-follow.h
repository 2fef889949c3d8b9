/*
 * Internal: following indicator collections on the hub (sensor-follow.c),
 * and the matcher snapshots it hands to the packet thread.
 */
#ifndef FENGHUO_SENSOR_FOLLOW_H
#define FENGHUO_SENSOR_FOLLOW_H

#include <jansson.h>

#include "fenghuo/match.h"
#include "fenghuo/sensor.h"

struct rules;

/* A matcher and the table of what its rule numbers mean, built together. */
struct fh__sensor_snapshot {
    fh_match *matcher;
    struct rules {
        struct rule *items;
        size_t count, cap;
        fh_buf arena; /* the rules' strings, NUL-terminated, one allocation */
        struct rule_cond *conds;
        size_t n_conds, cap_conds;
    } rules;
};

/* Builds a snapshot from indicator files and (may be NULL) hub objects.
 * Reads only s's configuration: safe in any thread. */
fh_err fh__sensor_build_snapshot(const fh_sensor *s, const char *const *files, size_t n,
                                 const json_t *hub_objects, struct fh__sensor_snapshot **out,
                                 fh_buf *err);
void fh__sensor_snapshot_free(struct fh__sensor_snapshot *snap);

typedef struct fh__sensor_follow fh__sensor_follow;

struct fh__sensor_enforce;

/* Polls the collections every interval_s seconds (added_after), keeps the
 * latest version of each indicator (revoked or expired ones are dropped),
 * and after a change builds a snapshot (files + hub) and offers it with
 * fh__sensor_follow_take. The enforced collections (cfg->enforced) are
 * held apart, so that after a change of theirs the enforcement helper gets
 * their addresses. */
fh_err fh__sensor_follow_new(const fh_sensor *s, const fh_sensor_follow_config *cfg,
                             fh__sensor_follow **out, fh_buf *err);
/* Polls once, then starts the thread. enforce: where the enforced
 * collections' addresses go (NULL when nothing is enforced; then cfg must
 * have named no enforced collection). */
fh_err fh__sensor_follow_start(fh__sensor_follow *f, const char *const *files, size_t n,
                               struct fh__sensor_enforce *enforce);
/* The newest snapshot not yet taken, or NULL: one atomic exchange. */
struct fh__sensor_snapshot *fh__sensor_follow_take(fh__sensor_follow *f);
/* A copy of the indicators held (a JSON array; the caller decrefs). */
json_t *fh__sensor_follow_objects(fh__sensor_follow *f);
/* Stops the thread (after the poll it may be in). */
void fh__sensor_follow_stop(fh__sensor_follow *f);
void fh__sensor_follow_free(fh__sensor_follow *f);
/* Counts for the stats line: polls, indicators held, rebuilds, errors. */
json_t *fh__sensor_follow_stats(fh__sensor_follow *f);

#endif
