/*
 * test_layout.c — unit tests of the layout stage (extract/layout.c, layout_words.c): every
 * shape of issue 3 (section, title, standfirst, bylines, datelines, subheadings, pull quotes,
 * furniture), French and English, and the adversarial cases (a one-word subheading, a sentence
 * starting with "Par", a quotation with no attribution, a title and one line, plain text,
 * envelope title not repeated, a "Facebook" subheading, a page made only of furniture).
 * The articles are invented for these tests. Needs $ENRICHD_DATA (else exit 77).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static ex_resources *g_res;

static ex_doc *run_env(const char *text, const char *title, const char *published,
                       int64_t received_ms)
{
    ex_input in = {.text = text, .text_len = strlen(text), .title = title,
                   .published = published, .received_ms = received_ms};
    ex_doc *doc = NULL;
    char err[EX_ERRLEN] = "";
    ex_status st = ex_extract(g_res, &in, &doc, err, sizeof err);
    if (st != EX_OK)
        print_error("ex_extract: %s\n", err);
    assert_int_equal(st, EX_OK);
    return doc;
}

static ex_doc *run(const char *text)
{
    return run_env(text, NULL, NULL, 0);
}

/* The block kinds, comma-separated: "title,byline,body". */
static const char *kinds(const ex_doc *doc)
{
    static char buf[1024];
    buf[0] = '\0';
    for (uint32_t i = 0; i < doc->blocks.len; i++) {
        const ex_block *b = &EX_VEC_AT(doc->blocks, ex_block, i);
        if (i)
            strcat(buf, ",");
        strcat(buf, ex_block_kind_name(b->kind));
    }
    return buf;
}

/* The text of block i (static buffer). */
static const char *block_text(const ex_doc *doc, uint32_t i)
{
    static char buf[2048];
    assert_true(i < doc->blocks.len);
    const ex_block *b = &EX_VEC_AT(doc->blocks, ex_block, i);
    snprintf(buf, sizeof buf, "%.*s", (int)(b->end - b->start), doc->text + b->start);
    return buf;
}

/* Authors joined by "; ". */
static const char *authors(const ex_doc *doc)
{
    static char buf[1024];
    buf[0] = '\0';
    for (uint32_t i = 0; i < doc->authors.len; i++) {
        if (i)
            strcat(buf, "; ");
        strcat(buf, EX_VEC_AT(doc->authors, const char *, i));
    }
    return buf;
}

static void check_str(const char *got, const char *want, int line)
{
    if (!want) {
        if (got)
            print_error("line %d: got [%s], want NULL\n", line, got);
        assert_null(got);
        return;
    }
    if (!got || strcmp(got, want) != 0)
        print_error("line %d: got [%s], want [%s]\n", line, got ? got : "(null)", want);
    assert_non_null(got);
    assert_string_equal(got, want);
}
#define CHECK_STR(got, want) check_str((got), (want), __LINE__)

/* Every block lies inside text, in order, not overlapping; text has no furniture left. */
static void check_invariants(const ex_doc *doc)
{
    uint32_t prev = 0;
    for (uint32_t i = 0; i < doc->blocks.len; i++) {
        const ex_block *b = &EX_VEC_AT(doc->blocks, ex_block, i);
        assert_true(b->start >= prev && b->end >= b->start && b->end <= doc->text_len);
        prev = b->end;
    }
    assert_int_equal(strlen(doc->text), doc->text_len);
    for (uint32_t i = 0; i < doc->boilerplate.len; i++) {
        const ex_boiler *bo = &EX_VEC_AT(doc->boilerplate, ex_boiler, i);
        assert_null(strstr(doc->text, bo->text));
    }
}

/* ---- a whole page copy ----------------------------------------------------------------------- */

