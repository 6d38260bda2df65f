/* cmd_replay.c: `gridlink replay`: a period's recorded events counted again
 * under another topology's SLA rules and calendar (common/replay.c), the
 * figures as they were and as they would have been side by side.
 *
 * Every node's store under HOME is opened read-only (no lock taken, nothing
 * written; a running node goes on working) and read in one read
 * transaction: its log in sequence order (what retention pruned from its
 * archive, archive.h, then the store's) and its copies of the cases. The
 * period is whole days, --from's start to --to's end, in the district's
 * time zone (the calendar's utc_offset). Events before the period are read
 * too, for the clocks that started before it. Both streams are fed to the
 * KPIs (common/kpi.h; the replayed one with NEW.json's calendar) and the
 * period's day counts of each unit summed; the step counts are of the
 * events inside the period. Everything read is the replay's; it frees it. */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "cli.h"
#include "error.h"
#include "home.h"
#include "kpi.h"
#include "names.h"
#include "pbjson.h"
#include "policy.h"
#include "replay.h"
#include "store.h"

#define CMD "replay"

/* The steps of one stream inside the period, at a unit and below. */
struct tally {
    uint64_t events, escalations, clock_escalations, overdue, pending, accepted, received;
};

struct row {
    const char *id, *label;
    size_t offset;
};

static const struct row rows[] = {
    {"events", "事件数", offsetof(struct tally, events)},
    {"received", "接收数", offsetof(struct tally, received)},
    {"accepted", "签收数", offsetof(struct tally, accepted)},
    {"escalations", "上报数", offsetof(struct tally, escalations)},
    {"clock_escalations", "超时自动上报数", offsetof(struct tally, clock_escalations)},
    {"overdue", "超时数", offsetof(struct tally, overdue)},
    {"escalations_pending", "待上报数 (链路中断)", offsetof(struct tally, pending)},
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static uint64_t tally_get(const struct tally *t, const struct row *r)
{
    return *(const uint64_t *)((const char *)t + r->offset);
}

static void tally_add(struct tally *t, const Gridlink__V1__BusEvent *ev)
{
    t->events++;
    if (strcmp(ev->kind, "escalated") == 0) {
        t->escalations++;
        const char *n = ev->note ? ev->note : "";
        if (strncmp(n, GL_DUE_NOTE_ACCEPT, strlen(GL_DUE_NOTE_ACCEPT)) == 0 ||
            strncmp(n, GL_DUE_NOTE_ABSENT, strlen(GL_DUE_NOTE_ABSENT)) == 0 ||
            strncmp(n, GL_DUE_NOTE_RESOLVE, strlen(GL_DUE_NOTE_RESOLVE)) == 0)
            t->clock_escalations++;
    } else if (strcmp(ev->kind, "overdue") == 0) {
        t->overdue++;
    } else if (strcmp(ev->kind, "escalation-pending") == 0) {
        t->pending++;
    } else if (strcmp(ev->kind, "accepted") == 0) {
        t->accepted++;
    } else if (strcmp(ev->kind, "received") == 0) {
        t->received++;
    }
}

struct reader {
    gl_replay_t *r;
    uint64_t pruned; /* the archive's events: seq 1 .. pruned */
    size_t events, bad;
    int rc;
};

static int take_case(const Gridlink__V1__Case *c, void *arg)
{
    struct reader *rd = arg;
    rd->rc = gl_replay_case(rd->r, c->id, (int)c->priority, c->sign_within_ms, c->due_within_ms);
    return rd->rc;
}

static int add_event(struct reader *rd, Gridlink__V1__BusEvent *ev)
{
    int rc = gl_replay_add(rd->r, ev);
    if (rc == GL_EINVAL)
        return 0; /* an entry without node or kind is no step of anything */
    rd->events += rc == 0;
    return rc;
}

/* One record of a node's archive (archive.h): an event it pruned, or a
 * closed case. A record that does not decode is counted and skipped. */
static int take_archived(const json_t *rec, void *arg)
{
    struct reader *rd = arg;
    const char *type = json_string_value(json_object_get(rec, "type"));
    bool event = type && strcmp(type, "event") == 0, kase = type && strcmp(type, "case") == 0;
    json_t *seq = json_object_get(rec, "seq");
    if (event && json_is_integer(seq) && (uint64_t)json_integer_value(seq) > rd->pruned)
        return 0; /* still in the store as well: read from there */
    if (!event && !kase)
        return 0;
    ProtobufCMessage *m = NULL;
    char why[200];
    if (gl_pbjson_to_message(event ? &gridlink__v1__bus_event__descriptor : &gridlink__v1__case__descriptor,
                             json_object_get(rec, event ? "event" : "case"), &m, why, sizeof why) != 0) {
        rd->bad++;
        return 0;
    }
    if (event)
        return add_event(rd, (Gridlink__V1__BusEvent *)m);
    int rc = take_case((const Gridlink__V1__Case *)m, rd);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* The archive's months from lo to hi ("YYYY-MM"), in order. */
static int read_archive(const char *home, const char *node, const char *lo, const char *hi, struct reader *rd)
{
    char dir[PATH_MAX], err[300] = "";
    if (gl_archive_dir(home, node, false, dir, sizeof dir) != 0)
        return GL_EINVAL;
    char(*months)[8] = NULL;
    size_t n = 0;
    int rc = gl_archive_months(dir, &months, &n);
    if (rc == GL_ENOENT)
        return 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(months[i], lo) < 0 || strcmp(months[i], hi) > 0)
            continue;
        gl_archive_stats st = {0};
        rc = gl_archive_walk(dir, months[i], take_archived, rd, &st, err, sizeof err);
        if (rc == GL_ENOENT)
            rc = 0;
        if (st.torn)
            fprintf(stderr, "gridlink replay: %s's archive of %s ends torn; read up to its last whole record\n", node,
                    months[i]);
    }
    free(months);
    if (rc != 0 && err[0])
        fprintf(stderr, "gridlink replay: %s's archive: %s\n", node, err);
    return rc;
}

