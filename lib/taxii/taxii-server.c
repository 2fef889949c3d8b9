/*
 * The hub's HTTP server: libmicrohttpd with a thread pool (one thread per
 * core), optional TLS through GnuTLS, and a listening socket bound here so a
 * taken port or a bad address gives a clear message. Each request's body is
 * collected up to max_content_length (413 beyond it, before reading it when
 * Content-Length says so) and handed with its query parameters to
 * fh_taxii_handle. Nothing TAXII-specific happens in this file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fenghuo/taxii.h"

struct fh_taxii_server {
    struct MHD_Daemon *daemon;
    fh_taxii_hub *hub;
    int fd;
    uint16_t port;
    char *cert;
    char *key;
};

/* State of one request across libmicrohttpd's calls. */
struct conn_state {
    fh_buf body;
    bool too_large;
};

/* ---- listen address ----------------------------------------------------- */

/* Splits "ADDR:PORT" / "[ADDR]:PORT" into host and port strings. */
static fh_err split_listen(const char *listen, char host[64], char port[8])
{
    const char *colon;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - listen - 1) >= 64)
            return FH_ERR_USAGE;
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL || (size_t)(colon - listen) >= 64)
            return FH_ERR_USAGE;
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
    }
    int64_t p;
    if (fh_parse_i64(colon + 1, 0, 65535, &p) != FH_OK || host[0] == '\0')
        return FH_ERR_USAGE;
    snprintf(port, 8, "%d", (int)p);
    return FH_OK;
}

static fh_err resolve(const char *listen, struct addrinfo **out)
{
    char host[64], port[8];
    if (split_listen(listen, host, port) != FH_OK)
        return FH_ERR_USAGE;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
    return getaddrinfo(host, port, &hints, out) == 0 ? FH_OK : FH_ERR_USAGE;
}

fh_err fh_taxii_listen_parse(const char *listen, bool *loopback)
{
    struct addrinfo *ai = NULL;
    fh_err rc = resolve(listen, &ai);
    if (rc)
        return rc;
    *loopback = false;
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ai->ai_addr;
        *loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ai->ai_addr;
        *loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    freeaddrinfo(ai);
    return FH_OK;
}

/* ---- request plumbing --------------------------------------------------- */

struct params {
    fh_taxii_param *v;
    size_t n, cap;
    bool overflow;
};

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct params *p = cls;
    if (p->n == 256) {
        p->overflow = true; /* more parameters than any TAXII query needs */
        return MHD_NO;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 8;
        p->v = fh_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n].key = key ? key : "";
    p->v[p->n].value = value ? value : "";
    p->n++;
    return MHD_YES;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, fh_taxii_response *r)
{
    size_t len = r->body.len;
    char *data = fh_buf_steal(&r->body);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type",
                            r->content_type ? r->content_type : FH_TAXII_MEDIA_TYPE);
    for (size_t i = 0; i < r->n_headers; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result too_large(struct MHD_Connection *conn, size_t max)
{
    fh_taxii_response r;
    fh_taxii_response_init(&r);
    r.status = 413;
    fh_buf_appendf(&r.body,
                   "{\"description\":\"the body is larger than max_content_length (%zu "
                   "bytes)\",\"http_status\":\"413\",\"title\":\"Request Entity Too Large\"}",
                   max);
    enum MHD_Result ret = send_response(conn, &r);
    fh_taxii_response_cleanup(&r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    fh_taxii_hub *hub = cls;
    size_t max = fh_taxii_hub_max_content_length(hub);
    struct conn_state *st = *con_cls;
    if (st == NULL) {
        st = fh_xcalloc(1, sizeof *st);
        fh_buf_init(&st->body, max);
        *con_cls = st;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        int64_t declared = 0;
        if (cl && fh_parse_i64(cl, 0, INT64_MAX, &declared) == FH_OK && (uint64_t)declared > max)
            return too_large(conn, max);
        if (declared > 0) {
            /* One allocation of the announced size instead of growing the
             * buffer by doubling (and copying) while the body arrives. */
            st->body.data = fh_xmalloc((size_t)declared + 1);
            st->body.data[0] = '\0';
            st->body.cap = (size_t)declared + 1;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!st->too_large && fh_buf_append(&st->body, upload_data, *upload_data_size) != FH_OK)
            st->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->too_large)
        return too_large(conn, max);

    struct params p = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &p);
    fh_taxii_request req = {
        .method = method,
        .path = url,
        .params = p.v,
        .n_params = p.n,
        .accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept"),
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
        .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
        .if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match"),
        .body = st->body.data,
        .body_len = st->body.len,
    };
    fh_taxii_response r;
    fh_taxii_response_init(&r);
    if (p.overflow) {
        r.status = 400;
        fh_buf_append_str(&r.body, "{\"description\":\"more than 256 query parameters\","
                                   "\"http_status\":\"400\",\"title\":\"Bad Request\"}");
    } else {
        fh_taxii_handle(hub, &req, &r);
    }
    fh_debug("hub", "%s %s -> %d", method, url, r.status);
    enum MHD_Result ret = send_response(conn, &r);
    fh_taxii_response_cleanup(&r);
    free(p.v);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *st = *con_cls;
    if (st) {
        fh_buf_cleanup(&st->body);
        free(st);
        *con_cls = NULL;
    }
}

/* libmicrohttpd hands us its own format strings. */
static void mhd_log(void *cls, const char *fmt, va_list ap) FH_PRINTF(2, 0);

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0';
    fh_warn("http", "%s", line);
}

