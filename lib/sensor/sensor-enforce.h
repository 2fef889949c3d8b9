/*
 * Internal: blocking in nftables from the sensor (sensor-enforce.c): its own
 * detections, and the addresses of the hub collections it enforces.
 */
#ifndef FENGHUO_SENSOR_ENFORCE_H
#define FENGHUO_SENSOR_ENFORCE_H

#include <jansson.h>
#include <stdbool.h>

#include "fenghuo/mitigate.h"

typedef struct fh__sensor_enforce fh__sensor_enforce;

/* Most entries the helper holds from the enforced collections; the rest of
 * a larger feed is left out with a warning. */
#define FH__SENSOR_ENFORCE_MAX_FEED 10000000

/* Forks the privileged helper (call as root, before dropping privileges and
 * before any thread starts). allow[0..n_allow) is never blocked. open_ttl_s:
 * the element timeout given to enforced indicators without valid_until,
 * renewed while the sensor runs (so a stopped sensor's blocks lapse). */
fh_err fh__sensor_enforce_new(const char *table, const fh_block *allow, size_t n_allow,
                              bool dry_run, unsigned open_ttl_s, fh__sensor_enforce **out,
                              fh_buf *err);
/* Asks for addr to be blocked for seconds; never blocks the caller (the
 * packet thread): a full pipe is counted. */
void fh__sensor_enforce_block(fh__sensor_enforce *e, const char *addr, unsigned seconds);
/* Replaces what is blocked for the enforced collections by the exact
 * addresses and prefixes of the indicators among objects (expiring at their
 * valid_until; revoked ones and patterns a set cannot hold are left out, as
 * `fenghuo enforce` does). Called by the following thread; may wait for the
 * helper (at most 30 s, then the update is dropped, counted, and false is
 * returned: the caller sends again later). */
bool fh__sensor_enforce_feed(fh__sensor_enforce *e, const json_t *objects);
/* Closes the pipes, waits for the helper to finish its last sync, returns
 * the counts for the stats line. Call after the following thread stopped. */
json_t *fh__sensor_enforce_finish(fh__sensor_enforce *e);
void fh__sensor_enforce_free(fh__sensor_enforce *e);

#endif