/* One node's log and cases into the replay: what its store pruned from its
 * archive (the months lo .. hi), then the store's own, in one read
 * transaction (a running node archives before it prunes, so nothing the
 * transaction does not hold is missing from the archive). A node without
 * a store has recorded nothing (0 events). */
static int read_node(const char *home, const char *node, const char *lo, const char *hi, gl_replay_t *r, size_t *events)
{
    char dir[PATH_MAX], probe[PATH_MAX];
    *events = 0;
    if (gl_home_path(dir, sizeof dir, home, "data/%s", node) != 0 ||
        gl_home_path(probe, sizeof probe, home, "data/%s/data.mdb", node) != 0)
        return cli_fail(CMD, "home path too long");
    FILE *f = fopen(probe, "rb");
    if (!f)
        return 0;
    fclose(f);
    gl_store_opts so = {.read_only = true};
    gl_store_t *s = NULL;
    int rc = gl_store_open(dir, node, &so, &s);
    if (rc != 0)
        return cli_fail(CMD, "cannot open the store of %s read-only: %s", node, gl_strerror(rc));
    MDB_txn *txn = NULL;
    struct reader rd = {.r = r};
    rc = gl_store_begin(s, NULL, false, &txn);
    uint64_t last = 0;
    if (rc == 0)
        rc = gl_store_log_last(txn, s, &last);
    if (rc == 0)
        rc = gl_store_log_pruned(txn, s, &rd.pruned);
    if (rc == 0 && rd.pruned > 0)
        rc = read_archive(home, node, lo, hi, &rd);
    for (uint64_t seq = rd.pruned + 1; rc == 0 && seq <= last; seq++) {
        Gridlink__V1__BusEvent *ev = NULL;
        rc = gl_store_log_get(txn, s, seq, &ev);
        if (rc == 0)
            rc = add_event(&rd, ev);
    }
    if (rc == 0)
        rc = gl_store_case_foreach(txn, s, take_case, &rd);
    if (txn)
        gl_store_abort(txn);
    gl_store_close(&s);
    if (rc != 0)
        return cli_fail(CMD, "reading the store of %s: %s", node, gl_strerror(rc));
    if (rd.bad)
        fprintf(stderr, "gridlink replay: %s's archive: %zu records that do not decode, skipped\n", node, rd.bad);
    *events = rd.events;
    return 0;
}

static void count_stream(const gl_replay_t *r, bool replayed, const char *unit, int64_t from, int64_t to,
                         struct tally *t)
{
    size_t n = replayed ? gl_replay_replayed_count(r) : gl_replay_recorded_count(r);
    for (size_t i = 0; i < n; i++) {
        gl_replay_event e = replayed ? gl_replay_replayed(r, i) : gl_replay_recorded(r, i);
        if (e.ev->time_ms >= from && e.ev->time_ms < to && gl_topology_in_subtree(unit, e.ev->node))
            tally_add(t, e.ev);
    }
}

/* The steps the new rules change inside the period: recorded ones dropped
 * and simulated ones made, each with its case, node and time. */
