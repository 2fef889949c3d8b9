/*
 * DNS messages (RFC 1035): header, the first question's name and type, and
 * the A, AAAA and CNAME answers, which is what the matcher and the detectors
 * use. Other records are skipped by their length.
 *
 * Names are read with three guards: a compression pointer must point before
 * the place it was read from (so pointers cannot loop), a label is at most 63
 * bytes, and a name at most 255 bytes on the wire.
 */
#include <string.h>

#include "fenghuo/net.h"

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Appends one label byte in presentation form: lower case, with '.' and '\'
 * escaped and bytes outside printable ASCII as \DDD. */
static bool put_label_byte(char *out, size_t *n, uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        c = (uint8_t)(c - 'A' + 'a');
    if (c == '.' || c == '\\') {
        if (*n + 2 > FH_DNS_NAME_MAX)
            return false;
        out[(*n)++] = '\\';
        out[(*n)++] = (char)c;
    } else if (c <= 0x20 || c >= 0x7f) {
        if (*n + 4 > FH_DNS_NAME_MAX)
            return false;
        out[(*n)++] = '\\';
        out[(*n)++] = (char)('0' + c / 100);
        out[(*n)++] = (char)('0' + c / 10 % 10);
        out[(*n)++] = (char)('0' + c % 10);
    } else {
        if (*n + 1 > FH_DNS_NAME_MAX)
            return false;
        out[(*n)++] = (char)c;
    }
    return true;
}

/*
 * Reads the name at *off into out (NULL to skip) and moves *off past it (past
 * the first pointer when the name is compressed).
 */
static fh_anomaly read_name(const uint8_t *m, size_t len, size_t *off, char *out)
{
    size_t pos = *off;
    size_t wire = 0;    /* bytes of the name on the wire, RFC 1035's 255 limit */
    size_t n = 0;       /* characters written to out */
    size_t limit = pos; /* a pointer must point before this */
    bool jumped = false;
    for (;;) {
        if (pos >= len)
            return FH_ANOM_DNS_MALFORMED;
        uint8_t l = m[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
                return FH_ANOM_DNS_MALFORMED;
            size_t target = (size_t)(l & 0x3f) << 8 | m[pos + 1];
            if (target >= limit)
                return FH_ANOM_DNS_NAME_LOOP;
            if (!jumped)
                *off = pos + 2;
            jumped = true;
            limit = target;
            pos = target;
            continue;
        }
        if (l & 0xc0) /* 0x40 and 0x80: extended label types, obsolete */
            return FH_ANOM_DNS_MALFORMED;
        wire += 1u + l;
        if (wire > 255)
            return FH_ANOM_DNS_NAME_TOO_LONG;
        if (l == 0) {
            if (!jumped)
                *off = pos + 1;
            break;
        }
        if (pos + 1 + l > len)
            return FH_ANOM_DNS_MALFORMED;
        if (out) {
            if (n > 0) {
                if (n + 1 > FH_DNS_NAME_MAX)
                    return FH_ANOM_DNS_NAME_TOO_LONG;
                out[n++] = '.';
            }
            for (size_t i = 0; i < l; i++)
                if (!put_label_byte(out, &n, m[pos + 1 + i]))
                    return FH_ANOM_DNS_NAME_TOO_LONG;
        }
        pos += 1u + l;
    }
    if (out)
        out[n] = '\0';
    return FH_ANOM_NONE;
}

fh_anomaly fh_dns_parse(const uint8_t *m, size_t len, fh_dns_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    if (len < 12)
        return FH_ANOM_DNS_MALFORMED;
    msg->id = rd16(m);
    msg->response = m[2] & 0x80;
    msg->opcode = (m[2] >> 3) & 0x0f;
    msg->rcode = m[3] & 0x0f;
    msg->qdcount = rd16(m + 4);
    msg->ancount = rd16(m + 6);
    size_t off = 12;
    fh_anomaly a;
    for (unsigned q = 0; q < msg->qdcount; q++) {
        a = read_name(m, len, &off, q == 0 ? msg->qname : NULL);
        if (a)
            return a;
        if (off + 4 > len)
            return FH_ANOM_DNS_MALFORMED;
        if (q == 0) {
            msg->qtype = rd16(m + off);
            msg->qclass = rd16(m + off + 2);
        }
        off += 4;
    }
    for (unsigned i = 0; i < msg->ancount; i++) {
        a = read_name(m, len, &off, NULL);
        if (a)
            return a;
        if (off + 10 > len)
            return FH_ANOM_DNS_MALFORMED;
        uint16_t type = rd16(m + off);
        uint32_t ttl = (uint32_t)rd16(m + off + 4) << 16 | rd16(m + off + 6);
        uint16_t rdlen = rd16(m + off + 8);
        off += 10;
        if (off + rdlen > len)
            return FH_ANOM_DNS_MALFORMED;
        if (msg->n_answers < FH_DNS_MAX_ANSWERS && (type == 1 || type == 28 || type == 5)) {
            fh_dns_answer *ans = &msg->answers[msg->n_answers];
            memset(ans, 0, sizeof *ans);
            ans->type = type;
            ans->ttl = ttl;
            if ((type == 1 && rdlen != 4) || (type == 28 && rdlen != 16))
                return FH_ANOM_DNS_MALFORMED;
            if (type == 5) {
                size_t roff = off;
                a = read_name(m, off + rdlen, &roff, ans->name);
                if (a)
                    return a;
            } else {
                memcpy(ans->addr, m + off, rdlen);
            }
            msg->n_answers++;
        }
        off += rdlen;
    }
    return FH_ANOM_NONE;
}
