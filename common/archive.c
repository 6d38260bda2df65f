/* archive.c: see archive.h. zlib does the gzip members; jansson the lines. */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "home.h"

#define BEIJING_OFFSET_S (8 * 3600)
#define IO_CHUNK         (64u << 10)

void gl_archive_month(int64_t ms, char out[8])
{
    time_t t = (time_t)(ms / 1000) + BEIJING_OFFSET_S;
    struct tm tm;
    if (ms < 0 || !gmtime_r(&t, &tm)) {
        memcpy(out, "1970-01", 8);
        return;
    }
    unsigned y = (unsigned)(tm.tm_year + 1900) % 10000u, m = (unsigned)tm.tm_mon % 12u + 1u;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = 0;
}

bool gl_archive_month_ok(const char *m)
{
    if (!m || strlen(m) != 7 || m[4] != '-')
        return false;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (m[i] < '0' || m[i] > '9'))
            return false;
    int mon = (m[5] - '0') * 10 + (m[6] - '0');
    return mon >= 1 && mon <= 12;
}

int gl_archive_dir(const char *home, const char *node, bool make, char *buf, size_t size)
{
    if (!home || !node || !node[0] || strchr(node, '/') || node[0] == '.')
        return GL_EINVAL;
    int rc = gl_home_path(buf, size, home, "archive/%s", node);
    if (rc != 0)
        return rc;
    return make ? gl_mkdir_p(buf) : 0;
}

static int month_path(char *buf, size_t size, const char *dir, const char *month)
{
    if (!gl_archive_month_ok(month))
        return GL_EINVAL;
    int k = snprintf(buf, size, "%s/%s.jsonl.gz", dir, month);
    return k < 0 || (size_t)k >= size ? GL_EINVAL : 0;
}

/* ---- inflating members ---- */

/* 1 when fd has a gzip magic at offset at, 0 when it has other bytes, -1
 * when it ends there. */
static int gzip_magic(int fd, uint64_t at)
{
    unsigned char m[2];
    ssize_t k = pread(fd, m, 2, (off_t)at);
    if (k <= 0)
        return -1;
    return k == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

/* Inflate the gzip members of fd from offset `from` on, handing out what
 * they hold. *whole gets the offset just past the last whole member;
 * *torn is set when data follows it that is not a whole member. Returns 0,
 * fn's non-zero return, or an I/O error. */
typedef int (*data_fn)(const char *buf, size_t len, bool member_end, void *arg);

static int inflate_members(int fd, uint64_t from, data_fn fn, void *arg, uint64_t *whole, bool *torn)
{
    *whole = from;
    *torn = false;
    unsigned char *in = malloc(IO_CHUNK), *out = malloc(IO_CHUNK);
    z_stream z = {0};
    if (!in || !out || inflateInit2(&z, 15 + 16) != Z_OK) {
        free(in);
        free(out);
        return GL_ENOMEM;
    }
    uint64_t off = from; /* file offset of in[0] */
    bool in_member = false, eof = false;
    int rc = 0;
    while (rc == 0) {
        if (z.avail_in == 0 && !eof) {
            ssize_t k = pread(fd, in, IO_CHUNK, (off_t)off);
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                rc = GL_EIO;
                break;
            }
            if (k == 0)
                eof = true;
            z.next_in = in;
            z.avail_in = (uInt)k;
            off += (uint64_t)k;
        }
        if (z.avail_in == 0 && eof) {
            if (in_member)
                *torn = true;
            break;
        }
        z.next_out = out;
        z.avail_out = IO_CHUNK;
        in_member = true;
        int zr = inflate(&z, Z_NO_FLUSH);
        size_t produced = IO_CHUNK - z.avail_out;
        if (zr == Z_STREAM_END) {
            in_member = false;
            *whole = off - z.avail_in;
            if (fn)
                rc = fn((const char *)out, produced, true, arg);
            inflateReset(&z);
            continue;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            /* Not a member: a torn one, or garbage after the last whole one. */
            *torn = true;
            break;
        }
        if (produced && fn)
            rc = fn((const char *)out, produced, false, arg);
    }
    inflateEnd(&z);
    free(in);
    free(out);
    return rc;
}

/* ---- appending ---- */

