/* cli.h: what the gridlink subcommands share: finding the home directory,
 * loading its topology, checking node IDs, parsing options (args.c) and
 * printing one-line errors. A subcommand exits 0 on success, 1 when what it
 * asked for failed, CLI_USAGE when it was asked wrongly. */
#ifndef GL_CLI_H
#define GL_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "display.h"
#include "gridlink.pb-c.h"
#include "topology.h"

/* --home, else $GRIDLINK_HOME, else ./gridlink-home. Never NULL. */
const char *cli_home(const char *given);
/* Print "gridlink CMD: <reason>" on stderr; returns 1 for `return cli_fail(...)`. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Load HOME/topology.json, or fail with a one-line reason. */
int cli_topology(const char *cmd, const char *home, gl_topology_t **out);

#define CLI_USAGE     2
#define CLI_OPT_ERROR (-2)
struct option;
/* Print "gridlink CMD: <reason> (gridlink help lists the options)" on stderr;
 * returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Start parsing a new argv with cli_next_opt. */
void cli_opts_reset(void);
/* The next option of argv (long options lo only), as getopt_long returns
 * it, -1 after the last; CLI_OPT_ERROR, with the reason printed, for an
 * unknown option, one whose value is missing, or one whose val is not in
 * allowed (NULL allows all of lo). Positional arguments are left from
 * optind on. */
int cli_next_opt(const char *cmd, int argc, char **argv, const struct option *lo, const char *allowed);
/* text as a whole base-10 number in lo..hi into *out, or print why not
 * (naming opt) and return CLI_USAGE. */
int cli_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi, long long *out);

/* text as a duration in milliseconds: 90s, 30m, 2h, 3d or plain seconds,
 * more than 0 and at most a year; or print why not (naming opt) and return
 * CLI_USAGE. */
int cli_duration(const char *cmd, const char *opt, const char *text, int64_t *ms);

/* ---- the case commands (cmd_cases.c, cmd_work.c) ---- */

/* Their options, as cli_case_parse leaves them. Strings point into argv;
 * unset ones are NULL, unset numbers 0, unset yes/no answers -1. */
typedef struct cli_case_opts {
    const char *home, *node, *category, *text, *note, *address, *reporter;
    const char *to, *under, *community, *into, *state, *after, *holder, *search;
    int priority, kind, tier, reason, timeout_ms, limit;
    int resolved, satisfied;
    int64_t sign_within_ms, due_ms, by_ms; /* by_ms: an amount of by_unit (TimeUnit) */
    uint32_t by_unit;
    bool json, overdue, holding, due_soon, unplaced;
    double lat, lon;
    bool has_lat, has_lon;
    char *photos[GL_MAX_ATTACHMENTS]; /* --photo SHA256, as gridlink attach printed them */
    size_t n_photos;
} cli_case_opts;

/* Parse the options of case command cmd; `allowed` lists the ones it takes
 * by their codes:
 *   H --home  n --node  c --category  t --text  N --note  p --priority
 *   k --kind  a --address  r --reporter  T --timeout  j --json
 *   o --to  u --under  L --tier  s --sign-within  d --due  C --community
 *   R --reason  b --by  I --into  v --resolved  S --satisfied
 *   e --state  O --overdue  g --holding  W --due-soon  w --report-within (as --sign-within)
 *   y --lat  x --lon  U --unplaced  l --limit  A --after  X --holder  Q --search
 *   P --photo (repeatable)
 * Checks --node against HOME's topology, which stays loaded for the
 * display names of display.h. 0, or the exit status of an error already
 * reported. */
int cli_case_parse(const char *cmd, int argc, char **argv, const char *allowed, cli_case_opts *o);
/* Exactly n positional arguments after the options, or a usage error. */
int cli_positionals(const char *cmd, int argc, char **argv, int n, const char *usage);
/* A syntactically valid case ID, or a usage error. */
int cli_case_id_arg(const char *cmd, const char *id);
/* One request on the control socket of the process hosting o->node. 0 with
 * *rep the caller's (gridlink__v1__ctl_reply__free_unpacked), or 1 with the
 * node's refusal or the transport's error printed. */
int cli_case_call(const char *cmd, const cli_case_opts *o, Gridlink__V1__CtlRequest *req, Gridlink__V1__CtlReply **rep);
/* A new case's fields from the options (category and text required): 0, or
 * the exit status of the usage error it reported. */
int cli_intake(const char *cmd, const cli_case_opts *o, Gridlink__V1__CtlRequest *req);
/* Send a request that makes one case and print it (--json) or its ID. */
int cli_new_case(const char *cmd, const cli_case_opts *o, Gridlink__V1__CtlRequest *req);
/* The case as JSON: every field (defaults included), a UTC `time` beside
 * every history entry's time_ms, `counters` always, `deadlines` with the
 * running ones, and for a bulk task `parts` built from the copies of its
 * parts in parts[] (as a show reply carries them), judged at now. */
json_t *cli_case_json(const Gridlink__V1__Case *c, Gridlink__V1__Case *const *parts, size_t n_parts, int64_t now);
/* The wall clock, ms since the epoch. */
int64_t cli_now_ms(void);
/* Print j indented on stdout and release it. */
void cli_print_json(json_t *j);
/* One case as `gridlink show` prints it, with the parts of a bulk task. */
void cli_print_case(const Gridlink__V1__Case *c, Gridlink__V1__Case *const *parts, size_t n_parts);
/* An archived case of node (cmd_archive.c), printed as show prints it
 * (json: as --json, with "archived": "YYYY-MM"): 0 when printed, 1 after
 * an error printed, -1 when the archive has no such case (nothing printed). */
int cli_archive_show(const char *home, const char *node, const char *id, bool json);

/* The readable one-line outcome of an action: case, state, holder, and the
 * node's note when the action was sent on to the holder. */
void cli_print_outcome(const Gridlink__V1__CtlReply *rep);

int gl_cmd_submit(int argc, char **argv);
int gl_cmd_show(int argc, char **argv);
int gl_cmd_list(int argc, char **argv);
int gl_cmd_act(int argc, char **argv);
int gl_cmd_health(int argc, char **argv);
int gl_cmd_dispatch(int argc, char **argv);
int gl_cmd_whistle(int argc, char **argv);
int gl_cmd_request(int argc, char **argv);
int gl_cmd_rate(int argc, char **argv);
int gl_cmd_deadletters(int argc, char **argv);
int gl_cmd_watch(int argc, char **argv);
int gl_cmd_keygen(int argc, char **argv);
int gl_cmd_provision(int argc, char **argv);
int gl_cmd_keys(int argc, char **argv);
int gl_cmd_topology(int argc, char **argv);
int gl_cmd_demo(int argc, char **argv);
int gl_cmd_load(int argc, char **argv);
int gl_cmd_bench(int argc, char **argv);
int gl_cmd_user(int argc, char **argv);
int gl_cmd_apikey(int argc, char **argv);
int gl_cmd_appraisal(int argc, char **argv);
int gl_cmd_backup(int argc, char **argv);
int gl_cmd_attach(int argc, char **argv);
int gl_cmd_attachment(int argc, char **argv);
int gl_cmd_survey(int argc, char **argv);
int gl_cmd_facts(int argc, char **argv);
int gl_cmd_restore(int argc, char **argv);
int gl_cmd_replay(int argc, char **argv);
int gl_cmd_archive(int argc, char **argv);

#endif
