/*
 * A TAXII 2.1 client on libcurl (GnuTLS flavour): API root discovery, one
 * reused connection, the TAXII media type on every request, bounded response
 * bodies. Used by `fenghuo submit` and `fenghuo get`; sensors and federation
 * will use it too.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fenghuo/json.h"
#include "fenghuo/taxii.h"

#define MAX_RESPONSE ((size_t)512 * 1024 * 1024)

struct fh_taxii_client {
    CURL *curl;
    char *api_root;
    char *auth_header;
    char *cacert;
    bool insecure;
    long timeout_s;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void fh_taxii_reply_init(fh_taxii_reply *r)
{
    memset(r, 0, sizeof *r);
    fh_buf_init(&r->body, MAX_RESPONSE);
}

void fh_taxii_reply_cleanup(fh_taxii_reply *r)
{
    fh_buf_cleanup(&r->body);
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    fh_taxii_reply *r = userdata;
    return fh_buf_append(&r->body, data, size * n) == FH_OK ? size * n : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
    fh_taxii_reply *r = userdata;
    size_t len = size * n;
    static const char name[] = "X-TAXII-Date-Added-Last:";
    if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        const char *v = data + sizeof name - 1;
        size_t vlen = len - (sizeof name - 1);
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen < sizeof r->added_last) {
            memcpy(r->added_last, v, vlen);
            r->added_last[vlen] = '\0';
        }
    }
    return len;
}

static fh_err perform(fh_taxii_client *c, const char *method, const char *url, const char *body,
                      size_t body_len, fh_taxii_reply *reply, fh_buf *err)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Accept: " FH_TAXII_MEDIA_TYPE);
    if (c->auth_header)
        hdrs = curl_slist_append(hdrs, c->auth_header);
    if (body)
        hdrs = curl_slist_append(hdrs, "Content-Type: " FH_TAXII_MEDIA_TYPE);
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "fenghuo/" FH_VERSION);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    fh_buf_reset(&reply->body);
    reply->added_last[0] = '\0';
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    if (cc != CURLE_OK) {
        if (err)
            fh_buf_appendf(err, "%s %s: %s", method, url, curl_easy_strerror(cc));
        return FH_ERR_NET;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply->status);
    return FH_OK;
}

fh_err fh_taxii_client_call(fh_taxii_client *c, const char *method, const char *rel,
                            const char *body, size_t body_len, fh_taxii_reply *reply, fh_buf *err)
{
    char *url = fh_xasprintf("%s%s", c->api_root, rel);
    fh_err rc = perform(c, method, url, body, body_len, reply, err);
    free(url);
    return rc;
}

const char *fh_taxii_client_api_root(const fh_taxii_client *c)
{
    return c->api_root;
}

void fh_taxii_client_free(fh_taxii_client *c)
{
    if (c == NULL)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->api_root);
    if (c->auth_header)
        memset(c->auth_header, 0, strlen(c->auth_header));
    free(c->auth_header);
    free(c->cacert);
    free(c);
}

/* The scheme://host[:port] part of url (a new string). */
static char *origin_of(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *slash = strchr(p, '/');
    return slash ? fh_xstrndup(url, (size_t)(slash - url)) : fh_xstrdup(url);
}

fh_err fh_taxii_client_new(const char *url, const fh_taxii_client_opts *opts, fh_taxii_client **out,
                           fh_buf *err)
{
    *out = NULL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fh_buf_appendf(err, "'%s' is not an http:// or https:// URL", url);
        return FH_ERR_USAGE;
    }
    pthread_once(&curl_once, curl_init_once);
    fh_taxii_client *c = fh_xcalloc(1, sizeof *c);
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        free(c);
        fh_buf_append_str(err, "libcurl could not start");
        return FH_ERR_NET;
    }
    c->timeout_s = opts && opts->timeout_s ? opts->timeout_s : 300;
    if (opts && opts->token)
        c->auth_header = fh_xasprintf("Authorization: Bearer %s", opts->token);
    c->cacert = opts && opts->cacert ? fh_xstrdup(opts->cacert) : NULL;
    c->insecure = opts && opts->insecure;

    char *origin = origin_of(url);
    const char *path = url + strlen(origin);
    if (path[0] != '\0' && strcmp(path, "/") != 0) {
        /* An API root was given. */
        size_t n = strlen(url);
        c->api_root = url[n - 1] == '/' ? fh_xstrdup(url) : fh_xasprintf("%s/", url);
        free(origin);
        *out = c;
        return FH_OK;
    }
    /* A server: ask discovery for its default API root. */
    fh_taxii_reply r;
    fh_taxii_reply_init(&r);
    char *disc = fh_xasprintf("%s/taxii2/", origin);
    fh_err rc = perform(c, "GET", disc, NULL, 0, &r, err);
    if (rc == FH_OK) {
        json_t *d = r.status == 200 ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
        const char *def = fh_json_str(d, "default");
        if (def == NULL) {
            fh_buf_appendf(err, "%s names no default API root (HTTP %ld); give the API root URL",
                           disc, r.status);
            rc = FH_ERR_NET;
        } else if (def[0] == '/') {
            c->api_root = fh_xasprintf("%s%s", origin, def);
        } else {
            c->api_root = fh_xstrdup(def);
        }
        json_decref(d);
    }
    free(disc);
    free(origin);
    fh_taxii_reply_cleanup(&r);
    if (rc) {
        fh_taxii_client_free(c);
        return rc;
    }
    size_t n = strlen(c->api_root);
    if (n == 0 || c->api_root[n - 1] != '/') {
        char *fixed = fh_xasprintf("%s/", c->api_root);
        free(c->api_root);
        c->api_root = fixed;
    }
    *out = c;
    return FH_OK;
}

void fh_taxii_query_add(fh_buf *q, const char *key, const char *value)
{
    char *k = curl_easy_escape(NULL, key, 0);
    char *v = curl_easy_escape(NULL, value, 0);
    fh_buf_appendf(q, "%c%s=%s", q->len && strchr(q->data, '?') ? '&' : '?', k ? k : "",
                   v ? v : "");
    curl_free(k);
    curl_free(v);
}

void fh_taxii_describe_error(const fh_taxii_reply *r, fh_buf *out)
{
    json_t *e = r->body.len ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
    const char *title = fh_json_str(e, "title");
    const char *desc = fh_json_str(e, "description");
    if (title)
        fh_buf_appendf(out, "HTTP %ld %s%s%s", r->status, title, desc ? ": " : "",
                       desc ? desc : "");
    else
        fh_buf_appendf(out, "HTTP %ld", r->status);
    json_decref(e);
}