static int deflate_member(const char *lines, size_t len, unsigned char **out, size_t *outlen)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return GL_ENOMEM;
    uLong cap = deflateBound(&z, (uLong)len);
    unsigned char *buf = malloc(cap ? cap : 1);
    if (!buf) {
        deflateEnd(&z);
        return GL_ENOMEM;
    }
    z.next_in = (unsigned char *)lines;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int zr = deflate(&z, Z_FINISH);
    *outlen = cap - z.avail_out;
    deflateEnd(&z);
    if (zr != Z_STREAM_END) {
        free(buf);
        return GL_ENOMEM;
    }
    *out = buf;
    return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? gl_err_from_errno(errno) : GL_EIO;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int gl_archive_append(const char *dir, const char *month, const char *lines, size_t len, uint64_t keep, uint64_t *size,
                      char *err, size_t errlen)
{
    char path[4096];
    if (month_path(path, sizeof path, dir, month) != 0 || len > UINT32_MAX / 2) {
        gl_errf(err, errlen, "archive: bad month '%s' or too much at once", month ? month : "");
        return GL_EINVAL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        gl_errf(err, errlen, "archive: cannot open %s: %s", path, strerror(errno));
        return gl_err_from_errno(errno);
    }
    int rc = 0;
    struct stat st;
    bool fresh = false;
    if (fstat(fd, &st) != 0) {
        rc = gl_err_from_errno(errno);
        gl_errf(err, errlen, "archive: cannot stat %s: %s", path, strerror(errno));
    }
    uint64_t end = rc == 0 ? (uint64_t)st.st_size : 0;
    fresh = rc == 0 && end == 0;
    if (rc == 0 && end != keep) {
        /* An append the store never recorded (a crash before its commit),
         * or a store that does not know this file: keep the whole members,
         * cut a torn one. */
        uint64_t whole = 0;
        bool torn = false;
        uint64_t from = keep < end && gzip_magic(fd, keep) == 1 ? keep : 0;
        if (gzip_magic(fd, 0) == 0)
            rc = GL_EINVAL;
        else
            rc = inflate_members(fd, from, NULL, NULL, &whole, &torn);
        if (rc == GL_EINVAL) {
            rc = GL_EINVAL;
            gl_errf(err, errlen, "archive: %s is not gzip; not appended to", path);
        } else if (rc == 0 && torn && ftruncate(fd, (off_t)whole) != 0) {
            rc = gl_err_from_errno(errno);
            gl_errf(err, errlen, "archive: cannot cut the torn tail of %s: %s", path, strerror(errno));
        }
        end = whole;
    }
    unsigned char *member = NULL;
    size_t mlen = 0;
    if (rc == 0 && (rc = deflate_member(lines, len, &member, &mlen)) != 0)
        gl_errf(err, errlen, "archive: out of memory compressing %zu bytes", len);
    if (rc == 0 && lseek(fd, (off_t)end, SEEK_SET) < 0)
        rc = gl_err_from_errno(errno);
    if (rc == 0 && (rc = write_all(fd, member, mlen)) != 0)
        gl_errf(err, errlen, "archive: cannot write %s: %s", path, gl_strerror(rc));
    if (rc == 0 && fsync(fd) != 0) {
        rc = gl_err_from_errno(errno);
        gl_errf(err, errlen, "archive: cannot fsync %s: %s", path, strerror(errno));
    }
    free(member);
    close(fd);
    if (rc == 0 && fresh) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0) {
            rc = GL_EIO;
            gl_errf(err, errlen, "archive: cannot fsync %s", dir);
        }
        if (dfd >= 0)
            close(dfd);
    }
    if (rc == 0 && size)
        *size = end + mlen;
    return rc;
}

/* ---- reading ---- */

struct walk {
    gl_archive_fn fn;
    void *arg;
    gl_archive_stats *st;
    char *line;
    size_t len, cap;
    bool overlong;
    uint64_t max_seq;
    json_t *seen; /* case ids passed */
};

static bool record_ok(const json_t *r, json_int_t *seq, const char **id)
{
    const char *type = json_string_value(json_object_get(r, "type"));
    if (!json_is_object(r) || !type)
        return false;
    if (strcmp(type, "event") == 0) {
        json_t *s = json_object_get(r, "seq");
        *seq = json_is_integer(s) ? json_integer_value(s) : 0;
        return *seq > 0 && json_is_object(json_object_get(r, "event"));
    }
    if (strcmp(type, "case") == 0) {
        *id = json_string_value(json_object_get(r, "id"));
        return *id && (*id)[0] && json_is_object(json_object_get(r, "case"));
    }
    return false;
}

