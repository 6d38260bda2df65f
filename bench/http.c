/* http.c: the benchmark's http scenario: incident reports per second
 * through the staff API, against the same HTTP module serving a trivial
 * handler, in one run.
 *
 * The node: a home for one grid (bn > bn.t1 > bn.t1.c1 > bn.t1.c1.g1, bus
 * off) with http_port_base set and one grid worker's account, and one
 * gridlink-node process hosting the grid (its community is not started: the
 * reports wait in the grid's outbox). The driver logs in with curl (POST
 * /api/v1/login); wrk POSTs incident reports with Chinese text to
 * /api/v1/nodes/bn.t1.c1.g1/cases with the bearer token on keep-alive
 * connections. The API answers a write after the node's commit (door.c,
 * batch.c), so every 201 is a durable report. The trivial server is
 * gridlink-bench-httpd (httpd.c): the same module and limits, a fixed
 * answer, no store. Both get the same wrk script at 1, 16 and 64
 * connections, node and trivial in turn at each level.
 *
 * The wrk script is written into the run's directory. Each wrk thread sends
 * for the measuring period from its first request, then holds its
 * connections idle (wrk's delay()), so every request sent is answered
 * before wrk stops; done() prints `bench KEY VALUE` lines. Throughput is the
 * 201s over first send to last answer, latency wrk's histogram, CPU the
 * server process's user + system time (/proc/PID/stat, all its threads)
 * over the level divided by the answers. After the levels, the node's
 * health (control socket) must count exactly the cases its 201s
 * acknowledged, and every request sent must have had its answer.
 *
 * Everything here is on the stack or freed where it is made; the processes
 * started are stopped by PID before a run returns. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "ctl.h"
#include "error.h"
#include "home.h"
#include "store.h"
#include "users.h"

#define SCEN     "http"
#define GRID     "bn.t1.c1.g1"
#define USER     "bench.wang"
#define PASSWORD "bench-street-pass"
#define N_LEVELS 3

static const int levels[N_LEVELS] = {1, 16, 64};

/* Incident reports as a grid worker files them from the street. */
static const struct {
    const char *category, *text;
    bool urgent;
} reports[] = {
    {"urban/roads", "小区东门路面塌陷，直径约一米，已设置临时围挡，请尽快修复", true},
    {"urban/lighting", "三号楼北侧路灯不亮已有三天，夜间行人看不清台阶", false},
    {"urban/garbage", "菜市场门口积存垃圾两天无人清运，气味很大，居民反映强烈", false},
    {"urban/waterlogging", "地下通道积水约二十厘米，老人和孩子无法通行", true},
};
#define N_REPORTS (sizeof reports / sizeof reports[0])

/* Counted over every run: the runs whose check was made, and those where
 * the node's cases and the 201s (or the requests and answers) differed. */
static int runs_checked, runs_mismatched;

static bool wait_for_file(const char *p, int timeout_ms)
{
    struct stat st;
    for (int64_t end = bn_now_us() + (int64_t)timeout_ms * 1000; bn_now_us() < end; bn_sleep_ms(5))
        if (stat(p, &st) == 0)
            return true;
    return false;
}

/* The node's health over the control socket. */
static int node_health(const char *home, uint64_t *cases, char *url, size_t urlsize)
{
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = GRID;
    req.op = "health";
    Gridlink__V1__CtlReply *rep = NULL;
    char err[256];
    int rc = gl_ctl_call(home, &req, 5000, &rep, err, sizeof err);
    if (rc == 0 && (!rep || rep->code != 0 || !rep->health))
        rc = rep && rep->code ? rep->code : GL_EPROTO;
    if (rc == 0) {
        *cases = rep->health->cases;
        if (url)
            snprintf(url, urlsize, "%s", rep->health->http_url);
    }
    if (rep)
        gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return rc;
}

/* A home for one grid whose process serves HTTP, with the grid worker's
 * account; its store made roomy so that no growth happens mid-run. */
