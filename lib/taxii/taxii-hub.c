/*
 * The hub's TAXII 2.1 endpoints (TAXII 2.1 sections 4 and 5): routing,
 * content negotiation, authentication and authorization, and each endpoint
 * over lib/store. Transport-independent: see taxii-server.c for HTTP.
 *
 * One API root, FH_TAXII_API_ROOT. Discovery needs no credentials; every
 * other endpoint does. A collection is visible to an organization that has
 * a grant on it; others get 404, exactly as for a collection that does not
 * exist, so ids do not leak.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nettle/sha2.h>

#include "fenghuo/json.h"
#include "fenghuo/policy.h"
#include "fenghuo/stix.h"
#include "fenghuo/mitigate.h"
#include "fenghuo/taxii.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"
#include "taxii/taxii-int.h"

struct fh_taxii_hub {
    fh_store *store;
    uint8_t cursor_key[32];
    size_t max_content_length;
    char *title;
    /* Trust and consensus (fh_taxii_hub_start_consensus); off until then. */
    bool consensus_on;
    fh_consensus_config consensus;
    char consensus_id[FH_STORE_ID_STRLEN];
    pthread_t consensus_thread;
    bool consensus_running, consensus_stop;
    pthread_mutex_t consensus_lock;
    pthread_cond_t consensus_cond;
};

fh_taxii_hub *fh_taxii_hub_new(fh_store *s, const fh_taxii_config *cfg)
{
    fh_taxii_hub *h = fh_xcalloc(1, sizeof *h);
    h->store = s;
    fh_store_cursor_key(s, h->cursor_key);
    h->max_content_length = cfg && cfg->max_content_length ? cfg->max_content_length
                                                           : FH_TAXII_DEFAULT_MAX_CONTENT_LENGTH;
    h->title = fh_xstrdup(cfg && cfg->title ? cfg->title : "fenghuo");
    return h;
}

/* ---- consensus ------------------------------------------------------------ */

static bool consensus_stopping(fh_taxii_hub *h)
{
    pthread_mutex_lock(&h->consensus_lock);
    bool stop = h->consensus_stop;
    pthread_mutex_unlock(&h->consensus_lock);
    return stop;
}

/* The decay side of consensus: every interval, values whose valid_until has
 * come are revoked and values whose reporters' trust changed are scored
 * again (fh_store_consensus_check). */
static void *consensus_loop(void *arg)
{
    fh_taxii_hub *h = arg;
    pthread_mutex_lock(&h->consensus_lock);
    while (!h->consensus_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)h->consensus.interval_s;
        while (!h->consensus_stop &&
               pthread_cond_timedwait(&h->consensus_cond, &h->consensus_lock, &until) == 0)
            ;
        if (h->consensus_stop)
            break;
        pthread_mutex_unlock(&h->consensus_lock);
        /* Batches, each its own transaction, until nothing is left: POSTs
         * get the writer between them. */
        size_t n = 0, total = 0;
        bool more = true;
        fh_err rc = FH_OK;
        while (more && rc == FH_OK && !consensus_stopping(h)) {
            rc = fh_store_consensus_check(h->store, &n, &more);
            total += n;
        }
        if (rc)
            fh_error("consensus", "the periodic check failed: %s", fh_strerror(rc));
        else if (total)
            fh_info("consensus", "periodic check: %zu version(s) published", total);
        pthread_mutex_lock(&h->consensus_lock);
    }
    pthread_mutex_unlock(&h->consensus_lock);
    return NULL;
}

fh_err fh_taxii_hub_start_consensus(fh_taxii_hub *h, const fh_consensus_config *cfg)
{
    if (h->consensus_on)
        return FH_ERR_USAGE;
    if (cfg)
        h->consensus = *cfg;
    else
        fh_consensus_config_init(&h->consensus);
    if (h->consensus.interval_s == 0)
        h->consensus.interval_s = FH_CONSENSUS_DEFAULT_INTERVAL_S;
    fh_err rc = fh_store_consensus_enable(h->store, &h->consensus, h->consensus_id);
    if (rc)
        return rc;
    pthread_mutex_init(&h->consensus_lock, NULL);
    pthread_cond_init(&h->consensus_cond, NULL);
    if (pthread_create(&h->consensus_thread, NULL, consensus_loop, h) != 0) {
        pthread_mutex_destroy(&h->consensus_lock);
        pthread_cond_destroy(&h->consensus_cond);
        return FH_ERR_INTERNAL;
    }
    h->consensus_running = true;
    h->consensus_on = true;
    fh_info("consensus",
            "collection %s; threshold %.2f; half-lives %.0fs (addresses), %.0fs "
            "(domains), %.0fs (URLs), %.0fs (hashes); check every %us",
            h->consensus_id, h->consensus.threshold, h->consensus.half_life_s[FH_CONSENSUS_ADDRESS],
            h->consensus.half_life_s[FH_CONSENSUS_DOMAIN],
            h->consensus.half_life_s[FH_CONSENSUS_URL], h->consensus.half_life_s[FH_CONSENSUS_HASH],
            h->consensus.interval_s);
    return FH_OK;
}

