/* cmd_files.c: `gridlink attach` (store a photo at a node; prints its
 * SHA-256, which --photo names on a case or an action) and `gridlink
 * attachment` (write a stored photo to a file). Over the control socket a
 * photo may be up to what its frames take (about 1 MiB); the HTTP API takes
 * up to 10 MiB. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "error.h"

#define CTL_FILE_MAX (GL_MAX_MESSAGE - (16u << 10)) /* a control frame's room for the file */

/* The photo type from the file's first bytes. */
static const char *type_of(const uint8_t *b, size_t len)
{
    static const char *const types[] = {"image/jpeg", "image/png", "image/gif", "image/webp"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!gl_file_type_refusal(types[i], b, len))
            return types[i];
    return NULL;
}

int gl_cmd_attach(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("attach", argc, argv, "HnTj", &o);
    if (rc == 0)
        rc = cli_positionals("attach", argc, argv, 1, "gridlink attach --node NODE_ID FILE");
    if (rc != 0)
        return rc;
    const char *path = argv[optind];
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_fail("attach", "cannot open %s: %s", path, strerror(errno));
    uint8_t *buf = malloc(CTL_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, CTL_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf)
        return cli_fail("attach", "out of memory");
    if (len > CTL_FILE_MAX) {
        free(buf);
        return cli_fail("attach",
                        "%s is larger than %u bytes, what the control socket takes; upload it over HTTP "
                        "(POST .../attachments, up to %u bytes)",
                        path, CTL_FILE_MAX, GL_MAX_ATTACHMENT);
    }
    const char *type = type_of(buf, len);
    if (!type) {
        free(buf);
        return cli_fail("attach", "%s is not a photo (JPEG, PNG, GIF or WebP)", path);
    }
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "attach";
    req.data.data = buf;
    req.data.len = len;
    req.content_type = (char *)type;
    Gridlink__V1__CtlReply *rep;
    rc = cli_case_call("attach", &o, &req, &rep);
    free(buf);
    if (rc != 0)
        return 1;
    if (o.json && rep->attachment)
        cli_print_json(json_pack("{s:s, s:I, s:s}", "sha256", rep->attachment->sha256, "size",
                                 (json_int_t)rep->attachment->size, "content_type", rep->attachment->content_type));
    else if (rep->attachment)
        printf("%s\n", rep->attachment->sha256);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_attachment(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("attachment", argc, argv, "HnT", &o);
    if (rc == 0)
        rc = cli_positionals("attachment", argc, argv, 2, "gridlink attachment --node NODE_ID SHA256 OUT_FILE");
    if (rc != 0)
        return rc;
    if (!gl_sha256_hex_valid(argv[optind]))
        return cli_usage("attachment", "'%s' is not a SHA-256 (64 lower-case hex digits)", argv[optind]);
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "attachment";
    req.sha256 = argv[optind];
    Gridlink__V1__CtlReply *rep;
    if (cli_case_call("attachment", &o, &req, &rep) != 0)
        return 1;
    const char *out = argv[optind + 1];
    FILE *f = fopen(out, "wb");
    bool ok = f && fwrite(rep->data.data, 1, rep->data.len, f) == rep->data.len;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok)
        printf("%s: %zu bytes, %s\n", out, rep->data.len, rep->attachment ? rep->attachment->content_type : "");
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return ok ? 0 : cli_fail("attachment", "cannot write %s: %s", out, strerror(errno));
}
