/* district.c: the whole-district scenario (placeholder while it is written). */
#include <stdio.h>

#include "bench.h"

int bn_district_main(bn_args *a)
{
    (void)a;
    return 2;
}

int bn_district_run(const char *root, const char *log, int seconds, int rate, bool quick, bn_result *r)
{
    (void)root; (void)log; (void)seconds; (void)rate; (void)quick; (void)r;
    return -1;
}
