/* names.c: see names.h. The names are made once, on first use, from the
 * descriptors protoc-c generated, and live until the process ends. */
#include "names.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_VALUES 64
#define NAME_LEN        40

struct names {
    const ProtobufCEnumDescriptor *desc;
    char sep;
    bool ready;
    int values[NAME_MAX_VALUES];
    char name[NAME_MAX_VALUES][NAME_LEN];
    size_t n;
};

#define NAMES(var, descriptor, separator) static struct names var = {.desc = &(descriptor), .sep = (separator)}

NAMES(states, gridlink__v1__case_state__descriptor, '_');
NAMES(actions, gridlink__v1__action__descriptor, '-');
NAMES(events, gridlink__v1__event_kind__descriptor, '-');
NAMES(ops, gridlink__v1__op__descriptor, '-');
NAMES(reasons, gridlink__v1__return_reason__descriptor, '-');
NAMES(kinds, gridlink__v1__case_kind__descriptor, '-');

static void build(struct names *t)
{
    if (t->ready)
        return;
    t->ready = true;
    for (unsigned i = 0; i < t->desc->n_values && t->n < NAME_MAX_VALUES; i++) {
        const char *full = t->desc->values[i].name;
        const char *us = strchr(full, '_');
        const char *s = us ? us + 1 : full;
        char *d = t->name[t->n];
        size_t k = 0;
        for (; s[k] && k + 1 < NAME_LEN; k++)
            d[k] = s[k] == '_' ? t->sep : (char)tolower((unsigned char)s[k]);
        d[k] = 0;
        t->values[t->n++] = t->desc->values[i].value;
    }
}

static const char *name_of(struct names *t, int v)
{
    build(t);
    for (size_t i = 0; i < t->n; i++)
        if (t->values[i] == v && v != 0)
            return t->name[i];
    return "unknown";
}

static bool value_of(struct names *t, const char *name, int *out)
{
    build(t);
    if (!name)
        return false;
    for (size_t i = 0; i < t->n; i++)
        if (t->values[i] != 0 && strcmp(t->name[i], name) == 0) {
            *out = t->values[i];
            return true;
        }
    return false;
}

static const char *list_of(struct names *t, char *buf, size_t len)
{
    build(t);
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->values[i] == 0)
            continue;
        int w = snprintf(buf + k, len - k, "%s%s", k ? ", " : "", t->name[i]);
        if (w < 0 || (size_t)w >= len - k)
            break;
        k += (size_t)w;
    }
    return buf;
}

const char *gl_state_name(gl_state s)
{
    return name_of(&states, (int)s);
}
const char *gl_action_name(gl_action a)
{
    return name_of(&actions, (int)a);
}
const char *gl_event_name(gl_event k)
{
    return name_of(&events, (int)k);
}
const char *gl_op_name(gl_op op)
{
    return name_of(&ops, (int)op);
}
const char *gl_reason_name(Gridlink__V1__ReturnReason r)
{
    return name_of(&reasons, (int)r);
}
const char *gl_kind_name(Gridlink__V1__CaseKind k)
{
    return name_of(&kinds, (int)k);
}

#define FROM(fn, table, type)                                                                                          \
    bool fn(const char *name, type *out)                                                                               \
    {                                                                                                                  \
        int v;                                                                                                         \
        if (!value_of(&table, name, &v))                                                                               \
            return false;                                                                                              \
        *out = (type)v;                                                                                                \
        return true;                                                                                                   \
    }

FROM(gl_state_from, states, gl_state)
FROM(gl_action_from, actions, gl_action)
FROM(gl_op_from, ops, gl_op)
FROM(gl_reason_from, reasons, Gridlink__V1__ReturnReason)
FROM(gl_kind_from, kinds, Gridlink__V1__CaseKind)
FROM(gl_event_from, events, gl_event)

const char *gl_action_list(char *buf, size_t len)
{
    return list_of(&actions, buf, len);
}
const char *gl_event_list(char *buf, size_t len)
{
    return list_of(&events, buf, len);
}
const char *gl_state_list(char *buf, size_t len)
{
    return list_of(&states, buf, len);
}
const char *gl_reason_list(char *buf, size_t len)
{
    return list_of(&reasons, buf, len);
}

#define S(x) GRIDLINK__V1__CASE_STATE__STATE_##x
#define A(x) GRIDLINK__V1__ACTION__ACTION_##x
#define R(x) GRIDLINK__V1__RETURN_REASON__REASON_##x

const char *gl_state_label(gl_state s)
{
    switch (s) {
    case S(REPORTED): return "已上报";
    case S(ACCEPTED): return "已受理";
    case S(IN_PROGRESS): return "处置中";
    case S(RESOLVED): return "待核查";
    case S(CLOSED): return "已结案";
    case S(RETURNED): return "已退回";
    case S(ESCALATED): return "已上报上级";
    case S(ASSIGNED): return "待签收";
    case S(SUSPENDED): return "挂账";
    case S(ARBITRATION): return "待审定";
    case S(MERGED): return "已合并";
    default: return "未知";
    }
}

const char *gl_action_label(gl_action a)
{
    switch (a) {
    case A(ACCEPT): return "受理/签收";
    case A(START): return "处置";
    case A(RESOLVE): return "反馈";
    case A(VERIFY): return "核查通过";
    case A(REWORK): return "返工";
    case A(RETURN): return "退回";
    case A(EXTEND): return "申请延期";
    case A(APPROVE): return "批准延期";
    case A(REFUSE): return "不批准延期";
    case A(SUSPEND): return "挂账";
    case A(RESUME): return "恢复";
    case A(URGE): return "督办";
    case A(ESCALATE): return "上报";
    case A(ASSIGN): return "派单";
    case A(MERGE): return "合并";
    case A(RATE): return "回访评价";
    case A(CLOSE): return "结案";
    case A(REOPEN): return "重办";
    case A(PUBLISH_PHOTO): return "公开照片";
    default: return "未知";
    }
}

const char *gl_reason_label(Gridlink__V1__ReturnReason r)
{
    switch (r) {
    case R(NOT_OURS): return "非本单位职责";
    case R(WRONG_LOCATION): return "属地不符";
    case R(INFO_MISSING): return "信息不全";
    case R(DUPLICATE): return "重复";
    case R(OTHER): return "其他";
    default: return "未知";
    }
}

bool gl_state_is_final(gl_state s)
{
    return s == S(CLOSED) || s == S(MERGED);
}