/* Whether collection is the hub's own consensus collection. */
static bool is_consensus(const fh_taxii_hub *h, const char *collection)
{
    return h->consensus_on && collection && strcmp(collection, h->consensus_id) == 0;
}

void fh_taxii_hub_free(fh_taxii_hub *h)
{
    if (h == NULL)
        return;
    if (h->consensus_running) {
        pthread_mutex_lock(&h->consensus_lock);
        h->consensus_stop = true;
        pthread_cond_signal(&h->consensus_cond);
        pthread_mutex_unlock(&h->consensus_lock);
        pthread_join(h->consensus_thread, NULL);
        pthread_mutex_destroy(&h->consensus_lock);
        pthread_cond_destroy(&h->consensus_cond);
    }
    free(h->title);
    free(h);
}

size_t fh_taxii_hub_max_content_length(const fh_taxii_hub *h)
{
    return h->max_content_length;
}

void fh_taxii_response_init(fh_taxii_response *r)
{
    memset(r, 0, sizeof *r);
    fh_buf_init(&r->body, FH_BUF_DEFAULT_MAX);
}

void fh_taxii_response_cleanup(fh_taxii_response *r)
{
    fh_buf_cleanup(&r->body);
}

void fh__taxii_header(fh_taxii_response *r, const char *name, const char *value)
{
    if (r->n_headers == FH_TAXII_MAX_HEADERS)
        return;
    r->headers[r->n_headers].name = name;
    snprintf(r->headers[r->n_headers].value, sizeof r->headers[0].value, "%s", value);
    r->n_headers++;
}

static const char *status_title(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 409:
        return "Conflict";
    case 422:
        return "Unprocessable Entity";
    default:
        return "Internal Server Error";
    }
}

/* A TAXII error message (section 3.6.1) as the response. */
void fh__taxii_error(fh_taxii_response *r, int status, const char *description)
{
    r->status = status;
    fh_buf_reset(&r->body);
    json_t *e = json_object();
    json_object_set_new(e, "title", json_string(status_title(status)));
    if (description)
        json_object_set_new(e, "description", json_string(description));
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    json_object_set_new(e, "http_status", json_string(code));
    fh_json_canonical(e, &r->body);
    json_decref(e);
}

void fh__taxii_json(fh_taxii_response *r, int status, json_t *v)
{
    r->status = status;
    fh_buf_reset(&r->body);
    fh_json_canonical(v, &r->body);
}

static void store_error(fh_taxii_response *r, fh_err rc)
{
    fh_error("taxii", "store failure: %s", fh_strerror(rc));
    fh__taxii_error(r, 500, "the hub's store failed; the request was not carried out");
}

/* ---- per-request context ------------------------------------------------- */

struct req {
    fh_taxii_hub *h;
    const fh_taxii_request *in;
    fh_taxii_response *out;
    fh_store_principal who;
    const char *collection; /* from the path, or NULL */
    char *object_id;        /* from the path, or NULL */
};

static bool authenticate(struct req *q)
{
    char token[512];
    if (fh_taxii_auth_token(q->in->authorization, token, sizeof token) != FH_OK) {
        fh__taxii_error(q->out, 401,
                        q->in->authorization
                            ? "the Authorization header is neither Bearer nor Basic"
                            : "credentials are required: Authorization: Bearer TOKEN, or Basic "
                              "with the token as password");
        return false;
    }
    fh_err rc = fh_store_token_auth(q->h->store, token, strlen(token), &q->who);
    memset(token, 0, sizeof token);
    if (rc == FH_ERR_AUTH) {
        fh__taxii_error(q->out, 401, "the token is unknown or revoked");
        return false;
    }
    if (rc) {
        store_error(q->out, rc);
        return false;
    }
    return true;
}

/* Checks the caller's access to q->collection. Sends 404 when the collection
 * does not exist or is not visible to the caller, 403 when a needed
 * permission is missing. */
static bool authorize(struct req *q, bool need_read, bool need_write)
{
    bool exists = false, r = false, w = false;
    fh_err rc = fh_store_access(q->h->store, q->collection, q->who.org_id, &exists, &r, &w);
    if (rc) {
        store_error(q->out, rc);
        return false;
    }
    if (!exists || (!r && !w)) {
        fh__taxii_error(q->out, 404, "no such collection");
        return false;
    }
    if ((need_read && !r) || (need_write && !w)) {
        char msg[160];
        snprintf(msg, sizeof msg, "this token's organization may not %s this collection",
                 need_read && need_write ? "read and write"
                 : need_read             ? "read"
                                         : "write");
        fh__taxii_error(q->out, 403, msg);
        return false;
    }
    return true;
}

/* ---- server information ------------------------------------------------- */

static void discovery(struct req *q)
{
    json_t *d = json_pack("{s:s,s:s,s:s,s:[s]}", "title", q->h->title, "description",
                          "fenghuo threat-intelligence hub (TAXII 2.1)", "default",
                          FH_TAXII_API_ROOT, "api_roots", FH_TAXII_API_ROOT);
    fh__taxii_json(q->out, 200, d);
    json_decref(d);
}

static void api_root(struct req *q)
{
    json_t *d =
        json_pack("{s:s,s:s,s:[s],s:I}", "title", q->h->title, "description",
                  "STIX 2.1 collections shared by the members of this hub", "versions",
                  FH_TAXII_MEDIA_TYPE, "max_content_length", (json_int_t)q->h->max_content_length);
    fh__taxii_json(q->out, 200, d);
    json_decref(d);
}

