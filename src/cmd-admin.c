/*
 * `fenghuo admin`: manages a hub's organizations, tokens, collections,
 * grants and sharing groups directly in its data folder (the hub may be running: SQLite in WAL
 * mode lets both work at once).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fenghuo/policy.h"
#include "fenghuo/store.h"
#include "fenghuo/time.h"

static void admin_usage(FILE *out)
{
    fprintf(out,
            "usage: fenghuo admin --data DIR COMMAND [ARGS...]\n"
            "\n"
            "Manages the hub whose data folder is DIR (created when missing).\n"
            "\n"
            "commands:\n"
            "  org add NAME [--parent ORG]       add an organization (and its STIX identity);\n"
            "                                    prints its id; --parent makes it a client of ORG\n"
            "  org set ORG [--parent ORG|none] [--attribution named|anonymous]\n"
            "                                    make ORG a client of another (or of no one);\n"
            "                                    show its name on what it shares, or the hub's\n"
            "                                    community identity (the default)\n"
            "  org set ORG --trust low|normal|high\n"
            "                                    the operator's trust in ORG's reports (weights\n"
            "                                    0.25, 1, 2 in the consensus score; normal unless\n"
            "                                    set; see docs/SHARING.md)\n"
            "  org list                          list organizations\n"
            "  org networks ORG [CIDR...] [--add CIDR]... [--remove CIDR]... [--clear]\n"
            "                                    ORG's own address space (IPv4/IPv6 prefixes):\n"
            "                                    CIDRs replace the list, --add/--remove change\n"
            "                                    it, --clear empties it, nothing lists it.\n"
            "                                    Others see addresses inside as pseudonyms\n"
            "  pseudonyms rotate                 replace the hub's pseudonym key: pseudonyms\n"
            "                                    from then on are unlinkable to earlier ones\n"
            "  org trust                         list each organization's trust: level, feedback\n"
            "                                    from other members' opinions, weight\n"
            "  token new ORG [--label TEXT] [--admin]\n"
            "                                    create a token for ORG (id or name); prints the\n"
            "                                    token alone on stdout, once: it is stored only\n"
            "                                    as a SHA-256 hash and cannot be shown again\n"
            "  token list                        list tokens (ids, never the secrets)\n"
            "  token revoke ID                   revoke a token by its id\n"
            "  collection add TITLE [--description TEXT] [--id UUID] [--default-tlp TLP]\n"
            "                                    add a collection; prints its id. TLP (for\n"
            "                                    objects without a TLP marking): clear, green,\n"
            "                                    amber (the default), amber+strict, red\n"
            "  collection set ID --default-tlp TLP\n"
            "                                    change a collection's default TLP\n"
            "  collection list                   list collections\n"
            "  grant COLLECTION_ID ORG read|write|read,write\n"
            "                                    let ORG read and/or write a collection\n"
            "  revoke COLLECTION_ID ORG          take ORG's permissions on a collection away\n"
            "  group add NAME ORG...             add a sharing group; prints its\n"
            "                                    marking-definition id\n"
            "  group list                        list sharing groups (--json: with their\n"
            "                                    marking-definitions)\n"
            "  group members NAME [--add ORG]... [--remove ORG]...\n"
            "                                    change a group's members, then list them\n"
            "  consensus list                    list the values members reported to the\n"
            "                                    consensus: score, organizations, state\n"
            "  audit [--since TIMESTAMP] [--org ORG]\n"
            "                                    list audit records: admin actions and reads\n"
            "                                    of TLP:AMBER, AMBER+STRICT and RED objects\n"
            "\n"
            "options:\n"
            "  --data DIR     the hub's data folder (required)\n"
            "  --json         print lists as JSON instead of columns\n"
            "  -h, --help     show this help\n"
            "\n"
            "exit status: 0 done, 1 refused (exists, not found, invalid), 2 usage or I/O error.\n");
}

static int fail(fh_err rc, const char *what)
{
    fprintf(stderr, "fenghuo admin: %s: %s\n", what, fh_strerror(rc));
    return rc == FH_ERR_EXISTS || rc == FH_ERR_NOTFOUND || rc == FH_ERR_INVALID ? FH_EXIT_FAIL
                                                                                : FH_EXIT_USAGE;
}

static const char *str_or(const json_t *o, const char *k, const char *dflt)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : dflt;
}

static int print_list(json_t *list, bool as_json, const char *kind);

/* "  networks A, B" after an organization, or a warning when it declared
 * none: whatever it reports shows its victims in clear to the others. */
