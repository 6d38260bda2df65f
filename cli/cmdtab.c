/* cmdtab.c: the `gridlink` command table (see cmdtab.h): one entry per
 * command, its entry point and all of its help, and the printing of that
 * help. A new command is one more entry here. Static data only; nothing
 * is allocated. */
#include "cmdtab.h"

#include <string.h>

#include "cli.h"
#include "commands.h"

#define OPT_HOME                                                                                                       \
    {                                                                                                                  \
        "--home", "DIR", "the home directory (default $GRIDLINK_HOME, else ./gridlink-home)"                           \
    }
#define OPT_JSON                                                                                                       \
    {                                                                                                                  \
        "--json", NULL, "print JSON instead of readable text"                                                          \
    }
#define OPT_TIMEOUT                                                                                                    \
    {                                                                                                                  \
        "--timeout", "MS", "how long to wait for the node's answer (1..600000, default 5000)"                          \
    }
#define OPT_NODE(what)                                                                                                 \
    {                                                                                                                  \
        "--node", "NODE_ID", what                                                                                      \
    }

static const cli_command commands[] = {
    {
        .name = "up",
        .fn = gl_cmd_up,
        .synopsis = {"[--topology FILE] [--home DIR] [--port-base N] [--group auto|node|community|township] "
                     "[--demo | --no-demo] [--quiet]"},
        .summary = "start the broker and every node, restart what dies, stop all on Ctrl-C",
        .about = "Runs a whole district on this machine, in the foreground: the broker, every node and a\n"
                 "live `gridlink watch` on stdout. Nodes share processes as --group says (auto: one per node\n"
                 "up to 40 nodes, else one per township subtree). Creates the keys and HOME/topology.json\n"
                 "when missing, restarts any process that dies (1 s backoff doubling to 30 s) and stops them\n"
                 "all on Ctrl-C. With the built-in demo topology it also runs simulated staff traffic\n"
                 "(`gridlink demo`) unless --no-demo is given; --demo adds that traffic to any topology.\n",
        .opts = {{"--topology", "FILE", "the topology to run (default: the built-in demo district)"},
                 OPT_HOME,
                 {"--port-base", "N", "first TCP port of the endpoints the topology derives (1024..65000)"},
                 {"--group", "MODE", "one process per node, community or township; auto (default) picks"},
                 {"--demo", NULL, "run simulated staff traffic (the default with the built-in demo topology)"},
                 {"--no-demo", NULL, "run no simulated traffic, even with the built-in demo topology"},
                 {"--quiet", NULL, "no live event stream on stdout"}},
        .example = "gridlink up --home ./gridlink-home\n"
                   "gridlink up --home ./gridlink-home --no-demo\n"
                   "gridlink up --topology deploy/topology/xinbei.json --home /srv/xinbei",
    },
    {
        .name = "submit",
        .fn = gl_cmd_submit,
        .synopsis = {"--node GRID_ID --category CAT --text TEXT [--priority P] [--kind K] [--note N] "
                     "[--address A] [--reporter R] [--json]"},
        .summary = "report a case at a grid; prints its ID",
        .about = "Reports a new case at a grid, as its staff would, and prints the new case ID (the grid's\n"
                 "ID and a counter, e.g. xinbei.sanjing.c01.g1-000001). The grid passes it to its community.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the grid where the case is reported (required)"),
                 {"--category", "CAT", "the case's category, e.g. urban/roads (required)"},
                 {"--text", "TEXT", "what happened (required)"},
                 {"--priority", "P", "normal (default), urgent or emergency"},
                 {"--kind", "K", "incident, request or task"},
                 {"--lat", "DEG", "where it is: latitude, WGS 84 (with --lon)"},
                 {"--lon", "DEG", "longitude, WGS 84 (with --lat)"},
                 {"--photo", "SHA256", "a photo stored at the node (gridlink attach); repeatable"},
                 {"--note", "N", "a note on the report"},
                 {"--address", "A", "where it happened"},
                 {"--reporter", "R", "who reported it"},
                 OPT_TIMEOUT,
                 {"--json", NULL, "print the new case as JSON instead of its ID"}},
        .example = "gridlink submit --node xinbei.sanjing.c01.g1 --category urban/roads --text \"路面塌陷\" "
                   "--priority urgent",
    },
    {
        .name = "show",
        .fn = gl_cmd_show,
        .synopsis = {"--node NODE_ID CASE_ID [--json]"},
        .summary = "one case with its history",
        .about = "Prints one case as the node has it: kind, category and state (with their Chinese names),\n"
                 "holder and originator (with their names), running deadlines, counters and every step of its\n"
                 "history, times in the local time zone (TZ); for a bulk task, each part: its holder, whether\n"
                 "it was signed for, finished, or is late. --json gives every field, times in ISO-8601 UTC,\n"
                 "`parts`, and the display names beside the IDs (holder_name, category_name, ...).\n",
        .opts = {OPT_HOME, OPT_NODE("the node to ask (required)"), OPT_TIMEOUT, OPT_JSON},
        .example = "gridlink show --node xinbei.sanjing.c01 xinbei.sanjing.c01.g1-000001",
    },
    {
        .name = "list",
        .fn = gl_cmd_list,
        .synopsis = {"--node NODE_ID [--state S] [--kind incident|request|task|whistle] [--category C] [--overdue] "
                     "[--due-soon] [--unplaced] [--holding] [--holder NODE] [--search TEXT] [--limit N [--after ID]] "
                     "[--json]"},
        .summary = "the cases a node holds or has held, with filters",
        .about = "Prints the cases the node holds or has held, one a line, in columns: ID, kind, state with\n"
                 "its Chinese label, holder and category with their names, OVERDUE when a deadline passed or\n"
                 "即将超时 when one is near, and the text. Every filter given must match. --json keeps IDs\n"
                 "and adds holder_name, category_name.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the node to ask (required)"),
                 {"--state", "S", "only cases in this state (reported, assigned, accepted, in_progress, ...)"},
                 {"--kind", "K", "only incidents, requests, tasks or whistles"},
                 {"--category", "C", "only this category and its subcategories (urban takes urban/roads)"},
                 {"--overdue", NULL, "only open cases past a deadline, or marked overdue"},
                 {"--due-soon", NULL, "only cases held here whose deadline is near (即将超时: warn_before_s)"},
                 {"--unplaced", NULL, "the routing queue (待分拨): requests here that nothing placed"},
                 {"--holder", "NODE", "only the cases NODE holds"},
                 {"--search", "TEXT", "only cases whose text contains TEXT"},
                 {"--limit", "N", "one page of at most N cases (1..1000); stderr says where the next starts"},
                 {"--after", "ID", "with --limit: the page after case ID (ID order)"},
                 {"--holding", NULL, "only the cases the node holds now"},
                 OPT_TIMEOUT,
                 OPT_JSON},
        .example = "gridlink list --node xinbei.sanjing.c01 --holding --state assigned\n"
                   "gridlink list --node xinbei --kind request --overdue --json",
    },
    {
        .name = "act",
        .fn = gl_cmd_act,
        .synopsis = {"--node NODE_ID CASE_ID ACTION [--note TEXT] [--reason CODE] [--by DUR] [--into CASE_ID] "
                     "[--to NODE] [--json]"},
        .summary = "work a case: accept, start, resolve, verify, rework, return, extend, assign, ...",
        .about = "Applies one action to a case. ACTION is accept, start, resolve (propose closure), verify or\n"
                 "rework (the originator's check; close and reopen are their older names), return (to whoever\n"
                 "handed it over, with --reason), extend (--by), approve or refuse (the extension, by the\n"
                 "assigner), suspend, resume, urge (any tier above the holder), escalate, assign (--to a node\n"
                 "below), merge (--into another case) or publish-photo (--note SHA256: a photo of the case the\n"
                 "public feed may show). Each is checked at NODE: who may take it and from\n"
                 "which state. When NODE does not hold the case, the action is sent on, hop by hop, to the\n"
                 "holder, which applies or refuses it; the output says so, and the result shows in the case.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the node where the action is taken (required)"),
                 {"--photo", "SHA256", "a photo stored at the node (gridlink attach); repeatable"},
                 {"--note", "TEXT", "a note recorded with the step"},
                 {"--reason", "CODE", "return: not-ours, wrong-location, info-missing, duplicate or other"},
                 {"--by", "DUR",
                  "extend: the time asked for (90s, 30m, 2h, 3d or seconds; 4wh working hours, 2wd working days)"},
                 {"--into", "CASE_ID", "merge: the open case this one duplicates"},
                 {"--to", "NODE", "assign: the node below that gets the case"},
                 OPT_TIMEOUT,
                 {"--json", NULL, "print the case after the step as JSON"}},
        .example = "gridlink act --node xinbei.sanjing.c01 xinbei.sanjing.c01.g1-000001 accept --note \"已签收\"\n"
                   "gridlink act --node xinbei.sanjing.c01 xinbei-000007 return --reason wrong-location\n"
                   "gridlink act --node xinbei xinbei-000007 assign --to xinbei.sanjing.c02\n"
                   "gridlink act --node xinbei.sanjing.c02 xinbei-000007 extend --by 2h\n"
                   "gridlink act --node xinbei xinbei-000007 approve",
    },
    {
        .name = "dispatch",
        .fn = gl_cmd_dispatch,
        .synopsis = {"--node FROM (--to NODE | --under PREFIX --tier community|grid|department) --category CAT "
                     "--text TEXT "
                     "[--sign-within DUR] [--due DUR] [--priority P] [--note N] [--json]"},
        .summary = "give a task to one node or to every node of a tier under a prefix",
        .about = "Dispatches a task (派单) from the district or a township down the tree: to one node (--to),\n"
                 "or to every node of --tier under --under, one task per recipient grouped under a parent\n"
                 "task the dispatcher keeps (`show PARENT` lists its parts: who signed, finished, is late).\n"
                 "Prints the recipients' task IDs, one a line; the parent task's ID goes to stderr as one\n"
                 "line. Communities may be given only the categories the topology's community_tasks lists\n"
                 "(社区工作准入); any other is refused whole and counted in the dispatcher's health.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the dispatching district or township (required)"),
                 {"--to", "NODE", "the one recipient, a node below FROM"},
                 {"--under", "PREFIX", "with --tier: every node of the tier under PREFIX"},
                 {"--tier", "TIER", "with --under: community, grid or department (township, from the district)"},
                 {"--category", "CAT", "the task's category, e.g. services/elderly (required)"},
                 {"--text", "TEXT", "what is to be done (required)"},
                 {"--sign-within", "DUR", "time the recipient has to sign for it (default: the SLA's)"},
                 {"--due", "DUR", "time the recipient has to finish it (default: the SLA's)"},
                 {"--priority", "P", "normal (default), urgent or emergency"},
                 {"--photo", "SHA256", "a photo stored at the node (gridlink attach); repeatable"},
                 {"--note", "N", "a note on the dispatch"},
                 OPT_TIMEOUT,
                 {"--json", NULL, "print the task IDs and the parent task as JSON"}},
        .example = "gridlink dispatch --node xinbei.sanjing --under xinbei.sanjing --tier community "
                   "--category services/elderly --text \"独居老人走访\" --sign-within 1d --due 3d\n"
                   "gridlink dispatch --node xinbei --to xinbei.sanjing.c01.g1 --category urban/roads --text "
                   "\"井盖复查\"",
    },
    {
        .name = "whistle",
        .fn = gl_cmd_whistle,
        .synopsis = {"--node TOWNSHIP --to DEPT[,DEPT...] --category CAT --text TEXT --report-within DUR "
                     "[--due DUR] [--priority P] [--note N] [--json]"},
        .summary = "吹哨: call departments to a problem at once, each to report in (报到) in time",
        .about = "A township (or the district) blows the whistle (吹哨) for departments: its own, or the\n"
                 "district's. Each department called gets its part of the whistle as a task, to report in\n"
                 "(报到: `act PART accept` at the department) within --report-within, then to work and\n"
                 "resolve it; the caller verifies each part and rates it (`rate PART`). A department that\n"
                 "does not report in on time climbs to its superior, counted as a missed sign-for. The\n"
                 "whistle closes when every part is closed. Prints the whistle's case ID; the parts' IDs go\n"
                 "to stderr, one a line (`show WHISTLE` lists them).\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the calling township or district (required)"),
                 {"--to", "DEPT,...", "the departments called, comma-separated node IDs (required)"},
                 {"--category", "CAT", "the problem's category, e.g. urban/building (required)"},
                 {"--text", "TEXT", "what the departments are called for (required)"},
                 {"--report-within", "DUR", "time each department has to report in, e.g. 30m (required)"},
                 {"--due", "DUR", "time each has to finish its part (default: the SLA's)"},
                 {"--priority", "P", "normal (default), urgent or emergency"},
                 {"--photo", "SHA256", "a photo stored at the node (gridlink attach); repeatable"},
                 {"--note", "N", "a note on the whistle"},
                 OPT_TIMEOUT,
                 {"--json", NULL, "print the whistle, its parts and the whistle case as JSON"}},
        .example = "gridlink whistle --node xinbei.sanjing --to xinbei.urban,xinbei.sanjing.market "
                   "--category urban/building --text \"违建联合执法\" --report-within 30m",
    },
    {
        .name = "request",
        .fn = gl_cmd_request,
        .synopsis = {"--node NODE --category CAT --text TEXT [--lat Y --lon X] [--address A] [--community ID] "
                     "[--reporter R] [--note N] [--json]"},
        .summary = "take in a resident's request; it goes where it belongs; prints its ID",
        .about = "Takes in a resident's request (诉求) at the district's hotline, a township or a community's\n"
                 "own intake and prints the new case ID. NODE is its originator: it verifies the result and\n"
                 "rates it. The request goes to the community of the grid whose area holds --lat/--lon (the\n"
                 "grid is recorded), else to the community named by --community, else to the community whose\n"
                 "address keys the --address contains; that community signs for it. One that none of these\n"
                 "places waits in NODE's routing queue (待分拨: `list --unplaced`) until a person assigns it\n"
                 "(`act ID assign --to COMMUNITY`); at a community it stays there.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the intake node: the district, a township or a community (required)"),
                 {"--category", "CAT", "the request's category, e.g. urban/lighting (required)"},
                 {"--text", "TEXT", "what the resident asks (required)"},
                 {"--lat", "Y", "where, latitude in degrees (WGS 84), with --lon"},
                 {"--lon", "X", "where, longitude in degrees (WGS 84), with --lat"},
                 {"--community", "ID", "the community the request is for, when no location places it"},
                 {"--address", "A", "where, as an address (matched against the communities' address keys)"},
                 {"--reporter", "R", "who asks (name, phone)"},
                 {"--priority", "P", "normal (default), urgent or emergency"},
                 {"--photo", "SHA256", "a photo stored at the node (gridlink attach); repeatable"},
                 {"--note", "N", "a note on the intake"},
                 OPT_TIMEOUT,
                 {"--json", NULL, "print the new case as JSON instead of its ID"}},
        .example = "gridlink request --node xinbei --lat 31.87 --lon 119.965 --category urban/lighting "
                   "--text \"楼下路灯不亮\" --reporter \"王女士 139...\"\n"
                   "gridlink request --node xinbei --community xinbei.sanjing.c01 --category urban/lighting "
                   "--text \"楼下路灯不亮\"",
    },
    {
        .name = "rate",
        .fn = gl_cmd_rate,
        .synopsis = {"--node NODE CASE_ID --resolved yes|no --satisfied yes|no [--note N] [--json]"},
        .summary = "the originator's return visit: resolved? satisfied?",
        .about = "Records the return visit (回访) on a closed case, at its originator: was it resolved, is the\n"
                 "resident satisfied. Resolved no reopens the case at its holder (重办) with a fresh\n"
                 "deadline. Asked at a node that does not hold the case, the rating is sent on to the holder.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the originator (required)"),
                 {"--resolved", "yes|no", "was the matter resolved (required)"},
                 {"--satisfied", "yes|no", "is the resident satisfied (required)"},
                 {"--note", "N", "what the resident said"},
                 OPT_TIMEOUT,
                 {"--json", NULL, "print the case as JSON"}},
        .example = "gridlink rate --node xinbei xinbei-000007 --resolved yes --satisfied yes",
    },
    {
        .name = "health",
        .fn = gl_cmd_health,
        .synopsis = {"--node NODE_ID [--timeout MS]", "[--timeout MS] [--json]"},
        .summary = "a node's links, log, outbox and refusals; or every node of the home, up or down",
        .about = "With --node, prints the node's links, log position, outbox, dead letters and the counts of\n"
                 "what it refused since it started (messages, spoofed senders, keys, handshakes, frames,\n"
                 "actions), as JSON. Without --node, asks every node of the home (those whose secret key is in\n"
                 "HOME/keys: all of them, or a machine's own in a bundle of `gridlink provision`) at once on\n"
                 "its control socket (128 requests in flight; a node is down when its process says nothing\n"
                 "for --timeout, default 1000 ms, or is gone) and prints one line a node: its name, up or down,\n"
                 "its parent link, outbox, dead letters and cases, then a total line; --json gives an array of\n"
                 "the nodes' health with `up` and `node_name`. Exits 1 when a node is down.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the node to ask (default: every node)"),
                 {"--timeout", "MS", "how long a node has to answer (1..600000; default 5000 with --node, else 1000)"},
                 {"--json", NULL, "print the whole home as a JSON array (one node's health is always JSON)"}},
        .example = "gridlink health --node xinbei.sanjing.c01\n"
                   "gridlink health --home /srv/xinbei",
    },
    {
        .name = "deadletters",
        .fn = gl_cmd_deadletters,
        .synopsis = {"--node NODE_ID [--json] [--timeout MS]", "--node NODE_ID --peer PEER (--retry SEQ | --drop SEQ)"},
        .summary = "messages the node's neighbours refused for good: list, send again, drop",
        .about = "Lists the messages a node's neighbours refused for good (dead letters), or deals with one:\n"
                 "--retry sends it again under a new number, --drop discards it.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the node that keeps the dead letters (required)"),
                 {"--peer", "PEER", "the neighbour the message was for (with --retry or --drop)"},
                 {"--retry", "SEQ", "send dead letter SEQ again"},
                 {"--drop", "SEQ", "discard dead letter SEQ"},
                 OPT_JSON,
                 {"--timeout", "MS", "how long to wait for the node's answer (1..3600000, default 5000)"}},
        .example = "gridlink deadletters --node xinbei.sanjing.c01.g1\n"
                   "gridlink deadletters --node xinbei.sanjing.c01.g1 --peer xinbei.sanjing.c01 --retry 17",
    },
    {
        .name = "watch",
        .fn = gl_cmd_watch,
        .synopsis = {"[--key NAME] [--prefix NODE_PATH] [--kind KIND] [--json] [--count N] [--seconds S] "
                     "[--snapshot] [--marks]"},
        .summary = "the live change feed, as much of it as key NAME (default operator) may see",
        .about = "Prints the district's events live, each node's in order and exactly once, gaps repaired\n"
                 "from the nodes' logs. It sees what the topology grants its key: a node's key its subtree,\n"
                 "a monitor's key its scope, the operator's key everything. A readable line has the local\n"
                 "time of day (TZ), the kind, the node, the case's state and holder, its category, names beside\n"
                 "the IDs; --json keeps IDs and the UTC `time` and adds node_name, holder_name, category_name.\n",
        .opts = {OPT_HOME,
                 {"--key", "NAME", "watch with HOME/keys/NAME (default operator)"},
                 {"--prefix", "NODE_PATH", "only events of nodes in this subtree"},
                 {"--kind", "KIND", "only events of this kind (reported, escalated, overdue, ...)"},
                 {"--json", NULL, "one JSON object a line"},
                 {"--count", "N", "stop after N events"},
                 {"--seconds", "S", "stop after S seconds"},
                 {"--snapshot", NULL, "print the broker's view of the cases first"},
                 {"--marks", NULL, "print the broker's last sequence of every node and exit"}},
        .example = "gridlink watch --prefix xinbei.sanjing --kind escalated --json",
    },
    {
        .name = "keygen",
        .fn = gl_cmd_keygen,
        .synopsis = {"[--topology FILE] [--port-base N]"},
        .summary = "create keys and HOME/topology.json without starting anything",
        .about = "Creates the keypairs the topology needs under HOME/keys (those missing only) and writes\n"
                 "HOME/topology.json with keys and endpoints filled in.\n",
        .opts = {OPT_HOME,
                 {"--topology", "FILE", "the topology (default HOME/topology.json, else the built-in demo)"},
                 {"--port-base", "N", "first TCP port of the endpoints the topology derives (1024..65000)"}},
        .example = "gridlink keygen --home /srv/xinbei --topology deploy/topology/xinbei.json",
    },
    {
        .name = "provision",
        .fn = gl_cmd_provision,
        .synopsis =
            {"[--topology FILE] [--group node|community|township|auto] --host-of NODE_ID [--host-of NODE_ID ...] "
             "[--broker] --to DIR"},
        .summary = "the home of one machine of a district on many: its nodes' keys and the topology",
        .about = "Makes the bundle of one machine into the new or empty directory DIR: topology.json (every\n"
                 "node's public key and endpoint) and under keys/ the keypairs of the nodes that machine's\n"
                 "units run, and no others: the groups led by the --host-of nodes, as gridlink-node --group\n"
                 "forms them (each must lead its group), and the broker's with --broker. The keys come from\n"
                 "HOME, the provisioning home; with --topology the missing ones are made there first, as\n"
                 "keygen does. Copy DIR to the machine's /var/lib/gridlink; it prints the GRIDLINK_GROUP of\n"
                 "/etc/gridlink/gridlink.conf and the units to enable there.\n",
        .opts = {OPT_HOME,
                 {"--topology", "FILE", "the topology (default HOME/topology.json); keys made for it in HOME"},
                 {"--group", "MODE", "how the machine's units group nodes (default node), as GRIDLINK_GROUP"},
                 {"--host-of", "NODE_ID", "a node that leads a process of the machine (repeatable)"},
                 {"--broker", NULL, "the machine runs the broker: its keypair goes in too"},
                 {"--to", "DIR", "the bundle's directory, new or empty"}},
        .example = "gridlink provision --home /srv/keys --topology xinbei.json --group community \\\n"
                   "    --host-of xinbei.sanjing.c01 --host-of xinbei.sanjing.c02 --to /srv/bundles/host-c01",
    },
    {
        .name = "keys",
        .fn = gl_cmd_keys,
        .synopsis = {"rotate --node NODE_ID [--to DIR [--group node|community|township|auto] [--host-of NODE_ID ...] "
                     "[--broker]]"},
        .summary = "a new keypair for one node, its neighbours running on",
        .about = "rotate makes a new CurveZMQ keypair for NODE_ID in HOME/keys (the old one is gone) and writes\n"
                 "its public key into HOME/topology.json; run it in the provisioning home. With --to it then\n"
                 "makes the bundle of the node's machine into DIR as `gridlink provision` does (--host-of\n"
                 "defaults to NODE_ID). Then: copy the new topology.json to every machine and reload (SIGHUP,\n"
                 "systemctl reload) the broker and the processes of the node's parent and children: a parent\n"
                 "admits the new key and refuses the old one, a child connects again with it, the broker\n"
                 "takes it on the bus. Last, restart the node's own process with its new keypair. It prints\n"
                 "the new key and which processes to reload.\n",
        .opts = {OPT_HOME,
                 {"--node", "NODE_ID", "the node whose keypair is replaced"},
                 {"--to", "DIR", "make the bundle of the node's machine into the new or empty DIR"},
                 {"--group", "MODE", "with --to: GRIDLINK_GROUP of that machine (default node)"},
                 {"--host-of", "NODE_ID", "with --to: a unit of that machine (repeatable; default --node)"},
                 {"--broker", NULL, "with --to: the broker runs there too"}},
        .example = "gridlink keys rotate --home /srv/xinbei-keys --node xinbei.sanjing.c01 --group community \\\n"
                   "    --to /srv/bundles/sanjing-c01",
    },
    {
        .name = "user",
        .fn = gl_cmd_user,
        .synopsis = {"add --name NAME --role ROLE --scope NODE_ID [--display NAME] --password-stdin", "list [--json]",
                     "disable|enable --name NAME", "passwd --name NAME --password-stdin"},
        .summary = "the people who sign in: add an account, list them, disable, enable, change a password",
        .about = "Keeps the home's accounts in HOME/users, for the front doors people sign in at. An account\n"
                 "has a name (1..64 ASCII letters, digits, '.', '_' or '-'), a role, a scope (a node of the\n"
                 "topology: the account sees and works that node and everything under it), an optional\n"
                 "display name and a password of 8..1024 bytes, read from stdin (one line) and kept only as\n"
                 "an Argon2id hash. Roles: grid (网格员), community (社区工作人员), township (街道工作人员),\n"
                 "department (部门工作人员), monitor (区指挥中心: reads everything in its scope, writes\n"
                 "nothing) and admin (管理员). Disabling an account or changing its password ends its\n"
                 "sessions. list prints every account: its role, scope with the node's name, status and\n"
                 "creation time (local time; --json: ISO 8601 UTC).\n",
        .opts = {OPT_HOME,
                 {"--name", "NAME", "the account (required but for list)"},
                 {"--role", "ROLE", "add: grid, community, township, department, monitor or admin"},
                 {"--scope", "NODE_ID", "add: the node of the topology whose subtree the account works"},
                 {"--display", "NAME", "add: the person's name as shown (UTF-8, optional)"},
                 {"--password-stdin", NULL, "add, passwd: read the password from stdin, one line"},
                 {"--json", NULL, "list: print JSON instead of readable text"}},
        .example = "printf '%s\\n' \"$PASSWORD\" | gridlink user add --name wang.li --role grid "
                   "--scope xinbei.sanjing.c01.g1 --display 王丽 --password-stdin\n"
                   "gridlink user list --json\n"
                   "gridlink user disable --name wang.li",
    },
    {
        .name = "apikey",
        .fn = gl_cmd_apikey,
        .synopsis = {"add --name NAME", "list [--json]", "disable --name NAME"},
        .summary = "the API keys of Open311 clients: add one (printed once), list them, disable one",
        .about = "Keeps the keys that Open311 clients (an app, a hotline's system) send as api_key when they\n"
                 "post a resident's request to /open311/v2/requests. add prints a new key of 43 characters\n"
                 "once; only its hash is kept, in HOME/users. A key is good until it is disabled.\n",
        .opts = {OPT_HOME,
                 {"--name", "NAME", "the client (1..64 ASCII letters, digits, '.', '_' or '-')"},
                 {"--json", NULL, "list: print JSON instead of readable text"}},
        .example = "gridlink apikey add --name hotline-app\n"
                   "gridlink apikey list\n"
                   "gridlink apikey disable --name hotline-app",
    },
    {
        .name = "appraisal",
        .fn = gl_cmd_appraisal,
        .synopsis = {"tickets --count K --period YYYY-MM [--json]",
                     "table [--period YYYY-MM|YYYY-Qn|YYYY|YYYY-Www] [--tier township|community|department] [--json]"},
        .summary = "群众评议 at the district: appraisal tickets for a month, the league tables",
        .about =
            "tickets prints K new appraisal tickets (评议码) for the month, one a line, once: the district\n"
            "keeps only their hashes. A resident gives one with an appraisal on /public/appraise.html,\n"
            "as a request's follow-up code (回执码) may be given. table prints a tier's league table for\n"
            "a month, a quarter, a year or an ISO week (this month when no --period): per unit the appraisals, the\n"
            "satisfaction rate and the score of formula gl-appraisal-1, the rank of the units with at\n"
            "least GRIDLINK_APPRAISAL_MIN_SAMPLE appraisals (default 10), and the red and black lists.\n",
        .opts = {OPT_HOME,
                 {"--count", "K", "tickets: how many (1..1000)"},
                 {"--period", "PERIOD", "tickets: the month YYYY-MM; table: YYYY-MM, YYYY-Qn, YYYY or YYYY-Www"},
                 {"--tier", "TIER", "table: township (default), community or department"},
                 {"--json", NULL, "print JSON instead of readable text"}},
        .example = "gridlink appraisal tickets --count 200 --period 2026-12 > tickets.txt\n"
                   "gridlink appraisal table --period 2026-Q4 --tier community",
    },
    {
        .name = "attach",
        .fn = gl_cmd_attach,
        .synopsis = {"--node NODE_ID FILE [--json]"},
        .summary = "store a photo at a node; prints its SHA-256 for --photo",
        .about = "Stores the photo (JPEG, PNG, GIF or WebP, told by its first bytes) at the node, once under\n"
                 "its SHA-256, and prints that hash. Name it with --photo on submit, request, dispatch,\n"
                 "whistle or act (at the node holding the case); it travels with the case to every node\n"
                 "that holds or follows it. The control socket takes photos of up to about 1 MiB; the HTTP\n"
                 "API (POST /api/v1/nodes/NODE/attachments) takes up to 10 MiB.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the node to store it at (required)"),
                 {"--json", NULL, "print sha256, size and type"}},
        .example =
            "sha=$(gridlink attach --node xinbei.sanjing.c01.g1 pothole.jpg)\n"
            "gridlink submit --node xinbei.sanjing.c01.g1 --category urban/roads --text 路面塌陷 --photo \"$sha\"",
    },
    {
        .name = "attachment",
        .fn = gl_cmd_attachment,
        .synopsis = {"--node NODE_ID SHA256 OUT_FILE"},
        .summary = "write a photo stored at a node to a file",
        .about = "Reads the photo stored at the node under SHA256 and writes it to OUT_FILE.\n",
        .opts = {OPT_HOME, OPT_NODE("the node to read it from (required)")},
        .example = "gridlink attachment --node xinbei.sanjing 3f2a...e9 photo.jpg",
    },
    {
        .name = "survey",
        .fn = gl_cmd_survey,
        .synopsis = {"publish --node NODE_ID --file F.json", "list|show|close --node NODE_ID [--survey ID]",
                     "tickets --node NODE_ID --survey ID --count K",
                     "task --node NODE_ID --survey ID --question Q [--option K] --to NODE_ID --category CODE"},
        .summary = "needs surveys (需求调查): publish one, list, show results, close, issue survey codes, make a task",
        .about =
            "A unit (district, township, community) publishes a survey from a JSON definition\n"
            "{\"title\", \"intro\", \"closes\" (ISO 8601, optional), \"questions\": [{\"id\", \"kind\", \"text\",\n"
            "\"required\", \"options\"}]} with kinds single (单选), multi (多选), scale (1-5 评分), number\n"
            "and text. Residents answer it on /public/survey.html?node=NODE_ID, once per code: a survey\n"
            "code (调查码) that tickets prints (K fresh ones, each shown only here; the node keeps their\n"
            "hashes) or the follow-up code (回执码) of a request they filed. list shows the node's surveys\n"
            "and those of its subtree (their tallies climb the tree); show the results per question;\n"
            "task dispatches a need (a question, optionally one option) as a task to a node below,\n"
            "its text naming the survey, the question and the count, and records it on the survey.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the unit (required)"),
                 {"--file", "F.json", "publish: the definition"},
                 {"--survey", "ID", "the survey (UNIT-sN, as list and publish print it)"},
                 {"--count", "K", "tickets: how many codes (1..1000)"},
                 {"--question", "Q", "task: the question's id"},
                 {"--option", "K", "task: the option's number (1..n)"},
                 {"--to", "NODE_ID", "task: the node below it goes to"},
                 {"--category", "CODE", "task: the task's category"},
                 {"--text", "TEXT", "task: a title put before the text"},
                 OPT_JSON,
                 OPT_TIMEOUT},
        .example = "id=$(gridlink survey publish --node xinbei.sanjing.c01 --file needs.json)\n"
                   "gridlink survey tickets --node xinbei.sanjing.c01 --survey \"$id\" --count 50\n"
                   "gridlink survey show --node xinbei.sanjing.c01 --survey \"$id\"",
    },
    {
        .name = "facts",
        .fn = gl_cmd_facts,
        .synopsis = {"set --node NODE_ID NAME VALUE [--as-of YYYY-MM-DD] [--note TEXT]", "show --node NODE_ID [NAME]",
                     "names"},
        .summary = "facts a unit reports for the plan's indicators (规划指标): set one, show them with their history",
        .about = "A community or village reports its service room area, social organisations, social workers\n"
                 "under 45 and how many hold a certificate, and whether it is a high-standard harmonious\n"
                 "community or has democratic consultation; a township whether its service center is built and\n"
                 "grid management in place; the district the urban average wage (names lists them all). set\n"
                 "records a new value, holding from --as-of (default today); every change is kept in the\n"
                 "unit's log with who made it and when, and reaches the broker, which computes the plan's\n"
                 "indicators (GET /api/v1/indicators). A flag is 1 or 0 (yes or no). show prints each fact's\n"
                 "value now and every change.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the unit (required for set and show)"),
                 {"--as-of", "YYYY-MM-DD", "set: the date the value holds from (local; default today)"},
                 {"--note", "TEXT", "set: a remark kept with the change"},
                 OPT_JSON,
                 OPT_TIMEOUT},
        .example = "gridlink facts set --node xinbei.sanjing.c01 service_room_m2 820 --as-of 2017-06-30\n"
                   "gridlink facts set --node xinbei.sanjing grid_management yes\n"
                   "gridlink facts show --node xinbei.sanjing.c01",
    },
    {
        .name = "backup",
        .fn = gl_cmd_backup,
        .synopsis = {"--node NODE_ID --to DIR"},
        .summary = "a hot, consistent copy of one node's store, taken while it runs",
        .about = "Copies the node's LMDB store into DIR (an existing directory without a store in it) inside\n"
                 "one read transaction: one committed state, compacted (free pages left out). The node goes\n"
                 "on working meanwhile. DIR then holds data.mdb, which `gridlink restore` puts back.\n",
        .opts = {OPT_HOME,
                 {"--node", "NODE_ID", "the node whose store is copied"},
                 {"--to", "DIR", "an existing directory without a store in it"}},
        .example =
            "mkdir -p /srv/backup/2026-12-02 && gridlink backup --node xinbei.sanjing --to /srv/backup/2026-12-02",
    },
    {
        .name = "restore",
        .fn = gl_cmd_restore,
        .synopsis = {"--node NODE_ID --from DIR"},
        .summary = "put a backup back in place of a stopped node's store",
        .about = "Checks that DIR holds a store of this node and schema, takes the node's store lock (so the\n"
                 "node must be stopped), puts the copy in place and gives it a new identity with its links'\n"
                 "numbering started over. When the node starts, each neighbour sees a store it has not seen\n"
                 "and renumbers what it still has to send after what the copy applied: nothing is taken\n"
                 "twice. What the node received after the backup is gone from it; its neighbours keep their\n"
                 "own copies of those cases, and case numbering continues after the highest its parent knows.\n",
        .opts = {OPT_HOME,
                 {"--node", "NODE_ID", "the node whose store is replaced (stopped)"},
                 {"--from", "DIR", "a directory `gridlink backup` wrote"}},
        .example = "gridlink restore --node xinbei.sanjing --from /srv/backup/2026-12-02",
    },
    {
        .name = "replay",
        .fn = gl_cmd_replay,
        .synopsis = {"--topology NEW.json --from DATE --to DATE [--unit NODE_ID] [--json]"},
        .summary = "a recorded period counted again under other SLA rules or calendar: as it was, as it would be",
        .about = "Reads every node's log and cases under HOME (read-only: a running node goes on working, no\n"
                 "store is written), merges the logs by time and counts every holder's acceptance and\n"
                 "completion clocks again with the engine's own rule under NEW.json's SLA rules and calendar.\n"
                 "A clock whose due time stays the same keeps its recorded steps; one that moves loses its\n"
                 "recorded escalation or overdue mark and, when the holder had not acted by the new due time,\n"
                 "escalates (or is marked overdue) then. People's actions happen at their recorded times.\n"
                 "Prints the figures of the days --from .. --to (the district's local days) as recorded and\n"
                 "as replayed, side by side: the KPIs, the escalations, and the steps that changed.\n",
        .opts = {OPT_HOME,
                 {"--topology", "FILE", "the topology whose SLA rules and calendar the period is replayed under"},
                 {"--from", "DATE", "the first day of the period, YYYY-MM-DD (local)"},
                 {"--to", "DATE", "the last day of the period, YYYY-MM-DD (local)"},
                 {"--unit", "NODE_ID", "the unit whose figures are printed (default the district; --json: all)"},
                 OPT_JSON},
        .example = "jq '(.sla[] | select(.accept_wh) | .accept_wh) |= (. / 2 | ceil)' /srv/xinbei/topology.json "
                   ">half.json\n"
                   "gridlink replay --home /srv/xinbei --topology half.json --from 2026-12-01 --to 2026-12-01",
    },
    {
        .name = "archive",
        .fn = gl_cmd_archive,
        .synopsis = {"list --node NODE_ID [--json]", "cat --node NODE_ID [--month YYYY-MM]",
                     "show --node NODE_ID CASE_ID [--json]", "prune --node NODE_ID [--json]"},
        .summary = "a node's archive: log entries and closed cases past the retention (归档)",
        .about = "A node keeps its log and its closed cases for the topology's retain_days (default 400);\n"
                 "older ones go to HOME/archive/NODE/YYYY-MM.jsonl.gz (gzip, one JSON record a line, the\n"
                 "month in Beijing time) and leave the store. list: the months with their counts of log\n"
                 "entries and cases. cat: every record of a month (or of all), one JSON line each, each\n"
                 "log sequence and case once. show: an archived case as `gridlink show` prints it (show\n"
                 "itself falls back to the archive). prune: the node's process archives and prunes what\n"
                 "is past the retention now, instead of at its next pass. A torn tail (a crash while\n"
                 "writing) is read up to its last whole record and said on stderr.\n",
        .opts = {OPT_HOME,
                 OPT_NODE("the node whose archive it is (required)"),
                 {"--month", "YYYY-MM", "cat: only this month"},
                 OPT_JSON},
        .example = "gridlink archive list --node xinbei.sanjing.c01\n"
                   "gridlink archive cat --node xinbei.sanjing.c01 --month 2025-10 | jq -c 'select(.type==\"case\")'",
    },
    {
        .name = "topology",
        .fn = gl_cmd_topology,
        .synopsis = {"check FILE"},
        .summary = "validate a topology file",
        .about = "Loads and validates a topology file and prints its nodes per tier and its SLA rules.\n"
                 "It takes no options.\n",
        .opts = {{NULL, NULL, NULL}},
        .example = "gridlink topology check deploy/topology/xinbei.json",
    },
    {
        .name = "load",
        .fn = gl_cmd_load,
        .synopsis = {"--cases N --rate R [--prefix NODE_PATH] [--window W] [--timeout S] [--request-timeout MS] "
                     "[--census-pause MS]",
                     "--check-only FILE [--prefix NODE_PATH] [--timeout S] [--census-pause MS]"},
        .summary = "load generator with a loss/duplicate check, or the check alone",
        .about = "Submits N cases at R per second round-robin over the grids under --prefix, recording every\n"
                 "acknowledged case ID in HOME/load/acked-STAMP.txt, then checks each of them: present, held\n"
                 "by exactly one node, never twice in a log. Prints \"N acked, N found, N lost, N duplicated\";\n"
                 "exits 1 on any loss, duplicate or inconsistency.\n",
        .opts = {OPT_HOME,
                 {"--cases", "N", "cases to submit (1..100000000)"},
                 {"--rate", "R", "cases per second over all grids (more than 0, at most 1000000)"},
                 {"--prefix", "NODE_PATH", "the subtree whose grids submit and that is checked (default all)"},
                 {"--window", "W", "submits in flight per grid (1..1024, default 8)"},
                 {"--timeout", "S", "give up after S s without an ack; the check's time limit (default 60)"},
                 {"--request-timeout", "MS",
                  "a submit unanswered this long is tried again (10..600000, "
                  "default 3000)"},
                 {"--census-pause", "MS", "pause between two censuses of the check (0..60000, default 200)"},
                 {"--check-only", "FILE", "submit nothing; check the case IDs in FILE (an earlier acked file)"}},
        .example = "gridlink load --cases 10000 --rate 500 --prefix xinbei.sanjing\n"
                   "gridlink load --check-only gridlink-home/load/acked-20261126-125338.297.txt",
    },
    {
        .name = "bench",
        .fn = gl_cmd_bench,
        .synopsis =
            {"[intake|escalation|fanout|recovery|district|http ...] [--runs N] [--quick] [--district-seconds S] "
             "[--out DIR] [--keep]"},
        .summary = "the benchmark (intake, escalation, fanout, recovery, district, http)",
        .about = "Runs every scenario (or the named ones) N times in a temporary directory and prints the\n"
                 "median, min and max; writes DIR/latest.md and DIR/latest.png. bench/setup.sh installs the\n"
                 "peers it compares against (NATS, Redis) and wrk, the http scenario's load generator.\n",
        .opts = {{"--runs", "N", "runs of each scenario (default 3)"},
                 {"--quick", NULL, "tiny counts and no targets, one run unless --runs says otherwise"},
                 {"--district-seconds", "S", "length of the district scenario (default 300, 5 with --quick)"},
                 {"--out", "DIR", "where the results go (default bench/results)"},
                 {"--keep", NULL, "keep the temporary directory"}},
        .example = "gridlink bench intake escalation --runs 1",
    },
    {
        .name = "demo",
        .fn = gl_cmd_demo,
        .synopsis = {"[--interval-ms N]"},
        .summary = "simulated staff traffic for a demo",
        .about = "Every interval, submits a case at a random grid of HOME's topology, with a sample text of\n"
                 "one of ten categories; every fifth round a resident's hotline request at the district from\n"
                 "the middle of a grid's area (placed by location), every tenth a township's whistle to its\n"
                 "departments and one of the district's. After half of the rounds the grid's community, or\n"
                 "now and then a department, works one case it holds (signs for or reports in, resolves);\n"
                 "the node that reported or gave the case verifies it. Runs until interrupted. `gridlink up`\n"
                 "runs it with the built-in demo topology.\n",
        .opts = {OPT_HOME, {"--interval-ms", "N", "time between two reports (1..3600000, default 3000)"}},
        .example = "gridlink demo --home ./gridlink-home --interval-ms 1000",
    },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])
