/* util.c: the benchmark's helpers: clocks, samples and percentiles, key=value
 * arguments, result files, child processes and bench homes. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "ctl.h"
#include "error.h"
#include "home.h"
#include "keys.h"

int64_t bn_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t bn_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void bn_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A kB field of /proc/meminfo ("Dirty:", "Writeback:"), or -1. */
static long meminfo_kib(const char *field)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) {
            v = strtol(line + n, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

void bn_settle(void)
{
    sync();
    /* sync() waits for the writeback it starts; what is still dirty after
     * it was written meanwhile (a server idling, the kernel's own). */
    for (int i = 0; i < 100; i++) {
        long dirty = meminfo_kib("Dirty:"), wb = meminfo_kib("Writeback:");
        if (dirty < 0 || wb < 0 || dirty + wb <= BN_SETTLE_KIB)
            break;
        bn_sleep_ms(50);
        sync();
    }
}

double bn_disk_probe(const char *dir, int ms)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/disk-probe", dir) >= (int)sizeof path)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    static const char page[4096];
    /* The first syncs allocate the page's block and write the inode. */
    for (int i = 0; i < 16; i++)
        if (pwrite(fd, page, sizeof page, 0) != (ssize_t)sizeof page || fdatasync(fd) != 0)
            break;
    long n = 0;
    int64_t t0 = bn_now_us(), t = t0;
    while (t - t0 < (int64_t)ms * 1000) {
        if (pwrite(fd, page, sizeof page, 0) != (ssize_t)sizeof page || fdatasync(fd) != 0) {
            n = -1;
            break;
        }
        n++;
        t = bn_now_us();
    }
    close(fd);
    unlink(path);
    return n < 0 || t == t0 ? -1 : (double)n * 1e6 / (double)(t - t0);
}

void bn_samples_add(bn_samples *s, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        double *a = realloc(s->v, cap * sizeof *a);
        if (!a)
            return;
        s->v = a;
        s->cap = cap;
    }
    s->v[s->n++] = v;
}

void bn_samples_free(bn_samples *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

int bn_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bn_samples_q(bn_samples *s, double q)
{
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof *s->v, bn_cmp_double);
    size_t i = (size_t)(q * (double)(s->n - 1) + 0.5);
    if (i >= s->n)
        i = s->n - 1;
    return s->v[i];
}

void bn_args_parse(bn_args *a, int argc, char **argv)
{
    a->n = 0;
    a->k = calloc((size_t)argc + 1, sizeof *a->k);
    a->v = calloc((size_t)argc + 1, sizeof *a->v);
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            continue;
        a->k[a->n] = strndup(argv[i], (size_t)(eq - argv[i]));
        a->v[a->n] = strdup(eq + 1);
        a->n++;
    }
}

const char *bn_arg(const bn_args *a, const char *key, const char *def)
{
    for (int i = a->n - 1; i >= 0; i--)
        if (strcmp(a->k[i], key) == 0)
            return a->v[i];
    return def;
}

long bn_arg_l(const bn_args *a, const char *key, long def)
{
    const char *v = bn_arg(a, key, NULL);
    return v ? strtol(v, NULL, 10) : def;
}

double bn_arg_d(const bn_args *a, const char *key, double def)
{
    const char *v = bn_arg(a, key, NULL);
    return v ? strtod(v, NULL) : def;
}

void bn_result_set(bn_result *r, const char *key, double v)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0) {
            r->val[i] = v;
            return;
        }
    if (r->n < 64) {
        snprintf(r->key[r->n], sizeof r->key[0], "%s", key);
        r->val[r->n++] = v;
    }
}

int bn_result_write(const bn_result *r, const char *path)
{
    if (!path)
        return -1;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    for (int i = 0; i < r->n; i++)
        fprintf(f, "%s %.6f\n", r->key[i], r->val[i]);
    fclose(f);
    return rename(tmp, path);
}

int bn_result_read(bn_result *r, const char *path)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char k[64];
    double v;
    while (fscanf(f, "%47s %lf", k, &v) == 2)
        bn_result_set(r, k, v);
    fclose(f);
    return 0;
}

double bn_result_get(const bn_result *r, const char *key, double def)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0)
            return r->val[i];
    return def;
}

/* ---- processes ---- */

