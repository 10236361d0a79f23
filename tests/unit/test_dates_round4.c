/*
 * test_dates_round4.c — unit tests of the round-4 rules of the dates stage (extract/dates.c):
 * holidays looked up in data/common/holiday-dates.txt (lunar and lunisolar calendars, observed
 * Islamic dates with the arithmetic fallback), King's Day, Parsi New Year, "HOLIDAY in YEAR" and
 * years in words, fractional hours, word clocks, duration spans, "morning of DATE", "N days
 * after DATE", "9 tomorrow morning", "friday after next", "the first Monday of the month",
 * colon-less clocks before a.m./p.m., holidays of English-speaking countries — and the false
 * positives each rule must leave alone. French and English sentences written for these tests.
 * Needs ENRICHD_DATA (exits 77 without it).
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

static ex_resources *g_past, *g_future;

/* Runs text and renders every date as "text=value[..end]/grain[/rel][/bound]" joined by " | ". */
static void check(ex_resources *res, const char *text, const char *lang, const char *published,
                  const char *want)
{
    ex_input in = {0};
    in.text = text;
    in.text_len = strlen(text);
    in.lang_hint = lang;
    in.published = published;
    ex_doc *doc = NULL;
    char err[256], got[2048];
    assert_int_equal(ex_extract(res, &in, &doc, err, sizeof err), EX_OK);
    size_t n = 0;
    got[0] = '\0';
    for (uint32_t i = 0; i < doc->dates.len; i++) {
        const ex_date *d = &EX_VEC_AT(doc->dates, ex_date, i);
        static const char *const bound[] = {"", "/after", "/before"};
        int w = snprintf(got + n, sizeof got - n, "%s%.*s=%s%s%s/%s%s%s", i ? " | " : "",
                         (int)(d->end - d->start), doc->text + d->start, d->value,
                         d->value_end[0] ? ".." : "", d->value_end,
                         ex_grain_name((ex_grain)d->grain), d->relative ? "/rel" : "",
                         bound[d->bound % 3]);
        assert_true(w > 0 && (size_t)w < sizeof got - n);
        n += (size_t)w;
    }
    ex_doc_free(doc);
    if (strcmp(got, want) != 0)
        print_error("text: %s\n got: %s\nwant: %s\n", text, got, want);
    assert_string_equal(got, want);
}

/* Reference: Wednesday 22 November 2023. */
#define REF "2023-11-22"

static void test_holiday_tables_en(void **state)
{
    (void)state;
    check(g_past, "Diwali in 2019 drew record crowds.", "en", REF,
          "Diwali in 2019=2019-10-27/day");
    check(g_past, "Crowds gathered for Chinese New Year 2024 in the square.", "en", REF,
          "Chinese New Year 2024=2024-02-10/day");
    /* observed, not the arithmetic calendar's 22 August */
    check(g_past, "Eid al-Adha 2018 was marked across the region.", "en", REF,
          "Eid al-Adha 2018=2018-08-21/day");
    /* Ramadan ends the day before Eid al-Fitr (15 June 2018) */
    check(g_past, "Ramadan 2018 was hot.", "en", REF, "Ramadan 2018=2018-05-16..2018-06-14/day");
    /* Holi: 39 days after Vasant Panchami (26 January 2023); past bias */
    check(g_past, "Holi drew huge crowds in Mathura.", "en", REF, "Holi=2023-03-06/day/rel");
    /* the offset is approximate: 14 February 2024 + 39 days (Holi fell on the 25th) */
    check(g_future, "Holi will draw huge crowds.", "en", REF, "Holi=2024-03-24/day/rel");
    check(g_past, "Navratri 2018 ended with Dussehra 2018.", "en", REF,
          "Navratri 2018=2018-10-09..2018-10-18/day | Dussehra 2018=2018-10-18/day");
    /* a year the table does not cover: no date rather than a guess, nor the weekday inside */
    check(g_past, "Diwali 1995 was quiet.", "en", REF, "");
    check(g_past, "Super Tuesday 2013 never happened.", "en", REF, "");
    check(g_past, "Super Tuesday 2008 and the last Super Tuesday were busy.", "en", REF,
          "Super Tuesday 2008=2008-02-05/day | last Super Tuesday=2020-03-03/day/rel");
    /* outside the observed table: the arithmetic calendar (the sighted Eid was 26 April) */
    check(g_past, "Eid al-Fitr 1990 was marked in Cairo.", "en", REF,
          "Eid al-Fitr 1990=1990-04-27/day");
    check(g_past, "Jumu'atul-Wida 2018 drew worshippers.", "en", REF,
          "Jumu'atul-Wida 2018=2018-06-08/day");
    /* a 365-day year: a day earlier every fourth year */
    check(g_past, "Parsi New Year 2018 and Parsi New Year 2022 were holidays.", "en", REF,
          "Parsi New Year 2018=2018-08-17/day | Parsi New Year 2022=2022-08-16/day");
    /* 27 April, the Saturday before when it is a Sunday */
    check(g_past, "King's Day 2014 and King's Day 2015 filled Amsterdam.", "en", REF,
          "King's Day 2014=2014-04-26/day | King's Day 2015=2015-04-27/day");
    check(g_past, "It was Easter Sunday two thousand ten.", "en", REF,
          "Easter Sunday two thousand ten=2010-04-04/day");
    check(g_past, "Anzac Day and Canada Day 2024 were marked.", "en", REF,
          "Anzac Day=2023-04-25/day/rel | Canada Day 2024=2024-07-01/day");
    /* the Monday on or before 24 May */
    check(g_past, "Victoria Day 2018 and Victoria Day 2017 were sunny.", "en", REF,
          "Victoria Day 2018=2018-05-21/day | Victoria Day 2017=2017-05-22/day");
    check(g_past, "Markets slumped after Presidents' Day 2024.", "en", REF,
          "Presidents' Day 2024=2024-02-19/day/after");
}

