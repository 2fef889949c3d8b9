/*
 * TLS ClientHello server_name (RFC 8446 section 4.1.2, RFC 6066 section 3).
 *
 * Works on one buffer: the first TCP segment of a connection, or a hello
 * that net-tlsreasm.c joined from several segments and records. A buffer
 * that ends early is read as far as it goes: a name found in that part is
 * reported; running out of bytes is not an anomaly (large hellos with
 * post-quantum key shares are split), but lengths that contradict each
 * other are.
 */
#include <string.h>

#include "fenghuo/net.h"

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* A bounded reader over the captured bytes; `end` is the end of what the
 * enclosing structure claims, `cap` the end of what was captured. */
struct rd {
    const uint8_t *p;
    size_t pos, end, cap;
};

/* Skips n bytes inside the structure. Returns 1 ok, 0 ran past the capture
 * (stop quietly), -1 ran past the structure (malformed). */
static int skip(struct rd *r, size_t n)
{
    if (n > r->end - r->pos)
        return -1;
    if (r->pos + n > r->cap)
        return 0;
    r->pos += n;
    return 1;
}

static int read_len(struct rd *r, size_t width, size_t *out)
{
    int s = 1;
    if (width > r->end - r->pos)
        return -1;
    if (r->pos + width > r->cap)
        return 0;
    *out = width == 1 ? r->p[r->pos] : rd16(r->p + r->pos);
    r->pos += width;
    return s;
}

#define STEP(expr)                                                                                 \
    do {                                                                                           \
        int s_ = (expr);                                                                           \
        if (s_ < 0)                                                                                \
            return FH_ANOM_TLS_MALFORMED;                                                          \
        if (s_ == 0)                                                                               \
            return FH_ANOM_NONE;                                                                   \
    } while (0)

fh_anomaly fh_tls_sni(const uint8_t *data, size_t len, char sni[FH_TLS_SNI_MAX + 1], bool *found)
{
    *found = false;
    sni[0] = '\0';
    /* Record header: handshake (22), version 3.x, length. */
    if (len < 9 || data[0] != 22 || data[1] != 3 || data[5] != 1)
        return FH_ANOM_NONE;
    size_t rec_len = rd16(data + 3);
    size_t hs_len = (size_t)data[6] << 16 | (size_t)data[7] << 8 | data[8];
    if (rec_len < 4 || hs_len > 0xffffff)
        return FH_ANOM_TLS_MALFORMED;
    /* The hello may span records; bound it by its own length. */
    struct rd r = {.p = data, .pos = 9, .end = 9 + hs_len, .cap = len};
    size_t n;
    STEP(skip(&r, 2 + 32)); /* legacy_version, random */
    STEP(read_len(&r, 1, &n));
    if (n > 32)
        return FH_ANOM_TLS_MALFORMED;
    STEP(skip(&r, n)); /* legacy_session_id */
    STEP(read_len(&r, 2, &n));
    if (n < 2 || n % 2)
        return FH_ANOM_TLS_MALFORMED;
    STEP(skip(&r, n)); /* cipher_suites */
    STEP(read_len(&r, 1, &n));
    if (n < 1)
        return FH_ANOM_TLS_MALFORMED;
    STEP(skip(&r, n)); /* legacy_compression_methods */
    if (r.pos == r.end)
        return FH_ANOM_NONE; /* no extensions at all */
    STEP(read_len(&r, 2, &n));
    if (n > r.end - r.pos)
        return FH_ANOM_TLS_MALFORMED;
    r.end = r.pos + n;
    while (r.pos < r.end) {
        size_t type, elen;
        STEP(read_len(&r, 2, &type));
        STEP(read_len(&r, 2, &elen));
        if (type != 0) {
            STEP(skip(&r, elen));
            continue;
        }
        /* server_name: ServerNameList { NameType name_type; HostName name; } */
        if (elen > r.end - r.pos)
            return FH_ANOM_TLS_MALFORMED;
        struct rd e = {.p = data, .pos = r.pos, .end = r.pos + elen, .cap = len};
        size_t list, name_len;
        STEP(read_len(&e, 2, &list));
        if (list > e.end - e.pos)
            return FH_ANOM_TLS_MALFORMED;
        e.end = e.pos + list;
        while (e.pos < e.end) {
            size_t name_type;
            STEP(read_len(&e, 1, &name_type));
            STEP(read_len(&e, 2, &name_len));
            if (name_len > e.end - e.pos)
                return FH_ANOM_TLS_MALFORMED;
            if (name_type != 0) {
                STEP(skip(&e, name_len));
                continue;
            }
            if (name_len == 0 || name_len > FH_TLS_SNI_MAX)
                return FH_ANOM_TLS_MALFORMED;
            if (e.pos + name_len > e.cap)
                return FH_ANOM_NONE;
            for (size_t i = 0; i < name_len; i++) {
                uint8_t c = data[e.pos + i];
                /* A host name is printable ASCII; anything else is a lie. */
                if (c <= 0x20 || c >= 0x7f)
                    return FH_ANOM_TLS_MALFORMED;
                sni[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            }
            sni[name_len] = '\0';
            /* A trailing dot names the same host. */
            if (name_len > 1 && sni[name_len - 1] == '.')
                sni[name_len - 1] = '\0';
            *found = true;
            return FH_ANOM_NONE;
        }
        return FH_ANOM_NONE;
    }
    return FH_ANOM_NONE;
}
