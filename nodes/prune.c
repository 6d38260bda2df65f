/* prune.c: retention: a pass on the node process's loop that moves log
 * entries and closed (or merged) cases older than the topology's
 * retain_days from each node's store to its archive (archive.h), in
 * bounded batches.
 *
 * A pass reads and deletes inside the node's batch transaction (batch.c),
 * so the deletions commit with the loop pass's flush; the archive is
 * written and fsynced before that, in the pass itself. A crash between the
 * two leaves the records in the store and in the archive (read once, by
 * sequence and case ID); never in neither. The log is pruned as a prefix
 * (meta log_pruned), so a replay asked from below it starts after it
 * (bus.c tells the broker). Neither links nor the outbox read the log, so
 * pruning it takes nothing a peer still waits for; a closed case has no
 * deadlines left.
 *
 * Settings: retain_days from the topology; GRIDLINK_RETAIN_SECONDS (or
 * GRIDLINK_RETAIN_DAYS) overrides it, GRIDLINK_PRUNE_BATCH bounds a pass
 * (records of each kind, default 1000), GRIDLINK_PRUNE_MS is the pause
 * between passes (default 60 s; a pass that filled its batch is followed
 * by the next at once). The timer is the host's; the walk position in the
 * cases is each node's (prune_after). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "codec.h"
#include "error.h"
#include "host_int.h"
#include "log.h"
#include "pbjson.h"

#define PRUNE_MS_DEFAULT    60000
#define PRUNE_BATCH_DEFAULT 1000
#define PRUNE_SOON_MS       20 /* after a full pass */
#define CASE_SCAN_FACTOR    8  /* cases looked at per pass: this many times the batch */
#define MONTHS_PER_PASS     64

static uv_timer_t prune_timer;
static bool prune_on;

static long env_long(const char *name, long lo, long hi, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < lo || n > hi) {
        gl_warn("%s=%s is not in %ld..%ld; %ld is used", name, v, lo, hi, dflt);
        return dflt;
    }
    return n;
}

int64_t prune_retain_ms(const gl_topology_t *t)
{
    long s = env_long("GRIDLINK_RETAIN_SECONDS", 0, 36500L * 86400, -1);
    if (s >= 0)
        return (int64_t)s * 1000;
    long d = env_long("GRIDLINK_RETAIN_DAYS", 0, 36500, -1);
    if (d >= 0)
        return (int64_t)d * 86400 * 1000;
    return (int64_t)t->retain_days * 86400 * 1000;
}

static size_t prune_batch(void)
{
    return (size_t)env_long("GRIDLINK_PRUNE_BATCH", 1, 100000, PRUNE_BATCH_DEFAULT);
}

/* The records of one pass, grouped by month in the order met. */
struct month_buf {
    char month[8];
    char *buf;
    size_t len, cap;
};

struct pass {
    struct month_buf m[MONTHS_PER_PASS];
    size_t n_months;
    uint64_t *seqs; /* log entries to delete */
    size_t n_seqs;
    char **ids; /* cases to delete */
    size_t n_ids;
};

static int add_line(struct pass *p, const char *month, json_t *rec)
{
    char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(rec);
    if (!line)
        return GL_ENOMEM;
    struct month_buf *b = NULL;
    for (size_t i = 0; i < p->n_months && !b; i++)
        if (strcmp(p->m[i].month, month) == 0)
            b = &p->m[i];
    if (!b) {
        if (p->n_months == MONTHS_PER_PASS) {
            free(line);
            return GL_EAGAIN; /* the rest waits for the next pass */
        }
        b = &p->m[p->n_months++];
        memcpy(b->month, month, 8);
    }
    size_t n = strlen(line);
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 65536);
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->buf, cap);
        if (!q) {
            free(line);
            return GL_ENOMEM;
        }
        b->buf = q;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, line, n);
    b->buf[b->len + n] = '\n';
    b->len += n + 1;
    free(line);
    return 0;
}

static void pass_free(struct pass *p)
{
    for (size_t i = 0; i < p->n_months; i++)
        free(p->m[i].buf);
    for (size_t i = 0; i < p->n_ids; i++)
        free(p->ids[i]);
    free(p->ids);
    free(p->seqs);
}

/* The log's oldest entries from pruned + 1 on, while they are older than
 * cutoff. */
