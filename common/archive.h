/* archive.h: a node's archive of pruned log entries and closed cases, one
 * gzip file a month: HOME/archive/NODE/YYYY-MM.jsonl.gz (the month in
 * Beijing time, UTC+08:00, of the event or of the case's last step).
 *
 * A file is a series of gzip members, one per append; each holds whole JSON
 * lines, one record a line:
 *   {"type":"event","seq":N,"event":{BusEvent as pbjson}}
 *   {"type":"case","id":"CASE","case":{Case as pbjson}}
 * An append is written and fsynced before the store forgets what it holds
 * (nodes/prune.c), so a crash between the two leaves records twice at worst;
 * the reader's walk (gl_archive_walk) passes each event sequence and each
 * case once. A torn tail (a member cut short) is read up to its last whole
 * line and reported; the writer cuts a file back to the size the store
 * recorded before it appends again (gl_archive_append's keep).
 *
 * Nothing here keeps state between calls; strings returned are the
 * caller's to free, JSON passed to callbacks is borrowed for the call. */
#ifndef GL_ARCHIVE_H
#define GL_ARCHIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GL_ARCHIVE_LINE_MAX (4u << 20) /* a longer line is refused as corrupt */
#define GL_ARCHIVE_MONTHS   1200       /* months listed at most (a hundred years) */

/* "YYYY-MM" of ms since the epoch, in Beijing time (UTC+08:00). */
void gl_archive_month(int64_t ms, char out[8]);
/* True for "YYYY-MM" with a month 01..12. */
bool gl_archive_month_ok(const char *month);

/* HOME/archive/NODE into buf (and make it, with its parents, when make). */
int gl_archive_dir(const char *home, const char *node, bool make, char *buf, size_t size);

/* Append len bytes of JSON lines to DIR/MONTH.jsonl.gz as one gzip member,
 * then fsync the file (and the directory when the file is new). keep is
 * the size the file had after the last append its store recorded: a file
 * longer than that is cut back to it first (what lies past it was never
 * recorded as archived, and comes again). *size gets the file's size after
 * the append. GL_EIO / GL_ENOSPC with a reason in err. */
int gl_archive_append(const char *dir, const char *month, const char *lines, size_t len, uint64_t keep, uint64_t *size,
                      char *err, size_t errlen);

/* What a read met. */
typedef struct gl_archive_stats {
    uint64_t records;    /* passed to the callback */
    uint64_t duplicates; /* records seen before (an append done twice), skipped */
    uint64_t bad;        /* lines that are not a record, skipped */
    bool torn;           /* the data ended inside a gzip member, or did not inflate */
} gl_archive_stats;

/* Every record of the gzip data on fd, in file order, to fn (its return
 * stops the walk and is returned), skipping an event whose seq is at or
 * below the highest already passed and a case whose id was passed. fd is
 * read from its current offset and left open. A file that is not gzip
 * gives GL_EINVAL; a torn tail ends the walk with 0 and stats->torn. */
typedef int (*gl_archive_fn)(const json_t *rec, void *arg);
int gl_archive_walk_fd(int fd, gl_archive_fn fn, void *arg, gl_archive_stats *stats, char *err, size_t errlen);
/* The same for DIR/MONTH.jsonl.gz; GL_ENOENT when there is none. */
int gl_archive_walk(const char *dir, const char *month, gl_archive_fn fn, void *arg, gl_archive_stats *stats, char *err,
                    size_t errlen);

/* The months archived in dir, sorted, each "YYYY-MM" (8 bytes with its
 * NUL) in *months (the caller frees it); none is 0 with *n 0. */
int gl_archive_months(const char *dir, char (**months)[8], size_t *n);

#endif