static void status_get(struct req *q, const char *id)
{
    json_t *st = NULL;
    fh_err rc = fh_store_status_get(q->h->store, id, q->who.org_id, &st);
    if (rc == FH_ERR_NOTFOUND) {
        fh__taxii_error(q->out, 404, "no such status resource for this token's organization");
        return;
    }
    if (rc) {
        store_error(q->out, rc);
        return;
    }
    fh__taxii_json(q->out, 200, st);
    json_decref(st);
}

static void collections(struct req *q, const char *only)
{
    json_t *list = NULL;
    fh_err rc = fh_store_collections_for(q->h->store, q->who.org_id, only, &list);
    if (rc) {
        store_error(q->out, rc);
        return;
    }
    if (only) {
        if (json_array_size(list) == 0)
            fh__taxii_error(q->out, 404, "no such collection");
        else
            fh__taxii_json(q->out, 200, json_array_get(list, 0));
    } else {
        json_t *d = json_object();
        if (json_array_size(list))
            json_object_set(d, "collections", list);
        fh__taxii_json(q->out, 200, d);
        json_decref(d);
    }
    json_decref(list);
}

/* ---- sharing groups (docs/SHARING.md) ------------------------------------ */

/* An envelope with the hub's community identity (which stands for
 * submitters who are not named), fenghuo's sharing-group
 * extension-definition and the marking-definitions of the groups the
 * caller's organization belongs to: what a member needs to mark objects for
 * a group. Groups the caller is not in are not shown, so their existence and
 * members stay private. Not a TAXII endpoint; it answers in the TAXII media
 * type like one. */
static void sharing_definitions(struct req *q)
{
    json_t *groups = NULL;
    fh_err rc = fh_store_group_list(q->h->store, NULL, &groups);
    if (rc) {
        store_error(q->out, rc);
        return;
    }
    json_t *objects = json_array();
    json_array_append_new(objects, fh_store_community_identity(q->h->store));
    json_array_append_new(objects, fh_policy_group_extension_definition());
    size_t i, k;
    json_t *g, *m;
    json_array_foreach(groups, i, g)
    {
        json_array_foreach(json_object_get(g, "members"), k, m)
        {
            if (strcmp(json_string_value(json_object_get(m, "id")), q->who.org_id) == 0) {
                json_array_append(objects, json_object_get(g, "marking_definition"));
                break;
            }
        }
    }
    json_t *env = json_pack("{s:b,s:o}", "more", 0, "objects", objects);
    fh__taxii_json(q->out, 200, env);
    json_decref(env);
    json_decref(groups);
}

/* ---- queries: objects, manifest, versions ------------------------------- */

enum endpoint { EP_OBJECTS, EP_OBJECT, EP_MANIFEST, EP_VERSIONS };

static const char *const endpoint_names[] = {"objects", "object", "manifest", "versions"};

static void set_strs(fh_store_strs *s, char **v, size_t n)
{
    s->v = (const char **)v;
    s->n = n;
}

/* Reads of AMBER and above are audited before they are answered: no
 * record, no answer. */
static fh_err audit_read(struct req *q, const fh_store_result *res)
{
    if (res->n_restricted == 0)
        return FH_OK;
    fh_buf endpoint;
    fh_buf_init(&endpoint, 4096);
    fh_buf_appendf(&endpoint, "%s %s", q->in->method, q->in->path);
    fh_buf ids;
    fh_buf_init(&ids, FH_BUF_DEFAULT_MAX);
    fh_buf_append_char(&ids, '[');
    fh_buf_append(&ids, res->restricted.data, res->restricted.len);
    fh_buf_append_char(&ids, ']');
    fh_store_audit a = {.org_id = q->who.org_id,
                        .token_id = q->who.token_id,
                        .action = "read",
                        .endpoint = endpoint.data,
                        .collection = q->collection,
                        .object_ids = ids.data};
    fh_err rc = fh_store_audit_append(q->h->store, &a);
    fh_buf_cleanup(&endpoint);
    fh_buf_cleanup(&ids);
    return rc;
}