static void test_page_fr(void **state)
{
    (void)state;
    ex_doc *doc = run("Eco\n\n"
                      "La coopérative laitière de Brévanne rachète une fromagerie\n\n"
                      "L'opération, d'un montant de 12 millions d'euros, doit sauver 80 emplois "
                      "dans la vallée.\n\n"
                      "Par Lucie Marchand et Paul-Henri de La Roche\n\n"
                      "Publié le 20/11/2023 à 10h32, mis à jour le 21/11/2023 à 08h00\n\n"
                      "Les éleveurs ont voté mardi soir à une large majorité.\n\n"
                      "À LIRE AUSSI : Le prix du lait payé aux producteurs recule\n\n"
                      "Un pari sur l'export\n\n"
                      "La fromagerie vend déjà un tiers de sa production en Italie.\n\n"
                      "Partager cet article\n");
    check_invariants(doc);
    CHECK_STR(doc->section, "Eco");
    CHECK_STR(doc->title, "La coopérative laitière de Brévanne rachète une fromagerie");
    CHECK_STR(doc->standfirst, "L'opération, d'un montant de 12 millions d'euros, doit sauver "
                               "80 emplois dans la vallée.");
    CHECK_STR(authors(doc), "Lucie Marchand; Paul-Henri de La Roche");
    CHECK_STR(doc->published, "2023-11-20"); /* the first publication, not the update */
    CHECK_STR(doc->published_from, "byline");
    CHECK_STR(kinds(doc), "title,standfirst,body,subheading,body"); /* bylines: fields only */
    assert_int_equal(doc->subheadings.len, 1);
    assert_int_equal(doc->boilerplate.len, 2);
    const ex_boiler *b0 = &EX_VEC_AT(doc->boilerplate, ex_boiler, 0);
    const ex_boiler *b1 = &EX_VEC_AT(doc->boilerplate, ex_boiler, 1);
    assert_int_equal(b0->kind, EX_BOILER_RELATED);
    CHECK_STR(b0->text, "À LIRE AUSSI : Le prix du lait payé aux producteurs recule");
    assert_int_equal(b1->kind, EX_BOILER_SHARE);
    assert_null(strstr(doc->text, "Eco\n")); /* the section label leaves the text */
    ex_doc_free(doc);
}

static void test_page_en(void **state)
{
    (void)state;
    ex_doc *doc = run("World\n\n"
                      "Harbour city votes to ban cruise ships from its old port\n\n"
                      "By Anna Kowalski and Tom Reyes\n\n"
                      "Updated Nov. 20, 2023 10:32 a.m. ET\n\n"
                      "Councillors in the harbour city voted on Monday to keep large cruise ships "
                      "out of the historic port from next summer.\n\n"
                      "Advertisement\n\n"
                      "The decision follows two years of complaints from residents.\n\n"
                      "Read more: Cruise lines face new port fees\n");
    check_invariants(doc);
    CHECK_STR(doc->section, "World");
    CHECK_STR(doc->title, "Harbour city votes to ban cruise ships from its old port");
    CHECK_STR(authors(doc), "Anna Kowalski; Tom Reyes");
    /* only an update date: better than the receive time, used last */
    CHECK_STR(doc->published, "2023-11-20");
    CHECK_STR(doc->published_from, "byline");
    CHECK_STR(kinds(doc), "title,body,body");
    assert_null(doc->standfirst); /* nothing marks the first paragraph as a standfirst */
    assert_int_equal(doc->boilerplate.len, 2);
    assert_int_equal(EX_VEC_AT(doc->boilerplate, ex_boiler, 0).kind, EX_BOILER_AD);
    assert_int_equal(EX_VEC_AT(doc->boilerplate, ex_boiler, 1).kind, EX_BOILER_RELATED);
    ex_doc_free(doc);
}

/* ---- bylines --------------------------------------------------------------------------------- */

static void check_byline_at(const char *line, const char *want_authors, const char *want_pub,
                            int ln)
{
    char text[1024];
    snprintf(text, sizeof text,
             "Le conseil municipal adopte son budget\n\n%s\n\n"
             "Les élus ont adopté mardi un budget de 40 millions d'euros.\n\n"
             "L'opposition a voté contre.\n",
             line);
    ex_doc *doc = run(text);
    check_invariants(doc);
    if (strcmp(kinds(doc), "title,body,body") != 0)
        print_error("line %d: [%s] gives blocks %s\n", ln, line, kinds(doc));
    assert_string_equal(kinds(doc), "title,body,body"); /* the byline leaves the text */
    assert_null(strstr(doc->text, line));
    check_str(authors(doc), want_authors, ln);
    if (want_pub) {
        check_str(doc->published, want_pub, ln);
        check_str(doc->published_from, "byline", ln);
    } else {
        assert_null(doc->published);
    }
    ex_doc_free(doc);
}
#define CHECK_BYLINE(l, a, p) check_byline_at((l), (a), (p), __LINE__)

