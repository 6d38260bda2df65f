/* test_archive.c: the archive's writer and reader (archive.h) on real
 * files: members appended and read back in order, duplicates passed once,
 * a tail torn at every byte read up to its last whole line and cut back
 * by the next append, a writer killed with SIGKILL while it appends, data
 * that is not gzip, and the months listed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "error.h"
#include "gridlink.pb-c.h"
#include "pbjson.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/gl-test-archive-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* Event lines from..to, and case lines for the given ids. */
static char *event_lines(uint64_t from, uint64_t to, size_t *len)
{
    size_t cap = (to - from + 1) * 96 + 1, n = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    for (uint64_t s = from; s <= to; s++)
        n += (size_t)snprintf(b + n, cap - n, "{\"type\":\"event\",\"seq\":%llu,\"event\":{\"kind\":\"status\"}}\n",
                              (unsigned long long)s);
    *len = n;
    return b;
}

struct seen {
    uint64_t seqs[4096];
    size_t n;
    char ids[16][32];
    size_t n_ids;
};

static int collect(const json_t *rec, void *arg)
{
    struct seen *s = arg;
    const char *type = json_string_value(json_object_get(rec, "type"));
    if (strcmp(type, "event") == 0 && s->n < 4096)
        s->seqs[s->n++] = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
    else if (strcmp(type, "case") == 0 && s->n_ids < 16)
        snprintf(s->ids[s->n_ids++], 32, "%s", json_string_value(json_object_get(rec, "id")));
    return 0;
}

static void path_of(char *buf, size_t size, const char *month)
{
    snprintf(buf, size, "%s/%s.jsonl.gz", dir, month);
}

static uint64_t file_size(const char *month)
{
    char p[128];
    path_of(p, sizeof p, month);
    struct stat st;
    return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void test_month(void **state)
{
    (void)state;
    char m[8];
    gl_archive_month(0, m);
    assert_string_equal(m, "1970-01");
    /* 2026-11-30T16:00:00Z is 2026-12-01 00:00 in Beijing. */
    gl_archive_month(1796054400000LL, m);
    assert_string_equal(m, "2026-12");
    gl_archive_month(1796054400000LL - 1, m);
    assert_string_equal(m, "2026-11");
    assert_true(gl_archive_month_ok("2026-12"));
    assert_false(gl_archive_month_ok("2026-13"));
    assert_false(gl_archive_month_ok("2026-00"));
    assert_false(gl_archive_month_ok("2026/12"));
    assert_false(gl_archive_month_ok("../../x"));
    assert_false(gl_archive_month_ok(NULL));
}

static void test_append_and_read(void **state)
{
    (void)state;
    char err[256];
    size_t len;
    uint64_t size = 0, size2 = 0;
    char *a = event_lines(1, 100, &len);
    assert_int_equal(gl_archive_append(dir, "2026-11", a, len, 0, &size, err, sizeof err), 0);
    free(a);
    assert_int_equal(size, file_size("2026-11"));
    a = event_lines(101, 150, &len);
    assert_int_equal(gl_archive_append(dir, "2026-11", a, len, size, &size2, err, sizeof err), 0);
    free(a);
    assert_true(size2 > size);
    const char *cases = "{\"type\":\"case\",\"id\":\"g1-000001\",\"case\":{\"id\":\"g1-000001\"}}\n"
                        "{\"type\":\"case\",\"id\":\"g1-000002\",\"case\":{\"id\":\"g1-000002\"}}\n";
    assert_int_equal(gl_archive_append(dir, "2026-11", cases, strlen(cases), size2, &size, err, sizeof err), 0);

    struct seen s = {0};
    gl_archive_stats st;
    assert_int_equal(gl_archive_walk(dir, "2026-11", collect, &s, &st, err, sizeof err), 0);
    assert_int_equal(s.n, 150);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.seqs[i], i + 1);
    assert_int_equal(s.n_ids, 2);
    assert_string_equal(s.ids[1], "g1-000002");
    assert_int_equal(st.records, 152);
    assert_int_equal(st.duplicates, 0);
    assert_false(st.torn);
    assert_int_equal(st.bad, 0);
    assert_int_equal(gl_archive_walk(dir, "2026-10", collect, &s, &st, err, sizeof err), GL_ENOENT);
    assert_int_equal(gl_archive_walk(dir, "../x", collect, &s, &st, err, sizeof err), GL_EINVAL);
}