static int take_events(node_t *n, MDB_txn *txn, uint64_t pruned, int64_t cutoff, size_t max, struct pass *p)
{
    p->seqs = calloc(max, sizeof *p->seqs);
    if (!p->seqs)
        return GL_ENOMEM;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, gl_store_dbi(n->store, GL_DB_LOG), &cur);
    if (rc)
        return gl_err_from_mdb(rc);
    uint8_t kb[8];
    gl_be64_put(kb, pruned + 1);
    MDB_val k = {sizeof kb, kb}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    int out = 0;
    while (rc == 0 && p->n_seqs < max) {
        Gridlink__V1__BusEvent *ev =
            k.mv_size == 8 ? gridlink__v1__bus_event__unpack(NULL, v.mv_size, v.mv_data) : NULL;
        if (!ev) {
            gl_error("node %s: log entry does not decode; pruning stops before it", n->id);
            break;
        }
        uint64_t seq = gl_be64_get(k.mv_data);
        if (ev->time_ms >= cutoff) {
            gridlink__v1__bus_event__free_unpacked(ev, NULL);
            break;
        }
        char month[8];
        gl_archive_month(ev->time_ms, month);
        json_t *rec = json_pack("{s:s, s:I, s:o}", "type", "event", "seq", (json_int_t)seq, "event",
                                gl_pbjson_from_message(&ev->base, 0));
        gridlink__v1__bus_event__free_unpacked(ev, NULL);
        out = rec ? add_line(p, month, rec) : GL_ENOMEM;
        if (out != 0)
            break;
        p->seqs[p->n_seqs++] = seq;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (out == GL_EAGAIN)
        out = 0;
    if (out == 0 && rc != 0 && rc != MDB_NOTFOUND)
        out = gl_err_from_mdb(rc);
    return out;
}

static int64_t case_last_ms(const Gridlink__V1__Case *c)
{
    int64_t t = c->created_ms;
    for (size_t i = 0; i < c->n_history; i++)
        if (c->history[i]->time_ms > t)
            t = c->history[i]->time_ms;
    return t;
}

struct case_scan {
    node_t *n;
    int64_t cutoff;
    size_t max, looked, limit;
    struct pass *p;
    char last[GL_NODE_ID_MAX + 64];
    int rc;
};

static int on_case(const Gridlink__V1__Case *c, void *arg)
{
    struct case_scan *s = arg;
    snprintf(s->last, sizeof s->last, "%s", c->id);
    s->looked++;
    bool done =
        c->state == GRIDLINK__V1__CASE_STATE__STATE_CLOSED || c->state == GRIDLINK__V1__CASE_STATE__STATE_MERGED;
    if (done && case_last_ms(c) < s->cutoff) {
        char month[8];
        gl_archive_month(case_last_ms(c), month);
        json_t *rec =
            json_pack("{s:s, s:s, s:o}", "type", "case", "id", c->id, "case", gl_pbjson_from_message(&c->base, 0));
        char *id = strdup(c->id);
        int rc = rec && id ? add_line(s->p, month, rec) : GL_ENOMEM;
        if (rc != 0) {
            free(id);
            s->rc = rc == GL_EAGAIN ? 0 : rc;
            s->last[0] = 0;
            return 1;
        }
        s->p->ids[s->p->n_ids++] = id;
    }
    return s->p->n_ids >= s->max || s->looked >= s->limit;
}

int prune_node(node_t *n, int64_t now, bool *full, uint64_t *events, uint64_t *cases, char *err, size_t errlen)
{
    *full = false;
    *events = *cases = 0;
    int64_t retain = prune_retain_ms(n->host->topo);
    if (retain <= 0)
        return 0;
    int64_t cutoff = now - retain;
    size_t max = prune_batch();
    MDB_txn *txn = batch_txn(n);
    if (!txn) {
        gl_errf(err, errlen, "cannot begin a write transaction");
        return GL_ESTORE;
    }
    struct pass p = {0};
    uint64_t pruned = 0;
    int rc = gl_store_log_pruned(txn, n->store, &pruned);
    if (rc == 0)
        rc = take_events(n, txn, pruned, cutoff, max, &p);
    struct case_scan s = {.n = n, .cutoff = cutoff, .max = max, .limit = max * CASE_SCAN_FACTOR, .p = &p};
    if (rc == 0 && !(p.ids = calloc(max, sizeof *p.ids)))
        rc = GL_ENOMEM;
    if (rc == 0) {
        int wr = gl_store_case_walk(txn, n->store, n->prune_after[0] ? n->prune_after : NULL, on_case, &s);
        rc = s.rc ? s.rc : (wr < 0 ? wr : 0);
        /* Walked to the end: start from the first case next time. */
        if (wr == 0)
            s.last[0] = 0;
    }
    if (rc != 0) {
        gl_errf(err, errlen, "reading what to prune: %s", gl_strerror(rc));
        pass_free(&p);
        return rc;
    }
    char dir[4096];
    rc = gl_archive_dir(n->host->home, n->id, p.n_months > 0, dir, sizeof dir);
    if (rc != 0)
        gl_errf(err, errlen, "cannot make the archive directory for %s: %s", n->id, gl_strerror(rc));
    uint64_t sizes[MONTHS_PER_PASS];
    for (size_t i = 0; rc == 0 && i < p.n_months; i++) {
        char key[32];
        snprintf(key, sizeof key, "archive_size:%s", p.m[i].month);
        uint64_t keep = 0;
        if (gl_store_meta_get_u64(txn, n->store, key, &keep) != 0)
            keep = 0;
        rc = gl_archive_append(dir, p.m[i].month, p.m[i].buf, p.m[i].len, keep, &sizes[i], err, errlen);
    }
    if (rc != 0) {
        /* Nothing leaves the store; whatever reached the archive comes
         * again next time and is read once. */
        n->archive_errors++;
        pass_free(&p);
        return rc;
    }
    /* Only now, with the archive on disk, out of the store. */
    for (size_t i = 0; rc == 0 && i < p.n_months; i++) {
        char key[32];
        snprintf(key, sizeof key, "archive_size:%s", p.m[i].month);
        rc = gl_store_meta_put_u64(txn, n->store, key, sizes[i]);
    }
    for (size_t i = 0; rc == 0 && i < p.n_seqs; i++)
        rc = gl_store_log_del(txn, n->store, p.seqs[i]);
    for (size_t i = 0; rc == 0 && i < p.n_ids; i++)
        rc = gl_store_case_del(txn, n->store, p.ids[i]);
    uint64_t had_e = 0, had_c = 0;
    gl_store_meta_get_u64(txn, n->store, "archived_events", &had_e);
    gl_store_meta_get_u64(txn, n->store, "archived_cases", &had_c);
    if (rc == 0 && p.n_seqs)
        rc = gl_store_meta_put_u64(txn, n->store, GL_META_LOG_PRUNED, p.seqs[p.n_seqs - 1]);
    if (rc == 0 && p.n_seqs)
        rc = gl_store_meta_put_u64(txn, n->store, "archived_events", had_e + p.n_seqs);
    if (rc == 0 && p.n_ids)
        rc = gl_store_meta_put_u64(txn, n->store, "archived_cases", had_c + p.n_ids);
    if (rc != 0) {
        gl_errf(err, errlen, "removing archived records from the store: %s", gl_strerror(rc));
        n->store_errors++;
    } else {
        snprintf(n->prune_after, sizeof n->prune_after, "%s", s.last);
        *events = p.n_seqs;
        *cases = p.n_ids;
        *full = p.n_seqs >= max || p.n_ids >= max || s.looked >= s.limit;
        if (p.n_seqs || p.n_ids)
            gl_info("node %s: archived and pruned %zu log entries (through %llu) and %zu cases older than %s", n->id,
                    p.n_seqs, (unsigned long long)(p.n_seqs ? p.seqs[p.n_seqs - 1] : pruned), p.n_ids, "the retention");
    }
    pass_free(&p);
    return rc;
}