static void test_bylines(void **state)
{
    (void)state;
    CHECK_BYLINE("Par Thierry Derouet", "Thierry Derouet", NULL);
    CHECK_BYLINE("Par Anne Roux et Marc Petit", "Anne Roux; Marc Petit", NULL);
    CHECK_BYLINE("Par Anne Roux, Marc Petit et J.-P. Lenoir", "Anne Roux; Marc Petit; J.-P. Lenoir",
                 NULL);
    CHECK_BYLINE("By Sarah O'Neill and David van der Berg", "Sarah O'Neill; David van der Berg",
                 NULL);
    CHECK_BYLINE("Par Thierry Derouet, publié le 20 novembre 2023", "Thierry Derouet",
                 "2023-11-20");
    CHECK_BYLINE("Publié le 20/11/2023 à 10h32, mis à jour le 21/11/2023 à 08h00", "",
                 "2023-11-20");
    CHECK_BYLINE("Mis à jour le 21 novembre 2023 à 08h00. Publié le 1er novembre 2023", "",
                 "2023-11-01");
    CHECK_BYLINE("Updated Nov. 20, 2023 10:32 a.m. ET", "", "2023-11-20");
    CHECK_BYLINE("Published 9 February 2024", "", "2024-02-09");
    CHECK_BYLINE("Jane Doe | Reporter", "Jane Doe", NULL);
    CHECK_BYLINE("(AFP)", "AFP", NULL);
    CHECK_BYLINE("— Reuters", "Reuters", NULL);
    CHECK_BYLINE("Par Le Courrier avec AFP", "Le Courrier", NULL);
    CHECK_BYLINE("By Kim Lee | Published March 3, 2024", "Kim Lee", "2024-03-03");
    CHECK_BYLINE("By Sam Hart, July 2, 2024", "Sam Hart", "2024-07-02");
    CHECK_BYLINE("By Jane Corrigan, Staff Writer", "Jane Corrigan", NULL);
    CHECK_BYLINE("Par Inès Morel, envoyée spéciale à Kiev", "Inès Morel", NULL);
    CHECK_BYLINE("Posted on November 20, 2023 by John Smith", "John Smith", "2023-11-20");
    CHECK_BYLINE("Published: 20 Nov 2023", "", "2023-11-20");
    CHECK_BYLINE("By JANE DOE", "JANE DOE", NULL);
    CHECK_BYLINE("Par Marie Dupont (avec AFP)", "Marie Dupont", NULL);
    CHECK_BYLINE("Thierry Derouet, publié le 20 novembre 2023", "Thierry Derouet", "2023-11-20");
    CHECK_BYLINE("Publié aujourd'hui à 10h32", "", NULL);
    CHECK_BYLINE("Par la rédaction", "", NULL);
    CHECK_BYLINE("De notre envoyée spéciale à Kiev", "", NULL);
    CHECK_BYLINE("By Staff, Nov. 20, 2023", "", "2023-11-20");
    CHECK_BYLINE("By Ana Ruiz, Li Wei, and Tom Pratt", "Ana Ruiz; Li Wei; Tom Pratt", NULL);
    CHECK_BYLINE("Par Hugo Marchal - 20 novembre 2023 à 10h32", "Hugo Marchal", "2023-11-20");

    /* a date alone next to a byline is a date line; "Le 12/03/2024 à 07h45" too */
    ex_doc *doc = run("Le conseil municipal adopte son budget\n\nPar Anne Roux\n"
                      "Le 12/03/2024 à 07h45\n\nLes élus ont adopté mardi le budget.\n");
    CHECK_STR(kinds(doc), "title,body");
    CHECK_STR(doc->published, "2024-03-12");
    ex_doc_free(doc);
    doc = run("Reservoir reopens to swimmers\n\nThu 14 Mar 2024 07.00 GMT\nBy Oliver Brandt\n\n"
              "The reservoir reopened on Wednesday.\n");
    CHECK_STR(kinds(doc), "title,body");
    CHECK_STR(authors(doc), "Oliver Brandt");
    CHECK_STR(doc->published, "2024-03-14");
    ex_doc_free(doc);
}