static void test_holiday_tables_fr(void **state)
{
    (void)state;
    check(g_past, "L'Aïd el-Kébir 2018 a rassemblé les fidèles.", "fr", REF,
          "L'Aïd el-Kébir 2018=2018-08-21/day");
    check(g_past, "Le ramadan 2018 a été chaud.", "fr", REF,
          "ramadan 2018=2018-05-16..2018-06-14/day");
    check(g_past, "Le Nouvel An chinois 2024 approche.", "fr", REF,
          "Le Nouvel An chinois 2024=2024-02-10/day");
    check(g_past, "Pour le Nouvel An, rien.", "fr", REF, "le Nouvel An=2023-01-01/day/rel");
}

static void test_times_en(void **state)
{
    (void)state;
    check(g_past, "The talks resume in 1/2 hour and end in 2.5 hours.", "en",
          "2023-11-22T10:00:00Z",
          "in 1/2 hour=2023-11-22T10:30/minute/rel | in 2.5 hours=2023-11-22T12:30/minute/rel");
    check(g_past, "Results are due in 3/4 h or in 2 and a half hours.", "en",
          "2023-11-22T10:00:00Z",
          "in 3/4 h=2023-11-22T10:45/minute/rel | in 2 and a half hours=2023-11-22T12:30/minute/rel");
    check(g_past, "The blast came at ten thirty p.m. on Friday.", "en", REF,
          "ten thirty p.m. on Friday=2023-11-17T22:30/minute/rel");
    check(g_past, "The doors open at 330 p.m.", "en", REF, "330 p.m.=2023-11-22T15:30/minute/rel");
    /* the p.m. of a word clock holds for the start of the range */
    check(g_past, "Polling runs from 3:30 to six p.m. today.", "en", REF,
          "from 3:30 to six p.m. today=2023-11-22T15:30..2023-11-22T18:00/minute/rel");
    check(g_past, "Polls open at 7 tomorrow morning.", "en", REF,
          "at 7 tomorrow morning=2023-11-23T07:00/minute/rel");
    check(g_past, "The vote closes at 5 tomorrow afternoon.", "en", REF,
          "at 5 tomorrow afternoon=2023-11-23T17:00/minute/rel");
    check(g_future, "The show runs from 18 December for 10 days.", "en", REF,
          "from 18 December for 10 days=2023-12-18..2023-12-28/day/rel");
    check(g_past, "The hearing began at 4pm for 30 mins.", "en", REF,
          "4pm for 30 mins=2023-11-22T16:00..2023-11-22T16:30/minute/rel");
    check(g_past, "Crowds gathered on the morning of Christmas 2022.", "en", REF,
          "morning of Christmas 2022=2022-12-25T00:00..2022-12-25T11:59/minute");
    check(g_past, "The centre reopened three days after Easter.", "en", REF,
          "three days after Easter=2023-04-12/day/rel");
    check(g_past, "The vote is on the first Monday of the month.", "en", REF,
          "on the first Monday of the month=2023-11-06/day/rel");
    check(g_past, "We meet Friday after next.", "en", REF, "Friday after next=2023-12-01/day/rel");
    check(g_past, "The ceasefire held until thu.", "en", REF, "until thu.=2023-11-16/day/rel/before");
    /* an open start, then an open end: one range */
    check(g_past, "Voting ran later than 3:30pm but before 6pm.", "en", REF,
          "later than 3:30pm but before 6pm=2023-11-22T15:30..2023-11-22T18:00/minute/rel");
    /* "but" joins nothing else */
    check(g_past, "The strike was set from Monday but Tuesday was chosen.", "en", REF,
          "from Monday=2023-11-20/day/rel/after | Tuesday=2023-11-21/day/rel");
}

