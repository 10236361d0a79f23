/* lang.c — PLACEHOLDER until the lang stage lands: keeps the library linkable. */
#include "internal.h"

ex_status ex_stage_lang(ex_doc *doc, char *err, size_t errlen) { return EX_OK; }
ex_status ex_lang_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen) { return EX_OK; }
void ex_lang_res_free(ex_resources *res) {}
