/* tokens.c — PLACEHOLDER until the tokens stage lands: keeps the library linkable. */
#include "internal.h"

ex_status ex_stage_tokens(ex_doc *doc, char *err, size_t errlen) { return EX_OK; }
ex_status ex_tokens_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen) { return EX_OK; }
void ex_tokens_res_free(ex_resources *res) {}