#define WRAP_AT    100

const cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Prints text after col characters already on the line, breaking at
 * spaces outside brackets so that no line passes WRAP_AT; continuation
 * lines start at indent. */
static void wrapped(FILE *f, const char *text, size_t col, size_t indent)
{
    const char *p = text;
    while (*p) {
        /* The next word: up to a space at bracket depth 0. */
        const char *e = p;
        int depth = 0;
        while (*e && (depth > 0 || *e != ' ')) {
            depth += (*e == '[' || *e == '(') - (*e == ']' || *e == ')');
            e++;
        }
        size_t len = (size_t)(e - p);
        if (col > indent && col + 1 + len > WRAP_AT) {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)len, p);
        col += len;
        p = *e ? e + 1 : e;
    }
    fputc('\n', f);
}

void cli_help_list(FILE *f)
{
    fprintf(f, "usage: gridlink COMMAND [--home DIR] [options]\n\n"
               "HOME defaults to $GRIDLINK_HOME, else ./gridlink-home. The case commands also take\n"
               "--timeout MS (1..600000, default 5000). Exit status: 0 done, 1 failed, 2 bad usage.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const cli_command *c = &commands[i];
        for (size_t s = 0; s < CLI_MAX_SYNOPSES && c->synopsis[s]; s++) {
            int n = fprintf(f, "  %-11s ", c->name);
            wrapped(f, c->synopsis[s], n > 0 ? (size_t)n : 0, 16);
        }
        fprintf(f, "              %s\n", c->summary);
    }
    fprintf(f, "\n`gridlink COMMAND --help` explains a command, each of its options, with an example.\n");
}

