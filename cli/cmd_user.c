/* cmd_user.c: `gridlink user`, the home's accounts (users.h): add one, list
 * them, disable or enable one, give one a new password. A password comes on
 * stdin, one line, never in argv; it is wiped once used and never printed.
 * A scope must be a node of HOME's topology, whose names the list shows. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "display.h"
#include "error.h"
#include "home.h"
#include "users.h"

#define PASSWORD_LINE (GL_USER_PASSWORD_MAX + 1) /* the longest password and a '\r' */

typedef struct user_opts {
    const char *home, *name, *role, *scope, *display;
    bool password_stdin, json;
} user_opts;

/* One line of stdin (without its "\n" or "\r\n") into buf, which the
 * caller wipes: 0, or the exit status of the error already reported. */
static int read_password(const char *cmd, char buf[PASSWORD_LINE + 1])
{
    size_t n = 0;
    bool too_long = false;
    for (;;) {
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return cli_fail(cmd, "cannot read the password from stdin: %s", strerror(errno));
        if (r == 0 || c == '\n')
            break;
        if (n == PASSWORD_LINE) {
            too_long = true;
            break;
        }
        buf[n++] = c;
    }
    buf[n] = 0;
    if (n && buf[n - 1] == '\r')
        buf[--n] = 0;
    const char *why = too_long ? "a password is at most 1024 bytes" : gl_user_password_problem(buf);
    if (!why && strlen(buf) != n)
        why = "the password holds a NUL byte";
    if (why)
        return cli_usage(cmd, "%s (--password-stdin reads one line)", why);
    return 0;
}

static int check_name(const char *cmd, const char *name)
{
    if (!name)
        return cli_usage(cmd, "--name NAME is required");
    const char *why = gl_user_name_problem(name);
    return why ? cli_usage(cmd, "--name: %s, not '%s'", why, name) : 0;
}

static int open_users(const char *cmd, const char *home, bool create, gl_users_t **u)
{
    int rc = gl_users_open(home, create, u);
    if (rc == GL_ENOENT)
        return rc;
    if (rc)
        return cli_fail(cmd, "cannot open the accounts in %s/users: %s", home, gl_strerror(rc));
    return 0;
}

static int user_add(const char *cmd, const user_opts *o)
{
    enum gl_user_role role;
    int rc = check_name(cmd, o->name);
    if (rc)
        return rc;
    if (!o->role)
        return cli_usage(cmd, "--role ROLE is required (%s)", gl_user_role_list());
    if (!gl_user_role_from(o->role, &role))
        return cli_usage(cmd, "unknown role '%s' (%s)", o->role, gl_user_role_list());
    if (!o->scope)
        return cli_usage(cmd, "--scope NODE_ID is required");
    if (!gl_node_id_valid(o->scope))
        return cli_usage(cmd, "--scope takes a node ID, not '%s'", o->scope);
    const char *why = gl_user_display_problem(o->display);
    if (why)
        return cli_usage(cmd, "--display: %s", why);
    if (!o->password_stdin)
        return cli_usage(cmd, "give the password on stdin with --password-stdin");

    gl_topology_t *t;
    if (cli_topology(cmd, o->home, &t) != 0)
        return 1;
    cli_names_set(t);
    if (!gl_topology_find(t, o->scope)) {
        cli_names_set(NULL);
        gl_topology_free(&t);
        return cli_usage(cmd, "--scope: unknown node %s", o->scope);
    }
    char password[PASSWORD_LINE + 1];
    gl_users_t *u = NULL;
    rc = read_password(cmd, password);
    if (!rc && (rc = open_users(cmd, o->home, true, &u)) == 0) {
        int r = gl_users_add(u, o->name, role, o->scope, o->display, password);
        if (r == GL_EEXIST)
            rc = cli_fail(cmd, "an account named %s already exists", o->name);
        else if (r)
            rc = cli_fail(cmd, "cannot add %s: %s", o->name, gl_strerror(r));
        gl_users_close(&u);
    }
    sodium_memzero(password, sizeof password);
    if (!rc) {
        char scope[GL_NODE_ID_MAX + 256];
        printf("%s added: %s (%s), scope %s\n", o->name, gl_user_role_name(role), gl_user_role_label(role),
               cli_node_name(o->scope, scope, sizeof scope));
    }
    cli_names_set(NULL);
    gl_topology_free(&t);
    return rc;
}

static int user_passwd(const char *cmd, const user_opts *o)
{
    int rc = check_name(cmd, o->name);
    if (rc)
        return rc;
    if (!o->password_stdin)
        return cli_usage(cmd, "give the password on stdin with --password-stdin");
    char password[PASSWORD_LINE + 1];
    gl_users_t *u = NULL;
    rc = read_password(cmd, password);
    if (!rc && (rc = open_users(cmd, o->home, false, &u)) == GL_ENOENT)
        rc = cli_fail(cmd, "no account named %s", o->name);
    if (!rc) {
        int r = gl_users_passwd(u, o->name, password);
        if (r == GL_ENOENT)
            rc = cli_fail(cmd, "no account named %s", o->name);
        else if (r)
            rc = cli_fail(cmd, "cannot change the password of %s: %s", o->name, gl_strerror(r));
        gl_users_close(&u);
    }
    sodium_memzero(password, sizeof password);
    if (!rc)
        printf("password of %s changed; its sessions ended\n", o->name);
    return rc;
}