/* An append done twice (a crash between the archive and the store's
 * commit) reads once. */
static void test_duplicates(void **state)
{
    (void)state;
    char err[256];
    size_t len;
    uint64_t size = 0, size2 = 0;
    char *a = event_lines(1, 40, &len);
    assert_int_equal(gl_archive_append(dir, "2026-10", a, len, 0, &size, err, sizeof err), 0);
    free(a);
    a = event_lines(21, 60, &len); /* 21..40 again, as after a crash */
    /* keep says the store never recorded the first append: it stays (it is
     * whole), and the second follows it. */
    assert_int_equal(gl_archive_append(dir, "2026-10", a, len, 0, &size2, err, sizeof err), 0);
    free(a);
    const char *c = "{\"type\":\"case\",\"id\":\"x-1\",\"case\":{}}\n{\"type\":\"case\",\"id\":\"x-1\",\"case\":{}}\n";
    assert_int_equal(gl_archive_append(dir, "2026-10", c, strlen(c), size2, &size, err, sizeof err), 0);
    struct seen s = {0};
    gl_archive_stats st;
    assert_int_equal(gl_archive_walk(dir, "2026-10", collect, &s, &st, err, sizeof err), 0);
    assert_int_equal(s.n, 60);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.seqs[i], i + 1);
    assert_int_equal(s.n_ids, 1);
    assert_int_equal(st.duplicates, 21);
}

/* The second member cut at every byte: read up to its last whole line,
 * torn said; the next append cuts the torn tail and is read after the
 * first member. */
static void test_torn_every_byte(void **state)
{
    (void)state;
    char err[256], p[128];
    size_t len;
    uint64_t first = 0, whole = 0;
    char *a = event_lines(1, 30, &len);
    assert_int_equal(gl_archive_append(dir, "2026-09", a, len, 0, &first, err, sizeof err), 0);
    free(a);
    a = event_lines(31, 60, &len);
    assert_int_equal(gl_archive_append(dir, "2026-09", a, len, first, &whole, err, sizeof err), 0);
    free(a);
    path_of(p, sizeof p, "2026-09");
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    unsigned char *bytes = malloc(whole);
    assert_int_equal(fread(bytes, 1, whole, f), whole);
    fclose(f);
    for (uint64_t cut = first + 1; cut < whole; cut++) {
        f = fopen(p, "wb");
        assert_int_equal(fwrite(bytes, 1, cut, f), cut);
        fclose(f);
        struct seen s = {0};
        gl_archive_stats st;
        assert_int_equal(gl_archive_walk(dir, "2026-09", collect, &s, &st, err, sizeof err), 0);
        /* The whole lines before the cut, in order; never a piece of one. */
        assert_true(s.n >= 30 && s.n <= 60);
        for (size_t i = 0; i < s.n; i++)
            assert_int_equal(s.seqs[i], i + 1);
        assert_true(st.torn);
        assert_int_equal(st.bad, 0);
    }
    /* The next append knows the first member only: the torn tail goes. */
    a = event_lines(31, 45, &len);
    uint64_t after = 0;
    assert_int_equal(gl_archive_append(dir, "2026-09", a, len, first, &after, err, sizeof err), 0);
    free(a);
    struct seen s = {0};
    gl_archive_stats st;
    assert_int_equal(gl_archive_walk(dir, "2026-09", collect, &s, &st, err, sizeof err), 0);
    assert_int_equal(s.n, 45);
    assert_int_equal(s.seqs[44], 45);
    assert_false(st.torn);
    assert_int_equal(after, file_size("2026-09"));
    /* Even a writer that knows nothing (keep 0) cuts a torn tail. */
    f = fopen(p, "ab");
    fwrite(bytes + first, 1, 7, f);
    fclose(f);
    a = event_lines(46, 50, &len);
    assert_int_equal(gl_archive_append(dir, "2026-09", a, len, 0, &after, err, sizeof err), 0);
    free(a);
    memset(&s, 0, sizeof s);
    assert_int_equal(gl_archive_walk(dir, "2026-09", collect, &s, &st, err, sizeof err), 0);
    assert_int_equal(s.n, 50);
    assert_false(st.torn);
    free(bytes);
}

