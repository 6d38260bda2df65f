/* cmd_apikey.c: `gridlink apikey`, the API keys of Open311 clients
 * (users.h): add one (the key is printed once, on stdout, and kept only
 * as a hash), list them, disable one. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "display.h"
#include "error.h"
#include "users.h"

typedef struct key_opts {
    const char *home, *name;
    bool json;
} key_opts;

static int open_keys(const char *cmd, const char *home, bool create, gl_users_t **u)
{
    int rc = gl_users_open(home, create, u);
    if (rc == GL_ENOENT && !create)
        return rc;
    return rc ? cli_fail(cmd, "cannot open %s/users: %s", home, gl_strerror(rc)) : 0;
}

static int check_name(const char *cmd, const char *name)
{
    if (!name)
        return cli_usage(cmd, "--name NAME is required");
    const char *why = gl_user_name_problem(name);
    return why ? cli_usage(cmd, "--name: %s, not '%s'", why, name) : 0;
}

static int key_add(const char *cmd, const key_opts *o)
{
    int rc = check_name(cmd, o->name);
    gl_users_t *u = NULL;
    if (!rc)
        rc = open_keys(cmd, o->home, true, &u);
    if (rc)
        return rc;
    char key[GL_USERS_TOKEN_SIZE];
    int r = gl_apikey_add(u, o->name, cli_now_ms(), key);
    gl_users_close(&u);
    if (r == GL_EEXIST)
        return cli_fail(cmd, "%s has an API key already (disable it and add another name)", o->name);
    if (r)
        return cli_fail(cmd, "cannot add the API key of %s: %s", o->name, gl_strerror(r));
    printf("%s\n", key);
    sodium_memzero(key, sizeof key);
    return 0;
}

static int key_disable(const char *cmd, const key_opts *o)
{
    int rc = check_name(cmd, o->name);
    gl_users_t *u = NULL;
    if (!rc)
        rc = open_keys(cmd, o->home, false, &u);
    if (rc == GL_ENOENT)
        return cli_fail(cmd, "no API key of %s", o->name);
    if (rc)
        return rc;
    int r = gl_apikey_disable(u, o->name);
    gl_users_close(&u);
    if (r == GL_ENOENT)
        return cli_fail(cmd, "no API key of %s", o->name);
    return r ? cli_fail(cmd, "cannot disable the API key of %s: %s", o->name, gl_strerror(r)) : 0;
}

struct listing {
    json_t *array;
    size_t n;
};

static int list_one(const gl_apikey *k, void *arg)
{
    struct listing *l = arg;
    char when[48];
    l->n++;
    if (l->array)
        return json_array_append_new(l->array, json_pack("{s:s, s:b, s:s}", "name", k->name, "disabled", k->disabled,
                                                         "created", cli_iso_time(k->created_ms, when, sizeof when)));
    printf("%-24s %-8s %s\n", k->name, k->disabled ? "disabled" : "active",
           cli_local_time(k->created_ms, when, sizeof when));
    return 0;
}

static int key_list(const char *cmd, const key_opts *o)
{
    gl_users_t *u = NULL;
    int rc = open_keys(cmd, o->home, false, &u);
    if (rc && rc != GL_ENOENT)
        return rc;
    struct listing l = {.array = o->json ? json_array() : NULL};
    int r = u ? gl_apikey_list(u, list_one, &l) : 0;
    gl_users_close(&u);
    if (r) {
        json_decref(l.array);
        return cli_fail(cmd, "cannot list the API keys: %s", gl_strerror(r));
    }
    if (l.array)
        cli_print_json(l.array);
    else if (l.n == 0)
        printf("no API keys (gridlink apikey add makes one)\n");
    return 0;
}

int gl_cmd_apikey(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"name", required_argument, 0, 'n'},
                                       {"json", no_argument, 0, 'j'},
                                       {0, 0, 0, 0}};
    static const struct {
        const char *name, *allowed;
        int (*fn)(const char *cmd, const key_opts *o);
    } verbs[] = {{"add", "Hn", key_add}, {"list", "Hj", key_list}, {"disable", "Hn", key_disable}};
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage("apikey", "say what to do: add, list or disable");
    size_t v = 0;
    while (v < sizeof verbs / sizeof verbs[0] && strcmp(verbs[v].name, argv[1]) != 0)
        v++;
    if (v == sizeof verbs / sizeof verbs[0])
        return cli_usage("apikey", "unknown subcommand '%s' (add, list, disable)", argv[1]);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "apikey %s", verbs[v].name);
    key_opts o = {0};
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt(cmd, argc - 1, argv + 1, lo, verbs[v].allowed)) != -1) {
        switch (c) {
        case 'H': o.home = optarg; break;
        case 'n': o.name = optarg; break;
        case 'j': o.json = true; break;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc - 1)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    o.home = cli_home(o.home);
    return verbs[v].fn(cmd, &o);
}