static int take_line(struct walk *w)
{
    if (w->overlong || w->len == 0) {
        if (w->overlong)
            w->st->bad++;
        w->overlong = false;
        w->len = 0;
        return 0;
    }
    json_t *r = json_loadb(w->line, w->len, JSON_REJECT_DUPLICATES, NULL);
    w->len = 0;
    json_int_t seq = 0;
    const char *id = NULL;
    int rc = 0;
    if (!r || !record_ok(r, &seq, &id)) {
        w->st->bad++;
    } else if (seq ? (uint64_t)seq <= w->max_seq : json_object_get(w->seen, id) != NULL) {
        w->st->duplicates++;
    } else {
        if (seq)
            w->max_seq = (uint64_t)seq;
        else
            json_object_set_new(w->seen, id, json_true());
        w->st->records++;
        rc = w->fn(r, w->arg);
    }
    json_decref(r);
    return rc;
}

static int on_data(const char *buf, size_t n, bool member_end, void *arg)
{
    struct walk *w = arg;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            int rc = take_line(w);
            if (rc)
                return rc;
            continue;
        }
        if (w->overlong)
            continue;
        if (w->len == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 4096;
            if (cap > GL_ARCHIVE_LINE_MAX) {
                w->overlong = true;
                continue;
            }
            char *p = realloc(w->line, cap);
            if (!p)
                return GL_ENOMEM;
            w->line = p;
            w->cap = cap;
        }
        w->line[w->len++] = buf[i];
    }
    if (member_end && (w->len || w->overlong)) {
        /* A member ends with a whole line; what is left is not one. */
        w->st->bad++;
        w->len = 0;
        w->overlong = false;
    }
    return 0;
}

int gl_archive_walk_fd(int fd, gl_archive_fn fn, void *arg, gl_archive_stats *stats, char *err, size_t errlen)
{
    gl_archive_stats local;
    gl_archive_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    off_t at = lseek(fd, 0, SEEK_CUR);
    struct walk w = {.fn = fn, .arg = arg, .st = st, .seen = json_object()};
    if (!w.seen)
        return GL_ENOMEM;
    uint64_t whole = 0, from = at > 0 ? (uint64_t)at : 0;
    bool torn = false;
    if (gzip_magic(fd, from) == 0) {
        json_decref(w.seen);
        gl_errf(err, errlen, "archive: not gzip data");
        return GL_EINVAL;
    }
    int rc = inflate_members(fd, from, on_data, &w, &whole, &torn);
    free(w.line);
    json_decref(w.seen);
    if (rc != 0 && rc != GL_ENOMEM && rc != GL_EIO)
        return rc; /* fn's */
    if (rc != 0) {
        gl_errf(err, errlen, "archive: %s", gl_strerror(rc));
        return rc;
    }
    st->torn = torn;
    if (torn)
        gl_errf(err, errlen, "archive: torn tail after byte %llu: read up to its last whole record",
                (unsigned long long)whole);
    return 0;
}

int gl_archive_walk(const char *dir, const char *month, gl_archive_fn fn, void *arg, gl_archive_stats *stats, char *err,
                    size_t errlen)
{
    char path[4096];
    if (month_path(path, sizeof path, dir, month) != 0) {
        gl_errf(err, errlen, "archive: bad month '%s' (YYYY-MM)", month ? month : "");
        return GL_EINVAL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        gl_errf(err, errlen, "archive: %s: %s", path, strerror(e));
        return e == ENOENT ? GL_ENOENT : gl_err_from_errno(e);
    }
    int rc = gl_archive_walk_fd(fd, fn, arg, stats, err, errlen);
    close(fd);
    return rc;
}

static int month_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

int gl_archive_months(const char *dir, char (**months)[8], size_t *n)
{
    *months = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : gl_err_from_errno(errno);
    char(*list)[8] = NULL;
    size_t k = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && k < GL_ARCHIVE_MONTHS) {
        char m[8];
        if (strlen(e->d_name) != 16 || strcmp(e->d_name + 7, ".jsonl.gz") != 0)
            continue;
        memcpy(m, e->d_name, 7);
        m[7] = 0;
        if (!gl_archive_month_ok(m))
            continue;
        if (k == cap) {
            cap = cap ? cap * 2 : 16;
            char(*p)[8] = realloc(list, cap * sizeof *list);
            if (!p) {
                rc = GL_ENOMEM;
                break;
            }
            list = p;
        }
        memcpy(list[k++], m, 8);
    }
    closedir(d);
    if (rc != 0) {
        free(list);
        return rc;
    }
    if (k)
        qsort(list, k, sizeof *list, month_cmp);
    *months = list;
    *n = k;
    return 0;
}