static void test_times_fr(void **state)
{
    (void)state;
    /* a part of a day, then a time in it: that time on that day (it was the reference day) */
    check(g_past, "Jeudi soir, vers 20h40, la foule s'est dispersée.", "fr", REF,
          "Jeudi soir, vers 20h40=2023-11-16T20:40/minute/rel");
    check(g_past, "Le soir du mardi 14 novembre, vers 19 heures, le cortège est parti.", "fr", REF,
          "soir du mardi 14 novembre, vers 19 heures=2023-11-14T19:00/minute/rel");
    check(g_past, "Le magasin ouvre après 9h mais avant 11h.", "fr", REF,
          "9h mais avant 11h=2023-11-22T09:00..2023-11-22T11:00/minute/rel");
    check(g_past, "La boutique a rouvert trois jours après Pâques.", "fr", REF,
          "trois jours après Pâques=2023-04-12/day/rel");
    check(g_future, "Le salon ouvre le 18 décembre pendant 10 jours.", "fr", REF,
          "18 décembre pendant 10 jours=2023-12-18..2023-12-28/day/rel");
}

static void test_false_positives_round4(void **state)
{
    (void)state;
    /* a name, not Raksha Bandhan */
    check(g_past, "Rakhi Sawant said the film is done.", "en", REF, "");
    /* a count before a day and its part: only the part of the day */
    check(g_past, "They won 3 tomorrow morning.", "en", REF,
          "tomorrow morning=2023-11-23T00:00..2023-11-23T11:59/minute/rel");
    /* "after" an event, not a date; years are no duration span */
    check(g_past, "Turnout fell 2 weeks before the vote.", "en", REF, "");
    check(g_past, "He was sentenced on Monday for 10 years.", "en", REF,
          "on Monday=2023-11-20/day/rel");
    check(g_past, "Il a été condamné lundi pendant 3 ans.", "fr", REF, "lundi=2023-11-20/day/rel");
    /* fractions and decimals that are no hours */
    check(g_past, "A 3/4 majority was reached in 2.5 km of road.", "en", REF, "");
    check(g_past, "The morning of the vote was calm.", "en", REF, "");
    /* a colon-less clock only before a.m./p.m. */
    check(g_past, "Flight 1030 landed at Heathrow.", "en", REF, "");
}

int main(void)
{
    const char *data = getenv("ENRICHD_DATA");
    if (!data) {
        printf("SKIP: ENRICHD_DATA absent\n");
        return 77;
    }
    char err[256];
    ex_options past = {.future_bias = 0}, future = {.future_bias = 1};
    g_past = ex_resources_load(data, &past, err, sizeof err);
    g_future = g_past ? ex_resources_load(data, &future, err, sizeof err) : NULL;
    if (!g_past || !g_future) {
        fprintf(stderr, "resources: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holiday_tables_en), cmocka_unit_test(test_holiday_tables_fr),
        cmocka_unit_test(test_times_en),          cmocka_unit_test(test_times_fr),
        cmocka_unit_test(test_false_positives_round4),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ex_resources_unref(g_past);
    ex_resources_unref(g_future);
    return rc;
}
