/*
 * Internal: blocking the sensor's own detections (sensor-enforce.c).
 */
#ifndef FENGHUO_SENSOR_ENFORCE_H
#define FENGHUO_SENSOR_ENFORCE_H

#include <jansson.h>
#include <stdbool.h>

#include "fenghuo/mitigate.h"

typedef struct fh__sensor_enforce fh__sensor_enforce;

/* Forks the privileged helper (call as root, before dropping privileges). */
fh_err fh__sensor_enforce_new(const char *table, const fh_block *allow, size_t n_allow,
                              bool dry_run, fh__sensor_enforce **out, fh_buf *err);
/* Asks for addr to be blocked for seconds; never blocks the caller. */
void fh__sensor_enforce_block(fh__sensor_enforce *e, const char *addr, unsigned seconds);
/* Closes the pipe, waits for the helper to finish its last sync, returns
 * the counts for the stats line. */
json_t *fh__sensor_enforce_finish(fh__sensor_enforce *e);
void fh__sensor_enforce_free(fh__sensor_enforce *e);

#endif
