/*
 * HTTP/1.x request line and Host header (RFC 9112 sections 3 and 3.2), on
 * the first TCP segment of a connection. Only what the matcher needs: the
 * method, the request target, and the host without its port, lower-cased.
 */
#include <string.h>
#include <strings.h>

#include "fenghuo/net.h"

static bool is_tchar(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Copies the Host value at p[0..n) into host: trims blanks, drops the port
 * (keeping an IPv6 literal's brackets), lower-cases. False when invalid. */
static bool copy_host(const uint8_t *p, size_t n, char *host)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    size_t end = n;
    if (n && p[0] == '[') {
        const uint8_t *close = memchr(p, ']', n);
        if (close == NULL)
            return false;
        end = (size_t)(close - p) + 1;
    } else {
        const uint8_t *colon = memchr(p, ':', n);
        if (colon)
            end = (size_t)(colon - p);
    }
    if (end > FH_HTTP_HOST_MAX)
        return false;
    for (size_t i = 0; i < end; i++) {
        uint8_t c = p[i];
        if (c <= 0x20 || c >= 0x7f)
            return false;
        host[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    host[end] = '\0';
    return true;
}

fh_anomaly fh_http_request(const uint8_t *d, size_t len, fh_http_req *req, bool *found)
{
    memset(req, 0, sizeof *req);
    *found = false;
    /* method SP request-target SP HTTP-version CRLF */
    size_t i = 0;
    while (i < len && i < sizeof req->method - 1 && is_tchar(d[i]))
        i++;
    if (i == 0 || i >= len || d[i] != ' ')
        return FH_ANOM_NONE; /* not an HTTP request (or not its start) */
    /* Upper-case letters only: the registered methods, and what clients send. */
    for (size_t k = 0; k < i; k++)
        if (d[k] < 'A' || d[k] > 'Z')
            return FH_ANOM_NONE;
    memcpy(req->method, d, i);
    req->method[i] = '\0';
    size_t t0 = ++i;
    while (i < len && d[i] > 0x20 && d[i] < 0x7f)
        i++;
    if (i >= len)
        return FH_ANOM_NONE; /* cut by the capture: nothing certain yet */
    if (d[i] != ' ' || i == t0 || i - t0 > 0xffff)
        return FH_ANOM_HTTP_MALFORMED;
    req->target = d + t0;
    req->target_len = (uint16_t)(i - t0);
    i++;
    if (len - i < 10)
        return FH_ANOM_NONE;
    if (memcmp(d + i, "HTTP/1.", 7) != 0 || d[i + 7] < '0' || d[i + 7] > '9' || d[i + 8] != '\r' ||
        d[i + 9] != '\n')
        return FH_ANOM_HTTP_MALFORMED;
    *found = true;
    i += 10;
    /* Header fields until the empty line or the end of the capture. */
    while (i < len) {
        const uint8_t *eol = memchr(d + i, '\n', len - i);
        if (eol == NULL)
            break;
        size_t n = (size_t)(eol - (d + i));
        if (n && d[i + n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        if (n > 5 && strncasecmp((const char *)d + i, "host:", 5) == 0) {
            if (req->host[0] != '\0')
                return FH_ANOM_HTTP_MALFORMED; /* two Host fields: RFC 9112 3.2 */
            if (!copy_host(d + i + 5, n - 5, req->host))
                return FH_ANOM_HTTP_MALFORMED;
        }
        i = (size_t)(eol - d) + 1;
    }
    return FH_ANOM_NONE;
}
