/*
 * TAXII 2.1 for fenghuo: the hub's request handling (every endpoint of the
 * TAXII 2.1 specification over lib/store), the HTTP server that carries it
 * (libmicrohttpd), and the pieces the handler is built from that are exposed
 * for tests and fuzzing: query-string filter parsing, media-type checks,
 * credentials parsing and stateless signed pagination cursors.
 *
 * The handler is transport-independent: fh_taxii_handle turns one request
 * (method, path, decoded query parameters, three headers, body) into one
 * response. The server only moves bytes.
 *
 * Not for: HTTP clients (lib/taxii/taxii-client.c is separate).
 */
#ifndef FENGHUO_TAXII_H
#define FENGHUO_TAXII_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fenghuo/err.h"
#include "fenghuo/store.h"
#include "fenghuo/util.h"

#define FH_TAXII_MEDIA_TYPE                 "application/taxii+json;version=2.1"
#define FH_TAXII_API_ROOT                   "/api/"
#define FH_TAXII_DEFAULT_LIMIT              1000 /* objects per page when the client gives no limit */
#define FH_TAXII_MAX_LIMIT                  1000 /* the most objects per page */
#define FH_TAXII_DEFAULT_MAX_CONTENT_LENGTH ((size_t)16 * 1024 * 1024)
#define FH_TAXII_MAX_FILTER_VALUES          100 /* values in one match[...] */

/* ---- requests and responses --------------------------------------------- */

typedef struct fh_taxii_param {
    const char *key;   /* decoded, e.g. "match[type]" */
    const char *value; /* decoded; may be empty, never NULL */
} fh_taxii_param;

typedef struct fh_taxii_request {
    const char *method; /* "GET", "HEAD", "POST", "DELETE", ... */
    const char *path;   /* decoded path without the query string */
    const fh_taxii_param *params;
    size_t n_params;
    const char *accept;        /* NULL when absent */
    const char *content_type;  /* NULL when absent */
    const char *authorization; /* NULL when absent */
    const char *if_none_match; /* NULL when absent (feeds answer 304 on a match) */
    const char *body;
    size_t body_len;
} fh_taxii_request;

#define FH_TAXII_MAX_HEADERS 4

typedef struct fh_taxii_response {
    int status;
    const char *content_type; /* static; NULL means FH_TAXII_MEDIA_TYPE */
    fh_buf body;
    size_t n_headers;
    struct {
        const char *name; /* static */
        char value[128];
    } headers[FH_TAXII_MAX_HEADERS];
} fh_taxii_response;

void fh_taxii_response_init(fh_taxii_response *r);
void fh_taxii_response_cleanup(fh_taxii_response *r);

/* ---- the hub's handler -------------------------------------------------- */

typedef struct fh_taxii_config {
    size_t max_content_length; /* 0: FH_TAXII_DEFAULT_MAX_CONTENT_LENGTH */
    const char *title;         /* NULL: "fenghuo" */
} fh_taxii_config;

typedef struct fh_taxii_hub fh_taxii_hub;

/* A handler over store s (borrowed: it must outlive the hub). */
fh_taxii_hub *fh_taxii_hub_new(fh_store *s, const fh_taxii_config *cfg);
void fh_taxii_hub_free(fh_taxii_hub *h);
size_t fh_taxii_hub_max_content_length(const fh_taxii_hub *h);

/*
 * Turns on trust and consensus (docs/SHARING.md): fh_store_consensus_enable
 * on the hub's store (the built-in `consensus` collection; every later POST
 * records its contributions), refuses writes to that collection, and starts
 * a thread that
 * withdraws decayed values every cfg->interval_s seconds (cfg NULL: the
 * defaults; copied). Call once, before serving. FH_ERR_DB when the store
 * fails.
 */
fh_err fh_taxii_hub_start_consensus(fh_taxii_hub *h, const fh_consensus_config *cfg);

/* Handles one request; resp (initialized by the caller) receives status,
 * headers and body. Thread-safe. Never fails: errors become TAXII error
 * responses (500 for the store's own failures). */
void fh_taxii_handle(fh_taxii_hub *h, const fh_taxii_request *req, fh_taxii_response *resp);

