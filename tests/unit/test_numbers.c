/*
 * test_numbers.c — unit tests of the numbers stage (extract/numbers.c) and of its JSON output
 * (extract/json.c "money" / "percentages").
 *
 * Each case runs the whole library (ex_extract) on French or English sentences written for these
 * tests, then checks doc->money, doc->percentages and doc->numbers: values, currencies, cues,
 * ranges, implicit currency, ordinals, and the false positives that must stay out (phone
 * numbers, "COVID-19", "Windows 11", "A320", "article 49.3", "la 5G", scores "3-1", "3 points").
 * Needs ENRICHD_DATA (exits 77 without it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static ex_resources *g_res;

static ex_doc *run(const char *text, const char *lang)
{
    ex_input in = {0};
    in.text = text;
    in.text_len = strlen(text);
    in.lang_hint = lang;
    ex_doc *doc = NULL;
    char err[256];
    assert_int_equal(ex_extract(g_res, &in, &doc, err, sizeof err), EX_OK);
    assert_non_null(doc);
    return doc;
}

static const ex_quantity *q_at(const ex_vec *v, uint32_t i)
{
    assert_true(i < v->len);
    return &((const ex_quantity *)v->items)[i];
}

static void check_text(const ex_doc *doc, const ex_quantity *q, const char *want)
{
    size_t n = q->end - q->start;
    if (n != strlen(want) || memcmp(doc->text + q->start, want, n) != 0) {
        printf("span: got '%.*s' want '%s'\n", (int)n, doc->text + q->start, want);
        fail();
    }
}

static void expect_money(const char *text, const char *lang, double amount, const char *cur,
                         const char *span)
{
    ex_doc *doc = run(text, lang);
    if (doc->money.len != 1)
        printf("case: %s → %u money\n", text, doc->money.len);
    assert_int_equal(doc->money.len, 1);
    const ex_quantity *q = q_at(&doc->money, 0);
    assert_true(fabs(q->value - amount) < 1e-6 * (fabs(amount) + 1));
    assert_string_equal(q->currency, cur);
    if (span)
        check_text(doc, q, span);
    ex_doc_free(doc);
}

static void expect_pct(const char *text, const char *lang, double value, const char *span)
{
    ex_doc *doc = run(text, lang);
    assert_int_equal(doc->percentages.len, 1);
    assert_int_equal(doc->money.len, 0);
    const ex_quantity *q = q_at(&doc->percentages, 0);
    assert_true(fabs(q->value - value) < 1e-9);
    check_text(doc, q, span);
    ex_doc_free(doc);
}

static double first_number(const char *text, const char *lang, bool *ordinal)
{
    ex_doc *doc = run(text, lang);
    if (doc->numbers.len == 0) {
        printf("no number in: %s\n", text);
        fail();
    }
    const ex_quantity *q = q_at(&doc->numbers, 0);
    double v = q->value;
    if (ordinal)
        *ordinal = q->ordinal;
    ex_doc_free(doc);
    return v;
}

static void test_digits_and_separators(void **state)
{
    (void)state;
    expect_money("Le club a été vendu 250 000 euros mardi.", "fr", 250000, "EUR", "250 000 euros");
    expect_money("The stake was sold for $1,500,000 on Tuesday.", "en", 1500000, "USD", "$1,500,000");
    expect_money("L'entreprise a perdu 1,5 milliard d'euros l'an dernier.", "fr", 1.5e9, "EUR",
                 "1,5 milliard d'euros");
    expect_money("The group raised 1.2 million dollars from investors.", "en", 1.2e6, "USD",
                 "1.2 million dollars");
    expect_money("Le groupe a annoncé 3 millions d'euros d'économies.", "fr", 3e6, "EUR", NULL);
    expect_money("The deal is worth $3.5bn, the company said.", "en", 3.5e9, "USD", "$3.5bn");
    expect_money("Le fonds a levé €250m auprès de ses actionnaires.", "fr", 250e6, "EUR", "€250m");
    expect_money("Le stade a coûté 1.500 euros par place.", "fr", 1500, "EUR", NULL);
    expect_money("Elle paie 1,500 dollars de loyer.", "fr", 1.5, "USD", NULL);
}

static void test_number_words(void **state)
{
    (void)state;
    assert_true(first_number("Il y avait vingt et un candidats.", "fr", NULL) == 21);
    assert_true(first_number("On compte soixante-dix élus.", "fr", NULL) == 70);
    assert_true(first_number("Il reste quatre-vingt-dix-neuf jours.", "fr", NULL) == 99);
    assert_true(first_number("Environ deux cent cinquante manifestants.", "fr", NULL) == 250);
    assert_true(first_number("Il a reçu mille cent lettres.", "fr", NULL) == 1100);
    assert_true(first_number("The firm hired two hundred and fifty staff.", "en", NULL) == 250);
    assert_true(first_number("Il a commandé deux douzaines de roses.", "fr", NULL) == 2);
    assert_true(first_number("She ordered two dozen roses.", "en", NULL) == 24);
    assert_true(first_number("La température est tombée à -5 degrés.", "fr", NULL) == -5);
    assert_true(first_number("Le club compte dix-sept joueurs.", "fr", NULL) == 17);
    assert_true(first_number("The index closed at minus 12 points.", "en", NULL) == -12);
    assert_true(first_number("India counts three crore voters there.", "en", NULL) == 3e7);
    expect_money("L'État a promis un milliard d'euros.", "fr", 1e9, "EUR", "un milliard d'euros");
    expect_money("Le plan prévoit dix milliards de dollars.", "fr", 1e10, "USD", NULL);
}

static void test_ordinals(void **state)
{
    (void)state;
    bool ord = false;
    assert_true(first_number("Le 1er ministre est arrivé.", "fr", &ord) == 1);
    assert_true(ord);
    ord = false;
    assert_true(first_number("Il termine deuxième de la course.", "fr", &ord) == 2);
    assert_true(ord);
    ord = false;
    assert_true(first_number("It was her 21st title.", "en", &ord) == 21);
    assert_true(ord);
    ord = false;
    assert_true(first_number("He finished third in the race.", "en", &ord) == 3);
    assert_true(ord);
}

static void test_currencies(void **state)
{
    (void)state;
    expect_money("Le billet coûte 12 €.", "fr", 12, "EUR", "12 €");
    expect_money("The ticket costs £40.", "en", 40, "GBP", "£40");
    expect_money("Le contrat vaut 5 millions de dollars canadiens.", "fr", 5e6, "CAD", NULL);
    expect_money("Le rachat atteint 2 milliards de livres sterling.", "fr", 2e9, "GBP", NULL);
    expect_money("La banque a payé 30 millions de francs suisses.", "fr", 30e6, "CHF", NULL);
    expect_money("Toyota a engrangé 900 milliards de yens.", "fr", 900e9, "JPY", NULL);
    expect_money("Le contrat atteint 40 milliards de yuans.", "fr", 40e9, "CNY", NULL);
    expect_money("The fine was CHF 20 million.", "en", 20e6, "CHF", "CHF 20 million");
    expect_money("Shares fell to 12 EUR on Friday.", "en", 12, "EUR", NULL);
    expect_money("Il a payé 300 USD en liquide.", "fr", 300, "USD", NULL);
    expect_money("Sales reached US$ 4 million.", "en", 4e6, "USD", NULL);
    expect_money("The budget is 9 yen per unit.", "en", 9, "JPY", NULL);
}

static void test_cues_and_ranges(void **state)
{
    (void)state;
    ex_doc *doc = run("Le déficit atteint près de 10 millions d'euros. Il pourrait dépasser plus de "
                      "20 millions d'euros, et jusqu'à 30 millions d'euros en 2025.", "fr");
    assert_int_equal(doc->money.len, 3);
    assert_true(q_at(&doc->money, 0)->approx);
    check_text(doc, q_at(&doc->money, 0), "près de 10 millions d'euros");
    assert_int_equal(q_at(&doc->money, 1)->bound, EX_BOUND_MIN);
    assert_int_equal(q_at(&doc->money, 2)->bound, EX_BOUND_MAX);
    check_text(doc, q_at(&doc->money, 2), "jusqu'à 30 millions d'euros");
    ex_doc_free(doc);

    doc = run("The charity raised about $5m, nearly twice last year, and more than $2m came "
              "from donors. Up to $1m may follow.", "en");
    assert_int_equal(doc->money.len, 3);
    assert_true(q_at(&doc->money, 0)->approx);
    assert_int_equal(q_at(&doc->money, 1)->bound, EX_BOUND_MIN);
    assert_int_equal(q_at(&doc->money, 2)->bound, EX_BOUND_MAX);
    ex_doc_free(doc);

    doc = run("La ville investira entre 10 et 20 millions d'euros dans le tram.", "fr");
    assert_int_equal(doc->money.len, 1);
    const ex_quantity *q = q_at(&doc->money, 0);
    assert_true(q->min == 10e6 && q->max == 20e6);
    check_text(doc, q, "entre 10 et 20 millions d'euros");
    ex_doc_free(doc);

    doc = run("Le chantier coûtera de 10 à 20 millions d'euros.", "fr");
    assert_int_equal(doc->money.len, 1);
    assert_true(q_at(&doc->money, 0)->min == 10e6 && q_at(&doc->money, 0)->max == 20e6);
    ex_doc_free(doc);

    doc = run("Analysts expect $10m-$20m in fees.", "en");
    assert_int_equal(doc->money.len, 1);
    assert_true(q_at(&doc->money, 0)->min == 10e6 && q_at(&doc->money, 0)->max == 20e6);
    ex_doc_free(doc);
}

static void test_implicit_currency(void **state)
{
    (void)state;
    ex_doc *doc = run("Washington a débloqué 5 milliards de dollars, puis dix milliards "
                      "supplémentaires en mars.", "fr");
    assert_int_equal(doc->money.len, 2);
    assert_string_equal(q_at(&doc->money, 1)->currency, "USD");
    assert_true(q_at(&doc->money, 1)->currency_inferred);
    assert_false(q_at(&doc->money, 0)->currency_inferred);
    ex_doc_free(doc);
    /* not after a count of people, and not across paragraphs */
    doc = run("Le pays a reçu 5 milliards de dollars.\n\nIl compte 3 millions d'habitants et "
              "dix millions de touristes.", "fr");
    assert_int_equal(doc->money.len, 1);
    ex_doc_free(doc);
}

