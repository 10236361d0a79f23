/*
 * test_text.c — unit tests of the text stage (extract/text.c): UTF-8 checking, NFC, typography,
 * white space and paragraphs, on French and English news sentences written for these tests.
 *
 * Builds each ex_doc by hand (an arena and the input) and calls ex_stage_text directly; needs no
 * data. ENRICHD_BENCH=1 adds a short throughput run (MB/s), printed, not asserted, on
 * ASCII-heavy and on French text; with ENRICHD_SHARED it also times the French news corpus.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

typedef struct text_case {
    ex_arena *arena;
    ex_doc doc;
    ex_status st;
    char err[EX_ERRLEN];
} text_case;

static text_case *run_text_n(const char *input, size_t n)
{
    text_case *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->arena = ex_arena_new(1024);
    assert_non_null(c->arena);
    c->doc.arena = c->arena;
    c->doc.in.text = input;
    c->doc.in.text_len = n;
    c->st = ex_stage_text(&c->doc, c->err, sizeof c->err);
    return c;
}

static void done(text_case *c)
{
    ex_arena_destroy(c->arena);
    free(c);
}

/* The paragraphs joined by "|" (malloc'd). */
static char *paras_joined(const ex_doc *d)
{
    char *out = malloc(d->norm_len + d->paras.len + 1);
    assert_non_null(out);
    size_t o = 0;
    for (uint32_t i = 0; i < d->paras.len; i++) {
        const ex_span *sp = &EX_VEC_AT(d->paras, ex_span, i);
        if (i)
            out[o++] = '|';
        memcpy(out + o, d->norm + sp->start, sp->end - sp->start);
        o += sp->end - sp->start;
    }
    out[o] = '\0';
    return out;
}

/* input → expected paragraphs joined by "|" */
static void check_norm_at(const char *input, size_t n, const char *expected, int line)
{
    text_case *c = run_text_n(input, n);
    if (c->st != EX_OK)
        print_error("line %d: status %d (%s)\n", line, c->st, c->err);
    assert_int_equal(c->st, EX_OK);
    char *got = paras_joined(&c->doc);
    if (strcmp(got, expected) != 0)
        print_error("line %d:\n  expected: [%s]\n  got     : [%s]\n", line, expected, got);
    assert_string_equal(got, expected);
    /* norm is NUL-terminated, never longer than the input, and paragraphs are in order */
    assert_int_equal(strlen(c->doc.norm), c->doc.norm_len);
    uint32_t prev = 0;
    for (uint32_t i = 0; i < c->doc.paras.len; i++) {
        const ex_span *sp = &EX_VEC_AT(c->doc.paras, ex_span, i);
        assert_true(sp->start >= prev && sp->end > sp->start && sp->end <= c->doc.norm_len);
        prev = sp->end;
    }
    free(got);
    done(c);
}
#define check_norm(input, expected) check_norm_at((input), strlen(input), (expected), __LINE__)

static void check_status_at(const char *input, size_t n, ex_status want, const char *err_part,
                            int line)
{
    text_case *c = run_text_n(input, n);
    if (c->st != want)
        print_error("line %d: status %d, want %d (%s)\n", line, c->st, want, c->err);
    assert_int_equal(c->st, want);
    if (err_part) {
        if (!strstr(c->err, err_part))
            print_error("line %d: err [%s] lacks [%s]\n", line, c->err, err_part);
        assert_non_null(strstr(c->err, err_part));
    }
    done(c);
}
#define check_status(input, n, want, err_part) \
    check_status_at((input), (n), (want), (err_part), __LINE__)

/* ---- spaces --------------------------------------------------------------------------------- */

static void test_spaces(void **state)
{
    (void)state;
    check_norm("Le chantier coûtera 250\u00A0000 euros.", "Le chantier coûtera 250 000 euros.");
    check_norm("Le chômage recule de 0,3\u202F% en un an\u202F!",
               "Le chômage recule de 0,3 % en un an !");
    check_norm("« Nous\u2009sommes prêts\u2009», assure-t-il\u2007:\u00A0300\u2007000 emplois.",
               "« Nous sommes prêts », assure-t-il : 300 000 emplois.");
    check_norm("  The   board\tmet \t on Monday.   ", "The board met on Monday.");
    check_norm("Le\u3000maire\u205Fa\u1680voté.", "Le maire a voté.");
}

