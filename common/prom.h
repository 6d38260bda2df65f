/* prom.h: the Prometheus text exposition format (version 0.0.4), written
 * into a growing buffer: metric families with HELP and TYPE, samples with
 * escaped labels, and histograms of fixed buckets.
 *
 * A gl_prom owns its buffer (gl_prom_free); an allocation failure marks it
 * failed and every later call does nothing, so a writer checks once at the
 * end. A gl_prom_hist is plain data, kept by whoever observes into it. */
#ifndef GL_PROM_H
#define GL_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GL_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define GL_PROM_BUCKETS      24
#define GL_PROM_LABELS       512 /* bytes of one sample's formatted labels */

typedef struct gl_prom {
    char *buf;
    size_t len, cap;
    bool failed;
} gl_prom;

void gl_prom_init(gl_prom *p);
void gl_prom_free(gl_prom *p);

/* Starts a family: name, type ("counter", "gauge", "histogram") and help. */
void gl_prom_family(gl_prom *p, const char *name, const char *type, const char *help);
/* One sample; labels is what gl_prom_labels made, or NULL/"" for none. */
void gl_prom_sample(gl_prom *p, const char *name, const char *labels, double value);

/* Formats key="value" pairs (a NULL-terminated list of key, value, ...)
 * into out, values escaped as the format requires; "" when out is too
 * small. Returns out. */
const char *gl_prom_labels(char out[GL_PROM_LABELS], ...) __attribute__((sentinel));

typedef struct gl_prom_hist {
    const double *bounds; /* upper bounds, ascending, n of them (<= GL_PROM_BUCKETS) */
    size_t n;
    uint64_t counts[GL_PROM_BUCKETS]; /* per bucket, not cumulative */
    uint64_t count;                   /* all observations, +Inf included */
    double sum;
} gl_prom_hist;

void gl_prom_hist_init(gl_prom_hist *h, const double *bounds, size_t n);
void gl_prom_hist_observe(gl_prom_hist *h, double v);
/* The family's _bucket (cumulative, with le), _sum and _count lines; the
 * family itself is started by the caller. */
void gl_prom_hist_write(gl_prom *p, const char *name, const char *labels, const gl_prom_hist *h);

#endif
