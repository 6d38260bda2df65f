/* cmdtab.h: the table of `gridlink` commands: each command's entry point
 * and its help (synopsis, summary, what it does, every option, an example),
 * one entry per command in cmdtab.c. main.c dispatches through it; `gridlink
 * help` lists it and `gridlink COMMAND --help` prints one entry. The table is
 * static and read-only; nothing here allocates. */
#ifndef GL_CLI_CMDTAB_H
#define GL_CLI_CMDTAB_H

#include <stdbool.h>
#include <stdio.h>

#define CLI_MAX_SYNOPSES 4
#define CLI_MAX_OPTS     16

typedef struct cli_opt_help {
    const char *flag; /* "--home" */
    const char *arg;  /* "DIR", or NULL for a flag that takes no value */
    const char *text; /* one line */
} cli_opt_help;

typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);       /* argv[0] is the name; returns the exit status */
    const char *synopsis[CLI_MAX_SYNOPSES]; /* what follows "gridlink NAME", one form each */
    const char *summary;                    /* one line, for `gridlink help` */
    const char *about;                      /* what it does; lines end with \n */
    cli_opt_help opts[CLI_MAX_OPTS];        /* ends at the first without a flag */
    const char *example;                    /* one or more command lines, \n-separated */
} cli_command;

/* The entry named name, or NULL. */
const cli_command *cli_command_find(const char *name);
/* Every command with its synopsis and summary (`gridlink help`). */
void cli_help_list(FILE *f);
/* One command's page: usage, what it does, its options, an example. */
void cli_help_command(FILE *f, const cli_command *c);
/* True when argv (argv[0] the command) asks for help: an argument --help or
 * -h before any "--" that is not the value of an option c lists with a
 * value. */
bool cli_wants_help(const cli_command *c, int argc, char **argv);

#endif
