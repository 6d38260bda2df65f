/* test_casefsm.c: the lifecycle table allows what practice allows and
 * refuses the rest with the right code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "casefsm.h"
#include "error.h"

#define ST(x) GRIDLINK__V1__CASE_STATE__STATE_##x

static void test_happy_path(void **state)
{
    (void)state;
    gl_state s = ST(REPORTED);
    const char *steps[] = {"accept", "start", "resolve", "close"};
    const gl_state want[] = {ST(ACCEPTED), ST(IN_PROGRESS), ST(RESOLVED), ST(CLOSED)};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(gl_case_transition(s, steps[i], &s), GL_OK);
        assert_int_equal(s, want[i]);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    gl_state to = ST(UNKNOWN);
    assert_int_equal(gl_case_transition(ST(CLOSED), "accept", &to), GL_ESTATE);
    assert_int_equal(gl_case_transition(ST(REPORTED), "close", &to), GL_ESTATE);
    assert_int_equal(gl_case_transition(ST(RESOLVED), "escalate", &to), GL_ESTATE);
    assert_int_equal(gl_case_transition(ST(CLOSED), "escalate", &to), GL_ESTATE);
    assert_int_equal(gl_case_transition(ST(REPORTED), "teleport", &to), GL_EINVAL);
    assert_int_equal(gl_case_transition(ST(REPORTED), NULL, &to), GL_EINVAL);
    assert_int_equal(to, ST(UNKNOWN)); /* untouched on refusal */
}

static void test_escalated_case_is_accepted_upstairs(void **state)
{
    (void)state;
    gl_state to;
    assert_int_equal(gl_case_transition(ST(ESCALATED), "accept", &to), GL_OK);
    assert_int_equal(to, ST(ACCEPTED));
    assert_int_equal(gl_case_transition(ST(IN_PROGRESS), "escalate", &to), GL_OK);
    assert_int_equal(to, ST(ESCALATED));
    assert_int_equal(gl_case_transition(ST(RESOLVED), "reopen", &to), GL_OK);
    assert_int_equal(to, ST(IN_PROGRESS));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(gl_state_name(ST(ESCALATED)), "escalated");
    assert_string_equal(gl_state_name(ST(IN_PROGRESS)), "in_progress");
    assert_string_equal(gl_state_name((gl_state)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_escalated_case_is_accepted_upstairs),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
