/*
 * stage_doc.h — test helper shared by the stage tests (tokens, sentences): builds a document by
 * hand, without the text and layout stages, so a stage is tested alone. Include after cmocka.h
 * and internal.h. The document and its arena are owned by the caller (stage_doc_free).
 */
#ifndef ENRICHD_TEST_STAGE_DOC_H
#define ENRICHD_TEST_STAGE_DOC_H

#include <stdio.h>
#include <stdlib.h>

/* A document over text[0..n) with one body block per blank-line separated paragraph, its
 * resources set to res, and the tokens stage run — then the sentences stage when sentences. */
static ex_doc *stage_doc_new(const ex_resources *res, const char *text, size_t n, int sentences)
{
    ex_doc *d = calloc(1, sizeof *d);
    assert_non_null(d);
    d->arena = ex_arena_new(1 << 14);
    assert_non_null(d->arena);
    d->res = res;
    d->text = ex_arena_strndup(d->arena, text, n);
    assert_non_null(d->text);
    d->text_len = (uint32_t)n;
    uint32_t a = 0;
    for (uint32_t i = 0; i <= n; i++) {
        if (i == n || (text[i] == '\n' && i + 1 < n && text[i + 1] == '\n')) {
            if (i > a) {
                ex_block *b = ex_vec_push(d->arena, &d->blocks, sizeof *b);
                assert_non_null(b);
                b->kind = EX_BLOCK_BODY;
                b->start = a;
                b->end = i;
            }
            while (i < n && text[i] == '\n')
                i++;
            a = i;
        }
    }
    char err[EX_ERRLEN] = "";
    assert_int_equal(ex_stage_tokens(d, err, sizeof err), EX_OK);
    if (sentences)
        assert_int_equal(ex_stage_sentences(d, err, sizeof err), EX_OK);
    return d;
}

/* Loads the tokens stage's data from $ENRICHD_DATA into res. Returns 0, 77 (skip: no data dir)
 * or 1 (the data did not load), ready to be main's exit status when not 0. */
static int stage_res_load(ex_resources *res)
{
    const char *data = getenv("ENRICHD_DATA");
    if (!data) {
        printf("SKIP: ENRICHD_DATA absent\n");
        return 77;
    }
    char err[EX_ERRLEN] = "";
    if (ex_tokens_res_load(res, data, err, sizeof err) != EX_OK) {
        fprintf(stderr, "cannot load token data from %s: %s\n", data, err);
        return 1;
    }
    return 0;
}

static void stage_doc_free(ex_doc *d)
{
    ex_arena_destroy(d->arena);
    free(d);
}

#endif