static void test_not_bylines(void **state)
{
    (void)state;
    /* sentences that start with "Par" / "By" stay body paragraphs */
    ex_doc *doc = run("Le conseil municipal adopte son budget\n\n"
                      "Par ailleurs, la ville va embaucher dix agents.\n\n"
                      "Par Internet, les habitants pourront suivre les débats.\n\n"
                      "By the end of the year, the works should be finished.\n");
    CHECK_STR(kinds(doc), "title,body,body,body");
    assert_int_equal(doc->authors.len, 0);
    ex_doc_free(doc);
    doc = run("Le rapport sur l'eau divise les élus\n\nLes élus ont débattu mardi.\n\n"
              "Publié avec le soutien de la région\n");
    CHECK_STR(kinds(doc), "title,body,body");
    ex_doc_free(doc);
    doc = run("Le rapport sur l'eau divise les élus\n\n"
              "Publié le 3 mars 2024, le rapport de la chambre régionale a fait grand bruit.\n\n"
              "Les élus de l'opposition réclament un audit.\n");
    CHECK_STR(kinds(doc), "title,body,body");
    assert_null(doc->published);
    ex_doc_free(doc);
    /* an agency signature at the end of the article is a byline */
    doc = run("Le conseil municipal adopte son budget\n\n"
              "Les élus ont adopté mardi un budget de 40 millions d'euros.\n\n"
              "L'opposition a voté contre.\n\n(AFP)\n");
    CHECK_STR(kinds(doc), "title,body,body");
    CHECK_STR(authors(doc), "AFP");
    ex_doc_free(doc);
    /* an agency is an author only when it signs alone */
    doc = run("Le conseil municipal adopte son budget\n\nPar Anne Roux\n\n"
              "Les élus ont adopté mardi un budget de 40 millions d'euros.\n\n"
              "L'opposition a voté contre.\n\n— Reuters\n");
    CHECK_STR(authors(doc), "Anne Roux");
    CHECK_STR(kinds(doc), "title,body,body");
    ex_doc_free(doc);
    /* a dateline's agency signs a dispatch that has no byline */
    doc = run("Le conseil municipal adopte son budget\n\n"
              "PARIS (AFP) – Les élus ont adopté mardi un budget de 40 millions d'euros.\n");
    CHECK_STR(authors(doc), "AFP");
    CHECK_STR(kinds(doc), "title,body");
    ex_doc_free(doc);
}

/* ---- datelines and the published date ---------------------------------------------------------- */

static void check_dateline_at(const char *first, const char *want, int ln)
{
    char text[1024];
    snprintf(text, sizeof text,
             "Séisme dans le sud du pays\n\n%s Une secousse de magnitude 5 a été ressentie.\n\n"
             "Aucune victime n'est à déplorer.\n",
             first);
    ex_doc *doc = run_env(text, NULL, NULL, 1700000000000);
    check_invariants(doc);
    assert_non_null(strstr(doc->text, first)); /* the dateline stays in the body */
    if (want) {
        check_str(doc->published, want, ln);
        check_str(doc->published_from, "byline", ln);
    } else {
        check_str(doc->published_from, "received", ln);
    }
    ex_doc_free(doc);
}
#define CHECK_DATELINE(f, w) check_dateline_at((f), (w), __LINE__)

static void test_datelines(void **state)
{
    (void)state;
    CHECK_DATELINE("22 mai 2012. –", "2012-05-22");
    CHECK_DATELINE("22 mai 2012. -", "2012-05-22");
    CHECK_DATELINE("2 janvier 2018 . –", "2018-01-02");
    CHECK_DATELINE("1er janvier 2016, 14h30 . –", "2016-01-01");
    CHECK_DATELINE("12 mars 2016, Montpellier . –", "2016-03-12");
    CHECK_DATELINE("Thursday, May 7, 2015 –", "2015-05-07");
    CHECK_DATELINE("LONDRES, 3 mars 2024 (Reuters) -", "2024-03-03");
    CHECK_DATELINE("PARIS (AFP) –", NULL);
    CHECK_DATELINE("WASHINGTON —", NULL);
    /* a sentence that starts with a date is no dateline */
    CHECK_DATELINE("22 mai 2012. Le pays se réveille.", NULL);

    /* a date alone on the line after the title (Wikinews English) */
    ex_doc *doc = run("Town elects its first woman mayor\n\nThursday, May 7, 2015\n\n"
                      "Voters in the town elected their first woman mayor on Tuesday.\n");
    CHECK_STR(doc->published, "2015-05-07");
    CHECK_STR(kinds(doc), "title,body,body");
    ex_doc_free(doc);

    /* precedence: envelope, then byline publication, then dateline, then received */
    const char *art = "Séisme dans le sud du pays\n\nPublié le 3 mars 2024\n\n"
                      "2 mars 2024 . – Une secousse a été ressentie.\n";
    doc = run_env(art, NULL, "2024-03-05T10:00:00Z", 1700000000000);
    CHECK_STR(doc->published, "2024-03-05");
    CHECK_STR(doc->published_from, "envelope");
    ex_doc_free(doc);
    doc = run_env(art, NULL, NULL, 1700000000000);
    CHECK_STR(doc->published, "2024-03-03");
    CHECK_STR(doc->published_from, "byline");
    ex_doc_free(doc);
    doc = run_env("Séisme dans le sud du pays\n\nMis à jour le 4 mars 2024\n\n"
                  "2 mars 2024 . – Une secousse a été ressentie.\n",
                  NULL, NULL, 1700000000000);
    CHECK_STR(doc->published, "2024-03-02"); /* the dateline beats an update date */
    ex_doc_free(doc);
}