static void test_percentages(void **state)
{
    (void)state;
    expect_pct("Le parti obtient 49% des voix.", "fr", 49, "49%");
    expect_pct("Le parti obtient 49 % des voix.", "fr", 49, "49 %");
    expect_pct("Le chômage atteint 7 pour cent.", "fr", 7, "7 pour cent");
    expect_pct("Turnout rose to 49 percent.", "en", 49, "49 percent");
    expect_pct("Turnout rose to 49 per cent.", "en", 49, "49 per cent");
    expect_pct("La hausse est de 1,5 % sur un an.", "fr", 1.5, "1,5 %");
    expect_pct("Prices rose by about 3.2% in May.", "en", 3.2, "about 3.2%");
    ex_doc *doc = run("Le taux a gagné 3 points en un mois.", "fr");
    assert_int_equal(doc->percentages.len, 0);
    ex_doc_free(doc);
}

static void test_false_positives(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "Appelez le 01 23 45 67 89 pour réserver.",
        "La COVID-19 a frappé la région en mars.",
        "Microsoft a lancé Windows 11 hier.",
        "L'A320 d'Airbus reste le plus vendu.",
        "Le gouvernement a utilisé l'article 49.3 mardi.",
        "La 5G arrive dans la ville.",
        "Lyon a battu Nice 3-1 samedi soir.",
        "He called 555 0123 on Monday.",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        ex_doc *doc = run(texts[i], NULL);
        if (doc->money.len || doc->percentages.len)
            printf("false positive in: %s\n", texts[i]);
        assert_int_equal(doc->money.len, 0);
        assert_int_equal(doc->percentages.len, 0);
        ex_doc_free(doc);
    }
    ex_doc *doc = run("Le gouvernement a utilisé l'article 49.3 mardi.", "fr");
    assert_int_equal(doc->numbers.len, 0);
    ex_doc_free(doc);
}

