/* facts.c: the engine's facts for the plan's indicators (facts.h): a unit
 * (a community or village, a township, the district) reports a fact's new
 * value (fact-set); the value goes into the log as a fact event, which the
 * bus carries to the broker like every other entry, and into the store's
 * facts under its name and log sequence, so the unit lists every change
 * with who made it and when (facts). Nothing is kept past the call here:
 * events read from the store are freed by its walk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "engine_int.h"
#include "error.h"
#include "facts.h"

static int fact_set(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req,
                    gl_token tok)
{
    char why[256];
    if (!req->fact)
        return eng_refuse(e, tok, GL_EINVAL, "fact-set needs the fact");
    if (gl_fact_check(req->fact, e->self->tier, why, sizeof why) != 0)
        return eng_refuse(e, tok, GL_EINVAL, "%s", why);
    char today[16];
    gl_fact_today(e->now, today, sizeof today);
    if (req->fact->as_of[0] && strcmp(req->fact->as_of, today) > 0)
        return eng_refuse(e, tok, GL_EINVAL, "as_of %s is after today (%s): a fact is reported once it holds",
                          req->fact->as_of, today);
    Gridlink__V1__Fact f = GRIDLINK__V1__FACT__INIT;
    f.name = req->fact->name;
    f.value = req->fact->value;
    f.as_of = req->fact->as_of[0] ? req->fact->as_of : today;
    f.by = (char *)(who->user && who->user[0] ? who->user : req->user);
    f.note = req->fact->note;
    Gridlink__V1__BusEvent ev = GRIDLINK__V1__BUS_EVENT__INIT;
    ev.node = (char *)e->id;
    ev.kind = (char *)gl_event_name(GRIDLINK__V1__EVENT_KIND__EVENT_FACT);
    ev.time_ms = e->now;
    ev.fact = &f;
    int rc = eng_log_event(e, txn, &ev);
    if (rc == 0)
        rc = gl_store_fact_put(txn, e->store, &ev);
    if (rc != 0)
        return rc;
    Gridlink__V1__BusEvent *evs[1] = {&ev};
    Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
    rep.events = evs;
    rep.n_events = 1;
    return eng_reply(e, tok, &rep);
}

struct listing {
    Gridlink__V1__BusEvent **evs;
    size_t n;
};

static int take(const Gridlink__V1__BusEvent *ev, void *arg)
{
    struct listing *l = arg;
    if (l->n >= GL_FACTS_LIST_MAX)
        return 1;
    uint8_t *buf;
    size_t len;
    if (gl_pack(&ev->base, &buf, &len) != 0)
        return GL_ENOMEM;
    Gridlink__V1__BusEvent *copy = gridlink__v1__bus_event__unpack(NULL, len, buf);
    free(buf);
    if (!copy)
        return GL_ENOMEM;
    l->evs[l->n++] = copy;
    return 0;
}

static int list(gl_engine_t *e, MDB_txn *txn, const Gridlink__V1__CtlRequest *req, gl_token tok)
{
    struct listing l = {calloc(GL_FACTS_LIST_MAX, sizeof *l.evs), 0};
    if (!l.evs)
        return GL_ENOMEM;
    const char *name = req->fact && req->fact->name[0] ? req->fact->name : NULL;
    int rc = gl_store_fact_foreach(txn, e->store, name, take, &l);
    if (rc == 1)
        rc = 0; /* the listing is full: the first GL_FACTS_LIST_MAX entries */
    if (rc == 0) {
        Gridlink__V1__CtlReply rep = GRIDLINK__V1__CTL_REPLY__INIT;
        rep.events = l.evs;
        rep.n_events = l.n;
        rc = eng_reply(e, tok, &rep);
    }
    for (size_t i = 0; i < l.n; i++)
        gridlink__v1__bus_event__free_unpacked(l.evs[i], NULL);
    free(l.evs);
    return rc;
}

int facts_op(gl_engine_t *e, MDB_txn *txn, const gl_caller *who, const Gridlink__V1__CtlRequest *req, gl_op op,
             gl_token tok)
{
    switch (op) {
    case GRIDLINK__V1__OP__OP_FACT_SET: return fact_set(e, txn, who, req, tok);
    case GRIDLINK__V1__OP__OP_FACTS: return list(e, txn, req, tok);
    default: return eng_refuse(e, tok, GL_EINVAL, "not a facts operation");
    }
}