/* ---- apostrophes and quotes ------------------------------------------------------------------ */

static void test_apostrophes(void **state)
{
    (void)state;
    check_norm("La croissance de l’économie française reste faible aujourd’hui.",
               "La croissance de l'économie française reste faible aujourd'hui.");
    check_norm("Il parle d’1,5 million d’euros qu‘il n′a pas.",
               "Il parle d'1,5 million d'euros qu'il n'a pas.");
    check_norm("L’État et l\u02BCAssemblée", "L'État et l'Assemblée");
    check_norm("The company’s shares fell; it won’t comment.",
               "The company's shares fell; it won't comment.");
    /* single quotation marks, a plural possessive and a prime stay as they are */
    check_norm("He called it ‘a disaster’ on Friday.", "He called it ‘a disaster’ on Friday.");
    check_norm("The players’ union and the 5′ mark.", "The players’ union and the 5′ mark.");
    /* quotes, dashes and ellipses are kept */
    check_norm("« C’est fini », a-t-il dit – enfin… “Really” — he said \"no\".",
               "« C'est fini », a-t-il dit – enfin… “Really” — he said \"no\".");
}

/* ---- invisible characters, controls, line breaks ------------------------------------------ */

static void test_invisible_and_controls(void **state)
{
    (void)state;
    check_norm("\uFEFFLe\u200B gouvernement\u200D a\u2060 tranché.", "Le gouvernement a tranché.");
    check_norm("La ré\u00ADforme des re\u00ADtraites", "La réforme des retraites");
    check_norm("Le\u200E texte\u202A adopté\u202C hier\u2066.\u2069", "Le texte adopté hier.");
    static const char controls[] = "Vote\x01 du\x1F bud\x7Fget\x00.";
    check_norm_at(controls, sizeof controls - 1, "Vote du budget.", __LINE__);
    check_norm("Ligne.\xC2\x85Suite\xC2\x80 ici.", "Ligne.|Suite ici."); /* NEL, C1 */
    check_norm("Premier.\r\nDeuxième.\r\nTroisième.\rQuatrième.\r\n",
               "Premier.|Deuxième.|Troisième.|Quatrième.");
    check_norm("Un texte\r\ncoupé au milieu.", "Un texte coupé au milieu.");
    check_norm("Avant.\u2028Après.\u2029Fin.", "Avant.|Après.|Fin.");
    check_norm("Avant la pause\u2029après la pause", "Avant la pause|après la pause");
}

/* ---- NFC ------------------------------------------------------------------------------------- */

static void test_nfc(void **state)
{
    (void)state;
    /* decomposed é (e + U+0301) and É become the precomposed letters */
    check_norm("Le cafe\u0301 de l'E\u0301tat", "Le caf\u00E9 de l'\u00C9tat");
    text_case *c = run_text_n("e\u0301", 3);
    assert_int_equal(c->st, EX_OK);
    assert_int_equal(c->doc.norm_len, 2);
    assert_memory_equal(c->doc.norm, "\xC3\xA9", 2);
    done(c);
    /* NFD plus typography in one text */
    check_norm("L’e\u0301conomie a\u0300 250\u00A0000", "L'économie à 250 000");
    /* singletons: U+2126 OHM SIGN → Ω, U+212B ANGSTROM SIGN → Å */
    check_norm("10 \u2126 et 3 \u212B", "10 \u03A9 et 3 \u00C5");
    /* an invisible character removed between a letter and its accent: still composed */
    check_norm("Le cafe\u200B\u0301 est servi\u00AD\u0301.", "Le caf\u00E9 est serv\u00ED.");
    /* an accent in NFD does not stop ’ from being an apostrophe */
    check_norm("The cafe\u0301’s owner", "The caf\u00E9's owner");
    /* already-NFC non-Latin text is unchanged */
    check_norm("Αθήνα и Москва 東京", "Αθήνα и Москва 東京");
}

/* ---- invalid UTF-8 --------------------------------------------------------------------------- */