static void on_prune(uv_timer_t *t)
{
    host_t *h = t->data;
    bool again = false;
    for (size_t i = 0; i < h->n_nodes; i++) {
        node_t *n = h->nodes[i];
        bool full;
        uint64_t ev, cs;
        char err[512] = "";
        int rc = prune_node(n, host_now(h), &full, &ev, &cs, err, sizeof err);
        if (rc != 0)
            gl_error("node %s: retention pass failed: %s", n->id, err[0] ? err : gl_strerror(rc));
        again = again || (rc == 0 && full);
    }
    uint64_t ms = (uint64_t)env_long("GRIDLINK_PRUNE_MS", 10, 86400000L, PRUNE_MS_DEFAULT);
    uv_timer_start(&prune_timer, on_prune, again ? PRUNE_SOON_MS : ms, 0);
}

void prune_start(host_t *h)
{
    if (prune_retain_ms(h->topo) <= 0) {
        gl_info("retention: off (retain_days 0): nothing is archived");
        return;
    }
    uv_timer_init(h->uv, &prune_timer);
    prune_timer.data = h;
    prune_on = true;
    uint64_t ms = (uint64_t)env_long("GRIDLINK_PRUNE_MS", 10, 86400000L, PRUNE_MS_DEFAULT);
    uv_timer_start(&prune_timer, on_prune, ms, 0);
}

void prune_stop(void)
{
    if (!prune_on)
        return;
    uv_timer_stop(&prune_timer);
    uv_close((uv_handle_t *)&prune_timer, NULL);
    prune_on = false;
}

/* The `prune` control request: passes now until one does not fill its
 * batch (at most 64), answered with what they archived. */
void prune_ctl(node_t *n, zsock_t *sock, zframe_t *rid)
{
    uint64_t events = 0, cases = 0;
    char err[512] = "";
    int rc = 0;
    for (int i = 0; i < 64; i++) {
        bool full;
        uint64_t ev, cs;
        rc = prune_node(n, host_now(n->host), &full, &ev, &cs, err, sizeof err);
        events += ev;
        cases += cs;
        if (rc != 0 || !full)
            break;
    }
    if (rc != 0) {
        ctl_send_error(sock, rid, rc, err[0] ? err : gl_strerror(rc));
        return;
    }
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    char note[128];
    snprintf(note, sizeof note, "archived %llu log entries and %llu cases", (unsigned long long)events,
             (unsigned long long)cases);
    rep.note = note;
    rep.matched = events + cases;
    uint8_t *buf;
    size_t len;
    if (gl_pack(&rep.base, &buf, &len) == 0) {
        ctl_send(sock, rid, buf, len);
        free(buf);
    }
}
