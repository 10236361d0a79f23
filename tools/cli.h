/*
 * cli.h — what the files of the `enrich` command-line tool share: the command entry points and
 * a few helpers (clocks, whole-file reads, locating the data directory, the corpus and the
 * daemon binary). Implemented in enrich.c. Touches nothing outside tools/.
 *
 * Ownership: every helper that returns a char * returns a malloc'd string the caller frees;
 * `const char *` results are static or borrowed from argv/environ.
 *
 * Exit statuses shared by every command: 0 success, 1 failure (rejected input, I/O or runtime
 * error), 2 usage error, 3 timeout (tail --timeout), 4 rejected by the daemon (push --ack: every
 * article was answered, some with "error"; 2 stays the usage error).
 */
#ifndef ENRICHD_TOOLS_CLI_H
#define ENRICHD_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_TIMEOUT 3
#define CLI_EXIT_REJECTED 4

#define CLI_DEFAULT_MAX_BYTES ((size_t)1 << 20) /* same default as the daemon's input.max_bytes */

/* Commands: argv[0] is the command name ("extract", "push", ...). Each returns an exit status. */
int cmd_extract(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_dlq(int argc, char **argv);
int cmd_keygen(int argc, char **argv);

/* CURVE client (curve.c): makes sock a CURVE client with the server's public key from
 * server_key_file (a .pub or .key file) and our key pair from key_file (a .key file, refused when
 * group or others may access it). Both NULL: does nothing. Call before connect. Returns
 * CLI_EXIT_OK, CLI_EXIT_USAGE (only one of the two given) or CLI_EXIT_FAIL, with the message
 * printed as "enrich CMD: ...". */
int cli_curve_client(void *sock, const char *cmd, const char *server_key_file,
                     const char *key_file);

/* Prints the usage of one command (or of the tool when cmd is NULL) to out. */
void cli_usage(FILE *out, const char *cmd);
/* Prints "enrich CMD: <message>" and the command's usage to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clocks. */
int64_t cli_now_ms(void);   /* wall clock, Unix milliseconds */
int64_t cli_mono_ns(void);  /* CLOCK_MONOTONIC, nanoseconds */

/* Reads all of fp / the file at path (path "-" = stdin) into a malloc'd buffer with a NUL after
 * the data; *len gets the size. NULL with err set on failure. */
char *cli_read_stream(FILE *fp, size_t *len, char *err, size_t errlen);
char *cli_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* Parses a non-negative decimal integer; returns 0, or -1 when s is not one (or overflows). */
int cli_parse_u64(const char *s, uint64_t *out);

/* The directory the running binary lives in (from /proc/self/exe), malloc'd; NULL if unknown. */
char *cli_exe_dir(void);

/* Language packs: `explicit_dir` when non-NULL, else $ENRICHD_DATA, else <exe>/../../data when it
 * exists (a build tree inside the checkout), else the compile-time ENRICHD_DATADIR. malloc'd. */
char *cli_data_dir(const char *explicit_dir);

/* Default instance name, as the daemon's: "enrichd-" + hostname. Written into out. */
void cli_default_instance(char *out, size_t outlen);

/* The benchmark corpus: `explicit_path` when non-NULL, else bench/corpus/news.jsonl under the
 * current directory, else <exe>/../../bench/corpus/news.jsonl. malloc'd; NULL when none exists. */
char *cli_corpus_path(const char *explicit_path);

#endif
