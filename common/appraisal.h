/* appraisal.h: the rules of 群众评议 (residents' appraisals of units) that
 * need no store and no network, so they are tested alone: periods, a
 * resident's appraisal as the public page sends it, and the league table's
 * arithmetic.
 *
 * Periods: an appraisal is given for a calendar month of the district's
 * local time ("YYYY-MM"); a table covers a month, a quarter ("YYYY-Qn") or
 * a year ("YYYY"), the months it spans added up, or an ISO 8601 week
 * ("YYYY-Www", Monday to Sunday), the appraisals given in it.
 *
 * Levels: the common three-level scale, 3 满意 (satisfied), 2 基本满意
 * (basically satisfied), 1 不满意 (dissatisfied).
 *
 * The table (formula GL_APPRAISAL_FORMULA): per unit the count, the count
 * of each level, the satisfaction rate (满意 + 基本满意) / count and the
 * score 100 * (满意 + 0.6 * 基本满意) / count. A unit with at least
 * min_sample appraisals is ranked: by score, then by count (more first),
 * then by unit ID, ranks 1, 2, 3, ... without ties; the others are listed
 * after, unranked. The red list (红榜) is the best min(5, ranked / 2) ranked
 * units, the black list (黑榜) the worst as many, worst first, so no unit is
 * on both.
 *
 * Nothing here allocates but gl_appraisal_form_parse's comment, which the
 * form owns (gl_appraisal_form_free). */
#ifndef GL_APPRAISAL_H
#define GL_APPRAISAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GL_APPRAISAL_FORMULA    "gl-appraisal-1"
#define GL_APPRAISAL_MIN_SAMPLE 10  /* default; GRIDLINK_APPRAISAL_MIN_SAMPLE */
#define GL_APPRAISAL_LIST       5   /* units on each of the red and black lists, at most */
#define GL_APPRAISAL_COMMENT    200 /* characters of a comment */
#define GL_APPRAISAL_BODY       2048
#define GL_APPRAISAL_CODE_MAX   63 /* characters of a code as typed */
#define GL_APPRAISAL_UNIT_MAX   255

enum gl_appraisal_level {
    GL_APPRAISAL_DISSATISFIED = 1, /* 不满意 */
    GL_APPRAISAL_BASICALLY = 2,    /* 基本满意 */
    GL_APPRAISAL_SATISFIED = 3,    /* 满意 */
};

/* The level's Chinese name, or NULL for none. */
const char *gl_appraisal_level_name(unsigned level);

/* ---- periods ---- */

enum gl_period_kind { GL_PERIOD_MONTH, GL_PERIOD_QUARTER, GL_PERIOD_YEAR, GL_PERIOD_WEEK };

typedef struct gl_period {
    enum gl_period_kind kind;
    int year;        /* 2000..2199; a week's: the calendar year of its first month */
    int first, last; /* the months it touches, counted from year's January (13: the next January) */
    int week;        /* a week's number, 1..53 */
    int64_t monday;  /* a week's Monday, days since 1970-01-01 */
    char text[12];   /* as written: 2026-12, 2026-Q4, 2026, 2026-W49 */
} gl_period;

/* "YYYY-MM", "YYYY-Qn", "YYYY" or "YYYY-Www" (years 2000..2199, a week the
 * year has); false when it is none of them. months_only refuses all but
 * the month. */
bool gl_period_parse(const char *s, bool months_only, gl_period *p);
/* The month ms falls in, at offset_min minutes east of UTC. */
void gl_period_month_of(int64_t ms, int offset_min, gl_period *p);
/* The period's first instant and the instant after it, ms since the epoch. */
void gl_period_bounds(const gl_period *p, int offset_min, int64_t *from_ms, int64_t *to_ms);
/* Month "YYYY-MM" i (0-based) of the months the period touches, into out
 * (8 bytes); false past the last. */
bool gl_period_month_text(const gl_period *p, int i, char out[8]);

/* ---- an appraisal as the public page sends it ---- */

typedef struct gl_appraisal_form {
    char code[GL_APPRAISAL_CODE_MAX + 1]; /* as typed; normalised by the caller */
    char unit[GL_APPRAISAL_UNIT_MAX + 1];
    char period[12]; /* "" when not given */
    unsigned level;
    char *comment; /* "" when none; the form's */
} gl_appraisal_form;

/* JSON {"code", "unit", "period"?, "level", "comment"?}: level 1..3 or its
 * Chinese name; no other keys. 0, or GL_EINVAL with the reason in why (the
 * form is then empty). At most GL_APPRAISAL_BODY bytes (GL_ETOOBIG). */
int gl_appraisal_form_parse(const char *body, size_t len, gl_appraisal_form *f, char *why, size_t whylen);
void gl_appraisal_form_free(gl_appraisal_form *f);

/* ---- the league table ---- */

typedef struct gl_appraisal_row {
    const char *unit; /* the caller's */
    uint32_t n[4];    /* count per level, [1] .. [3] */
    uint32_t count;
    double rate;   /* satisfaction rate, 0..1 */
    double score;  /* 0..100 */
    uint32_t rank; /* 1.. or 0 */
    bool ranked;
} gl_appraisal_row;

/* Compute count, rate and score of every row from its n[], rank the rows
 * that reach min_sample and sort: ranked ones by rank, then the others by
 * count (more first) and unit ID. *n_red and *n_black get the lengths of
 * the lists: the first *n_red rows are the red list; the black list is the
 * *n_black ranked rows before the first unranked one, read backwards. */
void gl_appraisal_rank(gl_appraisal_row *rows, size_t n, uint32_t min_sample, size_t *n_red, size_t *n_black);

#endif
