/* cmd_work.c: the commands that bring work in and answer for it: a task
 * dispatched down the tree (dispatch), a resident's request taken in
 * (request), and the originator's return visit (rate). Each is one request
 * on the control socket of the process hosting the node (cli.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "names.h"

int gl_cmd_dispatch(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("dispatch", argc, argv, "HnctNpTjouLsdP", &o);
    if (rc == 0)
        rc = cli_positionals("dispatch", argc, argv, 0,
                             "gridlink dispatch --node FROM (--to NODE | --under PREFIX --tier TIER) --category CAT "
                             "--text TEXT");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    if (rc == 0)
        rc = cli_intake("dispatch", &o, &req);
    if (rc != 0)
        return rc;
    if (o.to && (o.under || o.tier))
        return cli_usage("dispatch", "--to names one recipient; --under and --tier name many: give one or the other");
    if (!o.to && (!o.under || !o.tier))
        return cli_usage("dispatch",
                         "name the recipients: --to NODE, or --under PREFIX with --tier community|grid|department");
    req.op = "dispatch";
    req.to = (char *)(o.to ? o.to : "");
    req.under = (char *)(o.under ? o.under : "");
    req.tier = o.tier;
    req.sign_within_ms = o.sign_within_ms;
    req.due_ms = o.due_ms;
    Gridlink__V1__CtlReply *rep;
    if (cli_case_call("dispatch", &o, &req, &rep) != 0)
        return 1;
    bool bulk = rep->case_ != NULL && rep->case_->n_children > 0;
    if (o.json) {
        json_t *j = json_object();
        json_t *ids = json_array();
        for (size_t i = 0; i < rep->n_case_ids; i++)
            json_array_append_new(ids, json_string(rep->case_ids[i]));
        json_object_set_new(j, "tasks", ids);
        if (bulk) {
            json_object_set_new(j, "parent_task", json_string(rep->case_id));
            json_object_set_new(j, "case", cli_case_json(rep->case_, NULL, 0, cli_now_ms()));
        }
        cli_print_json(j);
    } else {
        for (size_t i = 0; i < rep->n_case_ids; i++)
            printf("%s\n", rep->case_ids[i]);
        fflush(stdout);
        if (bulk)
            fprintf(stderr, "%s\n", rep->case_id);
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

/* gridlink whistle: 吹哨, departments called to a problem at once. */
int gl_cmd_whistle(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("whistle", argc, argv, "HnctNpTjowdP", &o);
    if (rc == 0)
        rc = cli_positionals("whistle", argc, argv, 0,
                             "gridlink whistle --node TOWNSHIP --to DEPT[,DEPT...] --category CAT --text TEXT "
                             "--report-within DUR");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    if (rc == 0)
        rc = cli_intake("whistle", &o, &req);
    if (rc != 0)
        return rc;
    if (!o.to || !o.to[0])
        return cli_usage("whistle", "name the departments called: --to DEPT[,DEPT...]");
    if (o.sign_within_ms <= 0)
        return cli_usage("whistle", "give the time to report in (报到): --report-within DUR, e.g. 30m");
    char *list = strdup(o.to);
    char *depts[GL_MAX_WHISTLE_DEPARTMENTS];
    size_t n = 0;
    for (char *save = NULL, *d = list ? strtok_r(list, ",", &save) : NULL; d; d = strtok_r(NULL, ",", &save)) {
        if (n == GL_MAX_WHISTLE_DEPARTMENTS) {
            free(list);
            return cli_usage("whistle", "a whistle calls at most %d departments", GL_MAX_WHISTLE_DEPARTMENTS);
        }
        if (!gl_node_id_valid(d)) {
            rc = cli_usage("whistle", "'%s' in --to is not a node ID", d);
            free(list);
            return rc;
        }
        depts[n++] = d;
    }
    if (n == 0) {
        free(list);
        return cli_usage("whistle", "name the departments called: --to DEPT[,DEPT...]");
    }
    req.op = "whistle";
    req.departments = depts;
    req.n_departments = n;
    req.sign_within_ms = o.sign_within_ms;
    req.due_ms = o.due_ms;
    Gridlink__V1__CtlReply *rep;
    rc = cli_case_call("whistle", &o, &req, &rep);
    free(list);
    if (rc != 0)
        return 1;
    if (o.json) {
        json_t *j = json_object();
        json_t *ids = json_array();
        for (size_t i = 0; i < rep->n_case_ids; i++)
            json_array_append_new(ids, json_string(rep->case_ids[i]));
        json_object_set_new(j, "whistle", json_string(rep->case_id));
        json_object_set_new(j, "parts", ids);
        if (rep->case_)
            json_object_set_new(j, "case", cli_case_json(rep->case_, NULL, 0, cli_now_ms()));
        cli_print_json(j);
    } else {
        printf("%s\n", rep->case_id);
        fflush(stdout);
        for (size_t i = 0; i < rep->n_case_ids; i++)
            fprintf(stderr, "%s\n", rep->case_ids[i]);
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}

int gl_cmd_request(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("request", argc, argv, "HnctNparCTjyxP", &o);
    if (rc == 0)
        rc = cli_positionals("request", argc, argv, 0,
                             "gridlink request --node NODE --category CAT --text TEXT [--lat Y --lon X] "
                             "[--address A] [--community ID]");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    if (rc == 0)
        rc = cli_intake("request", &o, &req);
    if (rc != 0)
        return rc;
    req.op = "request";
    req.kind = GRIDLINK__V1__CASE_KIND__KIND_REQUEST;
    req.community = (char *)(o.community ? o.community : "");
    return cli_new_case("request", &o, &req);
}

int gl_cmd_rate(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("rate", argc, argv, "HnNvSTj", &o);
    if (rc == 0)
        rc = cli_positionals("rate", argc, argv, 1,
                             "gridlink rate --node NODE CASE_ID --resolved yes|no --satisfied yes|no");
    if (rc == 0)
        rc = cli_case_id_arg("rate", argv[optind]);
    if (rc != 0)
        return rc;
    if (o.resolved < 0 || o.satisfied < 0)
        return cli_usage("rate", "--resolved yes|no and --satisfied yes|no are both required");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = "rate";
    req.case_id = argv[optind];
    req.note = (char *)(o.note ? o.note : "");
    req.resolved = o.resolved == 1;
    req.satisfied = o.satisfied == 1;
    Gridlink__V1__CtlReply *rep;
    if (cli_case_call("rate", &o, &req, &rep) != 0)
        return 1;
    if (o.json) {
        json_t *j = cli_case_json(rep->case_, NULL, 0, cli_now_ms());
        if (j && rep->note && rep->note[0])
            json_object_set_new(j, "note", json_string(rep->note));
        cli_print_json(j);
    } else {
        cli_print_outcome(rep);
    }
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
