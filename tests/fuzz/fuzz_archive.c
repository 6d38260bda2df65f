/* fuzz_archive.c: any bytes as an archive file (archive.h): the reader
 * either refuses them as not gzip or walks them, every record it passes
 * being an object of a known type, an event's sequence rising, a case's ID
 * passed once; a torn or corrupt member ends the walk with the torn flag,
 * never a crash or a read past the data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "archive.h"
#include "error.h"

struct check {
    json_int_t last_seq;
    json_t *ids;
};

static int check(const json_t *rec, void *arg)
{
    struct check *c = arg;
    const char *type = json_string_value(json_object_get(rec, "type"));
    if (!json_is_object(rec) || !type)
        abort();
    if (strcmp(type, "event") == 0) {
        json_int_t s = json_integer_value(json_object_get(rec, "seq"));
        if (s <= c->last_seq || !json_is_object(json_object_get(rec, "event")))
            abort();
        c->last_seq = s;
    } else if (strcmp(type, "case") == 0) {
        const char *id = json_string_value(json_object_get(rec, "id"));
        if (!id || !id[0] || json_object_get(c->ids, id) || !json_is_object(json_object_get(rec, "case")))
            abort();
        json_object_set_new(c->ids, id, json_true());
    } else {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_archive", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t k = write(fd, data + off, size - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    lseek(fd, 0, SEEK_SET);
    struct check c = {0, json_object()};
    gl_archive_stats st;
    char err[256] = "";
    int rc = gl_archive_walk_fd(fd, check, &c, &st, err, sizeof err);
    if (rc != 0 && rc != GL_EINVAL && rc != GL_ENOMEM)
        abort();
    if (rc == GL_EINVAL && !err[0])
        abort();
    if (rc == 0 && st.records < json_object_size(c.ids))
        abort();
    json_decref(c.ids);
    close(fd);
    return 0;
}