void bn_sibling(char *buf, size_t size, const char *name)
{
    char dir[PATH_MAX];
    if (gl_exe_dir(dir, sizeof dir) != 0)
        snprintf(dir, sizeof dir, ".");
    if (snprintf(buf, size, "%s/%s", dir, name) >= (int)size)
        buf[0] = 0;
}

double bn_cpu_us(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    char *p = ok ? strrchr(line, ')') : NULL;
    unsigned long ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

double bn_storage_bytes(void)
{
    /* The device of the run's directories: bench homes live under $TMPDIR. */
    const char *tmp = getenv("TMPDIR");
    struct stat st;
    if (stat(tmp && *tmp ? tmp : "/tmp", &st) != 0 || major(st.st_dev) == 0)
        return -1; /* tmpfs and the like: no block device to read */
    char path[96];
    snprintf(path, sizeof path, "/sys/dev/block/%u:%u/stat", major(st.st_dev), minor(st.st_dev));
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    /* reads, merged, sectors, ms, then writes, merged, sectors written */
    unsigned long long v[7];
    int got = fscanf(f, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
    fclose(f);
    return got == 7 ? (double)v[6] * 512.0 : -1;
}

/* The machine's steal and total CPU time so far, in clock ticks (the first
 * line of /proc/stat); false when it cannot be read. */
static bool cpu_times(double *steal, double *all)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return false;
    unsigned long long v[8] = {0};
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                     &v[7]);
    fclose(f);
    if (got != 8)
        return false;
    *steal = (double)v[7];
    *all = 0;
    for (int i = 0; i < 8; i++)
        *all += (double)v[i];
    return true;
}

void bn_cpu_watch_init(bn_cpu_watch *w, pid_t pid)
{
    w->pid = pid;
    w->start = w->end = -1;
    w->wb_start = w->wb_end = -1;
    w->steal_start = w->steal_end = w->all_start = w->all_end = -1;
}

void bn_cpu_tick(bn_cpu_watch *w, int64_t now, int64_t t_meas, int64_t t_end)
{
    if (w->pid <= 0)
        return;
    if (w->start < 0 && now >= t_meas) {
        w->start = bn_cpu_us(w->pid);
        w->wb_start = bn_storage_bytes();
        if (!cpu_times(&w->steal_start, &w->all_start))
            w->all_start = -1;
    }
    if (w->end < 0 && now >= t_end) {
        w->end = bn_cpu_us(w->pid);
        w->wb_end = bn_storage_bytes();
        if (!cpu_times(&w->steal_end, &w->all_end))
            w->all_end = -1;
    }
}

double bn_cpu_per(const bn_cpu_watch *w, uint64_t n)
{
    if (w->pid <= 0 || w->start < 0 || w->end < w->start || n == 0)
        return -1;
    return (w->end - w->start) / (double)n;
}

double bn_storage_per(const bn_cpu_watch *w, uint64_t n)
{
    if (w->pid <= 0 || w->wb_start < 0 || w->wb_end < w->wb_start || n == 0)
        return -1;
    return (w->wb_end - w->wb_start) / (double)n;
}

double bn_steal_pct(const bn_cpu_watch *w)
{
    if (w->pid <= 0 || w->all_start < 0 || w->all_end <= w->all_start)
        return -1;
    return 100.0 * (w->steal_end - w->steal_start) / (w->all_end - w->all_start);
}

bool bn_find_prog(const char *prog, char *buf, size_t size)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/usr/bin:/usr/local/bin:/usr/local/sbin:/sbin:/bin",
             path && *path ? path : "");
    for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
        if (snprintf(buf, size, "%s/%s", dir, prog) < (int)size && access(buf, X_OK) == 0)
            return true;
    buf[0] = 0;
    return false;
}

pid_t bn_spawn(char *const argv[], const char *logfile)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (logfile) {
            int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) {
            dup2(nul, 0);
            close(nul);
        }
        /* Children must not inherit a blocked or ignored signal mask. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

int bn_wait(pid_t pid, int timeout_ms)
{
    int64_t end = bn_now_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
        if (r < 0)
            return -1;
        if (bn_now_us() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        bn_sleep_ms(5);
    }
}

void bn_stop(pid_t pid, int grace_ms)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    if (bn_wait(pid, grace_ms) == -1) {
        /* bn_wait killed it already */
    }
}

