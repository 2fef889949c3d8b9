/*
 * fenghuo: one binary, several subcommands. main parses the first word and
 * hands the rest to the subcommand; every real job is done by libfenghuo.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fenghuo/util.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"stix", fh_cmd_stix, "validate STIX 2.1 documents and patterns"},
    {"hub", fh_cmd_hub, "run the TAXII 2.1 hub over a data folder"},
    {"submit", fh_cmd_submit, "post STIX objects from files to a TAXII 2.1 collection"},
    {"get", fh_cmd_get, "print the objects of a TAXII 2.1 collection as JSON lines"},
    {"admin", fh_cmd_admin, "manage a hub's organizations, tokens, collections and grants"},
    {"sensor", fh_cmd_sensor, "detect attacks and indicator matches in packets"},
    {"enforce", fh_cmd_enforce, "block indicators' addresses with nftables"},
    {"export", fh_cmd_export, "write indicators as nft, ipset, Suricata, Zeek, RPZ, MISP..."},
    {"import", fh_cmd_import, "turn lists, CSV, MISP feeds into STIX indicators"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "fenghuo %s: threat-intelligence sharing (TAXII 2.1 / STIX 2.1) and network "
            "monitoring\n"
            "\n"
            "usage: fenghuo [--version] [--help] COMMAND [ARGS...]\n"
            "\n"
            "commands:\n",
            FH_VERSION);
    for (size_t i = 0; i < FH_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "  %-10s %s\n", "help", "show this help, or a command's: fenghuo help COMMAND");
    fprintf(out, "  %-10s %s\n", "version", "print the version");
    fprintf(out, "\n"
                 "Run 'fenghuo COMMAND --help' for a command's options.\n"
                 "Exit status: 0 success, 1 the command's answer is negative (e.g. invalid "
                 "input), 2 usage or I/O error.\n"
                 "Documentation: docs/ in the source tree (one page per command).\n");
}

bool fh_cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < FH_ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FH_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return FH_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("fenghuo %s\n", FH_VERSION);
        return FH_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return FH_EXIT_OK;
        }
        const struct command *c = find(argv[2]);
        if (c == NULL) {
            fprintf(stderr, "fenghuo: unknown command '%s'; see 'fenghuo --help'\n", argv[2]);
            return FH_EXIT_USAGE;
        }
        char *help_argv[] = {argv[2], "--help", NULL};
        return c->run(2, help_argv);
    }
    const struct command *c = find(cmd);
    if (c == NULL) {
        fprintf(stderr, "fenghuo: unknown command '%s'; see 'fenghuo --help'\n", cmd);
        return FH_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