static int make_home(const char *root, char *home, size_t size)
{
    char topo[PATH_MAX];
    snprintf(home, size, "%s/http", root);
    snprintf(topo, sizeof topo, "%s/http.json", root);
    bn_rmtree(home);
    if (bn_topology_write(topo, 1, 1, 1, 0) != 0)
        return -1;
    int pb = bn_free_ports(8), hb = -1;
    for (int i = 0; i < 20 && pb > 0; i++) {
        hb = bn_free_ports(4);
        if (hb + 4 <= pb || hb >= pb + 8)
            break;
        hb = -1;
    }
    if (pb < 0 || hb < 0 || bn_home_init(home, topo, pb, false) != 0)
        return -1;
    char path[PATH_MAX], err[256];
    gl_home_path(path, sizeof path, home, "topology.json");
    gl_topology_t *t = NULL;
    int rc = gl_topology_load_file(path, &t, err, sizeof err);
    if (rc == 0) {
        t->http_port_base = hb;
        rc = gl_topology_save(t, path);
        gl_topology_free(&t);
    }
    gl_users_t *u = NULL;
    if (rc == 0 && (rc = gl_users_open(home, true, &u)) == 0) {
        rc = gl_users_add(u, USER, GL_USER_GRID, GRID, "王网格", PASSWORD);
        gl_users_close(&u);
    }
    char dir[PATH_MAX];
    gl_home_path(dir, sizeof dir, home, "data/%s", GRID);
    gl_mkdir_p(dir);
    gl_store_opts o = {.map_size = (size_t)1024 << 20};
    gl_store_t *s;
    if (rc == 0 && gl_store_open(dir, GRID, &o, &s) == 0)
        gl_store_close(&s);
    return rc;
}

/* POST /api/v1/login with curl; the token into token. */
static int login(const char *root, const char *url, const char *log, char *token, size_t size)
{
    char body[PATH_MAX], answer[PATH_MAX], target[PATH_MAX + 16], data[PATH_MAX + 1];
    snprintf(body, sizeof body, "%s/login.json", root);
    snprintf(answer, sizeof answer, "%s/login.out", root);
    snprintf(target, sizeof target, "%s/login", url);
    snprintf(data, sizeof data, "@%s", body);
    json_t *j = json_pack("{s:s, s:s}", "name", USER, "password", PASSWORD);
    int rc = j && json_dump_file(j, body, JSON_COMPACT) == 0 ? 0 : -1;
    json_decref(j);
    unlink(answer);
    char curl[PATH_MAX];
    if (rc == 0 && !bn_find_prog("curl", curl, sizeof curl))
        rc = -1;
    char *argv[] = {
        curl, "-s",   "-f", "-o", answer, "-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
        data, target, NULL};
    if (rc == 0)
        rc = bn_wait(bn_spawn(argv, log), 10000) == 0 ? 0 : -1;
    json_error_t e;
    json_t *ans = rc == 0 ? json_load_file(answer, 0, &e) : NULL;
    const char *tok = json_string_value(json_object_get(ans, "token"));
    if (tok)
        snprintf(token, size, "%s", tok);
    else
        rc = -1;
    json_decref(ans);
    return rc;
}

/* The wrk script: the reports as requests, the measuring period, and done()'s
 * `bench KEY VALUE` lines. */