static void query(struct req *q, enum endpoint ep)
{
    static const unsigned allowed[] = {
        [EP_OBJECTS] = FH_TAXII_F_ADDED_AFTER | FH_TAXII_F_LIMIT | FH_TAXII_F_NEXT | FH_TAXII_F_ID |
                       FH_TAXII_F_TYPE | FH_TAXII_F_VERSION | FH_TAXII_F_SPEC_VERSION,
        [EP_MANIFEST] = FH_TAXII_F_ADDED_AFTER | FH_TAXII_F_LIMIT | FH_TAXII_F_NEXT |
                        FH_TAXII_F_ID | FH_TAXII_F_TYPE | FH_TAXII_F_VERSION |
                        FH_TAXII_F_SPEC_VERSION,
        [EP_OBJECT] = FH_TAXII_F_ADDED_AFTER | FH_TAXII_F_LIMIT | FH_TAXII_F_NEXT |
                      FH_TAXII_F_VERSION | FH_TAXII_F_SPEC_VERSION,
        [EP_VERSIONS] =
            FH_TAXII_F_ADDED_AFTER | FH_TAXII_F_LIMIT | FH_TAXII_F_NEXT | FH_TAXII_F_SPEC_VERSION,
    };
    if (!authorize(q, true, false))
        return;
    fh_taxii_filter f;
    fh_taxii_filter_init(&f);
    fh_buf err;
    fh_buf_init(&err, 4096);
    fh_store_result res;
    fh_store_result_init(&res);
    fh_err rc = fh_taxii_filter_parse(q->in->params, q->in->n_params, allowed[ep], &f, &err);
    if (rc) {
        fh__taxii_error(q->out, 400, err.data);
        goto done;
    }
    uint8_t digest[16];
    fh_taxii_filter_digest(&f, endpoint_names[ep], q->collection, q->object_id, digest);
    fh_store_query sq = {
        .collection = q->collection, .object_id = q->object_id, .reader = q->who.org_id};
    set_strs(&sq.ids, f.ids, f.n_ids);
    set_strs(&sq.types, f.types, f.n_types);
    set_strs(&sq.spec_versions, f.spec_versions, f.n_spec_versions);
    set_strs(&sq.versions, f.versions, f.n_versions);
    sq.version_all = f.version_all || ep == EP_VERSIONS;
    sq.version_first = f.version_first;
    sq.version_last = f.version_last;
    sq.has_added_after = f.has_added_after;
    sq.added_after_us = f.added_after_us;
    sq.limit = f.limit && f.limit < FH_TAXII_MAX_LIMIT ? f.limit : FH_TAXII_MAX_LIMIT;
    if (f.limit == 0)
        sq.limit = FH_TAXII_DEFAULT_LIMIT;
    if (f.next) {
        int64_t pos = 0;
        rc = fh_taxii_cursor_decode(q->h->cursor_key, f.next, digest, &pos);
        if (rc == FH_ERR_CONFLICT) {
            fh__taxii_error(q->out, 400,
                            "next was issued for other filters; repeat the original query "
                            "parameters with it");
            goto done;
        }
        if (rc) {
            fh__taxii_error(q->out, 400, "next is not a pagination token of this hub");
            goto done;
        }
        if (!sq.has_added_after || pos > sq.added_after_us) {
            sq.has_added_after = true;
            sq.added_after_us = pos;
        }
    }
    if (ep == EP_VERSIONS || ep == EP_OBJECT) {
        bool exists = false;
        rc = fh_store_object_exists(q->h->store, q->collection, q->object_id, q->who.org_id,
                                    &exists);
        if (rc) {
            store_error(q->out, rc);
            goto done;
        }
        if (!exists) {
            fh__taxii_error(q->out, 404, "no such object in this collection");
            goto done;
        }
    }
    rc = fh_store_query_run(q->h->store, &sq,
                            ep == EP_MANIFEST   ? FH_STORE_VIEW_MANIFEST
                            : ep == EP_VERSIONS ? FH_STORE_VIEW_VERSIONS
                                                : FH_STORE_VIEW_OBJECTS,
                            &res);
    if (rc == FH_ERR_INVALID) {
        fh__taxii_error(q->out, 400, "a filter value is not valid");
        goto done;
    }
    if (rc) {
        store_error(q->out, rc);
        goto done;
    }
    rc = audit_read(q, &res);
    if (rc) {
        store_error(q->out, rc);
        goto done;
    }
    if (ep == EP_OBJECT && res.count == 0 && f.next == NULL && !f.has_added_after) {
        fh__taxii_error(q->out, 404, "no version of this object matches the filters");
        goto done;
    }
    fh_buf *b = &q->out->body;
    q->out->status = 200;
    fh_buf_reset(b);
    /* Nothing to return: the empty envelope / manifest / versions resource
     * is an empty object (sections 3.7, 5.3.1, 5.8.1). */
    if (res.count == 0) {
        fh_buf_append_str(b, "{}");
        goto done;
    }
    fh_buf_appendf(b, "{\"more\":%s", res.more ? "true" : "false");
    if (res.more) {
        char next[FH_TAXII_CURSOR_STRLEN];
        fh_taxii_cursor_encode(q->h->cursor_key, res.last_added_us, digest, next);
        fh_buf_appendf(b, ",\"next\":\"%s\"", next);
    }
    if (res.count) {
        fh_buf_append_str(b, ep == EP_VERSIONS ? ",\"versions\":[" : ",\"objects\":[");
        fh_buf_append(b, res.items.data, res.items.len);
        fh_buf_append_char(b, ']');
        char ts[32];
        fh_store_format_us(res.first_added_us, ts);
        fh__taxii_header(q->out, "X-TAXII-Date-Added-First", ts);
        fh_store_format_us(res.last_added_us, ts);
        fh__taxii_header(q->out, "X-TAXII-Date-Added-Last", ts);
    }
    rc = fh_buf_append_char(b, '}');
    if (rc)
        fh__taxii_error(q->out, 500, "the response is too large; use a smaller limit");
done:
    fh_store_result_cleanup(&res);
    fh_buf_cleanup(&err);
    fh_taxii_filter_cleanup(&f);
}

