/*
 * test_tokens.c — unit tests of the tokens stage (extract/tokens.c) on French and English news
 * sentences written for these tests: each case is input text → expected tokens joined by "|",
 * plus flag checks and invariants (every non-space byte in exactly one token, no token across a
 * block) on the shared news corpus when present.
 *
 * Needs ENRICHD_DATA (the repo's data/); exits 77 (skipped) without it. Builds each ex_doc by
 * hand (arena + text + blocks split on blank lines) and calls ex_stage_tokens directly.
 * ENRICHD_BENCH=1 adds a short timing run (MB/s of tokens + sentences), printed, not asserted.
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
#include <time.h>

#include "internal.h"
#include "stage_doc.h"

static ex_resources g_res;

static ex_doc *make_doc(const char *text, size_t n) { return stage_doc_new(&g_res, text, n, 0); }
static void free_doc(ex_doc *d) { stage_doc_free(d); }

static const ex_token *tok(const ex_doc *d, uint32_t i)
{
    return &EX_VEC_AT(d->tokens, ex_token, i);
}

/* Tokens joined by "|" (malloc'd). */
static char *joined(const ex_doc *d)
{
    size_t cap = d->text_len + d->tokens.len + 1, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (uint32_t i = 0; i < d->tokens.len; i++) {
        const ex_token *t = tok(d, i);
        if (i)
            out[len++] = '|';
        memcpy(out + len, d->text + t->start, t->end - t->start);
        len += t->end - t->start;
    }
    out[len] = '\0';
    return out;
}

static void check_tokens_at(const char *text, const char *expected, int line)
{
    ex_doc *d = make_doc(text, strlen(text));
    char *got = joined(d);
    if (strcmp(got, expected) != 0)
        print_error("line %d: input   : %s\n         expected: %s\n         got     : %s\n", line,
                    text, expected, got);
    assert_string_equal(got, expected);
    free(got);
    free_doc(d);
}
#define check_tokens(text, expected) check_tokens_at((text), (expected), __LINE__)

/* The first token whose text is s (fails if none). */
static const ex_token *find_tok(const ex_doc *d, const char *s)
{
    size_t n = strlen(s);
    for (uint32_t i = 0; i < d->tokens.len; i++) {
        const ex_token *t = tok(d, i);
        if (t->end - t->start == n && memcmp(d->text + t->start, s, n) == 0)
            return t;
    }
    print_error("token \"%s\" not found\n", s);
    fail();
    return NULL;
}

/* Token s has every flag in `on` and none in `off`, and kind `kind`. */
static void check_tok_at(const char *text, const char *s, int kind, unsigned on, unsigned off,
                         int line)
{
    ex_doc *d = make_doc(text, strlen(text));
    const ex_token *t = find_tok(d, s);
    if ((t->flags & on) != on || (t->flags & off) != 0 || t->kind != kind)
        print_error("line %d: \"%s\" in \"%s\": kind %d flags 0x%x (want kind %d, on 0x%x, off 0x%x)\n",
                    line, s, text, t->kind, t->flags, kind, on, off);
    assert_int_equal(t->kind, kind);
    assert_int_equal(t->flags & on, on);
    assert_int_equal(t->flags & off, 0);
    free_doc(d);
}
#define check_tok(text, s, kind, on, off) check_tok_at((text), (s), (kind), (on), (off), __LINE__)

/* Invariants: tokens ordered, non-empty, inside one block, and every non-space byte of a block
 * in exactly one token. */
