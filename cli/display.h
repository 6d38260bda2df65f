/* display.h: what the readable output of the CLI shares: the display names
 * of nodes and categories beside their IDs, times in the machine's local
 * time zone (TZ respected) and in ISO 8601 UTC for JSON, and text padded by
 * the columns it takes on a terminal rather than by its bytes (a Chinese
 * character takes two).
 *
 * Names come from one topology the command registers (cli_names_set); it
 * stays the caller's and must outlive every call that reads names. Text is
 * UTF-8 whatever the locale: widths are measured in a UTF-8 locale (the
 * environment's if it is one, else C.UTF-8) with the C library's wcwidth,
 * or by a built-in table of the wide ranges when no UTF-8 locale exists. */
#ifndef GL_CLI_DISPLAY_H
#define GL_CLI_DISPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "topology.h"

/* The topology whose names the functions below print (NULL: none). */
void cli_names_set(const gl_topology_t *t);

/* The display name of node id, or NULL when the topology has none. */
/* The topology set by cli_names_set, or NULL. */
const gl_topology_t *cli_names(void);
const char *cli_node_display(const char *id);
/* "ID (display name)", or the bare ID when the topology has no name for it,
 * "-" for an empty one, into buf. Returns buf. */
const char *cli_node_name(const char *id, char *buf, size_t size);
/* The display name of category code ("城管/道路设施"), or NULL when the
 * catalogue does not know it. */
const char *cli_category_display(const char *code);
/* "urban/roads (城管/道路设施)", or the bare code, "-" for an empty one, into
 * buf. Returns buf. */
const char *cli_category_name(const char *code, char *buf, size_t size);

/* ms since the epoch in the local time zone, "2026-11-26 20:53:38", into
 * buf (at least 32 bytes). Returns buf. */
const char *cli_local_time(int64_t ms, char *buf, size_t size);
/* The same with the zone's abbreviation: "2026-11-26 20:53:38 CST". */
const char *cli_local_time_zone(int64_t ms, char *buf, size_t size);
/* The local time of day with milliseconds, "20:53:38.297". */
const char *cli_local_clock(int64_t ms, char *buf, size_t size);
/* ISO 8601 UTC with milliseconds, "2026-11-26T12:53:38.297Z" (at least 32
 * bytes). Returns buf. */
const char *cli_iso_time(int64_t ms, char *buf, size_t size);

/* The columns s takes on a terminal. */
size_t cli_width(const char *s);
/* Print s on f followed by spaces up to width columns (none when s is as
 * wide or wider). */
void cli_pad(FILE *f, const char *s, size_t width);

/* A table printed with every column but the last padded to its widest
 * cell, columns two spaces apart. Cells are copied. */
typedef struct cli_table cli_table_t;
cli_table_t *cli_table_new(size_t n_cols);
/* Add a row of n_cols cells (NULL prints as nothing). 0, or -1 when out of
 * memory (the row is not added). */
int cli_table_add(cli_table_t *t, const char *const *cells);
void cli_table_print(const cli_table_t *t, FILE *f);
void cli_table_free(cli_table_t **t);

#endif