static int write_script(const char *path, const char *token, int active_ms)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "-- gridlink bench http: incident reports POSTed with a bearer token. Each\n"
            "-- thread sends for active_us from its first request, then holds its\n"
            "-- connections idle, so that every request sent is answered before wrk stops.\n"
            "local ffi = require(\"ffi\")\n"
            "ffi.cdef[[\n"
            "struct bn_timespec { long tv_sec; long tv_nsec; };\n"
            "int clock_gettime(int clk, struct bn_timespec *ts);\n"
            "]]\n"
            "local ts = ffi.new(\"struct bn_timespec\")\n"
            "local function now_us()\n"
            "   ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC\n"
            "   return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000\n"
            "end\n"
            "local active_us = %d * 1000\n"
            "local path = \"/api/v1/nodes/%s/cases\"\n"
            "local headers = {[\"Authorization\"] = \"Bearer %s\", [\"Content-Type\"] = \"application/json\"}\n"
            "local bodies = {\n",
            active_ms, GRID, token);
    for (size_t i = 0; i < N_REPORTS; i++) {
        json_t *j = json_pack("{s:s, s:s}", "category", reports[i].category, "text", reports[i].text);
        if (j && reports[i].urgent)
            json_object_set_new(j, "priority", json_string("urgent"));
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!s) {
            fclose(f);
            return -1;
        }
        fprintf(f, "   [==[%s]==],\n", s);
        free(s);
    }
    fprintf(f, "}\n"
               "local threads = {}\n"
               "function setup(thread)\n"
               "   table.insert(threads, thread)\n"
               "   thread:set(\"id\", #threads)\n"
               "end\n"
               "function init(args)\n"
               "   reqs = {}\n"
               "   for i, b in ipairs(bodies) do reqs[i] = wrk.format(\"POST\", path, headers, b) end\n"
               "   -- wrk calls request() once on its first thread to check it before the run\n"
               "   sent = id == 1 and -1 or 0\n"
               "   acked, other, first_us, last_us, stop_us = 0, 0, 0, 0, 0\n"
               "end\n"
               "function request()\n"
               "   sent = sent + 1\n"
               "   if sent == 1 then first_us = now_us(); stop_us = first_us + active_us end\n"
               "   return reqs[sent %% #reqs + 1]\n"
               "end\n"
               "function delay()\n"
               "   if stop_us > 0 and now_us() >= stop_us then return 3600000 end\n"
               "   return 0\n"
               "end\n"
               "function response(status, headers, body)\n"
               "   if status == 201 then acked = acked + 1 else other = other + 1 end\n"
               "   last_us = now_us()\n"
               "end\n"
               "function done(summary, latency, requests)\n"
               "   local s, a, o, first, last = 0, 0, 0, math.huge, 0\n"
               "   for _, t in ipairs(threads) do\n"
               "      s = s + t:get(\"sent\"); a = a + t:get(\"acked\"); o = o + t:get(\"other\")\n"
               "      local f, l = t:get(\"first_us\"), t:get(\"last_us\")\n"
               "      if f > 0 and f < first then first = f end\n"
               "      if l > last then last = l end\n"
               "   end\n"
               "   local e = summary.errors\n"
               "   io.write(string.format(\"bench sent %%d\\nbench acked %%d\\nbench other %%d\\n\", s, a, o))\n"
               "   io.write(string.format(\"bench active_us %%.0f\\n\", a + o > 0 and last - first or 0))\n"
               "   io.write(string.format(\"bench p50_us %%.1f\\nbench p99_us %%.1f\\n\",\n"
               "                          latency:percentile(50), latency:percentile(99)))\n"
               "   io.write(string.format(\"bench socket_errors %%d\\n\", e.connect + e.read + e.write))\n"
               "end\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* Read done()'s lines from wrk's output. */
static int read_wrk(const char *path, bn_result *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512], k[48];
    double v;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "bench %47s %lf", k, &v) == 2)
            bn_result_set(r, k, v);
    fclose(f);
    return bn_result_get(r, "sent", -1) < 0 ? -1 : 0;
}

typedef struct level_out {
    double sent, acked, answered, tput, p50_ms, p99_ms, cpu_us;
} level_out;

/* One wrk run of c connections against port; the server is pid. */
static int drive(const char *wrk, const char *script, int port, pid_t pid, int c, int active_ms, const char *out,
                 level_out *lo)
{
    char tc[16], cc[16], dc[16], url[128];
    snprintf(tc, sizeof tc, "%d", c >= 2 ? 2 : 1);
    snprintf(cc, sizeof cc, "%d", c);
    snprintf(dc, sizeof dc, "%ds", active_ms / 1000 + 1 + (active_ms % 1000 > 0));
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/nodes/%s/cases", port, GRID);
    char *argv[] = {(char *)wrk, "-t", tc, "-c", cc, "-d", dc, "--timeout", "30s", "-s", (char *)script, url, NULL};
    unlink(out);
    bn_settle();
    double cpu0 = bn_cpu_us(pid);
    int rc = bn_wait(bn_spawn(argv, out), active_ms + 30000);
    double cpu1 = bn_cpu_us(pid);
    bn_result r;
    if (rc != 0 || read_wrk(out, &r) != 0)
        return -1;
    memset(lo, 0, sizeof *lo);
    lo->sent = bn_result_get(&r, "sent", 0);
    lo->acked = bn_result_get(&r, "acked", 0);
    lo->answered = lo->acked + bn_result_get(&r, "other", 0);
    double active = bn_result_get(&r, "active_us", 0);
    lo->tput = active > 0 ? lo->acked * 1e6 / active : 0;
    lo->p50_ms = bn_result_get(&r, "p50_us", 0) / 1000;
    lo->p99_ms = bn_result_get(&r, "p99_us", 0) / 1000;
    lo->cpu_us = cpu0 >= 0 && cpu1 >= 0 && lo->answered > 0 ? (cpu1 - cpu0) / lo->answered : -1;
    if (bn_result_get(&r, "socket_errors", 0) > 0)
        bn_note("http: wrk saw socket errors at %d connections (see %s)", c, out);
    return 0;
}

