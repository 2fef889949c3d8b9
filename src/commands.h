/*
 * The fenghuo binary's subcommands. Each takes the arguments after its own
 * name (argv[0] is the subcommand) and returns the process exit status.
 */
#ifndef FENGHUO_SRC_COMMANDS_H
#define FENGHUO_SRC_COMMANDS_H

#include <stdbool.h>

/* Exit statuses shared by every subcommand. */
#define FH_EXIT_OK    0
#define FH_EXIT_FAIL  1 /* the command ran; the answer is "no" (invalid, not found) */
#define FH_EXIT_USAGE 2 /* usage error, I/O error, or a failure to run at all */

int fh_cmd_stix(int argc, char **argv);
int fh_cmd_stix_validate(int argc, char **argv);
int fh_cmd_stix_pattern(int argc, char **argv);
int fh_cmd_admin(int argc, char **argv);
int fh_cmd_hub(int argc, char **argv);
int fh_cmd_submit(int argc, char **argv);
int fh_cmd_get(int argc, char **argv);
int fh_cmd_sensor(int argc, char **argv);
int fh_cmd_enforce(int argc, char **argv);
int fh_cmd_export(int argc, char **argv);
int fh_cmd_import(int argc, char **argv);

/* True when argv[1..] asks for help (-h, --help or "help"). */
bool fh_cmd_wants_help(int argc, char **argv);

#endif