static void check_invariants(const ex_doc *d)
{
    uint32_t bi = 0, prev_end = 0;
    for (uint32_t i = 0; i < d->tokens.len; i++) {
        const ex_token *t = tok(d, i);
        assert_true(t->start < t->end);
        assert_true(t->start >= prev_end);
        while (bi < d->blocks.len && EX_VEC_AT(d->blocks, ex_block, bi).end <= t->start)
            bi++;
        assert_true(bi < d->blocks.len);
        const ex_block *b = &EX_VEC_AT(d->blocks, ex_block, bi);
        assert_true(t->start >= b->start && t->end <= b->end);
        bool first_of_block = t->start >= b->start && (i == 0 || tok(d, i - 1)->end <= b->start);
        assert_int_equal((t->flags & EX_TF_PARA_START) != 0, first_of_block);
        /* the gap before the token is white space only */
        for (uint32_t k = prev_end; k < t->start; k++) {
            unsigned char c = (unsigned char)d->text[k];
            if (c < 0x80)
                assert_true(c <= ' ' || c == 127);
        }
        prev_end = t->end;
    }
}

/* ---- French elisions and apostrophes ------------------------------------------------------- */

static void test_elisions_fr(void **state)
{
    (void)state;
    check_tokens("L'État a dit qu'il viendrait jusqu'à lundi.",
                 "L'|État|a|dit|qu'|il|viendrait|jusqu'|à|lundi|.");
    check_tokens("Lorsqu'on parle d'1,5 million, c'est aujourd'hui qu'il faut agir.",
                 "Lorsqu'|on|parle|d'|1,5|million|,|c'|est|aujourd'hui|qu'|il|faut|agir|.");
    check_tokens("Le conseil de prud'hommes s'est réuni puisqu'il n'y avait personne.",
                 "Le|conseil|de|prud'hommes|s'|est|réuni|puisqu'|il|n'|y|avait|personne|.");
    check_tokens("Il m'a dit : « Je t'attends sur la presqu'île. »",
                 "Il|m'|a|dit|:|«|Je|t'|attends|sur|la|presqu'|île|.|»");
    check_tokens("J'ai vu quelqu'un, lorsqu'elle est partie.",
                 "J'|ai|vu|quelqu'un|,|lorsqu'|elle|est|partie|.");
    check_tokens("QU'IL VIENNE D'ABORD", "QU'|IL|VIENNE|D'|ABORD");
    check_tok("L'Élysée a répondu.", "L'", EX_TOK_WORD, EX_TF_ELISION | EX_TF_CAP, EX_TF_ALLCAPS);
    check_tok("qu'il parte", "qu'", EX_TOK_WORD, EX_TF_ELISION, EX_TF_CAP);
    check_tok("aujourd'hui", "aujourd'hui", EX_TOK_WORD, 0, EX_TF_ELISION);
    check_tokens("la Côte d'Ivoire et Valéry Giscard d'Estaing",
                 "la|Côte|d'|Ivoire|et|Valéry|Giscard|d'|Estaing");
}

static void test_apostrophes_en(void **state)
{
    (void)state;
    check_tokens("Sam's team said they're sure it's over, but don't count on it.",
                 "Sam|'s|team|said|they|'re|sure|it|'s|over|,|but|don't|count|on|it|.");
    check_tokens("I'm told O'Neill can't and won't, and we'll see what he'd say.",
                 "I|'m|told|O'Neill|can't|and|won't|,|and|we|'ll|see|what|he|'d|say|.");
    check_tokens("the company's shares, Jean-Marc's view", "the|company|'s|shares|,|Jean-Marc|'s|view");
    check_tok("Sam's", "Sam", EX_TOK_WORD, EX_TF_CAP, EX_TF_ELISION);
    check_tok("Sam's", "'s", EX_TOK_WORD, 0, EX_TF_SPACE_BEFORE | EX_TF_ELISION);
}

/* ---- hyphens and inversions ------------------------------------------------------------------ */

