/*
 * `fenghuo submit`: posts STIX objects from files to a TAXII 2.1 collection.
 * Splits the input into envelopes under the server's max_content_length,
 * waits for each status resource to be complete and prints a summary.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "fenghuo/json.h"
#include "fenghuo/stix.h"
#include "fenghuo/taxii.h"

static void submit_usage(FILE *out)
{
    fprintf(out,
            "usage: fenghuo submit --hub URL --token TOKEN --collection ID [OPTIONS] FILE...\n"
            "\n"
            "Posts every STIX object in each FILE (a bundle, a TAXII envelope, a JSON array of\n"
            "objects or one object; '-' is standard input) to a TAXII 2.1 collection. Objects\n"
            "are sent in envelopes under the server's max_content_length; each envelope's\n"
            "status resource is followed until it is complete.\n"
            "\n"
            "options:\n"
            "  --hub URL            the hub (https://host:8443, discovered) or an API root URL\n"
            "  --token TOKEN        the API token (default: $FENGHUO_TOKEN)\n"
            "  --collection ID      the collection to add objects to\n"
            "  --batch N            most objects per envelope (default 1000)\n"
            "  --cacert FILE        trust the CA certificates in FILE (PEM)\n"
            "  --insecure           do not verify the hub's TLS certificate\n"
            "  --quiet              no progress bar\n"
            "  -h, --help           show this help\n"
            "\n"
            "Prints one line per failed object (FAILED id version: reason) and a summary.\n"
            "exit status: 0 every object stored, 1 some object failed, 2 usage, I/O or\n"
            "network error.\n");
}

struct submit {
    fh_taxii_client *client;
    char *objects_path;
    size_t max_body;
    size_t batch;
    size_t total, stored, failed, sent;
    bool progress;
};

static void show_progress(struct submit *s)
{
    if (!s->progress || s->total == 0)
        return;
    unsigned width = 30, done = (unsigned)(width * s->sent / s->total);
    char bar[31];
    for (unsigned i = 0; i < width; i++)
        bar[i] = i < done ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\rsubmitting [%s] %zu/%zu objects, %zu failed", bar, s->sent, s->total,
            s->failed);
    if (s->sent == s->total)
        fputc('\n', stderr);
    fflush(stderr);
}

static void count_status(struct submit *s, json_t *st)
{
    s->stored += (size_t)json_integer_value(json_object_get(st, "success_count"));
    size_t nf = (size_t)json_integer_value(json_object_get(st, "failure_count"));
    s->failed += nf;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(st, "failures"), i, f)
    {
        const char *id = fh_json_str(f, "id"), *ver = fh_json_str(f, "version"),
                   *msg = fh_json_str(f, "message");
        if (s->progress)
            fputc('\n', stderr);
        printf("FAILED %s %s: %s\n", id && *id ? id : "(no id)", ver && *ver ? ver : "-",
               msg ? msg : "no reason given");
    }
}

/* Posts one envelope body holding n objects; follows its status. */
static int post_envelope(struct submit *s, const char *body, size_t len, size_t n)
{
    fh_taxii_reply r;
    fh_taxii_reply_init(&r);
    fh_buf err;
    fh_buf_init(&err, 0);
    int status = FH_EXIT_OK;
    fh_err rc = fh_taxii_client_call(s->client, "POST", s->objects_path, body, len, &r, &err);
    if (rc) {
        fprintf(stderr, "\nfenghuo submit: %s\n", err.data);
        status = FH_EXIT_USAGE;
        goto done;
    }
    if (r.status != 202) {
        fh_buf_reset(&err);
        fh_taxii_describe_error(&r, &err);
        fprintf(stderr, "%sfenghuo submit: an envelope of %zu objects was refused: %s\n",
                s->progress ? "\n" : "", n, err.data);
        s->failed += n;
        status =
            r.status == 401 || r.status == 403 || r.status == 404 ? FH_EXIT_USAGE : FH_EXIT_FAIL;
        goto done;
    }
    json_t *st = json_loadb(r.body.data, r.body.len, 0, NULL);
    /* Follow a pending status until it is complete (bounded: 10 minutes). */
    for (int polls = 0; st && polls < 600; polls++) {
        const char *state = fh_json_str(st, "status");
        if (state == NULL || strcmp(state, "pending") != 0)
            break;
        struct timespec ts = {.tv_sec = 1};
        nanosleep(&ts, NULL);
        char *rel = fh_xasprintf("status/%s/", fh_json_str(st, "id"));
        rc = fh_taxii_client_call(s->client, "GET", rel, NULL, 0, &r, &err);
        free(rel);
        json_decref(st);
        st = rc == FH_OK && r.status == 200 ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
    }
    if (st == NULL) {
        fprintf(stderr, "\nfenghuo submit: the hub's status resource could not be read\n");
        s->failed += n;
        status = FH_EXIT_USAGE;
        goto done;
    }
    count_status(s, st);
    json_decref(st);
done:
    s->sent += n;
    show_progress(s);
    fh_buf_cleanup(&err);
    fh_taxii_reply_cleanup(&r);
    return status;
}

