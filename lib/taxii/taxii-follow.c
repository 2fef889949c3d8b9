/*
 * Following TAXII collections: poll each with added_after (TAXII 2.1 section
 * 3.4), page through `next`, and keep the latest version of every object
 * (revoked ones and those past valid_until are dropped). Used by the sensor
 * (to match traffic against a hub's indicators) and by `fenghuo enforce`.
 * One thread polls; any thread may take a copy of the held objects.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/taxii.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"

struct fh_taxii_follow {
    char *hub;
    fh_taxii_client_opts opts;
    char *token, *cacert;
    fh_taxii_client *client;
    char **collections;
    size_t n_collections;
    char **added_after; /* per collection; NULL before the first answer */
    char *type;         /* match[type], or NULL for every type */
    size_t max_objects;
    json_t *objects; /* id -> latest version */
    pthread_mutex_t lock;
    uint64_t polls, errors;
};

static fh_err connect_hub(fh_taxii_follow *f, fh_buf *err)
{
    if (f->client)
        return FH_OK;
    return fh_taxii_client_new(f->hub, &f->opts, &f->client, err);
}

/* Takes one object into the held set; true when the set changed. */
static bool take_object(fh_taxii_follow *f, json_t *obj)
{
    const char *id = fh_json_str(obj, "id");
    const char *type = fh_json_str(obj, "type");
    const char *modified = fh_json_str(obj, "modified");
    if (id == NULL || type == NULL || modified == NULL || (f->type && strcmp(type, f->type) != 0))
        return false;
    json_t *held = json_object_get(f->objects, id);
    fh_time m, hm;
    if (held && fh_time_parse(modified, strlen(modified), &m, NULL) == FH_OK &&
        fh_time_parse(fh_json_str(held, "modified"), strlen(fh_json_str(held, "modified")), &hm,
                      NULL) == FH_OK &&
        fh_time_cmp(&m, &hm) <= 0)
        return false; /* not newer than what we have */
    bool gone = json_is_true(json_object_get(obj, "revoked"));
    const char *until = fh_json_str(obj, "valid_until");
    fh_time u, now = fh_time_now();
    if (until && fh_time_parse(until, strlen(until), &u, NULL) == FH_OK &&
        fh_time_cmp(&u, &now) <= 0)
        gone = true;
    if (gone)
        return json_object_del(f->objects, id) == 0;
    if (held == NULL && json_object_size(f->objects) >= f->max_objects) {
        f->errors++;
        fh_warn("taxii", "following: %zu objects held, the limit; %s is left out", f->max_objects,
                id);
        return false;
    }
    json_object_set(f->objects, id, obj);
    return true;
}

static bool is_uuid(const char *s)
{
    fh_uuid u;
    return strlen(s) == 36 && fh_uuid_parse(s, 36, &u) == FH_OK;
}

/* A collection given by title (e.g. "consensus", the hub's built-in one) is
 * looked up among the collections the token can read; the first with that
 * title wins. False (logged) when there is none yet: asked again at the
 * next poll. */
static bool resolve_collection(fh_taxii_follow *f, size_t c, fh_buf *err)
{
    if (is_uuid(f->collections[c]))
        return true;
    fh_taxii_reply r;
    fh_taxii_reply_init(&r);
    bool ok = false;
    if (fh_taxii_client_call(f->client, "GET", "collections/", NULL, 0, &r, err) == FH_OK &&
        r.status == 200) {
        json_t *doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
        size_t i;
        json_t *col;
        json_array_foreach(json_object_get(doc, "collections"), i, col)
        {
            const char *title = fh_json_str(col, "title");
            const char *id = fh_json_str(col, "id");
            if (!ok && title && id && strcmp(title, f->collections[c]) == 0 && is_uuid(id)) {
                fh_info("taxii", "following collection '%s': %s", title, id);
                free(f->collections[c]);
                f->collections[c] = fh_xstrdup(id);
                ok = true;
            }
        }
        json_decref(doc);
    }
    if (!ok) {
        f->errors++;
        fh_warn("taxii", "following %s: no readable collection is titled '%s'", f->hub,
                f->collections[c]);
    }
    fh_taxii_reply_cleanup(&r);
    return ok;
}