/* Codes glued to the digits, before or after: "USD1,23", "GBP3.01", "42MYR", "RM42". */
static void test_glued_codes(void **state)
{
    (void)state;
    expect_money("Le ticket d'entrée est passé à EUR29,99 en janvier.", "fr", 29.99, "EUR",
                 "EUR29,99");
    expect_money("La taxe atteint USD1,23 par baril depuis lundi.", "fr", 1.23, "USD", "USD1,23");
    expect_money("Shares closed at GBP3.01 on Friday.", "en", 3.01, "GBP", "GBP3.01");
    expect_money("The fare rose to 42MYR last week.", "en", 42, "MYR", "42MYR");
    expect_money("Tickets now sell for RM42 in Kuala Lumpur.", "en", 42, "MYR", "RM42");
    expect_money("The index was quoted at CNY3", "en", 3, "CNY", "CNY3");
    /* a capitalised word with digits that is no currency code stays out */
    ex_doc *doc = run("The A320 and the BX12 landed at 9.", "en");
    assert_int_equal(doc->money.len, 0);
    ex_doc_free(doc);
}

/* Cents after an amount and its currency; the cents word is required. */
static void test_cents(void **state)
{
    (void)state;
    expect_money("Le litre de gazole coûtait 1 euro et 23 centimes à Lyon.", "fr", 1.23, "EUR",
                 "1 euro et 23 centimes");
    expect_money("A gallon cost 20 dollars 43 cents in Ohio.", "en", 20.43, "USD",
                 "20 dollars 43 cents");
    expect_money("The coffee was $2 and 50c at the airport.", "en", 2.5, "USD", "$2 and 50c");
    expect_money("The stamp price was then 3 GBP 1 pence.", "en", 3.01, "GBP", "3 GBP 1 pence");
    expect_money("He paid twenty dollars and forty-two cents for it.", "en", 20.42, "USD",
                 "twenty dollars and forty-two cents");
    /* no cents word: the next number is not cents */
    ex_doc *doc = run("Ils ont versé 20 euros 43 personnes ont signé.", "fr");
    assert_int_equal(doc->money.len, 1);
    assert_true(fabs(q_at(&doc->money, 0)->value - 20) < 1e-9);
    ex_doc_free(doc);
}

