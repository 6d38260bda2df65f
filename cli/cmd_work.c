/* cmd_work.c: the commands that bring work in and answer for it: a task
 * dispatched down the tree (dispatch), a resident's request taken in
 * (request), and the originator's return visit (rate). Each is one request
 * on the control socket of the process hosting the node (cli.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "codec.h"
#include "names.h"

int gl_cmd_dispatch(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("dispatch", argc, argv, "HnctNpTjouLsd", &o);
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
        return cli_usage("dispatch", "name the recipients: --to NODE, or --under PREFIX with --tier community|grid");
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

int gl_cmd_request(int argc, char **argv)
{
    cli_case_opts o;
    int rc = cli_case_parse("request", argc, argv, "HnctNparCTj", &o);
    if (rc == 0)
        rc = cli_positionals("request", argc, argv, 0,
                             "gridlink request --node NODE --category CAT --text TEXT --community ID");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    if (rc == 0)
        rc = cli_intake("request", &o, &req);
    if (rc != 0)
        return rc;
    if (!o.community)
        return cli_usage("request", "--community ID is required: the community the request is for");
    req.op = "request";
    req.kind = GRIDLINK__V1__CASE_KIND__KIND_REQUEST;
    req.community = (char *)o.community;
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