static void test_hyphens(void **state)
{
    (void)state;
    check_tokens("Le porte-parole Jean-Marc Dupont évoque le COVID-19 et quatre-vingt-dix victimes.",
                 "Le|porte-parole|Jean-Marc|Dupont|évoque|le|COVID-19|et|quatre-vingt-dix|victimes|.");
    check_tok("le porte-parole", "porte-parole", EX_TOK_WORD, EX_TF_HYPHEN, EX_TF_CAP);
    check_tok("le COVID-19", "COVID-19", EX_TOK_WORD, EX_TF_HYPHEN | EX_TF_ALLCAPS | EX_TF_CAP, 0);
    check_tok("Jean-Marc", "Jean-Marc", EX_TOK_WORD, EX_TF_HYPHEN | EX_TF_CAP, EX_TF_ALLCAPS);
    check_tokens("Que fera-t-il ? Viendra-t-elle ? « Non », dit-elle, a-t-on appris. Peut-être.",
                 "Que|fera|-t-|il|?|Viendra|-t-|elle|?|«|Non|»|,|dit|-|elle|,|a|-t-|on|appris|.|"
                 "Peut-être|.");
    check_tokens("Qu'est-ce que c'est ? Ainsi soit-il, ajoute-t-elles, dis-je.",
                 "Qu'|est|-|ce|que|c'|est|?|Ainsi|soit|-|il|,|ajoute|-t-|elles|,|dis|-|je|.");
    check_tokens("un rendez-vous vis-à-vis de lui-même, va-t-en", "un|rendez-vous|vis-à-vis|de|lui-même|,|va-t-en");
    check_tok("a-t-il dit", "il", EX_TOK_WORD, 0, EX_TF_SPACE_BEFORE);
    check_tok("a-t-il dit", "-t-", EX_TOK_PUNCT, 0, EX_TF_SPACE_BEFORE);
    check_tokens("les pro- et anti-vaccins", "les|pro|-|et|anti-vaccins");
    check_tokens("1999-2000", "1999|-|2000");
    check_tokens("AT&T and R&D", "AT&T|and|R&D");
    /* U+2011 non-breaking hyphen joins like "-" */
    check_tokens("le porte\u2011parole", "le|porte\u2011parole");
    check_tok("le porte\u2011parole", "porte\u2011parole", EX_TOK_WORD, EX_TF_HYPHEN, 0);
}

/* ---- numbers ---------------------------------------------------------------------------------- */

static void test_numbers_groups(void **state)
{
    (void)state;
    check_tokens("Quelque 250 000 manifestants, soit 1 500 000 euros.",
                 "Quelque|250 000|manifestants|,|soit|1 500 000|euros|.");
    check_tokens("En 2015 300 personnes sont mortes.", "En|2015|300|personnes|sont|mortes|.");
    check_tokens("le 12 mai 2015 100 000 personnes", "le|12|mai|2015|100 000|personnes");
    check_tokens("un budget de 12 000,50 euros", "un|budget|de|12 000,50|euros");
    check_tokens("Appelez le 01 23 45 67 89.", "Appelez|le|01|23|45|67|89|.");
    check_tokens("les 3 1000 et 12 3456", "les|3|1000|et|12|3456");
    check_tokens("Ils étaient 27 000.", "Ils|étaient|27 000|.");
    check_tok("Quelque 250 000 manifestants", "250 000", EX_TOK_NUMBER, EX_TF_SPACE_BEFORE, 0);
}

