/*
 * bench-pcapgen: writes a capture file of N small packets (64-128 bytes on
 * the wire) for the sensor throughput benchmark: TCP, UDP and ICMP from
 * random sources to a protected /16, a tenth of them DNS queries, with a
 * SYN flood against one host in the middle.
 *
 *   build/bench-pcapgen FILE [PACKETS] [PPS]
 *
 * Packet time advances at PPS (default 1,000,000 packets per second), so a
 * 10-million-packet file covers 10 seconds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint32_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-pcapgen FILE [PACKETS] [PPS]\n");
        return 2;
    }
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
    uint64_t pps = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
    FILE *f = fopen(argv[1], "wb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    static char iobuf[1 << 20];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    uint8_t gh[24] = {0};
    put32le(gh, 0xa1b2c3d4);
    gh[4] = 2, gh[6] = 4;
    put32le(gh + 16, 65535);
    put32le(gh + 20, 1); /* Ethernet */
    fwrite(gh, 1, sizeof gh, f);
    uint64_t t0 = 1795000000ULL * 1000000ULL;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t pkt[160] = {0};
        uint8_t *ip = pkt + 14;
        memcpy(pkt, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
        bool flood = i > n / 3 && i < n / 3 + n / 10; /* a tenth of the file */
        uint32_t kind = rnd() % 10;
        uint8_t proto = flood ? 6 : kind < 6 ? 6 : kind < 9 ? 17 : 1;
        size_t l4 = proto == 6 ? 20 : proto == 17 ? 8 : 8;
        size_t payload = flood ? 0 : rnd() % 50;
        bool dns = !flood && proto == 17 && kind == 8;
        static const uint8_t q[] = {0x12, 0x34, 1,   0,   0,   1,   0,   0,   0,   0,   0,
                                    0,    3,    'w', 'w', 'w', 7,   'e', 'x', 'a', 'm', 'p',
                                    'l',  'e',  3,   'c', 'o', 'm', 0,   0,   1,   0,   1};
        if (dns)
            payload = sizeof q;
        size_t iplen = 20 + l4 + payload;
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)iplen);
        ip[8] = 64;
        ip[9] = proto;
        uint32_t src = 0xc0000200u + (rnd() % 254) + ((rnd() % 3) << 8); /* 192.0.2-4.x */
        if (!flood)
            src = rnd();
        uint32_t dst = flood ? 0xc612000au : 0xc6120000u | (rnd() & 0xffff); /* 198.18/16 */
        ip[12] = (uint8_t)(src >> 24), ip[13] = (uint8_t)(src >> 16), ip[14] = (uint8_t)(src >> 8),
        ip[15] = (uint8_t)src;
        ip[16] = (uint8_t)(dst >> 24), ip[17] = (uint8_t)(dst >> 16), ip[18] = (uint8_t)(dst >> 8),
        ip[19] = (uint8_t)dst;
        uint8_t *t = ip + 20;
        put16(t, (uint16_t)(1024 + rnd() % 60000));
        put16(t + 2, dns ? 53 : flood ? 80 : (uint16_t)(rnd() % 1024));
        if (proto == 6) {
            t[12] = 5 << 4;
            t[13] = flood ? 0x02 : 0x10;
        } else if (proto == 17) {
            put16(t + 4, (uint16_t)(8 + payload));
        } else {
            t[0] = 8;
        }
        if (dns)
            memcpy(t + l4, q, sizeof q);
        size_t len = 14 + iplen;
        if (len < 64)
            len = 64;
        uint8_t rh[16];
        uint64_t ts = t0 + i * 1000000ULL / pps;
        put32le(rh, (uint32_t)(ts / 1000000));
        put32le(rh + 4, (uint32_t)(ts % 1000000));
        put32le(rh + 8, (uint32_t)len);
        put32le(rh + 12, (uint32_t)len);
        fwrite(rh, 1, sizeof rh, f);
        fwrite(pkt, 1, len, f);
    }
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 2;
    }
    return 0;
}