static int set_disabled(const char *cmd, const user_opts *o, bool disabled)
{
    int rc = check_name(cmd, o->name);
    if (rc)
        return rc;
    gl_users_t *u = NULL;
    if ((rc = open_users(cmd, o->home, false, &u)) == GL_ENOENT)
        return cli_fail(cmd, "no account named %s", o->name);
    if (rc)
        return rc;
    int r = disabled ? gl_users_disable(u, o->name) : gl_users_enable(u, o->name);
    gl_users_close(&u);
    if (r == GL_ENOENT)
        return cli_fail(cmd, "no account named %s", o->name);
    if (r)
        return cli_fail(cmd, "cannot %s %s: %s", disabled ? "disable" : "enable", o->name, gl_strerror(r));
    printf("%s %s\n", o->name, disabled ? "disabled; its sessions ended" : "enabled");
    return 0;
}

static int user_disable(const char *cmd, const user_opts *o)
{
    return set_disabled(cmd, o, true);
}

static int user_enable(const char *cmd, const user_opts *o)
{
    return set_disabled(cmd, o, false);
}

/* ---- list ---- */

struct listing {
    cli_table_t *table; /* readable */
    json_t *array;      /* --json */
    size_t n;
};

static int list_one(const gl_account *a, void *arg)
{
    struct listing *l = arg;
    char role[96], scope[GL_NODE_ID_MAX + 256], created[48];
    l->n++;
    if (l->array) {
        const char *scope_name = cli_node_display(a->scope);
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:s, s:I}", "name", a->name, "display", a->display,
                              "role", gl_user_role_name(a->role), "role_label", gl_user_role_label(a->role), "scope",
                              a->scope, "scope_name", scope_name ? json_string(scope_name) : json_null(), "disabled",
                              a->disabled, "created", cli_iso_time(a->created_ms, created, sizeof created),
                              "created_ms", (json_int_t)a->created_ms);
        return j && json_array_append_new(l->array, j) == 0 ? 0 : GL_ENOMEM;
    }
    snprintf(role, sizeof role, "%s (%s)", gl_user_role_name(a->role), gl_user_role_label(a->role));
    const char *row[] = {a->name,
                         a->display[0] ? a->display : "-",
                         role,
                         cli_node_name(a->scope, scope, sizeof scope),
                         a->disabled ? "disabled" : "active",
                         cli_local_time(a->created_ms, created, sizeof created)};
    return cli_table_add(l->table, row) == 0 ? 0 : GL_ENOMEM;
}

static int user_list(const char *cmd, const user_opts *o)
{
    /* The topology only lends names: an account is listed without them. */
    gl_topology_t *t = NULL;
    char err[512];
    if (gl_home_topology(o->home, &t, err, sizeof err) == 0)
        cli_names_set(t);
    struct listing l = {0};
    static const char *const head[] = {"name", "display", "role", "scope", "status", "created"};
    if (o->json)
        l.array = json_array();
    else if ((l.table = cli_table_new(6)) != NULL)
        cli_table_add(l.table, head);
    int rc = l.array || l.table ? 0 : cli_fail(cmd, "out of memory");
    gl_users_t *u = NULL;
    int r = rc ? 0 : open_users(cmd, o->home, false, &u);
    if (r == GL_ENOENT)
        r = 0; /* no account was ever made here */
    else if (r)
        rc = r;
    if (!rc && u && (r = gl_users_list(u, list_one, &l)) != 0)
        rc = cli_fail(cmd, "cannot list the accounts in %s/users: %s", o->home, gl_strerror(r));
    gl_users_close(&u);
    if (!rc && l.array) {
        cli_print_json(l.array);
        l.array = NULL;
    } else if (!rc && l.n == 0) {
        printf("no accounts (gridlink user add makes one)\n");
    } else if (!rc) {
        cli_table_print(l.table, stdout);
    }
    json_decref(l.array);
    cli_table_free(&l.table);
    cli_names_set(NULL);
    gl_topology_free(&t);
    return rc;
}

/* ---- the command ---- */

static const struct verb {
    const char *name;
    const char *allowed; /* option codes, as cli_next_opt takes them */
    int (*fn)(const char *cmd, const user_opts *o);
} verbs[] = {
    {"add", "HnrsdP", user_add},   {"list", "Hj", user_list},      {"disable", "Hn", user_disable},
    {"enable", "Hn", user_enable}, {"passwd", "HnP", user_passwd},
};

int gl_cmd_user(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},    {"name", required_argument, 0, 'n'},
                                       {"role", required_argument, 0, 'r'},    {"scope", required_argument, 0, 's'},
                                       {"display", required_argument, 0, 'd'}, {"password-stdin", no_argument, 0, 'P'},
                                       {"json", no_argument, 0, 'j'},          {0, 0, 0, 0}};
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage("user", "say what to do: add, list, disable, enable or passwd");
    const struct verb *v = NULL;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verbs[i].name, argv[1]) == 0)
            v = &verbs[i];
    if (!v)
        return cli_usage("user", "unknown subcommand '%s' (add, list, disable, enable, passwd)", argv[1]);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "user %s", v->name);
    user_opts o = {0};
    cli_opts_reset();
    int c;
    while ((c = cli_next_opt(cmd, argc - 1, argv + 1, lo, v->allowed)) != -1) {
        switch (c) {
        case 'H': o.home = optarg; break;
        case 'n': o.name = optarg; break;
        case 'r': o.role = optarg; break;
        case 's': o.scope = optarg; break;
        case 'd': o.display = optarg; break;
        case 'P': o.password_stdin = true; break;
        case 'j': o.json = true; break;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc - 1)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    o.home = cli_home(o.home);
    return v->fn(cmd, &o);
}