/* ---- start and stop ----------------------------------------------------- */

static fh_err listen_socket(const char *addr, int *fd_out, uint16_t *port_out, fh_buf *err)
{
    struct addrinfo *ai = NULL;
    if (resolve(addr, &ai) != FH_OK) {
        fh_buf_appendf(err, "--listen '%s' is not ADDR:PORT with a numeric address", addr);
        return FH_ERR_USAGE;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        fh_buf_appendf(err, "cannot create a socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return FH_ERR_NET;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0) {
        int e = errno;
        fh_buf_appendf(err, "cannot listen on %s: %s%s", addr, strerror(e),
                       e == EADDRINUSE ? " (another program uses that port; pick another with "
                                         "--listen)"
                                       : "");
        close(fd);
        freeaddrinfo(ai);
        return FH_ERR_NET;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return FH_OK;
}

static char *read_pem(const char *path, fh_buf *err)
{
    fh_buf b;
    fh_buf_init(&b, 1 << 20);
    if (fh_buf_read_file(&b, path) != FH_OK) {
        fh_buf_appendf(err, "cannot read %s: %s", path, strerror(errno));
        fh_buf_cleanup(&b);
        return NULL;
    }
    return fh_buf_steal(&b);
}

fh_err fh_taxii_server_start(fh_taxii_hub *h, const fh_taxii_server_config *cfg,
                             fh_taxii_server **out, fh_buf *err)
{
    *out = NULL;
    fh_taxii_server *srv = fh_xcalloc(1, sizeof *srv);
    srv->hub = h;
    srv->fd = -1;
    fh_err rc = FH_OK;
    bool tls = cfg->tls_cert || cfg->tls_key;
    if (tls && !(cfg->tls_cert && cfg->tls_key)) {
        fh_buf_append_str(err, "--tls-cert and --tls-key go together");
        rc = FH_ERR_USAGE;
        goto fail;
    }
    bool loopback = false;
    if (fh_taxii_listen_parse(cfg->listen, &loopback) != FH_OK) {
        fh_buf_appendf(err, "--listen '%s' is not ADDR:PORT with a numeric address", cfg->listen);
        rc = FH_ERR_USAGE;
        goto fail;
    }
    if (!tls && !loopback && !cfg->allow_plain_http) {
        fh_buf_appendf(err,
                       "%s is not a loopback address: give --tls-cert and --tls-key, or "
                       "--insecure-plain-http to send tokens in clear text",
                       cfg->listen);
        rc = FH_ERR_USAGE;
        goto fail;
    }
    if (tls) {
        srv->cert = read_pem(cfg->tls_cert, err);
        srv->key = srv->cert ? read_pem(cfg->tls_key, err) : NULL;
        if (srv->key == NULL) {
            rc = FH_ERR_IO;
            goto fail;
        }
    }
    rc = listen_socket(cfg->listen, &srv->fd, &srv->port, err);
    if (rc)
        goto fail;
    unsigned threads = cfg->threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 2;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0);
    if (tls)
        srv->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
            MHD_OPTION_LISTEN_SOCKET, srv->fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
            MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 256u,
            MHD_OPTION_HTTPS_MEM_CERT, srv->cert, MHD_OPTION_HTTPS_MEM_KEY, srv->key,
            MHD_OPTION_END);
    else
        srv->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
            MHD_OPTION_LISTEN_SOCKET, srv->fd, MHD_OPTION_THREAD_POOL_SIZE, threads,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
            MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 256u,
            MHD_OPTION_END);
    if (srv->daemon == NULL) {
        fh_buf_appendf(err, "cannot start the HTTP server on %s%s", cfg->listen,
                       tls ? " (check the TLS certificate and key)" : "");
        rc = FH_ERR_NET;
        goto fail;
    }
    *out = srv;
    return FH_OK;
fail:
    if (srv->fd >= 0)
        close(srv->fd);
    free(srv->cert);
    free(srv->key);
    free(srv);
    return rc;
}

uint16_t fh_taxii_server_port(const fh_taxii_server *srv)
{
    return srv->port;
}

void fh_taxii_server_stop(fh_taxii_server *srv)
{
    if (srv == NULL)
        return;
    /* Stop accepting first; MHD_stop_daemon then lets each worker finish the
     * request it is in before the threads are joined. */
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    MHD_stop_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    free(srv->cert);
    free(srv->key);
    free(srv);
}
