/* args.c: the command line's option parsing, shared by every subcommand
 * (see cli.h): getopt_long over long options with one clear message for an
 * unknown option, an option this command does not take, or a missing
 * argument, and numbers that must parse fully and lie in range. A usage
 * error is one line on stderr and exit status CLI_USAGE. Nothing here
 * allocates. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "gridlink %s: %s (gridlink help lists the options)\n", cmd, msg);
    return CLI_USAGE;
}

void cli_opts_reset(void)
{
    optind = 0; /* 0, not 1: glibc then resets all of getopt's state */
    opterr = 0;
}

int cli_next_opt(const char *cmd, int argc, char **argv, const struct option *lo, const char *allowed)
{
    int c = getopt_long(argc, argv, ":", lo, NULL);
    if (c == -1)
        return -1;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    if (c == '?') {
        if (optopt)
            cli_usage(cmd, "unknown option '-%c'", optopt);
        else
            cli_usage(cmd, "unknown option '%s'", arg);
        return CLI_OPT_ERROR;
    }
    if (c == ':') {
        cli_usage(cmd, "option '%s' needs a value", arg);
        return CLI_OPT_ERROR;
    }
    if (allowed && !strchr(allowed, c)) {
        const char *name = "?";
        for (const struct option *o = lo; o->name; o++)
            if (o->val == c)
                name = o->name;
        cli_usage(cmd, "--%s is not an option of %s", name, cmd);
        return CLI_OPT_ERROR;
    }
    return c;
}

int cli_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    bool digits = isdigit((unsigned char)text[0]) || (text[0] == '-' && isdigit((unsigned char)text[1]));
    if (!digits || errno || *end || v < lo || v > hi)
        return cli_usage(cmd, "%s takes a whole number from %lld to %lld, not '%s'", opt, lo, hi, text);
    *out = v;
    return 0;
}

#define DURATION_MAX_S (366LL * 86400)

int cli_duration(const char *cmd, const char *opt, const char *text, int64_t *ms)
{
    char *end;
    errno = 0;
    long long v = isdigit((unsigned char)text[0]) ? strtoll(text, &end, 10) : -1;
    long long unit = 1;
    if (v >= 0 && !errno && end[0] && !end[1]) {
        switch (end[0]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: unit = 0; break;
        }
    } else if (v >= 0 && !errno && end[0]) {
        unit = 0;
    }
    if (v <= 0 || errno || unit == 0 || v > DURATION_MAX_S / unit)
        return cli_usage(cmd, "%s takes a duration (90s, 30m, 2h, 3d or seconds) of up to 366d, not '%s'", opt, text);
    *ms = (int64_t)(v * unit) * 1000;
    return 0;
}
