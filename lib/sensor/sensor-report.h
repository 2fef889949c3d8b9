/*
 * Internal: the sensor's reporter (sensor-report.c). See fenghuo/sensor.h
 * for the configuration.
 */
#ifndef FENGHUO_SENSOR_REPORT_H
#define FENGHUO_SENSOR_REPORT_H

#include <jansson.h>

#include "fenghuo/sensor.h"

typedef struct fh__sensor_report fh__sensor_report;

fh_err fh__sensor_report_new(const fh_sensor_report_config *cfg, fh__sensor_report **out,
                             fh_buf *err);
fh_err fh__sensor_report_start(fh__sensor_report *r, fh_buf *err);
/* Turns one event into STIX objects and queues them (thread-safe). */
void fh__sensor_report_event(fh__sensor_report *r, const json_t *ev);
/* Stops the thread after at most wait_s seconds of posting; adds the
 * reporter's counts to stats (may be NULL). */
void fh__sensor_report_finish(fh__sensor_report *r, unsigned wait_s, json_t *stats);
void fh__sensor_report_free(fh__sensor_report *r);

#endif