/* ---- subheadings and pull quotes --------------------------------------------------------------- */

static void test_subheadings(void **state)
{
    (void)state;
    ex_doc *doc = run("La ligne de tramway sera prolongée\n\n"
                      "Les travaux commenceront au printemps et dureront deux ans.\n\n"
                      "Réactions\n\n"
                      "Les commerçants craignent une baisse de leur chiffre d'affaires.\n\n"
                      "Et après ?\n\n"
                      "Une troisième ligne est à l'étude.\n\n"
                      "Fin des travaux prévue en 2027\n");
    check_invariants(doc);
    CHECK_STR(kinds(doc), "title,body,subheading,body,subheading,body,body");
    assert_int_equal(doc->subheadings.len, 2);
    const ex_span *s0 = &EX_VEC_AT(doc->subheadings, ex_span, 0);
    assert_int_equal(s0->end - s0->start, strlen("Réactions"));
    assert_memory_equal(doc->text + s0->start, "Réactions", s0->end - s0->start);
    ex_doc_free(doc);

    /* an interviewer's long question is body */
    doc = run("Entretien avec la directrice du musée\n\nLe musée rouvre samedi.\n\n"
              "Qu'est-ce qui a le plus changé dans les salles depuis la fermeture ?\n\n"
              "Tout, ou presque : la lumière, les vitrines, le parcours.\n");
    CHECK_STR(kinds(doc), "title,body,body,body");
    ex_doc_free(doc);

    /* a line that ends with a colon introduces what follows: no subheading */
    doc = run("La ligne de tramway sera prolongée\n\nLes travaux commenceront au printemps.\n\n"
              "Le maire a précisé :\n\n« Nous tiendrons les délais. »\n");
    CHECK_STR(kinds(doc), "title,body,body,body");
    ex_doc_free(doc);

    /* "Facebook" alone is a subheading, not a share button */
    doc = run("Les réseaux sociaux face aux régulateurs\n\nBruxelles durcit le ton.\n\n"
              "Facebook\n\nLe groupe devra publier ses algorithmes.\n\nTikTok\n\n"
              "La plateforme conteste l'amende.\n");
    CHECK_STR(kinds(doc), "title,body,subheading,body,subheading,body");
    assert_int_equal(doc->boilerplate.len, 0);
    ex_doc_free(doc);
}

static void test_pullquotes(void **state)
{
    (void)state;
    ex_doc *doc = run("L'intelligence artificielle arrive dans les bureaux\n\n"
                      "Les éditeurs de logiciels multiplient les annonces.\n\n"
                      "« Chaque salarié aura bientôt son assistant »\n\n"
                      "Satya Nadella, PDG de Microsoft\n\n"
                      "Les syndicats restent prudents.\n\n"
                      "“We are only at the beginning”\n\n"
                      "Greg Brockman – Cofondateur d'OpenAI\n\n"
                      "\"Nobody knows where this ends\"\n\n"
                      "— Jane Doe, CEO\n\n"
                      "« Une quotation sans personne pour la signer. »\n\n"
                      "La suite au prochain épisode.\n");
    check_invariants(doc);
    CHECK_STR(kinds(doc), "title,body,pullquote,attribution,body,pullquote,attribution,pullquote,"
                          "attribution,body,body");
    CHECK_STR(block_text(doc, 3), "Satya Nadella, PDG de Microsoft");
    CHECK_STR(block_text(doc, 8), "— Jane Doe, CEO");
    ex_doc_free(doc);
}

/* ---- furniture ------------------------------------------------------------------------------- */

static void check_furniture_at(const char *line, ex_boiler_kind want, int ln)
{
    char text[1024];
    snprintf(text, sizeof text,
             "Le port de commerce investit\n\nLes quais seront rénovés dès cet été.\n\n%s\n\n"
             "Le chantier durera deux ans.\n",
             line);
    ex_doc *doc = run(text);
    check_invariants(doc);
    if (doc->boilerplate.len != 1)
        print_error("line %d: [%s] is not furniture (blocks %s)\n", ln, line, kinds(doc));
    assert_int_equal(doc->boilerplate.len, 1);
    const ex_boiler *b = &EX_VEC_AT(doc->boilerplate, ex_boiler, 0);
    if (b->kind != want)
        print_error("line %d: [%s] is %s\n", ln, line, ex_boiler_kind_name(b->kind));
    assert_int_equal(b->kind, want);
    check_str(b->text, line, ln);
    check_str(kinds(doc), "title,body,body", ln);
    ex_doc_free(doc);
}
#define CHECK_FURN(l, k) check_furniture_at((l), (k), __LINE__)

