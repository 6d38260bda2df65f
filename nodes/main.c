/* main.c: gridlink-node, the process that runs one or more tier nodes.
 *
 *   gridlink-node --home DIR --node ID [--node ID ...] [--window N]
 *                 [--map-size BYTES] [--log-level L]
 *
 * Every hosted node ID is on the command line so `ps` shows which process
 * serves which nodes. --map-size sets the initial LMDB map of stores created
 * by this process (suffix K, M or G for KiB, MiB, GiB); the map doubles on
 * demand when it fills, so a small value is how tests exercise growth. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "host.h"
#include "home.h"
#include "log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: gridlink-node --home DIR --node ID [--node ID ...] [--window N] [--map-size BYTES[K|M|G]]\n"
               "                     [--log-level debug|info|warn|error]\n");
}

/* Smallest initial map accepted. A new store needs five 4 KiB pages to open
 * (two meta pages, the main database, `meta` and its first records; measured
 * with LMDB 0.9 on x86-64), and any write after that needs more; 32 KiB opens
 * and then grows on the first batches. */
#define MIN_MAP_SIZE (32u * 1024)

/* "65536", "256K", "64M", "4G" -> bytes; false if malformed or out of range. */
static bool parse_size(const char *s, size_t *out)
{
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return false;
    unsigned shift = 0;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default: break;
    }
    if (*end || v > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)(v << shift);
    return true;
}

/* Descriptors: every link, store and HTTP connection takes one; the soft
 * limit (often 1024) goes up to what the hard limit allows, at most 65536. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"home", required_argument, 0, 'h'},
                                         {"node", required_argument, 0, 'n'},
                                         {"window", required_argument, 0, 'w'},
                                         {"map-size", required_argument, 0, 'm'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, '?'},
                                         {0, 0, 0, 0}};
    const char *home = NULL;
    char **ids = calloc((size_t)argc, sizeof *ids);
    size_t n_ids = 0;
    unsigned long window = 0;
    size_t map_size = 0;
    int level = GL_LOG_INFO;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h': home = optarg; break;
        case 'n': ids[n_ids++] = optarg; break;
        case 'w': {
            char *end;
            errno = 0;
            window = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || window < 1 || window > 1000000) {
                fprintf(stderr, "gridlink-node: --window takes a number from 1 to 1000000, not '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case 'm':
            if (!parse_size(optarg, &map_size) || map_size < MIN_MAP_SIZE) {
                fprintf(stderr,
                        "gridlink-node: --map-size %s: give a size of at least %u bytes (suffix K, M, G allowed)\n",
                        optarg, MIN_MAP_SIZE);
                return 2;
            }
            break;
        case 'l':
            level = gl_log_level_parse(optarg);
            if (level < 0) {
                fprintf(stderr, "gridlink-node: unknown log level %s\n", optarg);
                return 2;
            }
            break;
        default: usage(stderr); return 2;
        }
    }
    if (!home || n_ids == 0 || optind != argc) {
        usage(stderr);
        return 2;
    }
    char tag[128];
    snprintf(tag, sizeof tag, "node %s%s", ids[0], n_ids > 1 ? "+" : "");
    gl_log_init(tag, (enum gl_log_level)level);
    gl_supervised_init();
    raise_fd_limit();
    host_set_map_size(map_size);
    int rc = host_run(home, ids, n_ids, (uint32_t)window);
    free(ids);
    return rc;
}
