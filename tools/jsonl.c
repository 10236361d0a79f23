/*
 * jsonl.c — the input readers of jsonl.h: JSON-lines files and lists of whole files, shared by
 * extract, push and bench. Touches only the files it is given (read-only) and stdin.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonl.h"

int cli_is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' && s[i] != '\f' &&
            s[i] != '\v')
            return 0;
    return 1;
}

int cli_jsonl_open(cli_jsonl *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (strcmp(path, "-") == 0) {
        r->fp = stdin;
        return 0;
    }
    r->fp = fopen(path, "rb");
    if (!r->fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    r->owns_fp = 1;
    return 0;
}

int cli_jsonl_next(cli_jsonl *r, const char **line, size_t *len, char *err, size_t errlen)
{
    ssize_t n;
    while ((n = getline(&r->line, &r->cap, r->fp)) >= 0) {
        r->lineno++;
        size_t l = (size_t)n;
        while (l > 0 && (r->line[l - 1] == '\n' || r->line[l - 1] == '\r'))
            l--;
        if (cli_is_blank(r->line, l))
            continue;
        r->line[l] = '\0';
        *line = r->line;
        *len = l;
        return 1;
    }
    if (ferror(r->fp)) {
        snprintf(err, errlen, "read error after line %lu: %s", r->lineno, strerror(errno));
        return -1;
    }
    return 0;
}

void cli_jsonl_close(cli_jsonl *r)
{
    if (r->owns_fp && r->fp)
        fclose(r->fp);
    free(r->line);
    memset(r, 0, sizeof *r);
}

static char *stdin_path[] = {"-"};

void cli_frames_init(cli_frames *f, char **paths, int npaths, int lines)
{
    memset(f, 0, sizeof *f);
    f->paths = npaths > 0 ? paths : stdin_path;
    f->npaths = npaths > 0 ? npaths : 1;
    f->lines = lines;
}

int cli_frames_next(cli_frames *f, const char **bytes, size_t *len, char *err, size_t errlen)
{
    free(f->whole);
    f->whole = NULL;
    for (;;) {
        if (f->jl_open) {
            char inner[200];
            int rc = cli_jsonl_next(&f->jl, bytes, len, inner, sizeof inner);
            if (rc == 1)
                return 1;
            cli_jsonl_close(&f->jl);
            f->jl_open = 0;
            if (rc < 0) {
                snprintf(err, errlen, "%s: %s", f->path, inner);
                return -1;
            }
        }
        if (f->next_path >= f->npaths)
            return 0;
        f->path = f->paths[f->next_path++];
        if (f->lines) {
            if (cli_jsonl_open(&f->jl, f->path, err, errlen) != 0)
                return -1;
            f->jl_open = 1;
            continue;
        }
        f->whole = cli_read_file(f->path, len, err, errlen);
        if (!f->whole)
            return -1;
        *bytes = f->whole;
        return 1;
    }
}

void cli_frames_close(cli_frames *f)
{
    if (f->jl_open)
        cli_jsonl_close(&f->jl);
    free(f->whole);
    memset(f, 0, sizeof *f);
}