/* Sends objects in envelopes of at most s->batch objects and s->max_body
 * bytes. */
static int submit_objects(struct submit *s, json_t *objects)
{
    fh_buf env, one;
    fh_buf_init(&env, FH_BUF_DEFAULT_MAX);
    fh_buf_init(&one, FH_BUF_DEFAULT_MAX);
    int worst = FH_EXIT_OK;
    size_t in_env = 0;
    const size_t overhead = sizeof "{\"objects\":[]}";
    for (size_t i = 0; i <= json_array_size(objects); i++) {
        bool last = i == json_array_size(objects);
        if (!last) {
            fh_buf_reset(&one);
            fh_json_canonical(json_array_get(objects, i), &one);
            if (one.len + overhead > s->max_body) {
                const char *id = fh_json_str(json_array_get(objects, i), "id");
                printf("FAILED %s -: the object is %zu bytes; the hub accepts at most %zu per "
                       "request\n",
                       id ? id : "(no id)", one.len, s->max_body);
                s->failed++;
                s->sent++;
                worst = worst ? worst : FH_EXIT_FAIL;
                continue;
            }
        }
        bool full = in_env == s->batch || (in_env && env.len + 1 + one.len + 2 > s->max_body);
        if (in_env && (last || full)) {
            fh_buf_append_str(&env, "]}");
            int st = post_envelope(s, env.data, env.len, in_env);
            if (st > worst)
                worst = st;
            if (st == FH_EXIT_USAGE)
                break;
            in_env = 0;
        }
        if (last)
            break;
        if (in_env == 0) {
            fh_buf_reset(&env);
            fh_buf_append_str(&env, "{\"objects\":[");
        } else {
            fh_buf_append_char(&env, ',');
        }
        fh_buf_append(&env, one.data, one.len);
        in_env++;
    }
    fh_buf_cleanup(&env);
    fh_buf_cleanup(&one);
    return worst;
}