static void check_kept_at(const char *line, int ln)
{
    char text[1024];
    snprintf(text, sizeof text,
             "Le port de commerce investit\n\nLes quais seront rénovés dès cet été.\n\n%s\n\n"
             "Le chantier durera deux ans.\n",
             line);
    ex_doc *doc = run(text);
    if (doc->boilerplate.len != 0)
        print_error("line %d: [%s] was removed as furniture\n", ln, line);
    assert_int_equal(doc->boilerplate.len, 0);
    assert_non_null(strstr(doc->text, line));
    ex_doc_free(doc);
}
#define CHECK_KEPT(l) check_kept_at((l), __LINE__)

static void test_furniture(void **state)
{
    (void)state;
    CHECK_FURN("À LIRE AUSSI : Les dockers en grève", EX_BOILER_RELATED);
    CHECK_FURN("Lire aussi : Les dockers en grève", EX_BOILER_RELATED);
    CHECK_FURN("LIRE AUSSI > Les dockers en grève", EX_BOILER_RELATED);
    CHECK_FURN("LIRE AUSSI Les dockers en grève", EX_BOILER_RELATED);
    CHECK_FURN("Lire aussi", EX_BOILER_RELATED);
    CHECK_FURN("Read more: Dockers walk out", EX_BOILER_RELATED);
    CHECK_FURN("Related: Dockers walk out", EX_BOILER_RELATED);
    CHECK_FURN("See also", EX_BOILER_RELATED);
    CHECK_FURN("Share this article", EX_BOILER_SHARE);
    CHECK_FURN("Partager sur Facebook", EX_BOILER_SHARE);
    CHECK_FURN("Facebook Twitter LinkedIn E-mail", EX_BOILER_SHARE);
    CHECK_FURN("Photo : Marc Dupuis / AFP", EX_BOILER_CREDIT);
    CHECK_FURN("© Reuters", EX_BOILER_CREDIT);
    CHECK_FURN("Crédit photo : Ville de Montcerf", EX_BOILER_CREDIT);
    CHECK_FURN("(Crédit : AFP)", EX_BOILER_CREDIT);
    CHECK_FURN("Photo d'illustration", EX_BOILER_CREDIT);
    CHECK_FURN("Publicité", EX_BOILER_AD);
    CHECK_FURN("Advertisement", EX_BOILER_AD);
    CHECK_FURN("Inscrivez-vous à notre newsletter quotidienne", EX_BOILER_NEWSLETTER);
    CHECK_FURN("Cet article est réservé aux abonnés", EX_BOILER_NEWSLETTER);
    CHECK_FURN("Sign up for our morning briefing", EX_BOILER_NEWSLETTER);
    CHECK_FURN("Réagir", EX_BOILER_OTHER);
    CHECK_FURN("Leave a comment", EX_BOILER_OTHER);
    CHECK_FURN("Voir les 14 commentaires", EX_BOILER_OTHER);
    CHECK_FURN("4 min de lecture", EX_BOILER_OTHER);
    CHECK_FURN("5 min read", EX_BOILER_OTHER);
    CHECK_FURN("Recevez chaque lundi notre newsletter Sport", EX_BOILER_NEWSLETTER);
    /* when unsure, keep: body sentences that open like furniture */
    CHECK_KEPT("Lire aussi les rapports du conseil portuaire, a conseillé le maire.");
    CHECK_KEPT("Related projects in the region have been delayed by the storms.");
    CHECK_KEPT("Photographie et cinéma seront au programme du festival.");
    CHECK_KEPT("La newsletter de la mairie sera désormais envoyée chaque semaine aux habitants.");
    CHECK_KEPT("Inscrivez-vous avant le 15 mars pour participer au vote, rappelle la mairie.");
    CHECK_KEPT("Il vous reste deux jours pour voter, a rappelé le maire.");
    CHECK_KEPT("Copyright law changes were approved by parliament on Tuesday.");
    CHECK_KEPT("Getty Images said on Monday it would open an office in the city.");
    CHECK_KEPT("Reading time for children has fallen by a fifth, a survey found.");
    CHECK_KEPT("Partager les coûts entre la ville et la région reste la priorité du maire, qui "
               "l'a rappelé mardi devant les élus de l'agglomération réunis en séance plénière "
               "pour la dernière fois de l'année avant les fêtes et la trêve hivernale qui suit "
               "traditionnellement le vote du budget.");

    /* a bare related head: the next line is the linked headline */
    ex_doc *doc = run("Le port de commerce investit\n\nLes quais seront rénovés dès cet été.\n\n"
              "À LIRE AUSSI :\nLes dockers en grève depuis lundi\n\nLe chantier durera deux ans.\n");
    CHECK_STR(kinds(doc), "title,body,body");
    assert_int_equal(doc->boilerplate.len, 2);
    CHECK_STR(EX_VEC_AT(doc->boilerplate, ex_boiler, 1).text, "Les dockers en grève depuis lundi");
    assert_int_equal(EX_VEC_AT(doc->boilerplate, ex_boiler, 1).kind, EX_BOILER_RELATED);
    ex_doc_free(doc);

    /* a share box: an anchor line, then one network a line */
    doc = run("Le port de commerce investit\n\nLes quais seront rénovés.\n\n"
                      "Partager cet article :\nCourriel ,\nFacebook ,\nTwitter ,\nYahoo!\n");
    CHECK_STR(kinds(doc), "title,body");
    assert_int_equal(doc->boilerplate.len, 5);
    ex_doc_free(doc);

    /* a page made only of furniture-like lines keeps them all */
    doc = run("Publicité\n\nPartager\n");
    assert_int_equal(doc->boilerplate.len, 0);
    CHECK_STR(doc->text, "Publicité\n\nPartager");
    ex_doc_free(doc);
}