/* ---- add objects -------------------------------------------------------- */

/* ---- envelope byte spans ------------------------------------------------ */

/* Skips JSON white space. */
static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Skips the string starting at s[i] == '"'; returns the index after it, or
 * n when it does not end. *plain is false when it holds escapes. */
static size_t skip_string(const char *s, size_t i, size_t n, bool *plain)
{
    *plain = true;
    for (i++; i < n; i++) {
        if (s[i] == '\\') {
            *plain = false;
            i++;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return n;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips one JSON value starting at s[i] (no leading space); returns the
 * index after it, or n on malformed input. Iterative: nesting is only
 * counted, so depth costs nothing. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
    bool plain;
    if (i >= n)
        return n;
    if (s[i] == '"')
        return skip_string(s, i, n, &plain);
    if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, i, n, &plain);
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            i++;
        }
        return n;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_ws(s[i]))
        i++;
    return i;
}

/*
 * Finds the byte span of each element of the top-level "objects" array of an
 * envelope that fh_stix_parse accepted, so objects can be stored exactly as
 * posted. Returns false (the caller then serializes the parsed objects) when
 * the layout is not the simple one: the key written with escapes, or a count
 * that differs from the parser's.
 */
static bool envelope_spans(const char *s, size_t n, size_t count, size_t *start, size_t *len)
{
    bool found = false;
    size_t i = skip_ws(s, 0, n);
    if (i >= n || s[i] != '{')
        return false;
    i = skip_ws(s, i + 1, n);
    while (i < n && s[i] == '"') {
        bool plain;
        size_t key_end = skip_string(s, i, n, &plain);
        bool is_objects = plain && key_end - i == 9 && memcmp(s + i, "\"objects\"", 9) == 0;
        i = skip_ws(s, key_end, n);
        if (i >= n || s[i] != ':')
            return false;
        i = skip_ws(s, i + 1, n);
        if (!is_objects) {
            i = skip_ws(s, skip_value(s, i, n), n);
        } else {
            if (i >= n || s[i] != '[')
                return false;
            i = skip_ws(s, i + 1, n);
            size_t k = 0;
            while (i < n && s[i] != ']') {
                if (k == count || s[i] != '{')
                    return false;
                size_t end = skip_value(s, i, n);
                if (end >= n)
                    return false;
                start[k] = i;
                len[k] = end - i;
                k++;
                i = skip_ws(s, end, n);
                if (i < n && s[i] == ',')
                    i = skip_ws(s, i + 1, n);
            }
            if (k != count)
                return false;
            found = true;
            i = skip_ws(s, i + 1, n);
        }
        if (i < n && s[i] == ',')
            i = skip_ws(s, i + 1, n);
    }
    return found;
}

/* The validation message of one object: its error diagnostics, joined. */
static char *object_message(const fh_stix_diags *d, size_t from)
{
    fh_buf msg, line;
    fh_buf_init(&msg, 2048);
    fh_buf_init(&line, 0);
    for (size_t i = from; i < d->count; i++) {
        if (d->items[i].severity != FH_DIAG_ERROR)
            continue;
        fh_buf_reset(&line);
        fh_buf_appendf(&line, "%s: %s", d->items[i].path, d->items[i].message);
        if (msg.len)
            fh_buf_append_str(&msg, "; ");
        if (fh_buf_append(&msg, line.data, line.len) != FH_OK)
            break;
    }
    fh_buf_cleanup(&line);
    if (msg.len == 0)
        fh_buf_append_str(&msg, "the object is not valid STIX 2.1");
    return fh_buf_steal(&msg);
}

