/* topology.h: the district's nodes, their places in the tree, endpoints,
 * public keys and SLA policy, loaded from one JSON file.
 *
 * File format (see the files in deploy/topology/):
 *   {
 *     "name": "mini",
 *     "listen_host": "127.0.0.1",           optional, default 127.0.0.1
 *     "port_base": 17300,                   required unless every endpoint is explicit
 *     "broker": {"bus_in": "tcp://...", "bus_out": "tcp://...", "public_key": "Z85"},
 *     "monitors": [{"name": "operator", "public_key": "Z85"},
 *                  {"name": "desk", "public_key": "Z85", "scope": "xinbei.sanjing"}],
 *     "sla": [ rules, see policy.h ],
 *     "categories": [ the category catalogue, see category.h ],
 *     "community_tasks": ["services/elderly", "party", ...],
 *     "return_limit": 2,                    optional: returns of one case between the same
 *                                           two nodes before the tier above both assigns it
 *     "http_port_base": 18000,              optional: each node process serves the staff API
 *                                           (HTTP) on this port plus the file index of the
 *                                           first node it hosts; absent: no HTTP
 *     "retain_days": 400,                   optional: log entries and closed cases older than
 *                                           this go to HOME/archive and leave the store
 *                                           (archive.h); 0: keep everything
 *     "warn_before_s": 900,                 optional: the due-soon warning (即将超时) of a
 *                                           deadline fires this long before it (clock time),
 *                                           but never before half the limit has run; 0: none
 *     "calendar": {"utc_offset": "+08:00", "hours": ["08:30-12:00", "13:30-17:30"],
 *                  "weekdays": ["mon", "tue", "wed", "thu", "fri"],
 *                  "holidays": ["2026-10-01..2026-10-07", ...], "workdays": ["2026-10-10", ...],
 *                  "units": [{"node": "xinbei.sanjing", "hours": [...], "weekdays": [...]}]},
 *                                           optional: the working-time calendar, see calendar.h
 *     "nodes": [ {"id": "xinbei", "tier": "district", "name": "新北区",
 *                 "endpoint": "tcp://...", "public_key": "Z85"},
 *                {"id": "xinbei.sanjing.c01", "tier": "community", "name": "...",
 *                 "addresses": ["晋陵北路", "三井花园"]},
 *                {"id": "xinbei.sanjing.c01.g1", "tier": "grid", "name": "...",
 *                 "area": {"type": "Polygon", "coordinates": [[[lon, lat], ...]]}}, ... ]
 *   }
 * A node's parent is its ID without the last dotted part; the parent must
 * exist and be exactly one tier up; the root is the only district. The
 * exception is a department (区/街道职能部门, "tier": "department", such as
 * 区城市管理局 or a township's 城管中队): its parent is the district or a
 * township, and nothing sits under it. Node IDs
 * are 1..63 chars of [a-z0-9_-] separated by dots. Endpoints not given are
 * derived: broker bus_in = port_base, bus_out = port_base + 1, and each node
 * that has children gets port_base + 2 + k, k its index among such nodes in
 * file order, where the nodes whose only children are departments come
 * after all the others, so that adding departments never moves a port.
 * Grids and departments have no endpoint (they bind nothing and connect to
 * their parent). An endpoint is
 * tcp://HOST:PORT (a host name, an IPv4 address or [IPv6], and a port in
 * 1..65535) or ipc:///ABSOLUTE/PATH without '.' or '..' parts; no other
 * transport. Where an ipc endpoint may be depends on the home that runs the
 * topology (gl_topology_check_home): libzmq removes whatever is at that path
 * before it binds.
 *
 * A grid may have an "area" (网格范围), a GeoJSON Polygon in longitude and
 * latitude (see geo.h for what one may be and which points it contains):
 * gl_topology_locate finds the grid of a point by it. A community may have
 * "addresses", its address keys: up to 256 non-empty UTF-8 strings of at
 * most 255 bytes each, without control characters, none listed twice, such
 * as the streets and housing estates it serves ("晋陵北路", "三井花园"):
 * gl_topology_community_by_address places a request that comes with an
 * address only. Either key on a node of another tier is an error. Areas may
 * overlap and a key may belong to more than one community; the lookups say
 * which one wins.
 *
 * The catalogue lists the categories a case may have, with their default
 * limits; a file without "categories" gets the built-in catalogue
 * (gl_catalogue_default), so older files keep loading. A category an SLA
 * rule names must be in the catalogue. "community_tasks" is the community
 * work-access list (社区工作准入): the categories that may be given to a
 * community to handle, a kind standing for all its subcategories. It is
 * empty when absent: nothing may be given to communities that the file does
 * not list.
 *
 * The calendar gives the working time that limits in working hours and
 * working days (SLA rules, catalogue entries) are counted on: the district's
 * hours, weekdays, UTC offset, public holidays and make-up working days
 * (调休), and the units (a node and its subtree) that keep other hours or
 * weekdays; each unit must be a node of the file. Every key is optional (see
 * calendar.h for the defaults and the rules). A file without "calendar" gets
 * the built-in one (gl_calendar_default: Monday to Friday, 08:30-12:00 and
 * 13:30-17:30, UTC+08:00, no holidays), which is not written back on save,
 * so the file keeps following it.
 *
 * A monitor is a key that may watch the bus without being a node: it sees
 * the nodes of its "scope" (a node ID of the topology) and their subtrees,
 * or the whole district when it has no scope. A node's own key sees its own
 * subtree.
 *
 * The topology owns every string and array in it; free with
 * gl_topology_free. Lookups return pointers into the topology. */