/* ---- titles ---------------------------------------------------------------------------------- */

static void test_titles(void **state)
{
    (void)state;
    /* a title and one line */
    ex_doc *doc = run("Grève à la SNCF\n\nLe trafic sera très perturbé jeudi.\n");
    CHECK_STR(doc->title, "Grève à la SNCF");
    CHECK_STR(kinds(doc), "title,body");
    ex_doc_free(doc);

    /* plain text: passes through unchanged, no title invented from a long sentence */
    const char *plain = "Le trafic sera très perturbé jeudi sur l'ensemble du réseau, a annoncé "
                        "la direction.\n\nLes usagers sont invités à reporter leurs "
                        "déplacements.\n";
    doc = run(plain);
    assert_null(doc->title);
    assert_null(doc->section);
    CHECK_STR(kinds(doc), "body,body");
    CHECK_STR(doc->text, "Le trafic sera très perturbé jeudi sur l'ensemble du réseau, a annoncé "
                         "la direction.\n\nLes usagers sont invités à reporter leurs "
                         "déplacements.");
    ex_doc_free(doc);

    /* one line alone is never a title */
    doc = run("Grève à la SNCF");
    assert_null(doc->title);
    CHECK_STR(kinds(doc), "body");
    ex_doc_free(doc);

    /* a title may end with ? ! or an ellipsis */
    doc = run("Faut-il taxer les vols courts ?\n\nLe débat revient au Parlement.\n");
    CHECK_STR(doc->title, "Faut-il taxer les vols courts ?");
    ex_doc_free(doc);

    /* envelope title: wins, and is not repeated when the text opens with it */
    doc = run_env("Tech\n\nLe satellite a été lancé\n\nLa fusée a décollé à 7 h 44.\n",
                  "Le satellite a été lancé", NULL, 0);
    CHECK_STR(doc->title, "Le satellite a été lancé");
    CHECK_STR(doc->section, "Tech");
    CHECK_STR(doc->text, "Le satellite a été lancé\n\nLa fusée a décollé à 7 h 44.");
    CHECK_STR(kinds(doc), "title,body");
    ex_doc_free(doc);
    /* an unknown one-word label right before the envelope title is a section too */
    doc = run_env("Spatial\n\nLe satellite a été lancé\n\nLa fusée a décollé à 7 h 44.\n",
                  "Le satellite a été lancé", NULL, 0);
    CHECK_STR(doc->section, "Spatial");
    CHECK_STR(kinds(doc), "title,body");
    ex_doc_free(doc);
    /* the envelope title differs from the text's first line: it opens the text */
    doc = run_env("La fusée a décollé à 7 h 44.\n", "Le satellite a été lancé", NULL, 0);
    CHECK_STR(doc->text, "Le satellite a été lancé\n\nLa fusée a décollé à 7 h 44.");
    CHECK_STR(kinds(doc), "title,body");
    ex_doc_free(doc);
    /* an unlisted one- or two-word label before a headline is a section */
    doc = run("Vie locale\n\nLa fête de la châtaigne revient après quatre ans\n\n"
              "Les bénévoles attendent 5 000 visiteurs dimanche.\n");
    CHECK_STR(doc->section, "Vie locale");
    CHECK_STR(doc->title, "La fête de la châtaigne revient après quatre ans");
    ex_doc_free(doc);
    /* but a short title before a sentence is a title */
    doc = run("Grève reconduite\n\nLes cheminots ont voté la poursuite du mouvement.\n");
    assert_null(doc->section);
    CHECK_STR(doc->title, "Grève reconduite");
    ex_doc_free(doc);
    /* a breadcrumb is a section */
    doc = run("Accueil > Économie > Entreprises\n\nLa fromagerie change de mains\n\n"
              "La coopérative a signé mardi.\n");
    CHECK_STR(doc->section, "Accueil > Économie > Entreprises");
    CHECK_STR(doc->title, "La fromagerie change de mains");
    ex_doc_free(doc);
    /* a headline that opens with PHOTOS or VIDÉO is a headline, not a credit */
    doc = run("PHOTOS - Les plus belles images du carnaval\n\nLes chars ont défilé dimanche.\n");
    CHECK_STR(doc->title, "PHOTOS - Les plus belles images du carnaval");
    assert_int_equal(doc->boilerplate.len, 0);
    ex_doc_free(doc);
    doc = run("VIDÉO. Le pont s'effondre en pleine nuit\n\nPersonne n'a été blessé.\n");
    CHECK_STR(doc->title, "VIDÉO. Le pont s'effondre en pleine nuit");
    ex_doc_free(doc);
    /* a section label alone stays text */
    doc = run("Culture\n");
    assert_null(doc->section);
    CHECK_STR(doc->text, "Culture");
    ex_doc_free(doc);
}

