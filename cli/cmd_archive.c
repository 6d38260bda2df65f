/* cmd_archive.c: `gridlink archive`: what a node's retention moved out of
 * its store (archive.h): the months archived (list), one month's or every
 * month's records as JSON lines (cat), one archived case as `show` prints
 * it (show; `gridlink show` falls back to it too), and a retention pass
 * run now by the node's process (prune). Reading needs only the home's
 * files; prune asks the running process. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "cli.h"
#include "display.h"
#include "ctl.h"
#include "error.h"
#include "names.h"
#include "pbjson.h"

static const char *const usage =
    "gridlink archive list|cat|show|prune --node NODE_ID [--month YYYY-MM] [CASE_ID] [--json]";

struct counts {
    uint64_t events, cases;
};

static int count_rec(const json_t *rec, void *arg)
{
    struct counts *k = arg;
    if (strcmp(json_string_value(json_object_get(rec, "type")), "event") == 0)
        k->events++;
    else
        k->cases++;
    return 0;
}

static void say_torn(const char *month, const gl_archive_stats *st, const char *err)
{
    if (st->torn)
        fprintf(stderr, "gridlink archive: %s: %s\n", month, err);
    if (st->bad)
        fprintf(stderr, "gridlink archive: %s: %llu lines that are not records skipped\n", month,
                (unsigned long long)st->bad);
}

static int do_list(const char *dir, bool json)
{
    char(*months)[8] = NULL;
    size_t n = 0;
    int rc = gl_archive_months(dir, &months, &n);
    if (rc != 0)
        return cli_fail("archive", "cannot read %s: %s", dir, gl_strerror(rc));
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        struct counts k = {0};
        gl_archive_stats st;
        char err[512] = "";
        rc = gl_archive_walk(dir, months[i], count_rec, &k, &st, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "gridlink archive: %s: %s\n", months[i], err);
            continue;
        }
        say_torn(months[i], &st, err);
        if (arr)
            json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, s:b}", "month", months[i], "events",
                                                 (json_int_t)k.events, "cases", (json_int_t)k.cases, "duplicates",
                                                 (json_int_t)st.duplicates, "torn", st.torn));
        else
            printf("%s  %llu log entries  %llu cases%s\n", months[i], (unsigned long long)k.events,
                   (unsigned long long)k.cases, st.torn ? "  (torn tail)" : "");
    }
    if (!json && n == 0)
        printf("nothing archived in %s\n", dir);
    free(months);
    if (arr)
        cli_print_json(arr);
    return 0;
}

static int print_rec(const json_t *rec, void *arg)
{
    (void)arg;
    char *s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    return s ? 0 : GL_ENOMEM;
}

static int do_cat(const char *dir, const char *month)
{
    char(*months)[8] = NULL;
    size_t n = 0;
    if (month) {
        months = malloc(sizeof *months);
        if (!months)
            return cli_fail("archive", "out of memory");
        memcpy(months[0], month, 8);
        n = 1;
    } else {
        int rc = gl_archive_months(dir, &months, &n);
        if (rc != 0)
            return cli_fail("archive", "cannot read %s: %s", dir, gl_strerror(rc));
    }
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        gl_archive_stats st;
        char err[512] = "";
        int rc = gl_archive_walk(dir, months[i], print_rec, NULL, &st, err, sizeof err);
        if (rc != 0) {
            status = cli_fail("archive", "%s", err[0] ? err : gl_strerror(rc));
            continue;
        }
        say_torn(months[i], &st, err);
    }
    free(months);
    return status;
}

struct find {
    const char *id;
    json_t *found; /* the last record of the case met */
};

static int find_case(const json_t *rec, void *arg)
{
    struct find *f = arg;
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (id && strcmp(id, f->id) == 0) {
        json_decref(f->found);
        f->found = json_deep_copy(rec);
    }
    return 0;
}