#ifndef GL_TOPOLOGY_H
#define GL_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"
#include "category.h"
#include "geo.h"
#include "policy.h"

#define GL_NODE_ID_MAX           255
#define GL_KEY_Z85_LEN           40
#define GL_IPC_PATH_MAX          107 /* a unix socket address holds 108 bytes with its NUL */
#define GL_WARN_BEFORE_DEFAULT_S 900 /* 15 minutes, as helpdesks warn before an escalation */
#define GL_RETAIN_DAYS_DEFAULT   400 /* a year and a month: a year's KPIs and audits stay live */

typedef struct gl_node {
    char *id;
    char *name; /* display name, UTF-8 */
    Gridlink__V1__Tier tier;
    int parent;    /* index into nodes[], -1 for the root */
    int *children; /* indexes into nodes[] */
    size_t n_children;
    char *endpoint;         /* ROUTER endpoint of a node with children, else NULL */
    bool endpoint_explicit; /* given in the file (kept when saving) */
    char *public_key;       /* Z85, 40 chars, or NULL before keygen */
    gl_area_t *area;        /* a grid's area, or NULL */
    char **addresses;       /* a community's address keys, in file order */
    size_t n_addresses;
} gl_node_t;

typedef struct gl_monitor {
    char *name;
    char *public_key;
    char *scope; /* node ID whose subtree it may see, or NULL: the whole district */
} gl_monitor_t;

typedef struct gl_topology {
    char *name;
    char *listen_host;
    int port_base; /* 0 if absent */
    char *bus_in;  /* broker ROUTER the node processes' bus DEALERs connect to */
    char *bus_out; /* broker endpoint subscribers connect to */
    bool bus_explicit;
    char *broker_key; /* Z85 or NULL */
    gl_monitor_t *monitors;
    size_t n_monitors;
    gl_policy_t *policy;                /* its defaults point at catalogue */
    gl_catalogue_t *catalogue;          /* never NULL once loaded; builtin when the file has none */
    gl_category_set_t *community_tasks; /* never NULL once loaded; may be empty */
    int return_limit;                   /* returns between two nodes before 审定; 0: the default (2) */
    int warn_before_s;                  /* due-soon warning lead, seconds; 0: none */
    int retain_days;                    /* log entries and closed cases older than this are archived
                                           and pruned (nodes/prune.c); 0: kept for ever */
    int http_port_base;                 /* 0: no HTTP; else a process's staff API port, plus its first node's index */
    gl_calendar_t *calendar;            /* never NULL once loaded; builtin when the file has none */
    gl_node_t *nodes;
    size_t n_nodes;
    int root;    /* index of the district node */
    void *index; /* private: id -> node lookup */
} gl_topology_t;

/* Load and validate. On failure returns GL_EINVAL (or GL_ENOENT/GL_EIO for a
 * missing or unreadable file) and writes a one-line reason into err. */
int gl_topology_load_file(const char *path, gl_topology_t **out, char *err, size_t errlen);
int gl_topology_load_buffer(const char *json, size_t len, gl_topology_t **out, char *err, size_t errlen);
/* Check t against the home that runs it: every ipc endpoint must be a file
 * HOME/run/NAME.ipc (NAME of [A-Za-z0-9_.-], not starting with a dot), its
 * directory resolving to HOME/run, so that binding can only ever replace a
 * socket of this home and never a file or one of the control sockets there.
 * GL_EINVAL with a one-line reason in err otherwise. */
int gl_topology_check_home(const gl_topology_t *t, const char *home, char *err, size_t errlen);
/* Write the topology to path atomically (PATH.tmp, fsync, rename): name,
 * listen_host, port_base, broker, monitors, SLA policy, the catalogue, the
 * community tasks, the calendar and nodes with their areas, address keys
 * and public keys. Only endpoints given explicitly are written; derived ones are recomputed on load, so a later
 * port_base change still moves them. Likewise the built-in catalogue is not
 * written, nor is the built-in calendar, so a file that had none keeps
 * following it. Coordinates are written with 15 significant digits: one
 * read from a file with at most that many comes back as it was (near
 * longitude 120, that is down to 1e-12 degrees, far below a millimetre). Returns 0, GL_ENOMEM, or an
 * errno-mapped code (GL_EIO, GL_EPERM, GL_ENOSPC...). */