static void print_networks(const json_t *nets)
{
    size_t i;
    json_t *n;
    if (json_array_size(nets) == 0) {
        printf("  NO NETWORKS (victims shown in clear)");
        return;
    }
    json_array_foreach(nets, i, n)
    {
        printf("%s%s", i ? ", " : "  networks ", json_string_value(n) ? json_string_value(n) : "");
    }
}

/* `org networks ORG [CIDR...] [--add ...] [--remove ...] [--clear]`:
 * changes ORG's networks when asked to, then lists them. *changed says
 * whether anything was asked (for the audit record). */
static int org_networks(fh_store *s, const char *org, char **cidrs, size_t n_cidrs, bool clear,
                        const char **adds, size_t n_adds, const char **removes, size_t n_removes,
                        bool as_json, bool *changed)
{
    *changed = clear || n_cidrs || n_adds || n_removes;
    fh_err rc = FH_OK;
    if (*changed) {
        const char **add = fh_xcalloc(n_cidrs + n_adds + 1, sizeof *add);
        for (size_t i = 0; i < n_cidrs; i++)
            add[i] = cidrs[i];
        for (size_t i = 0; i < n_adds; i++)
            add[n_cidrs + i] = adds[i];
        const char *bad = NULL;
        rc = fh_store_org_networks(s, org, clear || n_cidrs > 0, add, n_cidrs + n_adds, removes,
                                   n_removes, &bad);
        free(add);
        if (rc == FH_ERR_INVALID)
            fprintf(stderr,
                    "fenghuo admin: '%s' is not an IPv4 or IPv6 network (an address, or a prefix "
                    "such as 198.51.100.0/24 with no bits set after its length)\n",
                    bad ? bad : "?");
        if (rc == FH_ERR_LIMIT)
            fprintf(stderr, "fenghuo admin: an organization may declare at most %d networks\n",
                    FH_STORE_MAX_NETWORKS);
    }
    json_t *list = NULL;
    if (rc == FH_OK)
        rc = fh_store_org_networks_list(s, org, &list);
    if (rc == FH_ERR_NOTFOUND)
        fprintf(stderr, "fenghuo admin: no organization '%s'\n", org);
    return rc ? fail(rc, "org networks") : print_list(list, as_json, "network");
}

static int print_list(json_t *list, bool as_json, const char *kind)
{
    if (as_json) {
        char *text = json_dumps(list, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
        json_decref(list);
        return FH_EXIT_OK;
    }
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        if (strcmp(kind, "org") == 0) {
            printf("%s  %s  %s%s%s%s", str_or(o, "id", ""), str_or(o, "identity", ""),
                   str_or(o, "name", ""),
                   json_is_string(json_object_get(o, "parent")) ? "  client of " : "",
                   str_or(o, "parent", ""),
                   json_is_true(json_object_get(o, "named")) ? "  named" : "");
            print_networks(json_object_get(o, "networks"));
            printf("\n");
        } else if (strcmp(kind, "network") == 0)
            printf("%s\n", json_string_value(o) ? json_string_value(o) : "");
        else if (strcmp(kind, "group") == 0) {
            printf("%s  %s:", str_or(o, "id", ""), str_or(o, "name", ""));
            size_t k;
            json_t *m;
            json_array_foreach(json_object_get(o, "members"), k, m)
            {
                printf(" %s", str_or(m, "name", ""));
            }
            printf("\n");
        } else if (strcmp(kind, "audit") == 0) {
            char *ids = json_dumps(json_object_get(o, "object_ids"), JSON_COMPACT);
            printf("%s  %-6s  %-20s  %s%s%s%s%s\n", str_or(o, "time", ""), str_or(o, "action", ""),
                   str_or(o, "org_name", "(command line)"), str_or(o, "endpoint", ""),
                   ids ? "  " : "", ids ? ids : "",
                   json_is_string(json_object_get(o, "detail")) ? "  " : "",
                   str_or(o, "detail", ""));
            free(ids);
        } else if (strcmp(kind, "consensus") == 0) {
            printf("%-6s  %-40s  %-9s  score %.3f  %lld org(s)%s%s\n", str_or(o, "kind", ""),
                   str_or(o, "value", ""), str_or(o, "state", ""),
                   json_real_value(json_object_get(o, "score")),
                   (long long)json_integer_value(json_object_get(o, "organizations")),
                   json_is_string(json_object_get(o, "valid_until")) ? "  until " : "",
                   str_or(o, "valid_until", ""));
        } else if (strcmp(kind, "trust") == 0) {
            printf("%s  %-20s  %-6s  agree %lld  disagree %lld  weight %.2f\n", str_or(o, "id", ""),
                   str_or(o, "name", ""), str_or(o, "trust", ""),
                   (long long)json_integer_value(json_object_get(o, "agree")),
                   (long long)json_integer_value(json_object_get(o, "disagree")),
                   json_real_value(json_object_get(o, "weight")));
        } else if (strcmp(kind, "member") == 0)
            printf("%s  %s  %s\n", str_or(o, "id", ""), str_or(o, "identity", ""),
                   str_or(o, "name", ""));
        else if (strcmp(kind, "token") == 0)
            printf("%s  %-20s  %-5s  %-8s  %s\n", str_or(o, "id", ""), str_or(o, "org_name", ""),
                   json_is_true(json_object_get(o, "admin")) ? "admin" : "-",
                   json_is_null(json_object_get(o, "revoked")) ? "active" : "revoked",
                   str_or(o, "label", ""));
        else
            printf("%s  %8lld objects  %-12s  %s\n", str_or(o, "id", ""),
                   (long long)json_integer_value(json_object_get(o, "objects")),
                   str_or(o, "default_tlp", ""), str_or(o, "title", ""));
    }
    json_decref(list);
    return FH_EXIT_OK;
}

