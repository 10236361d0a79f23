/*
 * layout_internal.h — what layout.c and layout_words.c share: the layout word table
 * (struct ex_layout_res, owned by the resources: built by ex_layout_res_load, freed by
 * ex_layout_res_free) and the small readers of dates and names over short UTF-8 lines.
 * Not seen outside the layout stage. Nothing here allocates except the loader.
 */
#ifndef ENRICHD_EXTRACT_LAYOUT_INTERNAL_H
#define ENRICHD_EXTRACT_LAYOUT_INTERNAL_H

#include "internal.h"

enum lw_kind {
    LW_SECTION = 1, /* layout-sections.txt */
    LW_AGENCY,      /* common/layout-agencies.txt */
    LW_BY,          /* byline opener: par, by */
    LW_PUBLISHED,   /* publié le, published */
    LW_UPDATED,     /* mis à jour, updated */
    LW_CONJ,        /* et, and, & */
    LW_WITH,        /* avec, with */
    LW_PARTICLE,    /* de, van, d' */
    LW_MONTH,       /* from dates.txt; value 1..12 */
    LW_WEEKDAY,     /* from dates.txt; value 1..7 */
    LW_FURN_LINE,   /* layout-furniture.txt; value = ex_boiler_kind */
    LW_FURN_HEAD,
    LW_FURN_ANY,
    LW_FURN_NEAR,   /* a line phrase that counts only next to other furniture of its kind */
    LW_FURN_CONTAINS, /* a word that makes a short line without a final period furniture */
    LW_ROLE,        /* a job title after the names, never a name: staff, reporter, envoyé */
    LW_DATEPREFIX,  /* a word that may open a date line: le, on */
    LW_FURN_FIRST,  /* the first word of some furniture phrase (built by the loader) */
    LW_ANON,        /* a byline that names nobody: par la rédaction, by staff */
    LW_BYFIRST      /* the first word of a byline phrase or agency (built by the loader) */
};

typedef struct lw_entry {
    char *key; /* lower-cased phrase, malloc'd, owned by the table */
    uint32_t n;
    uint8_t kind;
    int8_t val;
} lw_entry;

struct ex_layout_res {
    lw_entry *e; /* sorted by key bytes */
    size_t n, cap;
};

/* The entries whose key is exactly low[0..n) (already lower-cased): [*first, *last). */
bool lw_range(const struct ex_layout_res *r, const char *low, size_t n, const lw_entry **first,
              const lw_entry **last);
/* Is low[0..n) (lower-cased) in the table with this kind? *val (may be NULL) gets its value. */
bool lw_has_low(const struct ex_layout_res *r, const char *low, size_t n, int kind, int *val);
/* Same for text in any case (at most 120 bytes; longer is never found). */
bool lw_has(const struct ex_layout_res *r, const char *s, size_t n, int kind, int *val);

/* Characters of valid UTF-8 (the text stage checked it). */
size_t lay_decode(const char *s, size_t avail, uint32_t *cp);
size_t lay_prev(const char *s, size_t k);
bool lay_is_upper(uint32_t cp);
bool lay_is_lower(uint32_t cp);
bool lay_is_letter(uint32_t cp);
size_t lay_dash_at(const char *s, size_t n, size_t i);
size_t lay_word_end(const char *s, size_t n, size_t i);
size_t lay_skip_spaces(const char *s, size_t n, size_t i);

typedef struct lay_ymd {
    int y, m, d;
} lay_ymd;

/* A full date (day, month and year) starting at s[i], optionally after a weekday: "20 novembre
 * 2023", "1er janvier 2016", "Nov. 20, 2023", "Thursday, May 7, 2015", "20/11/2023",
 * "2023-11-20". On true, *out is the date and *end the byte after it. */
bool lay_date_at(const struct ex_layout_res *r, const char *s, size_t n, size_t i, lay_ymd *out,
                 size_t *end);

/* A personal name starting at s[i] (capitalised words, initials, particles inside): returns the
 * end of its last capitalised token and *tokens its token count, or i when there is none. */
size_t lay_name_at(const struct ex_layout_res *r, const char *s, size_t n, size_t i,
                   unsigned *tokens);

/* Line shapes over one normalised paragraph s[0..n). */
/* White-space words, counting stops once past stop (so a long paragraph costs little). */
unsigned lay_count_words(const char *s, size_t n, unsigned stop);
/* The last code point that is neither a space nor a closing quote or bracket; *at (may be NULL)
 * its start; 0 when none. */
uint32_t lay_last_sig(const char *s, size_t n, size_t *at);
/* Ends with a sentence-final period (an ellipsis "..." is not one)? */
bool lay_ends_period(const char *s, size_t n);
uint32_t lay_first_cp(const char *s, size_t n);
bool lay_is_open_quote(uint32_t cp); /* « “ " „ ‹ */
/* A headline: at most 300 bytes and 35 words, no final period, colon, comma or semicolon, no
 * lower-case or dash start. */
bool lay_title_like(const char *s, size_t n);
/* A subheading: at most 120 bytes and 14 words (8 for a question), capital or digit start, no
 * final period, colon, comma, semicolon or dash. */
bool lay_subheading_like(const char *s, size_t n);
/* One quotation « … », “ … ”, " … " (a final period after it allowed), nothing outside it. */
bool lay_quote_only(const char *s, size_t n);
/* Is s[0..n) an ISO 8601 date or date-time (extended format)? On true, date = "YYYY-MM-DD". */
bool lay_iso8601_date(const char *s, size_t n, char date[11]);
/* Does the paragraph open with a dateline ("22 mai 2012. –", "2 janvier 2018 . –",
 * "12 mars 2016, Montpellier . –", "PARIS (AFP) –", "WASHINGTON —", "LONDRES, 3 mars 2024
 * (Reuters) -"), or is it a date alone ("Thursday, May 7, 2015")? *dated with *date when it
 * carries a full date; [*ag_s, *ag_e) the agency in its parentheses, if any (else equal). */
bool lay_dateline(const struct ex_layout_res *r, const char *s, size_t n, lay_ymd *date,
                  bool *dated, uint32_t *ag_s, uint32_t *ag_e);

#endif