static void add_level(const char *who, int c, const level_out *lo)
{
    char name[64];
    snprintf(name, sizeof name, "%s c%d tput", who, c);
    bn_add(SCEN, name, "/s", lo->tput);
    snprintf(name, sizeof name, "%s c%d p50_ms", who, c);
    bn_add(SCEN, name, "ms", lo->p50_ms);
    snprintf(name, sizeof name, "%s c%d p99_ms", who, c);
    bn_add(SCEN, name, "ms", lo->p99_ms);
    snprintf(name, sizeof name, "%s c%d cpu_us", who, c);
    if (lo->cpu_us >= 0)
        bn_add(SCEN, name, "µs/req", lo->cpu_us);
}

static void http_run(const char *root, int run, bool quick, const char *wrk)
{
    char home[PATH_MAX], log[PATH_MAX], script[PATH_MAX], out[PATH_MAX], ready[PATH_MAX], url[256] = "";
    snprintf(log, sizeof log, "%s/http.log", root);
    snprintf(script, sizeof script, "%s/http.lua", root);
    snprintf(out, sizeof out, "%s/http-wrk.out", root);
    snprintf(ready, sizeof ready, "%s/httpd.ready", root);
    int active_ms = quick ? 1000 : 5000;
    if (make_home(root, home, sizeof home) != 0) {
        bn_note("http: could not set up the bench home (see %s)", log);
        return;
    }
    const char *ids[] = {GRID, NULL};
    pid_t node = bn_node_start(home, ids, log);
    uint64_t cases0 = 0;
    if (bn_wait_serving(home, GRID, 10000) < 0 || node_health(home, &cases0, url, sizeof url) != 0 || !url[0]) {
        bn_note("http: the grid node did not serve its API (see %s)", log);
        bn_stop(node, 5000);
        return;
    }
    int node_port = atoi(strrchr(url, ':') ? strrchr(url, ':') + 1 : "0");
    char bin[PATH_MAX], pa[32], ra[PATH_MAX + 8];
    bn_sibling(bin, sizeof bin, "gridlink-bench-httpd");
    int trivial_port = bn_free_ports(1);
    snprintf(pa, sizeof pa, "port=%d", trivial_port);
    snprintf(ra, sizeof ra, "ready=%s", ready);
    unlink(ready);
    char *argv[] = {bin, pa, ra, NULL};
    pid_t trivial = bn_spawn(argv, log);
    char token[GL_USERS_TOKEN_SIZE] = "";
    if (!wait_for_file(ready, 5000)) {
        bn_note("http: the trivial server did not start (see %s)", log);
    } else if (login(root, url, log, token, sizeof token) != 0) {
        bn_note("http: the login at %s failed (see %s)", url, log);
    } else if (write_script(script, token, active_ms) != 0) {
        bn_note("http: cannot write %s", script);
    } else {
        double acked = 0, sent = 0, answered = 0;
        bool all = true;
        for (int i = 0; i < N_LEVELS && all; i++) {
            int c = levels[i];
            level_out ln, lt;
            bn_progress("http run %d: the node's API, %d connection%s", run, c, c > 1 ? "s" : "");
            if (drive(wrk, script, node_port, node, c, active_ms, out, &ln) != 0) {
                bn_note("http: wrk failed against the node at %d connections (see %s)", c, out);
                all = false;
                break;
            }
            acked += ln.acked;
            sent += ln.sent;
            answered += ln.answered;
            if (ln.answered > ln.acked)
                bn_note("http: run %d: the node answered %.0f reports at %d connections with another status than 201 "
                        "(see %s)",
                        run, ln.answered - ln.acked, c, log);
            bn_progress("http run %d: the trivial server, %d connection%s", run, c, c > 1 ? "s" : "");
            if (drive(wrk, script, trivial_port, trivial, c, active_ms, out, &lt) != 0) {
                bn_note("http: wrk failed against the trivial server at %d connections (see %s)", c, out);
                all = false;
                break;
            }
            add_level("node", c, &ln);
            add_level("trivial", c, &lt);
            char name[64];
            snprintf(name, sizeof name, "node/trivial c%d tput", c);
            if (lt.tput > 0)
                bn_add(SCEN, name, "x", ln.tput / lt.tput);
            snprintf(name, sizeof name, "node/trivial c%d cpu_us", c);
            if (lt.cpu_us > 0 && ln.cpu_us >= 0)
                bn_add(SCEN, name, "x", ln.cpu_us / lt.cpu_us);
            if (lt.answered < lt.sent)
                bn_note("http: run %d: %.0f requests to the trivial server were unanswered when wrk stopped", run,
                        lt.sent - lt.answered);
        }
        uint64_t cases = 0;
        if (all && node_health(home, &cases, NULL, 0) == 0) {
            double held = (double)(cases - cases0);
            bn_add(SCEN, "node reports acked (201)", "", acked);
            bn_add(SCEN, "node cases held", "", held);
            bn_add(SCEN, "node requests unanswered", "", sent - answered);
            runs_checked++;
            if (held != acked || sent != answered) {
                runs_mismatched++;
                bn_note("http: run %d: the node holds %.0f cases for %.0f reports acknowledged with 201 (%.0f of %.0f "
                        "requests unanswered)",
                        run, held, acked, sent - answered, sent);
            }
        } else if (all) {
            bn_note("http: run %d: the node's health could not be read after the load (see %s)", run, log);
        }
    }
    bn_stop(trivial, 3000);
    bn_stop(node, 5000);
}