static json_t *changes_json(const gl_replay_t *r, int64_t from, int64_t to)
{
    json_t *arr = json_array();
    for (int pass = 0; arr && pass < 2; pass++) {
        size_t n = pass ? gl_replay_replayed_count(r) : gl_replay_recorded_count(r);
        for (size_t i = 0; i < n; i++) {
            gl_replay_event e = pass ? gl_replay_replayed(r, i) : gl_replay_recorded(r, i);
            if (!(pass ? e.simulated : e.dropped) || e.ev->time_ms < from || e.ev->time_ms >= to)
                continue;
            char iso[40];
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "change", pass ? "made" : "dropped", "kind",
                               e.ev->kind, "node", e.ev->node, "case_id", e.ev->case_id ? e.ev->case_id : "", "time_ms",
                               (json_int_t)e.ev->time_ms, "time", cli_iso_time(e.ev->time_ms, iso, sizeof iso), "note",
                               e.ev->note ? e.ev->note : ""));
        }
    }
    return arr;
}

static void print_changes(const gl_replay_t *r, const char *unit, int64_t from, int64_t to, size_t max)
{
    size_t shown = 0, all = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pass ? gl_replay_replayed_count(r) : gl_replay_recorded_count(r);
        for (size_t i = 0; i < n; i++) {
            gl_replay_event e = pass ? gl_replay_replayed(r, i) : gl_replay_recorded(r, i);
            if (!(pass ? e.simulated : e.dropped) || e.ev->time_ms < from || e.ev->time_ms >= to ||
                !gl_topology_in_subtree(unit, e.ev->node))
                continue;
            if (all++ == 0)
                printf("\n改变的步骤 (steps the new rules change):\n");
            if (shown >= max)
                continue;
            shown++;
            char when[40], node[GL_NODE_ID_MAX + 128];
            printf("  %s %s %-10s %s  %s\n", pass ? "+" : "-", cli_local_time(e.ev->time_ms, when, sizeof when),
                   e.ev->kind, e.ev->case_id ? e.ev->case_id : "", cli_node_name(e.ev->node, node, sizeof node));
        }
    }
    if (all > shown)
        printf("  ... %zu more (--json lists them all)\n", all - shown);
}

/* The KPIs of the period: every unit's day counts, --from to --to, summed
 * (the counters add up; the rates are taken of the sums). */
struct kpis {
    gl_kpi_acc *rec, *rep;
    int offset_min;
    int64_t from, to;
};

static void sum_days(const gl_kpi_acc *a, const char *unit, const struct kpis *k, gl_kpi_counts *out)
{
    memset(out, 0, sizeof *out);
    for (int64_t day = k->from; day < k->to; day += 86400000) {
        char key[GL_KPI_KEY_MAX];
        gl_kpi_period_key(GL_KPI_DAY, day + 3600000, k->offset_min, key);
        const gl_kpi_counts *c = gl_kpi_acc_get(a, unit, GL_KPI_DAY, key);
        for (int i = 0; c && i < GL_KC_N; i++)
            out->c[i] += c->c[i];
    }
}

static bool counts_empty(const gl_kpi_counts *c)
{
    for (int i = 0; i < GL_KC_N; i++)
        if (c->c[i])
            return false;
    return true;
}

static int feed(gl_kpi_acc *a, const gl_replay_t *r, bool replayed)
{
    size_t n = replayed ? gl_replay_replayed_count(r) : gl_replay_recorded_count(r);
    for (size_t i = 0; i < n; i++) {
        gl_replay_event e = replayed ? gl_replay_replayed(r, i) : gl_replay_recorded(r, i);
        int rc = gl_kpi_acc_feed(a, e.ev);
        if (rc != 0)
            return rc;
    }
    return GL_OK;
}

/* {UNIT: {"name", "recorded": KPI JSON, "replayed": KPI JSON}} for every
 * unit with counts in the period. */
static json_t *kpis_json(const gl_topology_t *t, const struct kpis *k)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < t->n_nodes; i++) {
        gl_kpi_counts a, b;
        sum_days(k->rec, t->nodes[i].id, k, &a);
        sum_days(k->rep, t->nodes[i].id, k, &b);
        if (counts_empty(&a) && counts_empty(&b) && (int)i != t->root)
            continue;
        json_object_set_new(o, t->nodes[i].id,
                            json_pack("{s:s, s:o, s:o}", "name", t->nodes[i].name ? t->nodes[i].name : "", "recorded",
                                      gl_kpi_json(&a), "replayed", gl_kpi_json(&b)));
    }
    return o;
}