static void add_objects(struct req *q)
{
    if (!fh_taxii_content_type_ok(q->in->content_type)) {
        fh__taxii_error(q->out, 415,
                        "POST bodies must be Content-Type: " FH_TAXII_MEDIA_TYPE " (an envelope)");
        return;
    }
    if (!authorize(q, false, true))
        return;
    if (is_consensus(q->h, q->collection)) {
        fh__taxii_error(q->out, 403, "the consensus collection is written by the hub alone");
        return;
    }
    if (q->in->body_len > q->h->max_content_length) {
        fh__taxii_error(q->out, 413, "the body is larger than max_content_length");
        return;
    }
    fh_stix_limits lim;
    fh_stix_limits_init(&lim);
    lim.max_bytes = q->h->max_content_length;
    fh_stix_diags diags;
    fh_stix_diags_init(&diags);
    json_t *objects = NULL;
    fh_stix_container kind = FH_STIX_OBJECT;
    fh_err rc = fh_stix_parse(q->in->body ? q->in->body : "", q->in->body_len, &lim, &objects,
                              &kind, &diags);
    if (rc == FH_OK && kind != FH_STIX_ENVELOPE) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the body is a %s; TAXII 2.1 POSTs carry an envelope "
                 "({\"objects\": [...]})",
                 fh_stix_container_name(kind));
        fh__taxii_error(q->out, 422, msg);
        goto done;
    }
    if (rc) {
        fh_buf msg;
        fh_buf_init(&msg, 4096);
        fh_buf_append_str(&msg, "the body is not a valid envelope");
        for (size_t i = 0; i < diags.count && i < 3; i++)
            fh_buf_appendf(&msg, "; %s", diags.items[i].message);
        fh__taxii_error(q->out, 422, msg.data);
        fh_buf_cleanup(&msg);
        goto done;
    }
    fh_stix_diags_cleanup(&diags);
    fh_stix_diags_init(&diags);

    size_t n = json_array_size(objects);
    fh_store_put_item *items = fh_xcalloc(n ? n : 1, sizeof *items);
    char **messages = fh_xcalloc(n ? n : 1, sizeof *messages);
    fh_stix_validate_opts vopts;
    fh_stix_validate_opts_init(&vopts);
    size_t *span_start = fh_xcalloc(n ? n : 1, sizeof *span_start);
    size_t *span_len = fh_xcalloc(n ? n : 1, sizeof *span_len);
    bool raw = envelope_spans(q->in->body, q->in->body_len, n, span_start, span_len);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(objects, i);
        items[i].id = fh_json_str(o, "id");
        items[i].version = fh_json_str(o, "modified");
        if (items[i].version == NULL)
            items[i].version = fh_json_str(o, "created");
        const char *sv = fh_json_str(o, "spec_version");
        if (diags.count > 1000) {
            /* Keep the list short: each object's messages are taken from
             * it right away, and a full list would drop later ones. */
            fh_stix_diags_cleanup(&diags);
            fh_stix_diags_init(&diags);
        }
        size_t before = diags.count;
        if (fh_stix_validate_object(o, i, &vopts, &diags) != FH_OK) {
            messages[i] = object_message(&diags, before);
        } else if (sv && strcmp(sv, "2.1") != 0) {
            messages[i] = fh_xasprintf("spec_version %s is not supported; this hub stores STIX "
                                       "2.1",
                                       sv);
        } else if (items[i].version && !fh_time_valid(items[i].version)) {
            messages[i] = fh_xstrdup("modified/created is not a valid timestamp");
        } else {
            items[i].object = o;
            if (raw) {
                items[i].raw = q->in->body + span_start[i];
                items[i].raw_len = span_len[i];
            }
        }
        items[i].message = messages[i];
    }
    fh_buf_reset(&q->out->body);
    rc = fh_store_post(q->h->store, q->collection, q->who.org_id, items, n, &q->out->body);
    if (rc == FH_ERR_NOTFOUND)
        fh__taxii_error(q->out, 404, "no such collection");
    else if (rc)
        store_error(q->out, rc);
    else
        q->out->status = 202;
    for (size_t i = 0; i < n; i++)
        free(messages[i]);
    free(messages);
    free(items);
    free(span_start);
    free(span_len);
done:
    json_decref(objects);
    fh_stix_diags_cleanup(&diags);
}

/* ---- delete ------------------------------------------------------------- */

static void delete_object(struct req *q)
{
    if (!authorize(q, true, true))
        return;
    if (is_consensus(q->h, q->collection)) {
        fh__taxii_error(q->out, 403, "the consensus collection is written by the hub alone");
        return;
    }
    fh_taxii_filter f;
    fh_taxii_filter_init(&f);
    fh_buf err;
    fh_buf_init(&err, 4096);
    fh_err rc = fh_taxii_filter_parse(q->in->params, q->in->n_params,
                                      FH_TAXII_F_VERSION | FH_TAXII_F_SPEC_VERSION, &f, &err);
    if (rc) {
        fh__taxii_error(q->out, 400, err.data);
        goto done;
    }
    /* Only versions the caller may see can be deleted: a hidden object is
     * a 404 here as everywhere. */
    fh_store_query sq = {.collection = q->collection,
                         .object_id = q->object_id,
                         .reader = q->who.org_id,
                         .limit = 1};
    set_strs(&sq.spec_versions, f.spec_versions, f.n_spec_versions);
    set_strs(&sq.versions, f.versions, f.n_versions);
    sq.version_all = f.version_all;
    sq.version_first = f.version_first;
    sq.version_last = f.version_last;
    size_t deleted = 0;
    rc = fh_store_delete(q->h->store, &sq, &deleted);
    if (rc) {
        store_error(q->out, rc);
    } else if (deleted == 0) {
        fh__taxii_error(q->out, 404, "no such object (or version) in this collection");
    } else {
        q->out->status = 200;
        fh_buf_reset(&q->out->body);
    }
done:
    fh_buf_cleanup(&err);
    fh_taxii_filter_cleanup(&f);
}

/* ---- routing ------------------------------------------------------------ */

/* Splits the path after the API root into at most 5 segments; each must be
 * followed by '/'. Returns the count, or -1 when the path is not of that
 * shape (no trailing slash, empty segment, too many). */
static int split_path(const char *rest, char seg[5][300])
{
    int n = 0;
    const char *p = rest;
    while (*p) {
        const char *slash = strchr(p, '/');
        if (slash == NULL || slash == p || n == 5 || (size_t)(slash - p) >= sizeof seg[0])
            return -1;
        memcpy(seg[n], p, (size_t)(slash - p));
        seg[n][slash - p] = '\0';
        n++;
        p = slash + 1;
    }
    return n;
}

static bool is_uuid(const char *s)
{
    fh_uuid u;
    return strlen(s) == 36 && fh_uuid_parse(s, 36, &u) == FH_OK;
}