void cli_help_command(FILE *f, const cli_command *c)
{
    for (size_t s = 0; s < CLI_MAX_SYNOPSES && c->synopsis[s]; s++) {
        int n = fprintf(f, "%s gridlink %s ", s == 0 ? "usage:" : "      ", c->name);
        wrapped(f, c->synopsis[s], n > 0 ? (size_t)n : 0, (size_t)(n > 0 ? n : 0));
    }
    fprintf(f, "\n%s", c->about);
    if (c->opts[0].flag) {
        fprintf(f, "\noptions:\n");
        for (size_t i = 0; i < CLI_MAX_OPTS && c->opts[i].flag; i++) {
            char left[64];
            snprintf(left, sizeof left, "%s%s%s", c->opts[i].flag, c->opts[i].arg ? " " : "",
                     c->opts[i].arg ? c->opts[i].arg : "");
            fprintf(f, "  %-24s %s\n", left, c->opts[i].text);
        }
    }
    fprintf(f, "\nexample%s:\n", strchr(c->example, '\n') ? "s" : "");
    for (const char *p = c->example; *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(f, "  %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

/* The option of c named by arg ("--name" or "--name=value"), or NULL. */
static const cli_opt_help *opt_of(const cli_command *c, const char *arg)
{
    size_t n = strcspn(arg, "=");
    for (size_t i = 0; i < CLI_MAX_OPTS && c->opts[i].flag; i++)
        if (strlen(c->opts[i].flag) == n && strncmp(c->opts[i].flag, arg, n) == 0)
            return &c->opts[i];
    return NULL;
}

bool cli_wants_help(const cli_command *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return false;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return true;
        const cli_opt_help *o = strncmp(a, "--", 2) == 0 && !strchr(a, '=') ? opt_of(c, a) : NULL;
        if (o && o->arg)
            i++; /* its value, whatever it looks like */
    }
    return false;
}
