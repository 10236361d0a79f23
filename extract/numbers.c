/* numbers.c — PLACEHOLDER until the numbers stage lands: keeps the library linkable. */
#include "internal.h"

ex_status ex_stage_numbers(ex_doc *doc, char *err, size_t errlen) { return EX_OK; }
ex_status ex_numbers_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen) { return EX_OK; }
void ex_numbers_res_free(ex_resources *res) {}