/*
 * GET /feeds/{collection}/{format}[?since=TS][&kind=K]: the collection's
 * indicators that the caller may read (the same visibility as the TAXII
 * reads, audited the same way) in a defender's format (docs/export.md),
 * with an ETag over the content and 304 for a matching If-None-Match.
 */
static void feed(struct req *q, const char *format_name)
{
    fh_export_format format;
    fh_export_opts opts = {.kind = FH_KIND_ANY, .now = (int64_t)time(NULL)};
    if (fh_export_format_parse(format_name, &format) != FH_OK) {
        fh__taxii_error(q->out, 404, "no such feed format (see docs/export.md)");
        return;
    }
    if (!authorize(q, true, false))
        return;
    fh_store_query sq = {.collection = q->collection, .reader = q->who.org_id, .limit = 10000};
    char *indicator = "indicator";
    set_strs(&sq.types, &indicator, 1);
    for (size_t i = 0; i < q->in->n_params; i++) {
        const fh_taxii_param *p = &q->in->params[i];
        fh_time t;
        if (strcmp(p->key, "since") == 0) {
            if (fh_time_parse(p->value, strlen(p->value), &t, NULL) != FH_OK) {
                fh__taxii_error(q->out, 400, "since takes an RFC 3339 UTC timestamp");
                return;
            }
            sq.has_added_after = true;
            sq.added_after_us = t.sec * 1000000 + t.nsec / 1000;
        } else if (strcmp(p->key, "kind") == 0) {
            if (fh_export_kind_parse(p->value, &opts.kind) != FH_OK) {
                fh__taxii_error(q->out, 400, "kind is ip, domain, url or hash");
                return;
            }
        } else {
            fh__taxii_error(q->out, 400, "feeds take since and kind only");
            return;
        }
    }
    json_t *objects = json_array();
    fh_err rc = FH_OK;
    for (;;) {
        fh_store_result res;
        fh_store_result_init(&res);
        rc = fh_store_query_run(q->h->store, &sq, FH_STORE_VIEW_OBJECTS, &res);
        if (rc == FH_OK)
            rc = audit_read(q, &res);
        if (rc == FH_OK && res.count) {
            fh_buf arr;
            fh_buf_init(&arr, FH_BUF_DEFAULT_MAX);
            fh_buf_append_char(&arr, '[');
            fh_buf_append(&arr, res.items.data, res.items.len);
            fh_buf_append_char(&arr, ']');
            json_t *page = json_loadb(arr.data, arr.len, 0, NULL);
            json_array_extend(objects, page);
            json_decref(page);
            fh_buf_cleanup(&arr);
        }
        bool more = res.more;
        sq.has_added_after = true;
        sq.added_after_us = res.last_added_us;
        fh_store_result_cleanup(&res);
        if (rc || !more)
            break;
    }
    if (rc) {
        store_error(q->out, rc);
        json_decref(objects);
        return;
    }
    fh_export_stats st;
    fh_buf_reset(&q->out->body);
    fh_export_write(format, objects, &opts, &q->out->body, &st);
    json_decref(objects);
    /* ETag: the first 128 bits of the content's SHA-256. */
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, q->out->body.len,
                  (const uint8_t *)(q->out->body.data ? q->out->body.data : ""));
    sha256_digest(&ctx, sizeof d, d);
    char etag[40];
    etag[0] = '"';
    for (int i = 0; i < 16; i++)
        snprintf(etag + 1 + 2 * i, 3, "%02x", d[i]);
    etag[33] = '"';
    etag[34] = '\0';
    fh__taxii_header(q->out, "ETag", etag);
    fh__taxii_header(q->out, "Cache-Control", "private, no-cache");
    q->out->content_type = format == FH_EXPORT_CSV    ? "text/csv; charset=utf-8"
                           : format == FH_EXPORT_STIX ? "application/stix+json;version=2.1"
                                                      : "text/plain; charset=utf-8";
    if (q->in->if_none_match && strstr(q->in->if_none_match, etag)) {
        q->out->status = 304;
        fh_buf_reset(&q->out->body);
        return;
    }
    q->out->status = 200;
}

