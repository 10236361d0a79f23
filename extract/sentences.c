/* sentences.c — PLACEHOLDER until the sentences stage lands: keeps the library linkable. */
#include "internal.h"

ex_status ex_stage_sentences(ex_doc *doc, char *err, size_t errlen) { return EX_OK; }