/* A writer killed with SIGKILL in the middle of its appends: what reads
 * back is 1..k without a hole, and appending goes on after it. */
static void test_sigkill_writer(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        uint64_t size = 0, next = 1;
        char err[256];
        for (;;) {
            size_t len;
            char *a = event_lines(next, next + 199, &len);
            if (gl_archive_append(dir, "2026-08", a, len, size, &size, err, sizeof err) != 0)
                _exit(3);
            free(a);
            next += 200;
            if (write(fds[1], "x", 1) != 1)
                _exit(4);
        }
    }
    close(fds[1]);
    char c;
    for (int i = 0; i < 5; i++) /* a few appends done */
        assert_int_equal(read(fds[0], &c, 1), 1);
    struct timespec ts = {0, (long)(rand() % 3000) * 1000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    assert_true(WIFSIGNALED(status));
    struct seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    gl_archive_stats st;
    char err[256];
    /* The seen table holds the first 4096; the stats count them all. */
    assert_int_equal(gl_archive_walk(dir, "2026-08", collect, s, &st, err, sizeof err), 0);
    assert_true(st.records >= 1000);
    assert_int_equal(st.bad, 0);
    for (size_t i = 0; i < s->n; i++)
        assert_int_equal(s->seqs[i], i + 1);
    uint64_t had = st.records;
    size_t len;
    char *a = event_lines(had + 1, had + 10, &len);
    uint64_t size;
    assert_int_equal(gl_archive_append(dir, "2026-08", a, len, 0, &size, err, sizeof err), 0);
    free(a);
    assert_int_equal(gl_archive_walk(dir, "2026-08", collect, s, &st, err, sizeof err), 0);
    assert_int_equal(st.records, had + 10);
    assert_false(st.torn);
    free(s);
}

static void test_not_gzip_and_bad_lines(void **state)
{
    (void)state;
    char p[128], err[256];
    path_of(p, sizeof p, "2026-07");
    FILE *f = fopen(p, "wb");
    fputs("{\"type\":\"event\",\"seq\":1,\"event\":{}}\n", f);
    fclose(f);
    struct seen s = {0};
    gl_archive_stats st;
    assert_int_equal(gl_archive_walk(dir, "2026-07", collect, &s, &st, err, sizeof err), GL_EINVAL);
    uint64_t size;
    assert_int_equal(gl_archive_append(dir, "2026-07", "x\n", 2, 0, &size, err, sizeof err), GL_EINVAL);
    /* Lines that are not records: skipped, counted. */
    const char *junk = "not json\n{\"type\":\"event\",\"seq\":0,\"event\":{}}\n{\"type\":\"what\"}\n[]\n"
                       "{\"type\":\"event\",\"seq\":5,\"event\":{}}\n{\"type\":\"case\",\"id\":\"\",\"case\":{}}\n"
                       "no newline at the end";
    assert_int_equal(gl_archive_append(dir, "2026-06", junk, strlen(junk), 0, &size, err, sizeof err), 0);
    assert_int_equal(gl_archive_walk(dir, "2026-06", collect, &s, &st, err, sizeof err), 0);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.bad, 6);
    assert_int_equal(s.seqs[0], 5);
}

static void test_months(void **state)
{
    (void)state;
    char err[256];
    uint64_t size;
    const char *l = "{\"type\":\"event\",\"seq\":1,\"event\":{}}\n";
    assert_int_equal(gl_archive_append(dir, "2025-12", l, strlen(l), 0, &size, err, sizeof err), 0);
    assert_int_equal(gl_archive_append(dir, "2026-01", l, strlen(l), 0, &size, err, sizeof err), 0);
    char p[128];
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    FILE *f = fopen(p, "w");
    fclose(f);
    char(*m)[8];
    size_t n;
    assert_int_equal(gl_archive_months(dir, &m, &n), 0);
    assert_true(n >= 2);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(m[i - 1], m[i]) < 0);
    assert_string_equal(m[0], "2025-12");
    free(m);
    assert_int_equal(gl_archive_months("/tmp/gl-no-such-archive-dir", &m, &n), 0);
    assert_int_equal(n, 0);
    char d[256];
    assert_int_equal(gl_archive_dir("/h", "x.y", false, d, sizeof d), 0);
    assert_string_equal(d, "/h/archive/x.y");
    assert_int_equal(gl_archive_dir("/h", "../x", false, d, sizeof d), GL_EINVAL);
}