static int parse_perms(const char *s, bool *r, bool *w)
{
    *r = *w = false;
    if (strcmp(s, "read") == 0)
        *r = true;
    else if (strcmp(s, "write") == 0)
        *w = true;
    else if (strcmp(s, "read,write") == 0 || strcmp(s, "write,read") == 0)
        *r = *w = true;
    else
        return -1;
    return 0;
}

/* Appends the audit record of a command that changes the hub: its words
 * (but the data folder) and its exit status. */
static void audit_command(fh_store *s, int argc, char **argv, int status)
{
    fh_buf detail;
    fh_buf_init(&detail, 64 * 1024);
    fh_buf_append_str(&detail, "fenghuo admin");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--data=", 7) == 0)
            continue;
        fh_buf_appendf(&detail, " %s", argv[i]);
    }
    fh_buf_appendf(&detail, " (exit %d)", status);
    fh_store_audit a = {.action = "admin", .endpoint = "cli", .detail = detail.data};
    if (fh_store_audit_append(s, &a) != FH_OK)
        fprintf(stderr, "fenghuo admin: the audit record could not be written\n");
    fh_buf_cleanup(&detail);
}

int fh_cmd_admin(int argc, char **argv)
{
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"label", required_argument, NULL, 'l'},
                                             {"admin", no_argument, NULL, 'a'},
                                             {"description", required_argument, NULL, 'D'},
                                             {"id", required_argument, NULL, 'i'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"parent", required_argument, NULL, 'p'},
                                             {"default-tlp", required_argument, NULL, 't'},
                                             {"add", required_argument, NULL, 'A'},
                                             {"remove", required_argument, NULL, 'R'},
                                             {"attribution", required_argument, NULL, 'N'},
                                             {"since", required_argument, NULL, 'S'},
                                             {"org", required_argument, NULL, 'O'},
                                             {"clear", no_argument, NULL, 'C'},
                                             {"trust", required_argument, NULL, 'r'},
                                             {NULL, 0, NULL, 0}};
    const char *data = NULL, *label = NULL, *description = NULL, *id = NULL, *parent = NULL;
    const char *tlp_name = NULL, *attribution = NULL, *since = NULL, *audit_org = NULL;
    const char *trust = NULL;
    const char **adds = fh_xcalloc((size_t)argc + 1, sizeof *adds);
    const char **removes = fh_xcalloc((size_t)argc + 1, sizeof *removes);
    size_t n_adds = 0, n_removes = 0;
    int status = -1;
    bool admin = false, as_json = false, clear = false, changed = true;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'l':
            label = optarg;
            break;
        case 'a':
            admin = true;
            break;
        case 'D':
            description = optarg;
            break;
        case 'i':
            id = optarg;
            break;
        case 'j':
            as_json = true;
            break;
        case 'p':
            parent = optarg;
            break;
        case 't':
            tlp_name = optarg;
            break;
        case 'A':
            adds[n_adds++] = optarg;
            break;
        case 'R':
            removes[n_removes++] = optarg;
            break;
        case 'N':
            attribution = optarg;
            break;
        case 'S':
            since = optarg;
            break;
        case 'O':
            audit_org = optarg;
            break;
        case 'C':
            clear = true;
            break;
        case 'r':
            trust = optarg;
            break;
        case 'h':
            admin_usage(stdout);
            status = FH_EXIT_OK;
            goto early;
        default:
            admin_usage(stderr);
            status = FH_EXIT_USAGE;
            goto early;
        }
    }
    int nargs = argc - optind;
    char **args = argv + optind;
    if (data == NULL || nargs < 1) {
        fprintf(stderr, "fenghuo admin: %s; see 'fenghuo admin --help'\n",
                data == NULL ? "--data DIR is required" : "a command is required");
        status = FH_EXIT_USAGE;
        goto early;
    }
    fh_tlp tlp = FH_TLP_AMBER;
    if (tlp_name && fh_policy_tlp_parse(tlp_name, &tlp) != FH_OK) {
        fprintf(stderr,
                "fenghuo admin: --default-tlp takes clear, green, amber, amber+strict or red, not "
                "'%s'\n",
                tlp_name);
        status = FH_EXIT_USAGE;
        goto early;
    }
    fh_log_set_level(FH_LOG_WARN);
    fh_store *s = NULL;
    fh_buf err;
    fh_buf_init(&err, 0);
    fh_err rc = fh_store_open(data, 1, &s, &err);
    if (rc) {
        fprintf(stderr, "fenghuo admin: %s\n", err.data ? err.data : fh_strerror(rc));
        fh_buf_cleanup(&err);
        status = FH_EXIT_USAGE;
        goto early;
    }
    fh_buf_cleanup(&err);

    const char *cmd = args[0];
    const char *sub = nargs > 1 ? args[1] : "";
    char out_id[FH_STORE_ID_STRLEN];
    json_t *list = NULL;
    if (strcmp(cmd, "org") == 0 && strcmp(sub, "add") == 0 && nargs == 3) {
        char parent_id[FH_STORE_ID_STRLEN];
        rc = parent ? fh_store_org_find(s, parent, parent_id) : FH_OK;
        if (rc == FH_ERR_NOTFOUND)
            fprintf(stderr, "fenghuo admin: no organization '%s' (--parent)\n", parent);
        if (rc == FH_OK)
            rc = fh_store_org_add(s, args[2], out_id);
        if (rc == FH_ERR_EXISTS)
            fprintf(stderr, "fenghuo admin: an organization named '%s' exists already\n", args[2]);
        if (rc == FH_OK && parent)
            rc = fh_store_org_set_parent(s, out_id, parent_id);
        status = rc ? fail(rc, "org add") : (printf("%s\n", out_id), FH_EXIT_OK);
    } else if (strcmp(cmd, "org") == 0 && strcmp(sub, "set") == 0 && nargs == 3 &&
               (parent || attribution || trust)) {
        rc = FH_OK;
        fh_trust_level level = FH_TRUST_NORMAL;
        if (trust && fh_trust_level_parse(trust, &level) != FH_OK) {
            fprintf(stderr, "fenghuo admin: --trust takes low, normal or high, not '%s'\n", trust);
            status = FH_EXIT_USAGE;
            rc = FH_ERR_USAGE;
        }
        if (rc == FH_OK && trust)
            rc = fh_store_org_set_trust(s, args[2], (int)level);
        if (attribution && strcmp(attribution, "named") != 0 &&
            strcmp(attribution, "anonymous") != 0) {
            fprintf(stderr, "fenghuo admin: --attribution takes named or anonymous\n");
            status = FH_EXIT_USAGE;
            rc = FH_ERR_USAGE;
        }
        if (rc == FH_OK && attribution)
            rc = fh_store_org_set_named(s, args[2], strcmp(attribution, "named") == 0);
        if (rc == FH_OK && parent)
            rc = fh_store_org_set_parent(s, args[2], strcmp(parent, "none") == 0 ? NULL : parent);
        if (rc == FH_ERR_NOTFOUND)
            fprintf(stderr, "fenghuo admin: no organization '%s' or '%s'\n", args[2], parent);
        if (rc == FH_ERR_INVALID)
            fprintf(stderr, "fenghuo admin: an organization cannot be its own client\n");
        if (status < 0)
            status = rc ? fail(rc, "org set") : FH_EXIT_OK;
    } else if (strcmp(cmd, "audit") == 0 && nargs == 1) {
        int64_t since_us = 0;
        fh_time t;
        if (since && fh_time_parse(since, strlen(since), &t, NULL) != FH_OK) {
            fprintf(stderr, "fenghuo admin: --since takes a timestamp such as "
                            "2026-01-31T12:00:00Z\n");
            status = FH_EXIT_USAGE;
        } else {
            if (since)
                since_us = t.sec * 1000000 + (int64_t)(t.nsec / 1000);
            rc = fh_store_audit_list(s, since_us, audit_org, &list);
            if (rc == FH_ERR_NOTFOUND)
                fprintf(stderr, "fenghuo admin: no organization '%s'\n", audit_org);
            status = rc ? fail(rc, "audit") : print_list(list, as_json, "audit");
        }
    } else if (strcmp(cmd, "org") == 0 && strcmp(sub, "networks") == 0 && nargs >= 3) {
        status = org_networks(s, args[2], args + 3, (size_t)nargs - 3, clear, adds, n_adds, removes,
                              n_removes, as_json, &changed);
    } else if (strcmp(cmd, "pseudonyms") == 0 && strcmp(sub, "rotate") == 0 && nargs == 2) {
        rc = fh_store_pseudonym_rotate(s);
        if (rc == FH_OK)
            fprintf(stderr, "fenghuo admin: new pseudonym key; pseudonyms shown from now on are "
                            "unlinkable to earlier ones\n");
        status = rc ? fail(rc, "pseudonyms rotate") : FH_EXIT_OK;
    } else if (strcmp(cmd, "consensus") == 0 && strcmp(sub, "list") == 0 && nargs == 2) {
        rc = fh_store_consensus_list(s, NULL, &list);
        status = rc ? fail(rc, "consensus list") : print_list(list, as_json, "consensus");
    } else if (strcmp(cmd, "org") == 0 && strcmp(sub, "trust") == 0 && nargs == 2) {
        fh_consensus_config ccfg;
        fh_consensus_config_init(&ccfg);
        rc = fh_store_org_trust_list(s, &ccfg, &list);
        status = rc ? fail(rc, "org trust") : print_list(list, as_json, "trust");
    } else if (strcmp(cmd, "org") == 0 && strcmp(sub, "list") == 0 && nargs == 2) {
        rc = fh_store_org_list(s, &list);
        status = rc ? fail(rc, "org list") : print_list(list, as_json, "org");
    } else if (strcmp(cmd, "token") == 0 && strcmp(sub, "new") == 0 && nargs == 3) {
        char token[FH_STORE_TOKEN_STRLEN];
        rc = fh_store_token_new(s, args[2], label, admin, token, out_id);
        if (rc == FH_ERR_NOTFOUND)
            fprintf(stderr, "fenghuo admin: no organization '%s'\n", args[2]);
        if (rc == FH_OK) {
            printf("%s\n", token);
            fprintf(stderr, "fenghuo admin: token %s for %s created; it is shown only once\n",
                    out_id, args[2]);
            memset(token, 0, sizeof token);
            status = FH_EXIT_OK;
        } else {
            status = fail(rc, "token new");
        }
    } else if (strcmp(cmd, "token") == 0 && strcmp(sub, "list") == 0 && nargs == 2) {
        rc = fh_store_token_list(s, &list);
        status = rc ? fail(rc, "token list") : print_list(list, as_json, "token");
    } else if (strcmp(cmd, "token") == 0 && strcmp(sub, "revoke") == 0 && nargs == 3) {
        rc = fh_store_token_revoke(s, args[2]);
        status = rc ? fail(rc, "token revoke") : FH_EXIT_OK;
    } else if (strcmp(cmd, "collection") == 0 && strcmp(sub, "add") == 0 && nargs == 3) {
        rc = fh_store_collection_add(s, args[2], description, id, out_id);
        if (rc == FH_ERR_INVALID)
            fprintf(stderr, "fenghuo admin: --id must be a UUID and TITLE must not be empty\n");
        if (rc == FH_OK && tlp != FH_TLP_AMBER)
            rc = fh_store_collection_set_default_tlp(s, out_id, tlp);
        status = rc ? fail(rc, "collection add") : (printf("%s\n", out_id), FH_EXIT_OK);
    } else if (strcmp(cmd, "collection") == 0 && strcmp(sub, "set") == 0 && nargs == 3 &&
               tlp_name) {
        rc = fh_store_collection_set_default_tlp(s, args[2], tlp);
        if (rc == FH_ERR_NOTFOUND)
            fprintf(stderr, "fenghuo admin: no collection '%s'\n", args[2]);
        status = rc ? fail(rc, "collection set") : FH_EXIT_OK;
    } else if (strcmp(cmd, "group") == 0 && strcmp(sub, "add") == 0 && nargs >= 3) {
        char gid[FH_STORE_GROUP_ID_STRLEN];
        rc = fh_store_group_add(s, args[2], (const char *const *)args + 3, (size_t)nargs - 3, gid);
        if (rc == FH_ERR_EXISTS)
            fprintf(stderr, "fenghuo admin: a group named '%s' exists already\n", args[2]);
        if (rc == FH_ERR_NOTFOUND)
            fprintf(stderr, "fenghuo admin: one of the organizations does not exist\n");
        status = rc ? fail(rc, "group add") : (printf("%s\n", gid), FH_EXIT_OK);
    } else if (strcmp(cmd, "group") == 0 && strcmp(sub, "list") == 0 && nargs == 2) {
        rc = fh_store_group_list(s, NULL, &list);
        status = rc ? fail(rc, "group list") : print_list(list, as_json, "group");
    } else if (strcmp(cmd, "group") == 0 && strcmp(sub, "members") == 0 && nargs == 3) {
        rc = fh_store_group_members(s, args[2], adds, n_adds, removes, n_removes);
        if (rc == FH_ERR_NOTFOUND)
            fprintf(stderr, "fenghuo admin: no group '%s', or an organization does not exist\n",
                    args[2]);
        if (rc == FH_OK)
            rc = fh_store_group_list(s, args[2], &list);
        if (rc == FH_OK) {
            json_t *members = json_incref(json_object_get(json_array_get(list, 0), "members"));
            json_decref(list);
            list = NULL;
            status = print_list(members, as_json, "member");
        } else {
            status = fail(rc, "group members");
        }
    } else if (strcmp(cmd, "collection") == 0 && strcmp(sub, "list") == 0 && nargs == 2) {
        rc = fh_store_collection_list(s, &list);
        status = rc ? fail(rc, "collection list") : print_list(list, as_json, "collection");
    } else if (strcmp(cmd, "grant") == 0 && nargs == 4) {
        bool r, w;
        if (parse_perms(args[3], &r, &w)) {
            fprintf(stderr, "fenghuo admin: grant takes read, write or read,write, not '%s'\n",
                    args[3]);
            status = FH_EXIT_USAGE;
        } else {
            rc = fh_store_grant(s, args[1], args[2], r, w);
            if (rc == FH_ERR_NOTFOUND)
                fprintf(stderr, "fenghuo admin: no collection '%s' or no organization '%s'\n",
                        args[1], args[2]);
            status = rc ? fail(rc, "grant") : FH_EXIT_OK;
        }
    } else if (strcmp(cmd, "revoke") == 0 && nargs == 3) {
        rc = fh_store_revoke(s, args[1], args[2]);
        status = rc ? fail(rc, "revoke") : FH_EXIT_OK;
    }
    if (status < 0) {
        fprintf(stderr, "fenghuo admin: unknown command or wrong arguments; see 'fenghuo admin "
                        "--help'\n");
        status = FH_EXIT_USAGE;
    }
    bool changes = strcmp(cmd, "audit") != 0 && strcmp(sub, "list") != 0 &&
                   strcmp(sub, "trust") != 0 &&
                   !(strcmp(cmd, "group") == 0 && strcmp(sub, "members") == 0 && n_adds == 0 &&
                     n_removes == 0);
    if (changes && changed && status != FH_EXIT_USAGE)
        audit_command(s, argc, argv, status);
    fh_store_close(s);
early:
    free(adds);
    free(removes);
    return status;
}