static void test_invalid_utf8(void **state)
{
    (void)state;
    check_status("ab\xC0\xAF", 4, EX_EINVAL_UTF8, "byte 2");         /* overlong '/' */
    check_status("abc\xE0\x80\xAF", 6, EX_EINVAL_UTF8, "byte 3");    /* overlong, 3 bytes */
    check_status("\xF0\x82\x82\xAC", 4, EX_EINVAL_UTF8, "byte 0");   /* overlong, 4 bytes */
    check_status("x\xED\xA0\x80y", 5, EX_EINVAL_UTF8, "byte 1");     /* surrogate U+D800 */
    check_status("l'\xED\xBF\xBF", 5, EX_EINVAL_UTF8, "byte 2");     /* surrogate U+DFFF */
    check_status("prix: 5\xE2\x82", 9, EX_EINVAL_UTF8, "byte 7");    /* truncated € */
    check_status("caf\xC3", 4, EX_EINVAL_UTF8, "byte 3");            /* truncated é */
    check_status("caf\xC3 noir", 9, EX_EINVAL_UTF8, "byte 3");       /* lead + ASCII */
    check_status("\x80suite", 6, EX_EINVAL_UTF8, "byte 0");          /* stray continuation */
    check_status("ok\xF4\x90\x80\x80", 6, EX_EINVAL_UTF8, "byte 2"); /* above U+10FFFF */
    check_status("ok\xF5\x80\x80\x80", 6, EX_EINVAL_UTF8, "byte 2"); /* F5 never valid */
    check_status("ok\xFF", 3, EX_EINVAL_UTF8, "byte 2");
    /* an error far into ASCII text is found at its offset (the 8-byte fast path) */
    char buf[200];
    memset(buf, 'a', sizeof buf);
    buf[173] = (char)0xC1;
    check_status(buf, sizeof buf, EX_EINVAL_UTF8, "byte 173");
    /* the edges of the valid ranges are accepted */
    check_norm("\xC2\x80x \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xF0\x90\x80\x80 "
               "\xF4\x8F\xBF\xBF",
               "x \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xF0\x90\x80\x80 "
               "\xF4\x8F\xBF\xBF");
}

static void test_empty(void **state)
{
    (void)state;
    check_status("", 0, EX_EEMPTY, "empty");
    check_status(NULL, 0, EX_EEMPTY, NULL);
    check_status("   \n\t\n  \r\n", 10, EX_EEMPTY, NULL);
    check_status("\u00A0\u200B\n\uFEFF\u202F", 12, EX_EEMPTY, NULL);
    check_status("\x01\x02\x7F", 3, EX_EEMPTY, NULL);
    check_status(NULL, 5, EX_EINVAL, NULL);
}

/* ---- paragraphs ------------------------------------------------------------------------------ */

static void test_paragraphs(void **state)
{
    (void)state;
    check_norm("Le conseil municipal a voté.\n\n\n  La séance a duré trois heures.  \n\n",
               "Le conseil municipal a voté.|La séance a duré trois heures.");
    /* a single newline after a full sentence, or before a capital, is a paragraph break */
    check_norm("Le ministre a démissionné.\nSon successeur sera nommé lundi.",
               "Le ministre a démissionné.|Son successeur sera nommé lundi.");
    check_norm("Réforme des retraites\nLe texte arrive au Sénat.",
               "Réforme des retraites|Le texte arrive au Sénat.");
    /* a line cut in the middle of a sentence is joined to the next */
    check_norm("Le ministre de l'Économie a annoncé\nune baisse des impôts\n\u00E9tal\u00E9e sur "
               "trois ans.",
               "Le ministre de l'Économie a annoncé une baisse des impôts étalée sur trois ans.");
    check_norm("The council voted on\nthe budget late on Tuesday.\nIt passed.",
               "The council voted on the budget late on Tuesday.|It passed.");
    /* sentence ends hidden behind closing quotes still end the line's sentence */
    check_norm("« Nous resterons. »\nle lendemain, tout a changé.",
               "« Nous resterons. »|le lendemain, tout a changé.");
    check_norm("He said \"we will stay.\"\nthen left.", "He said \"we will stay.\"|then left.");
    check_norm("Pourquoi ?\nparce que…", "Pourquoi ?|parce que…");
    /* a blank line always separates, even before lower case */
    check_norm("Il a ajouté\n\nque rien n'était décidé.", "Il a ajouté|que rien n'était décidé.");
    /* a line starting with a quote or a digit is not a continuation */
    check_norm("Il a déclaré :\n« Rien n'est joué. »", "Il a déclaré :|« Rien n'est joué. »");
    check_norm("Le bilan s'établit à\n120 morts.", "Le bilan s'établit à|120 morts.");
    /* whitespace-only lines count as blank */
    check_norm("Premier.\n \t \nsecond", "Premier.|second");
    check_norm("sans fin de phrase\n   \nsuite", "sans fin de phrase|suite");
}

