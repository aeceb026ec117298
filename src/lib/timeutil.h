/* timeutil.h — Prometheus-style durations and times. */
#ifndef OPSPIPE_TIMEUTIL_H
#define OPSPIPE_TIMEUTIL_H

#include <stddef.h>

/*
 * Duration: "90s", "30m", "1h30m", "2d", "1w", "1y", "500ms", or plain
 * seconds ("90", "0.5"). Units in decreasing order, as Prometheus has it.
 * Returns 0 and *sec, or -1.
 */
int dur_parse(const char *s, double *sec);
/* Shortest Prometheus spelling of a whole-millisecond duration: "1h30m". */
size_t dur_format(double sec, char *buf, size_t len);

/*
 * Time: RFC 3339 ("2026-11-22T05:00:00Z", with fraction or offset),
 * Unix seconds ("1795320000.5"), "now", "now-1h", "now+5m".
 * Returns 0 and *t (Unix seconds), or -1.
 */
int time_parse(const char *s, double now, double *t);
double time_now(void);
/* RFC 3339 in UTC, with milliseconds when the time has a fraction. */
size_t time_format(double t, char *buf, size_t len);

#endif
