/* survey.h: needs surveys (需求调查): a survey's definition as staff write
 * it in JSON, a resident's answer to it, the checks both pass, the
 * tallies an answer adds, and the results as JSON.
 *
 *   definition {"title", "intro"?, "closes"? (ISO 8601), "questions":
 *               [{"id", "kind", "text", "required"?, "options"?: [...]}]}
 *   kinds      single (单选), multi (多选), scale (1-5 评分), number, text
 *   answer     {"qid": value}: single an option (its text or its number
 *              1..n), multi an array of them, scale 1..5, number a number,
 *              text a string
 *
 * Bounds are the GL_SURVEY_* below; everything outside them is refused
 * with a reason. Messages made here (gl_survey_from_json,
 * gl_survey_answer_from_json) belong to the caller: free them with
 * gridlink__v1__survey__free_unpacked / gridlink__v1__survey_answer__free_unpacked.
 * JSON made here is the caller's (json_decref). */
#ifndef GL_SURVEY_H
#define GL_SURVEY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gridlink.pb-c.h"

#define GL_SURVEY_MAX_QUESTIONS 40
#define GL_SURVEY_MAX_OPTIONS   20
#define GL_SURVEY_TITLE         100         /* characters */
#define GL_SURVEY_INTRO         2000        /* characters */
#define GL_SURVEY_QTEXT         300         /* characters of a question */
#define GL_SURVEY_OPTION        100         /* characters of an option */
#define GL_SURVEY_QID           32          /* bytes of a question id: a-z, 0-9, '_', '-' */
#define GL_SURVEY_ANSWER_TEXT   1000        /* characters of a text answer */
#define GL_SURVEY_NUMBER_MAX    1e9         /* |number answers| */
#define GL_SURVEY_MAX_TASKS     100         /* tasks one survey records */
#define GL_SURVEY_MAX_TICKETS   1000        /* codes issued at once */
#define GL_SURVEY_BODY          (64u << 10) /* bytes of a definition or an answer in JSON */
#define GL_SURVEY_SCALE         5

typedef Gridlink__V1__Survey gl_survey;
typedef Gridlink__V1__SurveyAnswer gl_survey_answer;

/* A kind's name (single, multi, scale, number, text) and Chinese label. */
const char *gl_survey_kind_name(Gridlink__V1__SurveyKind k);
const char *gl_survey_kind_label(Gridlink__V1__SurveyKind k);

/* A definition from staff's JSON: id, unit, times and tallies empty, the
 * count arrays sized (zeros). 0, or GL_EINVAL with the reason. */
int gl_survey_from_json(const json_t *j, gl_survey **out, char *why, size_t whylen);
/* Is s a well-formed survey (bounds, kinds, counts sized to the options)?
 * with_id: id, unit and version set, as stored and as a tally carries it. */
int gl_survey_check(const gl_survey *s, bool with_id, char *why, size_t whylen);

/* A resident's answers (the "answers" object) to def. 0, or GL_EINVAL
 * with the reason in Chinese and English. */
int gl_survey_answer_from_json(const json_t *answers, const gl_survey *def, gl_survey_answer **out, char *why,
                               size_t whylen);
/* Does a fit def (each value for a question of def, in range, every
 * required question answered, each at most once)? */
int gl_survey_answer_check(const gl_survey_answer *a, const gl_survey *def, char *why, size_t whylen);
/* Add a (checked) to s's tallies. */
void gl_survey_tally(gl_survey *s, const gl_survey_answer *a);

/* The survey as JSON: definition, state and results (per question counts,
 * distribution, mean). texts (may be NULL): the answers, whose texts are
 * listed under their question (for staff only). unit_name: the unit's
 * display name. Without results: the definition alone (no counts, no
 * number of answers), as the public sees it. */
json_t *gl_survey_json(const gl_survey *s, const char *unit_name, gl_survey_answer *const *texts, size_t n_texts,
                       bool results);

/* Is id a survey ID ("<unit>-s<n>"), of unit when unit is not NULL? */
bool gl_survey_id_valid(const char *id, const char *unit);

/* Is the survey open at now? */
bool gl_survey_open(const gl_survey *s, int64_t now);

#endif
