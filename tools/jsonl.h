/*
 * jsonl.h — reading the inputs of the `enrich` commands: JSON-lines files (one frame per
 * non-blank line: extract --jsonl, push from stdin, the bench corpus) and lists of whole files
 * (one frame per file: extract, push FILE...). Files and stdin only; no sockets.
 *
 * Ownership: a cli_jsonl / cli_frames owns its line buffer and the FILE it opened (not stdin);
 * the bytes returned by *_next are borrowed and valid until the next call or the close.
 * Blank line = only ASCII blanks (space, tab, CR, LF, FF, VT); lines are returned without their
 * trailing CR/LF and with a NUL after them.
 */
#ifndef ENRICHD_TOOLS_JSONL_H
#define ENRICHD_TOOLS_JSONL_H

#include <stddef.h>
#include <stdio.h>

typedef struct cli_jsonl {
    FILE *fp;
    int owns_fp;          /* 0 for stdin */
    char *line;           /* getline buffer */
    size_t cap;
    unsigned long lineno; /* number of the line last returned, from 1 */
} cli_jsonl;

/* Opens path ("-" = stdin). Returns 0, or -1 with err set ("PATH: reason"). */
int cli_jsonl_open(cli_jsonl *r, const char *path, char *err, size_t errlen);
/* Next non-blank line: 1 (line/len set), 0 at the end, -1 on a read error (err set). */
int cli_jsonl_next(cli_jsonl *r, const char **line, size_t *len, char *err, size_t errlen);
void cli_jsonl_close(cli_jsonl *r);

/* 1 when s[0..n) holds only ASCII blanks. */
int cli_is_blank(const char *s, size_t n);

/* The frames of a command's FILE arguments: each file whole (lines = 0) or each non-blank line
 * of each file (lines = 1); no path = stdin. paths is borrowed (argv). */
typedef struct cli_frames {
    char **paths;
    int npaths, next_path;
    int lines;
    const char *path;    /* the file the last frame (or error) came from */
    cli_jsonl jl;
    int jl_open;
    char *whole;         /* the last whole file read (owned) */
} cli_frames;

void cli_frames_init(cli_frames *f, char **paths, int npaths, int lines);
/* Next frame: 1 (bytes/len set), 0 when every file is done, -1 when a file cannot be read (err
 * says which and why; calling again goes on with the next file). */
int cli_frames_next(cli_frames *f, const char **bytes, size_t *len, char *err, size_t errlen);
void cli_frames_close(cli_frames *f);

#endif