void bn_http(const char *root, int runs, bool quick)
{
    char wrk[PATH_MAX];
    if (!bn_find_prog("wrk", wrk, sizeof wrk)) {
        bn_note("http: wrk is not installed (bench/setup.sh installs it): scenario not run");
        return;
    }
    for (int run = 1; run <= runs; run++)
        http_run(root, run, quick, wrk);
    bn_note(
        "http: one grid node (bus off, its community not running) serving the staff API, reports POSTed by "
        "wrk as a logged-in grid worker (incidents with Chinese text, JSON bodies of 108 to 140 bytes), each answered "
        "after the node's commit; the trivial server is the same HTTP module and limits answering 201 with a "
        "fixed JSON document; %s s per level, wrk on 1 thread at 1 connection and 2 threads above, sharing the "
        "cores with the server",
        quick ? "1" : "5");
}

/* At 64 connections the commits are shared, so what bounds the API is its
 * work per report: the token, the JSON both ways, the engine and the store.
 * The target is a quarter of the trivial server's rate: a durable report
 * costing at most about four times what the HTTP layer alone costs. */
void bn_http_targets(void)
{
    double node = bn_med(SCEN, "node c64 tput"), trivial = bn_med(SCEN, "trivial c64 tput");
    if (node < 0 && trivial < 0)
        return;
    bn_target("http-api-64-vs-trivial", node, "reports/s", trivial,
              "the same HTTP module with a trivial handler (64 connections)", 0.25, true);
    bn_check("http-durable", runs_checked > 0 && runs_mismatched == 0,
             "%d of %d runs with the node holding exactly the reports acknowledged with 201 and every request "
             "answered (median %.0f held, %.0f acknowledged)",
             runs_checked - runs_mismatched, runs_checked, bn_med(SCEN, "node cases held"),
             bn_med(SCEN, "node reports acked (201)"));
}