/* The single number of a text (not money, not a percentage), with its span. */
static void expect_number(const char *text, const char *lang, double value, bool ordinal,
                          const char *span)
{
    ex_doc *doc = run(text, lang);
    if (doc->numbers.len != 1)
        printf("case: %s → %u numbers\n", text, doc->numbers.len);
    assert_int_equal(doc->numbers.len, 1);
    assert_int_equal(doc->money.len, 0);
    const ex_quantity *q = q_at(&doc->numbers, 0);
    if (fabs(q->value - value) > 1e-9 * (fabs(value) + 1))
        printf("case: %s → %g\n", text, q->value);
    assert_true(fabs(q->value - value) <= 1e-9 * (fabs(value) + 1));
    assert_int_equal(q->ordinal, ordinal);
    check_text(doc, q, span);
    ex_doc_free(doc);
}

/* Round 3: fractions, decimals without a leading digit, spelled decimal points, glued and
 * dashed ordinals, lakh and crore, restated numbers. */
static void test_fractions_and_decimals(void **state)
{
    (void)state;
    expect_number("Only 1/5 of the members voted.", "en", 0.2, false, "1/5");
    expect_number("Il reste 3/4 du budget.", "fr", 0.75, false, "3/4");
    expect_number("The rate is .77 today", "en", 0.77, false, ".77");
    expect_number("It grew 1 point 5 percentage", "en", 1.5, false, "1 point 5");
    expect_number("Output hit two point two million barrels.", "en", 2.2e6, false,
                  "two point two million");
    expect_number("Le taux atteint trois virgule cinq.", "fr", 3.5, false, "trois virgule cinq");
    expect_number("He finished twentyfifth overall.", "en", 25, true, "twentyfifth");
    expect_number("She came thirty—first.", "en", 31, true, "thirty—first");
    expect_number("The census found three cr twelve lakh voters", "en", 3.12e7, false,
                  "three cr twelve lakh");
    expect_number("The lease runs forty-five (45) days.", "en", 45, false, "forty-five (45)");
    expect_number("Le bail court 45 (quarante-cinq) jours.", "fr", 45, false,
                  "45 (quarante-cinq)");
    expect_number("They bought a pair of boots.", "en", 2, false, "a pair");
    expect_number("It fell to -5 overnight.", "en", -5, false, "-5");
    /* not fractions, not numbers: dates and names that look like them */
    static const char *const none[] = {"The 9/11 attacks changed everything.",
                                       "The helpline is open 24/7 now.",
                                       "It is a 50/50 call.", "Match point 5 of the plan"};
    for (size_t k = 0; k < sizeof none / sizeof none[0]; k++) {
        ex_doc *doc = run(none[k], "en");
        for (uint32_t i = 0; i < doc->numbers.len; i++)
            if (q_at(&doc->numbers, i)->value < 1 && q_at(&doc->numbers, i)->value > 0)
                printf("false fraction in: %s\n", none[k]);
        for (uint32_t i = 0; i < doc->numbers.len; i++)
            assert_false(q_at(&doc->numbers, i)->value < 1 && q_at(&doc->numbers, i)->value > 0);
        ex_doc_free(doc);
    }
    ex_doc *doc = run("The 9/11 attacks and the 24/7 news cycle.", "en");
    assert_int_equal(doc->numbers.len, 0);
    ex_doc_free(doc);
    /* a score is two numbers, never a negative one */
    doc = run("They won 2-1 at home.", "en");
    for (uint32_t i = 0; i < doc->numbers.len; i++)
        assert_true(q_at(&doc->numbers, i)->value >= 0);
    ex_doc_free(doc);
    /* "17/02" (leading zero) and "17/02/2014" are dates, not fractions */
    doc = run("Rendez-vous le 17/02/2014 et le 03/04.", "fr");
    for (uint32_t i = 0; i < doc->numbers.len; i++)
        assert_false(q_at(&doc->numbers, i)->value < 1 && q_at(&doc->numbers, i)->value > 0);
    ex_doc_free(doc);
}

