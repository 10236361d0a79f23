/*
 * cmd_keygen.c — `enrich keygen [--force] NAME`: makes a CURVE key pair and writes NAME.key
 * (secret, mode 0600) and NAME.pub (public, mode 0644) in the pinned format (proto/keyfile.h).
 * Touches only tools/ and the two files it writes.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "keyfile.h"

int cmd_keygen(int argc, char **argv)
{
    enum { OPT_FORCE = 256, OPT_HELP };
    static const struct option longopts[] = {{"force", no_argument, NULL, OPT_FORCE},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             {NULL, 0, NULL, 0}};
    int force = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_FORCE:
            force = 1;
            break;
        case OPT_HELP:
            cli_usage(stdout, "keygen");
            return CLI_EXIT_OK;
        default:
            cli_usage(stderr, "keygen");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage_error("keygen", "missing NAME");
    if (optind + 1 < argc)
        return cli_usage_error("keygen", "one NAME only");
    const char *name = argv[optind];
    char pub[ED_KEY_Z85_LEN + 1], err[600];
    if (ed_keyfile_generate(name, force, pub, err, sizeof err) < 0) {
        fprintf(stderr, "enrich keygen: %s\n", err);
        return CLI_EXIT_FAIL;
    }
    printf("wrote %s.key (secret, mode 0600) and %s.pub (public, mode 0644)\n"
           "public-key = \"%s\"\n",
           name, name, pub);
    return CLI_EXIT_OK;
}
