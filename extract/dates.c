/* dates.c — PLACEHOLDER until the dates stage lands: keeps the library linkable. */
#include "internal.h"

ex_status ex_stage_dates(ex_doc *doc, char *err, size_t errlen) { return EX_OK; }
ex_status ex_dates_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen) { return EX_OK; }
void ex_dates_res_free(ex_resources *res) {}
const char *ex_grain_name(ex_grain g)
{
    static const char *const names[] = {"year", "month", "day", "minute"};
    return g <= EX_GRAIN_MINUTE ? names[g] : "day";
}