static void test_numbers_forms(void **state)
{
    (void)state;
    check_tokens("1,5 % et 1.5% puis 1,500,000 dollars", "1,5|%|et|1.5|%|puis|1,500,000|dollars");
    check_tokens("$3.5bn and €250m, £1.2 billion", "$|3.5bn|and|€|250m|,|£|1.2|billion");
    check_tokens("À 10h32, le 1er mai, the 21st century, 49% des voix",
                 "À|10h32|,|le|1er|mai|,|the|21st|century|,|49|%|des|voix");
    check_tokens("a 19-year-old man at 10:30 on 3.12.2020", "a|19-year-old|man|at|10:30|on|3.12.2020");
    check_tokens("En 2015. Le 2e tour, la 3ème place", "En|2015|.|Le|2e|tour|,|la|3ème|place");
    check_tokens("il mesure 1m80 et court le 100 m", "il|mesure|1m80|et|court|le|100|m");
    check_tokens("version 2.0.", "version|2.0|.");
    check_tokens("le score 3-1, 2:1", "le|score|3|-|1|,|2|:|1");
    check_tok("49%", "49", EX_TOK_NUMBER, 0, 0);
    check_tok("49%", "%", EX_TOK_SYMBOL, 0, EX_TF_SPACE_BEFORE);
    check_tok("€250m", "€", EX_TOK_SYMBOL, 0, 0);
    check_tok("€250m", "250m", EX_TOK_NUMBER, 0, EX_TF_SPACE_BEFORE);
}

/* ---- abbreviations and initials ------------------------------------------------------------- */