int gl_topology_save(const gl_topology_t *t, const char *path);
void gl_topology_free(gl_topology_t **t);

/* The broker's HTTP port (its /metrics): the one after the last node's,
 * http_port_base + the number of nodes; 0 without http_port_base. */
int gl_topology_broker_http_port(const gl_topology_t *t);
/* The lowest and highest TCP port the topology listens on (tree endpoints,
 * the broker's, HTTP); false when it listens on none. */
bool gl_topology_port_span(const gl_topology_t *t, int *lo, int *hi);
/* The kernel's ephemeral port range (net.ipv4.ip_local_port_range): ports
 * it gives outgoing connections, which a listener may then find taken.
 * false when it cannot be read. */
bool gl_ephemeral_ports(int *lo, int *hi);
/* A running process taking a new version of its topology in place
 * (topology_adopt.c). The shape must be the same: the same nodes with the
 * same IDs, tiers, parents, children, endpoints and keys, the same listen
 * host, port bases, bus endpoints and broker key; else GL_EINVAL, why names
 * the first difference and live is untouched. Otherwise the rest moves from
 * fresh into live: the SLA policy, the catalogue, community_tasks,
 * return_limit, warn_before_s, retain_days, the calendar, the monitors, the topology's
 * and the nodes' names, grid areas and community addresses; fresh gets what
 * live had, for the caller to free. Every pointer to live's nodes stays
 * valid. A process that admitted monitor keys at start (the broker) does
 * not adopt. */
int gl_topology_adopt(gl_topology_t *live, gl_topology_t *fresh, char *why, size_t whylen);
/* The same, but nodes' public keys may differ too (a key rotated with
 * `gridlink keys rotate`): the new keys move into live and fresh gets the
 * old ones, so the caller can revoke them before it frees fresh. changed
 * (room for live->n_nodes) gets the indices of the nodes whose key changed,
 * *n_changed how many. With keys_only nothing but those keys moves (the
 * broker, which admitted monitor keys at start); else everything
 * gl_topology_adopt moves. */
int gl_topology_adopt_keys(gl_topology_t *live, gl_topology_t *fresh, bool keys_only, size_t *changed,
                           size_t *n_changed, char *why, size_t whylen);

/* Change port_base and re-derive every endpoint that was not explicit;
 * http_port_base, when set, moves by as much. */
int gl_topology_set_port_base(gl_topology_t *t, int port_base);
/* Set a node's public key (copied); GL_ENOENT if no such node. */
int gl_topology_set_key(gl_topology_t *t, const char *node_id, const char *z85);

const gl_node_t *gl_topology_find(const gl_topology_t *t, const char *id);
int gl_topology_index_of(const gl_topology_t *t, const char *id);                /* -1 if absent */
const gl_node_t *gl_topology_parent(const gl_topology_t *t, const gl_node_t *n); /* NULL at root */
/* The node whose public key is z85, or NULL. */
const gl_node_t *gl_topology_find_by_key(const gl_topology_t *t, const char *z85);

/* The grid whose area contains the point (longitude, latitude), or NULL
 * when no area does. Areas may overlap or share edges: the first such grid
 * in file order wins. */
const gl_node_t *gl_topology_locate(const gl_topology_t *t, double lon, double lat);
/* The community one of whose address keys occurs in address (a match of
 * bytes; both are UTF-8, so a match always starts and ends on whole
 * characters), or NULL. The longest matching key wins ("三井花园二期" over
 * "三井花园"); between keys of the same length, the first in file order. */
const gl_node_t *gl_topology_community_by_address(const gl_topology_t *t, const char *address);

/* The monitor called name, or NULL. */
const gl_monitor_t *gl_topology_find_monitor(const gl_topology_t *t, const char *name);
/* The node whose subtree monitor m may see: its scope, or the district's
 * root when it has none. Points into t. */
const char *gl_topology_monitor_scope(const gl_topology_t *t, const gl_monitor_t *m);

/* True if a case of category code may be given to a community: code is in
 * the catalogue and community_tasks lists it or its kind. */
bool gl_topology_community_task(const gl_topology_t *t, const char *code);

/* True if id equals ancestor or lies below it (dot boundary: "a.b" is under
 * "a" but "ab" is not). */
bool gl_topology_in_subtree(const char *ancestor, const char *id);
/* True if s is a syntactically valid node ID. */
bool gl_node_id_valid(const char *s);
/* True if s is a 40-character Z85 text that decodes to a 32-byte key. */
bool gl_key_z85_valid(const char *s);

#endif