/* Round 3: cents alone, slang and regional currency words, a currency word before the amount,
 * the article before a sign. */
static void test_more_currencies(void **state)
{
    (void)state;
    expect_money("Stamps cost ten cents then.", "en", 0.10, "USD", "ten cents");
    expect_money("A call cost 10¢ then.", "en", 0.10, "USD", "10¢");
    expect_money("La baguette valait 90 centimes.", "fr", 0.90, "EUR", "90 centimes");
    expect_money("He paid 42 bucks for it.", "en", 42, "USD", "42 bucks");
    expect_money("Il a payé 3 balles.", "fr", 3, "EUR", "3 balles");
    expect_money("It sold for a dollar.", "en", 1, "USD", "a dollar");
    expect_money("Il a été vendu un euro symbolique.", "fr", 1, "EUR", "un euro");
    expect_money("Tickets cost Rs. 20 in Delhi.", "en", 20, "INR", "Rs. 20");
    expect_money("Tickets cost Rs20 in Delhi.", "en", 20, "INR", "Rs20");
    expect_money("Tickets cost 20Rs in Delhi.", "en", 20, "INR", "20Rs");
    expect_money("A kilo costs 42 LE in Cairo.", "en", 42, "EGP", "42 LE");
    expect_money("Fares are ringgit 42 now.", "en", 42, "MYR", "ringgit 42");
    expect_money("Bread costs 10 riyals in Riyadh.", "en", 10, "SAR", "10 riyals");
    expect_money("It signed a $4.7 billion deal.", "en", 4.7e9, "USD", "a $4.7 billion");
    expect_money("Gold closed at 3.14US$ an ounce.", "en", 3.14, "USD", "3.14US$");
    /* "a pound of", "un euro de": measures, not money */
    ex_doc *doc = run("A pound of flesh, said Shylock.", "en");
    assert_int_equal(doc->money.len, 0);
    ex_doc_free(doc);
    /* cents after a dollar amount take its currency */
    doc = run("Gas was $3 and then 10 cents more.", "en");
    assert_int_equal(doc->money.len, 2);
    assert_string_equal(q_at(&doc->money, 1)->currency, "USD");
    assert_true(q_at(&doc->money, 1)->currency_inferred);
    ex_doc_free(doc);
    /* "10 p" is page 10, "ringgit" is not read before a word */
    doc = run("See 10 p for the ringgit chart.", "en");
    assert_int_equal(doc->money.len, 0);
    ex_doc_free(doc);
}

