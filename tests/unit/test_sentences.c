/*
 * test_sentences.c — unit tests of the sentences stage (extract/sentences.c), run on the tokens
 * stage's output: each case is French or English news text written for these tests → expected
 * sentences joined by " || ", plus token-range consistency and a corpus check when
 * $ENRICHD_SHARED is present.
 *
 * Needs ENRICHD_DATA (the repo's data/); exits 77 (skipped) without it. Builds each ex_doc by
 * hand (arena + text + one body block per blank-line paragraph) and calls ex_stage_tokens then
 * ex_stage_sentences directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stage_doc.h"

static ex_resources g_res;

static ex_doc *make_doc(const char *text, size_t n) { return stage_doc_new(&g_res, text, n, 1); }
static void free_doc(ex_doc *d) { stage_doc_free(d); }

static const ex_sentence *sent(const ex_doc *d, uint32_t i)
{
    return &EX_VEC_AT(d->sentences, ex_sentence, i);
}

/* Sentences tile the tokens in order; spans match their first and last tokens; none crosses a
 * block (only its first token may carry PARA_START). */
static void check_consistency(const ex_doc *d)
{
    uint32_t next = 0;
    for (uint32_t i = 0; i < d->sentences.len; i++) {
        const ex_sentence *s = sent(d, i);
        assert_int_equal(s->tok_start, next);
        assert_true(s->tok_end > s->tok_start);
        const ex_token *a = &EX_VEC_AT(d->tokens, ex_token, s->tok_start);
        const ex_token *b = &EX_VEC_AT(d->tokens, ex_token, s->tok_end - 1);
        assert_int_equal(s->start, a->start);
        assert_int_equal(s->end, b->end);
        for (uint32_t k = s->tok_start + 1; k < s->tok_end; k++)
            assert_false(EX_VEC_AT(d->tokens, ex_token, k).flags & EX_TF_PARA_START);
        next = s->tok_end;
    }
    assert_int_equal(next, d->tokens.len);
}

static char *joined(const ex_doc *d)
{
    size_t cap = d->text_len + 4 * d->sentences.len + 1, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (uint32_t i = 0; i < d->sentences.len; i++) {
        const ex_sentence *s = sent(d, i);
        if (i) {
            memcpy(out + len, " || ", 4);
            len += 4;
        }
        memcpy(out + len, d->text + s->start, s->end - s->start);
        len += s->end - s->start;
    }
    out[len] = '\0';
    return out;
}

static void check_sentences_at(const char *text, const char *expected, int line)
{
    ex_doc *d = make_doc(text, strlen(text));
    check_consistency(d);
    char *got = joined(d);
    if (strcmp(got, expected) != 0)
        print_error("line %d: input   : %s\n         expected: %s\n         got     : %s\n", line,
                    text, expected, got);
    assert_string_equal(got, expected);
    free(got);
    free_doc(d);
}
#define check_sentences(text, expected) check_sentences_at((text), (expected), __LINE__)

static void test_basic(void **state)
{
    (void)state;
    check_sentences("Le ministre est arrivé à Paris. Il repartira demain.",
                    "Le ministre est arrivé à Paris. || Il repartira demain.");
    check_sentences("The minister arrived in London on Monday. He will leave on Friday!",
                    "The minister arrived in London on Monday. || He will leave on Friday!");
    check_sentences("Que va-t-il faire ? Personne ne le sait. Vraiment !",
                    "Que va-t-il faire ? || Personne ne le sait. || Vraiment !");
    check_sentences("Quoi ?! Non... Rien.", "Quoi ?! || Non... || Rien.");
    check_sentences("Pas de point final", "Pas de point final");
    check_sentences("En 2015. 300 personnes ont manifesté.", "En 2015. || 300 personnes ont manifesté.");
    check_sentences("Il a dit non. « Jamais », a-t-il ajouté.",
                    "Il a dit non. || « Jamais », a-t-il ajouté.");
}

static void test_quotes(void **state)
{
    (void)state;
    check_sentences("« Il viendra. » Puis il est parti.", "« Il viendra. » || Puis il est parti.");
    check_sentences("« Vraiment ? » dit-il. Oui.", "« Vraiment ? » dit-il. || Oui.");
    check_sentences("« Non ! », a-t-il lancé devant les élus. La séance a repris.",
                    "« Non ! », a-t-il lancé devant les élus. || La séance a repris.");
    check_sentences("He said \"I will come.\" Then he left.",
                    "He said \"I will come.\" || Then he left.");
    check_sentences("\"Really?\" he asked. \"Yes!\"", "\"Really?\" he asked. || \"Yes!\"");
    check_sentences("La ministre a déclaré : « Nous agirons. Nous tiendrons. » Le débat continue.",
                    "La ministre a déclaré : « Nous agirons. || Nous tiendrons. » || Le débat continue.");
    check_sentences("Il l'a dit (c'est vrai.) Puis rien.", "Il l'a dit (c'est vrai.) || Puis rien.");
    check_sentences("“It is over.” The crowd left.", "“It is over.” || The crowd left.");
}

static void test_ellipsis(void **state)
{
    (void)state;
    check_sentences("Attendez… Le train arrive… et repart.",
                    "Attendez… || Le train arrive… et repart.");
    check_sentences("« Nous avons […] décidé de partir », dit-il.",
                    "« Nous avons […] décidé de partir », dit-il.");
    check_sentences("… et puis il est parti. Fin.", "… et puis il est parti. || Fin.");
    check_sentences("… Et puis il est parti.", "… Et puis il est parti.");
}