/* A case as the pruning writes it and `show` reads it back: the same
 * message, byte for byte. */
static void test_case_round_trip(void **state)
{
    (void)state;
    Gridlink__V1__Case c = GRIDLINK__V1__CASE__INIT;
    c.id = "xinbei.sanjing.c01.g1-000042";
    c.kind = GRIDLINK__V1__CASE_KIND__KIND_INCIDENT;
    c.category = "urban/roads";
    c.priority = GRIDLINK__V1__PRIORITY__PRIORITY_URGENT;
    c.text = "路面塌陷，直径约一米";
    c.holder = "xinbei.sanjing.c01";
    c.state = GRIDLINK__V1__CASE_STATE__STATE_CLOSED;
    c.created_ms = 1796054400123LL;
    c.version = 9;
    c.lat = 31.8712;
    c.lon = 119.9561;
    c.located = true;
    char *att[] = {"a3f1", "b2c4"};
    c.attachments = att;
    c.n_attachments = 2;
    Gridlink__V1__HistoryEntry h[3];
    Gridlink__V1__HistoryEntry *hp[3];
    const char *acts[] = {"reported", "accepted", "closed"};
    for (int i = 0; i < 3; i++) {
        gridlink__v1__history_entry__init(&h[i]);
        h[i].action = (char *)acts[i];
        h[i].node = "xinbei.sanjing.c01";
        h[i].time_ms = c.created_ms + i * 60000;
        h[i].note = "核查通过";
        h[i].by = "zhao";
        hp[i] = &h[i];
    }
    c.history = hp;
    c.n_history = 3;
    Gridlink__V1__CaseCounters k = GRIDLINK__V1__CASE_COUNTERS__INIT;
    k.returns = 1;
    k.suspended_ms = 3600000;
    c.counters = &k;
    Gridlink__V1__Rating r = GRIDLINK__V1__RATING__INIT;
    r.resolved = r.satisfied = true;
    r.by = "xinbei.sanjing.c01.g1";
    c.rating = &r;
    Gridlink__V1__ResidentContact rc = GRIDLINK__V1__RESIDENT_CONTACT__INIT;
    rc.phone = "13800000000";
    c.contact = &rc;
    Gridlink__V1__CaseAttribute a = GRIDLINK__V1__CASE_ATTRIBUTE__INIT, *ap = &a;
    char *vals[] = {"x", "y"};
    a.code = "size";
    a.values = vals;
    a.n_values = 2;
    c.attributes = &ap;
    c.n_attributes = 1;

    json_t *j = gl_pbjson_from_message(&c.base, 0);
    assert_non_null(j);
    char *line = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_t *back = json_loads(line, 0, NULL);
    free(line);
    ProtobufCMessage *m = NULL;
    char why[256] = "";
    assert_int_equal(gl_pbjson_to_message(&gridlink__v1__case__descriptor, back, &m, why, sizeof why), 0);
    json_decref(back);
    size_t n1 = protobuf_c_message_get_packed_size(&c.base), n2 = protobuf_c_message_get_packed_size(m);
    assert_int_equal(n1, n2);
    uint8_t *b1 = malloc(n1), *b2 = malloc(n2);
    protobuf_c_message_pack(&c.base, b1);
    protobuf_c_message_pack(m, b2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    protobuf_c_message_free_unpacked(m, NULL);
}

int main(void)
{
    srand((unsigned)time(NULL));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month),          cmocka_unit_test(test_append_and_read),
        cmocka_unit_test(test_duplicates),     cmocka_unit_test(test_torn_every_byte),
        cmocka_unit_test(test_sigkill_writer), cmocka_unit_test(test_not_gzip_and_bad_lines),
        cmocka_unit_test(test_months),         cmocka_unit_test(test_case_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
