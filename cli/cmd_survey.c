/* cmd_survey.c: `gridlink survey`: a unit's needs surveys (需求调查) over
 * the control socket of the process hosting the node:
 *   publish --node N --file F.json    a survey from its definition (survey.h)
 *   list --node N                     the surveys of N and its subtree, with counts
 *   show --node N --survey ID         definition and results
 *   close --node N --survey ID
 *   tickets --node N --survey ID --count K   K fresh survey codes (调查码), printed once
 *   task --node N --survey ID --question Q [--option K] --to NODE --category C [--text T]
 * Prints readable text, or JSON with --json (the staff API's shape). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "survey.h"

typedef struct survey_opts {
    cli_case_opts c;
    const char *file, *survey, *question, *category, *text;
    long long count, option;
} survey_opts;

static const char *unit_name(const char *home, const char *unit, gl_topology_t **t)
{
    if (!*t && cli_topology("survey", home, t) != 0)
        *t = NULL;
    const gl_node_t *nd = *t ? gl_topology_find(*t, unit) : NULL;
    return nd ? nd->name : unit;
}

static void print_survey(const gl_survey *s, const char *name, bool results)
{
    printf("%s  %s  [%s]  %s\n", s->id, s->title, name, s->closed ? "已结束" : "进行中");
    printf("  答卷 %llu 份, 调查码 %llu 个\n", (unsigned long long)s->answers, (unsigned long long)s->tickets);
    if (!results)
        return;
    for (size_t i = 0; i < s->n_questions; i++) {
        const Gridlink__V1__SurveyQuestion *q = s->questions[i];
        printf("  %s (%s) %s: %llu 人回答\n", q->id, gl_survey_kind_label(q->kind), q->text,
               (unsigned long long)q->answered);
        for (size_t k = 0; k < q->n_options && k < q->n_counts; k++)
            printf("    %zu. %s: %llu\n", k + 1, q->options[k], (unsigned long long)q->counts[k]);
        if (q->kind == GRIDLINK__V1__SURVEY_KIND__SURVEY_SCALE)
            for (size_t k = 0; k < q->n_counts; k++)
                printf("    %zu 分: %llu\n", k + 1, (unsigned long long)q->counts[k]);
        if (q->answered &&
            (q->kind == GRIDLINK__V1__SURVEY_KIND__SURVEY_SCALE || q->kind == GRIDLINK__V1__SURVEY_KIND__SURVEY_NUMBER))
            printf("    平均 %.2f (最小 %g, 最大 %g)\n", q->sum / (double)q->answered, q->min, q->max);
    }
    for (size_t i = 0; i < s->n_tasks; i++)
        printf("  任务 %s\n", s->tasks[i]);
}

static int read_definition(const char *path, gl_survey **out)
{
    json_error_t e;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        return cli_fail("survey publish", "%s: %s (line %d)", path, e.text, e.line);
    char why[512];
    int rc = gl_survey_from_json(j, out, why, sizeof why);
    json_decref(j);
    return rc ? cli_fail("survey publish", "%s: %s", path, why) : 0;
}

int gl_cmd_survey(int argc, char **argv)
{
    static const struct option lo[] = {{"home", required_argument, 0, 'H'},
                                       {"node", required_argument, 0, 'n'},
                                       {"file", required_argument, 0, 'f'},
                                       {"survey", required_argument, 0, 's'},
                                       {"count", required_argument, 0, 'k'},
                                       {"question", required_argument, 0, 'q'},
                                       {"option", required_argument, 0, 'O'},
                                       {"to", required_argument, 0, 'o'},
                                       {"category", required_argument, 0, 'c'},
                                       {"text", required_argument, 0, 't'},
                                       {"json", no_argument, 0, 'j'},
                                       {"timeout", required_argument, 0, 'T'},
                                       {0, 0, 0, 0}};
    static const struct {
        const char *name, *op, *allowed;
    } verbs[] = {
        {"publish", "survey-publish", "HnfjT"},
        {"list", "surveys", "HnjT"},
        {"show", "survey", "HnsjT"},
        {"close", "survey-close", "HnsjT"},
        {"tickets", "survey-tickets", "HnskjT"},
        {"task", "survey-task", "HnsqOoctjT"},
    };
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage("survey", "say what to do: publish, list, show, close, tickets or task");
    size_t v = 0;
    while (v < sizeof verbs / sizeof verbs[0] && strcmp(verbs[v].name, argv[1]) != 0)
        v++;
    if (v == sizeof verbs / sizeof verbs[0])
        return cli_usage("survey", "unknown subcommand '%s' (publish, list, show, close, tickets, task)", argv[1]);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "survey %s", verbs[v].name);
    survey_opts o = {0};
    o.c.timeout_ms = 5000;
    cli_opts_reset();
    int c, rc;
    long long ms;
    while ((c = cli_next_opt(cmd, argc - 1, argv + 1, lo, verbs[v].allowed)) != -1) {
        switch (c) {
        case 'H': o.c.home = optarg; break;
        case 'n': o.c.node = optarg; break;
        case 'f': o.file = optarg; break;
        case 's': o.survey = optarg; break;
        case 'q': o.question = optarg; break;
        case 'o': o.c.to = optarg; break;
        case 'c': o.category = optarg; break;
        case 't': o.text = optarg; break;
        case 'j': o.c.json = true; break;
        case 'k':
            if ((rc = cli_int(cmd, "--count", optarg, 1, GL_SURVEY_MAX_TICKETS, &o.count)) != 0)
                return rc;
            break;
        case 'O':
            if ((rc = cli_int(cmd, "--option", optarg, 1, GL_SURVEY_MAX_OPTIONS, &o.option)) != 0)
                return rc;
            break;
        case 'T':
            if ((rc = cli_int(cmd, "--timeout", optarg, 1, 600000, &ms)) != 0)
                return rc;
            o.c.timeout_ms = (int)ms;
            break;
        default: return CLI_USAGE;
        }
    }
    if (optind < argc - 1)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    o.c.home = cli_home(o.c.home);
    if (!o.c.node || !gl_node_id_valid(o.c.node))
        return cli_usage(cmd, "--node NODE_ID is required");
    bool needs_id = strchr(verbs[v].allowed, 's') != NULL;
    if (needs_id && (!o.survey || !gl_survey_id_valid(o.survey, NULL)))
        return cli_usage(cmd, "--survey ID is required (UNIT-sN, as list prints it)");
    if (v == 0 && !o.file)
        return cli_usage(cmd, "--file F.json is required");
    if (v == 4 && !o.count)
        return cli_usage(cmd, "--count K is required");
    if (v == 5 && (!o.question || !o.c.to || !o.category))
        return cli_usage(cmd, "--question, --to and --category are required");
    Gridlink__V1__CtlRequest req = GRIDLINK__V1__CTL_REQUEST__INIT;
    req.op = (char *)verbs[v].op;
    req.survey_id = (char *)(o.survey ? o.survey : "");
    req.count = (uint32_t)o.count;
    req.question = (char *)(o.question ? o.question : "");
    req.option = (int32_t)o.option;
    req.to = (char *)(o.c.to ? o.c.to : "");
    req.category = (char *)(o.category ? o.category : "");
    req.text = (char *)(o.text ? o.text : "");
    gl_survey *def = NULL;
    if (v == 0 && read_definition(o.file, &def) != 0)
        return 1;
    req.survey = def;
    Gridlink__V1__CtlReply *rep;
    rc = cli_case_call(cmd, &o.c, &req, &rep);
    if (def)
        gridlink__v1__survey__free_unpacked(def, NULL);
    if (rc != 0)
        return 1;
    gl_topology_t *t = NULL;
    if (v == 5) {
        if (o.c.json && rep->case_)
            cli_print_json(cli_case_json(rep->case_, NULL, 0, cli_now_ms()));
        else
            printf("%s\n", rep->case_id);
    } else if (v == 4 && !o.c.json) {
        for (size_t i = 0; i < rep->n_codes; i++)
            printf("%s\n", rep->codes[i]);
    } else if (v == 4) {
        json_t *codes = json_array();
        for (size_t i = 0; i < rep->n_codes; i++)
            json_array_append_new(codes, json_string(rep->codes[i]));
        cli_print_json(json_pack("{s:s, s:o}", "survey", o.survey, "codes", codes));
    } else if (o.c.json && v == 1) {
        json_t *arr = json_array();
        for (size_t i = 0; i < rep->n_surveys; i++)
            json_array_append_new(
                arr, gl_survey_json(rep->surveys[i], unit_name(o.c.home, rep->surveys[i]->unit, &t), NULL, 0, true));
        cli_print_json(json_pack("{s:o}", "surveys", arr));
    } else if (o.c.json && rep->n_surveys) {
        cli_print_json(gl_survey_json(rep->surveys[0], unit_name(o.c.home, rep->surveys[0]->unit, &t), rep->answers,
                                      rep->n_answers, true));
    } else if (v == 0 && rep->n_surveys) {
        printf("%s\n", rep->surveys[0]->id);
    } else {
        for (size_t i = 0; i < rep->n_surveys; i++)
            print_survey(rep->surveys[i], unit_name(o.c.home, rep->surveys[i]->unit, &t), v != 1);
    }
    if (t)
        gl_topology_free(&t);
    gridlink__v1__ctl_reply__free_unpacked(rep, NULL);
    return 0;
}