static void test_abbreviations_fr(void **state)
{
    (void)state;
    check_tokens("M. Dupont et Mme Durand, MM. Martin et Dr Petit.",
                 "M.|Dupont|et|Mme|Durand|,|MM.|Martin|et|Dr|Petit|.");
    check_tokens("en 52 av. J.-C., voir p. 12 et le n° 5, etc.",
                 "en|52|av.|J.-C.|,|voir|p.|12|et|le|n°|5|,|etc.");
    check_tokens("Pr. Raoult et Mmes Leroy, apr. J.-C.", "Pr.|Raoult|et|Mmes|Leroy|,|apr.|J.-C.");
    check_tokens("selon M.Houdré.", "selon|M.|Houdré|.");
    check_tok("M. Dupont", "M.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_CAP, EX_TF_ABBREV_STOP);
    check_tok("et Mme Durand", "Mme", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_CAP, 0);
    check_tok("le Dr Petit", "Dr", EX_TOK_WORD, EX_TF_ABBREV, 0);
    check_tok("le n° 5", "n°", EX_TOK_WORD, EX_TF_ABBREV, 0);
    check_tok("voir p. 12", "p.", EX_TOK_WORD, EX_TF_ABBREV, EX_TF_ABBREV_STOP);
    /* "etc." ends the sentence before a capital, not before a lower-case word */
    check_tok("des pommes, etc. Le lendemain", "etc.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_ABBREV_STOP, 0);
    check_tok("des pommes, etc. et des poires", "etc.", EX_TOK_WORD, EX_TF_ABBREV, EX_TF_ABBREV_STOP);
    check_tok("des pommes, etc.", "etc.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_ABBREV_STOP, 0);
    check_tok("en 52 av. J.-C. Les Romains", "J.-C.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_ABBREV_STOP, 0);
    /* "M." before "Le Pen" never ends the sentence */
    check_tok("selon M. Le Pen", "M.", EX_TOK_WORD, EX_TF_ABBREV, EX_TF_ABBREV_STOP);
    check_tok("selon J.-M. Le Pen", "J.-M.", EX_TOK_WORD, EX_TF_ABBREV, EX_TF_ABBREV_STOP);
}

static void test_abbreviations_en(void **state)
{
    (void)state;
    check_tokens("Mr. Smith of Acme Inc. met Mrs. Jones, Ms. Lee and Prof. Brown in the U.S. and the U.K.",
                 "Mr.|Smith|of|Acme|Inc.|met|Mrs.|Jones|,|Ms.|Lee|and|Prof.|Brown|in|the|U.S.|and|"
                 "the|U.K.");
    check_tokens("St. Louis, Martin Luther King Jr. and Dr. Ruth, e.g. today at 5 p.m. sharp",
                 "St.|Louis|,|Martin|Luther|King|Jr.|and|Dr.|Ruth|,|e.g.|today|at|5|p.m.|sharp");
    check_tokens("She holds a Ph.D. from Yale.", "She|holds|a|Ph.D.|from|Yale|.");
    check_tokens("the U.S.-led coalition", "the|U.S.|-|led|coalition");
    check_tok("U.S.-led. The", "U.S.", EX_TOK_WORD, EX_TF_ABBREV, EX_TF_ABBREV_STOP);
    check_tok("in the U.S. and", "U.S.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_ALLCAPS, EX_TF_ABBREV_STOP);
    check_tok("moved to the U.S. The move", "U.S.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_ABBREV_STOP, 0);
    check_tok("the U.S. Army said", "U.S.", EX_TOK_WORD, EX_TF_ABBREV, EX_TF_ABBREV_STOP);
    check_tok("Apple Inc. It rose", "Inc.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_ABBREV_STOP, 0);
    check_tok("Apple Inc. said", "Inc.", EX_TOK_WORD, EX_TF_ABBREV, EX_TF_ABBREV_STOP);
    check_tok("at 5 p.m. Then", "p.m.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_ABBREV_STOP, 0);
}

static void test_initials(void **state)
{
    (void)state;
    check_tokens("J. K. Rowling et John F. Kennedy", "J.|K.|Rowling|et|John|F.|Kennedy");
    check_tok("J. K. Rowling", "J.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_CAP, EX_TF_ABBREV_STOP);
    check_tok("J. K. Rowling", "K.", EX_TOK_WORD, EX_TF_ABBREV, EX_TF_ABBREV_STOP);
    /* a capital letter ending a sentence before an opener keeps its dot but ends the sentence */
    check_tokens("le plan B. Le lendemain", "le|plan|B.|Le|lendemain");
    check_tok("le plan B. Le lendemain", "B.", EX_TOK_WORD, EX_TF_ABBREV | EX_TF_ABBREV_STOP, 0);
    /* no capital after: a plain full stop */
    check_tokens("la vitamine D. et puis", "la|vitamine|D|.|et|puis");
    check_tokens("le groupe A.", "le|groupe|A|.");
}

/* ---- URLs, e-mail, hashtags -------------------------------------------------------------------- */

static void test_urls(void **state)
{
    (void)state;
    check_tokens("Voir https://www.lemonde.fr/politique/article.html. Écrire à jean.dupont@lemonde.fr "
                 "ou sur lemonde.fr, #Macron et @elysee.",
                 "Voir|https://www.lemonde.fr/politique/article.html|.|Écrire|à|jean.dupont@lemonde.fr|"
                 "ou|sur|lemonde.fr|,|#Macron|et|@elysee|.");
    check_tokens("(see www.bbc.co.uk/news) or contact press@example.org.",
                 "(|see|www.bbc.co.uk/news|)|or|contact|press@example.org|.");
    check_tokens("http://fr.wikipedia.org/wiki/Paris_(France), fin",
                 "http://fr.wikipedia.org/wiki/Paris_(France)|,|fin");
    check_tokens("Amazon.com a publié", "Amazon.com|a|publié");
    check_tokens("la fin.Le début", "la|fin|.|Le|début");
    check_tok("press@example.org", "press@example.org", EX_TOK_OTHER, 0, 0);
    check_tok("#MeToo", "#MeToo", EX_TOK_WORD, EX_TF_CAP, 0);
    check_tokens("le #1 et a # b", "le|#|1|et|a|#|b");
}

/* ---- punctuation, quotes, flags --------------------------------------------------------------- */

static void test_punctuation(void **state)
{
    (void)state;
    check_tokens("« Oui ! » “Non ?” \"Peut-être...\" (sic) [1] ; – — … / *",
                 "«|Oui|!|»|“|Non|?|”|\"|Peut-être|...|\"|(|sic|)|[|1|]|;|–|—|…|/|*");
    check_tok("« Oui »", "«", EX_TOK_PUNCT, EX_TF_QUOTE_OPEN, EX_TF_QUOTE_CLOSE);
    check_tok("« Oui »", "»", EX_TOK_PUNCT, EX_TF_QUOTE_CLOSE, EX_TF_QUOTE_OPEN);
    check_tok("“Non”", "“", EX_TOK_PUNCT, EX_TF_QUOTE_OPEN, 0);
    check_tok("“Non”", "”", EX_TOK_PUNCT, EX_TF_QUOTE_CLOSE, 0);
    check_tokens("Il attend... Puis -- rien.", "Il|attend|...|Puis|--|rien|.");

    const char *text = "He said \"yes\" and \"no\", then \"maybe.\"";
    ex_doc *d = make_doc(text, strlen(text));
    unsigned want[] = {EX_TF_QUOTE_OPEN, EX_TF_QUOTE_CLOSE, EX_TF_QUOTE_OPEN, EX_TF_QUOTE_CLOSE,
                       EX_TF_QUOTE_OPEN, EX_TF_QUOTE_CLOSE};
    size_t k = 0;
    for (uint32_t i = 0; i < d->tokens.len; i++) {
        const ex_token *t = tok(d, i);
        if (d->text[t->start] != '"')
            continue;
        assert_true(k < 6);
        assert_int_equal(t->flags & (EX_TF_QUOTE_OPEN | EX_TF_QUOTE_CLOSE), want[k]);
        k++;
    }
    assert_int_equal(k, 6);
    free_doc(d);
}

static void test_flags(void **state)
{
    (void)state;
    const char *text = "Le PDG de l'ONU a parlé.\n\nSecond paragraphe, NASA.";
    ex_doc *d = make_doc(text, strlen(text));
    char *got = joined(d);
    assert_string_equal(got, "Le|PDG|de|l'|ONU|a|parlé|.|Second|paragraphe|,|NASA|.");
    free(got);
    assert_int_equal(tok(d, 0)->flags, EX_TF_CAP | EX_TF_PARA_START);
    assert_int_equal(tok(d, 1)->flags, EX_TF_CAP | EX_TF_ALLCAPS | EX_TF_SPACE_BEFORE);
    assert_int_equal(tok(d, 3)->flags, EX_TF_ELISION | EX_TF_SPACE_BEFORE);
    assert_int_equal(tok(d, 4)->flags, EX_TF_CAP | EX_TF_ALLCAPS);
    assert_int_equal(tok(d, 7)->flags, 0);
    assert_int_equal(tok(d, 7)->kind, EX_TOK_PUNCT);
    assert_int_equal(tok(d, 8)->flags, EX_TF_CAP | EX_TF_PARA_START | EX_TF_SPACE_BEFORE);
    assert_int_equal(tok(d, 2)->kind, EX_TOK_WORD);
    check_invariants(d);
    free_doc(d);

    check_tok("un Été", "Été", EX_TOK_WORD, EX_TF_CAP, EX_TF_ALLCAPS);
    check_tok("l'ÉTÉ", "ÉTÉ", EX_TOK_WORD, EX_TF_CAP | EX_TF_ALLCAPS, 0);
    check_tok("iPhone", "iPhone", EX_TOK_WORD, 0, EX_TF_CAP);
    check_tokens("emoji 👍🏽 ici ❤️ et 👨‍👩‍👧", "emoji|👍🏽|ici|❤️|et|👨‍👩‍👧");
    check_tok("emoji 👍🏽 ici", "👍🏽", EX_TOK_OTHER, 0, 0);
    check_tokens("Ελλάδα και Москва", "Ελλάδα|και|Москва");
    check_tokens("a\tb\r\nc", "a|b|c");
}

static void test_blocks(void **state)
{
    (void)state;
    /* blocks given by layout: a token never crosses one, each block's first token is flagged */
    const char *text = "Titre sans point\n\nLe corps. « Citation\n\nsuite » fin";
    ex_doc *d = make_doc(text, strlen(text));
    assert_int_equal(d->blocks.len, 3);
    check_invariants(d);
    char *got = joined(d);
    assert_string_equal(got, "Titre|sans|point|Le|corps|.|«|Citation|suite|»|fin");
    free(got);
    free_doc(d);

    /* no blocks at all: blank lines split paragraphs */
    ex_doc *e = calloc(1, sizeof *e);
    assert_non_null(e);
    e->arena = ex_arena_new(4096);
    e->res = &g_res;
    e->text = ex_arena_strndup(e->arena, "Un.\n\nDeux.", 10);
    e->text_len = 10;
    char err[EX_ERRLEN];
    assert_int_equal(ex_stage_tokens(e, err, sizeof err), EX_OK);
    assert_int_equal(e->tokens.len, 4);
    assert_true(tok(e, 0)->flags & EX_TF_PARA_START);
    assert_true(tok(e, 2)->flags & EX_TF_PARA_START);
    assert_false(tok(e, 1)->flags & EX_TF_PARA_START);
    free_doc(e);

    /* empty text: no tokens, no error */
    ex_doc *f = make_doc("", 0);
    assert_int_equal(f->tokens.len, 0);
    free_doc(f);
}

/* Random bytes (ASCII punctuation, digits, letters and UTF-8 pieces, some invalid): no crash,
 * invariants hold. */
static void test_random_text(void **state)
{
    (void)state;
    static const char *const pieces[] = {"a", "Z", "é", "É", "1", "0", " ", " ", "\n", "\n\n", ".",
                                         ",", "'", "\"", "-", "@", "#", "«", "»", "…", "–", ":",
                                         "/", "http://", "www.", "l'", "-t-il", "€", "%", "\xC3",
                                         "\xE2\x80", "\xFF", "😀", "\xCC\x81", "&", "(", ")", "?"};
    unsigned seed = 12345;
    char buf[4096];
    for (int round = 0; round < 300; round++) {
        size_t len = 0;
        while (len < sizeof buf - 16) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(p);
            memcpy(buf + len, p, n);
            len += n;
            if (((seed >> 8) & 0xFF) == 0)
                break;
        }
        ex_doc *d = make_doc(buf, len);
        check_invariants(d);
        free_doc(d);
    }
}

/* ---- the shared news corpus ------------------------------------------------------------------ */

/* All article texts of the shared corpora joined by blank lines (malloc'd), or NULL. */
static char *load_corpus(size_t *out_len)
{
    const char *shared = getenv("ENRICHD_SHARED");
    if (!shared)
        return NULL;
    static const char *const files[] = {"corpora/news/wikinews-fr-2012/wikinews_fr.jsonl",
                                        "corpora/news/gum-wikinews-en/gum_wikinews_en.jsonl"};
    size_t cap = 1 << 20, len = 0;
    char *all = malloc(cap);
    assert_non_null(all);
    for (size_t f = 0; f < 2; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", shared, files[f]);
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue;
        char *line = NULL;
        size_t lcap = 0;
        while (getline(&line, &lcap, fp) > 0) {
            json_t *o = json_loads(line, 0, NULL);
            const char *t = o ? json_string_value(json_object_get(o, "text")) : NULL;
            if (t) {
                size_t n = strlen(t);
                while (len + n + 3 > cap) {
                    cap *= 2;
                    all = realloc(all, cap);
                    assert_non_null(all);
                }
                if (len) {
                    memcpy(all + len, "\n\n", 2);
                    len += 2;
                }
                memcpy(all + len, t, n);
                len += n;
            }
            json_decref(o);
        }
        free(line);
        fclose(fp);
    }
    if (len == 0) {
        free(all);
        return NULL;
    }
    all[len] = '\0';
    *out_len = len;
    return all;
}

static void test_corpus_invariants(void **state)
{
    (void)state;
    size_t len;
    char *all = load_corpus(&len);
    if (!all) {
        print_message("SKIP: corpus check, $ENRICHD_SHARED/corpora/news absent\n");
        skip();
    }
    ex_doc *d = make_doc(all, len);
    check_invariants(d);
    /* every word token of the corpus is at most one hyphenated/apostrophed word: sanity on size */
    uint32_t words = 0, numbers = 0;
    for (uint32_t i = 0; i < d->tokens.len; i++) {
        words += tok(d, i)->kind == EX_TOK_WORD;
        numbers += tok(d, i)->kind == EX_TOK_NUMBER;
    }
    assert_true(words > 40000);
    assert_true(numbers > 500);
    print_message("corpus: %zu bytes, %u tokens, %u words, %u numbers\n", len, d->tokens.len,
                  words, numbers);
    free_doc(d);
    free(all);
}

/* ENRICHD_BENCH=1: MB/s of tokens + sentences on the corpus (printed, never asserted). */
static void test_bench(void **state)
{
    (void)state;
    if (!getenv("ENRICHD_BENCH"))
        skip();
    size_t len;
    char *all = load_corpus(&len);
    if (!all)
        skip();
    ex_doc *d = make_doc(all, len);
    char err[EX_ERRLEN];
    int rounds = 40;
    struct timespec t0, t1, t2;
    double tok_s = 0, sen_s = 0;
    for (int r = 0; r < rounds; r++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(ex_stage_tokens(d, err, sizeof err), EX_OK);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_int_equal(ex_stage_sentences(d, err, sizeof err), EX_OK);
        clock_gettime(CLOCK_MONOTONIC, &t2);
        tok_s += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        sen_s += (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9;
    }
    double mb = (double)len * rounds / 1e6;
    print_message("bench: %.2f MB x %d: tokens %.1f MB/s, sentences %.1f MB/s, both %.1f MB/s "
                  "(%u tokens, %u sentences)\n",
                  (double)len / 1e6, rounds, mb / tok_s, mb / sen_s, mb / (tok_s + sen_s),
                  d->tokens.len, d->sentences.len);
    free_doc(d);
    free(all);
}

static void test_res_errors(void **state)
{
    (void)state;
    ex_resources r = {0};
    char err[EX_ERRLEN] = "";
    assert_int_equal(ex_tokens_res_load(&r, "/nonexistent-enrichd-data", err, sizeof err), EX_EIO);
    assert_true(strlen(err) > 0);
    assert_null(r.tokens);
    ex_tokens_res_free(&r);
    /* without resources the stage still cuts words, numbers and punctuation */
    ex_doc *d = calloc(1, sizeof *d);
    assert_non_null(d);
    d->arena = ex_arena_new(4096);
    const char *text = "L'ONU a 250 000 membres.";
    d->text = ex_arena_strndup(d->arena, text, strlen(text));
    d->text_len = (uint32_t)strlen(text);
    assert_int_equal(ex_stage_tokens(d, err, sizeof err), EX_OK);
    char *got = joined(d);
    assert_string_equal(got, "L'ONU|a|250 000|membres|.");
    free(got);
    free_doc(d);
}

int main(void)
{
    int loaded = stage_res_load(&g_res);
    if (loaded != 0)
        return loaded;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elisions_fr),      cmocka_unit_test(test_apostrophes_en),
        cmocka_unit_test(test_hyphens),          cmocka_unit_test(test_numbers_groups),
        cmocka_unit_test(test_numbers_forms),    cmocka_unit_test(test_abbreviations_fr),
        cmocka_unit_test(test_abbreviations_en), cmocka_unit_test(test_initials),
        cmocka_unit_test(test_urls),             cmocka_unit_test(test_punctuation),
        cmocka_unit_test(test_flags),            cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_random_text),      cmocka_unit_test(test_corpus_invariants),
        cmocka_unit_test(test_res_errors),       cmocka_unit_test(test_bench),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ex_tokens_res_free(&g_res);
    return rc;
}