void fh_taxii_handle(fh_taxii_hub *h, const fh_taxii_request *req, fh_taxii_response *resp)
{
    struct req q = {.h = h, .in = req, .out = resp};
    const char *m = req->method ? req->method : "";
    bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    bool post = strcmp(m, "POST") == 0;
    bool del = strcmp(m, "DELETE") == 0;
    const char *path = req->path ? req->path : "";

    /* Route first: unknown paths are 404 whatever else is wrong. */
    enum {
        R_DISCOVERY,
        R_API_ROOT,
        R_STATUS,
        R_COLLECTIONS,
        R_COLLECTION,
        R_OBJECTS,
        R_OBJECT,
        R_VERSIONS,
        R_MANIFEST,
        R_SHARING,
        R_NONE
    } route = R_NONE;
    char seg[5][300];
    int n = -1;
    if (strcmp(path, "/taxii2/") == 0) {
        route = R_DISCOVERY;
    } else if (strncmp(path, FH_TAXII_API_ROOT, strlen(FH_TAXII_API_ROOT)) == 0) {
        n = split_path(path + strlen(FH_TAXII_API_ROOT), seg);
        if (n == 0)
            route = R_API_ROOT;
        else if (n == 2 && strcmp(seg[0], "status") == 0)
            route = R_STATUS;
        else if (n == 1 && strcmp(seg[0], "sharing") == 0)
            route = R_SHARING;
        else if (n >= 1 && strcmp(seg[0], "collections") == 0) {
            if (n == 1)
                route = R_COLLECTIONS;
            else if (!is_uuid(seg[1]))
                route = R_NONE;
            else if (n == 2)
                route = R_COLLECTION;
            else if (n == 3 && strcmp(seg[2], "objects") == 0)
                route = R_OBJECTS;
            else if (n == 3 && strcmp(seg[2], "manifest") == 0)
                route = R_MANIFEST;
            else if (n == 4 && strcmp(seg[2], "objects") == 0)
                route = R_OBJECT;
            else if (n == 5 && strcmp(seg[2], "objects") == 0 && strcmp(seg[4], "versions") == 0)
                route = R_VERSIONS;
        }
    }
    if (route == R_NONE && strncmp(path, "/feeds/", 7) == 0) {
        /* Feeds: plain formats for firewalls and IDSs, same tokens. A feed
         * is a file to its consumers: the trailing '/' is optional. */
        char fpath[700];
        snprintf(fpath, sizeof fpath, "%s%s", path + 7, path[strlen(path) - 1] == '/' ? "" : "/");
        n = split_path(fpath, seg);
        if (n != 2 || !is_uuid(seg[0])) {
            fh__taxii_error(resp, 404, "feeds are /feeds/{collection}/{format}");
            return;
        }
        if (!get) {
            fh__taxii_error(resp, 405, "feeds answer GET and HEAD");
            fh__taxii_header(resp, "Allow", "GET, HEAD");
            return;
        }
        if (!authenticate(&q)) {
            fh__taxii_header(resp, "WWW-Authenticate",
                             "Basic realm=\"fenghuo\", Bearer realm=\"fenghuo\"");
            return;
        }
        q.collection = seg[0];
        feed(&q, seg[1]);
        return;
    }
    if (route == R_NONE && strncmp(path, "/admin/", 7) == 0) {
        /* The admin API: JSON, admin tokens only. */
        if (!authenticate(&q)) {
            fh__taxii_header(resp, "WWW-Authenticate",
                             "Basic realm=\"fenghuo\", Bearer realm=\"fenghuo\"");
            resp->content_type = "application/json";
            return;
        }
        fh__taxii_admin(h->store, &q.who, req, resp);
        return;
    }
    if (route == R_NONE && n == 2 && strcmp(seg[0], "sharing") == 0 &&
        strcmp(seg[1], "networks") == 0) {
        /* The caller's own networks: JSON like the admin API, any token. */
        if (!authenticate(&q)) {
            fh__taxii_header(resp, "WWW-Authenticate",
                             "Basic realm=\"fenghuo\", Bearer realm=\"fenghuo\"");
            resp->content_type = "application/json";
            return;
        }
        fh__taxii_own_networks(h->store, &q.who, req, resp);
        return;
    }
    if (route == R_NONE) {
        fh__taxii_error(resp, 404, "no such TAXII endpoint (paths end with '/')");
        return;
    }
    bool method_ok = route == R_OBJECTS ? get || post : route == R_OBJECT ? get || del : get;
    if (!method_ok) {
        fh__taxii_error(resp, 405, "this endpoint does not support that method");
        fh__taxii_header(resp, "Allow",
                         route == R_OBJECTS  ? "GET, HEAD, POST"
                         : route == R_OBJECT ? "GET, HEAD, DELETE"
                                             : "GET, HEAD");
        return;
    }
    if (!fh_taxii_accept_ok(req->accept)) {
        fh__taxii_error(resp, 406, "this endpoint answers in " FH_TAXII_MEDIA_TYPE);
        return;
    }
    if (route == R_DISCOVERY) {
        discovery(&q);
        return;
    }
    if (!authenticate(&q)) {
        fh__taxii_header(resp, "WWW-Authenticate",
                         "Basic realm=\"fenghuo\", Bearer realm=\"fenghuo\"");
        return;
    }
    if (n >= 2)
        q.collection = seg[1];
    if (n >= 4)
        q.object_id = seg[3];
    switch (route) {
    case R_API_ROOT:
        api_root(&q);
        break;
    case R_STATUS:
        status_get(&q, seg[1]);
        break;
    case R_COLLECTIONS:
        collections(&q, NULL);
        break;
    case R_COLLECTION:
        collections(&q, seg[1]);
        break;
    case R_OBJECTS:
        if (post)
            add_objects(&q);
        else
            query(&q, EP_OBJECTS);
        break;
    case R_MANIFEST:
        query(&q, EP_MANIFEST);
        break;
    case R_OBJECT:
        if (del)
            delete_object(&q);
        else
            query(&q, EP_OBJECT);
        break;
    case R_VERSIONS:
        query(&q, EP_VERSIONS);
        break;
    case R_SHARING:
        sharing_definitions(&q);
        break;
    default:
        fh__taxii_error(resp, 404, "no such endpoint");
        break;
    }
}