int bn_run_worker(const char *role, const char *logfile, int timeout_ms, const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char self[PATH_MAX];
    bn_sibling(self, sizeof self, "gridlink");
    char *argv[128];
    int n = 0;
    argv[n++] = self;
    argv[n++] = "bench";
    argv[n++] = "_worker";
    argv[n++] = (char *)role;
    for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok && n < 126; tok = strtok_r(NULL, " ", &save))
        argv[n++] = tok;
    argv[n] = NULL;
    pid_t pid = bn_spawn(argv, logfile);
    if (pid < 0)
        return -1;
    return bn_wait(pid, timeout_ms);
}

long bn_status_kib(pid_t pid, const char *field)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    size_t n = strlen(field);
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kib = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

long bn_rss_kib(pid_t pid)
{
    return bn_status_kib(pid, "VmRSS");
}

static bool port_free(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

int bn_free_ports(int count)
{
    srand((unsigned)(bn_now_us() ^ getpid()));
    /* Below the kernel's ephemeral range, which outgoing connections take. */
    int elo = 32768, ehi = 60999;
    gl_ephemeral_ports(&elo, &ehi);
    int top = elo > 21000 + count + 100 ? elo : 32768;
    for (int attempt = 0; attempt < 200; attempt++) {
        int base = 21000 + rand() % (top - 21000 - count);
        bool ok = true;
        for (int i = 0; i < count && ok; i++)
            ok = port_free(base + i);
        if (ok)
            return base;
    }
    return -1;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p) == 0 || errno == ENOENT ? 0 : 0;
}

void bn_rmtree(const char *path)
{
    if (path && *path && strcmp(path, "/") != 0)
        nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

void bn_path_in(char *buf, size_t size, const char *dir, const char *fmt, ...)
{
    char rel[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    if (snprintf(buf, size, "%s/%s", dir, rel) >= (int)size)
        buf[0] = 0;
}

bool bn_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

bool bn_wait_file(const char *p, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 10; i++) {
        if (bn_exists(p))
            return true;
        bn_sleep_ms(10);
    }
    return false;
}

bool bn_wait_listening(int port, int timeout_ms)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < timeout_ms / 10; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return false;
        int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rc == 0)
            return true;
        bn_sleep_ms(10);
    }
    return false;
}

int bn_run_client(const char *logfile, const char *out, bn_result *r, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    unlink(out);
    bn_settle();
    int rc = bn_run_worker("client", logfile, 120000, "%s out=%s", args, out);
    memset(r, 0, sizeof *r);
    if (bn_result_read(r, out) != 0)
        return -1;
    return rc;
}

/* ---- homes ---- */

int bn_topology_write(const char *path, int towns, int comms, int grids, int sla_s)
{
    json_t *root = json_object();
    json_object_set_new(root, "name", json_string("bench"));
    json_object_set_new(root, "listen_host", json_string("127.0.0.1"));
    json_object_set_new(root, "port_base", json_integer(30000));
    json_t *sla = json_array();
    const char *tiers[] = {"community", "township", "district"};
    json_t *g = json_object();
    json_object_set_new(g, "tier", json_string("grid"));
    json_object_set_new(g, "accept_s", json_integer(0));
    json_object_set_new(g, "resolve_s", json_integer(0));
    json_array_append_new(sla, g);
    for (int i = 0; i < 3; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "tier", json_string(tiers[i]));
        json_object_set_new(r, "accept_s", json_integer(sla_s > 0 ? sla_s : 86400 * (i + 1)));
        json_object_set_new(r, "resolve_s", json_integer(sla_s > 0 ? sla_s : 864000 * (i + 1)));
        json_array_append_new(sla, r);
    }
    json_object_set_new(root, "sla", sla);
    json_t *nodes = json_array();
    char id[256];
    json_t *d = json_object();
    json_object_set_new(d, "id", json_string("bn"));
    json_object_set_new(d, "tier", json_string("district"));
    json_object_set_new(d, "name", json_string("bench district"));
    json_array_append_new(nodes, d);
    for (int t = 1; t <= towns; t++) {
        json_t *n = json_object();
        snprintf(id, sizeof id, "bn.t%d", t);
        json_object_set_new(n, "id", json_string(id));
        json_object_set_new(n, "tier", json_string("township"));
        json_object_set_new(n, "name", json_string(id));
        json_array_append_new(nodes, n);
    }
    for (int t = 1; t <= towns; t++)
        for (int c = 1; c <= comms; c++) {
            json_t *n = json_object();
            snprintf(id, sizeof id, "bn.t%d.c%d", t, c);
            json_object_set_new(n, "id", json_string(id));
            json_object_set_new(n, "tier", json_string("community"));
            json_object_set_new(n, "name", json_string(id));
            json_array_append_new(nodes, n);
        }
    for (int t = 1; t <= towns; t++)
        for (int c = 1; c <= comms; c++)
            for (int k = 1; k <= grids; k++) {
                json_t *n = json_object();
                snprintf(id, sizeof id, "bn.t%d.c%d.g%d", t, c, k);
                json_object_set_new(n, "id", json_string(id));
                json_object_set_new(n, "tier", json_string("grid"));
                json_object_set_new(n, "name", json_string(id));
                json_array_append_new(nodes, n);
            }
    json_object_set_new(root, "nodes", nodes);
    int rc = json_dump_file(root, path, JSON_INDENT(1));
    json_decref(root);
    return rc == 0 ? 0 : GL_EIO;
}