/* ---- the HTTP server ---------------------------------------------------- */

typedef struct fh_taxii_server_config {
    const char *listen;    /* "ADDR:PORT", "[v6]:PORT"; port 0 picks a free one */
    const char *tls_cert;  /* PEM file, or NULL for plain HTTP */
    const char *tls_key;   /* PEM file, or NULL */
    bool allow_plain_http; /* plain HTTP on a non-loopback address */
    unsigned threads;      /* 0: the number of cores */
} fh_taxii_server_config;

typedef struct fh_taxii_server fh_taxii_server;

/* Binds and starts serving h. err says why not (address in use, bad
 * address, TLS files). Returns FH_OK, FH_ERR_USAGE, FH_ERR_NET or FH_ERR_IO. */
fh_err fh_taxii_server_start(fh_taxii_hub *h, const fh_taxii_server_config *cfg,
                             fh_taxii_server **out /* OUT */, fh_buf *err);
/* The port actually bound. */
uint16_t fh_taxii_server_port(const fh_taxii_server *srv);
/* Stops accepting, lets requests in flight finish, frees srv. NULL is fine. */
void fh_taxii_server_stop(fh_taxii_server *srv);

/* Whether a listen address is loopback (127.0.0.0/8, ::1); FH_ERR_USAGE when
 * it does not parse as ADDR:PORT with a numeric address. */
fh_err fh_taxii_listen_parse(const char *listen, bool *loopback /* OUT */);

/* ---- filters, cursors, headers (exposed for tests and fuzzing) ----------- */

/* Which query parameters an endpoint accepts. */
enum {
    FH_TAXII_F_ADDED_AFTER = 1u << 0,
    FH_TAXII_F_LIMIT = 1u << 1,
    FH_TAXII_F_NEXT = 1u << 2,
    FH_TAXII_F_ID = 1u << 3,
    FH_TAXII_F_TYPE = 1u << 4,
    FH_TAXII_F_VERSION = 1u << 5,
    FH_TAXII_F_SPEC_VERSION = 1u << 6,
};

/* Parsed filters. Strings are owned by the filter. */
typedef struct fh_taxii_filter {
    char **ids, **types, **spec_versions, **versions;
    size_t n_ids, n_types, n_spec_versions, n_versions;
    bool version_all, version_first, version_last;
    bool has_added_after;
    int64_t added_after_us;
    char *added_after; /* as given, for the digest */
    size_t limit;      /* 0 when not given */
    char *next;        /* as given, NULL when absent */
} fh_taxii_filter;

void fh_taxii_filter_init(fh_taxii_filter *f);
void fh_taxii_filter_cleanup(fh_taxii_filter *f);

/*
 * Parses the query parameters an endpoint allows (a mask of FH_TAXII_F_*);
 * others, and unknown match[...] fields, are ignored as the spec permits.
 * FH_ERR_INVALID with a message in err when a parameter is malformed: a
 * repeated parameter, a bad timestamp, a limit that is not a positive
 * integer, "all" with other versions, a repeated version, an empty value,
 * more than FH_TAXII_MAX_FILTER_VALUES values.
 */
fh_err fh_taxii_filter_parse(const fh_taxii_param *params, size_t n, unsigned allowed,
                             fh_taxii_filter *f, fh_buf *err);

/* The digest of everything in f that selects objects (not limit or next),
 * of the endpoint and of the collection and object ids. */
void fh_taxii_filter_digest(const fh_taxii_filter *f, const char *endpoint, const char *collection,
                            const char *object_id, uint8_t out[16]);

/* A next token: position (the last date_added served) and filter digest,
 * authenticated with HMAC-SHA256 under key; hex text in out (at least
 * FH_TAXII_CURSOR_STRLEN bytes). */
#define FH_TAXII_CURSOR_STRLEN 83
void fh_taxii_cursor_encode(const uint8_t key[32], int64_t position, const uint8_t digest[16],
                            char *out);
/* FH_ERR_PARSE when text is not a cursor of this key (forged, truncated,
 * another hub's); FH_ERR_CONFLICT when it is one but for other filters. */
fh_err fh_taxii_cursor_decode(const uint8_t key[32], const char *text, const uint8_t digest[16],
                              int64_t *position /* OUT */);

