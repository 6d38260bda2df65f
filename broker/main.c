/* main.c: gridlink-broker --home DIR [--log-level L] */
#include <getopt.h>
#include <stdio.h>

#include "broker.h"
#include "home.h"
#include "log.h"

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"home", required_argument, 0, 'h'}, {"log-level", required_argument, 0, 'l'}, {0, 0, 0, 0}};
    const char *home = NULL;
    int level = GL_LOG_INFO;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h')
            home = optarg;
        else if (c == 'l' && (level = gl_log_level_parse(optarg)) >= 0)
            ;
        else {
            fprintf(stderr, "usage: gridlink-broker --home DIR [--log-level debug|info|warn|error]\n");
            return 2;
        }
    }
    if (!home || optind != argc) {
        fprintf(stderr, "usage: gridlink-broker --home DIR [--log-level debug|info|warn|error]\n");
        return 2;
    }
    gl_log_init("broker", (enum gl_log_level)level);
    gl_supervised_init();
    return broker_run(home);
}