int fh_cmd_submit(int argc, char **argv)
{
    static const struct option longopts[] = {{"hub", required_argument, NULL, 'H'},
                                             {"token", required_argument, NULL, 'T'},
                                             {"collection", required_argument, NULL, 'C'},
                                             {"batch", required_argument, NULL, 'b'},
                                             {"cacert", required_argument, NULL, 'c'},
                                             {"insecure", no_argument, NULL, 'k'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *hub = NULL, *collection = NULL;
    fh_taxii_client_opts copts = {.token = getenv("FENGHUO_TOKEN")};
    struct submit s = {.batch = 1000, .progress = isatty(STDERR_FILENO)};
    int64_t v;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H':
            hub = optarg;
            break;
        case 'T':
            copts.token = optarg;
            break;
        case 'C':
            collection = optarg;
            break;
        case 'b':
            if (fh_parse_i64(optarg, 1, 100000, &v) != FH_OK) {
                fprintf(stderr, "fenghuo submit: --batch takes 1 to 100000, not '%s'\n", optarg);
                return FH_EXIT_USAGE;
            }
            s.batch = (size_t)v;
            break;
        case 'c':
            copts.cacert = optarg;
            break;
        case 'k':
            copts.insecure = true;
            break;
        case 'q':
            s.progress = false;
            break;
        case 'h':
            submit_usage(stdout);
            return FH_EXIT_OK;
        default:
            submit_usage(stderr);
            return FH_EXIT_USAGE;
        }
    }
    if (hub == NULL || collection == NULL || copts.token == NULL || optind == argc) {
        fprintf(stderr, "fenghuo submit: --hub, --token (or $FENGHUO_TOKEN), --collection and "
                        "at least one FILE are required; see 'fenghuo submit --help'\n");
        return FH_EXIT_USAGE;
    }
    fh_buf err;
    fh_buf_init(&err, 0);
    int status = FH_EXIT_OK;
    json_t *all = json_array();
    fh_stix_limits lim;
    fh_stix_limits_init(&lim);
    lim.max_bytes = (size_t)1 << 30;
    lim.max_objects = 10000000;
    for (int i = optind; i < argc; i++) {
        fh_buf data;
        fh_buf_init(&data, lim.max_bytes);
        if (fh_buf_read_file(&data, argv[i]) != FH_OK) {
            fprintf(stderr, "fenghuo submit: cannot read %s\n", argv[i]);
            fh_buf_cleanup(&data);
            status = FH_EXIT_USAGE;
            goto done;
        }
        fh_stix_diags diags;
        fh_stix_diags_init(&diags);
        json_t *objects = NULL;
        fh_err rc =
            fh_stix_parse(data.data ? data.data : "", data.len, &lim, &objects, NULL, &diags);
        fh_buf_cleanup(&data);
        if (rc) {
            fh_buf line;
            fh_buf_init(&line, 0);
            if (diags.count)
                fh_stix_diag_format(&diags.items[0], &line);
            fprintf(stderr, "fenghuo submit: %s: %s\n", argv[i],
                    line.data ? line.data : fh_strerror(rc));
            fh_buf_cleanup(&line);
            fh_stix_diags_cleanup(&diags);
            status = FH_EXIT_USAGE;
            goto done;
        }
        fh_stix_diags_cleanup(&diags);
        json_array_extend(all, objects);
        json_decref(objects);
    }
    s.total = json_array_size(all);

    if (fh_taxii_client_new(hub, &copts, &s.client, &err) != FH_OK) {
        fprintf(stderr, "fenghuo submit: %s\n", err.data);
        status = FH_EXIT_USAGE;
        goto done;
    }
    fh_taxii_reply r;
    fh_taxii_reply_init(&r);
    if (fh_taxii_client_call(s.client, "GET", "", NULL, 0, &r, &err) != FH_OK || r.status != 200) {
        if (err.len == 0)
            fh_taxii_describe_error(&r, &err);
        fprintf(stderr, "fenghuo submit: cannot read the API root %s: %s\n",
                fh_taxii_client_api_root(s.client), err.data);
        fh_taxii_reply_cleanup(&r);
        status = FH_EXIT_USAGE;
        goto done;
    }
    json_t *root = json_loadb(r.body.data, r.body.len, 0, NULL);
    json_int_t mcl = json_integer_value(json_object_get(root, "max_content_length"));
    json_decref(root);
    fh_taxii_reply_cleanup(&r);
    s.max_body = mcl > 0 ? (size_t)mcl : (size_t)1 << 20;
    s.objects_path = fh_xasprintf("collections/%s/objects/", collection);

    status = submit_objects(&s, all);
    fprintf(stderr, "fenghuo submit: %zu objects: %zu stored, %zu failed\n", s.total, s.stored,
            s.failed);
    if (status == FH_EXIT_OK && s.failed)
        status = FH_EXIT_FAIL;
done:
    json_decref(all);
    free(s.objects_path);
    fh_taxii_client_free(s.client);
    fh_buf_cleanup(&err);
    return status;
}