/* ---- standfirst ------------------------------------------------------------------------------ */

static void test_standfirst(void **state)
{
    (void)state;
    /* before a dateline (Wikinews français) */
    ex_doc *doc = run("La capsule Dragon s'est arrimée à la station\n\n"
                      "Pour la première fois, un vaisseau privé rejoint l'ISS.\n\n"
                      "25 mai 2012. - L'amarrage a eu lieu à 16 h 02 UTC.\n");
    CHECK_STR(kinds(doc), "title,standfirst,body");
    CHECK_STR(doc->standfirst, "Pour la première fois, un vaisseau privé rejoint l'ISS.");
    CHECK_STR(doc->published, "2012-05-25");
    ex_doc_free(doc);
    /* no byline nor dateline after it: the first paragraph is body */
    doc = run("La capsule Dragon s'est arrimée à la station\n\n"
              "Pour la première fois, un vaisseau privé rejoint l'ISS.\n\n"
              "L'amarrage a eu lieu à 16 h 02 UTC.\n");
    CHECK_STR(kinds(doc), "title,body,body");
    assert_null(doc->standfirst);
    ex_doc_free(doc);
}

/* ---- bad input --------------------------------------------------------------------------------- */

static void test_odd_input(void **state)
{
    (void)state;
    static const char *const odd[] = {
        "«\n\n»\n\n«»",
        "Par\n\nBy\n\n|\n\n— \n\n()",
        "Par A, B, C, D, E, F, G, H, I, J, K, L\n\nTexte.",
        "31 février 2023. – Texte.\n\n99/99/9999\n\n2023-02-30",
        "PARIS\n\nPARIS –\n\n– PARIS",
        "\"\n\n\"\"\n\n“”",
        "Jeudi\n\nThursday,\n\nMay 7,\n\n1er\n\n1 er",
        "À LIRE AUSSI\n\nÀ LIRE AUSSI :\n\n©",
    };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        ex_doc *doc = run(odd[i]);
        check_invariants(doc);
        ex_doc_free(doc);
    }
    /* an invalid calendar date is no date */
    ex_doc *doc = run("Titre\n\n31 février 2023. – Texte.\n");
    assert_null(doc->published);
    ex_doc_free(doc);
}

int main(void)
{
    const char *data = getenv("ENRICHD_DATA");
    if (!data) {
        printf("SKIP: ENRICHD_DATA absent\n");
        return 77;
    }
    char err[EX_ERRLEN];
    g_res = ex_resources_load(data, NULL, err, sizeof err);
    if (!g_res) {
        fprintf(stderr, "resources: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_fr),     cmocka_unit_test(test_page_en),
        cmocka_unit_test(test_bylines),     cmocka_unit_test(test_not_bylines),
        cmocka_unit_test(test_datelines),   cmocka_unit_test(test_subheadings),
        cmocka_unit_test(test_pullquotes),  cmocka_unit_test(test_furniture),
        cmocka_unit_test(test_titles),      cmocka_unit_test(test_standfirst),
        cmocka_unit_test(test_odd_input),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ex_resources_unref(g_res);
    return rc;
}
