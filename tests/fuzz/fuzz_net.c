/*
 * Fuzz target: link, IP and transport decoding (lib/net/net-decode.c). The
 * first byte picks the link type; the rest is the packet.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fenghuo/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    static const fh_link_type links[] = {FH_LINK_ETHERNET, FH_LINK_RAW, FH_LINK_LINUX_SLL};
    fh_pkt pkt;
    fh_anomaly a = fh_net_decode(links[data[0] % 3], data + 1, (uint32_t)(size - 1),
                                 (uint32_t)(size - 1), &pkt);
    if (a != pkt.anomaly || (unsigned)a >= FH_ANOM__COUNT)
        abort();
    if (pkt.payload && (pkt.payload < data + 1 || pkt.payload + pkt.payload_len > data + size))
        abort(); /* the payload must lie inside the packet */
    return 0;
}