static void test_abbreviations(void **state)
{
    (void)state;
    check_sentences("M. Dupont est arrivé. Mme Durand aussi.",
                    "M. Dupont est arrivé. || Mme Durand aussi.");
    check_sentences("Selon M. Le Pen, rien ne change. Le débat continue.",
                    "Selon M. Le Pen, rien ne change. || Le débat continue.");
    check_sentences("On a vu des pommes, des poires, etc. Le lendemain, rien.",
                    "On a vu des pommes, des poires, etc. || Le lendemain, rien.");
    check_sentences("Des pommes, etc. et des poires.", "Des pommes, etc. et des poires.");
    check_sentences("He moved to the U.S. The move was costly.",
                    "He moved to the U.S. || The move was costly.");
    check_sentences("The U.S. Army said so. It denied it later.",
                    "The U.S. Army said so. || It denied it later.");
    check_sentences("J. K. Rowling a écrit un livre. Il plaît.",
                    "J. K. Rowling a écrit un livre. || Il plaît.");
    check_sentences("Les Romains arrivent en 52 av. J.-C. Les Gaulois résistent.",
                    "Les Romains arrivent en 52 av. J.-C. || Les Gaulois résistent.");
    check_sentences("Apple Inc. said on Monday that sales rose. It gave no figures.",
                    "Apple Inc. said on Monday that sales rose. || It gave no figures.");
    check_sentences("Dr. Smith arrived at 5 p.m. Then he left.",
                    "Dr. Smith arrived at 5 p.m. || Then he left.");
    check_sentences("Voir p. 12 et l'art. 3 du code. Fin.", "Voir p. 12 et l'art. 3 du code. || Fin.");
    check_sentences("Ils ont choisi le plan B. Il a échoué.", "Ils ont choisi le plan B. || Il a échoué.");
}

static void test_numbers_and_urls(void **state)
{
    (void)state;
    check_sentences("Il est 10h32. Le train part à 10.30 précises.",
                    "Il est 10h32. || Le train part à 10.30 précises.");
    check_sentences("Le taux est de 1.5 %. En 2015, 300 personnes sont venues.",
                    "Le taux est de 1.5 %. || En 2015, 300 personnes sont venues.");
    check_sentences("Voir lemonde.fr. Merci.", "Voir lemonde.fr. || Merci.");
    check_sentences("Sales hit $3.5bn. Profit fell 2.5%.", "Sales hit $3.5bn. || Profit fell 2.5%.");
}

static void test_blocks(void **state)
{
    (void)state;
    check_sentences("Titre sans point\n\nLe corps. Deuxième phrase.",
                    "Titre sans point || Le corps. || Deuxième phrase.");
    check_sentences("« Une citation qui continue\n\nau paragraphe suivant. » Fin.",
                    "« Une citation qui continue || au paragraphe suivant. » || Fin.");
    check_sentences("Un.\n\n\n\nDeux", "Un. || Deux");

    ex_doc *d = make_doc("", 0);
    assert_int_equal(d->sentences.len, 0);
    free_doc(d);

    d = make_doc("Premier. Second.\n\nTroisième", strlen("Premier. Second.\n\nTroisième"));
    assert_int_equal(d->sentences.len, 3);
    assert_int_equal(sent(d, 0)->tok_start, 0);
    assert_int_equal(sent(d, 0)->tok_end, 2);
    assert_int_equal(sent(d, 1)->tok_start, 2);
    assert_int_equal(sent(d, 1)->tok_end, 4);
    assert_int_equal(sent(d, 2)->tok_start, 4);
    assert_int_equal(sent(d, 2)->tok_end, 5);
    assert_int_equal(sent(d, 2)->start, 18);
    assert_int_equal(sent(d, 2)->end, (uint32_t)strlen("Premier. Second.\n\nTroisième"));
    free_doc(d);
}

static void test_corpus(void **state)
{
    (void)state;
    const char *shared = getenv("ENRICHD_SHARED");
    char path[4096];
    snprintf(path, sizeof path, "%s/corpora/news/wikinews-fr-2012/wikinews_fr.jsonl",
             shared ? shared : "");
    FILE *fp = shared ? fopen(path, "r") : NULL;
    if (!fp) {
        print_message("SKIP: corpus check, $ENRICHD_SHARED/corpora/news absent\n");
        skip();
    }
    char *line = NULL;
    size_t cap = 0;
    uint32_t articles = 0, sentences = 0, words = 0;
    while (getline(&line, &cap, fp) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        const char *t = o ? json_string_value(json_object_get(o, "text")) : NULL;
        if (t) {
            ex_doc *d = make_doc(t, strlen(t));
            check_consistency(d);
            for (uint32_t i = 0; i < d->tokens.len; i++)
                words += EX_VEC_AT(d->tokens, ex_token, i).kind == EX_TOK_WORD;
            sentences += d->sentences.len;
            articles++;
            free_doc(d);
        }
        json_decref(o);
    }
    free(line);
    fclose(fp);
    assert_int_equal(articles, 100);
    /* French news: roughly 15–35 words a sentence on average */
    double avg = (double)words / sentences;
    print_message("corpus fr: %u articles, %u sentences, %.1f words/sentence\n", articles,
                  sentences, avg);
    assert_true(avg > 12.0 && avg < 40.0);
}

int main(void)
{
    int loaded = stage_res_load(&g_res);
    if (loaded != 0)
        return loaded;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),         cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_ellipsis),      cmocka_unit_test(test_abbreviations),
        cmocka_unit_test(test_numbers_and_urls), cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_corpus),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ex_tokens_res_free(&g_res);
    return rc;
}