static void test_one_line_helper(void **state)
{
    (void)state;
    ex_arena *a = ex_arena_new(0);
    char *out = NULL;
    uint32_t n = 0;
    char err[EX_ERRLEN];
    const char *title = "  L’Élysée\n\npréci\u00ADse  sa\u00A0position ";
    assert_int_equal(ex_text_normalize(a, title, strlen(title), NULL, &out, &n, err, sizeof err),
                     EX_OK);
    assert_string_equal(out, "L'Élysée précise sa position");
    assert_int_equal(n, strlen(out));
    assert_int_equal(ex_text_normalize(a, " \u200B ", 5, NULL, &out, &n, err, sizeof err), EX_OK);
    assert_int_equal(n, 0);
    assert_string_equal(out, "");
    assert_int_equal(ex_text_normalize(a, "a\xC3", 2, NULL, &out, &n, err, sizeof err),
                     EX_EINVAL_UTF8);
    ex_arena_destroy(a);
}

/* ---- throughput (ENRICHD_BENCH=1) ---------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double bench_mb_s(const char *buf, size_t n, int rounds)
{
    double best = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        text_case *c = run_text_n(buf, n);
        double dt = now_s() - t0;
        assert_int_equal(c->st, EX_OK);
        done(c);
        double mbs = (double)n / dt / 1e6;
        if (mbs > best)
            best = mbs;
    }
    return best;
}

static char *repeat(const char *para, size_t total, size_t *n)
{
    size_t len = strlen(para);
    char *buf = malloc(total + len);
    assert_non_null(buf);
    size_t o = 0;
    while (o < total) {
        memcpy(buf + o, para, len);
        o += len;
    }
    *n = o;
    return buf;
}

static void test_bench(void **state)
{
    (void)state;
    const char *b = getenv("ENRICHD_BENCH");
    if (!b || strcmp(b, "1") != 0) {
        print_message("bench: set ENRICHD_BENCH=1 to time the text stage\n");
        return;
    }
    size_t n;
    char *en = repeat("The city council approved the new budget on Tuesday, after a debate that "
                      "lasted more than six hours. The mayor said the plan would cut waiting "
                      "times in half by 2026, while critics called it \"a promise without a "
                      "price tag\".\n\n",
                      8 << 20, &n);
    print_message("bench: text stage, English ASCII: %.0f MB/s\n", bench_mb_s(en, n, 5));
    free(en);
    char *fr = repeat("Le conseil municipal a adopté mardi le budget 2024, après un débat de plus "
                      "de six heures. « Nous tiendrons nos engagements », a déclaré le maire, "
                      "qui promet 250\u00A0000 euros pour l’école du quartier.\n\n",
                      8 << 20, &n);
    print_message("bench: text stage, French (NBSP, ’, « »): %.0f MB/s\n", bench_mb_s(fr, n, 5));
    free(fr);
    char *nfd = repeat("Le ministe\u0300re de l'e\u0301conomie a publie\u0301 ses chiffres.\n\n",
                       4 << 20, &n);
    print_message("bench: text stage, French NFD (utf8proc NFC): %.0f MB/s\n",
                  bench_mb_s(nfd, n, 3));
    free(nfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spaces),
        cmocka_unit_test(test_apostrophes),
        cmocka_unit_test(test_invisible_and_controls),
        cmocka_unit_test(test_nfc),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_paragraphs),
        cmocka_unit_test(test_one_line_helper),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