/* True when an Accept header allows the TAXII 2.1 media type (NULL, a
 * missing header, counts as any type, as in RFC 7231). */
bool fh_taxii_accept_ok(const char *accept);
/* True when a Content-Type is application/taxii+json with no version or 2.1. */
bool fh_taxii_content_type_ok(const char *content_type);

/* Extracts the token from "Bearer T" or "Basic base64(user:T)" into out
 * (max bytes, terminated). FH_ERR_AUTH when the header has neither form. */
fh_err fh_taxii_auth_token(const char *authorization, char *out, size_t max);

/* ---- the client (libcurl) ------------------------------------------------ */

typedef struct fh_taxii_client fh_taxii_client;

typedef struct fh_taxii_client_opts {
    const char *token;  /* sent as Authorization: Bearer */
    const char *cacert; /* PEM file of CAs to trust, or NULL for the system's */
    bool insecure;      /* do not verify the server's certificate */
    long timeout_s;     /* per request; 0 means 300 */
} fh_taxii_client_opts;

/*
 * A client of the hub (or any TAXII 2.1 server) at url: either an API root
 * ("https://hub:8443/api/") or a server ("https://hub:8443"), whose
 * discovery resource then names the default API root. Fails with FH_ERR_NET
 * (err says why) when discovery does not answer or names no default.
 * One client serves one thread at a time.
 */
fh_err fh_taxii_client_new(const char *url, const fh_taxii_client_opts *opts,
                           fh_taxii_client **out /* OUT */, fh_buf *err);
void fh_taxii_client_free(fh_taxii_client *c);

/* The API root URL in use, ending with '/'. */
const char *fh_taxii_client_api_root(const fh_taxii_client *c);

typedef struct fh_taxii_reply {
    long status;         /* HTTP status */
    fh_buf body;         /* response body */
    char added_last[40]; /* X-TAXII-Date-Added-Last, or empty */
} fh_taxii_reply;

void fh_taxii_reply_init(fh_taxii_reply *r);
void fh_taxii_reply_cleanup(fh_taxii_reply *r);

/* One request to the API root + rel (e.g. "collections/ID/objects/?limit=5");
 * body may be NULL. FH_ERR_NET (err filled) when no HTTP answer came; any
 * HTTP status is FH_OK with reply->status set. */
fh_err fh_taxii_client_call(fh_taxii_client *c, const char *method, const char *rel,
                            const char *body, size_t body_len, fh_taxii_reply *reply, fh_buf *err);

/* Appends "key=value" (both URL-encoded) to a query string in q, with '?'
 * or '&' as needed. */
void fh_taxii_query_add(fh_buf *q, const char *key, const char *value);

/* ---- following collections ---------------------------------------------- */

typedef struct fh_taxii_follow fh_taxii_follow;

/* Follows collections of the server at hub (opts as for a client; copied).
 * type: only objects of this STIX type (match[type]), or NULL. max_objects:
 * most objects held (0: 10,000,000); more are left out with a warning. The
 * client connects at the first poll. */
fh_err fh_taxii_follow_new(const char *hub, const fh_taxii_client_opts *opts,
                           const char *const *collections, size_t n, const char *type,
                           size_t max_objects, fh_taxii_follow **out /* OUT */);
void fh_taxii_follow_free(fh_taxii_follow *f);
/* Polls every collection once (network I/O; one thread at a time). True when
 * the held set changed. Failures are logged and counted, never fatal. */
bool fh_taxii_follow_poll(fh_taxii_follow *f);
/* A copy of the held objects as a JSON array (caller decrefs); thread-safe. */
json_t *fh_taxii_follow_objects(fh_taxii_follow *f);
size_t fh_taxii_follow_count(fh_taxii_follow *f);
/* Starts every collection at added_after = ts (before the first poll). */
void fh_taxii_follow_since(fh_taxii_follow *f, const char *ts);
void fh_taxii_follow_counts(const fh_taxii_follow *f, uint64_t *polls, uint64_t *errors);

/* "title: description" of a TAXII error body, or the status alone. */
void fh_taxii_describe_error(const fh_taxii_reply *r, fh_buf *out);

#endif