int cli_archive_show(const char *home, const char *node, const char *id, bool json)
{
    char dir[PATH_MAX];
    if (gl_archive_dir(home, node, false, dir, sizeof dir) != 0)
        return -1;
    char(*months)[8] = NULL;
    size_t n = 0;
    if (gl_archive_months(dir, &months, &n) != 0)
        return -1;
    /* Newest month first: a case archived twice (it came back) shows as
     * it was last. */
    struct find f = {.id = id};
    char month[8] = "";
    for (size_t i = n; i-- > 0 && !f.found;) {
        gl_archive_stats st;
        char err[512] = "";
        if (gl_archive_walk(dir, months[i], find_case, &f, &st, err, sizeof err) == 0 && f.found)
            memcpy(month, months[i], 8);
    }
    free(months);
    if (!f.found)
        return -1;
    ProtobufCMessage *m = NULL;
    char why[256] = "";
    int rc =
        gl_pbjson_to_message(&gridlink__v1__case__descriptor, json_object_get(f.found, "case"), &m, why, sizeof why);
    json_decref(f.found);
    if (rc != 0)
        return cli_fail("show", "archived case %s does not read back (%s)", id, why);
    Gridlink__V1__Case *c = (Gridlink__V1__Case *)m;
    if (json) {
        json_t *j = cli_case_json(c, NULL, 0, cli_now_ms());
        if (j)
            json_object_set_new(j, "archived", json_string(month));
        cli_print_json(j);
    } else {
        cli_print_case(c, NULL, 0);
        printf("  已归档 archived %s: %s/%s.jsonl.gz\n", month, dir, month);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

static int do_prune(const char *home, const char *node, bool json)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "prune";
    req.node = (char *)node;
    Gridlink__V1__CtlReply *rep = NULL;
    char err[512];
    if (gl_ctl_call(home, &req, 60000, &rep, err, sizeof err) != 0)
        return cli_fail("archive", "%s", err);
    int status = 0;
    if (rep->code != 0)
        status = cli_fail("archive", "%s", rep->error[0] ? rep->error : gl_strerror(rep->code));
    else if (json)
        cli_print_json(
            json_pack("{s:s, s:s, s:I}", "node", node, "note", rep->note, "archived", (json_int_t)rep->matched));
    else
        printf("%s: %s\n", node, rep->note);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return status;
}

int gl_cmd_archive(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"node", required_argument, 0, 'n'},
                                       {"month", required_argument, 0, 'm'},
                                       {"json", no_argument, 0, 'j'},
                                       {0, 0, 0, 0}};
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage("archive", "give list, cat, show or prune: %s", usage);
    const char *what = argv[1];
    bool list = strcmp(what, "list") == 0, cat = strcmp(what, "cat") == 0, show = strcmp(what, "show") == 0,
         prune = strcmp(what, "prune") == 0;
    if (!list && !cat && !show && !prune)
        return cli_usage("archive", "unknown subcommand '%s': %s", what, usage);
    const char *home = NULL, *node = NULL, *month = NULL;
    bool json = false;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt("archive", argc - 1, argv + 1, lo, "Hnmj")) != -1) {
        if (c == 'H')
            home = optarg;
        else if (c == 'n')
            node = optarg;
        else if (c == 'm')
            month = optarg;
        else if (c == 'j')
            json = true;
        else
            return CLI_USAGE;
    }
    int want = show ? 1 : 0;
    if (argc - 1 - optind != want)
        return cli_usage("archive", "%s: %s", show ? "give one CASE_ID" : "unexpected argument", usage);
    if (!node)
        return cli_usage("archive", "give --node NODE_ID: %s", usage);
    if (month && (!cat || !gl_archive_month_ok(month)))
        return cli_usage("archive", "--month YYYY-MM goes with cat");
    if (show && cli_case_id_arg("archive", argv[1 + optind]) != 0)
        return CLI_USAGE;
    home = cli_home(home);
    gl_topology_t *t = NULL;
    if (cli_topology("archive", home, &t) != 0)
        return 1;
    if (!gl_node_id_valid(node) || !gl_topology_find(t, node)) {
        gl_topology_free(&t);
        return cli_usage("archive", "%s is not a node of %s/topology.json", node, home);
    }
    cli_names_set(t); /* show's display names */
    char dir[PATH_MAX];
    int rc;
    if (prune) {
        rc = do_prune(home, node, json);
    } else if (show) {
        rc = cli_archive_show(home, node, argv[1 + optind], json);
        if (rc < 0)
            rc = cli_fail("archive", "case %s is not in %s's archive", argv[1 + optind], node);
    } else if (gl_archive_dir(home, node, false, dir, sizeof dir) != 0) {
        rc = cli_fail("archive", "home path too long");
    } else {
        rc = list ? do_list(dir, json) : do_cat(dir, month);
    }
    cli_names_set(NULL);
    gl_topology_free(&t);
    return rc;
}