int bn_home_init(const char *home, const char *topology_file, int port_base, bool with_bus)
{
    char err[512];
    gl_topology_t *t = NULL;
    int rc = gl_topology_load_file(topology_file, &t, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "bench: %s: %s\n", topology_file, err);
        return rc;
    }
    if (port_base)
        rc = gl_topology_set_port_base(t, port_base);
    if (rc == 0)
        rc = gl_mkdir_p(home);
    if (rc == 0)
        rc = gl_keys_ensure(home, t, NULL);
    if (rc == 0 && !with_bus) {
        free(t->broker_key);
        t->broker_key = NULL;
    }
    char path[PATH_MAX];
    gl_home_path(path, sizeof path, home, "topology.json");
    if (rc == 0)
        rc = gl_topology_save(t, path);
    gl_topology_free(&t);
    if (rc != 0)
        fprintf(stderr, "bench: cannot set up home %s: %s\n", home, gl_strerror(rc));
    return rc;
}

pid_t bn_node_start(const char *home, const char *const *ids, const char *logfile)
{
    char bin[PATH_MAX];
    bn_sibling(bin, sizeof bin, "gridlink-node");
    size_t n = 0;
    while (ids[n])
        n++;
    char **argv = calloc(2 * n + 8, sizeof *argv);
    size_t k = 0;
    argv[k++] = bin;
    argv[k++] = "--home";
    argv[k++] = (char *)home;
    argv[k++] = "--log-level";
    argv[k++] = "warn";
    for (size_t i = 0; i < n; i++) {
        argv[k++] = "--node";
        argv[k++] = (char *)ids[i];
    }
    argv[k] = NULL;
    pid_t pid = bn_spawn(argv, logfile);
    free(argv);
    return pid;
}

pid_t bn_broker_start(const char *home, const char *logfile)
{
    char bin[PATH_MAX];
    bn_sibling(bin, sizeof bin, "gridlink-broker");
    /* At the packaged unit's priority (Nice=-5 in gridlink-broker.service):
     * on a machine the nodes keep busy, the district's view goes first.
     * nice(1) execs the broker in place (same PID) and runs it at 0 where
     * raising a priority is not allowed. */
    char *argv[] = {"/usr/bin/nice", "-n", "-5", bin, "--home", (char *)home, NULL};
    return bn_spawn(argv, logfile);
}

int bn_wait_serving(const char *home, const char *node, int timeout_ms)
{
    int64_t start = bn_now_us();
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.node = (char *)node;
    req.op = "health";
    for (;;) {
        Gridlink__V1__CtlReply *rep = NULL;
        char err[256];
        int rc = gl_ctl_call(home, &req, 200, &rep, err, sizeof err);
        if (rc == 0 && rep && rep->code == 0) {
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
            return (int)((bn_now_us() - start) / 1000);
        }
        if (rep)
            gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
        if (bn_now_us() - start > (int64_t)timeout_ms * 1000)
            return -1;
        bn_sleep_ms(2);
    }
}