static const char *kpi_text(const gl_kpi_counts *c, enum gl_kpi_id id, char *buf, size_t size)
{
    int64_t num, den;
    double v;
    if (!gl_kpi_value(c, id, &num, &den, &v)) {
        snprintf(buf, size, "-");
        return buf;
    }
    switch (gl_kpi_def_of(id)->shape) {
    case GL_KPI_RATE: snprintf(buf, size, "%.1f%% (%lld/%lld)", v * 100, (long long)num, (long long)den); break;
    case GL_KPI_COUNT: snprintf(buf, size, "%lld", (long long)num); break;
    case GL_KPI_HOURS: snprintf(buf, size, "%.2f 工作小时", v); break;
    default: snprintf(buf, size, "%.1f 分钟", v); break;
    }
    return buf;
}

int gl_cmd_replay(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"topology", required_argument, 0, 't'},
                                       {"from", required_argument, 0, 'f'},
                                       {"to", required_argument, 0, 'T'},
                                       {"unit", required_argument, 0, 'u'},
                                       {"json", no_argument, 0, 'j'},
                                       {0, 0, 0, 0}};
    const char *home = NULL, *topo_path = NULL, *from_s = NULL, *to_s = NULL, *unit = NULL;
    bool json = false;
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt(CMD, argc, argv, lo, NULL)) != -1) {
        switch (c) {
        case 'H': home = optarg; break;
        case 't': topo_path = optarg; break;
        case 'f': from_s = optarg; break;
        case 'T': to_s = optarg; break;
        case 'u': unit = optarg; break;
        case 'j': json = true; break;
        default: return CLI_USAGE;
        }
    }
    if (optind != argc)
        return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!topo_path || !from_s || !to_s)
        return cli_usage(CMD, "give --topology NEW.json, --from DATE and --to DATE (YYYY-MM-DD)");
    home = cli_home(home);
    gl_topology_t *was = NULL, *now = NULL;
    if (cli_topology(CMD, home, &was) != 0)
        return 1;
    char err[600] = "";
    int lrc = gl_topology_load_file(topo_path, &now, err, sizeof err);
    if (lrc != 0) {
        gl_topology_free(&was);
        if (lrc == GL_ENOENT || lrc == GL_EIO) /* the reason names the file */
            return cli_fail(CMD, "%s", err[0] ? err : topo_path);
        return cli_fail(CMD, "%s: %s", topo_path, err);
    }
    struct kpis k = {.offset_min = gl_calendar_utc_offset_min(was->calendar)};
    gl_replay_t *r = NULL;
    int status = 0;
    if (!gl_kpi_parse_date(from_s, k.offset_min, &k.from) || !gl_kpi_parse_date(to_s, k.offset_min, &k.to) ||
        k.to < k.from || k.to - k.from > 366LL * 86400000) {
        status = cli_usage(CMD,
                           "--from and --to take days YYYY-MM-DD, --from not after --to, a year at most (not "
                           "'%s' .. '%s')",
                           from_s, to_s);
        goto out;
    }
    k.to += 86400000; /* --to's whole day */
    if (!unit)
        unit = was->nodes[was->root].id;
    else if (!gl_topology_find(was, unit)) {
        status = cli_usage(CMD, "--unit %s is not a node of %s/topology.json", unit, home);
        goto out;
    }
    cli_names_set(was);
    if (gl_replay_new(was, now, &r) != 0) {
        status = cli_fail(CMD, "out of memory");
        goto out;
    }
    /* Archived months: the period's, and the one before it for the clocks
     * that started then. */
    char first[8], last[8];
    gl_archive_month(k.from - 31LL * 86400000, first);
    gl_archive_month(k.to - 1, last);
    size_t nodes_read = 0;
    for (size_t i = 0; i < was->n_nodes && status == 0; i++) {
        size_t n = 0;
        status = read_node(home, was->nodes[i].id, first, last, r, &n);
        nodes_read += n > 0;
    }
    int rc = status == 0 ? gl_replay_run(r, cli_now_ms()) : 0;
    if (rc == 0 && status == 0) {
        k.rec = gl_kpi_acc_new(was);
        k.rep = gl_kpi_acc_new(now);
        rc = !k.rec || !k.rep ? GL_ENOMEM : feed(k.rec, r, false);
        if (rc == 0)
            rc = feed(k.rep, r, true);
    }
    if (rc != 0)
        status = cli_fail(CMD, "replay: %s", gl_strerror(rc));
    if (status != 0)
        goto out;

    struct tally rec = {0}, rep = {0};
    count_stream(r, false, unit, k.from, k.to, &rec);
    count_stream(r, true, unit, k.from, k.to, &rep);
    const gl_replay_stats *st = gl_replay_stats_of(r);
    if (json) {
        char a[40], b[40];
        json_t *counts = json_array();
        for (size_t i = 0; i < N_ROWS; i++)
            json_array_append_new(counts, json_pack("{s:s, s:s, s:I, s:I}", "id", rows[i].id, "label", rows[i].label,
                                                    "recorded", (json_int_t)tally_get(&rec, &rows[i]), "replayed",
                                                    (json_int_t)tally_get(&rep, &rows[i])));
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                      "s:I, s:I, s:I, "
                      "s:I}}",
                      "home", home, "topology", topo_path, "from", cli_iso_time(k.from, a, sizeof a), "to",
                      cli_iso_time(k.to, b, sizeof b), "formula", GL_KPI_FORMULA, "unit", unit, "counts", counts,
                      "kpis", kpis_json(was, &k), "changes", changes_json(r, k.from, k.to), "replay", "nodes_read",
                      (json_int_t)nodes_read, "events", (json_int_t)st->events, "clocks", (json_int_t)st->clocks,
                      "clocks_changed", (json_int_t)st->clocks_changed, "dropped", (json_int_t)st->dropped, "simulated",
                      (json_int_t)st->simulated, "checked", (json_int_t)st->checked, "lag_min_ms",
                      (json_int_t)st->lag_min_ms, "lag_max_ms", (json_int_t)st->lag_max_ms, "unknown_nodes",
                      (json_int_t)st->unknown_nodes, "bent", (json_int_t)st->bent, "logged_dues",
                      (json_int_t)st->logged_dues, "logged_differ", (json_int_t)st->logged_differ);
        if (!o) {
            status = cli_fail(CMD, "out of memory");
            goto out;
        }
        cli_print_json(o);
        goto out;
    }
    char uname[GL_NODE_ID_MAX + 128];
    printf("回放 (what-if replay) %s .. %s: %s 记录的事件, 按 %s 的时限和日历重算\n", from_s, to_s, home, topo_path);
    printf("读取 %zu 个节点的 %zu 条事件; 签收和办结时钟 %zu 个, 新规则改变 %zu 个 (删去 %zu 步, 新增 %zu 步)\n",
           nodes_read, st->events, st->clocks, st->clocks_changed, st->dropped, st->simulated);
    if (st->checked)
        printf("未改变的时钟: %zu 步超时与引擎的到期时间相符 (晚 %lld..%lld ms)\n", st->checked,
               (long long)st->lag_min_ms, (long long)st->lag_max_ms);
    if (st->logged_differ)
        printf("注意: %zu 个时钟记录的到期时间不是 %s/topology.json 的规则给出的 (期间改过时限或日历)\n",
               st->logged_differ, home);
    printf("\n%s, 考核指标 (%s):\n", cli_node_name(unit, uname, sizeof uname), GL_KPI_FORMULA);
    gl_kpi_counts ka, kb;
    sum_days(k.rec, unit, &k, &ka);
    sum_days(k.rep, unit, &k, &kb);
    cli_table_t *tb = cli_table_new(4);
    cli_table_add(tb, (const char *[]){"指标", "编号 (id)", "记录 (recorded)", "回放 (replayed)"});
    for (int i = 0; i < GL_KPI_N; i++) {
        char x[64], y[64];
        const gl_kpi_def *d = gl_kpi_def_of((enum gl_kpi_id)i);
        cli_table_add(tb, (const char *[]){d->name, d->key, kpi_text(&ka, (enum gl_kpi_id)i, x, sizeof x),
                                           kpi_text(&kb, (enum gl_kpi_id)i, y, sizeof y)});
    }
    cli_table_add(tb, (const char *[]){"", "", "", ""});
    for (size_t i = 0; i < N_ROWS; i++) {
        char x[32], y[32];
        snprintf(x, sizeof x, "%llu", (unsigned long long)tally_get(&rec, &rows[i]));
        snprintf(y, sizeof y, "%llu", (unsigned long long)tally_get(&rep, &rows[i]));
        cli_table_add(tb, (const char *[]){rows[i].label, rows[i].id, x, y});
    }
    cli_table_print(tb, stdout);
    cli_table_free(&tb);
    print_changes(r, unit, k.from, k.to, 20);
out:
    gl_kpi_acc_free(k.rec);
    gl_kpi_acc_free(k.rep);
    gl_replay_free(&r);
    gl_topology_free(&now);
    gl_topology_free(&was);
    return status;
}