static void test_json_output(void **state)
{
    (void)state;
    ex_doc *doc = run("Élu à 52 %, le maire promet près de 2 millions d'euros.", "fr");
    json_t *j = ex_doc_to_json(doc);
    assert_non_null(j);
    json_t *m = json_array_get(json_object_get(j, "money"), 0);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "currency")), "EUR");
    assert_true(json_is_true(json_object_get(m, "approx")));
    assert_true(json_real_value(json_object_get(m, "amount")) == 2e6);
    /* code points, not bytes: "É" is two bytes */
    json_t *p = json_array_get(json_object_get(j, "percentages"), 0);
    assert_int_equal(json_integer_value(json_object_get(p, "start")), 6);
    assert_int_equal(json_integer_value(json_object_get(p, "end")), 10);
    assert_null(json_object_get(m, "min"));
    json_decref(j);
    ex_doc_free(doc);
}

/* Numbers beyond a double's range are left out, and the document still has its JSON. */
static void test_huge_numbers(void **state)
{
    (void)state;
    char text[1200];
    char nines[401];
    memset(nines, '9', 400);
    nines[400] = '\0';
    snprintf(text, sizeof text, "Le budget atteint %s milliards d'euros, soit %.330s %%, et 3 euros.",
             nines, nines);
    ex_doc *doc = run(text, "fr");
    assert_int_equal(doc->money.len, 1);
    assert_true(q_at(&doc->money, 0)->value == 3.0);
    assert_int_equal(doc->percentages.len, 0);
    json_t *j = ex_doc_to_json(doc);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "money")), 1);
    json_decref(j);
    ex_doc_free(doc);
}

int main(void)
{
    const char *data = getenv("ENRICHD_DATA");
    if (!data) {
        printf("SKIP: ENRICHD_DATA absent\n");
        return 77;
    }
    char err[256];
    g_res = ex_resources_load(data, NULL, err, sizeof err);
    if (!g_res) {
        printf("resources: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_and_separators), cmocka_unit_test(test_number_words),
        cmocka_unit_test(test_ordinals),              cmocka_unit_test(test_currencies),
        cmocka_unit_test(test_cues_and_ranges),       cmocka_unit_test(test_implicit_currency),
        cmocka_unit_test(test_percentages),           cmocka_unit_test(test_false_positives),
        cmocka_unit_test(test_json_output),           cmocka_unit_test(test_glued_codes),
        cmocka_unit_test(test_cents),                 cmocka_unit_test(test_fractions_and_decimals),
        cmocka_unit_test(test_more_currencies),
        cmocka_unit_test(test_huge_numbers),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ex_resources_unref(g_res);
    return rc;
}