/* Polls every collection once. True when the held set changed. */
bool fh_taxii_follow_poll(fh_taxii_follow *f)
{
    fh_buf err;
    fh_buf_init(&err, 4096);
    bool changed = false;
    if (connect_hub(f, &err) != FH_OK) {
        f->errors++;
        fh_warn("taxii", "following %s: not reachable (%s)", f->hub, err.data ? err.data : "?");
        fh_buf_cleanup(&err);
        return false;
    }
    f->polls++;
    for (size_t c = 0; c < f->n_collections; c++) {
        if (!resolve_collection(f, c, &err))
            continue;
        char *next = NULL;
        for (int page = 0; page < 100000; page++) {
            fh_buf q;
            fh_buf_init(&q, 4096);
            fh_buf_appendf(&q, "collections/%s/objects/", f->collections[c]);
            if (f->type)
                fh_taxii_query_add(&q, "match[type]", f->type);
            fh_taxii_query_add(&q, "limit", "1000");
            if (f->added_after[c])
                fh_taxii_query_add(&q, "added_after", f->added_after[c]);
            if (next)
                fh_taxii_query_add(&q, "next", next);
            fh_taxii_reply r;
            fh_taxii_reply_init(&r);
            fh_err rc = fh_taxii_client_call(f->client, "GET", q.data, NULL, 0, &r, &err);
            fh_buf_cleanup(&q);
            json_t *env = rc == FH_OK && r.status == 200
                              ? json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL)
                              : NULL;
            if (env == NULL) {
                f->errors++;
                fh_buf msg;
                fh_buf_init(&msg, 4096);
                if (rc == FH_OK)
                    fh_taxii_describe_error(&r, &msg);
                fh_warn("taxii", "following %s: %s", f->collections[c],
                        rc ? (err.data ? err.data : "no answer") : (msg.data ? msg.data : "?"));
                fh_buf_cleanup(&msg);
                if (rc) {
                    fh_taxii_client_free(f->client);
                    f->client = NULL;
                }
                fh_taxii_reply_cleanup(&r);
                break;
            }
            size_t i;
            json_t *obj;
            pthread_mutex_lock(&f->lock);
            json_array_foreach(json_object_get(env, "objects"), i, obj)
            {
                changed |= take_object(f, obj);
            }
            pthread_mutex_unlock(&f->lock);
            if (r.added_last[0]) {
                free(f->added_after[c]);
                f->added_after[c] = fh_xstrdup(r.added_last);
            }
            bool more = json_is_true(json_object_get(env, "more"));
            free(next);
            next = more && fh_json_str(env, "next") ? fh_xstrdup(fh_json_str(env, "next")) : NULL;
            json_decref(env);
            fh_taxii_reply_cleanup(&r);
            if (next == NULL)
                break;
        }
        free(next);
    }
    fh_buf_cleanup(&err);
    return changed;
}

json_t *fh_taxii_follow_objects(fh_taxii_follow *f)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&f->lock);
    const char *k;
    json_t *v;
    json_object_foreach(f->objects, k, v)
    {
        json_array_append(arr, v);
    }
    pthread_mutex_unlock(&f->lock);
    return arr;
}

fh_err fh_taxii_follow_new(const char *hub, const fh_taxii_client_opts *opts,
                           const char *const *collections, size_t n, const char *type,
                           size_t max_objects, fh_taxii_follow **out)
{
    *out = NULL;
    if (hub == NULL || n == 0)
        return FH_ERR_USAGE;
    fh_taxii_follow *f = fh_xcalloc(1, sizeof *f);
    f->hub = fh_xstrdup(hub);
    f->opts = *opts;
    f->token = fh_xstrdup(opts->token);
    f->cacert = fh_xstrdup(opts->cacert);
    f->opts.token = f->token;
    f->opts.cacert = f->cacert;
    f->collections = fh_xcalloc(n, sizeof *f->collections);
    for (size_t i = 0; i < n; i++)
        f->collections[i] = fh_xstrdup(collections[i]);
    f->n_collections = n;
    f->added_after = fh_xcalloc(n, sizeof *f->added_after);
    f->type = fh_xstrdup(type);
    f->max_objects = max_objects ? max_objects : 10000000;
    f->objects = json_object();
    pthread_mutex_init(&f->lock, NULL);
    *out = f;
    return FH_OK;
}

void fh_taxii_follow_since(fh_taxii_follow *f, const char *ts)
{
    for (size_t i = 0; i < f->n_collections; i++) {
        free(f->added_after[i]);
        f->added_after[i] = fh_xstrdup(ts);
    }
}

size_t fh_taxii_follow_count(fh_taxii_follow *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = json_object_size(f->objects);
    pthread_mutex_unlock(&f->lock);
    return n;
}

void fh_taxii_follow_counts(const fh_taxii_follow *f, uint64_t *polls, uint64_t *errors)
{
    *polls = f->polls;
    *errors = f->errors;
}

void fh_taxii_follow_free(fh_taxii_follow *f)
{
    if (f == NULL)
        return;
    fh_taxii_client_free(f->client);
    for (size_t i = 0; i < f->n_collections; i++) {
        free(f->collections[i]);
        free(f->added_after[i]);
    }
    free(f->collections);
    free(f->added_after);
    free(f->hub);
    free(f->token);
    free(f->cacert);
    free(f->type);
    json_decref(f->objects);
    pthread_mutex_destroy(&f->lock);
    free(f);
}
